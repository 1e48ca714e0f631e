//! Stable machine-readable error codes carried in [`crate::ErrorBody::code`].

/// The body is not valid JSON or not the expected shape.
pub const MALFORMED_JSON: &str = "malformed_json";
/// The body exceeds the route's size limit.
pub const BODY_TOO_LARGE: &str = "body_too_large";
/// The transaction encodes to more than the ledger's limit.
pub const OVERSIZED: &str = "oversized_tx";
/// Wrong chain id in the transaction.
pub const WRONG_CHAIN_ID: &str = "wrong_chain_id";
/// The signature does not verify or does not recover the sender.
pub const BAD_SIGNATURE: &str = "bad_signature";
/// High-s signature (only low-s is accepted).
pub const HIGH_S: &str = "high_s_signature";
/// The nonce was already used on chain.
pub const STALE_NONCE: &str = "stale_nonce";
/// The nonce is too far ahead of the account's next nonce.
pub const NONCE_GAP: &str = "nonce_gap";
/// The same transaction is already queued.
pub const DUPLICATE: &str = "duplicate_tx";
/// Another queued transaction uses this sender's nonce.
pub const NONCE_TAKEN: &str = "nonce_taken";
/// The mempool (or this sender's share of it) is full.
pub const MEMPOOL_FULL: &str = "mempool_full";
/// A path parameter (address, hash, height, token) does not parse.
pub const BAD_REQUEST: &str = "bad_request";
/// The thing asked for does not exist.
pub const NOT_FOUND: &str = "not_found";
/// Any other admission refusal by the ledger.
pub const REJECTED: &str = "rejected";
/// The node is shutting down or failed internally.
pub const INTERNAL: &str = "internal";
