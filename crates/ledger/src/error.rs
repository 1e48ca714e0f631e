//! The ledger's error types: [`AdmissionError`] (why a transaction may not enter a block) and
//! [`LedgerError`] (everything else: execution failures carried in receipts, bad blocks, bad
//! genesis, proof failures).

use verity_primitives::{Address, MathError, Timestamp, TokenId};

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
    // --- amm + router (issue 5) ---
    /// The transaction's deadline is before the block time.
    #[error("transaction expired: deadline {deadline} ms is before the block time {now} ms")]
    Expired {
        /// The deadline (ms).
        deadline: Timestamp,
        /// The block time (ms).
        now: Timestamp,
    },
    /// A swap would give less than the minimum asked for.
    #[error(
        "slippage: output {out} is below the minimum {min}; quote again or allow more slippage"
    )]
    InsufficientOutput {
        /// What the swap gives.
        out: u128,
        /// The minimum asked for.
        min: u128,
    },
    /// A swap would cost more than the maximum allowed.
    #[error(
        "slippage: input {input} exceeds the maximum {max}; quote again or allow more slippage"
    )]
    ExcessiveInput {
        /// What the swap costs.
        input: u128,
        /// The maximum allowed.
        max: u128,
    },
    /// Both sides of a pair or swap are the same token.
    #[error("both tokens are {0}: a pool or swap needs two different tokens")]
    SameToken(TokenId),
    /// No pool for a pair.
    #[error("no pool for tokens {0} and {1}; create one with CreatePool")]
    NoPool(TokenId, TokenId),
    /// The pair already has a pool.
    #[error("tokens {0} and {1} already have pool {2}")]
    PoolExists(TokenId, TokenId, u32),
    /// The pool id does not exist.
    #[error("unknown pool {0}")]
    UnknownPool(u32),
    /// A pool fee outside 0..=1000 bps.
    #[error("pool fee {0} bps is out of range: use 0 to 1000 (30 = 0.30%)")]
    BadFee(u16),
    /// A swap path that is too short/long or repeats a token.
    #[error("bad swap path: {0}")]
    BadPath(String),
    /// A swap needs more than the pool holds (or the pool is empty).
    #[error("insufficient liquidity: the pool is empty or cannot pay that much out")]
    InsufficientLiquidity,
    /// A swap received no input.
    #[error("insufficient input amount")]
    InsufficientInputAmount,
    /// A swap asks for no output.
    #[error("insufficient output amount")]
    InsufficientOutputAmount,
    /// An add/remove-liquidity amount below its minimum (or a zero quote).
    #[error("insufficient amount: {0}")]
    InsufficientAmount(&'static str),
    /// A deposit too small to mint any LP share (the first needs sqrt(x·y) > 1000).
    #[error(
        "insufficient liquidity minted: deposit more (the first deposit needs sqrt(a·b) > 1000)"
    )]
    InsufficientLiquidityMinted,
    /// A withdrawal too small to return any token.
    #[error("insufficient liquidity burned: withdraw more shares")]
    InsufficientLiquidityBurned,
    /// Not enough LP shares.
    #[error("insufficient LP shares in pool {pool}: have {have}, need {need}")]
    InsufficientLpShares {
        /// Pool.
        pool: u32,
        /// Shares held.
        have: u128,
        /// Shares asked for.
        need: u128,
    },
    /// The swap would lower the pool's fee-adjusted k.
    #[error("K: the swap would lower the pool's constant product")]
    KInvariant,
    /// A reserve would exceed 2^112 - 1.
    #[error("reserve overflow: a pool reserve may not exceed 2^112 - 1")]
    ReserveOverflow,
    /// No TWAP can be computed.
    #[error("no TWAP for pool {pool}: {reason}")]
    TwapUnavailable {
        /// Pool.
        pool: u32,
        /// Why.
        reason: String,
    },
    /// No route between two tokens.
    #[error("no route from token {from} to token {to} within 3 hops")]
    NoRoute {
        /// Token sold.
        from: TokenId,
        /// Token bought.
        to: TokenId,
    },
    // --- oracle, treasury, dollar (issue 5) ---
    /// The oracle feed does not exist.
    #[error("unknown oracle feed {0:?}")]
    UnknownFeed(String),
    /// A malformed feed name.
    #[error("bad oracle feed name {0:?}: use 1-32 ASCII letters, digits or _")]
    BadFeedName(String),
    /// The sender may not report to this feed.
    #[error("{sender} is not an authorised reporter of oracle feed {feed}")]
    NotReporter {
        /// Feed.
        feed: String,
        /// Who tried.
        sender: Address,
    },
    /// No fresh report: the feed cannot be read.
    #[error(
        "stale oracle: feed {feed} has no report younger than {max_age_ms} ms; a reporter must post ReportPrice"
    )]
    StaleOracle {
        /// Feed.
        feed: String,
        /// Its staleness bound.
        max_age_ms: u64,
    },
    /// A yield value the accrual cannot use.
    #[error("oracle feed {feed} value {value} is out of range for NAV accrual (max 10e18 = 1000%)")]
    YieldOutOfRange {
        /// Feed.
        feed: String,
        /// The value.
        value: u128,
    },
    /// This chain's genesis did not configure the module.
    #[error("the {0} module is not configured on this chain")]
    ModuleDisabled(&'static str),
    /// The token is not accepted by the module.
    #[error("token {token} is not accepted by the {module} module")]
    UnsupportedAsset {
        /// Module.
        module: &'static str,
        /// Token.
        token: TokenId,
    },
    /// The amount converts to nothing (zero shares or zero payout).
    #[error("amount too small: it converts to zero; use a larger amount")]
    AmountTooSmall,
    /// A module account holds less than a payout needs.
    #[error(
        "insufficient holdings of token {token}: the module holds {held}, the payout needs {need}"
    )]
    InsufficientHoldings {
        /// Token.
        token: TokenId,
        /// Held by the module account.
        held: u128,
        /// Needed.
        need: u128,
    },
    /// A mint would leave reserves below AID supply.
    #[error("refused: reserve value {reserve_value} would be below AID supply {supply}")]
    ReserveShortfall {
        /// Reserve value after the mint.
        reserve_value: u128,
        /// AID supply after the mint.
        supply: u128,
    },
    /// A proof-of-reserves snapshot was taken too recently.
    #[error(
        "a reserves snapshot was taken recently; the next one is allowed from {next} ms (and in a later block)"
    )]
    SnapshotTooSoon {
        /// Earliest time of the next snapshot.
        next: Timestamp,
    },
    /// No proof-of-reserves snapshot exists yet.
    #[error("no proof-of-reserves snapshot yet; send SnapshotReserves first")]
    NoSnapshot,
    /// The address holds no AID in the latest snapshot.
    #[error("{0} holds no AID in the latest proof-of-reserves snapshot")]
    NotInSnapshot(Address),
    // --- end oracle, treasury, dollar ---
    // --- vault, vesting, governance, burn, savings (issue 5) ---
    /// The module is not set up on this chain (no genesis section).
    #[error("the {0} module is not configured on this chain")]
    NotConfigured(&'static str),
    /// A vault limit (maxDeposit/maxMint, zero shares, too many pending requests, accounting).
    #[error("vault: {0}")]
    VaultLimit(String),
    /// A vault claim needs more idle AID than the vault holds (the rest is deployed).
    #[error(
        "vault has only {available} idle AID but the claim pays {needed}; retry after capital returns"
    )]
    VaultIlliquid {
        /// Idle AID.
        available: u128,
        /// Needed.
        needed: u128,
    },
    /// Nothing to claim.
    #[error("nothing to claim: {0}")]
    NothingToClaim(&'static str),
    /// A claim before its cooldown ended.
    #[error("not claimable yet: the first request is claimable at {ready_at} ms")]
    NotYetClaimable {
        /// When the earliest request becomes claimable (ms).
        ready_at: Timestamp,
    },
    /// A vote-escrow lock operation refused.
    #[error("ve lock: {0}")]
    Lock(String),
    /// A governance operation refused.
    #[error("governance: {0}")]
    Governance(String),
    /// A buyback refused.
    #[error("buyback: {0}")]
    Buyback(String),
    /// An auto-savings policy refused.
    #[error("savings policy: {0}")]
    Savings(String),
    // --- end vault, vesting, governance, burn, savings ---
    // --- market/dispute (issue 4) ---
    /// A marketplace action refused (job state, window, role or amount).
    #[error("market: {0}")]
    Market(String),
    /// A dispute action refused (turn, proof, evidence or deadline).
    #[error("dispute: {0}")]
    Dispute(String),
    // --- assets, green (issue 6) ---
    /// A GPU asset, attestation or financing action refused.
    #[error("assets: {0}")]
    Assets(String),
    /// An energy attestation, green requirement or energy report refused.
    #[error("green: {0}")]
    Green(String),
    // --- end market/dispute ---
    // --- capacity, position (issue 6) ---
    /// A capacity-token or capacity-AMM action refused.
    #[error("capacity: {0}")]
    Capacity(String),
    /// A position NFT action refused.
    #[error("position: {0}")]
    Position(String),
    // --- validators (issue 7) ---
    /// A p2p key registration, validator-set query or double-sign report refused.
    #[error("validators: {0}")]
    Validators(String),
}
