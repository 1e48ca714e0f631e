//! Vote escrow, exactly as Curve's `VotingEscrow.vy` (curvefi/curve-dao-contracts): tokens
//! locked until a whole week, at most 4 years; a lock's voting power is `bias − slope × (t −
//! ts)` with `slope = amount / MAXTIME` (integer division, as Curve) and `bias = slope ×
//! (end − ts)`, decaying linearly to zero at `end`. The total supply is tracked by a global
//! point history plus `slope_changes` at week boundaries (Curve's `_checkpoint`/`supply_at`).
//!
//! Times here are **seconds** (block time in ms / 1000, floored), as in Curve. Signed
//! `int128` arithmetic is replaced by `u128` with Curve's clamps at zero: `slope_changes` store
//! the (positive) slope that ends at a week boundary.
//!
//! Keys (under the governance prefix): `0x01 ‖ addr` lock; `0x02 ‖ addr` user epoch; `0x03 ‖
//! addr ‖ epoch` user point; `0x04` global epoch; `0x05 ‖ epoch` global point; `0x06 ‖ week`
//! slope change.

use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, Store};
use crate::tokens;
use serde::{Deserialize, Serialize};
use verity_primitives::math::{checked_add, checked_mul};
use verity_primitives::{Address, MathError, amount_str};

/// One week in seconds.
pub const WEEK: u64 = 7 * 86_400;
/// The longest lock: 4 years (of 365 days) in seconds.
pub const MAXTIME: u64 = 4 * 365 * 86_400;
/// Curve's loop bound: a checkpoint walks at most this many weeks.
const MAX_WEEKS: u32 = 255;

/// A lock: `amount` until `end` (seconds, a multiple of [`WEEK`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// Locked base units.
    #[serde(with = "amount_str")]
    pub amount: u128,
    /// Unlock time, seconds.
    pub end: u64,
}

/// A point of the (user or global) voting-power line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    /// Power at `ts`.
    #[serde(with = "amount_str")]
    pub bias: u128,
    /// Power lost per second.
    #[serde(with = "amount_str")]
    pub slope: u128,
    /// Seconds.
    pub ts: u64,
}

impl Point {
    fn encode(&self) -> Vec<u8> {
        let mut o = Vec::with_capacity(40);
        o.extend_from_slice(&self.bias.to_be_bytes());
        o.extend_from_slice(&self.slope.to_be_bytes());
        o.extend_from_slice(&self.ts.to_be_bytes());
        o
    }
    fn decode(v: &[u8]) -> Result<Point, LedgerError> {
        let mut r = Reader::new(v, "ve point");
        let p = Point {
            bias: r.u128()?,
            slope: r.u128()?,
            ts: r.u64()?,
        };
        r.finish()?;
        Ok(p)
    }
    /// Power at `t ≥ ts`: `bias − slope × (t − ts)`, clamped at 0.
    pub fn power_at(&self, t: u64) -> u128 {
        let dt = u128::from(t.saturating_sub(self.ts));
        self.bias.saturating_sub(self.slope.saturating_mul(dt))
    }
}

/// Curve's per-lock slope: `amount / MAXTIME` (floor).
pub fn slope_of(amount: u128) -> u128 {
    amount / u128::from(MAXTIME)
}

/// Power of a lock of `amount` ending at `end` seen at `now` (seconds): `slope × (end − now)`.
pub fn lock_power(amount: u128, end: u64, now: u64) -> u128 {
    if end <= now {
        return 0;
    }
    slope_of(amount).saturating_mul(u128::from(end - now))
}

/// Round a time down to a whole week, as Curve does for unlock times.
pub fn round_to_week(t: u64) -> u64 {
    t / WEEK * WEEK
}

fn k1(sub: u8, a: &Address) -> Vec<u8> {
    let mut k = vec![keys::GOVERNANCE, sub];
    k.extend_from_slice(&a.0);
    k
}
fn k_user_point(a: &Address, epoch: u64) -> Vec<u8> {
    let mut k = k1(0x03, a);
    k.extend_from_slice(&epoch.to_be_bytes());
    k
}
fn k_global_point(epoch: u64) -> Vec<u8> {
    let mut k = vec![keys::GOVERNANCE, 0x05];
    k.extend_from_slice(&epoch.to_be_bytes());
    k
}
fn k_slope_change(week: u64) -> Vec<u8> {
    let mut k = vec![keys::GOVERNANCE, 0x06];
    k.extend_from_slice(&week.to_be_bytes());
    k
}
const K_EPOCH: &[u8] = &[keys::GOVERNANCE, 0x04];

/// The lock of `a` (zero if none).
pub fn locked(s: &impl Store, a: &Address) -> Result<Lock, LedgerError> {
    match s.get(&k1(0x01, a)) {
        None => Ok(Lock::default()),
        Some(v) => {
            let mut r = Reader::new(v, "ve lock");
            let l = Lock {
                amount: r.u128()?,
                end: r.u64()?,
            };
            r.finish()?;
            Ok(l)
        }
    }
}

fn put_lock(ex: &mut Exec<'_>, a: &Address, l: &Lock) {
    let v = (l.amount != 0).then(|| {
        let mut o = l.amount.to_be_bytes().to_vec();
        o.extend_from_slice(&l.end.to_be_bytes());
        o
    });
    ex.put(&k1(0x01, a), v);
}

fn get_u64(s: &impl Store, k: &[u8], what: &'static str) -> Result<u64, LedgerError> {
    s.get(k).map_or(Ok(0), |v| keys::decode_u64(v, what))
}
fn get_u128(s: &impl Store, k: &[u8], what: &'static str) -> Result<u128, LedgerError> {
    s.get(k).map_or(Ok(0), |v| keys::decode_u128(v, what))
}
fn get_point(s: &impl Store, k: &[u8]) -> Result<Option<Point>, LedgerError> {
    s.get(k).map(Point::decode).transpose()
}

/// The user's latest epoch (0 = never locked).
pub fn user_epoch(s: &impl Store, a: &Address) -> Result<u64, LedgerError> {
    get_u64(s, &k1(0x02, a), "ve user epoch")
}

/// The global epoch.
pub fn global_epoch(s: &impl Store) -> Result<u64, LedgerError> {
    get_u64(s, K_EPOCH, "ve epoch")
}

/// The slope that ends at week boundary `week`.
pub fn slope_change(s: &impl Store, week: u64) -> Result<u128, LedgerError> {
    get_u128(s, &k_slope_change(week), "ve slope change")
}

fn set_slope_change(ex: &mut Exec<'_>, week: u64, v: u128) {
    ex.put(
        &k_slope_change(week),
        (v != 0).then(|| v.to_be_bytes().to_vec()),
    );
}

/// Curve's `_checkpoint(addr, old_locked, new_locked)` at time `now` (seconds).
fn checkpoint(
    ex: &mut Exec<'_>,
    addr: &Address,
    old: Lock,
    new: Lock,
    now: u64,
) -> Result<(), LedgerError> {
    let mk = |l: &Lock| -> Result<Point, MathError> {
        if l.end > now && l.amount > 0 {
            let slope = slope_of(l.amount);
            Ok(Point {
                slope,
                bias: checked_mul(slope, u128::from(l.end - now))?,
                ts: now,
            })
        } else {
            Ok(Point {
                ts: now,
                ..Point::default()
            })
        }
    };
    let (u_old, u_new) = (mk(&old)?, mk(&new)?);
    let mut old_dslope = slope_change(ex, old.end)?;
    let new_dslope = if new.end != 0 {
        if new.end == old.end {
            old_dslope
        } else {
            slope_change(ex, new.end)?
        }
    } else {
        0
    };

    let mut epoch = global_epoch(ex)?;
    let mut last = if epoch > 0 {
        get_point(ex, &k_global_point(epoch))?
            .ok_or_else(|| LedgerError::Corrupt(format!("ve global point {epoch} missing")))?
    } else {
        Point {
            ts: now,
            ..Point::default()
        }
    };
    let mut last_checkpoint = last.ts;
    let mut t_i = round_to_week(last_checkpoint);
    for _ in 0..MAX_WEEKS {
        t_i += WEEK;
        let mut d_slope = 0;
        if t_i > now {
            t_i = now;
        } else {
            d_slope = slope_change(ex, t_i)?;
        }
        let dt = u128::from(t_i - last_checkpoint);
        last.bias = last.bias.saturating_sub(last.slope.saturating_mul(dt));
        last.slope = last.slope.saturating_sub(d_slope);
        last_checkpoint = t_i;
        last.ts = t_i;
        epoch += 1;
        if t_i == now {
            break;
        }
        ex.put(&k_global_point(epoch), Some(last.encode()));
    }
    // Apply the user's change (signed deltas, clamped at zero as Curve does).
    last.slope = checked_add(last.slope, u_new.slope)?.saturating_sub(u_old.slope);
    last.bias = checked_add(last.bias, u_new.bias)?.saturating_sub(u_old.bias);
    ex.put(&k_global_point(epoch), Some(last.encode()));
    ex.put(K_EPOCH, Some(epoch.to_be_bytes().to_vec()));

    // Schedule the slope changes.
    if old.end > now {
        old_dslope = old_dslope.saturating_sub(u_old.slope);
        if new.end == old.end {
            old_dslope = checked_add(old_dslope, u_new.slope)?;
        }
        set_slope_change(ex, old.end, old_dslope);
    }
    if new.end > now && new.end > old.end {
        set_slope_change(ex, new.end, checked_add(new_dslope, u_new.slope)?);
    }
    // User point history.
    let ue = user_epoch(ex, addr)? + 1;
    ex.put(&k1(0x02, addr), Some(ue.to_be_bytes().to_vec()));
    ex.put(&k_user_point(addr, ue), Some(u_new.encode()));
    Ok(())
}

/// Voting power of `a` at time `t` (seconds), from its point history (0 before its first lock).
pub fn balance_at(s: &impl Store, a: &Address, t: u64) -> Result<u128, LedgerError> {
    let n = user_epoch(s, a)?;
    // Binary search for the last epoch with ts ≤ t (epochs start at 1).
    let (mut lo, mut hi) = (0u64, n);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let p = get_point(s, &k_user_point(a, mid))?
            .ok_or_else(|| LedgerError::Corrupt("ve user point missing".into()))?;
        if p.ts <= t {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo == 0 {
        return Ok(0);
    }
    let p = get_point(s, &k_user_point(a, lo))?
        .ok_or_else(|| LedgerError::Corrupt("ve user point missing".into()))?;
    Ok(p.power_at(t))
}

/// Total voting power at time `t` (seconds): Curve's `supply_at` from the last global point at
/// or before `t`.
pub fn supply_at(s: &impl Store, t: u64) -> Result<u128, LedgerError> {
    let n = global_epoch(s)?;
    let (mut lo, mut hi) = (0u64, n);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let p = get_point(s, &k_global_point(mid))?
            .ok_or_else(|| LedgerError::Corrupt("ve global point missing".into()))?;
        if p.ts <= t {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo == 0 {
        return Ok(0);
    }
    let mut last = get_point(s, &k_global_point(lo))?
        .ok_or_else(|| LedgerError::Corrupt("ve global point missing".into()))?;
    let mut t_i = round_to_week(last.ts);
    for _ in 0..MAX_WEEKS {
        t_i += WEEK;
        let mut d_slope = 0;
        if t_i > t {
            t_i = t;
        } else {
            d_slope = slope_change(s, t_i)?;
        }
        let dt = u128::from(t_i - last.ts);
        last.bias = last.bias.saturating_sub(last.slope.saturating_mul(dt));
        if t_i == t {
            break;
        }
        last.slope = last.slope.saturating_sub(d_slope);
        last.ts = t_i;
    }
    Ok(last.bias)
}

/// Block time in seconds.
pub(crate) fn now_s(ex: &Exec<'_>) -> u64 {
    ex.now.0 / 1000
}

fn lock_err(m: String) -> LedgerError {
    LedgerError::Lock(m)
}

/// `CreateLock`: lock `amount` of the governance token until `unlock_time` (seconds, rounded
/// down to a whole week; after now, at most now + MAXTIME).
pub(crate) fn create_lock(
    ex: &mut Exec<'_>,
    sender: &Address,
    token: verity_primitives::TokenId,
    amount: u128,
    unlock_time: u64,
) -> Result<(), LedgerError> {
    let now = now_s(ex);
    let old = locked(ex, sender)?;
    let end = round_to_week(unlock_time);
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    if old.amount != 0 {
        return Err(lock_err("withdraw old tokens first".into()));
    }
    if end <= now {
        return Err(lock_err(format!(
            "unlock time {end} (rounded down to a week) must be in the future (now {now})"
        )));
    }
    if end > now + MAXTIME {
        return Err(lock_err(format!(
            "unlock time {end} is more than 4 years after now ({now})"
        )));
    }
    deposit_for(ex, sender, token, amount, end, old, now)
}

/// `IncreaseAmount`: add `amount` to an unexpired lock.
pub(crate) fn increase_amount(
    ex: &mut Exec<'_>,
    sender: &Address,
    token: verity_primitives::TokenId,
    amount: u128,
) -> Result<(), LedgerError> {
    let now = now_s(ex);
    let old = locked(ex, sender)?;
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    if old.amount == 0 {
        return Err(lock_err("no existing lock found".into()));
    }
    if old.end <= now {
        return Err(lock_err(
            "cannot add to an expired lock; withdraw it first".into(),
        ));
    }
    deposit_for(ex, sender, token, amount, old.end, old, now)
}

/// `IncreaseUnlockTime`: extend an unexpired lock to `unlock_time` (rounded down to a week).
pub(crate) fn increase_unlock_time(
    ex: &mut Exec<'_>,
    sender: &Address,
    unlock_time: u64,
) -> Result<(), LedgerError> {
    let now = now_s(ex);
    let old = locked(ex, sender)?;
    let end = round_to_week(unlock_time);
    if old.end <= now {
        return Err(lock_err("lock expired".into()));
    }
    if old.amount == 0 {
        return Err(lock_err("nothing is locked".into()));
    }
    if end <= old.end {
        return Err(lock_err(format!(
            "can only increase the lock duration (current end {}, asked {end})",
            old.end
        )));
    }
    if end > now + MAXTIME {
        return Err(lock_err(format!(
            "unlock time {end} is more than 4 years after now ({now})"
        )));
    }
    let new = Lock {
        amount: old.amount,
        end,
    };
    checkpoint(ex, sender, old, new, now)?;
    put_lock(ex, sender, &new);
    ex.emit(Event::VeLocked {
        owner: *sender,
        added: 0,
        amount: new.amount,
        unlock_time: end,
    });
    Ok(())
}

fn deposit_for(
    ex: &mut Exec<'_>,
    sender: &Address,
    token: verity_primitives::TokenId,
    amount: u128,
    end: u64,
    old: Lock,
    now: u64,
) -> Result<(), LedgerError> {
    let new = Lock {
        amount: checked_add(old.amount, amount)?,
        end,
    };
    tokens::move_balance(ex, sender, &super::governance_account(), token, amount)?;
    checkpoint(ex, sender, old, new, now)?;
    put_lock(ex, sender, &new);
    ex.emit(Event::VeLocked {
        owner: *sender,
        added: amount,
        amount: new.amount,
        unlock_time: end,
    });
    Ok(())
}

/// `WithdrawLock`: return an expired lock's tokens.
pub(crate) fn withdraw(
    ex: &mut Exec<'_>,
    sender: &Address,
    token: verity_primitives::TokenId,
) -> Result<(), LedgerError> {
    let now = now_s(ex);
    let old = locked(ex, sender)?;
    if old.amount == 0 {
        return Err(lock_err("nothing is locked".into()));
    }
    if now < old.end {
        return Err(lock_err(format!(
            "the lock didn't expire: it ends at {} (now {now})",
            old.end
        )));
    }
    let new = Lock { amount: 0, end: 0 };
    checkpoint(ex, sender, old, new, now)?;
    put_lock(ex, sender, &new);
    tokens::move_balance(ex, &super::governance_account(), sender, token, old.amount)?;
    ex.emit(Event::VeWithdrawn {
        owner: *sender,
        amount: old.amount,
    });
    Ok(())
}
