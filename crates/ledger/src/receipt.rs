//! Receipts and typed events. A receipt is produced for every transaction in a block, failed or
//! not; a failed transaction's receipt carries the error and no events.

use crate::identity::ActorKind;
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, Hash, Timestamp, TokenId, amount_str};

#[path = "receipt_leaf.rs"]
mod leaf;

/// Outcome of a transaction. JSON: `"Success"` or `{"Failed": {"error": "…"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxStatus {
    /// Applied.
    Success,
    /// Not applied (only the nonce was consumed).
    Failed {
        /// Why.
        error: String,
    },
}

/// Something that happened (externally tagged JSON like payloads, amounts as strings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// Tokens moved.
    Transfer {
        /// Token.
        token: TokenId,
        /// From.
        from: Address,
        /// To.
        to: Address,
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Tokens created.
    Mint {
        /// Token.
        token: TokenId,
        /// Recipient.
        to: Address,
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Tokens destroyed.
    Burn {
        /// Token.
        token: TokenId,
        /// Holder.
        from: Address,
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// An actor registered.
    ActorRegistered {
        /// Actor address.
        actor: Address,
        /// Kind.
        kind: ActorKind,
    },
    /// An actor changed its metadata.
    ActorUpdated {
        /// Actor address.
        actor: Address,
    },
    /// Stake bonded.
    Bonded {
        /// Staker.
        staker: Address,
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Unbonding started.
    UnbondStarted {
        /// Staker.
        staker: Address,
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
        /// When it can be withdrawn.
        release_at: Timestamp,
    },
    /// Released stake withdrawn to the balance.
    Withdrawn {
        /// Staker.
        staker: Address,
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Stake slashed (and burned).
    Slashed {
        /// Who lost stake.
        validator: Address,
        /// Base units slashed.
        #[serde(with = "amount_str")]
        amount: u128,
        /// Why.
        reason: String,
    },
    // --- validators (issue 7) ---
    /// An account registered (or replaced) its ed25519 p2p key.
    P2pKeyRegistered {
        /// The account.
        account: Address,
        /// The p2p public key (0x-hex).
        #[serde(with = "crate::validators::hex::bytes32")]
        key: [u8; 32],
    },
    /// A validator was slashed for signing two proposals at one (epoch, view).
    DoubleSignSlashed {
        /// The double signer.
        validator: Address,
        /// Epoch of the votes.
        epoch: u64,
        /// View of the votes.
        view: u64,
        /// Base units slashed (burned).
        #[serde(with = "amount_str")]
        amount: u128,
    },
    // --- assets, green (issue 6) ---
    /// A GPU asset, attestation or financing event.
    Asset(crate::assets::AssetEvent),
    /// An energy attestation, report or green index event.
    Green(crate::green::GreenEvent),
    // --- amm + router (issue 5) ---
    /// A pool was created.
    PoolCreated {
        /// Pool id.
        pool: u32,
        /// Lower token id.
        token0: TokenId,
        /// Higher token id.
        token1: TokenId,
        /// Fee in basis points.
        fee_bps: u16,
        /// Who created it.
        creator: Address,
    },
    /// Liquidity deposited; LP shares minted.
    LiquidityAdded {
        /// Pool id.
        pool: u32,
        /// Depositor (receives the shares).
        provider: Address,
        /// token0 deposited.
        #[serde(with = "amount_str")]
        amount0: u128,
        /// token1 deposited.
        #[serde(with = "amount_str")]
        amount1: u128,
        /// LP shares minted.
        #[serde(with = "amount_str")]
        liquidity: u128,
    },
    /// LP shares burned; tokens returned.
    LiquidityRemoved {
        /// Pool id.
        pool: u32,
        /// Who withdrew.
        provider: Address,
        /// token0 returned.
        #[serde(with = "amount_str")]
        amount0: u128,
        /// token1 returned.
        #[serde(with = "amount_str")]
        amount1: u128,
        /// LP shares burned.
        #[serde(with = "amount_str")]
        liquidity: u128,
    },
    /// One pool hop of a swap (as V2's `Swap` event).
    Swap {
        /// Pool id.
        pool: u32,
        /// The transaction sender.
        sender: Address,
        /// token0 in.
        #[serde(with = "amount_str")]
        amount0_in: u128,
        /// token1 in.
        #[serde(with = "amount_str")]
        amount1_in: u128,
        /// token0 out.
        #[serde(with = "amount_str")]
        amount0_out: u128,
        /// token1 out.
        #[serde(with = "amount_str")]
        amount1_out: u128,
        /// Recipient (the next pool's account on a multi-hop path).
        to: Address,
    },
    /// A routed swap (one event for the whole split; the hops emit [`Event::Swap`]).
    RoutedSwap {
        /// Who swapped.
        account: Address,
        /// Token sold.
        from: TokenId,
        /// Token bought.
        to: TokenId,
        /// Amount sold.
        #[serde(with = "amount_str")]
        amount_in: u128,
        /// Amount bought.
        #[serde(with = "amount_str")]
        amount_out: u128,
        /// Routes used.
        routes: u32,
    },
    // --- oracle, treasury, dollar (issue 5) ---
    /// An oracle reporter posted a value.
    OracleReported {
        /// Feed name.
        feed: String,
        /// Reporter.
        reporter: Address,
        /// Reported value (1e18 fixed point).
        #[serde(with = "amount_str")]
        value: u128,
        /// The feed's median after this report.
        #[serde(with = "amount_str")]
        median: u128,
    },
    /// The TBILL NAV accrued.
    NavAccrued {
        /// New NAV per share (1e18 = 1.00).
        #[serde(with = "amount_str")]
        nav: u128,
        /// Whole days accrued.
        days: u64,
        /// Annual yield used (1e18 fixed point).
        #[serde(with = "amount_str")]
        annual_yield: u128,
    },
    /// TBILL shares bought at NAV.
    TbillSubscribed {
        /// Subscriber.
        account: Address,
        /// Asset paid.
        asset: TokenId,
        /// Asset base units paid.
        #[serde(with = "amount_str")]
        amount: u128,
        /// Shares minted.
        #[serde(with = "amount_str")]
        shares: u128,
        /// NAV used.
        #[serde(with = "amount_str")]
        nav: u128,
    },
    /// TBILL shares redeemed at NAV.
    TbillRedeemed {
        /// Redeemer.
        account: Address,
        /// Asset received.
        asset: TokenId,
        /// Shares burned.
        #[serde(with = "amount_str")]
        shares: u128,
        /// Asset base units paid.
        #[serde(with = "amount_str")]
        amount: u128,
        /// NAV used.
        #[serde(with = "amount_str")]
        nav: u128,
    },
    /// AID minted against collateral.
    AidMinted {
        /// Minter.
        account: Address,
        /// Collateral token.
        collateral: TokenId,
        /// Collateral base units deposited.
        #[serde(with = "amount_str")]
        collateral_amount: u128,
        /// AID received.
        #[serde(with = "amount_str")]
        aid: u128,
        /// AID fee to the fee account.
        #[serde(with = "amount_str")]
        fee: u128,
    },
    /// AID redeemed for collateral.
    AidRedeemed {
        /// Redeemer.
        account: Address,
        /// Collateral token.
        collateral: TokenId,
        /// AID given up (fee included).
        #[serde(with = "amount_str")]
        aid: u128,
        /// AID fee to the fee account.
        #[serde(with = "amount_str")]
        fee: u128,
        /// Collateral base units paid.
        #[serde(with = "amount_str")]
        collateral_amount: u128,
    },
    /// A proof-of-reserves snapshot was stored.
    ReservesSnapshot {
        /// Epoch.
        epoch: u64,
        /// State height covered.
        height: u64,
        /// Merkle sum tree root hash.
        root: Hash,
        /// Total AID in the tree.
        #[serde(with = "amount_str")]
        total: u128,
        /// Reserve value.
        #[serde(with = "amount_str")]
        reserve_value: u128,
    },
    // --- end oracle, treasury, dollar ---
    // --- vault, vesting, governance, burn, savings (issue 5) ---
    /// AID deposited into the vault; sAID minted.
    VaultDeposit {
        /// Depositor (receives the shares).
        owner: Address,
        /// AID paid in.
        #[serde(with = "amount_str")]
        assets: u128,
        /// sAID minted.
        #[serde(with = "amount_str")]
        shares: u128,
    },
    /// An exit request locked shares.
    VaultExitRequested {
        /// Owner.
        owner: Address,
        /// Request id.
        id: u64,
        /// Shares locked.
        #[serde(with = "amount_str")]
        shares: u128,
        /// Their value at request time (the most the claim pays).
        #[serde(with = "amount_str")]
        assets: u128,
        /// Claimable from.
        ready_at: Timestamp,
    },
    /// An exit request was paid and its shares burned.
    VaultExitClaimed {
        /// Owner.
        owner: Address,
        /// Request id.
        id: u64,
        /// Shares burned.
        #[serde(with = "amount_str")]
        shares: u128,
        /// AID paid.
        #[serde(with = "amount_str")]
        assets: u128,
    },
    /// Idle AID deployed out of the vault.
    VaultCapitalDeployed {
        /// Recipient.
        to: Address,
        /// AID.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Deployed capital and/or accrued revenue paid back into the vault.
    VaultCapitalReturned {
        /// Payer.
        from: Address,
        /// Principal returned.
        #[serde(with = "amount_str")]
        principal: u128,
        /// Revenue settled.
        #[serde(with = "amount_str")]
        revenue: u128,
    },
    /// Revenue booked: the share price rose.
    VaultRevenue {
        /// AID.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// A loss booked: the share price fell.
    VaultLoss {
        /// AID.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Vested tokens released.
    VestingClaimed {
        /// Beneficiary.
        beneficiary: Address,
        /// Schedule index.
        schedule: u32,
        /// Token.
        token: TokenId,
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// A ve lock was created or increased (amount or unlock time).
    VeLocked {
        /// Owner.
        owner: Address,
        /// Base units added now (0 when only the time changed).
        #[serde(with = "amount_str")]
        added: u128,
        /// Total locked.
        #[serde(with = "amount_str")]
        amount: u128,
        /// Unlock time, seconds (a whole week).
        unlock_time: u64,
    },
    /// An expired ve lock was withdrawn.
    VeWithdrawn {
        /// Owner.
        owner: Address,
        /// Base units returned.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// A governance proposal was made.
    ProposalCreated {
        /// Id.
        id: u64,
        /// Proposer.
        proposer: Address,
        /// Parameter.
        param: String,
        /// New value.
        value: String,
        /// Voting closes.
        voting_ends: Timestamp,
        /// Total ve power at the snapshot.
        #[serde(with = "amount_str")]
        total_power: u128,
    },
    /// A vote was cast.
    Voted {
        /// Proposal.
        id: u64,
        /// Voter.
        voter: Address,
        /// For or against.
        support: bool,
        /// ve power at the snapshot.
        #[serde(with = "amount_str")]
        power: u128,
    },
    /// A passed proposal was applied.
    ProposalExecuted {
        /// Proposal.
        id: u64,
        /// Parameter.
        param: String,
        /// New value.
        value: String,
    },
    /// Protocol fees bought back the protocol token and it was split.
    Buyback {
        /// Fee token sold.
        token: TokenId,
        /// Amount sold.
        #[serde(with = "amount_str")]
        sold: u128,
        /// Protocol token bought.
        #[serde(with = "amount_str")]
        bought: u128,
        /// Burned.
        #[serde(with = "amount_str")]
        burned: u128,
        /// To the community treasury.
        #[serde(with = "amount_str")]
        treasury: u128,
        /// To the sender.
        #[serde(with = "amount_str")]
        caller: u128,
    },
    /// An auto-savings policy was set (share 0 removes it).
    SavingsPolicySet {
        /// Account.
        account: Address,
        /// Target token.
        target: TokenId,
        /// Share of each payment converted, bps.
        share_bps: u32,
        /// Max slippage, bps.
        max_slippage_bps: u32,
        /// Minimum batch.
        #[serde(with = "amount_str")]
        min_batch: u128,
    },
    /// Auto-savings converted part of a payment.
    SavingsConverted {
        /// Account.
        account: Address,
        /// Token sold.
        from: TokenId,
        /// Token bought.
        to: TokenId,
        /// Amount sold (this payment's share plus waiting dust).
        #[serde(with = "amount_str")]
        amount_in: u128,
        /// Amount bought.
        #[serde(with = "amount_str")]
        amount_out: u128,
    },
    /// Auto-savings did not convert (the payment stays as it is).
    SavingsSkipped {
        /// Account.
        account: Address,
        /// Token received.
        token: TokenId,
        /// Amount that waits (dust) or stayed.
        #[serde(with = "amount_str")]
        amount: u128,
        /// Why: `below_min_batch`, `no_route`, `slippage` or another message.
        reason: String,
    },
    // --- end vault, vesting, governance, burn, savings ---
    // --- market/dispute (issue 4) ---
    /// A job was posted and its escrow taken.
    JobPosted {
        /// Job id.
        job: u64,
        /// Buyer.
        buyer: Address,
        /// Payment token.
        token: TokenId,
        /// Escrow.
        #[serde(with = "amount_str")]
        escrow: u128,
        /// Max price.
        #[serde(with = "amount_str")]
        max_price: u128,
        /// Bidding closes.
        bid_close: Timestamp,
        /// Commit deadline.
        deadline: Timestamp,
    },
    /// A bid was placed.
    BidPlaced {
        /// Job id.
        job: u64,
        /// Bidder.
        provider: Address,
        /// Price.
        #[serde(with = "amount_str")]
        price: u128,
    },
    /// The auction matched a provider; its collateral is locked.
    JobAssigned {
        /// Job id.
        job: u64,
        /// Winner.
        provider: Address,
        /// Price.
        #[serde(with = "amount_str")]
        price: u128,
        /// Stake locked.
        #[serde(with = "amount_str")]
        locked: u128,
    },
    /// A result was committed.
    JobCommitted {
        /// Job id.
        job: u64,
        /// Provider.
        provider: Address,
        /// Trace root.
        trace_root: Hash,
        /// Output hash.
        output_hash: Hash,
    },
    /// A job was paid out.
    JobSettled {
        /// Job id.
        job: u64,
        /// Provider.
        provider: Address,
        /// Paid to the provider (price − fee).
        #[serde(with = "amount_str")]
        paid: u128,
        /// Protocol fee.
        #[serde(with = "amount_str")]
        fee: u128,
        /// Refunded to the buyer (escrow − price).
        #[serde(with = "amount_str")]
        refund: u128,
    },
    /// A job expired uncommitted.
    JobExpired {
        /// Job id.
        job: u64,
        /// Refunded escrow.
        #[serde(with = "amount_str")]
        refund: u128,
        /// Provider stake slashed (burned).
        #[serde(with = "amount_str")]
        slashed: u128,
    },
    /// A job was cancelled.
    JobCancelled {
        /// Job id.
        job: u64,
        /// Refunded escrow.
        #[serde(with = "amount_str")]
        refund: u128,
    },
    /// A market reputation score moved.
    ReputationChanged {
        /// Account.
        account: Address,
        /// Change.
        delta: i64,
        /// New score.
        score: i64,
    },
    /// A dispute was opened.
    DisputeOpened {
        /// Dispute id.
        dispute: u64,
        /// Job id.
        job: u64,
        /// Challenger.
        challenger: Address,
        /// Bond.
        #[serde(with = "amount_str")]
        bond: u128,
    },
    /// A bisection round completed.
    DisputeRound {
        /// Dispute id.
        dispute: u64,
        /// Rounds completed.
        round: u32,
        /// Phase after the round.
        phase: String,
        /// Step index (first of the range while bisecting steps).
        step: u64,
        /// First index of the remaining range.
        lo: u64,
        /// Size of the remaining range.
        size: u64,
    },
    /// A dispute was ruled.
    DisputeRuled {
        /// Dispute id.
        dispute: u64,
        /// Job id.
        job: u64,
        /// `Provider`, `Challenger` or `Neither`.
        winner: String,
        /// `replay` or `timeout`.
        reason: String,
        /// Rounds played (ruling included).
        rounds: u32,
        /// Provider stake slashed.
        #[serde(with = "amount_str")]
        slashed: u128,
        /// Paid to the winner.
        #[serde(with = "amount_str")]
        paid: u128,
        /// Burned.
        #[serde(with = "amount_str")]
        burned: u128,
    },
    /// A commit's spot-check draw (see `market::verify`).
    VerifiersSelected {
        /// Job id.
        job: u64,
        /// Seed of the draws.
        seed: Hash,
        /// Selected for a spot check.
        checked: bool,
        /// Drawn verifiers (empty when not checked).
        verifiers: Vec<Address>,
    },
    /// A selected verifier attested a commit.
    JobAttested {
        /// Job id.
        job: u64,
        /// Verifier.
        verifier: Address,
    },
    /// An attesting verifier's share of the fee, paid at settlement in the job's token.
    VerifierPaid {
        /// Job id.
        job: u64,
        /// Verifier.
        verifier: Address,
        /// Amount.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    // --- end market/dispute ---
    // --- capacity, position (issue 6) ---
    /// A capacity-token or capacity-AMM event.
    Capacity(crate::capacity::CapacityEvent),
    /// A position NFT event.
    Position(crate::position::PositionEvent),
}

/// The result of one transaction in a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The transaction hash (EIP-712 digest).
    pub tx_hash: Hash,
    /// Block height.
    pub height: u64,
    /// Position in the block.
    pub index: u32,
    /// Sender.
    pub sender: Address,
    /// The nonce it consumed.
    pub nonce: u64,
    /// Success or the error.
    pub status: TxStatus,
    /// Events (empty when failed).
    pub events: Vec<Event>,
}

impl Receipt {
    /// Leaf hash for the receipts root: `blake3("verity.receipt.v1" ‖ encoding)` where the
    /// encoding is the canonical binary form of `receipt_leaf.rs` (fields in
    /// declaration order, variants by name, addresses and hashes as raw bytes). The JSON form
    /// served by the API is a separate, unchanged representation.
    pub fn leaf_hash(&self) -> Hash {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(b"verity.receipt.v1");
        leaf::encode_into(self, &mut buf)
            .expect("receipts hold only fixed-length sequences (Vec) and no maps");
        Hash(*blake3::hash(&buf).as_bytes())
    }

    /// True if the transaction succeeded.
    pub fn is_success(&self) -> bool {
        self.status == TxStatus::Success
    }
}
