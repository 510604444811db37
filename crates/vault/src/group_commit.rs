//! Group commit of deposits: concurrent deposits that reach their commit at the same time share
//! one metadata transaction, hence one durable commit (one WAL fsync on SQLite, one WAL flush on
//! PostgreSQL) instead of one each.
//!
//! Each deposit queues its work and then takes the vault's commit lock. Whoever holds the lock
//! drains the whole queue and runs every queued deposit in one transaction, each inside its own
//! savepoint, so that one refused deposit (a concurrent idempotency conflict) is rolled back
//! alone; the others commit together. A deposit whose work was already committed by an earlier
//! holder finds its answer waiting and returns at once. Nothing is acknowledged before the
//! transaction that holds it has committed: the durability promise is that of one deposit per
//! transaction, with `synchronous=FULL` kept on SQLite.

use std::sync::Mutex;

use sceau_proto::DepositReceipt;
use tokio::sync::oneshot;

use crate::error::{storage, Error, Result};
use crate::store::sql::Sql;
use crate::Vault;

/// One deposit's metadata work (it runs inside a savepoint of the group's transaction).
pub type Work = Box<dyn FnOnce(&mut dyn Sql) -> Result<DepositReceipt> + Send>;

struct Job {
    work: Work,
    done: oneshot::Sender<Result<DepositReceipt>>,
}

/// The queue of deposits waiting for the next group commit.
#[derive(Default)]
pub struct GroupCommit {
    queue: Mutex<Vec<Job>>,
}

impl GroupCommit {
    fn push(&self, job: Job) -> Result<()> {
        self.queue
            .lock()
            .map_err(|_| storage("commit queue poisoned"))?
            .push(job);
        Ok(())
    }

    fn drain(&self) -> Vec<Job> {
        self.queue
            .lock()
            .map(|mut q| std::mem::take(&mut *q))
            .unwrap_or_default()
    }
}

/// Commits `work` with whatever other deposits are waiting; returns its own outcome once the
/// transaction holding it is durable.
pub async fn commit(vault: &Vault, work: Work) -> Result<DepositReceipt> {
    let (done, mut rx) = oneshot::channel();
    vault.group_commit.push(Job { work, done })?;
    let guard = vault.commit_lock.lock().await;
    // An earlier holder of the lock may have committed this deposit with its own group.
    if let Ok(outcome) = rx.try_recv() {
        return outcome;
    }
    let jobs = vault.group_commit.drain();
    let meta = vault.meta.clone();
    let n = jobs.len();
    tokio::task::spawn_blocking(move || run(meta.as_ref(), jobs))
        .await
        .map_err(storage)?;
    drop(guard);
    tracing::debug!(deposits = n, "group commit");
    rx.await
        .map_err(|_| storage("group commit dropped a deposit"))?
}

fn run(meta: &dyn crate::store::sql::Metadata, jobs: Vec<Job>) {
    let mut pending: Vec<Job> = jobs;
    let mut outcomes: Vec<(
        oneshot::Sender<Result<DepositReceipt>>,
        Result<DepositReceipt>,
    )> = Vec::with_capacity(pending.len());
    let result = meta.transaction(&mut |sql| {
        for job in pending.drain(..) {
            sql.exec("SAVEPOINT deposit", &[])?;
            match (job.work)(sql) {
                Ok(receipt) => {
                    sql.exec("RELEASE SAVEPOINT deposit", &[])?;
                    outcomes.push((job.done, Ok(receipt)));
                }
                Err(e) => {
                    sql.exec("ROLLBACK TO SAVEPOINT deposit", &[])?;
                    sql.exec("RELEASE SAVEPOINT deposit", &[])?;
                    outcomes.push((job.done, Err(e)));
                }
            }
        }
        Ok(())
    });
    match result {
        Ok(()) => {
            for (done, outcome) in outcomes {
                let _ = done.send(outcome);
            }
        }
        Err(e) => {
            // Nothing of the group was committed: every deposit fails (the client retries with
            // its idempotency key).
            tracing::error!(error = %e, "group commit failed");
            for (done, _) in outcomes {
                let _ = done.send(Err(Error::Storage(e.to_string())));
            }
            for job in pending {
                let _ = job.done.send(Err(Error::Storage(e.to_string())));
            }
        }
    }
}
