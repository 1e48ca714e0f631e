//! Savings-rail API types for the oracle, the TBILL fund and AID (issue 5): the route paths
//! (also listed in [`crate::routes::ROUTES`]) and the response bodies, which are the ledger's
//! own view types so server and client can never disagree. Client methods are in
//! `client/savings.rs`.

/// `GET /v1/tbill`: NAV (stored and as of now), yield, supply, holdings.
pub const TBILL: &str = "/v1/tbill";
/// `GET /v1/aid`: supply, reserves per collateral, latest proof-of-reserves root and epoch.
pub const AID: &str = "/v1/aid";
/// `GET /v1/aid/proof/{address}`: inclusion proof of an AID holder in the latest snapshot.
pub const AID_PROOF: &str = "/v1/aid/proof/{address}";
/// `GET /v1/oracle/{feed}`: a feed's reporters, latest reports, median and staleness.
pub const ORACLE: &str = "/v1/oracle/{feed}";

/// Body of `GET /v1/tbill`.
pub type TbillResponse = verity_ledger::treasury::TbillView;
/// Body of `GET /v1/aid`.
pub type AidResponse = verity_ledger::dollar::AidView;
/// Body of `GET /v1/aid/proof/{address}` (verify offline with `ReserveProof::verify`).
pub type AidProofResponse = verity_ledger::dollar::por::ReserveProof;
/// Body of `GET /v1/oracle/{feed}`.
pub type OracleResponse = verity_ledger::oracle::FeedView;

/// True for the routes of this module.
pub fn is_savings_route(path: &str) -> bool {
    [TBILL, AID, AID_PROOF, ORACLE].contains(&path)
}

/// The OpenAPI `responses` object of one of this module's routes.
pub fn openapi_responses(path: &str) -> serde_json::Value {
    let what = match path {
        TBILL => {
            "TbillView: fund {share_token, assets, nav, last_accrual, yield_feed}, nav_now, \
             annual_yield (1e18 fixed point), stale, supply, holdings[], account"
        }
        AID => {
            "AidView: config, supply, reserves[{token, symbol, amount, value}], reserve_value, \
             latest_snapshot {epoch, height, timestamp, root {hash, sum}, holders, reserves, \
             reserve_value}, account"
        }
        AID_PROOF => {
            "ReserveProof: snapshot, address, balance, index, siblings[{hash, sum}] bottom-up; \
             verify offline with `verity aid verify-proof`"
        }
        _ => {
            "FeedView: feed {name, max_age_ms, reporters[{reporter, value, at}]}, median (1e18 \
             fixed point), stale, fresh_reports"
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
        "404": err("Module not configured, unknown feed, no snapshot yet, or address not in the snapshot"),
    })
}
