//! The ledger's error types: [`AdmissionError`] (why a transaction may not enter a block) and
//! [`LedgerError`] (everything else: execution failures carried in receipts, bad blocks, bad
//! genesis, proof failures).

use verity_primitives::{Address, MathError, TokenId};

/// Why a signed transaction is rejected before it can enter a block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionError {
    /// The signature bytes are malformed or no public key can be recovered.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// The signature's `s` is in the upper half of the curve order (malleable form).
    #[error(
        "signature has high s; only low-s (canonical) signatures are accepted — re-sign with a standard wallet"
    )]
    HighS,
    /// The signature is valid but was made by a key other than the named sender.
    #[error("signature was made by {recovered}, not by the sender {expected}")]
    WrongSigner {
        /// The transaction's `sender`.
        expected: Address,
        /// The address recovered from the signature.
        recovered: Address,
    },
    /// The transaction names another chain.
    #[error("wrong chain id: this chain is {expected}, the transaction says {got}")]
    WrongChainId {
        /// This chain's id.
        expected: u64,
        /// The transaction's chain id.
        got: u64,
    },
    /// The nonce was already used.
    #[error(
        "stale nonce: the sender's next nonce is {expected}, the transaction has {got} (already used)"
    )]
    StaleNonce {
        /// The sender's next expected nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// The nonce is too far ahead of the sender's next nonce (used by mempools).
    #[error("nonce gap: the sender's next nonce is {expected}, the transaction has {got}")]
    NonceGap {
        /// The sender's next expected nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// The same transaction (same hash) is already known (used by mempools).
    #[error("duplicate transaction: already known")]
    Duplicate,
    /// The encoded transaction is larger than the limit.
    #[error("transaction too large: {len} bytes, the limit is {max}")]
    Oversized {
        /// Encoded length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// Ledger errors: execution failures (reported in a receipt), invalid blocks, invalid genesis,
/// state decoding and proof failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// Arithmetic overflow/underflow.
    #[error("arithmetic: {0}")]
    Math(#[from] MathError),
    /// The token id is not registered.
    #[error("unknown token {0}")]
    UnknownToken(TokenId),
    /// The token symbol is not registered.
    #[error("unknown token symbol {0:?}")]
    UnknownSymbol(String),
    /// Balance too small for the operation.
    #[error("insufficient balance of token {token}: have {have}, need {need}")]
    InsufficientBalance {
        /// Token.
        token: TokenId,
        /// Current balance.
        have: u128,
        /// Amount required.
        need: u128,
    },
    /// Amount must be positive.
    #[error("amount must be greater than zero")]
    ZeroAmount,
    /// Only the token's mint authority may mint.
    #[error("{sender} is not the mint authority of token {token}")]
    NotMintAuthority {
        /// Token.
        token: TokenId,
        /// Who tried.
        sender: Address,
    },
    /// Minting would exceed the token's cap.
    #[error("mint would exceed the cap of token {token}: supply {supply} + {amount} > cap {cap}")]
    CapExceeded {
        /// Token.
        token: TokenId,
        /// Current supply.
        supply: u128,
        /// Amount to mint.
        amount: u128,
        /// The cap.
        cap: u128,
    },
    /// The actor is already registered.
    #[error("{0} is already registered as an actor")]
    AlreadyRegistered(Address),
    /// The sender has no actor record.
    #[error("{0} is not registered as an actor; send RegisterActor first")]
    NotRegistered(Address),
    /// Metadata longer than allowed.
    #[error("metadata too long: {len} bytes, the limit is {max}")]
    MetadataTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Unbond more than is bonded.
    #[error("insufficient bonded stake: bonded {bonded}, requested {requested}")]
    InsufficientStake {
        /// Bonded now.
        bonded: u128,
        /// Requested.
        requested: u128,
    },
    /// Too many unbonding entries at once.
    #[error("too many pending unbondings (limit {0}); withdraw released ones first")]
    TooManyUnbondings(usize),
    /// Nothing has finished unbonding yet.
    #[error("nothing to withdraw: no unbonding has been released yet")]
    NothingToWithdraw,
    /// A block that the ledger refuses as a whole (the state is left unchanged).
    #[error("invalid block: {0}")]
    InvalidBlock(String),
    /// A stored state value could not be decoded.
    #[error("corrupt state: {0}")]
    Corrupt(String),
    /// Genesis is invalid.
    #[error("invalid genesis: {0}")]
    Genesis(String),
    /// The authenticated tree failed.
    #[error("state tree: {0}")]
    Tree(String),
    /// A proof did not verify.
    #[error("proof does not verify: {0}")]
    BadProof(String),
    /// An invariant does not hold (a bug).
    #[error("invariant violated: {0}")]
    Invariant(String),
}
