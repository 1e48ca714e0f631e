//! The periphery of the amm (UniswapV2Router02 semantics): add/remove liquidity with optimal
//! amounts and minimums, token-path resolution, `getAmountsOut`/`getAmountsIn`, and exact-in /
//! exact-out swaps over 1–3 hops with slippage bounds and deadlines. The core (mint, burn,
//! swap with the k check) is in the parent module.

use super::{MAX_PATH, Pool, PoolId, ensure_deadline, get_amount_in, get_amount_out, math};
use super::{pair_burn, pair_mint, pool, pool_account, pool_for};
use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::{Exec, Store};
use crate::tokens;
use verity_primitives::{Address, Timestamp, TokenId};

/// `AddLiquidity` (UniswapV2Router02 `addLiquidity`): `a` is the pool's token0, `b` its token1.
/// An empty pool takes the desired amounts; otherwise the optimal amounts at the reserves'
/// ratio (`quote`, rounded down), each at least its minimum.
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_liquidity(
    ex: &mut Exec<'_>,
    sender: &Address,
    id: PoolId,
    a_desired: u128,
    b_desired: u128,
    a_min: u128,
    b_min: u128,
    deadline: Timestamp,
) -> Result<(), LedgerError> {
    ensure_deadline(ex, deadline)?;
    if a_desired == 0 || b_desired == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let p = pool(ex, id)?;
    let (a, b) = if p.reserve0 == 0 && p.reserve1 == 0 {
        (a_desired, b_desired)
    } else {
        let b_optimal = math::quote(a_desired, p.reserve0, p.reserve1)?;
        if b_optimal <= b_desired {
            if b_optimal < b_min {
                return Err(LedgerError::InsufficientAmount(
                    "token1 (b) below amount_b_min",
                ));
            }
            (a_desired, b_optimal)
        } else {
            let a_optimal = math::quote(b_desired, p.reserve1, p.reserve0)?;
            debug_assert!(a_optimal <= a_desired);
            if a_optimal < a_min {
                return Err(LedgerError::InsufficientAmount(
                    "token0 (a) below amount_a_min",
                ));
            }
            (a_optimal, b_desired)
        }
    };
    let acct = pool_account(id);
    tokens::move_balance(ex, sender, &acct, p.token0, a)?;
    tokens::move_balance(ex, sender, &acct, p.token1, b)?;
    let (amount0, amount1, liquidity) = pair_mint(ex, id, sender)?;
    ex.emit(Event::LiquidityAdded {
        pool: id,
        provider: *sender,
        amount0,
        amount1,
        liquidity,
    });
    Ok(())
}

/// `RemoveLiquidity`: burn `liquidity` shares; each amount paid must reach its minimum.
pub(crate) fn remove_liquidity(
    ex: &mut Exec<'_>,
    sender: &Address,
    id: PoolId,
    liquidity: u128,
    a_min: u128,
    b_min: u128,
    deadline: Timestamp,
) -> Result<(), LedgerError> {
    ensure_deadline(ex, deadline)?;
    if liquidity == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let (amount0, amount1) = pair_burn(ex, id, sender, liquidity)?;
    if amount0 < a_min {
        return Err(LedgerError::InsufficientAmount(
            "token0 (a) below amount_a_min",
        ));
    }
    if amount1 < b_min {
        return Err(LedgerError::InsufficientAmount(
            "token1 (b) below amount_b_min",
        ));
    }
    ex.emit(Event::LiquidityRemoved {
        pool: id,
        provider: *sender,
        amount0,
        amount1,
        liquidity,
    });
    Ok(())
}

/// The pools along a token path (2–[`MAX_PATH`] distinct tokens, each adjacent pair pooled).
pub fn path_pools(s: &impl Store, path: &[TokenId]) -> Result<Vec<Pool>, LedgerError> {
    if path.len() < 2 || path.len() > MAX_PATH {
        return Err(LedgerError::BadPath(format!(
            "a path has 2 to {MAX_PATH} tokens, got {}",
            path.len()
        )));
    }
    for (i, t) in path.iter().enumerate() {
        if path[..i].contains(t) {
            return Err(if path.len() == 2 {
                LedgerError::SameToken(*t)
            } else {
                LedgerError::BadPath(format!("token {t} appears twice in the path"))
            });
        }
    }
    // A pool exists only between registered tokens, so the token registry is read only when
    // a hop has no pool (to tell an unknown token from a missing pool): two fewer state reads
    // per swap hop on the hot path.
    let known = |t: TokenId| s.get(&crate::state::keys::token_key(t)).is_some();
    path.windows(2)
        .map(|w| match pool_for(s, w[0], w[1])? {
            Some(id) => pool(s, id),
            None => Err(match w.iter().find(|t| !known(**t)) {
                Some(t) => LedgerError::UnknownToken(*t),
                None => LedgerError::NoPool(w[0], w[1]),
            }),
        })
        .collect()
}

/// `getAmountsOut` over `pools` along `path` (already resolved by [`path_pools`]).
pub fn amounts_out(
    pools: &[Pool],
    path: &[TokenId],
    amount_in: u128,
) -> Result<Vec<u128>, LedgerError> {
    let mut amounts = Vec::with_capacity(path.len());
    amounts.push(amount_in);
    for (p, t) in pools.iter().zip(path) {
        let (ri, ro) = p
            .reserves_for(*t)
            .expect("path_pools pairs each pool with its token");
        let out = get_amount_out(*amounts.last().expect("non-empty"), ri, ro, p.fee_bps)?;
        amounts.push(out);
    }
    Ok(amounts)
}

/// `getAmountsIn` over `pools` along `path`.
pub fn amounts_in(
    pools: &[Pool],
    path: &[TokenId],
    amount_out: u128,
) -> Result<Vec<u128>, LedgerError> {
    let mut amounts = vec![0u128; path.len()];
    amounts[path.len() - 1] = amount_out;
    for i in (0..pools.len()).rev() {
        let (ri, ro) = pools[i]
            .reserves_for(path[i])
            .expect("path_pools pairs each pool with its token");
        amounts[i] = get_amount_in(amounts[i + 1], ri, ro, pools[i].fee_bps)?;
    }
    Ok(amounts)
}

/// Router `_swap`: `amounts[0]` of `path[0]` must already be in the first pool's account; each
/// hop sends its output to the next pool, the last to `to`.
pub(crate) fn swap_along(
    ex: &mut Exec<'_>,
    pools: &[Pool],
    path: &[TokenId],
    amounts: &[u128],
    to: &Address,
    sender: &Address,
) -> Result<(), LedgerError> {
    for (i, p) in pools.iter().enumerate() {
        let out = amounts[i + 1];
        let (a0, a1) = if path[i] == p.token0 {
            (0, out)
        } else {
            (out, 0)
        };
        let dest = match pools.get(i + 1) {
            Some(next) => pool_account(next.id),
            None => *to,
        };
        super::pair_swap_loaded(ex, p.clone(), a0, a1, &dest, sender)?;
    }
    Ok(())
}

/// `SwapExactIn` (`swapExactTokensForTokens`): sell exactly `amount_in` of `path[0]`; the
/// output of `path.last()` must be at least `min_out`. Returns the output.
pub(crate) fn swap_exact_in(
    ex: &mut Exec<'_>,
    sender: &Address,
    path: &[TokenId],
    amount_in: u128,
    min_out: u128,
    deadline: Timestamp,
) -> Result<u128, LedgerError> {
    ensure_deadline(ex, deadline)?;
    if amount_in == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let pools = path_pools(ex, path)?;
    let amounts = amounts_out(&pools, path, amount_in)?;
    let out = *amounts.last().expect("non-empty");
    if out < min_out {
        return Err(LedgerError::InsufficientOutput { out, min: min_out });
    }
    tokens::move_balance(ex, sender, &pool_account(pools[0].id), path[0], amount_in)?;
    swap_along(ex, &pools, path, &amounts, sender, sender)?;
    Ok(out)
}

/// `SwapExactOut` (`swapTokensForExactTokens`): buy exactly `amount_out` of `path.last()`
/// paying at most `max_in` of `path[0]`. Returns the input paid.
pub(crate) fn swap_exact_out(
    ex: &mut Exec<'_>,
    sender: &Address,
    path: &[TokenId],
    amount_out: u128,
    max_in: u128,
    deadline: Timestamp,
) -> Result<u128, LedgerError> {
    ensure_deadline(ex, deadline)?;
    if amount_out == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let pools = path_pools(ex, path)?;
    let amounts = amounts_in(&pools, path, amount_out)?;
    if amounts[0] > max_in {
        return Err(LedgerError::ExcessiveInput {
            input: amounts[0],
            max: max_in,
        });
    }
    tokens::move_balance(ex, sender, &pool_account(pools[0].id), path[0], amounts[0])?;
    swap_along(ex, &pools, path, &amounts, sender, sender)?;
    Ok(amounts[0])
}
