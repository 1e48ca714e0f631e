//! API types of the validator routes (issue 7): `GET /v1/validators?epoch=E` (an epoch's
//! validator set, as the ledger fixed it) and `GET /v1/p2p/{address}` (an account's registered
//! ed25519 p2p key). Client methods in `client/validators.rs`; server in the node's
//! `http/validators.rs`.

use serde::{Deserialize, Serialize};
use verity_ledger::validators::{ConsensusParams, ValidatorEntry, hex};
use verity_primitives::Address;

/// `GET /v1/validators?epoch=E`: the validator set of epoch E (default: the current epoch).
pub const VALIDATORS: &str = "/v1/validators";
/// `GET /v1/p2p/{address}`: the address's registered p2p key.
pub const P2P_KEY: &str = "/v1/p2p/{address}";

/// Body of `GET /v1/validators`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorsResponse {
    /// The epoch asked for.
    pub epoch: u64,
    /// The chain's current epoch.
    pub current_epoch: u64,
    /// The chain's height.
    pub height: u64,
    /// First height of the epoch asked for.
    pub first_height: u64,
    /// Last height of the epoch asked for.
    pub last_height: u64,
    /// Consensus parameters.
    pub params: ConsensusParams,
    /// The set, sorted by p2p key (simplex's participant order).
    pub validators: Vec<ValidatorEntry>,
}

/// Body of `GET /v1/p2p/{address}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct P2pKeyResponse {
    /// The account.
    pub address: Address,
    /// Its registered ed25519 public key (0x-hex), if any.
    #[serde(with = "hex::bytes32_opt")]
    pub p2p_key: Option<[u8; 32]>,
    /// The chain's current epoch.
    pub epoch: u64,
    /// Whether the account is in the current epoch's validator set.
    pub in_validator_set: bool,
}

/// Is `path` one of these routes (for the OpenAPI document)?
pub fn is_validators_route(path: &str) -> bool {
    path == VALIDATORS || path == P2P_KEY
}

/// OpenAPI parameters of a route here (the query parameter `epoch`; path parameters are
/// added from the template by the document builder).
pub fn openapi_parameters(path: &str) -> serde_json::Value {
    if path == VALIDATORS {
        serde_json::json!([{ "name": "epoch", "in": "query", "required": false,
            "schema": { "type": "integer", "minimum": 0 },
            "description": "Epoch (default: the current one)" }])
    } else {
        serde_json::json!([{ "name": "address", "in": "path", "required": true,
            "schema": { "type": "string", "pattern": "^0x[0-9a-fA-F]{40}$" } }])
    }
}

/// OpenAPI responses of a route here.
pub fn openapi_responses(path: &str) -> serde_json::Value {
    let body = |what: &str| {
        serde_json::json!({ "description": what,
            "content": { "application/json": { "schema": { "type": "object" } } } })
    };
    let err = |what: &str| {
        serde_json::json!({ "description": what,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } } })
    };
    if path == VALIDATORS {
        serde_json::json!({ "200": body("ValidatorsResponse"),
            "400": err("Bad epoch"), "404": err("The epoch's set is not fixed yet") })
    } else {
        serde_json::json!({ "200": body("P2pKeyResponse"), "400": err("Bad address") })
    }
}
