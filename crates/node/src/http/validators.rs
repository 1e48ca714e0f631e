//! HTTP handlers of the validator routes (issue 7): `GET /v1/validators?epoch=E` (an epoch's
//! validator set as the ledger fixed it; default the current epoch; 404 for an epoch whose set
//! is not fixed yet) and `GET /v1/p2p/{address}` (an account's registered p2p key). Both read
//! the committed ledger state through `verity_ledger::validators`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use serde::Deserialize;
use verity_api::validators::{P2P_KEY, P2pKeyResponse, VALIDATORS, ValidatorsResponse};
use verity_ledger::LedgerError;
use verity_ledger::validators::{self as v, epoch_of};

use super::{ApiErr, ApiResult, parse_address, with_core};
use crate::run::Shared;

/// Add the validator routes to the router.
pub(super) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    r.route(VALIDATORS, get(get_validators))
        .route(P2P_KEY, get(get_p2p_key))
}

#[derive(Debug, Deserialize)]
struct EpochQuery {
    epoch: Option<u64>,
}

fn ledger_err(e: LedgerError) -> ApiErr {
    match e {
        LedgerError::Validators(_) => ApiErr::not_found(e.to_string()),
        other => ApiErr::internal(other),
    }
}

async fn get_validators(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<EpochQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<ValidatorsResponse> {
    let Query(q) = query.map_err(|e| ApiErr::bad(format!("{e}; use ?epoch=N")))?;
    let out = with_core(&shared, move |core| {
        let state = core.state();
        let params = v::consensus_params(state)?;
        let height = state.height();
        let current_epoch = epoch_of(height, params.epoch_length);
        let epoch = q.epoch.unwrap_or(current_epoch);
        let validators = v::validator_set(state, epoch)?;
        let len = params.epoch_length.max(1);
        Ok::<_, LedgerError>(ValidatorsResponse {
            epoch,
            current_epoch,
            height,
            first_height: epoch.saturating_mul(len),
            last_height: epoch
                .saturating_add(1)
                .saturating_mul(len)
                .saturating_sub(1),
            params,
            validators,
        })
    })
    .await?;
    Ok(axum::Json(out.map_err(ledger_err)?))
}

async fn get_p2p_key(
    State(shared): State<Arc<Shared>>,
    Path(address): Path<String>,
) -> ApiResult<P2pKeyResponse> {
    let address = parse_address(&address)?;
    let out = with_core(&shared, move |core| {
        let state = core.state();
        let params = v::consensus_params(state)?;
        let epoch = epoch_of(state.height(), params.epoch_length);
        let in_validator_set = v::validator_set(state, epoch)
            .map(|set| set.iter().any(|e| e.address == address))
            .unwrap_or(false);
        Ok::<_, LedgerError>(P2pKeyResponse {
            address,
            p2p_key: v::p2p_key(state, &address),
            epoch,
            in_validator_set,
        })
    })
    .await?;
    Ok(axum::Json(out.map_err(ledger_err)?))
}
