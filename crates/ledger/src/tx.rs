//! Transactions: the [`Payload`] enum, [`Transaction`], EIP-712 hashing, secp256k1 signing
//! ([`SignedTransaction`]) and signature verification.
//!
//! **EIP-712.** Domain `{name: "Verity", version: "1", chainId}` (no verifying contract, no
//! salt). Each payload variant is its own primary type whose first two fields are
//! `address sender, uint64 nonce`, followed by the payload's fields, e.g.
//! `Transfer(address sender,uint64 nonce,address to,uint32 token,uint128 amount)`, so a wallet's
//! `eth_signTypedData_v4` shows everything that is signed. The **transaction hash is the
//! EIP-712 digest** `keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message))`.
//!
//! **JSON.** `Payload` is externally tagged: `{"Transfer": {"to": "0x…", "token": 0,
//! "amount": "5"}}`; `Withdraw` has no fields and is the string `"Withdraw"`. Amounts are decimal
//! strings. A signature is 65 bytes `r ‖ s ‖ v` as 0x-hex, `v` ∈ {27, 28} or {0, 1}.
//!
//! **Adding a payload** = one enum arm here, one `sol!` struct in [`eip712`], one arm in
//! [`Transaction::signing_hash`], one handler arm in `execute`.

use crate::error::AdmissionError;
use crate::identity::ActorKind;
use alloy_primitives::U256;
use alloy_sol_types::{Eip712Domain, SolStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use verity_primitives::{Address, Hash, Timestamp, TokenId, amount_str};

/// Largest accepted transaction, measured as its JSON encoding ([`SignedTransaction::encoded_len`]).
pub const MAX_TX_BYTES: usize = 8 * 1024;

/// The action a transaction performs. Later modules add variants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payload {
    /// Move `amount` of `token` from the sender to `to`.
    Transfer {
        /// Recipient.
        to: Address,
        /// Token.
        token: TokenId,
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Create `amount` of `token` for `to`; only the token's mint authority, up to its cap.
    Mint {
        /// Token.
        token: TokenId,
        /// Recipient.
        to: Address,
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Destroy `amount` of `token` from the sender's own balance (anyone may burn their own).
    Burn {
        /// Token.
        token: TokenId,
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Register the sender as an actor of `kind`.
    RegisterActor {
        /// Kind of actor.
        kind: ActorKind,
        /// Free-form metadata (bounded length).
        metadata: String,
    },
    /// Replace the sender's actor metadata.
    UpdateActor {
        /// New metadata.
        metadata: String,
    },
    /// Move `amount` of the staking token from the sender's balance into bonded stake.
    Bond {
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Start unbonding `amount`; it stays slashable until released after the unbonding delay.
    Unbond {
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Return every released unbonding entry to the sender's balance.
    Withdraw,
    // --- amm + router (issue 5) ---
    /// Create the pool of a token pair with a fee in basis points (30 = 0.30%).
    CreatePool {
        /// One token.
        token_a: TokenId,
        /// The other token.
        token_b: TokenId,
        /// Fee on every input, basis points (0..=1000).
        fee_bps: u16,
    },
    /// Deposit into pool `pool` (a = its token0, b = its token1) at the reserves' ratio.
    AddLiquidity {
        /// Pool id.
        pool: u32,
        /// Most token0 to deposit.
        #[serde(with = "amount_str")]
        amount_a_desired: u128,
        /// Most token1 to deposit.
        #[serde(with = "amount_str")]
        amount_b_desired: u128,
        /// Least token0 to deposit.
        #[serde(with = "amount_str")]
        amount_a_min: u128,
        /// Least token1 to deposit.
        #[serde(with = "amount_str")]
        amount_b_min: u128,
        /// Latest block time (ms) at which it may execute.
        deadline: Timestamp,
    },
    /// Burn `liquidity` LP shares of pool `pool` for its tokens.
    RemoveLiquidity {
        /// Pool id.
        pool: u32,
        /// LP shares to burn.
        #[serde(with = "amount_str")]
        liquidity: u128,
        /// Least token0 to receive.
        #[serde(with = "amount_str")]
        amount_a_min: u128,
        /// Least token1 to receive.
        #[serde(with = "amount_str")]
        amount_b_min: u128,
        /// Latest block time (ms).
        deadline: Timestamp,
    },
    /// Sell exactly `amount_in` of `path[0]` for at least `min_out` of the last token.
    SwapExactIn {
        /// Token path, 2–4 distinct tokens.
        path: Vec<TokenId>,
        /// Amount sold.
        #[serde(with = "amount_str")]
        amount_in: u128,
        /// Least output.
        #[serde(with = "amount_str")]
        min_out: u128,
        /// Latest block time (ms).
        deadline: Timestamp,
    },
    /// Buy exactly `amount_out` of the last token paying at most `max_in` of `path[0]`.
    SwapExactOut {
        /// Token path, 2–4 distinct tokens.
        path: Vec<TokenId>,
        /// Amount bought.
        #[serde(with = "amount_str")]
        amount_out: u128,
        /// Most input.
        #[serde(with = "amount_str")]
        max_in: u128,
        /// Latest block time (ms).
        deadline: Timestamp,
    },
    /// Sell `amount_in` of `from` for `to` along the router's best route/split at execution.
    SwapRouted {
        /// Token sold.
        from: TokenId,
        /// Token bought.
        to: TokenId,
        /// Amount sold.
        #[serde(with = "amount_str")]
        amount_in: u128,
        /// Least output.
        #[serde(with = "amount_str")]
        min_out: u128,
        /// Latest block time (ms).
        deadline: Timestamp,
    },
    // --- oracle, treasury, dollar (issue 5) ---
    /// Report `value` (1e18 fixed point) to oracle feed `feed`; authorised reporters only.
    ReportPrice {
        /// Feed name, e.g. `TBILL_YIELD`.
        feed: String,
        /// Value in 1e18 fixed point (5% a year = 50000000000000000).
        #[serde(with = "amount_str")]
        value: u128,
    },
    /// Accrue the TBILL NAV up to the block time (anyone).
    AccrueNav,
    /// Buy TBILL shares with `amount` of `asset` (USDC or AID) at NAV.
    Subscribe {
        /// Asset paid.
        asset: TokenId,
        /// Base units of the asset.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Redeem `shares` TBILL at NAV, paid in `asset`.
    Redeem {
        /// TBILL base units.
        #[serde(with = "amount_str")]
        shares: u128,
        /// Asset to receive.
        asset: TokenId,
    },
    /// Mint AID against `amount` of `collateral` (USDC/USDT at par, TBILL at NAV).
    MintAid {
        /// Collateral token.
        collateral: TokenId,
        /// Collateral base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Redeem `amount` AID for `collateral` at par.
    RedeemAid {
        /// AID base units.
        #[serde(with = "amount_str")]
        amount: u128,
        /// Collateral to receive.
        collateral: TokenId,
    },
    /// Store a proof-of-reserves snapshot of the previous block's state (anyone).
    SnapshotReserves,
    // --- vault, vesting, governance, burn, savings (issue 5) ---
    /// Deposit `assets` AID into the sAID vault; fails if fewer than `min_shares` are minted.
    VaultDeposit {
        /// AID base units.
        #[serde(with = "amount_str")]
        assets: u128,
        /// Least sAID to receive.
        #[serde(with = "amount_str")]
        min_shares: u128,
    },
    /// Mint exactly `shares` sAID; fails if it costs more than `max_assets` AID.
    VaultMint {
        /// sAID base units.
        #[serde(with = "amount_str")]
        shares: u128,
        /// Most AID to pay.
        #[serde(with = "amount_str")]
        max_assets: u128,
    },
    /// Lock `shares` sAID for exit; claim after the cooldown.
    VaultRequestRedeem {
        /// sAID base units.
        #[serde(with = "amount_str")]
        shares: u128,
    },
    /// Lock the sAID worth `assets` AID (rounded up) for exit; claim after the cooldown.
    VaultRequestWithdraw {
        /// AID base units.
        #[serde(with = "amount_str")]
        assets: u128,
    },
    /// Claim every exit request whose cooldown is over.
    VaultClaim,
    /// Release everything vested to the sender.
    ClaimVested,
    /// Lock governance tokens for ve power until `unlock_time` (seconds, rounded down to a week).
    CreateLock {
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
        /// Unix seconds.
        unlock_time: u64,
    },
    /// Add to the sender's unexpired lock.
    IncreaseAmount {
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Extend the sender's unexpired lock.
    IncreaseUnlockTime {
        /// Unix seconds (rounded down to a week).
        unlock_time: u64,
    },
    /// Withdraw the sender's expired lock.
    WithdrawLock,
    /// Propose setting an allow-listed parameter.
    Propose {
        /// Parameter name.
        param: String,
        /// New value (decimal).
        value: String,
    },
    /// Vote on a proposal with the ve power at its snapshot.
    Vote {
        /// Proposal id.
        proposal: u64,
        /// For (true) or against.
        support: bool,
    },
    /// Apply a passed proposal after its timelock (anyone).
    ExecuteProposal {
        /// Proposal id.
        proposal: u64,
    },
    /// Swap the fee account's `token` balance to the protocol token and burn/split it (anyone).
    ExecuteBuyback {
        /// Fee token to sell.
        token: TokenId,
    },
    /// Set the sender's auto-savings policy (`share_bps` 0 removes it).
    SetSavingsPolicy {
        /// Token to save into (e.g. TBILL).
        target_token: TokenId,
        /// Share of each payment to convert, bps.
        share_bps: u32,
        /// Most slippage below the quote, bps.
        max_slippage_bps: u32,
        /// Convert only once this much (payment share + waiting dust) is pending.
        #[serde(with = "amount_str")]
        min_batch: u128,
    },
    // --- end vault, vesting, governance, burn, savings ---
    // --- market/dispute (issue 4) ---
    /// Post a job with escrow (see [`crate::market`]).
    PostJob(crate::market::JobTerms),
    /// Bid `price` on job `job` (staked providers).
    Bid {
        /// Job id.
        job: u64,
        /// Asked price.
        #[serde(with = "amount_str")]
        price: u128,
    },
    /// Match a job whose bid window has closed (anyone).
    CloseBidding {
        /// Job id.
        job: u64,
    },
    /// Commit a job's result (the assigned provider).
    Commit {
        /// Job id.
        job: u64,
        /// The result.
        result: crate::market::CommitArgs,
    },
    /// Pay out a job after its challenge window (anyone).
    Settle {
        /// Job id.
        job: u64,
    },
    /// Refund a job nobody committed by its deadline (anyone).
    Expire {
        /// Job id.
        job: u64,
    },
    /// Cancel an open job (the buyer).
    Cancel {
        /// Job id.
        job: u64,
    },
    /// Challenge a committed job with one's own trace root and a bond.
    Challenge {
        /// Job id.
        job: u64,
        /// The challenger's trace root.
        trace_root: Hash,
        /// Bond in the staking token.
        #[serde(with = "amount_str")]
        bond: u128,
    },
    /// One party's move in a bisection round: the two children of its current node.
    Bisect {
        /// Dispute id.
        dispute: u64,
        /// Left child (raw leaf when it covers one leaf).
        left: Hash,
        /// Right child.
        right: Hash,
    },
    /// One party's evidence at the disputed op (JSON of [`crate::market::dispute::Evidence`]).
    Rule {
        /// Dispute id.
        dispute: u64,
        /// Evidence JSON.
        evidence: String,
    },
    /// End a dispute whose round deadline passed (anyone).
    ClaimTimeout {
        /// Dispute id.
        dispute: u64,
    },
    // --- assets, green (issue 6): one primary type per inner variant ---
    /// A GPU asset or financing action (see [`crate::assets`]).
    Assets(crate::assets::AssetTx),
    /// An energy attestation, green requirement or energy report (see [`crate::green`]).
    Green(crate::green::GreenTx),
    /// A selected verifier agrees with a job's commit (before its challenge window ends).
    Attest {
        /// Job id.
        job: u64,
    },
    // --- end market/dispute ---
    // --- capacity, position (issue 6) ---
    /// A capacity-token or capacity-AMM action (see [`crate::capacity`]).
    Capacity(crate::capacity::CapacityTx),
    /// A position NFT action (see [`crate::position`]).
    Position(crate::position::PositionTx),
    // --- end capacity, position ---
    // --- validators (issue 7) ---
    /// Map the sender to ed25519 p2p key `key`, proven by `proof` = the key's signature over
    /// chain id ‖ sender (see [`crate::validators`]).
    RegisterP2pKey {
        /// The ed25519 public key (0x-hex, 32 bytes).
        #[serde(with = "crate::validators::hex::bytes32")]
        key: [u8; 32],
        /// The proof of possession (0x-hex, 64 bytes).
        #[serde(with = "crate::validators::hex::bytes")]
        proof: Vec<u8>,
    },
    /// Report a validator's two conflicting simplex votes (see [`crate::validators::evidence`]).
    ReportDoubleSign {
        /// Tag byte ‖ codec encoding of the conflict (0x-hex).
        #[serde(with = "crate::validators::hex::bytes")]
        evidence: Vec<u8>,
    },
    // --- end validators ---
}

impl Payload {
    /// The EIP-712 primary type name of this payload (also its JSON tag).
    pub fn type_name(&self) -> &'static str {
        match self {
            Payload::Transfer { .. } => "Transfer",
            Payload::Mint { .. } => "Mint",
            Payload::Burn { .. } => "Burn",
            Payload::RegisterActor { .. } => "RegisterActor",
            Payload::UpdateActor { .. } => "UpdateActor",
            Payload::Bond { .. } => "Bond",
            Payload::Unbond { .. } => "Unbond",
            Payload::Withdraw => "Withdraw",
            // --- amm + router (issue 5) ---
            Payload::CreatePool { .. } => "CreatePool",
            Payload::AddLiquidity { .. } => "AddLiquidity",
            Payload::RemoveLiquidity { .. } => "RemoveLiquidity",
            Payload::SwapExactIn { .. } => "SwapExactIn",
            Payload::SwapExactOut { .. } => "SwapExactOut",
            Payload::SwapRouted { .. } => "SwapRouted",
            // --- oracle, treasury, dollar (issue 5) ---
            Payload::ReportPrice { .. } => "ReportPrice",
            Payload::AccrueNav => "AccrueNav",
            Payload::Subscribe { .. } => "Subscribe",
            Payload::Redeem { .. } => "Redeem",
            Payload::MintAid { .. } => "MintAid",
            Payload::RedeemAid { .. } => "RedeemAid",
            Payload::SnapshotReserves => "SnapshotReserves",
            // --- vault, vesting, governance, burn, savings (issue 5) ---
            Payload::VaultDeposit { .. } => "VaultDeposit",
            Payload::VaultMint { .. } => "VaultMint",
            Payload::VaultRequestRedeem { .. } => "VaultRequestRedeem",
            Payload::VaultRequestWithdraw { .. } => "VaultRequestWithdraw",
            Payload::VaultClaim => "VaultClaim",
            Payload::ClaimVested => "ClaimVested",
            Payload::CreateLock { .. } => "CreateLock",
            Payload::IncreaseAmount { .. } => "IncreaseAmount",
            Payload::IncreaseUnlockTime { .. } => "IncreaseUnlockTime",
            Payload::WithdrawLock => "WithdrawLock",
            Payload::Propose { .. } => "Propose",
            Payload::Vote { .. } => "Vote",
            Payload::ExecuteProposal { .. } => "ExecuteProposal",
            Payload::ExecuteBuyback { .. } => "ExecuteBuyback",
            Payload::SetSavingsPolicy { .. } => "SetSavingsPolicy",
            // --- market/dispute (issue 4) ---
            Payload::PostJob(_) => "PostJob",
            Payload::Bid { .. } => "Bid",
            Payload::CloseBidding { .. } => "CloseBidding",
            Payload::Commit { .. } => "Commit",
            Payload::Settle { .. } => "Settle",
            Payload::Expire { .. } => "Expire",
            Payload::Cancel { .. } => "Cancel",
            Payload::Challenge { .. } => "Challenge",
            Payload::Bisect { .. } => "Bisect",
            Payload::Rule { .. } => "Rule",
            Payload::ClaimTimeout { .. } => "ClaimTimeout",
            Payload::Assets(t) => t.type_name(),
            Payload::Green(t) => t.type_name(),
            Payload::Attest { .. } => "Attest",
            // --- capacity, position (issue 6) ---
            Payload::Capacity(c) => c.type_name(),
            Payload::Position(p) => p.type_name(),
            // --- validators (issue 7) ---
            Payload::RegisterP2pKey { .. } => "RegisterP2pKey",
            Payload::ReportDoubleSign { .. } => "ReportDoubleSign",
        }
    }
}

/// EIP-712 struct definitions, one primary type per payload variant.
pub mod eip712 {
    #![allow(missing_docs)]
    alloy_sol_types::sol! {
        struct Transfer { address sender; uint64 nonce; address to; uint32 token; uint128 amount; }
        struct Mint { address sender; uint64 nonce; uint32 token; address to; uint128 amount; }
        struct Burn { address sender; uint64 nonce; uint32 token; uint128 amount; }
        struct RegisterActor { address sender; uint64 nonce; uint8 kind; string metadata; }
        struct UpdateActor { address sender; uint64 nonce; string metadata; }
        struct Bond { address sender; uint64 nonce; uint128 amount; }
        struct Unbond { address sender; uint64 nonce; uint128 amount; }
        struct Withdraw { address sender; uint64 nonce; }
        // --- amm + router (issue 5) ---
        struct CreatePool { address sender; uint64 nonce; uint32 token_a; uint32 token_b; uint16 fee_bps; }
        struct AddLiquidity { address sender; uint64 nonce; uint32 pool; uint128 amount_a_desired; uint128 amount_b_desired; uint128 amount_a_min; uint128 amount_b_min; uint64 deadline; }
        struct RemoveLiquidity { address sender; uint64 nonce; uint32 pool; uint128 liquidity; uint128 amount_a_min; uint128 amount_b_min; uint64 deadline; }
        struct SwapExactIn { address sender; uint64 nonce; uint32[] path; uint128 amount_in; uint128 min_out; uint64 deadline; }
        struct SwapExactOut { address sender; uint64 nonce; uint32[] path; uint128 amount_out; uint128 max_in; uint64 deadline; }
        struct SwapRouted { address sender; uint64 nonce; uint32 from; uint32 to; uint128 amount_in; uint128 min_out; uint64 deadline; }
        // --- oracle, treasury, dollar (issue 5) ---
        struct ReportPrice { address sender; uint64 nonce; string feed; uint128 value; }
        struct AccrueNav { address sender; uint64 nonce; }
        struct Subscribe { address sender; uint64 nonce; uint32 asset; uint128 amount; }
        struct Redeem { address sender; uint64 nonce; uint128 shares; uint32 asset; }
        struct MintAid { address sender; uint64 nonce; uint32 collateral; uint128 amount; }
        struct RedeemAid { address sender; uint64 nonce; uint128 amount; uint32 collateral; }
        struct SnapshotReserves { address sender; uint64 nonce; }
        // --- vault, vesting, governance, burn, savings (issue 5) ---
        struct VaultDeposit { address sender; uint64 nonce; uint128 assets; uint128 min_shares; }
        struct VaultMint { address sender; uint64 nonce; uint128 shares; uint128 max_assets; }
        struct VaultRequestRedeem { address sender; uint64 nonce; uint128 shares; }
        struct VaultRequestWithdraw { address sender; uint64 nonce; uint128 assets; }
        struct VaultClaim { address sender; uint64 nonce; }
        struct ClaimVested { address sender; uint64 nonce; }
        struct CreateLock { address sender; uint64 nonce; uint128 amount; uint64 unlock_time; }
        struct IncreaseAmount { address sender; uint64 nonce; uint128 amount; }
        struct IncreaseUnlockTime { address sender; uint64 nonce; uint64 unlock_time; }
        struct WithdrawLock { address sender; uint64 nonce; }
        struct Propose { address sender; uint64 nonce; string param; string value; }
        struct Vote { address sender; uint64 nonce; uint64 proposal; bool support; }
        struct ExecuteProposal { address sender; uint64 nonce; uint64 proposal; }
        struct ExecuteBuyback { address sender; uint64 nonce; uint32 token; }
        struct SetSavingsPolicy { address sender; uint64 nonce; uint32 target_token; uint32 share_bps; uint32 max_slippage_bps; uint128 min_batch; }
        // --- market/dispute (issue 4) ---
        struct PostJob { address sender; uint64 nonce; bytes32 spec_hash; bytes32[] data_hashes; uint32 token; uint128 max_price; uint128 escrow; string device_class; uint32 min_cores; uint64 min_memory_mb; uint32 spot_check_bps; uint64 challenge_window_ms; uint64 bid_window_ms; uint64 deadline_ms; }
        struct Bid { address sender; uint64 nonce; uint64 job; uint128 price; }
        struct CloseBidding { address sender; uint64 nonce; uint64 job; }
        struct Commit { address sender; uint64 nonce; uint64 job; bytes32 output_hash; bytes32 trace_root; uint64 steps; uint64 ops_per_step; uint32 receipt_version; }
        struct Settle { address sender; uint64 nonce; uint64 job; }
        struct Expire { address sender; uint64 nonce; uint64 job; }
        struct Cancel { address sender; uint64 nonce; uint64 job; }
        struct Challenge { address sender; uint64 nonce; uint64 job; bytes32 trace_root; uint128 bond; }
        struct Bisect { address sender; uint64 nonce; uint64 dispute; bytes32 left; bytes32 right; }
        struct Rule { address sender; uint64 nonce; uint64 dispute; string evidence; }
        struct ClaimTimeout { address sender; uint64 nonce; uint64 dispute; }
        struct Attest { address sender; uint64 nonce; uint64 job; }
        // --- validators (issue 7) ---
        struct RegisterP2pKey { address sender; uint64 nonce; bytes32 key; bytes proof; }
        struct ReportDoubleSign { address sender; uint64 nonce; bytes evidence; }
    }
}

/// EIP-712 `hashStruct(s) = keccak256(typeHash ‖ encodeData(s))` with each primary type's
/// `typeHash` computed once per thread instead of once per transaction (alloy's
/// `eip712_hash_struct` rehashes the type string every call). `tx_tests` checks it against alloy's
/// result for every payload variant.
trait CachedStructHash: SolStruct + 'static {
    fn cached_hash_struct(&self) -> alloy_primitives::B256 {
        thread_local! {
            static TYPE_HASHES: std::cell::RefCell<
                std::collections::BTreeMap<std::any::TypeId, alloy_primitives::B256>,
            > = const { std::cell::RefCell::new(std::collections::BTreeMap::new()) };
        }
        #[cfg(test)]
        if tests::ALLOY_STRUCT_HASH.with(std::cell::Cell::get) {
            return self.eip712_hash_struct();
        }
        let type_hash = TYPE_HASHES.with(|c| {
            *c.borrow_mut()
                .entry(std::any::TypeId::of::<Self>())
                .or_insert_with(|| self.eip712_type_hash())
        });
        let mut k = alloy_primitives::Keccak256::new();
        k.update(type_hash);
        k.update(self.eip712_encode_data());
        k.finalize()
    }
}

impl<T: SolStruct + 'static> CachedStructHash for T {}

/// The EIP-712 domain `{name: "Verity", version: "1", chainId: chain_id}`.
pub fn domain(chain_id: u64) -> Eip712Domain {
    Eip712Domain::new(
        Some(Cow::Borrowed("Verity")),
        Some(Cow::Borrowed("1")),
        Some(U256::from(chain_id)),
        None,
        None,
    )
}

/// An unsigned transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// Chain id (EIP-712 domain `chainId`).
    pub chain_id: u64,
    /// Who sends (and signs) it.
    pub sender: Address,
    /// The sender's next nonce (replay protection; consumed even when execution fails).
    pub nonce: u64,
    /// What it does.
    pub payload: Payload,
}

fn a(x: Address) -> alloy_primitives::Address {
    alloy_primitives::Address::from(x.0)
}

impl Transaction {
    /// The EIP-712 struct hash of the payload's primary type (with `sender` and `nonce`).
    pub fn struct_hash(&self) -> Hash {
        let (sender, nonce) = (a(self.sender), self.nonce);
        let h = match &self.payload {
            Payload::Transfer { to, token, amount } => eip712::Transfer {
                sender,
                nonce,
                to: a(*to),
                token: token.0,
                amount: *amount,
            }
            .cached_hash_struct(),
            Payload::Mint { token, to, amount } => eip712::Mint {
                sender,
                nonce,
                token: token.0,
                to: a(*to),
                amount: *amount,
            }
            .cached_hash_struct(),
            Payload::Burn { token, amount } => eip712::Burn {
                sender,
                nonce,
                token: token.0,
                amount: *amount,
            }
            .cached_hash_struct(),
            Payload::RegisterActor { kind, metadata } => eip712::RegisterActor {
                sender,
                nonce,
                kind: kind.code(),
                metadata: metadata.clone(),
            }
            .cached_hash_struct(),
            Payload::UpdateActor { metadata } => eip712::UpdateActor {
                sender,
                nonce,
                metadata: metadata.clone(),
            }
            .cached_hash_struct(),
            Payload::Bond { amount } => eip712::Bond {
                sender,
                nonce,
                amount: *amount,
            }
            .cached_hash_struct(),
            Payload::Unbond { amount } => eip712::Unbond {
                sender,
                nonce,
                amount: *amount,
            }
            .cached_hash_struct(),
            Payload::Withdraw => eip712::Withdraw { sender, nonce }.cached_hash_struct(),
            // --- amm + router (issue 5) ---
            Payload::CreatePool {
                token_a,
                token_b,
                fee_bps,
            } => eip712::CreatePool {
                sender,
                nonce,
                token_a: token_a.0,
                token_b: token_b.0,
                fee_bps: *fee_bps,
            }
            .cached_hash_struct(),
            Payload::AddLiquidity {
                pool,
                amount_a_desired,
                amount_b_desired,
                amount_a_min,
                amount_b_min,
                deadline,
            } => eip712::AddLiquidity {
                sender,
                nonce,
                pool: *pool,
                amount_a_desired: *amount_a_desired,
                amount_b_desired: *amount_b_desired,
                amount_a_min: *amount_a_min,
                amount_b_min: *amount_b_min,
                deadline: deadline.0,
            }
            .cached_hash_struct(),
            Payload::RemoveLiquidity {
                pool,
                liquidity,
                amount_a_min,
                amount_b_min,
                deadline,
            } => eip712::RemoveLiquidity {
                sender,
                nonce,
                pool: *pool,
                liquidity: *liquidity,
                amount_a_min: *amount_a_min,
                amount_b_min: *amount_b_min,
                deadline: deadline.0,
            }
            .cached_hash_struct(),
            Payload::SwapExactIn {
                path,
                amount_in,
                min_out,
                deadline,
            } => eip712::SwapExactIn {
                sender,
                nonce,
                path: path.iter().map(|t| t.0).collect(),
                amount_in: *amount_in,
                min_out: *min_out,
                deadline: deadline.0,
            }
            .cached_hash_struct(),
            Payload::SwapExactOut {
                path,
                amount_out,
                max_in,
                deadline,
            } => eip712::SwapExactOut {
                sender,
                nonce,
                path: path.iter().map(|t| t.0).collect(),
                amount_out: *amount_out,
                max_in: *max_in,
                deadline: deadline.0,
            }
            .cached_hash_struct(),
            Payload::SwapRouted {
                from,
                to,
                amount_in,
                min_out,
                deadline,
            } => eip712::SwapRouted {
                sender,
                nonce,
                from: from.0,
                to: to.0,
                amount_in: *amount_in,
                min_out: *min_out,
                deadline: deadline.0,
            }
            .cached_hash_struct(),
            // --- oracle, treasury, dollar (issue 5) ---
            Payload::ReportPrice { feed, value } => eip712::ReportPrice {
                sender,
                nonce,
                feed: feed.clone(),
                value: *value,
            }
            .cached_hash_struct(),
            Payload::AccrueNav => eip712::AccrueNav { sender, nonce }.cached_hash_struct(),
            Payload::Subscribe { asset, amount } => eip712::Subscribe {
                sender,
                nonce,
                asset: asset.0,
                amount: *amount,
            }
            .cached_hash_struct(),
            Payload::Redeem { shares, asset } => eip712::Redeem {
                sender,
                nonce,
                shares: *shares,
                asset: asset.0,
            }
            .cached_hash_struct(),
            Payload::MintAid { collateral, amount } => eip712::MintAid {
                sender,
                nonce,
                collateral: collateral.0,
                amount: *amount,
            }
            .cached_hash_struct(),
            Payload::RedeemAid { amount, collateral } => eip712::RedeemAid {
                sender,
                nonce,
                amount: *amount,
                collateral: collateral.0,
            }
            .cached_hash_struct(),
            Payload::SnapshotReserves => {
                eip712::SnapshotReserves { sender, nonce }.cached_hash_struct()
            }
            // --- vault, vesting, governance, burn, savings (issue 5) ---
            Payload::VaultDeposit { assets, min_shares } => eip712::VaultDeposit {
                sender,
                nonce,
                assets: *assets,
                min_shares: *min_shares,
            }
            .cached_hash_struct(),
            Payload::VaultMint { shares, max_assets } => eip712::VaultMint {
                sender,
                nonce,
                shares: *shares,
                max_assets: *max_assets,
            }
            .cached_hash_struct(),
            Payload::VaultRequestRedeem { shares } => eip712::VaultRequestRedeem {
                sender,
                nonce,
                shares: *shares,
            }
            .cached_hash_struct(),
            Payload::VaultRequestWithdraw { assets } => eip712::VaultRequestWithdraw {
                sender,
                nonce,
                assets: *assets,
            }
            .cached_hash_struct(),
            Payload::VaultClaim => eip712::VaultClaim { sender, nonce }.cached_hash_struct(),
            Payload::ClaimVested => eip712::ClaimVested { sender, nonce }.cached_hash_struct(),
            Payload::CreateLock {
                amount,
                unlock_time,
            } => eip712::CreateLock {
                sender,
                nonce,
                amount: *amount,
                unlock_time: *unlock_time,
            }
            .cached_hash_struct(),
            Payload::IncreaseAmount { amount } => eip712::IncreaseAmount {
                sender,
                nonce,
                amount: *amount,
            }
            .cached_hash_struct(),
            Payload::IncreaseUnlockTime { unlock_time } => eip712::IncreaseUnlockTime {
                sender,
                nonce,
                unlock_time: *unlock_time,
            }
            .cached_hash_struct(),
            Payload::WithdrawLock => eip712::WithdrawLock { sender, nonce }.cached_hash_struct(),
            Payload::Propose { param, value } => eip712::Propose {
                sender,
                nonce,
                param: param.clone(),
                value: value.clone(),
            }
            .cached_hash_struct(),
            Payload::Vote { proposal, support } => eip712::Vote {
                sender,
                nonce,
                proposal: *proposal,
                support: *support,
            }
            .cached_hash_struct(),
            Payload::ExecuteProposal { proposal } => eip712::ExecuteProposal {
                sender,
                nonce,
                proposal: *proposal,
            }
            .cached_hash_struct(),
            Payload::ExecuteBuyback { token } => eip712::ExecuteBuyback {
                sender,
                nonce,
                token: token.0,
            }
            .cached_hash_struct(),
            Payload::SetSavingsPolicy {
                target_token,
                share_bps,
                max_slippage_bps,
                min_batch,
            } => eip712::SetSavingsPolicy {
                sender,
                nonce,
                target_token: target_token.0,
                share_bps: *share_bps,
                max_slippage_bps: *max_slippage_bps,
                min_batch: *min_batch,
            }
            .cached_hash_struct(),
            // --- end vault, vesting, governance, burn, savings ---
            // --- market/dispute (issue 4) ---
            Payload::PostJob(t) => eip712::PostJob {
                sender,
                nonce,
                spec_hash: t.spec_hash.0.into(),
                data_hashes: t.data_hashes.iter().map(|h| h.0.into()).collect(),
                token: t.token.0,
                max_price: t.max_price,
                escrow: t.escrow,
                device_class: t.device_class.clone(),
                min_cores: t.min_cores,
                min_memory_mb: t.min_memory_mb,
                spot_check_bps: t.spot_check_bps,
                challenge_window_ms: t.challenge_window_ms,
                bid_window_ms: t.bid_window_ms,
                deadline_ms: t.deadline_ms,
            }
            .cached_hash_struct(),
            Payload::Bid { job, price } => eip712::Bid {
                sender,
                nonce,
                job: *job,
                price: *price,
            }
            .cached_hash_struct(),
            Payload::CloseBidding { job } => eip712::CloseBidding {
                sender,
                nonce,
                job: *job,
            }
            .cached_hash_struct(),
            Payload::Commit { job, result } => eip712::Commit {
                sender,
                nonce,
                job: *job,
                output_hash: result.output_hash.0.into(),
                trace_root: result.trace_root.0.into(),
                steps: result.steps,
                ops_per_step: result.ops_per_step,
                receipt_version: result.receipt_version,
            }
            .cached_hash_struct(),
            Payload::Settle { job } => eip712::Settle {
                sender,
                nonce,
                job: *job,
            }
            .cached_hash_struct(),
            Payload::Expire { job } => eip712::Expire {
                sender,
                nonce,
                job: *job,
            }
            .cached_hash_struct(),
            Payload::Cancel { job } => eip712::Cancel {
                sender,
                nonce,
                job: *job,
            }
            .cached_hash_struct(),
            Payload::Challenge {
                job,
                trace_root,
                bond,
            } => eip712::Challenge {
                sender,
                nonce,
                job: *job,
                trace_root: trace_root.0.into(),
                bond: *bond,
            }
            .cached_hash_struct(),
            Payload::Bisect {
                dispute,
                left,
                right,
            } => eip712::Bisect {
                sender,
                nonce,
                dispute: *dispute,
                left: left.0.into(),
                right: right.0.into(),
            }
            .cached_hash_struct(),
            Payload::Rule { dispute, evidence } => eip712::Rule {
                sender,
                nonce,
                dispute: *dispute,
                evidence: evidence.clone(),
            }
            .cached_hash_struct(),
            Payload::Assets(t) => {
                alloy_primitives::B256::from(t.struct_hash(&self.sender, nonce).0)
            }
            Payload::Green(t) => alloy_primitives::B256::from(t.struct_hash(&self.sender, nonce).0),
            Payload::ClaimTimeout { dispute } => eip712::ClaimTimeout {
                sender,
                nonce,
                dispute: *dispute,
            }
            .cached_hash_struct(),
            Payload::Attest { job } => eip712::Attest {
                sender,
                nonce,
                job: *job,
            }
            .cached_hash_struct(),
            // --- end market/dispute ---
            // --- capacity, position (issue 6) ---
            Payload::Capacity(c) => alloy_primitives::B256::from(c.struct_hash(sender, nonce).0),
            Payload::Position(p) => alloy_primitives::B256::from(p.struct_hash(sender, nonce).0),
            // --- validators (issue 7) ---
            Payload::RegisterP2pKey { key, proof } => eip712::RegisterP2pKey {
                sender,
                nonce,
                key: (*key).into(),
                proof: proof.clone().into(),
            }
            .cached_hash_struct(),
            Payload::ReportDoubleSign { evidence } => eip712::ReportDoubleSign {
                sender,
                nonce,
                evidence: evidence.clone().into(),
            }
            .cached_hash_struct(),
        };
        Hash(h.0)
    }

    /// The EIP-712 digest that is signed; also the transaction hash.
    pub fn signing_hash(&self) -> Hash {
        // The domain separator costs three keccaks; a node sees one chain id, so remember the
        // last one per thread.
        thread_local! {
            static LAST_DOMAIN: std::cell::Cell<Option<(u64, Hash)>> =
                const { std::cell::Cell::new(None) };
        }
        let domain = LAST_DOMAIN.with(|c| match c.get() {
            Some((id, d)) if id == self.chain_id => d,
            _ => {
                let d = domain_separator(self.chain_id);
                c.set(Some((self.chain_id, d)));
                d
            }
        });
        signing_hash_with(&domain, &self.struct_hash())
    }
}

/// The EIP-712 domain separator for `chain_id`.
pub fn domain_separator(chain_id: u64) -> Hash {
    Hash(domain(chain_id).separator().0)
}

/// `keccak256(0x19 0x01 ‖ domain_separator ‖ struct_hash)`.
pub fn signing_hash_with(domain_separator: &Hash, struct_hash: &Hash) -> Hash {
    let mut buf = [0u8; 66];
    buf[0] = 0x19;
    buf[1] = 0x01;
    buf[2..34].copy_from_slice(&domain_separator.0);
    buf[34..66].copy_from_slice(&struct_hash.0);
    Hash::keccak(&buf)
}

/// A 65-byte recoverable signature `r ‖ s ‖ v` (JSON: 0x-hex).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature65(pub [u8; 65]);

impl std::fmt::Debug for Signature65 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl std::fmt::Display for Signature65 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl std::str::FromStr for Signature65 {
    type Err = AdmissionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let body = s.strip_prefix("0x").unwrap_or(s);
        let mut out = [0u8; 65];
        hex::decode_to_slice(body, &mut out).map_err(|_| {
            AdmissionError::BadSignature("expected 0x followed by 130 hex digits (r‖s‖v)".into())
        })?;
        Ok(Signature65(out))
    }
}

impl Serialize for Signature65 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Signature65 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Signature65 {
    /// `r` (32 bytes).
    pub fn r(&self) -> [u8; 32] {
        let mut o = [0u8; 32];
        o.copy_from_slice(&self.0[..32]);
        o
    }
    /// `s` (32 bytes).
    pub fn s(&self) -> [u8; 32] {
        let mut o = [0u8; 32];
        o.copy_from_slice(&self.0[32..64]);
        o
    }
    /// `v` as given (27/28 or 0/1).
    pub fn v(&self) -> u8 {
        self.0[64]
    }
}

/// Half the secp256k1 group order n: a signature with s > n/2 is "high-s".
const HALF_N: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// Sign an arbitrary 32-byte digest with libsecp256k1 (RFC 6979 nonce, low-s), `v` ∈ {27, 28}.
pub fn sign_digest(digest: &Hash, key: &secp256k1::SecretKey) -> Signature65 {
    let msg = secp256k1::Message::from_digest(digest.0);
    let sig = secp256k1::ecdsa::RecoverableSignature::sign_ecdsa_recoverable(msg, key);
    let (recid, rs) = sig.serialize_compact();
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&rs);
    out[64] = 27 + recid.to_u8();
    Signature65(out)
}

/// Recover the signer's address of `digest` from `sig`, rejecting high-s signatures.
pub fn recover_signer(digest: &Hash, sig: &Signature65) -> Result<Address, AdmissionError> {
    if sig.s() > HALF_N {
        return Err(AdmissionError::HighS);
    }
    let v = match sig.v() {
        0 | 27 => 0,
        1 | 28 => 1,
        other => {
            return Err(AdmissionError::BadSignature(format!(
                "v must be 27, 28, 0 or 1, got {other}"
            )));
        }
    };
    let recid = secp256k1::ecdsa::RecoveryId::from_u8_masked(v);
    let rs = secp256k1::ecdsa::RecoverableSignature::from_compact(&sig.0[..64], recid)
        .map_err(|e| AdmissionError::BadSignature(e.to_string()))?;
    let pk = rs
        .recover_ecdsa(secp256k1::Message::from_digest(digest.0))
        .map_err(|e| AdmissionError::BadSignature(e.to_string()))?;
    Ok(address_of_public(&pk))
}

fn address_of_public(pk: &secp256k1::PublicKey) -> Address {
    let unc = pk.serialize_uncompressed();
    let h = Hash::keccak(&unc[1..]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&h.0[12..]);
    Address(out)
}

/// The address of a secret key: last 20 bytes of keccak256 of the uncompressed public key.
pub fn address_of(key: &secp256k1::SecretKey) -> Address {
    address_of_public(&secp256k1::PublicKey::from_secret_key(key))
}

/// A transaction with its signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTransaction {
    /// The signed transaction.
    pub tx: Transaction,
    /// `r ‖ s ‖ v` over [`Transaction::signing_hash`].
    pub signature: Signature65,
}

impl SignedTransaction {
    /// Sign `tx` with `key` (deterministic RFC 6979, low-s). The caller must make
    /// `tx.sender == address_of(key)` or admission rejects it as [`AdmissionError::WrongSigner`].
    pub fn sign(tx: Transaction, key: &secp256k1::SecretKey) -> Self {
        let signature = sign_digest(&tx.signing_hash(), key);
        SignedTransaction { tx, signature }
    }

    /// The transaction hash (the EIP-712 digest).
    pub fn hash(&self) -> Hash {
        self.tx.signing_hash()
    }

    /// Recover the signer and check it is the sender; rejects high-s and malformed signatures.
    pub fn verify_signature(&self) -> Result<(), AdmissionError> {
        self.verify_and_hash().map(|_| ())
    }

    /// [`SignedTransaction::verify_signature`], returning the transaction hash it had to
    /// compute anyway (admission needs both; this hashes once).
    pub fn verify_and_hash(&self) -> Result<Hash, AdmissionError> {
        let hash = self.hash();
        let recovered = recover_signer(&hash, &self.signature)?;
        if recovered != self.tx.sender {
            return Err(AdmissionError::WrongSigner {
                expected: self.tx.sender,
                recovered,
            });
        }
        Ok(hash)
    }

    /// Length of the JSON encoding (what the size limit [`MAX_TX_BYTES`] applies to).
    pub fn encoded_len(&self) -> usize {
        serde_json::to_vec(self)
            .map(|v| v.len())
            .expect("serialising a transaction to JSON cannot fail: no maps with non-string keys")
    }
}

/// Parse a secret key from 32 bytes.
pub fn secret_key_from_bytes(bytes: [u8; 32]) -> Result<secp256k1::SecretKey, AdmissionError> {
    secp256k1::SecretKey::from_secret_bytes(bytes)
        .map_err(|e| AdmissionError::BadSignature(format!("invalid secret key: {e}")))
}

#[cfg(test)]
#[path = "tx_tests.rs"]
mod tests;
