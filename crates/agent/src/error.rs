//! The agent crate's one error type, [`AgentError`]. A node that cannot be reached is not an
//! error the loops return: they retry with backoff and report [`crate::AgentEvent::NodeDown`].

use verity_api::ApiError;

/// What an agent operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The node answered with an error or could not be reached.
    #[error("node API: {0}")]
    Api(#[from] ApiError),
    /// A transaction was included but its payload failed.
    #[error("{what} failed on the ledger: {error}")]
    TxFailed {
        /// Which transaction (`Bid job 3`).
        what: String,
        /// The receipt's error.
        error: String,
    },
    /// A transaction was admitted but no receipt came in time.
    #[error("{what}: no receipt after {secs} s (the node may be overloaded; it will be retried)")]
    NoReceipt {
        /// Which transaction.
        what: String,
        /// Seconds waited.
        secs: u64,
    },
    /// A blob did not have the hash the job names (or could not be fetched).
    #[error("job {job}: bad blob {hash}: {reason}")]
    BadBlob {
        /// Job id.
        job: u64,
        /// The hash the job names.
        hash: String,
        /// What was wrong.
        reason: String,
    },
    /// A job cannot be run as posted (spec does not parse, unsupported layout, …).
    #[error("job {job}: {reason}")]
    BadJob {
        /// Job id.
        job: u64,
        /// Why.
        reason: String,
    },
    /// The reproducible execution engine failed.
    #[error("job {job}: ree: {source}")]
    Ree {
        /// Job id.
        job: u64,
        /// The engine's error.
        #[source]
        source: verity_ree::ReeError,
    },
    /// A file in the work directory could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A configuration value is unusable.
    #[error("bad agent configuration: {0}")]
    Config(String),
    /// The dispute cannot be played from the local data (e.g. the local trace is missing).
    #[error("dispute {dispute}: {reason}")]
    Dispute {
        /// Dispute id.
        dispute: u64,
        /// Why.
        reason: String,
    },
}

impl AgentError {
    /// True when the node was unreachable (transport failure): worth retrying later.
    pub fn is_transport(&self) -> bool {
        matches!(self, AgentError::Api(ApiError::Transport { .. }))
    }

    /// An I/O error on `path`.
    pub fn io(action: &'static str, path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.display().to_string();
        move |source| AgentError::Io {
            action,
            path,
            source,
        }
    }
}
