//! API types of GPU assets, vault financing and green compute (issue 6): route paths (also
//! listed in [`crate::routes::ROUTES`]) and response bodies, which are the ledger's own view
//! types so server and client cannot disagree. Client methods are in `client/assets.rs`.

/// `GET /v1/assets`: parameters, every asset, every financing deal, vault capital deployed.
pub const ASSETS: &str = "/v1/assets";
/// `GET /v1/assets/{id}`: one asset with its claims, deals and energy attestation.
pub const ASSET: &str = "/v1/assets/{id}";
/// `GET /v1/green`: energy attestations, parameters and the green compute index per epoch.
pub const GREEN: &str = "/v1/green";
/// `GET /v1/green/jobs/{job}`: a job's green requirement, energy (mWh) and carbon (SCI, mgCO2e).
pub const GREEN_JOB: &str = "/v1/green/jobs/{job}";

/// Body of `GET /v1/assets`.
pub type AssetsResponse = verity_ledger::assets::view::AssetsView;
/// Body of `GET /v1/assets/{id}`.
pub type AssetResponse = verity_ledger::assets::view::AssetDetail;
/// Body of `GET /v1/green`.
pub type GreenResponse = verity_ledger::green::view::GreenView;
/// Body of `GET /v1/green/jobs/{job}`.
pub type GreenJobResponse = verity_ledger::green::view::JobGreenView;

/// True for the routes of this module.
pub fn is_assets_route(path: &str) -> bool {
    [ASSETS, ASSET, GREEN, GREEN_JOB].contains(&path)
}

/// The OpenAPI `parameters` of one of this module's routes.
pub fn openapi_parameters(path: &str) -> serde_json::Value {
    let p = |name: &str, d: &str| {
        serde_json::json!([{ "name": name, "in": "path", "required": true, "description": d,
                             "schema": { "type": "integer", "minimum": 0 } }])
    };
    match path {
        ASSET => p("id", "Asset id"),
        GREEN_JOB => p("job", "Job id"),
        _ => serde_json::json!([]),
    }
}

/// The OpenAPI `responses` object of one of this module's routes.
pub fn openapi_responses(path: &str) -> serde_json::Value {
    let what = match path {
        ASSETS => {
            "AssetsView: params {min_attesters, attest_slash_bps, challenge_reward_bps, \
             vault_manager}, assets[{id, spec, owner, operator, approved, status, registered_at, \
             claims, deal}], deals[{id, asset, operator, principal, share_bps, term_ms, status, \
             start, repaid, revenue, written_off}], vault_deployed"
        }
        ASSET => {
            "AssetDetail: asset, claims[{index, kind, attesters, confirmed_at, refuted}], deals[], energy"
        }
        GREEN => {
            "GreenView: params {epoch_ms, max_unbound_power_mw}, attestations[{subject, green_bps, \
             intensity_g_per_kwh, reporter, at}], index[{epoch, token, jobs, gpu_ms, green_ms, \
             green_value, price_per_green_hour}]"
        }
        _ => {
            "JobGreenView: job, required_green_bps, energy {power_mw, run_ms, intensity_g_per_kwh, \
             green_bps, sci {energy_mwh, operational_mg, embodied_mg, sci_mg}, epoch}"
        }
    };
    let err = |d: &str| {
        serde_json::json!({ "description": d, "content": { "application/json": {
            "schema": { "$ref": "#/components/schemas/ErrorBody" } } } })
    };
    serde_json::json!({
        "200": { "description": "OK", "content": { "application/json": {
            "schema": { "type": "object", "description": what } } } },
        "400": err("Bad path parameter"),
        "404": err("No such asset or job"),
    })
}
