//! The `staking` module: bond the staking token (VTY) from a balance into the staking module's
//! account; unbond with a delay of `params.unbonding_delay_ms` from the block timestamp (the
//! stake stays slashable while unbonding); withdraw released entries. [`slash`] is `pub(crate)`:
//! only other ledger modules (disputes, later) may call it; slashed tokens are burned.
//!
//! Validator set = the genesis validators ∪ actors registered with kind `validator`, each with
//! its bonded stake as voting power, counting only those with bonded stake > 0, sorted by
//! address. Invariant: Σ (bonded + unbonding) over all stakers = the staking module account's
//! balance of the staking token.

use crate::error::LedgerError;
use crate::identity::ActorKind;
use crate::receipt::Event;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, State, Store};
use crate::tokens;
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, Hash, Timestamp, amount_str, math};

/// The account that holds all bonded and unbonding stake (no key exists for it):
/// the last 20 bytes of keccak256("verity/module/staking").
pub fn staking_account() -> Address {
    let h = Hash::keccak(b"verity/module/staking");
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.0[12..]);
    Address(a)
}

/// One pending unbonding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnbondingEntry {
    /// Base units.
    #[serde(with = "amount_str")]
    pub amount: u128,
    /// When it can be withdrawn (block timestamp ≥ this).
    pub release_at: Timestamp,
}

/// A staker's bonded and unbonding stake.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakeView {
    /// Bonded base units.
    #[serde(with = "amount_str")]
    pub bonded: u128,
    /// Pending unbondings, oldest first.
    pub unbonding: Vec<UnbondingEntry>,
}

impl StakeView {
    /// Layout: bonded u128 ‖ n u32 ‖ n × (amount u128 ‖ release_at u64).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20 + 24 * self.unbonding.len());
        out.extend_from_slice(&self.bonded.to_be_bytes());
        let n = u32::try_from(self.unbonding.len()).expect("bounded by params.max_unbondings");
        out.extend_from_slice(&n.to_be_bytes());
        for e in &self.unbonding {
            out.extend_from_slice(&e.amount.to_be_bytes());
            out.extend_from_slice(&e.release_at.0.to_be_bytes());
        }
        out
    }

    /// Inverse of [`StakeView::encode`].
    pub fn decode(v: &[u8]) -> Result<StakeView, LedgerError> {
        let mut r = Reader::new(v, "stake");
        let bonded = r.u128()?;
        let n = r.u32()?;
        let mut unbonding = Vec::new();
        for _ in 0..n {
            let amount = r.u128()?;
            let release_at = Timestamp(r.u64()?);
            unbonding.push(UnbondingEntry { amount, release_at });
        }
        r.finish()?;
        Ok(StakeView { bonded, unbonding })
    }

    /// Bonded + all unbonding.
    pub fn total(&self) -> Result<u128, LedgerError> {
        let mut t = self.bonded;
        for e in &self.unbonding {
            t = math::checked_add(t, e.amount)?;
        }
        Ok(t)
    }

    fn is_empty(&self) -> bool {
        self.bonded == 0 && self.unbonding.is_empty()
    }

    /// Itself (kept for symmetry with other records' `view`).
    pub fn view(self) -> StakeView {
        self
    }
}

/// A member of the validator set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorInfo {
    /// Validator address.
    pub address: Address,
    /// Bonded stake (voting power).
    #[serde(with = "amount_str")]
    pub stake: u128,
    /// Named in genesis (otherwise: a registered validator actor).
    pub genesis: bool,
}

/// The stake record of `a` (empty if none).
pub fn stake_record(s: &impl Store, a: &Address) -> Result<StakeView, LedgerError> {
    match s.get(&keys::addr_key(keys::STAKE, a)) {
        Some(v) => StakeView::decode(v),
        None => Ok(StakeView::default()),
    }
}

fn put_record(ex: &mut Exec<'_>, a: &Address, r: &StakeView) {
    let v = (!r.is_empty()).then(|| r.encode());
    ex.put(&keys::addr_key(keys::STAKE, a), v);
}

/// Bond handler.
pub(crate) fn bond(ex: &mut Exec<'_>, sender: &Address, amount: u128) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let token = ex.state().params().staking_token;
    let module = staking_account();
    tokens::move_balance(ex, sender, &module, token, amount)?;
    let mut rec = stake_record(ex, sender)?;
    rec.bonded = math::checked_add(rec.bonded, amount)?;
    put_record(ex, sender, &rec);
    ex.emit(Event::Bonded {
        staker: *sender,
        amount,
    });
    Ok(())
}

/// Unbond handler: starts the delay; the entry stays slashable until withdrawn.
pub(crate) fn unbond(ex: &mut Exec<'_>, sender: &Address, amount: u128) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let params = ex.state().params().clone();
    let mut rec = stake_record(ex, sender)?;
    if rec.bonded < amount {
        return Err(LedgerError::InsufficientStake {
            bonded: rec.bonded,
            requested: amount,
        });
    }
    // market (issue 4): stake locked as job collateral cannot be unbonded.
    // capacity (issue 6): so is stake backing capacity tokens.
    let locked = math::checked_add(
        crate::market::locked(ex, sender)?,
        crate::capacity::locked(ex, sender)?,
    )?;
    if rec.bonded - amount < locked {
        return Err(LedgerError::InsufficientStake {
            bonded: rec.bonded.saturating_sub(locked),
            requested: amount,
        });
    }
    let max = params.max_unbondings as usize;
    if rec.unbonding.len() >= max {
        return Err(LedgerError::TooManyUnbondings(max));
    }
    let release_at = ex
        .now
        .checked_add_ms(params.unbonding_delay_ms)
        .ok_or(LedgerError::Math(verity_primitives::MathError::Overflow))?;
    rec.bonded -= amount;
    rec.unbonding.push(UnbondingEntry { amount, release_at });
    put_record(ex, sender, &rec);
    ex.emit(Event::UnbondStarted {
        staker: *sender,
        amount,
        release_at,
    });
    Ok(())
}

/// Withdraw handler: pays out every entry whose `release_at` ≤ the block time.
pub(crate) fn withdraw(ex: &mut Exec<'_>, sender: &Address) -> Result<(), LedgerError> {
    let now = ex.now;
    let mut rec = stake_record(ex, sender)?;
    let mut amount = 0u128;
    let mut keep = Vec::with_capacity(rec.unbonding.len());
    for e in rec.unbonding.drain(..) {
        if e.release_at <= now {
            amount = math::checked_add(amount, e.amount)?;
        } else {
            keep.push(e);
        }
    }
    if amount == 0 {
        return Err(LedgerError::NothingToWithdraw);
    }
    rec.unbonding = keep;
    put_record(ex, sender, &rec);
    let token = ex.state().params().staking_token;
    tokens::move_balance(ex, &staking_account(), sender, token, amount)?;
    ex.emit(Event::Withdrawn {
        staker: *sender,
        amount,
    });
    Ok(())
}

/// Slash up to `amount` of `validator`'s stake: bonded first, then unbonding entries newest
/// first. The slashed tokens are burned. Returns the amount actually slashed (may be less than
/// asked, down to 0). Only ledger modules may call this.
// Called by the dispute module (a later issue) and by the property tests.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn slash(
    ex: &mut Exec<'_>,
    validator: &Address,
    amount: u128,
    reason: &str,
) -> Result<u128, LedgerError> {
    let mut rec = stake_record(ex, validator)?;
    let mut left = amount;
    let from_bonded = left.min(rec.bonded);
    rec.bonded -= from_bonded;
    left -= from_bonded;
    for e in rec.unbonding.iter_mut().rev() {
        if left == 0 {
            break;
        }
        let take = left.min(e.amount);
        e.amount -= take;
        left -= take;
    }
    rec.unbonding.retain(|e| e.amount > 0);
    let slashed = amount - left;
    if slashed == 0 {
        return Ok(0);
    }
    put_record(ex, validator, &rec);
    let token = ex.state().params().staking_token;
    tokens::burn_from(ex, &staking_account(), token, slashed)?;
    ex.emit(Event::Slashed {
        validator: *validator,
        amount: slashed,
        reason: reason.to_string(),
    });
    Ok(slashed)
}

/// Like [`slash`], but `share_bps` of the slashed amount (rounded down) goes to `to` instead of
/// being burned (market disputes pay the winner); the rest is burned. Returns (slashed, paid).
pub(crate) fn slash_to(
    ex: &mut Exec<'_>,
    who: &Address,
    amount: u128,
    to: Option<&Address>,
    share_bps: u32,
    reason: &str,
) -> Result<(u128, u128), LedgerError> {
    let Some(to) = to else {
        return Ok((slash(ex, who, amount, reason)?, 0));
    };
    let target = amount.min(stake_record(ex, who)?.total()?);
    let pay = math::mul_div(target, u128::from(share_bps), 10_000, math::Rounding::Down)?;
    // Take the winner's part out of the stake as a plain move, then slash (burn) the rest.
    let mut rec = stake_record(ex, who)?;
    let mut left = pay;
    let from_bonded = left.min(rec.bonded);
    rec.bonded -= from_bonded;
    left -= from_bonded;
    for e in rec.unbonding.iter_mut().rev() {
        let take = left.min(e.amount);
        e.amount -= take;
        left -= take;
    }
    rec.unbonding.retain(|e| e.amount > 0);
    put_record(ex, who, &rec);
    if pay > 0 {
        let token = ex.state().params().staking_token;
        tokens::move_balance(ex, &staking_account(), to, token, pay)?;
    }
    let burned = slash(ex, who, target - pay, reason)?;
    Ok((pay + burned, pay))
}

/// Set `a`'s bonded stake at genesis (the tokens must already be in the module account).
pub(crate) fn genesis_bond(
    ex: &mut Exec<'_>,
    a: &Address,
    amount: u128,
) -> Result<(), LedgerError> {
    let mut rec = stake_record(ex, a)?;
    rec.bonded = math::checked_add(rec.bonded, amount)?;
    put_record(ex, a, &rec);
    ex.put(&keys::addr_key(keys::VALIDATOR, a), Some(Vec::new()));
    Ok(())
}

/// The current validator set (see the module docs), sorted by address.
pub fn validators(state: &State) -> Vec<ValidatorInfo> {
    let mut out: Vec<ValidatorInfo> = Vec::new();
    for (k, _) in state.scan(keys::VALIDATOR) {
        if let Some(a) = keys::parse_addr_key(k) {
            out.push(ValidatorInfo {
                address: a,
                stake: 0,
                genesis: true,
            });
        }
    }
    for (k, v) in state.scan(keys::ACTOR) {
        if let (Some(a), Ok(act)) = (keys::parse_addr_key(k), crate::identity::Actor::decode(v))
            && act.kind == ActorKind::Validator
            && !out.iter().any(|x| x.address == a)
        {
            out.push(ValidatorInfo {
                address: a,
                stake: 0,
                genesis: false,
            });
        }
    }
    for v in out.iter_mut() {
        v.stake = stake_record(state, &v.address)
            .map(|r| r.bonded)
            .unwrap_or(0);
    }
    out.retain(|v| v.stake > 0);
    out.sort_by_key(|v| v.address);
    out
}

/// Σ (bonded + unbonding) = the staking account's balance of the staking token.
pub(crate) fn check_invariants(state: &State) -> Result<(), LedgerError> {
    let mut total = 0u128;
    for (_, v) in state.scan(keys::STAKE) {
        let rec = StakeView::decode(v)?;
        if rec.is_empty() {
            return Err(LedgerError::Invariant(
                "an empty stake record is stored".into(),
            ));
        }
        total = math::checked_add(total, rec.total()?)?;
    }
    let held = state.balance(staking_account(), state.params().staking_token);
    if total != held {
        return Err(LedgerError::Invariant(format!(
            "staking: bonded + unbonding = {total} but the module holds {held}"
        )));
    }
    Ok(())
}
