//! The store's one error enum: every variant names the database file so an operator knows what to
//! inspect, move away or restore.

use std::path::{Path, PathBuf};

use verity_primitives::Hash;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The genesis given to open a chain is invalid, or its state cannot be built.
    #[error("genesis: {0}")]
    Genesis(#[from] verity_ledger::LedgerError),
    /// The file is not a sound database (truncated, garbled, or not a redb file).
    #[error(
        "database file {path} is corrupt or truncated: {reason}. It was not modified; restore it from a backup or move it away to start a new chain"
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What was found.
        reason: String,
    },
    /// Another process holds the database open.
    #[error(
        "database file {path} is already open by another process (is a node already running on this data dir?)"
    )]
    Locked {
        /// The database file.
        path: PathBuf,
    },
    /// The file was written by an incompatible version.
    #[error("database file {path} has layout version {found}, this build reads version {expected}")]
    FormatVersion {
        /// The database file.
        path: PathBuf,
        /// Version in the file.
        found: u32,
        /// Version this build understands.
        expected: u32,
    },
    /// A database operation failed.
    #[error("database file {path}: {reason}")]
    Database {
        /// The database file.
        path: PathBuf,
        /// The engine's message.
        reason: String,
    },
    /// File-system error around the database file.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Encoding a value for storage failed.
    #[error("could not encode a value for storage: {0}")]
    Encode(String),
    /// The store has no genesis yet.
    #[error("database file {path} holds no chain yet (no genesis stored)")]
    NotInitialised {
        /// The database file.
        path: PathBuf,
    },
    /// `init_genesis` on a store that already has one.
    #[error("database file {path} already holds a chain")]
    AlreadyInitialised {
        /// The database file.
        path: PathBuf,
    },
    /// The genesis given differs from the stored one.
    #[error(
        "database file {path} belongs to another chain: stored genesis hash {stored}, given genesis hash {given}. Use the genesis this data dir was created with, or another --data-dir"
    )]
    GenesisMismatch {
        /// The database file.
        path: PathBuf,
        /// Stored genesis hash.
        stored: Hash,
        /// Hash of the genesis given now.
        given: Hash,
    },
    /// A block that does not extend the head.
    #[error("block {height} does not extend the stored head at height {head}")]
    NotNext {
        /// Stored head height.
        head: u64,
        /// Height of the rejected block.
        height: u64,
    },
    /// The rebuilt state does not match the head's state root.
    #[error(
        "database file {path}: state rebuilt at height {height} has root {rebuilt}, but block {height} recorded {stored}; the file is inconsistent"
    )]
    RootMismatch {
        /// The database file.
        path: PathBuf,
        /// Head height.
        height: u64,
        /// Root recorded in the head.
        stored: Hash,
        /// Root of the rebuilt state.
        rebuilt: Hash,
    },
}

impl StoreError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn encode(e: serde_json::Error) -> Self {
        Self::Encode(e.to_string())
    }
}
