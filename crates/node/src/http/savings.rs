//! HTTP handlers of the savings-rail routes (issue 5): `GET /v1/tbill`, `/v1/aid`,
//! `/v1/aid/proof/{address}`, `/v1/oracle/{feed}`. Each reads the committed ledger state
//! through the module's own view function; a module the genesis did not configure, an unknown
//! feed, a missing snapshot or a non-holder is a 404.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use verity_api::codes;
use verity_api::savings::{
    AID, AID_PROOF, AidProofResponse, AidResponse, ORACLE, OracleResponse, TBILL, TbillResponse,
};
use verity_ledger::LedgerError;

use super::{ApiErr, ApiResult, parse_address, with_core};
use crate::run::Shared;

/// Add the savings routes to the router.
pub(super) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    r.route(TBILL, get(get_tbill))
        .route(AID, get(get_aid))
        .route(AID_PROOF, get(get_aid_proof))
        .route(ORACLE, get(get_oracle))
}

fn ledger_err(e: LedgerError) -> ApiErr {
    match e {
        LedgerError::ModuleDisabled(_)
        | LedgerError::UnknownFeed(_)
        | LedgerError::NoSnapshot
        | LedgerError::NotInSnapshot(_) => ApiErr::new(404, codes::NOT_FOUND, e.to_string()),
        LedgerError::BadFeedName(_) => ApiErr::new(400, codes::BAD_REQUEST, e.to_string()),
        other => ApiErr::new(500, codes::INTERNAL, other.to_string()),
    }
}

async fn get_tbill(State(shared): State<Arc<Shared>>) -> ApiResult<TbillResponse> {
    let v = with_core(&shared, |core| verity_ledger::treasury::view(core.state())).await?;
    Ok(axum::Json(v.map_err(ledger_err)?))
}

async fn get_aid(State(shared): State<Arc<Shared>>) -> ApiResult<AidResponse> {
    let v = with_core(&shared, |core| verity_ledger::dollar::view(core.state())).await?;
    Ok(axum::Json(v.map_err(ledger_err)?))
}

async fn get_aid_proof(
    State(shared): State<Arc<Shared>>,
    Path(address): Path<String>,
) -> ApiResult<AidProofResponse> {
    let address = parse_address(&address)?;
    let v = with_core(&shared, move |core| {
        verity_ledger::dollar::proof(core.state(), &address)
    })
    .await?;
    Ok(axum::Json(v.map_err(ledger_err)?))
}

async fn get_oracle(
    State(shared): State<Arc<Shared>>,
    Path(feed): Path<String>,
) -> ApiResult<OracleResponse> {
    let v = with_core(&shared, move |core| {
        verity_ledger::oracle::view(core.state(), &feed)
    })
    .await?;
    Ok(axum::Json(v.map_err(ledger_err)?))
}
