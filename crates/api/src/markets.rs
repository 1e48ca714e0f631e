//! Markets API types (issue 5: amm + router): route paths (also listed in
//! [`crate::routes::ROUTES`]) and response bodies built from the ledger's own view types.
//! Client methods are in `client/markets.rs`.

use serde::{Deserialize, Serialize};

/// `GET /v1/pools`: every pool.
pub const POOLS: &str = "/v1/pools";
/// `GET /v1/pools/{id}`: one pool.
pub const POOL: &str = "/v1/pools/{id}";
/// `GET /v1/quote?from=SYM&to=SYM&amount=BASE_UNITS`: the router's best route/split.
pub const QUOTE: &str = "/v1/quote";

/// One pool (`verity_ledger::amm::view::PoolView`).
pub type PoolResponse = verity_ledger::amm::view::PoolView;

/// Body of `GET /v1/pools`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolsResponse {
    /// Height of the state read.
    pub height: u64,
    /// Pools in id order.
    pub pools: Vec<PoolResponse>,
}

/// Body of `GET /v1/quote`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteResponse {
    /// Height of the state quoted on.
    pub height: u64,
    /// Symbol of the token sold.
    pub from_symbol: String,
    /// Symbol of the token bought.
    pub to_symbol: String,
    /// The quote: routes `[(path, pools, amount_in, amount_out)]` and `total_out`.
    pub quote: verity_ledger::router::Quote,
}

/// True for the routes of this module.
pub fn is_markets_route(path: &str) -> bool {
    [POOLS, POOL, QUOTE].contains(&path)
}

/// The OpenAPI `parameters` of one of this module's routes.
pub fn openapi_parameters(path: &str) -> serde_json::Value {
    let q = |name: &str, d: &str| {
        serde_json::json!({ "name": name, "in": "query", "required": true, "description": d,
                            "schema": { "type": "string" } })
    };
    match path {
        POOL => serde_json::json!([{ "name": "id", "in": "path", "required": true,
                                     "schema": { "type": "integer", "minimum": 0 } }]),
        QUOTE => serde_json::json!([
            q("from", "token sold: symbol (USDC) or numeric id"),
            q("to", "token bought: symbol or numeric id"),
            q("amount", "amount sold in base units (decimal string)"),
        ]),
        _ => serde_json::json!([]),
    }
}

/// The OpenAPI `responses` object of one of this module's routes.
pub fn openapi_responses(path: &str) -> serde_json::Value {
    let what = match path {
        POOLS => "{height, pools[PoolView]}",
        POOL => {
            "PoolView: id, token0, token1, symbol0, symbol1, fee_bps, reserve0, reserve1, \
             total_supply, timestamp_last, price0_cumulative, price1_cumulative (UQ112x112 \
             decimal strings), account, price0_e18"
        }
        _ => {
            "{height, from_symbol, to_symbol, quote {from, to, amount_in, routes[{path, pools, \
             amount_in, amount_out}], total_out}}"
        }
    };
    let err = |d: &str| {
        serde_json::json!({ "description": d, "content": { "application/json": {
            "schema": { "$ref": "#/components/schemas/ErrorBody" } } } })
    };
    serde_json::json!({
        "200": { "description": "OK", "content": { "application/json": {
            "schema": { "type": "object", "description": what } } } },
        "400": err("Bad parameter: zero or malformed amount, same token, unknown token"),
        "404": err("Unknown pool, or no route between the tokens"),
    })
}
