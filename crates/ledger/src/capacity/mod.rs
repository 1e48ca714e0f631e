//! The `capacity` module (issue 6): pooled GPU-hours as fungible, expiring tokens.
//!
//! **Slots.** A provider mints capacity tokens for a (device class, slot start hour), e.g.
//! `H100-2026-12-01T10`: one registered token per slot (6 decimals; 1 token = one GPU-hour =
//! [`ONE_HOUR`] base units), id [`TOKEN_BASE`] + n, mint authority the module account
//! ([`capacity_account`]) so nobody else can mint it. Every provider's tokens of a slot are the
//! same token (pooled). A slot lasts [`SLOT_MS`] from its start.
//!
//! **Backing.** Minting locks `⌈minted × stake_per_gpu_hour / ONE_HOUR⌉` of the provider's
//! bonded stake ([`CapacityParams`]); minting beyond the free stake (bonded − market locks −
//! capacity locks) is refused. Locked stake cannot be unbonded and cannot back market bids.
//!
//! **Redemption** (`RedeemCapacity`, the buyer of an open job, only while the slot runs
//! `[start, start + 1 h)`): burns the buyer's tokens and assigns the job to the provider with
//! the most unredeemed tokens in that slot (ties: lowest address) at price 0 — the tokens
//! prepaid it, so the job's escrow is refunded in full at settlement. The job's device class
//! must equal the slot's and its commit deadline must fall inside the slot.
//!
//! **Expiry** (`ExpireSlot`, anyone, once the slot has ended): every remaining token of the
//! slot is burned (wherever it is, the capacity AMM's reserve included); each provider whose
//! redeemed jobs were not committed is slashed `⌈unserved × stake_per_gpu_hour / ONE_HOUR⌉`
//! (at most its lock for the slot, burned); all other locked stake of the slot is released.
//!
//! **Invariants** ([`check_invariants`]): per slot Σ backings = slot totals, supply ≤ minted −
//! redeemed (0 once expired), each live backing locks exactly its formula; each provider's
//! capacity lock = Σ its live backings' locks; the AMM's invariants ([`pool::check_invariants`]).

pub mod fixed;
pub mod hours;
mod invariants;
mod params;
pub mod pool;
mod pool_invariants;
#[cfg(test)]
mod pool_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
pub mod tx;
pub mod view;

pub use hours::{hour_label, parse_hour, parse_symbol};
pub(crate) use invariants::check_invariants;
pub(crate) use params::init_genesis;
pub use params::params;
pub use tx::{CapacityEvent, CapacityTx};

use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::{Exec, State, Store};
use crate::tokens::{self, TokenInfo};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use verity_primitives::math::{self, Rounding, mul_div};
use verity_primitives::{Address, Hash, Timestamp, TokenId, amount_str};

/// Prefix of the capacity module's keys: `0x80 's' ‖ token u32` slot (JSON), `0x80 'i' ‖ start
/// u64 ‖ class` token index, `0x80 'n'` slot count, `0x80 'l' ‖ address` locked stake u128;
/// `0x80 'p'`/`'q'` the AMM ([`pool`]).
pub const PREFIX: u8 = 0x80;
/// Capacity token ids are `TOKEN_BASE + n` (far above genesis token ids).
pub const TOKEN_BASE: u32 = 0xCA00_0000;
/// Base units of one GPU-hour (tokens have 6 decimals).
pub const ONE_HOUR: u128 = 1_000_000;
/// Decimals of capacity tokens.
pub const DECIMALS: u8 = 6;
/// Length of a slot, ms (one hour); slot starts are multiples of it.
pub const SLOT_MS: u64 = 3_600_000;
/// Most bytes of a device class (as the market's).
pub const MAX_CLASS: usize = crate::market::MAX_DEVICE_CLASS;
/// Most providers backing one slot.
pub const MAX_PROVIDERS: usize = 64;
/// Most redemptions of one slot.
pub const MAX_REDEMPTIONS: usize = 256;

/// Capacity parameters (set at genesis by the `[capacity]` section, every field optional;
/// stored at `0x80 'c'` as JSON, absent = [`CapacityParams::DEFAULT`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CapacityParams {
    /// Staking-token base units locked per whole GPU-hour minted.
    #[serde(with = "amount_str")]
    pub stake_per_gpu_hour: u128,
    /// Furthest ahead a slot may start, ms.
    pub max_horizon_ms: u64,
}

impl CapacityParams {
    /// The defaults: 10 VTY per GPU-hour, slots up to 400 days ahead.
    pub const DEFAULT: CapacityParams = CapacityParams {
        stake_per_gpu_hour: 10_000_000_000_000_000_000,
        max_horizon_ms: 400 * 24 * SLOT_MS,
    };
}

/// One provider's tokens in a slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backing {
    /// The provider.
    pub provider: Address,
    /// Tokens it minted.
    #[serde(with = "amount_str")]
    pub minted: u128,
    /// Of which redeemed by jobs assigned to it.
    #[serde(with = "amount_str")]
    pub redeemed: u128,
    /// Stake it has locked for this slot (0 once expired).
    #[serde(with = "amount_str")]
    pub locked: u128,
}

/// One redemption: a job assigned to a provider against `amount` tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    /// Market job id.
    pub job: u64,
    /// Who must serve it.
    pub provider: Address,
    /// Tokens burned for it.
    #[serde(with = "amount_str")]
    pub amount: u128,
}

/// A (device class, hour) slot and its token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// The slot's token.
    pub token: TokenId,
    /// Token symbol, `CLASS-YYYY-MM-DDTHH` (UTC).
    pub symbol: String,
    /// Device class (as in a job's terms).
    pub device_class: String,
    /// Slot start (block time, ms).
    pub start: Timestamp,
    /// Slot end (start + 1 h).
    pub end: Timestamp,
    /// Tokens minted.
    #[serde(with = "amount_str")]
    pub minted: u128,
    /// Tokens redeemed (burned by jobs).
    #[serde(with = "amount_str")]
    pub redeemed: u128,
    /// True once `ExpireSlot` ran.
    pub expired: bool,
    /// Backings, in first-mint order.
    pub backings: Vec<Backing>,
    /// Redemptions, in order.
    pub redemptions: Vec<Redemption>,
}

/// The module account: mint authority of every capacity token (no key exists for it).
pub fn capacity_account() -> Address {
    module_address(b"verity/module/capacity")
}

pub(crate) fn module_address(seed: &[u8]) -> Address {
    let h = Hash::keccak(seed);
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.0[12..]);
    Address(a)
}

pub(crate) fn err(m: impl Into<String>) -> LedgerError {
    LedgerError::Capacity(m.into())
}

fn slot_key(t: TokenId) -> Vec<u8> {
    let mut k = vec![PREFIX, b's'];
    k.extend_from_slice(&t.0.to_be_bytes());
    k
}
fn index_key(class: &str, start: Timestamp) -> Vec<u8> {
    let mut k = vec![PREFIX, b'i'];
    k.extend_from_slice(&start.0.to_be_bytes());
    k.extend_from_slice(class.as_bytes());
    k
}
const COUNT_KEY: &[u8] = &[PREFIX, b'n'];
fn lock_key(a: &Address) -> Vec<u8> {
    let mut k = vec![PREFIX, b'l'];
    k.extend_from_slice(&a.0);
    k
}

/// Slot of capacity token `t`, if it is one.
pub fn slot(s: &impl Store, t: TokenId) -> Result<Option<Slot>, LedgerError> {
    match s.get(&slot_key(t)) {
        None => Ok(None),
        Some(v) => serde_json::from_slice(v)
            .map(Some)
            .map_err(|e| LedgerError::Corrupt(format!("capacity slot {t}: {e}"))),
    }
}

pub(crate) fn load(s: &impl Store, t: TokenId) -> Result<Slot, LedgerError> {
    slot(s, t)?.ok_or_else(|| err(format!("token {t} is not a capacity token")))
}

fn save(ex: &mut Exec<'_>, sl: &Slot) {
    let v = serde_json::to_vec(sl).expect("a slot always serialises");
    ex.put(&slot_key(sl.token), Some(v));
}

/// The token of (class, start), if minted before.
pub fn token_of(
    s: &impl Store,
    class: &str,
    start: Timestamp,
) -> Result<Option<TokenId>, LedgerError> {
    match s.get(&index_key(class, start)) {
        None => Ok(None),
        Some(v) => {
            let b: [u8; 4] = v
                .try_into()
                .map_err(|_| LedgerError::Corrupt("capacity index".into()))?;
            Ok(Some(TokenId(u32::from_be_bytes(b))))
        }
    }
}

/// Stake of `a` locked by capacity backings.
pub fn locked(s: &impl Store, a: &Address) -> Result<u128, LedgerError> {
    match s.get(&lock_key(a)) {
        None => Ok(0),
        Some(v) => crate::state::keys::decode_u128(v, "capacity locked stake"),
    }
}

fn set_locked(ex: &mut Exec<'_>, a: &Address, v: u128) {
    ex.put(&lock_key(a), (v > 0).then(|| v.to_be_bytes().to_vec()));
}

/// Stake `minted` tokens must lock: `⌈minted × stake_per_gpu_hour / ONE_HOUR⌉`.
pub fn stake_for(s: &impl Store, minted: u128) -> Result<u128, LedgerError> {
    Ok(mul_div(
        minted,
        params(s)?.stake_per_gpu_hour,
        ONE_HOUR,
        Rounding::Up,
    )?)
}

/// Bonded stake of `a` not locked by the market or by capacity.
pub fn free_stake(s: &impl Store, a: &Address) -> Result<u128, LedgerError> {
    let bonded = crate::staking::stake_record(s, a)?.bonded;
    let used = math::checked_add(crate::market::locked(s, a)?, locked(s, a)?)?;
    Ok(bonded.saturating_sub(used))
}

/// Check a device class: 1..=32 ASCII letters or digits (so the symbol parses back).
pub fn check_class(class: &str) -> Result<(), LedgerError> {
    if class.is_empty()
        || class.len() > MAX_CLASS
        || !class.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(err(format!(
            "device class {class:?}: use 1-{MAX_CLASS} ASCII letters or digits"
        )));
    }
    Ok(())
}

/// `MintCapacity` handler.
pub(crate) fn mint(
    ex: &mut Exec<'_>,
    sender: &Address,
    class: &str,
    start: Timestamp,
    amount: u128,
) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    check_class(class)?;
    if !start.0.is_multiple_of(SLOT_MS) {
        return Err(err(format!("slot start {start} is not a whole UTC hour")));
    }
    if start <= ex.now {
        return Err(err(format!("slot {} has already begun", hour_label(start))));
    }
    let horizon = params(ex)?.max_horizon_ms;
    if start.0 - ex.now.0 > horizon {
        return Err(err(format!(
            "slot {} is more than {} days ahead",
            hour_label(start),
            horizon / 86_400_000
        )));
    }
    let mut sl = match token_of(ex, class, start)? {
        Some(t) => load(ex, t)?,
        None => new_slot(ex, class, start)?,
    };
    let i = match sl.backings.iter().position(|b| b.provider == *sender) {
        Some(i) => i,
        None => {
            if sl.backings.len() >= MAX_PROVIDERS {
                return Err(err(format!(
                    "slot {} has {MAX_PROVIDERS} providers",
                    sl.symbol
                )));
            }
            sl.backings.push(Backing {
                provider: *sender,
                minted: 0,
                redeemed: 0,
                locked: 0,
            });
            sl.backings.len() - 1
        }
    };
    let b = &mut sl.backings[i];
    let minted = math::checked_add(b.minted, amount)?;
    let need = stake_for(ex, minted)?;
    let delta = need - b.locked; // need ≥ locked: stake_for is monotone in minted
    let free = free_stake(ex, sender)?;
    if free < delta {
        return Err(LedgerError::InsufficientStake {
            bonded: free,
            requested: delta,
        });
    }
    b.minted = minted;
    b.locked = need;
    sl.minted = math::checked_add(sl.minted, amount)?;
    let l = math::checked_add(locked(ex, sender)?, delta)?;
    set_locked(ex, sender, l);
    tokens::mint_unchecked(ex, sl.token, sender, amount)?;
    save(ex, &sl);
    ex.emit(Event::Mint {
        token: sl.token,
        to: *sender,
        amount,
    });
    ex.emit(Event::Capacity(CapacityEvent::Minted {
        token: sl.token,
        provider: *sender,
        amount,
        locked: delta,
    }));
    Ok(())
}

fn new_slot(ex: &mut Exec<'_>, class: &str, start: Timestamp) -> Result<Slot, LedgerError> {
    let n = match ex.get(COUNT_KEY) {
        None => 0u32,
        Some(v) => {
            let b: [u8; 4] = v
                .try_into()
                .map_err(|_| LedgerError::Corrupt("capacity slot count".into()))?;
            u32::from_be_bytes(b)
        }
    };
    let id = TOKEN_BASE
        .checked_add(n)
        .ok_or_else(|| err("capacity token ids exhausted"))?;
    let token = TokenId(id);
    if tokens::token_info(ex, token).is_ok() {
        return Err(err(format!("token id {id} is already registered")));
    }
    let symbol = format!("{class}-{}", hour_label(start));
    tokens::set_token_info(
        ex,
        token,
        &TokenInfo {
            symbol: symbol.clone(),
            decimals: DECIMALS,
            supply: 0,
            cap: u128::MAX,
            mint_authority: Some(capacity_account()),
        },
    );
    ex.put(COUNT_KEY, Some((n + 1).to_be_bytes().to_vec()));
    ex.put(&index_key(class, start), Some(id.to_be_bytes().to_vec()));
    let end = start
        .checked_add_ms(SLOT_MS)
        .ok_or_else(|| err("slot end overflows"))?;
    Ok(Slot {
        token,
        symbol,
        device_class: class.to_string(),
        start,
        end,
        minted: 0,
        redeemed: 0,
        expired: false,
        backings: Vec::new(),
        redemptions: Vec::new(),
    })
}

/// `RedeemCapacity` handler (the job's buyer, during the slot).
pub(crate) fn redeem(
    ex: &mut Exec<'_>,
    sender: &Address,
    job_id: u64,
    token: TokenId,
    amount: u128,
) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let mut sl = load(ex, token)?;
    if sl.expired || ex.now < sl.start || ex.now >= sl.end {
        return Err(err(format!(
            "{} redeems only during its slot [{}, {}) (now {})",
            sl.symbol, sl.start, sl.end, ex.now
        )));
    }
    let mut j = crate::market::load(ex, job_id)?;
    if j.buyer != *sender {
        return Err(err(format!("only job {job_id}'s buyer may redeem for it")));
    }
    if j.status != crate::market::JobStatus::Open || j.provider.is_some() {
        return Err(err(format!("job {job_id} is {:?}, not open", j.status)));
    }
    if j.terms.device_class != sl.device_class {
        return Err(err(format!(
            "job {job_id} wants device class {:?}, the slot is {:?}",
            j.terms.device_class, sl.device_class
        )));
    }
    if j.deadline > sl.end {
        return Err(err(format!(
            "job {job_id}'s deadline {} is after the slot's end {}",
            j.deadline, sl.end
        )));
    }
    if sl.redemptions.len() >= MAX_REDEMPTIONS {
        return Err(err(format!(
            "slot {} has {MAX_REDEMPTIONS} redemptions",
            sl.symbol
        )));
    }
    // The provider with the most unredeemed tokens covering `amount` (ties: lowest address).
    let pick = sl
        .backings
        .iter()
        .enumerate()
        .filter(|(_, b)| b.provider != *sender && b.minted - b.redeemed >= amount)
        .max_by(|(_, a), (_, b)| {
            (a.minted - a.redeemed)
                .cmp(&(b.minted - b.redeemed))
                .then(b.provider.cmp(&a.provider))
        })
        .map(|(i, _)| i)
        .ok_or_else(|| {
            err(format!(
                "no provider of {} has {amount} unredeemed tokens",
                sl.symbol
            ))
        })?;
    tokens::burn_from(ex, sender, token, amount)?;
    let b = &mut sl.backings[pick];
    b.redeemed += amount; // ≤ minted by the filter
    let provider = b.provider;
    sl.redeemed = math::checked_add(sl.redeemed, amount)?;
    sl.redemptions.push(Redemption {
        job: job_id,
        provider,
        amount,
    });
    j.status = crate::market::JobStatus::Assigned;
    j.provider = Some(provider);
    j.price = 0;
    j.locked = 0;
    j.bids.clear();
    crate::market::save(ex, &j);
    save(ex, &sl);
    ex.emit(Event::Burn {
        token,
        from: *sender,
        amount,
    });
    ex.emit(Event::JobAssigned {
        job: job_id,
        provider,
        price: 0,
        locked: 0,
    });
    ex.emit(Event::Capacity(CapacityEvent::Redeemed {
        token,
        job: job_id,
        buyer: *sender,
        provider,
        amount,
    }));
    Ok(())
}

/// `ExpireSlot` handler (anyone, after the slot's end).
pub(crate) fn expire_slot(ex: &mut Exec<'_>, token: TokenId) -> Result<(), LedgerError> {
    let mut sl = load(ex, token)?;
    if sl.expired {
        return Err(err(format!("{} has already expired", sl.symbol)));
    }
    if ex.now < sl.end {
        return Err(err(format!(
            "{} runs until {} (now {})",
            sl.symbol, sl.end, ex.now
        )));
    }
    // Unserved units per provider: redemptions whose job never got a commit.
    let mut unserved: BTreeMap<Address, u128> = BTreeMap::new();
    for r in &sl.redemptions {
        let served = crate::market::job(ex, r.job)?.is_some_and(|j| j.commit.is_some());
        if !served {
            let e = unserved.entry(r.provider).or_insert(0);
            *e = math::checked_add(*e, r.amount)?;
        }
    }
    let (mut released, mut slashed) = (0u128, 0u128);
    for b in sl.backings.iter_mut() {
        let bad = unserved.get(&b.provider).copied().unwrap_or(0);
        let penalty = stake_for(ex, bad)?.min(b.locked);
        let l = locked(ex, &b.provider)?.saturating_sub(b.locked);
        set_locked(ex, &b.provider, l);
        if penalty > 0 {
            let s = crate::staking::slash(
                ex,
                &b.provider,
                penalty,
                "capacity: a redeemed slot was not served",
            )?;
            slashed = math::checked_add(slashed, s)?;
        }
        released = math::checked_add(released, b.locked - penalty)?;
        b.locked = 0;
    }
    // Burn every remaining token of the slot, wherever it sits.
    let mut burned = 0u128;
    for (holder, bal) in holders(ex, token)? {
        tokens::burn_from(ex, &holder, token, bal)?;
        burned = math::checked_add(burned, bal)?;
    }
    pool::on_expired(ex, token)?;
    sl.expired = true;
    save(ex, &sl);
    ex.emit(Event::Capacity(CapacityEvent::SlotExpired {
        token,
        burned,
        released,
        slashed,
    }));
    Ok(())
}

/// Every (holder, balance > 0) of `token`, as of the current transaction.
fn holders(ex: &Exec<'_>, token: TokenId) -> Result<Vec<(Address, u128)>, LedgerError> {
    let mut out = Vec::new();
    for k in ex.keys_with_prefix(&[crate::state::keys::BALANCE]) {
        if let Some((a, t)) = crate::state::keys::parse_balance_key(&k)
            && t == token
        {
            let b = tokens::balance(ex, &a, t)?;
            if b > 0 {
                out.push((a, b));
            }
        }
    }
    Ok(out)
}

/// Every slot, in token order (read view for the API).
pub fn slots(s: &State) -> Result<Vec<Slot>, LedgerError> {
    let mut out = Vec::new();
    for (k, v) in s.scan(PREFIX) {
        if k.len() == 6 && k[1] == b's' {
            out.push(
                serde_json::from_slice(v)
                    .map_err(|e| LedgerError::Corrupt(format!("capacity slot: {e}")))?,
            );
        }
    }
    Ok(out)
}
