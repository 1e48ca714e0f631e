//! HTTP handlers of the capacity and position routes (issue 6): `GET /v1/capacity`,
//! `/v1/capacity/{token}`, `/v1/positions/{job}`. Each reads the committed ledger state through
//! the module's view function; an unknown token, job, or a job without a provider is a 404.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use verity_api::capacity::{
    CAPACITY, CAPACITY_SLOT, CapacityResponse, CapacitySlotResponse, POSITION, PositionResponse,
};
use verity_ledger::{LedgerError, TokenId};

use super::{ApiErr, ApiResult, with_core};
use crate::run::Shared;

/// Add the capacity and position routes to the router.
pub(super) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    r.route(CAPACITY, get(get_capacity))
        .route(CAPACITY_SLOT, get(get_slot))
        .route(POSITION, get(get_position))
}

fn internal(e: LedgerError) -> ApiErr {
    ApiErr::internal(e)
}

async fn get_capacity(State(shared): State<Arc<Shared>>) -> ApiResult<CapacityResponse> {
    let v = with_core(&shared, |core| {
        verity_ledger::capacity::view::view(core.state())
    })
    .await?;
    Ok(axum::Json(v.map_err(internal)?))
}

async fn get_slot(
    State(shared): State<Arc<Shared>>,
    Path(token): Path<String>,
) -> ApiResult<CapacitySlotResponse> {
    let t: u32 = token
        .parse()
        .map_err(|_| ApiErr::bad(format!("token must be a decimal integer, got {token:?}")))?;
    let v = with_core(&shared, move |core| {
        verity_ledger::capacity::view::slot_detail(core.state(), TokenId(t))
    })
    .await?;
    v.map_err(internal)?
        .map(axum::Json)
        .ok_or_else(|| ApiErr::not_found(format!("token {t} is not a capacity token")))
}

async fn get_position(
    State(shared): State<Arc<Shared>>,
    Path(job): Path<String>,
) -> ApiResult<PositionResponse> {
    let id: u64 = job
        .parse()
        .map_err(|_| ApiErr::bad(format!("job id must be a decimal integer, got {job:?}")))?;
    let v = with_core(&shared, move |core| {
        match verity_ledger::market::job(core.state(), id) {
            Ok(None) => Ok(None),
            Ok(Some(_)) => verity_ledger::position::position(core.state(), id),
            Err(e) => Err(e),
        }
    })
    .await?;
    v.map_err(internal)?
        .map(axum::Json)
        .ok_or_else(|| ApiErr::not_found(format!("job {id} does not exist or has no provider yet")))
}
