//! HTTP handlers of the markets routes (issue 5: amm + router): `GET /v1/pools`,
//! `GET /v1/pools/{id}`, `GET /v1/quote?from=&to=&amount=`. Each reads the committed ledger
//! state; an unknown pool or a pair without any route is a 404, a malformed or zero amount,
//! the same token twice or an unknown token a 400.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use serde::Deserialize;
use verity_api::codes;
use verity_api::markets::{POOL, POOLS, PoolResponse, PoolsResponse, QUOTE, QuoteResponse};
use verity_ledger::LedgerError;
use verity_ledger::amm::view;

use super::{ApiErr, ApiResult, with_core};
use crate::run::Shared;

/// Add the markets routes to the router.
pub(super) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    r.route(POOLS, get(get_pools))
        .route(POOL, get(get_pool))
        .route(QUOTE, get(get_quote))
}

fn ledger_err(e: LedgerError) -> ApiErr {
    match e {
        LedgerError::UnknownPool(_) | LedgerError::NoRoute { .. } => {
            ApiErr::new(404, codes::NOT_FOUND, e.to_string())
        }
        LedgerError::ZeroAmount
        | LedgerError::SameToken(_)
        | LedgerError::UnknownToken(_)
        | LedgerError::UnknownSymbol(_) => ApiErr::new(400, codes::BAD_REQUEST, e.to_string()),
        other => ApiErr::new(500, codes::INTERNAL, other.to_string()),
    }
}

async fn get_pools(State(shared): State<Arc<Shared>>) -> ApiResult<PoolsResponse> {
    let v = with_core(&shared, |core| {
        let s = core.state();
        view::pool_views(s).map(|pools| PoolsResponse {
            height: s.height(),
            pools,
        })
    })
    .await?;
    Ok(axum::Json(v.map_err(ledger_err)?))
}

async fn get_pool(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<PoolResponse> {
    let id: u32 = id.parse().map_err(|_| {
        ApiErr::new(
            400,
            codes::BAD_REQUEST,
            format!("pool id {id:?} is not a number"),
        )
    })?;
    let v = with_core(&shared, move |core| view::pool_view(core.state(), id)).await?;
    Ok(axum::Json(v.map_err(ledger_err)?))
}

/// Query of `GET /v1/quote`.
#[derive(Debug, Deserialize)]
struct QuoteQuery {
    from: String,
    to: String,
    amount: String,
}

async fn get_quote(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<QuoteQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<QuoteResponse> {
    let Query(q) = query.map_err(|e| {
        ApiErr::new(
            400,
            codes::BAD_REQUEST,
            format!("{e}; use /v1/quote?from=SYMBOL&to=SYMBOL&amount=BASE_UNITS"),
        )
    })?;
    let amount = verity_primitives::amount_str::parse(&q.amount).map_err(|e| {
        ApiErr::new(
            400,
            codes::BAD_REQUEST,
            format!("amount {:?}: {e}", q.amount),
        )
    })?;
    let v = with_core(&shared, move |core| {
        let s = core.state();
        let from = view::resolve_token(s, &q.from)?;
        let to = view::resolve_token(s, &q.to)?;
        let quote = verity_ledger::router::quote(s, from, to, amount)?;
        let sym = |t| s.token(t).map(|i| i.symbol).unwrap_or_default();
        Ok::<_, LedgerError>(QuoteResponse {
            height: s.height(),
            from_symbol: sym(from),
            to_symbol: sym(to),
            quote,
        })
    })
    .await?;
    Ok(axum::Json(v.map_err(ledger_err)?))
}
