//! API types of GPU-hour capacity tokens, their time-aware AMM and position NFTs (issue 6):
//! route paths (also listed in [`crate::routes::ROUTES`]) and response bodies, which are the
//! ledger's own view types so server and client cannot disagree. Client methods are in
//! `client/capacity.rs`.

/// `GET /v1/capacity`: parameters and every slot with its supply, backings, redemptions and pool.
pub const CAPACITY: &str = "/v1/capacity";
/// `GET /v1/capacity/{token}`: one slot (by capacity token id) with its pool.
pub const CAPACITY_SLOT: &str = "/v1/capacity/{token}";
/// `GET /v1/positions/{job}`: the position NFT of an assigned job (holder, provider, price).
pub const POSITION: &str = "/v1/positions/{job}";

/// Body of `GET /v1/capacity`.
pub type CapacityResponse = verity_ledger::capacity::view::CapacityView;
/// Body of `GET /v1/capacity/{token}`.
pub type CapacitySlotResponse = verity_ledger::capacity::view::SlotView;
/// Body of `GET /v1/positions/{job}`.
pub type PositionResponse = verity_ledger::position::PositionView;

/// True for the routes of this module.
pub fn is_capacity_route(path: &str) -> bool {
    [CAPACITY, CAPACITY_SLOT, POSITION].contains(&path)
}

/// The OpenAPI `parameters` of one of this module's routes.
pub fn openapi_parameters(path: &str) -> serde_json::Value {
    let p = |name: &str, d: &str| {
        serde_json::json!([{ "name": name, "in": "path", "required": true, "description": d,
                             "schema": { "type": "integer", "minimum": 0 } }])
    };
    match path {
        CAPACITY_SLOT => p("token", "Capacity token id"),
        POSITION => p("job", "Job id (= position id)"),
        _ => serde_json::json!([]),
    }
}

/// The OpenAPI `responses` object of one of this module's routes.
pub fn openapi_responses(path: &str) -> serde_json::Value {
    let what = match path {
        CAPACITY => {
            "CapacityView: params {stake_per_gpu_hour, max_horizon_ms}, now, slots[SlotView]"
        }
        CAPACITY_SLOT => {
            "SlotView: slot {token, symbol, device_class, start, end, minted, redeemed, expired, \
             backings[{provider, minted, redeemed, locked}], redemptions[{job, provider, amount}]}, \
             supply, pool {pool {token, quote, par_price, scalar_root, fee_bps, expiry, \
             reserve_capacity, reserve_quote, total_lp, last_ln_rate}, spot_price, implied_rate_wad}"
        }
        _ => "PositionView: job, provider, holder, status, token, price",
    };
    let err = |d: &str| {
        serde_json::json!({ "description": d, "content": { "application/json": {
            "schema": { "$ref": "#/components/schemas/ErrorBody" } } } })
    };
    serde_json::json!({
        "200": { "description": "OK", "content": { "application/json": {
            "schema": { "type": "object", "description": what } } } },
        "400": err("Bad path parameter"),
        "404": err("No such capacity token, job, or the job has no provider yet"),
    })
}
