//! Group commit: concurrent deposits (or consultations) that reach their commit at the same time
//! share one metadata transaction, hence one durable commit (one WAL fsync on SQLite, one WAL
//! flush on PostgreSQL) instead of one each.
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

use crate::error::{storage, Result, StorageError};
use crate::store::sql::Sql;
use crate::Vault;

/// One item's metadata work (it runs inside a savepoint of the group's transaction).
pub type Work<T> = Box<dyn FnOnce(&mut dyn Sql) -> Result<T> + Send>;

struct Job<T> {
    work: Work<T>,
    done: oneshot::Sender<Result<T>>,
}

/// The queue of items of one kind waiting for the next group commit.
pub struct GroupCommit<T> {
    queue: Mutex<Vec<Job<T>>>,
}

/// Deposits: their work answers the deposit receipt.
pub type Deposits = GroupCommit<DepositReceipt>;

impl<T> Default for GroupCommit<T> {
    fn default() -> Self {
        GroupCommit {
            queue: Mutex::new(Vec::new()),
        }
    }
}

impl<T> GroupCommit<T> {
    fn push(&self, job: Job<T>) -> Result<()> {
        self.queue
            .lock()
            .map_err(|_| storage("commit queue poisoned"))?
            .push(job);
        Ok(())
    }

    fn drain(&self) -> Vec<Job<T>> {
        self.queue
            .lock()
            .map(|mut q| std::mem::take(&mut *q))
            .unwrap_or_default()
    }
}

/// Commits `work` with whatever other items of `group` are waiting (under the vault's commit
/// lock, so the journal stays one chain); returns its own outcome once the transaction holding
/// it is durable.
pub async fn commit<T: Send + 'static>(
    vault: &Vault,
    group: &GroupCommit<T>,
    work: Work<T>,
) -> Result<T> {
    let (done, mut rx) = oneshot::channel();
    group.push(Job { work, done })?;
    let guard = vault.commit_lock.lock().await;
    // An earlier holder of the lock may have committed this item with its own group.
    if let Ok(outcome) = rx.try_recv() {
        return outcome;
    }
    let jobs = group.drain();
    let meta = vault.meta.clone();
    let n = jobs.len();
    tokio::task::spawn_blocking(move || run(meta.as_ref(), jobs))
        .await
        .map_err(storage)?;
    drop(guard);
    tracing::debug!(items = n, "group commit");
    rx.await
        .map_err(|_| storage("group commit dropped an item"))?
}

fn run<T>(meta: &dyn crate::store::sql::Metadata, jobs: Vec<Job<T>>) {
    let mut pending: Vec<Job<T>> = jobs;
    let mut outcomes: Vec<(oneshot::Sender<Result<T>>, Result<T>)> =
        Vec::with_capacity(pending.len());
    let result = meta.transaction(&mut |sql| {
        // Across processes and instances: the journal's writer lock first, so that a deposit's
        // idempotency check sees another instance's commit and the chain has one head.
        crate::journal::serialise(sql)?;
        for job in pending.drain(..) {
            sql.exec("SAVEPOINT item", &[])?;
            match (job.work)(sql) {
                Ok(answer) => {
                    sql.exec("RELEASE SAVEPOINT item", &[])?;
                    outcomes.push((job.done, Ok(answer)));
                }
                Err(e) => {
                    sql.exec("ROLLBACK TO SAVEPOINT item", &[])?;
                    sql.exec("RELEASE SAVEPOINT item", &[])?;
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
            // Nothing of the group was committed: every item fails (a deposit's client retries
            // with its idempotency key; a consultation is recorded at the next read).
            tracing::error!(error = %e, "group commit failed");
            let e = std::sync::Arc::new(e);
            for (done, _) in outcomes {
                let _ = done.send(Err(storage(StorageError::Group(e.clone()))));
            }
            for job in pending {
                let _ = job.done.send(Err(storage(StorageError::Group(e.clone()))));
            }
        }
    }
}
