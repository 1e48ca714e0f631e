//! The node's errors: [`NodeError`] for start-up and the core's block production, [`SubmitError`]
//! for a refused transaction (with the HTTP status and stable code the API answers with).

use verity_api::codes;
use verity_ledger::{AdmissionError, LedgerError};
use verity_store::StoreError;

use crate::mempool::MempoolError;

/// What can stop the node or a block.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The store failed (corrupt file, genesis mismatch, I/O…).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The ledger refused the genesis or a state rebuild.
    #[error("ledger: {0}")]
    Ledger(#[from] LedgerError),
    /// The core stopped producing blocks after a failed execution or commit; restart the node
    /// to recover from the last durable block.
    #[error("node halted: {0}")]
    Halted(String),
    /// The HTTP listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The node was asked to run in a way it cannot (e.g. validator mode on a chain without a
    /// consensus section).
    #[error("configuration: {0}")]
    Config(String),
    /// Other I/O at the edge (runtime, signals, threads).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Why a submitted transaction was refused.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Refused by ledger admission (chain id, signature, size, nonce).
    #[error(transparent)]
    Admission(#[from] AdmissionError),
    /// Refused by the mempool (duplicate, nonce bounds, full).
    #[error(transparent)]
    Mempool(#[from] MempoolError),
    /// The node is stopping.
    #[error("node is shutting down")]
    ShuttingDown,
}

impl SubmitError {
    /// The HTTP status and stable code this refusal is answered with.
    pub fn status_and_code(&self) -> (u16, &'static str) {
        match self {
            SubmitError::Admission(a) => match a {
                AdmissionError::WrongChainId { .. } => (400, codes::WRONG_CHAIN_ID),
                AdmissionError::HighS => (400, codes::HIGH_S),
                AdmissionError::BadSignature { .. } | AdmissionError::WrongSigner { .. } => {
                    (400, codes::BAD_SIGNATURE)
                }
                AdmissionError::StaleNonce { .. } => (400, codes::STALE_NONCE),
                AdmissionError::NonceGap { .. } => (400, codes::NONCE_GAP),
                AdmissionError::Oversized { .. } => (413, codes::OVERSIZED),
                AdmissionError::Duplicate => (409, codes::DUPLICATE),
                #[allow(unreachable_patterns)]
                _ => (400, codes::REJECTED),
            },
            SubmitError::Mempool(m) => match m {
                MempoolError::Duplicate => (409, codes::DUPLICATE),
                MempoolError::NonceTaken { .. } => (409, codes::NONCE_TAKEN),
                MempoolError::StaleNonce { .. } => (400, codes::STALE_NONCE),
                MempoolError::NonceGap { .. } => (400, codes::NONCE_GAP),
                MempoolError::Full { .. } | MempoolError::SenderFull { .. } => {
                    (503, codes::MEMPOOL_FULL)
                }
            },
            SubmitError::ShuttingDown => (503, codes::INTERNAL),
        }
    }
}
