//! Time-weighted average prices from Uniswap V2's cumulative-price accumulators.
//!
//! A pool's `price0_cumulative` is Σ (reserve1 / reserve0 as UQ112x112) × seconds, advanced in
//! `update` by the first action of each block (V2's `_update`; seconds = block timestamp ms /
//! 1000, later actions in the same block add nothing), wrapping mod 2^256 as V2 intends
//! (differences stay exact across a wrap). Because a reader needs an *old* accumulator value to
//! average against, each pool keeps a ring of the last [`OBS_CAP`] observations
//! `(seconds, price0_cumulative, price1_cumulative)`, one at most every [`OBS_SPACING_S`]
//! seconds (key `AMM_OBS ‖ pool`). [`twap`] extends the current accumulators to the block time
//! with the current reserves (V2's `UniswapV2OracleLibrary.currentCumulativePrices`) and
//! divides the difference by the elapsed seconds.

use super::{Pool, PoolId, pool};
use crate::error::LedgerError;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, Store};
use alloy_primitives::U256;
use serde::{Deserialize, Serialize};
use verity_primitives::{Timestamp, TokenId};

/// Observations kept per pool.
pub const OBS_CAP: usize = 48;
/// Least spacing between two stored observations, in seconds.
pub const OBS_SPACING_S: u64 = 60;

/// Serde helper: a [`U256`] as a decimal string (JSON numbers lose precision).
pub mod u256_str {
    use alloy_primitives::U256;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialise as a decimal string.
    pub fn serialize<S: Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    /// Parse a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        let s = String::deserialize(d)?;
        U256::from_str_radix(&s, 10).map_err(serde::de::Error::custom)
    }
}

/// One stored observation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Seconds since the Unix epoch.
    pub time_s: u64,
    /// `price0_cumulative` at that time.
    #[serde(with = "u256_str")]
    pub price0_cumulative: U256,
    /// `price1_cumulative` at that time.
    #[serde(with = "u256_str")]
    pub price1_cumulative: U256,
}

/// A time-weighted average price over `[start_s, end_s]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Twap {
    /// The pool.
    pub pool: PoolId,
    /// Average price of token0 in token1, UQ112x112.
    #[serde(with = "u256_str")]
    pub price0: U256,
    /// Average price of token1 in token0, UQ112x112.
    #[serde(with = "u256_str")]
    pub price1: U256,
    /// Window start (seconds; the observation used).
    pub start_s: u64,
    /// Window end (the block time, seconds).
    pub end_s: u64,
}

impl Twap {
    /// Value of `amount_in` of `token_in` in the other token at the average price, rounded down
    /// (V2 example oracle's `consult`). Errors if `token_in` is not in the pool's pair.
    pub fn consult(
        &self,
        p: &Pool,
        token_in: TokenId,
        amount_in: u128,
    ) -> Result<u128, LedgerError> {
        let price = if token_in == p.token0 {
            self.price0
        } else if token_in == p.token1 {
            self.price1
        } else {
            return Err(LedgerError::BadPath(format!(
                "token {token_in} is not in pool {}",
                p.id
            )));
        };
        // price < 2^224 and amount < 2^128: the product may exceed 2^256, so divide first
        // where needed: (price >> 112) * amount + ((price & mask) * amount >> 112).
        let whole: U256 = price >> 112usize;
        let frac = price & ((U256::from(1u8) << 112) - U256::from(1u8));
        let a = U256::from(amount_in);
        let hi = whole
            .checked_mul(a)
            .ok_or(LedgerError::Math(verity_primitives::MathError::Overflow))?;
        let lo: U256 = (frac * a) >> 112usize;
        u128::try_from(hi + lo)
            .map_err(|_| LedgerError::Math(verity_primitives::MathError::Overflow))
    }
}

/// Read a 32-byte big-endian unsigned integer (two u128 halves).
pub(crate) fn read_u256(r: &mut Reader<'_>) -> Result<U256, LedgerError> {
    let hi = r.u128()?;
    let lo = r.u128()?;
    Ok((U256::from(hi) << 128) | U256::from(lo))
}

/// Advance the accumulators by `elapsed` seconds at the current reserves (no-op when a reserve
/// is zero, as V2).
pub(crate) fn accumulate(p: &mut Pool, elapsed: u64) {
    if p.reserve0 == 0 || p.reserve1 == 0 || elapsed == 0 {
        return;
    }
    let dt = U256::from(elapsed);
    p.price0_cumulative = p
        .price0_cumulative
        .wrapping_add(super::math::uq112_div(p.reserve1, p.reserve0).wrapping_mul(dt));
    p.price1_cumulative = p
        .price1_cumulative
        .wrapping_add(super::math::uq112_div(p.reserve0, p.reserve1).wrapping_mul(dt));
}

fn obs_key(id: PoolId) -> [u8; 5] {
    let mut k = [0u8; 5];
    k[0] = keys::AMM_OBS;
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

/// The stored observations of pool `id`, oldest first.
pub fn observations(s: &impl Store, id: PoolId) -> Result<Vec<Observation>, LedgerError> {
    let Some(v) = s.get(&obs_key(id)) else {
        return Ok(Vec::new());
    };
    let mut r = Reader::new(v, "observations");
    let mut out = Vec::new();
    while out.len() * 72 < v.len() {
        let time_s = r.u64()?;
        let price0_cumulative = read_u256(&mut r)?;
        let price1_cumulative = read_u256(&mut r)?;
        out.push(Observation {
            time_s,
            price0_cumulative,
            price1_cumulative,
        });
    }
    r.finish()?;
    Ok(out)
}

/// Store an observation of `p`'s accumulators at `now_s` unless the newest one is younger than
/// [`OBS_SPACING_S`]; the oldest is dropped beyond [`OBS_CAP`].
/// With `force` (a pool's first liquidity) the spacing is ignored, so a TWAP can start there.
pub(crate) fn record(
    ex: &mut Exec<'_>,
    p: &Pool,
    now_s: u64,
    force: bool,
) -> Result<(), LedgerError> {
    let mut obs = observations(ex, p.id)?;
    if let Some(last) = obs.last()
        && (now_s == last.time_s || (!force && now_s < last.time_s.saturating_add(OBS_SPACING_S)))
    {
        return Ok(());
    }
    obs.push(Observation {
        time_s: now_s,
        price0_cumulative: p.price0_cumulative,
        price1_cumulative: p.price1_cumulative,
    });
    if obs.len() > OBS_CAP {
        obs.remove(0);
    }
    let mut v = Vec::with_capacity(obs.len() * 72);
    for o in &obs {
        v.extend_from_slice(&o.time_s.to_be_bytes());
        v.extend_from_slice(&o.price0_cumulative.to_be_bytes::<32>());
        v.extend_from_slice(&o.price1_cumulative.to_be_bytes::<32>());
    }
    ex.put(&obs_key(p.id), Some(v));
    Ok(())
}

/// The time-weighted average price of pool `id` from (at or before) `since` to `now` (both
/// block timestamps in ms): uses the newest stored observation at or before `since`, and the
/// pool's accumulators extended to `now` with its current reserves. Errors when no observation
/// is that old or the window is empty — a caller must then not trust a spot price instead.
pub fn twap(
    s: &impl Store,
    id: PoolId,
    since: Timestamp,
    now: Timestamp,
) -> Result<Twap, LedgerError> {
    let mut p = pool(s, id)?;
    let (since_s, now_s) = (since.0 / 1000, now.0 / 1000);
    let obs = observations(s, id)?;
    let Some(start) = obs.iter().rev().find(|o| o.time_s <= since_s) else {
        return Err(LedgerError::TwapUnavailable {
            pool: id,
            reason: format!("no observation at or before {since_s} s"),
        });
    };
    if now_s > p.timestamp_last {
        let elapsed = now_s - p.timestamp_last;
        accumulate(&mut p, elapsed);
    }
    let window = now_s.saturating_sub(start.time_s);
    if window == 0 {
        return Err(LedgerError::TwapUnavailable {
            pool: id,
            reason: "the window is empty (observation at the current time)".into(),
        });
    }
    let dt = U256::from(window);
    Ok(Twap {
        pool: id,
        price0: p.price0_cumulative.wrapping_sub(start.price0_cumulative) / dt,
        price1: p.price1_cumulative.wrapping_sub(start.price1_cumulative) / dt,
        start_s: start.time_s,
        end_s: now_s,
    })
}
