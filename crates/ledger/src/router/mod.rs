//! The `router`: the best way to sell `amount_in` of one token for another across the amm's
//! pools — pure reads of [`crate::amm`] ([`quote`]) plus execution of exactly that quote
//! ([`execute_routed`], the `SwapRouted` payload). Because execution recomputes the quote on
//! the state it executes on and the routes of a split share no pool, **quoted output =
//! executed output** whenever the quote is taken on the same state.
//!
//! **Algorithm (deterministic).**
//! 1. Every simple token path of 1–[`MAX_HOPS`] hops from `from` to `to` (depth-first, pools
//!    in id order); a path's output is `getAmountsOut` at the current reserves.
//! 2. If there are more than [`MAX_CANDIDATES`] paths, keep the best `MAX_CANDIDATES / 2` by
//!    output for the whole amount and fill up with the best by output for one step
//!    (`amount_in / STEPS`, i.e. the best marginal price), ties to the earlier path. With at
//!    most `MAX_CANDIDATES` paths nothing is pruned, so the result is the exact optimum below.
//! 3. The amount is split in [`STEPS`] = 20 steps of 5% (as Uniswap's smart-order-router
//!    `best-swap-route` does with `distributionPercent = 5`): a route given `k` steps sells
//!    `floor(amount_in · k / STEPS)`. The router picks the set of at most [`MAX_SPLITS`] routes,
//!    pairwise **pool-disjoint**, and the step counts (each ≥ 1, Σ = STEPS) that maximise
//!    Σ outputs — an exhaustive search over disjoint route sets with a dynamic program over step
//!    counts per set. Ties go to fewer routes, then to the first set found.
//! 4. With a split, Σ route inputs may fall short of `amount_in` by at most (routes − 1) base
//!    units (the floors); that dust is not taken from the sender. A single route sells exactly
//!    `amount_in`.

use crate::amm::{self, Pool, PoolId};
use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::{Exec, Store};
use crate::tokens;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use verity_primitives::{Address, Timestamp, TokenId, amount_str, math as pmath};

/// Most hops of one route.
pub const MAX_HOPS: usize = 3;
/// Most routes in a split.
pub const MAX_SPLITS: usize = 4;
/// Steps the amount is split into (20 → 5% each).
pub const STEPS: usize = 20;
/// Most paths considered for splitting (all of them when there are no more than this).
pub const MAX_CANDIDATES: usize = 10;

/// One route of a quote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// Tokens along the route, `from` first, `to` last.
    pub path: Vec<TokenId>,
    /// The pools used, in order.
    pub pools: Vec<PoolId>,
    /// Amount of `from` sold along this route.
    #[serde(with = "amount_str")]
    pub amount_in: u128,
    /// Amount of `to` it yields.
    #[serde(with = "amount_str")]
    pub amount_out: u128,
}

/// The best way to sell `amount_in` of `from` for `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Token sold.
    pub from: TokenId,
    /// Token bought.
    pub to: TokenId,
    /// Amount asked to sell.
    #[serde(with = "amount_str")]
    pub amount_in: u128,
    /// The routes (pool-disjoint), at most [`MAX_SPLITS`].
    pub routes: Vec<Route>,
    /// Σ of the routes' outputs.
    #[serde(with = "amount_str")]
    pub total_out: u128,
}

impl Quote {
    /// Σ of the routes' inputs (= `amount_in` up to a few base units of split dust).
    pub fn amount_in_used(&self) -> u128 {
        self.routes.iter().map(|r| r.amount_in).sum()
    }
}

/// A candidate path: tokens and indices into the pool list.
#[derive(Clone, Debug)]
struct Path {
    tokens: Vec<TokenId>,
    pools: Vec<usize>,
}

/// Every simple path of 1..=MAX_HOPS hops from `from` to `to`, depth-first in pool-id order
/// (the last hop is a direct lookup of the pool into `to`, not a scan).
fn simple_paths(pools: &[Pool], from: TokenId, to: TokenId) -> Vec<Path> {
    let mut adj: BTreeMap<TokenId, Vec<(TokenId, usize)>> = BTreeMap::new();
    let mut into_to: BTreeMap<TokenId, usize> = BTreeMap::new();
    for (i, p) in pools.iter().enumerate() {
        adj.entry(p.token0).or_default().push((p.token1, i));
        adj.entry(p.token1).or_default().push((p.token0, i));
        if let Some(other) = p.other(to) {
            into_to.insert(other, i);
        }
    }
    struct Walk<'a> {
        adj: &'a BTreeMap<TokenId, Vec<(TokenId, usize)>>,
        into_to: &'a BTreeMap<TokenId, usize>,
        to: TokenId,
        toks: Vec<TokenId>,
        used: Vec<usize>,
        out: Vec<Path>,
    }
    impl Walk<'_> {
        fn go(&mut self) {
            let here = *self.toks.last().expect("path starts non-empty");
            let Some(next) = self.adj.get(&here) else {
                return;
            };
            for &(t, pi) in next {
                if t == self.to {
                    let mut tokens = self.toks.clone();
                    tokens.push(t);
                    let mut pools = self.used.clone();
                    pools.push(pi);
                    self.out.push(Path { tokens, pools });
                    continue;
                }
                if self.toks.contains(&t) || self.used.len() + 1 >= MAX_HOPS {
                    continue;
                }
                self.toks.push(t);
                self.used.push(pi);
                if self.used.len() + 1 == MAX_HOPS {
                    // Last hop: only the pool from `t` straight into `to`.
                    if let Some(&last) = self.into_to.get(&t) {
                        let mut tokens = self.toks.clone();
                        tokens.push(self.to);
                        let mut pools = self.used.clone();
                        pools.push(last);
                        self.out.push(Path { tokens, pools });
                    }
                } else {
                    self.go();
                }
                self.toks.pop();
                self.used.pop();
            }
        }
    }
    let mut w = Walk {
        adj: &adj,
        into_to: &into_to,
        to,
        toks: vec![from],
        used: Vec::new(),
        out: Vec::new(),
    };
    w.go();
    w.out
}

/// Output of `path` for `amount` (0 when the path cannot take it: empty pool, zero amount).
fn path_out(pools: &[Pool], path: &Path, amount: u128) -> u128 {
    let mut a = amount;
    for (t, &pi) in path.tokens.iter().zip(&path.pools) {
        let p = &pools[pi];
        let Some((ri, ro)) = p.reserves_for(*t) else {
            return 0;
        };
        a = match amm::get_amount_out(a, ri, ro, p.fee_bps) {
            Ok(x) => x,
            Err(_) => return 0,
        };
    }
    a
}

/// Amount sold by a route given `k` of [`STEPS`] steps: `floor(amount_in · k / STEPS)`.
pub fn step_amount(amount_in: u128, k: usize) -> u128 {
    pmath::mul_div(amount_in, k as u128, STEPS as u128, pmath::Rounding::Down)
        .expect("k ≤ STEPS, so the result is at most amount_in")
}

fn validate(
    s: &impl Store,
    from: TokenId,
    to: TokenId,
    amount_in: u128,
) -> Result<(), LedgerError> {
    if amount_in == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    if from == to {
        return Err(LedgerError::SameToken(from));
    }
    tokens::token_info(s, from)?;
    tokens::token_info(s, to)?;
    Ok(())
}

/// Pick the candidate paths (all of them when there are at most [`MAX_CANDIDATES`]).
fn candidates(pools: &[Pool], paths: Vec<Path>, amount_in: u128) -> Vec<Path> {
    let one = step_amount(amount_in, 1);
    let scored: Vec<(Path, u128, u128)> = paths
        .into_iter()
        .map(|p| {
            let full = path_out(pools, &p, amount_in);
            let first = path_out(pools, &p, one);
            (p, full, first)
        })
        .filter(|(_, full, first)| *full > 0 || *first > 0)
        .collect();
    if scored.len() <= MAX_CANDIDATES {
        return scored.into_iter().map(|(p, _, _)| p).collect();
    }
    let mut by_full: Vec<usize> = (0..scored.len()).collect();
    by_full.sort_by(|&a, &b| scored[b].1.cmp(&scored[a].1).then(a.cmp(&b)));
    let mut by_first: Vec<usize> = (0..scored.len()).collect();
    by_first.sort_by(|&a, &b| scored[b].2.cmp(&scored[a].2).then(a.cmp(&b)));
    let mut keep: Vec<usize> = by_full.iter().take(MAX_CANDIDATES / 2).copied().collect();
    for i in by_first.into_iter().chain(by_full) {
        if keep.len() >= MAX_CANDIDATES {
            break;
        }
        if !keep.contains(&i) {
            keep.push(i);
        }
    }
    keep.sort_unstable();
    let mut scored: Vec<Option<Path>> = scored.into_iter().map(|(p, _, _)| Some(p)).collect();
    keep.into_iter()
        .map(|i| scored[i].take().expect("indices are unique"))
        .collect()
}

/// Search state of the exhaustive split search.
struct Search<'a> {
    table: &'a [[u128; STEPS + 1]],
    masks: &'a [u64],
    best_total: u128,
    best: Vec<(usize, usize)>,
}

impl Search<'_> {
    /// Extend the set `chosen` (with DP array `f`: f[k] = best output of `chosen` using k steps,
    /// each route ≥ 1 step; `choice[level][k]` = steps given to the level's route).
    fn dfs(
        &mut self,
        start: usize,
        used: u64,
        chosen: &mut Vec<usize>,
        f: &[u128; STEPS + 1],
        choices: &mut Vec<[usize; STEPS + 1]>,
    ) {
        for r in start..self.table.len() {
            if used & self.masks[r] != 0 {
                continue;
            }
            let mut g = [0u128; STEPS + 1];
            let mut ch = [0usize; STEPS + 1];
            let level = chosen.len();
            for k in (level + 1)..=STEPS {
                let mut best = 0u128;
                let mut arg = 0usize;
                // Previous routes need ≥ 1 step each: j ≤ k − level.
                for j in 1..=(k - level) {
                    let prev = if level == 0 {
                        if j == k { 0 } else { continue }
                    } else {
                        f[k - j]
                    };
                    let v = prev + self.table[r][j];
                    if arg == 0 || v > best {
                        best = v;
                        arg = j;
                    }
                }
                g[k] = best;
                ch[k] = arg;
            }
            chosen.push(r);
            choices.push(ch);
            let better = g[STEPS] > self.best_total
                || (g[STEPS] == self.best_total && chosen.len() < self.best.len());
            if better || self.best.is_empty() {
                self.best_total = g[STEPS];
                // Reconstruct the step counts.
                let mut alloc = Vec::with_capacity(chosen.len());
                let mut k = STEPS;
                for lvl in (0..chosen.len()).rev() {
                    let j = choices[lvl][k];
                    alloc.push((chosen[lvl], j));
                    k -= j;
                }
                alloc.reverse();
                self.best = alloc;
            }
            if chosen.len() < MAX_SPLITS {
                self.dfs(r + 1, used | self.masks[r], chosen, &g, choices);
            }
            chosen.pop();
            choices.pop();
        }
    }
}

/// The best route or split (see the module doc) to sell `amount_in` of `from` for `to` at the
/// state `s` (committed state or an execution overlay). Errors: zero amount, same token,
/// unknown token, or [`LedgerError::NoRoute`] when no path yields anything.
pub fn quote(
    s: &impl Store,
    from: TokenId,
    to: TokenId,
    amount_in: u128,
) -> Result<Quote, LedgerError> {
    validate(s, from, to, amount_in)?;
    let pools = amm::pools(s)?;
    let paths = candidates(&pools, simple_paths(&pools, from, to), amount_in);
    if paths.is_empty() {
        return Err(LedgerError::NoRoute { from, to });
    }
    // Local bit per distinct pool used by the candidates (≤ 10 × 3 = 30 < 64).
    let mut bit: BTreeMap<usize, u32> = BTreeMap::new();
    let masks: Vec<u64> = paths
        .iter()
        .map(|p| {
            p.pools.iter().fold(0u64, |m, pi| {
                let n = bit.len() as u32;
                m | (1u64 << *bit.entry(*pi).or_insert(n))
            })
        })
        .collect();
    let table: Vec<[u128; STEPS + 1]> = paths
        .iter()
        .map(|p| {
            let mut row = [0u128; STEPS + 1];
            for (k, slot) in row.iter_mut().enumerate().skip(1) {
                *slot = path_out(&pools, p, step_amount(amount_in, k));
            }
            row
        })
        .collect();
    let mut search = Search {
        table: &table,
        masks: &masks,
        best_total: 0,
        best: Vec::new(),
    };
    search.dfs(0, 0, &mut Vec::new(), &[0u128; STEPS + 1], &mut Vec::new());
    if search.best_total == 0 {
        return Err(LedgerError::NoRoute { from, to });
    }
    let routes: Vec<Route> = search
        .best
        .iter()
        .map(|&(r, k)| Route {
            path: paths[r].tokens.clone(),
            pools: paths[r].pools.iter().map(|&pi| pools[pi].id).collect(),
            amount_in: step_amount(amount_in, k),
            amount_out: table[r][k],
        })
        .collect();
    Ok(Quote {
        from,
        to,
        amount_in,
        total_out: search.best_total,
        routes,
    })
}

/// Sell `amount_in` of `from` held by `account` for `to` along [`quote`]'s routes computed on
/// the current execution state; the output goes to `account`. Fails with
/// [`LedgerError::InsufficientOutput`] below `min_out` (then nothing moves: the caller's
/// transaction overlay is discarded). Returns the quote that was executed; its `total_out` is
/// exactly what `account` received. For other modules (auto-savings, buy-and-burn).
pub fn execute_routed(
    ex: &mut Exec<'_>,
    account: &Address,
    from: TokenId,
    to: TokenId,
    amount_in: u128,
    min_out: u128,
) -> Result<Quote, LedgerError> {
    let q = quote(ex, from, to, amount_in)?;
    if q.total_out < min_out {
        return Err(LedgerError::InsufficientOutput {
            out: q.total_out,
            min: min_out,
        });
    }
    let have = tokens::balance(ex, account, from)?;
    if have < q.amount_in_used() {
        return Err(LedgerError::InsufficientBalance {
            token: from,
            have,
            need: q.amount_in_used(),
        });
    }
    for r in &q.routes {
        let pools = amm::path_pools(ex, &r.path)?;
        let amounts = amm::amounts_out(&pools, &r.path, r.amount_in)?;
        if amounts.last() != Some(&r.amount_out) {
            return Err(LedgerError::Invariant(
                "routed execution diverged from its quote (routes must be pool-disjoint)".into(),
            ));
        }
        tokens::move_balance(
            ex,
            account,
            &amm::pool_account(pools[0].id),
            from,
            r.amount_in,
        )?;
        amm::swap_along(ex, &pools, &r.path, &amounts, account, account)?;
    }
    ex.emit(Event::RoutedSwap {
        account: *account,
        from,
        to,
        amount_in: q.amount_in_used(),
        amount_out: q.total_out,
        routes: q.routes.len() as u32,
    });
    Ok(q)
}

/// `SwapRouted` handler: [`execute_routed`] for the sender, with a deadline.
pub(crate) fn swap_routed(
    ex: &mut Exec<'_>,
    sender: &Address,
    from: TokenId,
    to: TokenId,
    amount_in: u128,
    min_out: u128,
    deadline: Timestamp,
) -> Result<(), LedgerError> {
    amm::ensure_deadline(ex, deadline)?;
    execute_routed(ex, sender, from, to, amount_in, min_out).map(|_| ())
}

#[cfg(test)]
mod tests;
