//! The OpenAPI 3.0 document of the node's API, built from [`crate::routes::ROUTES`] so a route
//! cannot be served without being described. Schemas describe the JSON forms of [`crate::types`]
//! (amounts are decimal strings, hashes 0x-hex, addresses EIP-55).

use serde_json::{Value, json};

use crate::routes::{self, ROUTES};

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": json_content(schema_ref("ErrorBody")) })
}

fn path_param(name: &str) -> Value {
    let (description, example) = match name {
        "hash" => ("Transaction hash, 0x + 64 hex", "0x…"),
        "address" => (
            "Account address, 0x + 40 hex (EIP-55 checksum checked if mixed case)",
            "0x…",
        ),
        "height" => ("Block height, or `latest`", "latest"),
        "token" => ("Token symbol (e.g. VTY) or numeric id", "VTY"),
        _ => ("", ""),
    };
    json!({
        "name": name, "in": "path", "required": true, "description": description,
        "schema": { "type": "string" }, "example": example,
    })
}

fn params_of(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(path_param)
        .collect()
}

fn operation(method: &str, path: &str, summary: &str) -> Value {
    let op_id = format!(
        "{}{}",
        method.to_lowercase(),
        path.replace(['{', '}', '.'], "").replace(['/', '-'], "_")
    );
    let mut op = json!({
        "operationId": op_id,
        "summary": summary,
        "parameters": params_of(path),
    });
    let responses = match path {
        routes::SUBMIT_TX => {
            op["requestBody"] = json!({ "required": true, "content": json_content(schema_ref("SignedTransaction")) });
            json!({
                "200": { "description": "Admitted to the mempool", "content": json_content(schema_ref("SubmitResponse")) },
                "400": error_response("Malformed JSON, wrong chain id, bad or high-s signature, stale nonce"),
                "409": error_response("Duplicate transaction or nonce already queued"),
                "413": error_response("Body or transaction too large"),
                "503": error_response("Mempool full"),
            })
        }
        routes::SUBMIT_TXS => {
            op["requestBody"] = json!({ "required": true, "content": json_content(json!({ "type": "array", "items": schema_ref("SignedTransaction") })) });
            json!({
                "200": { "description": "One result per transaction", "content": json_content(schema_ref("BatchResponse")) },
                "400": error_response("Malformed JSON"),
                "413": error_response("Body too large"),
            })
        }
        routes::TX => {
            if let Some(p) = op["parameters"].as_array_mut() {
                p.push(json!({ "name": "wait_ms", "in": "query", "required": false,
                    "description": "Wait up to this many ms (capped) for the receipt",
                    "schema": { "type": "integer", "minimum": 0 } }));
            }
            json!({
                "200": { "description": "Committed: the receipt", "content": json_content(schema_ref("TxResponse")) },
                "404": { "description": "Pending or unknown", "content": json_content(schema_ref("TxResponse")) },
                "400": error_response("Bad hash"),
            })
        }
        routes::ACCOUNT => ok_or_400("AccountResponse"),
        routes::TOKENS => ok_or_400("TokensResponse"),
        routes::BLOCK => {
            let mut r = ok_or_400("BlockResponse");
            r["404"] = error_response("No block at this height yet");
            r
        }
        routes::STATUS => ok_or_400("StatusResponse"),
        routes::PROOF => {
            let mut r = ok_or_400("ProofResponse");
            r["404"] = error_response("Unknown token");
            r
        }
        routes::EVENTS => json!({
            "200": { "description": "text/event-stream; event names `block` and `event`, data is a StreamEvent",
                     "content": { "text/event-stream": { "schema": schema_ref("StreamEvent") } } }
        }),
        routes::OPENAPI => {
            json!({ "200": { "description": "This document", "content": json_content(json!({ "type": "object" })) } })
        }
        routes::METRICS => json!({ "200": { "description": "Prometheus text format",
                                           "content": { "text/plain": { "schema": { "type": "string" } } } } }),
        // --- amm + router (issue 5) ---
        p if crate::markets::is_markets_route(p) => {
            if p == crate::markets::QUOTE {
                op["parameters"] = crate::markets::openapi_parameters(p);
            }
            crate::markets::openapi_responses(p)
        }
        // --- oracle, treasury, dollar (issue 5) ---
        p if crate::savings::is_savings_route(p) => crate::savings::openapi_responses(p),
        // --- vault, vesting, governance, savings (issue 5) ---
        p if crate::economy::is_economy_route(p) => crate::economy::openapi_responses(p),
        // --- assets, financing, green (issue 6) ---
        p if crate::assets::is_assets_route(p) => {
            op["parameters"] = crate::assets::openapi_parameters(p);
            crate::assets::openapi_responses(p)
        }
        // --- capacity, positions (issue 6) ---
        p if crate::capacity::is_capacity_route(p) => {
            op["parameters"] = crate::capacity::openapi_parameters(p);
            crate::capacity::openapi_responses(p)
        }
        // --- validators (issue 7) ---
        p if crate::validators::is_validators_route(p) => {
            op["parameters"] = crate::validators::openapi_parameters(p);
            crate::validators::openapi_responses(p)
        }
        // --- marketplace (issue 4) ---
        p if crate::market::is_market_route(p) => {
            op["parameters"] = crate::market::openapi_parameters(p);
            if method == "PUT" {
                op["requestBody"] = json!({ "required": true, "content": {
                    "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } });
            }
            crate::market::openapi_responses(p, method)
        }
        _ => json!({ "200": { "description": "OK" } }),
    };
    op["responses"] = responses;
    op
}

fn ok_or_400(schema: &str) -> Value {
    json!({
        "200": { "description": "OK", "content": json_content(schema_ref(schema)) },
        "400": error_response("Bad path parameter"),
    })
}

fn schemas() -> Value {
    let hash = json!({ "type": "string", "pattern": "^0x[0-9a-fA-F]{64}$" });
    let address = json!({ "type": "string", "pattern": "^0x[0-9a-fA-F]{40}$" });
    let amount = json!({ "type": "string", "pattern": "^[0-9]+$", "description": "u128 base units, decimal" });
    let u64_ = json!({ "type": "integer", "format": "int64", "minimum": 0 });
    let obj = |props: Value, required: &[&str]| json!({ "type": "object", "properties": props, "required": required });
    json!({
        "Hash": hash,
        "Address": address,
        "Amount": amount,
        "ErrorBody": obj(json!({ "error": { "type": "string" }, "code": { "type": "string" } }), &["error", "code"]),
        "SubmitResponse": obj(json!({ "hash": hash }), &["hash"]),
        "BatchResponse": obj(json!({ "accepted": u64_, "results": { "type": "array", "items": obj(json!({
            "hash": hash, "error": schema_ref("ErrorBody") }), &[]) } }), &["accepted", "results"]),
        "SignedTransaction": obj(json!({
            "tx": obj(json!({ "chain_id": u64_, "sender": address, "nonce": u64_,
                              "payload": { "type": "object", "description": "One payload variant (Transfer, Mint, Burn, RegisterActor, UpdateActor, Bond, Unbond, Withdraw, …)" } }),
                      &["chain_id", "sender", "nonce", "payload"]),
            "signature": { "type": "string", "pattern": "^0x[0-9a-fA-F]{130}$", "description": "r ‖ s ‖ v (65 bytes)" } }),
            &["tx", "signature"]),
        "Receipt": obj(json!({ "tx_hash": hash, "height": u64_, "index": u64_, "sender": address, "nonce": u64_,
                               "status": { "description": "Success, or Failed with an error message" },
                               "events": { "type": "array", "items": { "type": "object" } } }),
                       &["tx_hash", "height", "index", "sender", "nonce", "status", "events"]),
        "TxResponse": obj(json!({ "hash": hash, "status": { "type": "string", "enum": ["committed", "pending", "unknown"] },
                                  "receipt": schema_ref("Receipt") }), &["hash", "status"]),
        "AccountResponse": obj(json!({ "address": address, "height": u64_, "nonce": u64_,
            "balances": { "type": "array", "items": obj(json!({ "token": u64_, "symbol": { "type": "string" },
                "decimals": { "type": "integer" }, "amount": amount }), &["token", "symbol", "decimals", "amount"]) },
            "actor": { "type": "object", "nullable": true }, "stake": { "type": "object" }, "recent_txs": { "type": "array", "items": hash } }),
            &["address", "height", "nonce", "balances", "stake", "recent_txs"]),
        "TokensResponse": obj(json!({ "height": u64_, "tokens": { "type": "array", "items": obj(json!({
            "id": u64_, "symbol": { "type": "string" }, "decimals": { "type": "integer" }, "supply": amount }),
            &["id", "symbol", "decimals", "supply"]) } }), &["height", "tokens"]),
        "BlockResponse": obj(json!({ "hash": hash, "header": obj(json!({ "height": u64_, "timestamp": u64_,
            "parent_hash": hash, "tx_root": hash, "receipts_root": hash, "state_root": hash }), &["height"]),
            "tx_hashes": { "type": "array", "items": hash },
            "txs": { "type": "array", "items": schema_ref("SignedTransaction") } }), &["hash", "header", "tx_hashes", "txs"]),
        "StatusResponse": obj(json!({ "chain_id": u64_, "genesis_hash": hash, "height": u64_, "block_hash": hash,
            "state_root": hash, "timestamp": u64_, "mempool_size": u64_ }),
            &["chain_id", "genesis_hash", "height", "block_hash", "state_root", "timestamp", "mempool_size"]),
        "ProofResponse": obj(json!({ "address": address, "token": u64_, "symbol": { "type": "string" }, "balance": amount,
            "height": u64_, "state_root": hash, "proof": { "type": "object", "description": "Sparse Merkle proof; verify offline with `verity proof verify`" } }),
            &["address", "token", "symbol", "balance", "height", "state_root", "proof"]),
        "StreamEvent": obj(json!({ "kind": { "type": "string", "enum": ["block", "event"] }, "height": u64_,
            "hash": hash, "tx_hash": hash, "event": { "type": "object" } }), &["kind", "height"]),
    })
}

/// The OpenAPI 3.0 document for every route in [`ROUTES`].
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for r in ROUTES {
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.to_lowercase()] = operation(r.method, r.path, r.summary);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Verity node API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Submit EIP-712 signed transactions, read receipts (served only once their block is durable), accounts, tokens, blocks and balance proofs; stream events.",
        },
        "paths": Value::Object(paths),
        "components": { "schemas": schemas() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_its_parameters() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.0.3");
        for r in ROUTES {
            let op = &doc["paths"][r.path][r.method.to_lowercase()];
            assert!(op.is_object(), "{} {} missing", r.method, r.path);
            assert!(
                op["responses"]["200"].is_object(),
                "{} {} has no 200",
                r.method,
                r.path
            );
            for p in params_of(r.path) {
                let name = p["name"].as_str().expect("name is a string");
                let listed = op["parameters"]
                    .as_array()
                    .expect("parameters array")
                    .iter()
                    .any(|q| q["name"] == name);
                assert!(listed, "{} lacks parameter {name}", r.path);
            }
        }
    }

    #[test]
    fn every_schema_reference_resolves() {
        let doc = document();
        let text = doc.to_string();
        for piece in text.split("#/components/schemas/").skip(1) {
            let name: String = piece.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(
                doc["components"]["schemas"][&name].is_object(),
                "dangling $ref {name}"
            );
        }
    }
}
