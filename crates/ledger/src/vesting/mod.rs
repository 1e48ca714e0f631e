//! The `vesting` module: genesis vesting schedules (TGE unlock, cliff, linear release) whose
//! tokens are held by the vesting module account; [`claim`] (`ClaimVested`) releases what has
//! vested by the block time.
//!
//! **Schedule math** (all floors, favouring the unreleased balance): with `start`, `total`,
//! `tge_bps`, `cliff_ms`, `duration_ms`,
//! `vested(t) = 0` for `t < start`; `tge = total × tge_bps / 10 000` for
//! `start ≤ t < start + cliff`; afterwards
//! `tge + (total − tge) × min(t − start − cliff, duration) / duration` (the linear release
//! starts when the cliff ends; `duration = 0` releases the rest at the cliff).
//!
//! Invariants ([`check_invariants`]): claimed ≤ vested(now) ≤ total for every schedule, and the
//! vesting account's balance of each token ≥ Σ (total − claimed) of its schedules.

#[cfg(test)]
mod tests;

use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, State, Store};
use crate::tokens;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use verity_primitives::math::{Rounding, checked_add, checked_sub, mul_div};
use verity_primitives::{Address, Timestamp, TokenId, amount_str};

/// Most schedules per beneficiary.
pub const MAX_SCHEDULES: usize = 16;
/// Basis points in one whole.
const BPS: u128 = 10_000;

/// The account that holds all unvested and unclaimed tokens:
/// the last 20 bytes of keccak256("verity/module/vesting").
pub fn vesting_account() -> Address {
    crate::vault::module_address("verity/module/vesting")
}

/// A schedule as defined in genesis (TOML `[[vesting]]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VestingGenesis {
    /// Who receives the tokens.
    pub beneficiary: Address,
    /// Token symbol.
    pub token: String,
    /// Base units (> 0); minted to the vesting account at genesis.
    #[serde(with = "amount_str")]
    pub total: u128,
    /// Share unlocked at the start (TGE), basis points (≤ 10 000).
    #[serde(default)]
    pub tge_bps: u32,
    /// Cliff after the start, ms.
    #[serde(default)]
    pub cliff_ms: u64,
    /// Linear release after the cliff, ms.
    #[serde(default)]
    pub duration_ms: u64,
    /// Start time (default: genesis time).
    #[serde(default)]
    pub start: Option<Timestamp>,
    /// Label shown by the API (e.g. "team").
    #[serde(default)]
    pub label: String,
}

/// One month in ms for the devnet schedules: 365 days / 12.
pub const MONTH_MS: u64 = 365 * 24 * 3600 * 1000 / 12;

/// The devnet VTY schedules (issue 2's allocation; the 5% community sale is unlocked at TGE
/// as plain balances):
///
/// | holder (dev key) | share | TGE | cliff | linear after the cliff |
/// | --- | --- | --- | --- | --- |
/// | `community-treasury` | 40.4% | 10% | none | 48 months |
/// | `investors` | 29.6% | 0 | 12 months | 24 months |
/// | `team` | 25% | 0 | 12 months | 36 months |
pub fn dev_schedules() -> Vec<VestingGenesis> {
    use crate::genesis::{VTY_COMMUNITY_TREASURY, VTY_INVESTORS, VTY_TEAM, dev_address_named};
    let s = |label: &str, total: u128, tge_bps: u32, cliff_m: u64, dur_m: u64| VestingGenesis {
        beneficiary: dev_address_named(label),
        token: "VTY".into(),
        total,
        tge_bps,
        cliff_ms: cliff_m * MONTH_MS,
        duration_ms: dur_m * MONTH_MS,
        start: None,
        label: label.into(),
    };
    vec![
        s("community-treasury", VTY_COMMUNITY_TREASURY, 1_000, 0, 48),
        s("investors", VTY_INVESTORS, 0, 12, 24),
        s("team", VTY_TEAM, 0, 12, 36),
    ]
}

/// A stored schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Label (e.g. "team").
    pub label: String,
    /// Token.
    pub token: TokenId,
    /// Base units in total.
    #[serde(with = "amount_str")]
    pub total: u128,
    /// Base units already claimed.
    #[serde(with = "amount_str")]
    pub claimed: u128,
    /// Start (TGE).
    pub start: Timestamp,
    /// TGE unlock, bps.
    pub tge_bps: u32,
    /// Cliff, ms.
    pub cliff_ms: u64,
    /// Linear duration after the cliff, ms.
    pub duration_ms: u64,
}

impl Schedule {
    /// Base units vested at `t` (see the module docs for the formula).
    pub fn vested(&self, t: Timestamp) -> Result<u128, LedgerError> {
        if t < self.start {
            return Ok(0);
        }
        let tge = mul_div(self.total, u128::from(self.tge_bps), BPS, Rounding::Down)?;
        let cliff_end = self.start.0.saturating_add(self.cliff_ms);
        if t.0 < cliff_end {
            return Ok(tge);
        }
        let rest = checked_sub(self.total, tge)?;
        if self.duration_ms == 0 {
            return Ok(self.total);
        }
        let elapsed = (t.0 - cliff_end).min(self.duration_ms);
        let lin = mul_div(
            rest,
            u128::from(elapsed),
            u128::from(self.duration_ms),
            Rounding::Down,
        )?;
        Ok(checked_add(tge, lin)?)
    }

    fn encode_into(&self, o: &mut Vec<u8>) {
        o.extend_from_slice(&self.token.0.to_be_bytes());
        o.extend_from_slice(&self.total.to_be_bytes());
        o.extend_from_slice(&self.claimed.to_be_bytes());
        o.extend_from_slice(&self.start.0.to_be_bytes());
        o.extend_from_slice(&self.tge_bps.to_be_bytes());
        o.extend_from_slice(&self.cliff_ms.to_be_bytes());
        o.extend_from_slice(&self.duration_ms.to_be_bytes());
        keys::put_string(o, &self.label);
    }

    fn decode_from(r: &mut Reader<'_>) -> Result<Schedule, LedgerError> {
        Ok(Schedule {
            token: TokenId(r.u32()?),
            total: r.u128()?,
            claimed: r.u128()?,
            start: Timestamp(r.u64()?),
            tge_bps: r.u32()?,
            cliff_ms: r.u64()?,
            duration_ms: r.u64()?,
            label: r.string()?,
        })
    }
}

fn key(a: &Address) -> [u8; 21] {
    keys::addr_key(keys::VESTING, a)
}

fn encode(v: &[Schedule]) -> Vec<u8> {
    let mut o = Vec::with_capacity(4 + 96 * v.len());
    let n = u32::try_from(v.len()).expect("bounded by MAX_SCHEDULES");
    o.extend_from_slice(&n.to_be_bytes());
    for s in v {
        s.encode_into(&mut o);
    }
    o
}

fn decode(v: &[u8]) -> Result<Vec<Schedule>, LedgerError> {
    let mut r = Reader::new(v, "vesting");
    let n = r.u32()?;
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(Schedule::decode_from(&mut r)?);
    }
    r.finish()?;
    Ok(out)
}

/// The schedules of `beneficiary` (empty if none).
pub fn schedules(s: &impl Store, beneficiary: &Address) -> Result<Vec<Schedule>, LedgerError> {
    match s.get(&key(beneficiary)) {
        Some(v) => decode(v),
        None => Ok(Vec::new()),
    }
}

/// Create the genesis schedules: each total is minted to the vesting account (so token supply
/// = Σ genesis balances + Σ vesting totals, within the cap).
pub(crate) fn init_genesis(
    ex: &mut Exec<'_>,
    list: &[VestingGenesis],
    ids: &BTreeMap<String, TokenId>,
    genesis_time: Timestamp,
) -> Result<(), LedgerError> {
    let mut by: BTreeMap<Address, Vec<Schedule>> = BTreeMap::new();
    for (i, g) in list.iter().enumerate() {
        let err = |m: String| LedgerError::Genesis(format!("vesting[{i}]: {m}"));
        let token = *ids
            .get(&g.token)
            .ok_or_else(|| err(format!("token {:?} is not defined", g.token)))?;
        if g.total == 0 {
            return Err(err("total must be greater than zero".into()));
        }
        if g.tge_bps > 10_000 {
            return Err(err(format!("tge_bps {} > 10000", g.tge_bps)));
        }
        tokens::mint_unchecked(ex, token, &vesting_account(), g.total)
            .map_err(|e| err(e.to_string()))?;
        let v = by.entry(g.beneficiary).or_default();
        if v.len() >= MAX_SCHEDULES {
            return Err(err(format!(
                "more than {MAX_SCHEDULES} schedules for {}",
                g.beneficiary
            )));
        }
        v.push(Schedule {
            label: g.label.clone(),
            token,
            total: g.total,
            claimed: 0,
            start: g.start.unwrap_or(genesis_time),
            tge_bps: g.tge_bps,
            cliff_ms: g.cliff_ms,
            duration_ms: g.duration_ms,
        });
    }
    for (a, v) in by {
        ex.put(&key(&a), Some(encode(&v)));
    }
    Ok(())
}

/// `ClaimVested` handler: release everything vested and unclaimed, over all the sender's
/// schedules; one [`Event::VestingClaimed`] per schedule that paid.
pub(crate) fn claim(ex: &mut Exec<'_>, sender: &Address) -> Result<(), LedgerError> {
    let mut v = schedules(ex, sender)?;
    if v.is_empty() {
        return Err(LedgerError::NothingToClaim("no vesting schedule"));
    }
    let now = ex.now;
    let mut paid = false;
    for (i, s) in v.iter_mut().enumerate() {
        let due = checked_sub(s.vested(now)?, s.claimed)?;
        if due == 0 {
            continue;
        }
        tokens::move_balance(ex, &vesting_account(), sender, s.token, due)?;
        s.claimed = checked_add(s.claimed, due)?;
        paid = true;
        ex.emit(Event::VestingClaimed {
            beneficiary: *sender,
            schedule: u32::try_from(i).expect("bounded by MAX_SCHEDULES"),
            token: s.token,
            amount: due,
        });
    }
    if !paid {
        return Err(LedgerError::NothingToClaim(
            "nothing has vested since the last claim",
        ));
    }
    ex.put(&key(sender), Some(encode(&v)));
    Ok(())
}

/// One schedule as `GET /v1/vesting/{address}` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleView {
    /// The schedule.
    #[serde(flatten)]
    pub schedule: Schedule,
    /// Vested at the state's time.
    #[serde(with = "amount_str")]
    pub vested: u128,
    /// Claimable now (vested − claimed).
    #[serde(with = "amount_str")]
    pub claimable: u128,
}

/// The schedules of `a` with vested and claimable amounts at the state's time.
pub fn view(s: &State, a: Address) -> Result<Vec<ScheduleView>, LedgerError> {
    let now = s.time();
    schedules(s, &a)?
        .into_iter()
        .map(|schedule| {
            let vested = schedule.vested(now)?;
            let claimable = checked_sub(vested, schedule.claimed)?;
            Ok(ScheduleView {
                schedule,
                vested,
                claimable,
            })
        })
        .collect()
}

/// claimed ≤ vested ≤ total; the vesting account holds exactly Σ (total − claimed) per token.
pub(crate) fn check_invariants(state: &State) -> Result<(), LedgerError> {
    let mut owed: BTreeMap<TokenId, u128> = BTreeMap::new();
    for (_, v) in state.scan(keys::VESTING) {
        for s in decode(v)? {
            let vested = s.vested(state.time())?;
            if s.claimed > vested || vested > s.total {
                return Err(LedgerError::Invariant(format!(
                    "vesting: claimed {} ≤ vested {vested} ≤ total {} fails",
                    s.claimed, s.total
                )));
            }
            let e = owed.entry(s.token).or_insert(0);
            *e = checked_add(*e, s.total - s.claimed)?;
        }
    }
    for (t, want) in owed {
        let held = state.balance(vesting_account(), t);
        // ≥ rather than =: anyone may transfer tokens to the vesting account.
        if held < want {
            return Err(LedgerError::Invariant(format!(
                "vesting: account holds {held} of token {t} but schedules owe {want}"
            )));
        }
    }
    Ok(())
}
