//! HTTP handlers of the assets, financing and green routes (issue 6): `GET /v1/assets`,
//! `/v1/assets/{id}`, `/v1/green`, `/v1/green/jobs/{job}`. Each reads the committed ledger
//! state through the module's view function; a missing asset or job is a 404.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use verity_api::assets::{
    ASSET, ASSETS, AssetResponse, AssetsResponse, GREEN, GREEN_JOB, GreenJobResponse, GreenResponse,
};
use verity_ledger::LedgerError;

use super::{ApiErr, ApiResult, with_core};
use crate::run::Shared;

/// Add the assets and green routes to the router.
pub(super) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    r.route(ASSETS, get(get_assets))
        .route(ASSET, get(get_asset))
        .route(GREEN, get(get_green))
        .route(GREEN_JOB, get(get_green_job))
}

fn internal(e: LedgerError) -> ApiErr {
    ApiErr::internal(e)
}

fn parse_id(s: &str, what: &str) -> Result<u64, ApiErr> {
    s.parse()
        .map_err(|_| ApiErr::bad(format!("{what} must be a decimal integer, got {s:?}")))
}

async fn get_assets(State(shared): State<Arc<Shared>>) -> ApiResult<AssetsResponse> {
    let v = with_core(&shared, |core| {
        verity_ledger::assets::view::view(core.state())
    })
    .await?;
    Ok(axum::Json(v.map_err(internal)?))
}

async fn get_asset(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<AssetResponse> {
    let id = parse_id(&id, "asset id")?;
    let v = with_core(&shared, move |core| {
        verity_ledger::assets::view::detail(core.state(), id)
    })
    .await?;
    v.map_err(internal)?
        .map(axum::Json)
        .ok_or_else(|| ApiErr::not_found(format!("no asset {id}")))
}

async fn get_green(State(shared): State<Arc<Shared>>) -> ApiResult<GreenResponse> {
    let v = with_core(&shared, |core| {
        verity_ledger::green::view::view(core.state())
    })
    .await?;
    Ok(axum::Json(v.map_err(internal)?))
}

async fn get_green_job(
    State(shared): State<Arc<Shared>>,
    Path(job): Path<String>,
) -> ApiResult<GreenJobResponse> {
    let job = parse_id(&job, "job id")?;
    let v = with_core(&shared, move |core| {
        verity_ledger::green::view::job_view(core.state(), job)
    })
    .await?;
    v.map_err(internal)?
        .map(axum::Json)
        .ok_or_else(|| ApiErr::not_found(format!("no job {job}")))
}
