//! The crate's one error enum.

use thiserror::Error;

/// What can go wrong ordering, checking or committing blocks.
#[derive(Debug, Error)]
pub enum ConsensusError {
    /// The ledger refused a finalized block (a node bug or a corrupted store: the node halts).
    #[error("applying finalized block {height} failed: {reason}")]
    Apply {
        /// Height of the block.
        height: u64,
        /// What the ledger or store said.
        reason: String,
    },
    /// The store could not be read or written.
    #[error("store: {0}")]
    Store(#[from] verity_store::StoreError),
    /// The ledger refused an operation (for example an unknown epoch's validator set).
    #[error("ledger: {0}")]
    Ledger(#[from] verity_ledger::LedgerError),
    /// A configuration value is unusable.
    #[error("invalid consensus configuration: {0}")]
    Config(String),
    /// A validator set cannot be turned into a simplex participant set.
    #[error("validator set of epoch {epoch}: {reason}")]
    ValidatorSet {
        /// The epoch.
        epoch: u64,
        /// Why.
        reason: String,
    },
}
