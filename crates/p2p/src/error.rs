//! The crate's one error enum: identity files, peer lists, wire decoding and sending.

use std::path::PathBuf;

use verity_primitives::Address;

/// What went wrong in the p2p layer; messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum P2pError {
    /// Reading or writing a file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A p2p key file does not hold 64 hex characters (a 32-byte ed25519 seed).
    #[error(
        "p2p key file {path} is malformed: {why} (expected 64 hex characters, the 32-byte ed25519 seed; delete it to generate a new key)"
    )]
    BadKeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// Bytes that should be an ed25519 public key are not one.
    #[error("invalid p2p public key 0x{0}: not a valid ed25519 point")]
    BadPublicKey(String),
    /// A peers file could not be parsed.
    #[error("peers file {path} is malformed: {why}")]
    BadPeersFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A wire message could not be decoded.
    #[error("malformed {what} message: {why}")]
    Malformed {
        /// Which message kind.
        what: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A message is larger than the network carries.
    #[error("message of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The recipient address has no registered p2p key.
    #[error(
        "{0} has no registered p2p key: the recipient must run `verity p2p register` (or be a genesis validator with a p2p_key)"
    )]
    UnknownRecipient(Address),
    /// This node's own p2p key is not registered, so it has no ledger identity to send as.
    #[error(
        "this node's p2p key {0} is not registered on the ledger: run `verity p2p register --key-file <data-dir>/p2p.key` first"
    )]
    NotRegistered(String),
    /// The recipient is registered but not connected (down, unreachable or rate-limited).
    #[error(
        "{0} is not connected right now (down, unreachable, or its send queue is full); retry later"
    )]
    NotDelivered(Address),
    /// The p2p service has stopped.
    #[error("the p2p network has stopped")]
    Stopped,
    /// A bounded queue is full.
    #[error("the p2p {0} queue is full; retry later")]
    Busy(&'static str),
}
