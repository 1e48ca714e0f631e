//! Read views of the amm for the API: [`PoolView`] (a pool with its token symbols, account,
//! spot prices and accumulators) and symbol/id resolution for quotes.

use super::{Pool, PoolId, pool, pool_account, pools};
use crate::error::LedgerError;
use crate::state::State;
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, TokenId, amount_str};

/// A pool as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolView {
    /// The pool's stored state (ids, fee, reserves, LP supply, accumulators).
    #[serde(flatten)]
    pub pool: Pool,
    /// Symbol of token0.
    pub symbol0: String,
    /// Symbol of token1.
    pub symbol1: String,
    /// The account holding the pool's tokens.
    pub account: Address,
    /// Spot price of token0 in token1 base units per 10^18 base units of token0, rounded down
    /// (0 when empty) — for display; use a TWAP or the router for anything that matters.
    #[serde(with = "amount_str")]
    pub price0_e18: u128,
}

fn view_of(state: &State, p: Pool) -> PoolView {
    let sym = |t: TokenId| state.token(t).map(|i| i.symbol).unwrap_or_default();
    let price0_e18 = if p.reserve0 == 0 {
        0
    } else {
        verity_primitives::math::mul_div(
            p.reserve1,
            1_000_000_000_000_000_000,
            p.reserve0,
            verity_primitives::math::Rounding::Down,
        )
        .unwrap_or(u128::MAX)
    };
    PoolView {
        symbol0: sym(p.token0),
        symbol1: sym(p.token1),
        account: pool_account(p.id),
        price0_e18,
        pool: p,
    }
}

/// Pool `id` as a view.
pub fn pool_view(state: &State, id: PoolId) -> Result<PoolView, LedgerError> {
    Ok(view_of(state, pool(state, id)?))
}

/// Every pool as a view, in id order.
pub fn pool_views(state: &State) -> Result<Vec<PoolView>, LedgerError> {
    Ok(pools(state)?
        .into_iter()
        .map(|p| view_of(state, p))
        .collect())
}

/// Resolve a token given as a symbol (`USDC`) or a numeric id (`1`).
pub fn resolve_token(state: &State, s: &str) -> Result<TokenId, LedgerError> {
    if let Some((id, _)) = state.token_by_symbol(s) {
        return Ok(id);
    }
    match s.parse::<u32>() {
        Ok(n) if state.token(TokenId(n)).is_some() => Ok(TokenId(n)),
        Ok(n) => Err(LedgerError::UnknownToken(TokenId(n))),
        Err(_) => Err(LedgerError::UnknownSymbol(s.to_string())),
    }
}
