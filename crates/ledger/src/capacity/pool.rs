//! The time-aware AMM for (capacity token, AID): Pendle's logit curve
//! (`contracts/core/Market/MarketMathCore.sol`, Pendle V2; Notional's fCash market is the same
//! curve), in exact integer / 18-decimal fixed-point math ([`super::fixed`] for ln/exp).
//!
//! **Units.** A pool holds `x` capacity tokens and `q` AID. AID is counted in GPU-hour
//! equivalents at the pool's par price `P` (AID base units per whole GPU-hour, set at
//! creation, e.g. the provider's list price): `a = q × ONE_HOUR / P`. At expiry one token is
//! worth par, as a Pendle PT is worth one unit of its asset at maturity.
//!
//! **The curve** (with `τ` = time to expiry, `YEAR` = 365 days, WAD = 10¹⁸):
//! ```text
//! rateScalar = scalarRoot × YEAR / τ
//! p          = (x − Δ) / (x + a)                      (Δ = tokens to the trader, ≤ 96%)
//! rate(Δ)    = ln(p / (1 − p)) / rateScalar + rateAnchor      (must stay ≥ 1)
//! rateAnchor = exp(lnImpliedRate × τ / YEAR) − ln(p₀ / (1 − p₀)) / rateScalar
//! ```
//! A trade of Δ tokens moves `Δ / rate(Δ)` GPU-hour equivalents of AID the other way (Pendle's
//! `calcTrade`); after it, `lnImpliedRate = ln(rate(0)) × YEAR / τ` at the new reserves. The
//! anchor is recomputed from the last implied rate before each trade, so with no trades the
//! spot price `P / exp(lnImpliedRate × τ / YEAR)` rises to `P` as τ → 0, and rateScalar → ∞
//! flattens the curve (price impact → 0): **prices converge as expiry nears**.
//!
//! **Expiry** is the slot start: swaps and deposits at or after it are refused (the tokens are
//! then for redeeming); withdrawals stay open. `ExpireSlot` burns the token reserve.
//!
//! **Rounding** favours the pool: a buyer pays `⌈⌈Δ × P / ONE_HOUR⌉ × WAD / rate⌉` plus the fee
//! `⌈… × fee_bps / 10 000⌉`; a seller gets the floors; LP shares round down on deposit (amounts
//! taken round up) and withdrawals round down. The fee stays in the pool (to LPs).
//! `MINIMUM_LIQUIDITY` (1000) LP shares of the first deposit belong to nobody, as in Pendle.

use super::fixed::{WAD, exp_wad, ln_wad};
use super::{CapacityEvent, ONE_HOUR, err, module_address};
use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::{Exec, Store};
use crate::tokens;
use alloy_primitives::U256;
use serde::{Deserialize, Serialize};
use verity_primitives::math::{self, Rounding, mul_div};
use verity_primitives::{Address, Timestamp, TokenId, amount_str};

/// LP shares of the first deposit locked forever.
pub const MINIMUM_LIQUIDITY: u128 = 1_000;
/// Largest share of the pool's value the token side may reach (Pendle's 96%).
pub const MAX_PROPORTION: i128 = WAD / 100 * 96;
/// A year, ms (365 days, Pendle's `IMPLIED_RATE_TIME`).
pub const YEAR_MS: i128 = 365 * 86_400_000;
/// Largest accepted scalar root (1000 in WAD).
pub const MAX_SCALAR_ROOT: u128 = 1_000 * WAD as u128;
/// Largest accepted initial anchor (10 in WAD).
pub const MAX_ANCHOR: u128 = 10 * WAD as u128;
/// Largest fee, bps.
pub const MAX_FEE_BPS: u32 = 1_000;

/// A capacity pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    /// The capacity token.
    pub token: TokenId,
    /// The quote token (AID).
    pub quote: TokenId,
    /// AID base units a whole GPU-hour is worth at expiry.
    #[serde(with = "amount_str")]
    pub par_price: u128,
    /// Pendle's `scalarRoot`, WAD.
    #[serde(with = "amount_str")]
    pub scalar_root: u128,
    /// Fee on the AID side, bps.
    pub fee_bps: u32,
    /// Trading stops here (the slot start).
    pub expiry: Timestamp,
    /// Capacity tokens held.
    #[serde(with = "amount_str")]
    pub reserve_capacity: u128,
    /// AID held.
    #[serde(with = "amount_str")]
    pub reserve_quote: u128,
    /// LP shares outstanding (incl. [`MINIMUM_LIQUIDITY`]).
    #[serde(with = "amount_str")]
    pub total_lp: u128,
    /// `ln(implied rate)` after the last trade, WAD (signed, as a decimal string).
    #[serde(with = "i128_str")]
    pub last_ln_rate: i128,
}

/// A pool as the API shows it: the record plus prices at the given time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolView {
    /// The pool.
    pub pool: Pool,
    /// Spot price of one whole GPU-hour in AID base units (`None` at or after expiry).
    #[serde(with = "opt_amount")]
    pub spot_price: Option<u128>,
    /// Implied annual rate `exp(lnImpliedRate) − 1`, WAD (`None` at or after expiry).
    #[serde(with = "opt_amount")]
    pub implied_rate_wad: Option<u128>,
}

/// The account holding every capacity pool's reserves (no key exists for it).
pub fn pool_account() -> Address {
    module_address(b"verity/module/capacity-pool")
}

fn pool_key(t: TokenId) -> Vec<u8> {
    let mut k = vec![super::PREFIX, b'p'];
    k.extend_from_slice(&t.0.to_be_bytes());
    k
}
fn lp_key(t: TokenId, a: &Address) -> Vec<u8> {
    let mut k = vec![super::PREFIX, b'q'];
    k.extend_from_slice(&t.0.to_be_bytes());
    k.extend_from_slice(&a.0);
    k
}

/// The pool of capacity token `t`.
pub fn pool(s: &impl Store, t: TokenId) -> Result<Option<Pool>, LedgerError> {
    match s.get(&pool_key(t)) {
        None => Ok(None),
        Some(v) => serde_json::from_slice(v)
            .map(Some)
            .map_err(|e| LedgerError::Corrupt(format!("capacity pool {t}: {e}"))),
    }
}

fn load(s: &impl Store, t: TokenId) -> Result<Pool, LedgerError> {
    pool(s, t)?.ok_or_else(|| err(format!("no capacity pool for token {t}")))
}

fn save(ex: &mut Exec<'_>, p: &Pool) {
    ex.put(
        &pool_key(p.token),
        Some(serde_json::to_vec(p).expect("a pool always serialises")),
    );
}

/// LP shares of `a` in the pool of `t`.
pub fn lp_balance(s: &impl Store, t: TokenId, a: &Address) -> Result<u128, LedgerError> {
    match s.get(&lp_key(t, a)) {
        None => Ok(0),
        Some(v) => crate::state::keys::decode_u128(v, "capacity LP shares"),
    }
}

fn set_lp(ex: &mut Exec<'_>, t: TokenId, a: &Address, v: u128) {
    ex.put(&lp_key(t, a), (v > 0).then(|| v.to_be_bytes().to_vec()));
}

fn i(v: u128) -> Result<i128, LedgerError> {
    i128::try_from(v).map_err(|_| LedgerError::Math(verity_primitives::MathError::Overflow))
}
fn u(v: i128) -> Result<u128, LedgerError> {
    u128::try_from(v).map_err(|_| LedgerError::Math(verity_primitives::MathError::Underflow))
}
/// `a × b / c` on signed WAD values (c > 0), truncating toward zero, through 256 bits.
fn smul_div(a: i128, b: i128, c: i128) -> Result<i128, LedgerError> {
    let neg = (a < 0) != (b < 0);
    let q = mul_div(
        a.unsigned_abs(),
        b.unsigned_abs(),
        c.unsigned_abs(),
        Rounding::Down,
    )?;
    let q = i(q)?;
    Ok(if neg { -q } else { q })
}

/// The curve at one moment: Pendle's `MarketPreCompute`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Curve {
    /// `scalarRoot × YEAR / τ`, WAD.
    pub rate_scalar: i128,
    /// `rateAnchor`, WAD.
    pub rate_anchor: i128,
    /// τ, ms (> 0).
    pub tau_ms: i128,
}

/// AID reserve in GPU-hour-equivalent base units: `q × ONE_HOUR / P` (floor).
pub fn asset_units(p: &Pool) -> Result<u128, LedgerError> {
    Ok(mul_div(
        p.reserve_quote,
        ONE_HOUR,
        p.par_price,
        Rounding::Down,
    )?)
}

/// `ln(p / (1 − p))` of the token share after `delta` tokens leave (negative `delta`: enter).
fn log_proportion(x: u128, a: u128, delta: i128) -> Result<i128, LedgerError> {
    let num = i(x)? - delta;
    let total = i(math::checked_add(x, a)?)?;
    if num <= 0 || total <= 0 {
        return Err(err("trade larger than the pool's token reserve"));
    }
    let p = smul_div(num, WAD, total)?;
    if p > MAX_PROPORTION {
        return Err(err("trade would push the pool above 96% tokens"));
    }
    if p <= 0 || p >= WAD {
        return Err(err("pool proportion out of range"));
    }
    ln_wad(smul_div(p, WAD, WAD - p)?)
}

/// `exp(lnRate × τ / YEAR)`.
fn rate_from_ln(ln_rate: i128, tau_ms: i128) -> Result<i128, LedgerError> {
    exp_wad(smul_div(ln_rate, tau_ms, YEAR_MS)?)
}

/// The curve of `p` at time `now` (< expiry), anchored on its last implied rate.
pub fn curve(p: &Pool, now: Timestamp) -> Result<Curve, LedgerError> {
    curve_with_rate(p, now, None)
}

fn curve_with_rate(p: &Pool, now: Timestamp, anchor: Option<i128>) -> Result<Curve, LedgerError> {
    if now >= p.expiry {
        return Err(err(format!(
            "the pool of token {} closed at expiry {} (now {now})",
            p.token, p.expiry
        )));
    }
    let tau_ms = i128::from(p.expiry.0 - now.0);
    let rate_scalar = smul_div(i(p.scalar_root)?, YEAR_MS, tau_ms)?;
    if rate_scalar <= 0 {
        return Err(err("rate scalar is not positive"));
    }
    let rate_anchor = match anchor {
        Some(a) => a,
        None => {
            let lp = log_proportion(p.reserve_capacity, asset_units(p)?, 0)?;
            rate_from_ln(p.last_ln_rate, tau_ms)? - smul_div(lp, WAD, rate_scalar)?
        }
    };
    Ok(Curve {
        rate_scalar,
        rate_anchor,
        tau_ms,
    })
}

/// `rate(Δ)`: GPU-hour-equivalents per token for a trade of `delta` tokens to the trader.
pub fn exchange_rate(p: &Pool, c: &Curve, delta: i128) -> Result<i128, LedgerError> {
    let lp = log_proportion(p.reserve_capacity, asset_units(p)?, delta)?;
    let r = smul_div(lp, WAD, c.rate_scalar)? + c.rate_anchor;
    if r < WAD {
        return Err(err(
            "exchange rate below 1: the token would trade above par",
        ));
    }
    Ok(r)
}

fn ln_implied_rate(p: &Pool, c: &Curve) -> Result<i128, LedgerError> {
    let r = exchange_rate(p, c, 0)?;
    smul_div(ln_wad(r)?, YEAR_MS, c.tau_ms)
}

/// Spot price of one whole GPU-hour in AID base units at `now` (floor).
pub fn spot_price(p: &Pool, now: Timestamp) -> Result<u128, LedgerError> {
    let c = curve(p, now)?;
    let r = u(exchange_rate(p, &c, 0)?)?;
    Ok(mul_div(p.par_price, WAD as u128, r, Rounding::Down)?)
}

/// AID a buyer pays for `amount` tokens at `now` (fee included), or a seller receives.
pub fn quote(p: &Pool, now: Timestamp, buy: bool, amount: u128) -> Result<u128, LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let c = curve(p, now)?;
    let d = i(amount)?;
    let fee = u128::from(p.fee_bps);
    if buy {
        let r = u(exchange_rate(p, &c, d)?)?;
        let base = mul_div(
            mul_div(amount, p.par_price, ONE_HOUR, Rounding::Up)?,
            WAD as u128,
            r,
            Rounding::Up,
        )?;
        let f = mul_div(base, fee, 10_000, Rounding::Up)?;
        Ok(math::checked_add(base, f)?)
    } else {
        let r = u(exchange_rate(p, &c, -d)?)?;
        let base = mul_div(
            mul_div(amount, p.par_price, ONE_HOUR, Rounding::Down)?,
            WAD as u128,
            r,
            Rounding::Down,
        )?;
        let f = mul_div(base, fee, 10_000, Rounding::Up)?;
        let out = base.saturating_sub(f);
        if out >= p.reserve_quote {
            return Err(err("sale larger than the pool's AID reserve"));
        }
        Ok(out)
    }
}

/// The API view of `t`'s pool at `now`.
pub fn view(s: &impl Store, t: TokenId, now: Timestamp) -> Result<Option<PoolView>, LedgerError> {
    let Some(p) = pool(s, t)? else {
        return Ok(None);
    };
    let live = now < p.expiry && p.reserve_capacity > 0;
    let spot_price = if live { spot_price(&p, now).ok() } else { None };
    let implied_rate_wad = if live {
        exp_wad(p.last_ln_rate)
            .ok()
            .and_then(|e| u128::try_from(e - WAD).ok())
    } else {
        None
    };
    Ok(Some(PoolView {
        pool: p,
        spot_price,
        implied_rate_wad,
    }))
}

fn check_deadline(ex: &Exec<'_>, deadline: u64) -> Result<(), LedgerError> {
    if ex.now.0 > deadline {
        return Err(err(format!(
            "deadline {deadline} has passed (now {})",
            ex.now
        )));
    }
    Ok(())
}

/// Arguments of `CreateCapacityPool`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CreateArgs {
    pub token: TokenId,
    pub par_price: u128,
    pub scalar_root: u128,
    pub initial_anchor: u128,
    pub fee_bps: u32,
    pub capacity: u128,
    pub quote: u128,
}

/// `CreateCapacityPool` handler: the first deposit sets the reserves and the implied rate.
pub(crate) fn create(
    ex: &mut Exec<'_>,
    sender: &Address,
    a: CreateArgs,
) -> Result<(), LedgerError> {
    let sl = super::load(ex, a.token)?;
    if pool(ex, a.token)?.is_some() {
        return Err(err(format!("{} already has a pool", sl.symbol)));
    }
    if a.par_price == 0 || a.capacity == 0 || a.quote == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    if a.scalar_root == 0 || a.scalar_root > MAX_SCALAR_ROOT {
        return Err(err(format!(
            "scalar root must be in 1..={MAX_SCALAR_ROOT} (WAD)"
        )));
    }
    if a.initial_anchor < WAD as u128 || a.initial_anchor > MAX_ANCHOR {
        return Err(err(format!(
            "initial anchor must be in {WAD}..={MAX_ANCHOR} (WAD)"
        )));
    }
    if a.fee_bps > MAX_FEE_BPS {
        return Err(err(format!("fee above {MAX_FEE_BPS} bps")));
    }
    let quote = crate::dollar::config(ex)?.aid;
    let mut p = Pool {
        token: a.token,
        quote,
        par_price: a.par_price,
        scalar_root: a.scalar_root,
        fee_bps: a.fee_bps,
        expiry: sl.start,
        reserve_capacity: a.capacity,
        reserve_quote: a.quote,
        total_lp: 0,
        last_ln_rate: 0,
    };
    let c = curve_with_rate(&p, ex.now, Some(i(a.initial_anchor)?))?;
    p.last_ln_rate = ln_implied_rate(&p, &c)?;
    let root = crate::amm::math::sqrt(U256::from(a.capacity) * U256::from(asset_units(&p)?));
    let total = u128::try_from(root).expect("sqrt of a u256 fits u128");
    if total <= MINIMUM_LIQUIDITY {
        return Err(err("first deposit too small"));
    }
    p.total_lp = total;
    let lp = total - MINIMUM_LIQUIDITY;
    let acct = pool_account();
    tokens::move_balance(ex, sender, &acct, a.token, a.capacity)?;
    tokens::move_balance(ex, sender, &acct, quote, a.quote)?;
    set_lp(ex, a.token, sender, lp);
    save(ex, &p);
    ex.emit(Event::Capacity(CapacityEvent::PoolCreated {
        token: a.token,
        quote,
        provider: *sender,
        capacity: a.capacity,
        quote_amount: a.quote,
        lp,
    }));
    Ok(())
}

/// `AddCapacityLiquidity` handler: deposits in proportion, LP shares rounded down.
pub(crate) fn add_liquidity(
    ex: &mut Exec<'_>,
    sender: &Address,
    token: TokenId,
    capacity_max: u128,
    quote_max: u128,
    min_lp: u128,
    deadline: u64,
) -> Result<(), LedgerError> {
    check_deadline(ex, deadline)?;
    let mut p = load(ex, token)?;
    if ex.now >= p.expiry {
        return Err(err(format!(
            "the pool of token {token} closed at expiry {}",
            p.expiry
        )));
    }
    if p.reserve_capacity == 0 || p.reserve_quote == 0 {
        return Err(err("the pool is empty"));
    }
    let lp = mul_div(capacity_max, p.total_lp, p.reserve_capacity, Rounding::Down)?.min(mul_div(
        quote_max,
        p.total_lp,
        p.reserve_quote,
        Rounding::Down,
    )?);
    if lp == 0 || lp < min_lp {
        return Err(err(format!(
            "deposit mints {lp} LP shares, below the minimum {}",
            min_lp.max(1)
        )));
    }
    let cap_in = mul_div(lp, p.reserve_capacity, p.total_lp, Rounding::Up)?;
    let quote_in = mul_div(lp, p.reserve_quote, p.total_lp, Rounding::Up)?;
    let acct = pool_account();
    tokens::move_balance(ex, sender, &acct, token, cap_in)?;
    tokens::move_balance(ex, sender, &acct, p.quote, quote_in)?;
    p.reserve_capacity = math::checked_add(p.reserve_capacity, cap_in)?;
    p.reserve_quote = math::checked_add(p.reserve_quote, quote_in)?;
    p.total_lp = math::checked_add(p.total_lp, lp)?;
    let have = lp_balance(ex, token, sender)?;
    set_lp(ex, token, sender, math::checked_add(have, lp)?);
    save(ex, &p);
    ex.emit(Event::Capacity(CapacityEvent::LiquidityAdded {
        token,
        provider: *sender,
        capacity: cap_in,
        quote_amount: quote_in,
        lp,
    }));
    Ok(())
}

/// `RemoveCapacityLiquidity` handler (also after expiry): pro-rata, rounded down.
pub(crate) fn remove_liquidity(
    ex: &mut Exec<'_>,
    sender: &Address,
    token: TokenId,
    lp: u128,
    min_capacity: u128,
    min_quote: u128,
    deadline: u64,
) -> Result<(), LedgerError> {
    check_deadline(ex, deadline)?;
    if lp == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let mut p = load(ex, token)?;
    let have = lp_balance(ex, token, sender)?;
    if have < lp {
        return Err(err(format!("{sender} holds {have} LP shares, not {lp}")));
    }
    let cap_out = mul_div(lp, p.reserve_capacity, p.total_lp, Rounding::Down)?;
    let quote_out = mul_div(lp, p.reserve_quote, p.total_lp, Rounding::Down)?;
    if cap_out < min_capacity || quote_out < min_quote {
        return Err(err(format!(
            "withdrawal gives {cap_out} tokens and {quote_out} AID, below the minimums"
        )));
    }
    let acct = pool_account();
    if cap_out > 0 {
        tokens::move_balance(ex, &acct, sender, token, cap_out)?;
    }
    if quote_out > 0 {
        tokens::move_balance(ex, &acct, sender, p.quote, quote_out)?;
    }
    p.reserve_capacity -= cap_out;
    p.reserve_quote -= quote_out;
    p.total_lp -= lp;
    set_lp(ex, token, sender, have - lp);
    save(ex, &p);
    ex.emit(Event::Capacity(CapacityEvent::LiquidityRemoved {
        token,
        provider: *sender,
        capacity: cap_out,
        quote_amount: quote_out,
        lp,
    }));
    Ok(())
}

/// `SwapCapacity` handler: buy (`limit` = most AID in) or sell (`limit` = least AID out)
/// exactly `amount` tokens, before expiry and the deadline.
pub(crate) fn swap(
    ex: &mut Exec<'_>,
    sender: &Address,
    token: TokenId,
    buy: bool,
    amount: u128,
    limit: u128,
    deadline: u64,
) -> Result<(), LedgerError> {
    check_deadline(ex, deadline)?;
    let mut p = load(ex, token)?;
    let c = curve(&p, ex.now)?;
    let q = quote(&p, ex.now, buy, amount)?;
    let acct = pool_account();
    if buy {
        if q > limit {
            return Err(err(format!(
                "buying {amount} costs {q} AID, above the limit {limit}"
            )));
        }
        tokens::move_balance(ex, sender, &acct, p.quote, q)?;
        tokens::move_balance(ex, &acct, sender, token, amount)?;
        p.reserve_quote = math::checked_add(p.reserve_quote, q)?;
        p.reserve_capacity = math::checked_sub(p.reserve_capacity, amount)?;
    } else {
        if q < limit {
            return Err(err(format!(
                "selling {amount} gives {q} AID, below the limit {limit}"
            )));
        }
        tokens::move_balance(ex, sender, &acct, token, amount)?;
        tokens::move_balance(ex, &acct, sender, p.quote, q)?;
        p.reserve_capacity = math::checked_add(p.reserve_capacity, amount)?;
        p.reserve_quote = math::checked_sub(p.reserve_quote, q)?;
    }
    p.last_ln_rate = ln_implied_rate(&p, &c)?;
    save(ex, &p);
    ex.emit(Event::Capacity(CapacityEvent::Swapped {
        token,
        trader: *sender,
        buy,
        capacity: amount,
        quote_amount: q,
    }));
    Ok(())
}

/// Called by `ExpireSlot` after it burned the pool's token balance.
pub(crate) fn on_expired(ex: &mut Exec<'_>, token: TokenId) -> Result<(), LedgerError> {
    if let Some(mut p) = pool(ex, token)? {
        p.reserve_capacity = 0;
        save(ex, &p);
    }
    Ok(())
}

mod i128_str {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

mod opt_amount {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &Option<u128>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => s.serialize_some(&x.to_string()),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u128>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|x| x.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

pub(crate) use super::pool_invariants::check_invariants;
pub use super::pool_invariants::pools;
