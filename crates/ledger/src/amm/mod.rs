//! The `amm` module: constant-product pools with Uniswap V2's exact integer semantics.
//!
//! - **Pools.** One pool per unordered token pair (as V2's factory `getPair`), created by anyone
//!   with [`create_pool`] and a per-pool fee in basis points (default 30 = 0.30%, at most
//!   [`math::MAX_FEE_BPS`]). `token0 < token1` by id. Each pool holds its tokens in its own
//!   account [`pool_account`] (last 20 bytes of `keccak256("verity/amm/pool" ‖ id u32)`; no key
//!   exists for it), so, as in V2, a pool's *balances* may exceed its stored *reserves* (someone
//!   transferred tokens to it) and the next mint/swap treats the surplus as input.
//! - **Core** ([`pair_mint`], [`pair_burn`], [`pair_swap`]) is `UniswapV2Pair`: mint
//!   `sqrt(x·y) − 1000` on the first deposit (the 1000 [`math::MINIMUM_LIQUIDITY`] shares are
//!   credited to [`DEAD`], the zero address, forever), then `min(in0·S/r0, in1·S/r1)`; burn pays
//!   `liquidity·balance/S` of each token (rounded down); swap sends the outputs optimistically and
//!   then requires the fee-adjusted k check on the balances. No protocol fee (`feeTo` off).
//! - **Periphery** (the handlers) is `UniswapV2Router02`: optimal add-liquidity amounts with
//!   minimums, remove with minimums, exact-in / exact-out swaps over a token path of 2–4 distinct
//!   tokens (1–3 hops), every one with a deadline (block timestamp, ms). Tokens move only through
//!   the tokens module, so Σ balances = supply always holds.
//! - **LP shares** are an internal balance map per pool (not a registered token): key
//!   `AMM_LP ‖ pool ‖ holder`; [`Pool::total_supply`] = Σ of them (checked invariant).
//! - **TWAP** ([`twap`]): V2's UQ112x112 cumulative prices, advanced by the first action in a
//!   block (`block_timestamp / 1000` seconds; later actions in the same block see zero elapsed
//!   time), plus a ring of observations for [`twap::twap`].
//!
//! Invariants ([`check_invariants`]): reserves ≤ balances of the pool account; Σ LP = supply;
//! reserves ≤ 2^112 − 1; and (checked in every swap) k never falls.

pub mod genesis;
pub mod math;
pub mod periphery;
pub mod twap;
pub mod view;

use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, State, Store};
use crate::tokens;
use alloy_primitives::U256;
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, Hash, Timestamp, TokenId, amount_str, math as pmath};

pub use math::{DEFAULT_FEE_BPS, MINIMUM_LIQUIDITY, get_amount_in, get_amount_out};
pub(crate) use periphery::{
    add_liquidity, remove_liquidity, swap_along, swap_exact_in, swap_exact_out,
};
pub use periphery::{amounts_in, amounts_out, path_pools};

/// A pool's id (assigned 0, 1, 2, … in creation order).
pub type PoolId = u32;

/// Holder of the permanently locked [`MINIMUM_LIQUIDITY`] shares (the zero address, as V2).
pub const DEAD: Address = Address([0u8; 20]);

/// Longest token path of a swap (3 hops).
pub const MAX_PATH: usize = 4;

/// A pool's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    /// The pool's id.
    pub id: PoolId,
    /// The lower token id.
    pub token0: TokenId,
    /// The higher token id.
    pub token1: TokenId,
    /// Fee taken from every input, in basis points.
    pub fee_bps: u16,
    /// Reserve of `token0`.
    #[serde(with = "amount_str")]
    pub reserve0: u128,
    /// Reserve of `token1`.
    #[serde(with = "amount_str")]
    pub reserve1: u128,
    /// Total LP shares (including the locked minimum).
    #[serde(with = "amount_str")]
    pub total_supply: u128,
    /// Time (seconds) of the last accumulator update (`blockTimestampLast`).
    pub timestamp_last: u64,
    /// Σ price of token0 in token1 × seconds, UQ112x112, wrapping mod 2^256 (`price0CumulativeLast`).
    #[serde(with = "twap::u256_str")]
    pub price0_cumulative: U256,
    /// Σ price of token1 in token0 × seconds, UQ112x112, wrapping mod 2^256.
    #[serde(with = "twap::u256_str")]
    pub price1_cumulative: U256,
}

impl Pool {
    /// Layout: token0 u32 ‖ token1 u32 ‖ fee u16 ‖ reserve0 u128 ‖ reserve1 u128 ‖ supply u128 ‖
    /// timestamp_last u64 ‖ price0_cumulative 32 bytes ‖ price1_cumulative 32 bytes (id is the key).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 4 + 2 + 48 + 8 + 64);
        out.extend_from_slice(&self.token0.0.to_be_bytes());
        out.extend_from_slice(&self.token1.0.to_be_bytes());
        out.extend_from_slice(&self.fee_bps.to_be_bytes());
        out.extend_from_slice(&self.reserve0.to_be_bytes());
        out.extend_from_slice(&self.reserve1.to_be_bytes());
        out.extend_from_slice(&self.total_supply.to_be_bytes());
        out.extend_from_slice(&self.timestamp_last.to_be_bytes());
        out.extend_from_slice(&self.price0_cumulative.to_be_bytes::<32>());
        out.extend_from_slice(&self.price1_cumulative.to_be_bytes::<32>());
        out
    }

    /// Inverse of [`Pool::encode`].
    pub fn decode(id: PoolId, v: &[u8]) -> Result<Pool, LedgerError> {
        let mut r = Reader::new(v, "pool");
        let token0 = TokenId(r.u32()?);
        let token1 = TokenId(r.u32()?);
        let fee_bps = (u16::from(r.u8()?) << 8) | u16::from(r.u8()?);
        let reserve0 = r.u128()?;
        let reserve1 = r.u128()?;
        let total_supply = r.u128()?;
        let timestamp_last = r.u64()?;
        let price0_cumulative = twap::read_u256(&mut r)?;
        let price1_cumulative = twap::read_u256(&mut r)?;
        r.finish()?;
        Ok(Pool {
            id,
            token0,
            token1,
            fee_bps,
            reserve0,
            reserve1,
            total_supply,
            timestamp_last,
            price0_cumulative,
            price1_cumulative,
        })
    }

    /// The reserves as (reserve of `t`, reserve of the other token); `None` if `t` is not in
    /// the pool.
    pub fn reserves_for(&self, t: TokenId) -> Option<(u128, u128)> {
        if t == self.token0 {
            Some((self.reserve0, self.reserve1))
        } else if t == self.token1 {
            Some((self.reserve1, self.reserve0))
        } else {
            None
        }
    }

    /// The other token of the pair (`None` if `t` is not in the pool).
    pub fn other(&self, t: TokenId) -> Option<TokenId> {
        if t == self.token0 {
            Some(self.token1)
        } else if t == self.token1 {
            Some(self.token0)
        } else {
            None
        }
    }
}

/// The account that holds pool `id`'s tokens: last 20 bytes of
/// `keccak256("verity/amm/pool" ‖ id u32 big-endian)`.
pub fn pool_account(id: PoolId) -> Address {
    let mut b = b"verity/amm/pool".to_vec();
    b.extend_from_slice(&id.to_be_bytes());
    let h = Hash::keccak(&b);
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.0[12..]);
    Address(a)
}

fn pool_key(id: PoolId) -> [u8; 5] {
    let mut k = [0u8; 5];
    k[0] = keys::AMM_POOL;
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

fn lp_key(id: PoolId, holder: &Address) -> [u8; 25] {
    let mut k = [0u8; 25];
    k[0] = keys::AMM_LP;
    k[1..5].copy_from_slice(&id.to_be_bytes());
    k[5..].copy_from_slice(&holder.0);
    k
}

fn pair_key(t0: TokenId, t1: TokenId) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = keys::AMM_PAIR;
    k[1..5].copy_from_slice(&t0.0.to_be_bytes());
    k[5..].copy_from_slice(&t1.0.to_be_bytes());
    k
}

const COUNT_KEY: &[u8] = &[keys::AMM_META];

/// Sort a pair by id; the same token twice is an error.
pub fn sort_tokens(a: TokenId, b: TokenId) -> Result<(TokenId, TokenId), LedgerError> {
    if a == b {
        return Err(LedgerError::SameToken(a));
    }
    Ok(if a < b { (a, b) } else { (b, a) })
}

/// How many pools exist (ids are `0..count`).
pub fn pool_count(s: &impl Store) -> Result<u32, LedgerError> {
    match s.get(COUNT_KEY) {
        Some(v) => {
            let mut r = Reader::new(v, "pool count");
            let n = r.u32()?;
            r.finish()?;
            Ok(n)
        }
        None => Ok(0),
    }
}

/// Pool `id`.
pub fn pool(s: &impl Store, id: PoolId) -> Result<Pool, LedgerError> {
    match s.get(&pool_key(id)) {
        Some(v) => Pool::decode(id, v),
        None => Err(LedgerError::UnknownPool(id)),
    }
}

/// Every pool in id order.
pub fn pools(s: &impl Store) -> Result<Vec<Pool>, LedgerError> {
    (0..pool_count(s)?).map(|id| pool(s, id)).collect()
}

/// The pool of a token pair (either order), if any.
pub fn pool_for(s: &impl Store, a: TokenId, b: TokenId) -> Result<Option<PoolId>, LedgerError> {
    let (t0, t1) = sort_tokens(a, b)?;
    match s.get(&pair_key(t0, t1)) {
        Some(v) => {
            let mut r = Reader::new(v, "pair index");
            let id = r.u32()?;
            r.finish()?;
            Ok(Some(id))
        }
        None => Ok(None),
    }
}

/// LP shares of `holder` in pool `id`.
pub fn lp_balance(s: &impl Store, id: PoolId, holder: &Address) -> Result<u128, LedgerError> {
    match s.get(&lp_key(id, holder)) {
        Some(v) => keys::decode_u128(v, "lp balance"),
        None => Ok(0),
    }
}

fn set_lp(ex: &mut Exec<'_>, id: PoolId, holder: &Address, v: u128) {
    ex.put(
        &lp_key(id, holder),
        (v != 0).then(|| v.to_be_bytes().to_vec()),
    );
}

fn put_pool(ex: &mut Exec<'_>, p: &Pool) {
    ex.put(&pool_key(p.id), Some(p.encode()));
}

/// Fail unless the block time is at or before `deadline` (V2's `ensure`).
pub fn ensure_deadline(ex: &Exec<'_>, deadline: Timestamp) -> Result<(), LedgerError> {
    if ex.now > deadline {
        return Err(LedgerError::Expired {
            deadline,
            now: ex.now,
        });
    }
    Ok(())
}

/// `CreatePool`: register the pair `(token_a, token_b)` with `fee_bps`; anyone may.
pub(crate) fn create_pool(
    ex: &mut Exec<'_>,
    sender: &Address,
    token_a: TokenId,
    token_b: TokenId,
    fee_bps: u16,
) -> Result<PoolId, LedgerError> {
    let (token0, token1) = sort_tokens(token_a, token_b)?;
    tokens::token_info(ex, token0)?;
    tokens::token_info(ex, token1)?;
    if fee_bps > math::MAX_FEE_BPS {
        return Err(LedgerError::BadFee(fee_bps));
    }
    if let Some(existing) = pool_for(ex, token0, token1)? {
        return Err(LedgerError::PoolExists(token0, token1, existing));
    }
    let id = pool_count(ex)?;
    let next = id
        .checked_add(1)
        .ok_or(LedgerError::Math(verity_primitives::MathError::Overflow))?;
    ex.put(COUNT_KEY, Some(next.to_be_bytes().to_vec()));
    ex.put(&pair_key(token0, token1), Some(id.to_be_bytes().to_vec()));
    let p = Pool {
        id,
        token0,
        token1,
        fee_bps,
        reserve0: 0,
        reserve1: 0,
        total_supply: 0,
        timestamp_last: ex.now.0 / 1000,
        price0_cumulative: U256::ZERO,
        price1_cumulative: U256::ZERO,
    };
    put_pool(ex, &p);
    ex.emit(Event::PoolCreated {
        pool: id,
        token0,
        token1,
        fee_bps,
        creator: *sender,
    });
    Ok(id)
}

/// V2 `_update`: advance the price accumulators (once per block: later calls in the same
/// block see zero elapsed seconds), record an observation, then store the new reserves.
fn update(
    ex: &mut Exec<'_>,
    p: &mut Pool,
    balance0: u128,
    balance1: u128,
) -> Result<(), LedgerError> {
    if balance0 > math::MAX_RESERVE || balance1 > math::MAX_RESERVE {
        return Err(LedgerError::ReserveOverflow);
    }
    let now_s = ex.now.0 / 1000;
    let elapsed = now_s.saturating_sub(p.timestamp_last);
    let was_empty = p.reserve0 == 0 || p.reserve1 == 0;
    if elapsed > 0 {
        twap::accumulate(p, elapsed);
        twap::record(ex, p, now_s, false)?;
    }
    p.reserve0 = balance0;
    p.reserve1 = balance1;
    p.timestamp_last = p.timestamp_last.max(now_s);
    if was_empty && balance0 != 0 && balance1 != 0 {
        // First liquidity: a TWAP window may start here.
        twap::record(ex, p, now_s, true)?;
    }
    put_pool(ex, p);
    Ok(())
}

/// V2 `mint`: the amounts deposited are the pool account's balances minus the reserves; mints
/// LP shares to `to` and returns (amount0, amount1, liquidity).
pub(crate) fn pair_mint(
    ex: &mut Exec<'_>,
    id: PoolId,
    to: &Address,
) -> Result<(u128, u128, u128), LedgerError> {
    let mut p = pool(ex, id)?;
    let acct = pool_account(id);
    let balance0 = tokens::balance(ex, &acct, p.token0)?;
    let balance1 = tokens::balance(ex, &acct, p.token1)?;
    let amount0 = pmath::checked_sub(balance0, p.reserve0)?;
    let amount1 = pmath::checked_sub(balance1, p.reserve1)?;
    let liquidity = if p.total_supply == 0 {
        let root = math::sqrt(U256::from(amount0) * U256::from(amount1));
        let root = u128::try_from(root).expect("sqrt of a product of two u128 fits in u128");
        let l = root
            .checked_sub(MINIMUM_LIQUIDITY)
            .ok_or(LedgerError::InsufficientLiquidityMinted)?;
        p.total_supply = MINIMUM_LIQUIDITY;
        set_lp(ex, id, &DEAD, MINIMUM_LIQUIDITY);
        l
    } else {
        let l0 = pmath::mul_div(amount0, p.total_supply, p.reserve0, pmath::Rounding::Down)?;
        let l1 = pmath::mul_div(amount1, p.total_supply, p.reserve1, pmath::Rounding::Down)?;
        l0.min(l1)
    };
    if liquidity == 0 {
        return Err(LedgerError::InsufficientLiquidityMinted);
    }
    p.total_supply = pmath::checked_add(p.total_supply, liquidity)?;
    let held = lp_balance(ex, id, to)?;
    set_lp(ex, id, to, pmath::checked_add(held, liquidity)?);
    update(ex, &mut p, balance0, balance1)?;
    Ok((amount0, amount1, liquidity))
}

/// V2 `burn`: destroy `liquidity` of `from`'s shares and pay `liquidity·balance/supply` of each
/// token (rounded down) to `from`; returns (amount0, amount1).
pub(crate) fn pair_burn(
    ex: &mut Exec<'_>,
    id: PoolId,
    from: &Address,
    liquidity: u128,
) -> Result<(u128, u128), LedgerError> {
    let mut p = pool(ex, id)?;
    let held = lp_balance(ex, id, from)?;
    if held < liquidity {
        return Err(LedgerError::InsufficientLpShares {
            pool: id,
            have: held,
            need: liquidity,
        });
    }
    let acct = pool_account(id);
    let balance0 = tokens::balance(ex, &acct, p.token0)?;
    let balance1 = tokens::balance(ex, &acct, p.token1)?;
    let amount0 = pmath::mul_div(liquidity, balance0, p.total_supply, pmath::Rounding::Down)?;
    let amount1 = pmath::mul_div(liquidity, balance1, p.total_supply, pmath::Rounding::Down)?;
    if amount0 == 0 || amount1 == 0 {
        return Err(LedgerError::InsufficientLiquidityBurned);
    }
    set_lp(ex, id, from, held - liquidity);
    p.total_supply = pmath::checked_sub(p.total_supply, liquidity)?;
    tokens::move_balance(ex, &acct, from, p.token0, amount0)?;
    tokens::move_balance(ex, &acct, from, p.token1, amount1)?;
    update(ex, &mut p, balance0 - amount0, balance1 - amount1)?;
    Ok((amount0, amount1))
}

/// V2 `swap`: send `amount0_out`/`amount1_out` to `to` optimistically, take as input whatever the
/// pool account holds above its reserves, and require the fee-adjusted k check.
pub fn pair_swap(
    ex: &mut Exec<'_>,
    id: PoolId,
    amount0_out: u128,
    amount1_out: u128,
    to: &Address,
    sender: &Address,
) -> Result<(), LedgerError> {
    let p = pool(ex, id)?;
    pair_swap_loaded(ex, p, amount0_out, amount1_out, to, sender)
}

/// [`pair_swap`] on a pool record the caller already loaded (it must be current: a pool's
/// record only changes through its own mint/burn/swap/sync).
pub(crate) fn pair_swap_loaded(
    ex: &mut Exec<'_>,
    mut p: Pool,
    amount0_out: u128,
    amount1_out: u128,
    to: &Address,
    sender: &Address,
) -> Result<(), LedgerError> {
    let id = p.id;
    if amount0_out == 0 && amount1_out == 0 {
        return Err(LedgerError::InsufficientOutputAmount);
    }
    if amount0_out >= p.reserve0 || amount1_out >= p.reserve1 {
        return Err(LedgerError::InsufficientLiquidity);
    }
    let acct = pool_account(id);
    if *to == acct {
        return Err(LedgerError::BadPath("a pool cannot swap to itself".into()));
    }
    if amount0_out > 0 {
        tokens::move_balance(ex, &acct, to, p.token0, amount0_out)?;
    }
    if amount1_out > 0 {
        tokens::move_balance(ex, &acct, to, p.token1, amount1_out)?;
    }
    let balance0 = tokens::balance(ex, &acct, p.token0)?;
    let balance1 = tokens::balance(ex, &acct, p.token1)?;
    let kept0 = p.reserve0 - amount0_out;
    let kept1 = p.reserve1 - amount1_out;
    let amount0_in = balance0.saturating_sub(kept0);
    let amount1_in = balance1.saturating_sub(kept1);
    if amount0_in == 0 && amount1_in == 0 {
        return Err(LedgerError::InsufficientInputAmount);
    }
    if !math::k_holds(
        balance0, balance1, amount0_in, amount1_in, p.reserve0, p.reserve1, p.fee_bps,
    ) {
        return Err(LedgerError::KInvariant);
    }
    update(ex, &mut p, balance0, balance1)?;
    ex.emit(Event::Swap {
        pool: id,
        sender: *sender,
        amount0_in,
        amount1_in,
        amount0_out,
        amount1_out,
        to: *to,
    });
    Ok(())
}

/// V2 `sync`: set the reserves to the pool account's balances (advancing the accumulators);
/// for modules that move tokens into a pool outside a swap.
pub fn pair_sync(ex: &mut Exec<'_>, id: PoolId) -> Result<(), LedgerError> {
    let mut p = pool(ex, id)?;
    let acct = pool_account(id);
    let b0 = tokens::balance(ex, &acct, p.token0)?;
    let b1 = tokens::balance(ex, &acct, p.token1)?;
    update(ex, &mut p, b0, b1)
}

/// Reserves ≤ 2^112 − 1 and ≤ the pool account's balances; Σ LP shares = total supply; the
/// locked minimum is held by [`DEAD`] once a pool has been minted; the pair index matches.
pub(crate) fn check_invariants(state: &State) -> Result<(), LedgerError> {
    let n = pool_count(state)?;
    let mut lp_sums = vec![0u128; n as usize];
    for (k, v) in state.scan(keys::AMM_LP) {
        if k.len() != 25 {
            return Err(LedgerError::Corrupt("malformed lp key".into()));
        }
        let id = u32::from_be_bytes([k[1], k[2], k[3], k[4]]);
        let slot = lp_sums
            .get_mut(id as usize)
            .ok_or_else(|| LedgerError::Invariant(format!("LP shares of unknown pool {id}")))?;
        *slot = pmath::checked_add(*slot, keys::decode_u128(v, "lp balance")?)?;
    }
    for id in 0..n {
        let p = pool(state, id)?;
        let acct = pool_account(id);
        let inv = |m: String| Err(LedgerError::Invariant(format!("pool {id}: {m}")));
        if p.reserve0 > math::MAX_RESERVE || p.reserve1 > math::MAX_RESERVE {
            return inv("reserve above 2^112 - 1".into());
        }
        let (b0, b1) = (state.balance(acct, p.token0), state.balance(acct, p.token1));
        if p.reserve0 > b0 || p.reserve1 > b1 {
            return inv(format!(
                "reserves ({}, {}) exceed balances ({b0}, {b1})",
                p.reserve0, p.reserve1
            ));
        }
        if lp_sums[id as usize] != p.total_supply {
            return inv(format!(
                "Σ LP shares {} != total supply {}",
                lp_sums[id as usize], p.total_supply
            ));
        }
        if p.total_supply != 0 && lp_balance(state, id, &DEAD)? < MINIMUM_LIQUIDITY {
            return inv("the locked minimum liquidity is missing".into());
        }
        if pool_for(state, p.token0, p.token1)? != Some(id) {
            return inv("pair index does not point at the pool".into());
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_input;
