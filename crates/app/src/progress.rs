//! Typed progress events of a service: the six steps of the manual, each running, done or failed
//! with its reason, plus upload progress. Serialised for the window and `--json`.

use serde::Serialize;

/// The six steps of a service (the manual's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 1. Conversion of every document to PDF/A-1b.
    Convert,
    /// 2. Qualified signature of every PDF/A.
    Sign,
    /// 3. Deposit into the recipient's vault.
    Deposit,
    /// 4. Notification of the recipient (by the vault).
    Notify,
    /// 5. Deposit attestation (by the vault).
    Attestation,
    /// 6. Archive in the office's vault.
    Archive,
}

impl Step {
    /// The French label of the step.
    pub fn label_fr(self) -> &'static str {
        match self {
            Step::Convert => "Conversion des actes en PDF/A",
            Step::Sign => "Signature des actes",
            Step::Deposit => "Dépôt dans le coffre du destinataire",
            Step::Notify => "Notification du destinataire",
            Step::Attestation => "Attestation de dépôt",
            Step::Archive => "Archivage dans votre coffre",
        }
    }
}

/// Where a step is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StepStatus {
    /// Running now.
    Running,
    /// Done.
    Done,
    /// Waiting in the outbox (offline, or until the recipient's next opening).
    Queued {
        /// Why, in French.
        reason: String,
    },
    /// Failed.
    Failed {
        /// Stable code.
        code: String,
        /// Why, in French.
        reason: String,
    },
}

/// One progress event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Progress {
    /// A step changed state.
    Step {
        /// The service's reference.
        reference: String,
        /// The step.
        step: Step,
        /// Its state.
        #[serde(flatten)]
        status: StepStatus,
    },
    /// A line of an EDI batch changed stage.
    EdiLine {
        /// Line number in the manifest.
        line: usize,
        /// The line's reference.
        reference: String,
        /// Its stage.
        #[serde(flatten)]
        stage: crate::edi::EdiStage,
    },
    /// Bytes of a package sent so far.
    Upload {
        /// The service's reference.
        reference: String,
        /// Bytes sent.
        sent: u64,
        /// Package size.
        total: u64,
    },
    /// Bytes of a file sent into the office's vault ("Transférer"), reported when a file
    /// starts, then every MiB (1 % of a file above 100 MiB) and at its last byte.
    VaultUpload {
        /// The file's name on the workstation.
        name: String,
        /// Files of this transfer already in the vault.
        files_done: usize,
        /// Files of this transfer.
        files_total: usize,
        /// Bytes of this file sent so far.
        sent: u64,
        /// This file's size.
        total: u64,
    },
}

/// Receives progress events (the CLI prints them, the window forwards them).
pub type ProgressSink = std::sync::Arc<dyn Fn(Progress) + Send + Sync>;

/// A sink that drops everything.
pub fn ignore() -> ProgressSink {
    std::sync::Arc::new(|_| {})
}

/// Reports `step` of the service `reference` as `status`.
pub(crate) fn step(progress: &ProgressSink, reference: &str, step: Step, status: StepStatus) {
    progress(Progress::Step {
        reference: reference.to_owned(),
        step,
        status,
    });
}

/// A step's failure, with the error's code and French message.
pub(crate) fn failed(e: &crate::Error) -> StepStatus {
    StepStatus::Failed {
        code: e.code(),
        reason: e.message_fr(),
    }
}
