//! HTTP handlers of the vault, vesting, governance and savings routes (issue 5):
//! `GET /v1/vault`, `/v1/vault/{address}`, `/v1/vesting/{address}`, `/v1/gov`,
//! `/v1/gov/{address}`, `/v1/savings/{address}`. Each reads the committed ledger state through
//! the module's view function; a module the genesis did not configure is a 404.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use verity_api::codes;
use verity_api::economy::{
    GOV, GOV_ACCOUNT, GovAccountResponse, GovResponse, SAVINGS, SavingsResponse, VAULT,
    VAULT_POSITION, VESTING, VaultPositionResponse, VaultResponse, VestingResponse,
};
use verity_ledger::LedgerError;

use super::{ApiErr, ApiResult, parse_address, with_core};
use crate::run::Shared;

/// Add the routes to the router.
pub(super) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    r.route(VAULT, get(get_vault))
        .route(VAULT_POSITION, get(get_vault_position))
        .route(VESTING, get(get_vesting))
        .route(GOV, get(get_gov))
        .route(GOV_ACCOUNT, get(get_gov_account))
        .route(SAVINGS, get(get_savings))
}

fn ledger_err(e: LedgerError) -> ApiErr {
    match e {
        LedgerError::NotConfigured(_) => ApiErr::new(404, codes::NOT_FOUND, e.to_string()),
        other => ApiErr::new(500, codes::INTERNAL, other.to_string()),
    }
}

async fn get_vault(State(shared): State<Arc<Shared>>) -> ApiResult<VaultResponse> {
    let v = with_core(&shared, |core| verity_ledger::vault::view(core.state())).await?;
    Ok(axum::Json(v.map_err(ledger_err)?))
}

async fn get_vault_position(
    State(shared): State<Arc<Shared>>,
    Path(address): Path<String>,
) -> ApiResult<VaultPositionResponse> {
    let a = parse_address(&address)?;
    let v = with_core(&shared, move |core| {
        verity_ledger::vault::position(core.state(), a)
    })
    .await?;
    Ok(axum::Json(v.map_err(ledger_err)?))
}

async fn get_vesting(
    State(shared): State<Arc<Shared>>,
    Path(address): Path<String>,
) -> ApiResult<VestingResponse> {
    let a = parse_address(&address)?;
    let v = with_core(&shared, move |core| {
        verity_ledger::vesting::view(core.state(), a)
    })
    .await?;
    Ok(axum::Json(VestingResponse {
        address: a,
        schedules: v.map_err(ledger_err)?,
    }))
}

async fn get_gov(State(shared): State<Arc<Shared>>) -> ApiResult<GovResponse> {
    let v = with_core(&shared, |core| {
        verity_ledger::governance::view(core.state())
    })
    .await?;
    Ok(axum::Json(v.map_err(ledger_err)?))
}

async fn get_gov_account(
    State(shared): State<Arc<Shared>>,
    Path(address): Path<String>,
) -> ApiResult<GovAccountResponse> {
    let a = parse_address(&address)?;
    let v = with_core(&shared, move |core| {
        verity_ledger::governance::ve_view(core.state(), a)
    })
    .await?;
    Ok(axum::Json(v.map_err(ledger_err)?))
}

async fn get_savings(
    State(shared): State<Arc<Shared>>,
    Path(address): Path<String>,
) -> ApiResult<SavingsResponse> {
    let a = parse_address(&address)?;
    let v = with_core(&shared, move |core| {
        verity_ledger::savings::view(core.state(), a)
    })
    .await?;
    Ok(axum::Json(SavingsResponse {
        address: a,
        policy: v.map_err(ledger_err)?,
    }))
}
