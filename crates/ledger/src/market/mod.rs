//! The `market` module (issue 4): ML jobs with escrow, a reverse auction among staked
//! providers, commits of a `ree` trace root, settlement after a challenge window, expiry and
//! cancellation. Disputes over a commit live in [`dispute`].
//!
//! **Times.** Every window is in milliseconds of block time, relative to the block that
//! includes the `PostJob` (bid window, commit deadline) or the `Commit` (challenge window).
//! Dispute rounds have deadlines in blocks ([`MarketParams::round_blocks`]).
//!
//! **Matching** (reverse auction) happens once the bid window has closed, lazily in the first
//! transaction that touches the job (`Commit`, `Cancel`, `Expire`) or in a permissionless
//! `CloseBidding`: the lowest price wins; equal prices go to the higher market reputation, then
//! to the earlier bid. A winner must still have free bonded stake ≥ collateral (price ×
//! `collateral_factor_bps` / 10 000, rounded up); a bidder without it is skipped. The
//! collateral is then *locked* (unbonding it is refused) until the job settles, expires or is
//! slashed. A job whose bids all fail (or that got none) stays open until its deadline and can
//! be cancelled or expired.
//!
//! **Money.** The buyer's escrow (≥ max price) sits in [`market_account`]. `Settle` (anyone,
//! after the challenge window, no dispute open) pays the provider price − fee (fee =
//! price × `fee_bps` / 10 000 rounded up, to [`crate::burn::fee_account`]) through the
//! provider's auto-savings policy, and refunds escrow − price to the buyer. `Expire` (anyone,
//! after the deadline, nothing committed) refunds the whole escrow; an assigned provider that
//! never committed loses `expire_slash_bps` of its locked collateral (burned) and one point of
//! reputation.
//!
//! **Reputation** is a score held by this module (signed, starts at 0): +1 per settled job, −1
//! per expiry while assigned, −5 per lost dispute. It only breaks price ties.
//!
//! **Parameters** ([`params`]) come from the genesis `[market]` section (defaults
//! [`MarketParams::DEFAULT`]) and change only through governance.
//!
//! **Verifiers** are drawn at each `Commit` ([`verify`]): the job's `selection` records the
//! seed, the spot-check roll, the drawn verifiers and their `Attest`s; attesting verifiers share
//! `verifier_fee_share_bps` of the fee at `Settle`.
//!
//! **Invariant** ([`check_invariants`]): for every token, the market account's balance = Σ
//! escrow of unfinished jobs in that token (+ Σ open dispute bonds for the staking token), and
//! every provider's locked stake = Σ collateral of its unfinished assigned jobs.

pub mod dispute;
pub mod params;
pub mod verify;

pub use params::{MarketParams, params};

use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::{Exec, State, Store};
use crate::{staking, tokens};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use verity_primitives::math::{self, Rounding, mul_div};
use verity_primitives::{Address, Hash, Timestamp, TokenId, amount_str};

/// Prefix of the market module's keys: `0x60 'j' ‖ id u64` job (JSON), `0x60 'n'` job count,
/// `0x60 'l' ‖ address` locked stake u128, `0x60 'r' ‖ address` reputation i64, `0x60 'c'`
/// parameters (JSON).
pub const PREFIX: u8 = 0x60;

/// Most bytes of a job's device class.
pub const MAX_DEVICE_CLASS: usize = 32;

/// The account holding escrow and dispute bonds: last 20 bytes of keccak("verity/module/market").
pub fn market_account() -> Address {
    let h = Hash::keccak(b"verity/module/market");
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.0[12..]);
    Address(a)
}

/// What a buyer asks for (the `PostJob` payload).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobTerms {
    /// keccak/blake3 hash of the job spec (content store key).
    pub spec_hash: Hash,
    /// Hashes of the data files.
    pub data_hashes: Vec<Hash>,
    /// Payment token.
    pub token: TokenId,
    /// Most the buyer pays.
    #[serde(with = "amount_str")]
    pub max_price: u128,
    /// Escrow deposited now (≥ max price).
    #[serde(with = "amount_str")]
    pub escrow: u128,
    /// Required device class (free text, e.g. `cpu`).
    pub device_class: String,
    /// Least cores.
    pub min_cores: u32,
    /// Least memory, MiB.
    pub min_memory_mb: u64,
    /// Probability a commit is spot-checked, bps.
    pub spot_check_bps: u32,
    /// Challenge window after the commit, ms.
    pub challenge_window_ms: u64,
    /// Bid window after posting, ms.
    pub bid_window_ms: u64,
    /// Commit deadline after posting, ms (> bid window).
    pub deadline_ms: u64,
}

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStatus {
    /// Taking bids (or matched to nobody yet).
    Open,
    /// A provider won and must commit by the deadline.
    Assigned,
    /// Result committed; challenge window running.
    Committed,
    /// A dispute is running.
    Disputed,
    /// Paid out.
    Settled,
    /// Refunded after the deadline.
    Expired,
    /// Cancelled by the buyer.
    Cancelled,
    /// The provider lost a dispute; escrow refunded.
    Slashed,
}

impl JobStatus {
    /// True while the job still holds escrow.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            JobStatus::Open | JobStatus::Assigned | JobStatus::Committed | JobStatus::Disputed
        )
    }
}

/// One bid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidEntry {
    /// Bidder.
    pub provider: Address,
    /// Asked price.
    #[serde(with = "amount_str")]
    pub price: u128,
}

/// A provider's commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// Hash of the outputs.
    pub output_hash: Hash,
    /// `ree` trace root (blake3 Merkle root over step hashes).
    pub trace_root: Hash,
    /// Steps in the trace.
    pub steps: u64,
    /// Leaves per step (inputs + ops + state leaf; fixed by the job's graph).
    pub ops_per_step: u64,
    /// `ree` receipt version.
    pub receipt_version: u32,
    /// When it was committed.
    pub at: Timestamp,
}

/// A job as stored and served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Id (sequential from 0).
    pub id: u64,
    /// Who pays.
    pub buyer: Address,
    /// The terms.
    pub terms: JobTerms,
    /// Bidding ends at this block time.
    pub bid_close: Timestamp,
    /// Commit deadline.
    pub deadline: Timestamp,
    /// Status.
    pub status: JobStatus,
    /// Bids in arrival order.
    pub bids: Vec<BidEntry>,
    /// Winning provider.
    pub provider: Option<Address>,
    /// Winning price.
    #[serde(with = "amount_str")]
    pub price: u128,
    /// Provider stake locked for this job.
    #[serde(with = "amount_str")]
    pub locked: u128,
    /// The commit.
    pub commit: Option<CommitInfo>,
    /// Disputes opened on this job, in order.
    pub disputes: Vec<u64>,
    /// The verifier draw made at the commit ([`verify`]); `None` before the commit.
    #[serde(default)]
    pub selection: Option<verify::Selection>,
}

fn job_key(id: u64) -> Vec<u8> {
    let mut k = vec![PREFIX, b'j'];
    k.extend_from_slice(&id.to_be_bytes());
    k
}
const COUNT_KEY: &[u8] = &[PREFIX, b'n'];
fn addr_key(tag: u8, a: &Address) -> Vec<u8> {
    let mut k = vec![PREFIX, tag];
    k.extend_from_slice(&a.0);
    k
}

pub(crate) fn err(m: impl Into<String>) -> LedgerError {
    LedgerError::Market(m.into())
}

/// Read job `id`.
pub fn job(s: &impl Store, id: u64) -> Result<Option<Job>, LedgerError> {
    match s.get(&job_key(id)) {
        None => Ok(None),
        Some(v) => serde_json::from_slice(v)
            .map(Some)
            .map_err(|e| LedgerError::Corrupt(format!("market job {id}: {e}"))),
    }
}

pub(crate) fn load(s: &impl Store, id: u64) -> Result<Job, LedgerError> {
    job(s, id)?.ok_or_else(|| err(format!("no job {id}")))
}

pub(crate) fn save(ex: &mut Exec<'_>, j: &Job) {
    let v = serde_json::to_vec(j).expect("a job always serialises");
    ex.put(&job_key(j.id), Some(v));
}

/// Number of jobs ever posted.
pub fn job_count(s: &impl Store) -> Result<u64, LedgerError> {
    match s.get(COUNT_KEY) {
        None => Ok(0),
        Some(v) => crate::state::keys::decode_u64(v, "market job count"),
    }
}

/// Stake of `a` locked by assigned jobs.
pub fn locked(s: &impl Store, a: &Address) -> Result<u128, LedgerError> {
    match s.get(&addr_key(b'l', a)) {
        None => Ok(0),
        Some(v) => crate::state::keys::decode_u128(v, "market locked stake"),
    }
}

fn set_locked(ex: &mut Exec<'_>, a: &Address, v: u128) {
    ex.put(
        &addr_key(b'l', a),
        (v > 0).then(|| v.to_be_bytes().to_vec()),
    );
}

/// Market reputation of `a` (0 when unknown).
pub fn reputation(s: &impl Store, a: &Address) -> Result<i64, LedgerError> {
    match s.get(&addr_key(b'r', a)) {
        None => Ok(0),
        Some(v) => {
            let b: [u8; 8] = v
                .try_into()
                .map_err(|_| LedgerError::Corrupt("market reputation".into()))?;
            Ok(i64::from_be_bytes(b))
        }
    }
}

pub(crate) fn add_reputation(ex: &mut Exec<'_>, a: &Address, d: i64) -> Result<(), LedgerError> {
    let r = reputation(ex, a)?.saturating_add(d);
    ex.put(&addr_key(b'r', a), Some(r.to_be_bytes().to_vec()));
    ex.emit(Event::ReputationChanged {
        account: *a,
        delta: d,
        score: r,
    });
    Ok(())
}

/// Collateral for a price at `factor_bps` (`collateral_factor_bps`).
pub fn collateral(price: u128, factor_bps: u32) -> Result<u128, LedgerError> {
    Ok(mul_div(
        price,
        u128::from(factor_bps),
        10_000,
        Rounding::Up,
    )?)
}

fn free_stake(s: &impl Store, a: &Address) -> Result<u128, LedgerError> {
    // capacity (issue 6): stake backing capacity tokens is not free either.
    crate::capacity::free_stake(s, a)
}

/// Release `amount` of `a`'s lock.
pub(crate) fn unlock(ex: &mut Exec<'_>, a: &Address, amount: u128) -> Result<(), LedgerError> {
    let l = locked(ex, a)?;
    set_locked(ex, a, l.saturating_sub(amount));
    Ok(())
}

/// `PostJob` handler.
pub(crate) fn post_job(
    ex: &mut Exec<'_>,
    sender: &Address,
    t: &JobTerms,
) -> Result<(), LedgerError> {
    let p = params(ex)?;
    if t.max_price == 0 {
        return Err(err("max price must be positive"));
    }
    if t.escrow < t.max_price {
        return Err(err(format!(
            "escrow {} is below the max price {}",
            t.escrow, t.max_price
        )));
    }
    if t.spot_check_bps > 10_000 {
        return Err(err("spot-check probability is above 10000 bps"));
    }
    if t.bid_window_ms == 0 || t.challenge_window_ms == 0 || t.deadline_ms <= t.bid_window_ms {
        return Err(err(
            "bid and challenge windows must be positive and the deadline after the bid window",
        ));
    }
    if t.data_hashes.len() > p.max_data_hashes || t.device_class.len() > MAX_DEVICE_CLASS {
        return Err(err(format!(
            "at most {} data hashes and a device class of {MAX_DEVICE_CLASS} bytes",
            p.max_data_hashes
        )));
    }
    tokens::token_info(ex, t.token)?;
    let overflow = || LedgerError::Math(verity_primitives::MathError::Overflow);
    let bid_close = ex
        .now
        .checked_add_ms(t.bid_window_ms)
        .ok_or_else(overflow)?;
    let deadline = ex.now.checked_add_ms(t.deadline_ms).ok_or_else(overflow)?;
    tokens::move_balance(ex, sender, &market_account(), t.token, t.escrow)?;
    let id = job_count(ex)?;
    ex.put(
        COUNT_KEY,
        Some(
            id.checked_add(1)
                .ok_or_else(overflow)?
                .to_be_bytes()
                .to_vec(),
        ),
    );
    let j = Job {
        id,
        buyer: *sender,
        terms: t.clone(),
        bid_close,
        deadline,
        status: JobStatus::Open,
        bids: Vec::new(),
        provider: None,
        price: 0,
        locked: 0,
        commit: None,
        disputes: Vec::new(),
        selection: None,
    };
    save(ex, &j);
    ex.emit(Event::JobPosted {
        job: id,
        buyer: *sender,
        token: t.token,
        escrow: t.escrow,
        max_price: t.max_price,
        bid_close,
        deadline,
    });
    Ok(())
}

/// `Bid` handler.
pub(crate) fn bid(
    ex: &mut Exec<'_>,
    sender: &Address,
    id: u64,
    price: u128,
) -> Result<(), LedgerError> {
    let mut j = load(ex, id)?;
    if j.status != JobStatus::Open || ex.now >= j.bid_close {
        return Err(err(format!("job {id} is not taking bids")));
    }
    if *sender == j.buyer {
        return Err(err("the buyer cannot bid on its own job"));
    }
    if price == 0 || price > j.terms.max_price {
        return Err(err(format!(
            "price {price} must be in 1..={}",
            j.terms.max_price
        )));
    }
    if j.bids.iter().any(|b| b.provider == *sender) {
        return Err(err(format!("{sender} already bid on job {id}")));
    }
    let p = params(ex)?;
    if j.bids.len() >= p.max_bids {
        return Err(err(format!("job {id} has the most bids it takes")));
    }
    let need = collateral(price, p.collateral_factor_bps)?;
    let free = free_stake(ex, sender)?;
    if free < need {
        return Err(LedgerError::InsufficientStake {
            bonded: free,
            requested: need,
        });
    }
    j.bids.push(BidEntry {
        provider: *sender,
        price,
    });
    save(ex, &j);
    ex.emit(Event::BidPlaced {
        job: id,
        provider: *sender,
        price,
    });
    Ok(())
}

/// Match `j` if its bid window has closed (see the module doc). Returns true if it matched now.
pub(crate) fn close_if_due(ex: &mut Exec<'_>, j: &mut Job) -> Result<bool, LedgerError> {
    if j.status != JobStatus::Open || ex.now < j.bid_close || j.bids.is_empty() {
        return Ok(false);
    }
    let factor = params(ex)?.collateral_factor_bps;
    let mut order: Vec<(u128, i64, usize)> = Vec::with_capacity(j.bids.len());
    for (i, b) in j.bids.iter().enumerate() {
        order.push((b.price, reputation(ex, &b.provider)?, i));
    }
    order.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    for (price, _, i) in order {
        let provider = j.bids[i].provider;
        if !crate::green::may_serve(ex, j.id, &provider)? {
            continue; // below the job's minimum green share (issue 6)
        }
        let need = collateral(price, factor)?;
        if free_stake(ex, &provider)? < need {
            continue;
        }
        let l = math::checked_add(locked(ex, &provider)?, need)?;
        set_locked(ex, &provider, l);
        j.status = JobStatus::Assigned;
        j.provider = Some(provider);
        j.price = price;
        j.locked = need;
        ex.emit(Event::JobAssigned {
            job: j.id,
            provider,
            price,
            locked: need,
        });
        return Ok(true);
    }
    // Nobody qualifies any more: the job stays open without bids.
    j.bids.clear();
    Ok(false)
}

/// `CloseBidding` handler (anyone).
pub(crate) fn close_bidding(ex: &mut Exec<'_>, id: u64) -> Result<(), LedgerError> {
    let mut j = load(ex, id)?;
    if j.status != JobStatus::Open {
        return Err(err(format!("job {id} is not open")));
    }
    if ex.now < j.bid_close {
        return Err(err(format!(
            "job {id} takes bids until {} (now {})",
            j.bid_close, ex.now
        )));
    }
    if j.bids.is_empty() {
        return Err(err(format!("job {id} has no bids to match")));
    }
    close_if_due(ex, &mut j)?;
    save(ex, &j);
    Ok(())
}

/// The `Commit` payload's result fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitArgs {
    /// Hash of the outputs.
    pub output_hash: Hash,
    /// Trace root.
    pub trace_root: Hash,
    /// Steps (≥ 2).
    pub steps: u64,
    /// Leaves per step (≥ 2).
    pub ops_per_step: u64,
    /// Receipt version.
    pub receipt_version: u32,
}

/// `Commit` handler (only the assigned provider, by the deadline).
pub(crate) fn commit(
    ex: &mut Exec<'_>,
    sender: &Address,
    id: u64,
    c: &CommitArgs,
) -> Result<(), LedgerError> {
    let mut j = load(ex, id)?;
    let matched = close_if_due(ex, &mut j)?;
    if j.status != JobStatus::Assigned || j.provider != Some(*sender) {
        return Err(err(format!("job {id} is not assigned to {sender}")));
    }
    if ex.now > j.deadline {
        return Err(err(format!(
            "job {id}'s deadline {} has passed",
            j.deadline
        )));
    }
    if c.steps < 2 || c.ops_per_step < 2 {
        return Err(err("a commit needs at least 2 steps and 2 leaves per step"));
    }
    let _ = matched;
    j.commit = Some(CommitInfo {
        output_hash: c.output_hash,
        trace_root: c.trace_root,
        steps: c.steps,
        ops_per_step: c.ops_per_step,
        receipt_version: c.receipt_version,
        at: ex.now,
    });
    j.status = JobStatus::Committed;
    ex.emit(Event::JobCommitted {
        job: id,
        provider: *sender,
        trace_root: c.trace_root,
        output_hash: c.output_hash,
    });
    verify::select(ex, &mut j)?;
    save(ex, &j);
    Ok(())
}

/// When `j`'s challenge window ends.
pub fn challenge_end(j: &Job) -> Option<Timestamp> {
    j.commit
        .as_ref()
        .and_then(|c| c.at.checked_add_ms(j.terms.challenge_window_ms))
}

/// `Settle` handler (anyone, after the challenge window, no dispute running).
pub(crate) fn settle(ex: &mut Exec<'_>, id: u64) -> Result<(), LedgerError> {
    let mut j = load(ex, id)?;
    if j.status != JobStatus::Committed {
        return Err(err(format!(
            "job {id} is {:?}, not committed and undisputed",
            j.status
        )));
    }
    let end = challenge_end(&j).ok_or_else(|| err("challenge window overflows"))?;
    if ex.now < end {
        return Err(err(format!(
            "job {id}'s challenge window runs until {end} (now {})",
            ex.now
        )));
    }
    let provider = j
        .provider
        .ok_or_else(|| err("committed job without provider"))?;
    let token = j.terms.token;
    let p = params(ex)?;
    let fee = mul_div(j.price, u128::from(p.fee_bps), 10_000, Rounding::Up)?;
    let (each, attesters) = verify::verifier_pay(&j, fee, p.verifier_fee_share_bps)?;
    let paid = math::checked_sub(j.price, fee)?;
    let refund = math::checked_sub(j.terms.escrow, j.price)?;
    let m = market_account();
    // assets/green (issue 6): financier share of a financed asset's revenue to the vault.
    let paid = crate::assets::settle_hook(ex, &j, paid)?;
    // position (issue 6): the holder of the job's position NFT is paid, not the provider.
    let payee = crate::position::payee(ex, id, &provider)?;
    if paid > 0 {
        tokens::move_balance(ex, &m, &payee, token, paid)?;
    }
    let mut to_fee_account = fee;
    for v in &attesters {
        if each > 0 {
            tokens::move_balance(ex, &m, v, token, each)?;
            to_fee_account = math::checked_sub(to_fee_account, each)?;
        }
        ex.emit(Event::VerifierPaid {
            job: id,
            verifier: *v,
            amount: each,
        });
    }
    if to_fee_account > 0 {
        tokens::move_balance(ex, &m, &crate::burn::fee_account(), token, to_fee_account)?;
    }
    if refund > 0 {
        tokens::move_balance(ex, &m, &j.buyer, token, refund)?;
    }
    unlock(ex, &provider, j.locked)?;
    j.status = JobStatus::Settled;
    save(ex, &j);
    ex.emit(Event::JobSettled {
        job: id,
        provider,
        paid,
        fee,
        refund,
    });
    add_reputation(ex, &provider, 1)?;
    crate::savings::apply_auto_savings(ex, &payee, token, paid)?;
    Ok(())
}

/// `Expire` handler (anyone, after the deadline, nothing committed).
pub(crate) fn expire(ex: &mut Exec<'_>, id: u64) -> Result<(), LedgerError> {
    let mut j = load(ex, id)?;
    close_if_due(ex, &mut j)?;
    if !matches!(j.status, JobStatus::Open | JobStatus::Assigned) {
        return Err(err(format!(
            "job {id} is {:?}; only uncommitted jobs expire",
            j.status
        )));
    }
    if ex.now <= j.deadline {
        return Err(err(format!(
            "job {id}'s deadline {} has not passed",
            j.deadline
        )));
    }
    let refund = j.terms.escrow;
    tokens::move_balance(ex, &market_account(), &j.buyer, j.terms.token, refund)?;
    let mut slashed = 0;
    if let Some(p) = j.provider {
        let amount = mul_div(
            j.locked,
            u128::from(params(ex)?.expire_slash_bps),
            10_000,
            Rounding::Up,
        )?;
        slashed = staking::slash(ex, &p, amount, "market: missed the commit deadline")?;
        unlock(ex, &p, j.locked)?;
        add_reputation(ex, &p, -1)?;
    }
    j.status = JobStatus::Expired;
    save(ex, &j);
    ex.emit(Event::JobExpired {
        job: id,
        refund,
        slashed,
    });
    Ok(())
}

/// `Cancel` handler (the buyer, before assignment).
pub(crate) fn cancel(ex: &mut Exec<'_>, sender: &Address, id: u64) -> Result<(), LedgerError> {
    let mut j = load(ex, id)?;
    if j.buyer != *sender {
        return Err(err(format!("only the buyer may cancel job {id}")));
    }
    close_if_due(ex, &mut j)?;
    if j.status != JobStatus::Open {
        return Err(err(format!(
            "job {id} is {:?}; only open jobs cancel",
            j.status
        )));
    }
    let refund = j.terms.escrow;
    tokens::move_balance(ex, &market_account(), sender, j.terms.token, refund)?;
    j.status = JobStatus::Cancelled;
    save(ex, &j);
    ex.emit(Event::JobCancelled { job: id, refund });
    Ok(())
}

/// Every job, in id order (read view for the API).
pub fn jobs(s: &State) -> Result<Vec<Job>, LedgerError> {
    let mut out = Vec::new();
    for (k, v) in s.scan(PREFIX) {
        if k.len() == 10 && k[1] == b'j' {
            out.push(
                serde_json::from_slice(v)
                    .map_err(|e| LedgerError::Corrupt(format!("market job: {e}")))?,
            );
        }
    }
    Ok(out)
}

/// The escrow and lock invariants (module doc).
pub(crate) fn check_invariants(s: &State) -> Result<(), LedgerError> {
    let mut held: BTreeMap<TokenId, u128> = BTreeMap::new();
    let mut locks: BTreeMap<Address, u128> = BTreeMap::new();
    for j in jobs(s)? {
        if j.status.is_live() {
            let e = held.entry(j.terms.token).or_insert(0);
            *e = math::checked_add(*e, j.terms.escrow)?;
            if let Some(p) = j.provider {
                let l = locks.entry(p).or_insert(0);
                *l = math::checked_add(*l, j.locked)?;
            }
        }
    }
    let st = s.params().staking_token;
    for d in dispute::disputes(s)? {
        if d.outcome.is_none() {
            let e = held.entry(st).or_insert(0);
            *e = math::checked_add(*e, d.bond)?;
        }
    }
    let m = market_account();
    for (k, _) in s.scan(crate::state::keys::BALANCE) {
        if let Some((a, t)) = crate::state::keys::parse_balance_key(k)
            && a == m
        {
            held.entry(t).or_insert(0);
        }
    }
    for (t, want) in held {
        let have = tokens::balance(s, &m, t)?;
        if have != want {
            return Err(LedgerError::Invariant(format!(
                "market holds {have} of token {} but open jobs and bonds account for {want}",
                t.0
            )));
        }
    }
    for (k, v) in s.scan(PREFIX) {
        if k.len() == 22 && k[1] == b'l' {
            let mut a = [0u8; 20];
            a.copy_from_slice(&k[2..]);
            let a = Address(a);
            let have = crate::state::keys::decode_u128(v, "market locked stake")?;
            let want = locks.remove(&a).unwrap_or(0);
            if have != want {
                return Err(LedgerError::Invariant(format!(
                    "{a} has {have} stake locked but its assigned jobs lock {want}"
                )));
            }
        }
    }
    if let Some((a, l)) = locks.into_iter().find(|(_, l)| *l > 0) {
        return Err(LedgerError::Invariant(format!(
            "{a}'s jobs lock {l} but no lock is recorded"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
