//! Marketplace API types (issue 4): the content store (`/v1/blobs/{hash}`, keyed by blake3) and
//! the job/dispute read views. Route paths are also listed in [`crate::routes::ROUTES`]; client
//! methods are in `client/market.rs`. Job and dispute bodies are the ledger's own view types
//! ([`verity_ledger::market::Job`], [`verity_ledger::market::dispute::Dispute`]).

use serde::{Deserialize, Serialize};

/// `PUT`/`GET`/`HEAD /v1/blobs/{hash}`: content-addressed bytes; `hash` is the blake3 of the body.
pub const BLOB: &str = "/v1/blobs/{hash}";
/// `GET /v1/jobs?status=&provider=&buyer=&offset=&limit=`: jobs in id order.
pub const JOBS: &str = "/v1/jobs";
/// `GET /v1/jobs/{id}`: one job.
pub const JOB: &str = "/v1/jobs/{id}";
/// `GET /v1/disputes?offset=&limit=`: disputes in id order.
pub const DISPUTES: &str = "/v1/disputes";
/// `GET /v1/disputes/{id}`: one dispute.
pub const DISPUTE: &str = "/v1/disputes/{id}";

/// Default page size of the list routes.
pub const DEFAULT_PAGE: usize = 100;
/// Largest page the list routes serve.
pub const MAX_PAGE: usize = 1000;

/// One job.
pub type JobResponse = verity_ledger::market::Job;
/// One dispute.
pub type DisputeResponse = verity_ledger::market::dispute::Dispute;

/// Body of `PUT /v1/blobs/{hash}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobPutResponse {
    /// The blake3 of the stored bytes (equals the path).
    pub hash: verity_primitives::Hash,
    /// Stored size, bytes.
    pub size: u64,
    /// False when the blob was already stored (the put is idempotent).
    pub created: bool,
}

/// Filters and page of `GET /v1/jobs`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFilter {
    /// Only jobs in this status (`Open`, `Assigned`, `Committed`, `Disputed`, `Settled`,
    /// `Expired`, `Cancelled`, `Slashed`; case-insensitive).
    pub status: Option<String>,
    /// Only jobs won by this provider.
    pub provider: Option<verity_primitives::Address>,
    /// Only jobs posted by this buyer.
    pub buyer: Option<verity_primitives::Address>,
    /// Skip this many matches.
    pub offset: Option<usize>,
    /// At most this many (default [`DEFAULT_PAGE`], at most [`MAX_PAGE`]).
    pub limit: Option<usize>,
}

impl JobFilter {
    /// The query string (`?status=…&…`, empty when nothing is set).
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.status {
            parts.push(format!("status={s}"));
        }
        if let Some(a) = &self.provider {
            parts.push(format!("provider={a}"));
        }
        if let Some(a) = &self.buyer {
            parts.push(format!("buyer={a}"));
        }
        if let Some(o) = self.offset {
            parts.push(format!("offset={o}"));
        }
        if let Some(l) = self.limit {
            parts.push(format!("limit={l}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// Body of `GET /v1/jobs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobsResponse {
    /// Height of the state read.
    pub height: u64,
    /// Jobs matching the filters (before paging).
    pub total: usize,
    /// This page, in id order.
    pub jobs: Vec<JobResponse>,
}

/// Body of `GET /v1/disputes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputesResponse {
    /// Height of the state read.
    pub height: u64,
    /// Disputes in total.
    pub total: usize,
    /// This page, in id order.
    pub disputes: Vec<DisputeResponse>,
}

/// The blake3 of `bytes` as a [`verity_primitives::Hash`] (the content store's key).
pub fn blob_hash(bytes: &[u8]) -> verity_primitives::Hash {
    verity_primitives::Hash(*blake3::hash(bytes).as_bytes())
}

/// True for the routes of this module.
pub fn is_market_route(path: &str) -> bool {
    [BLOB, JOBS, JOB, DISPUTES, DISPUTE].contains(&path)
}

/// The OpenAPI `parameters` of one of this module's routes.
pub fn openapi_parameters(path: &str) -> serde_json::Value {
    let q = |name: &str, d: &str| {
        serde_json::json!({ "name": name, "in": "query", "required": false, "description": d,
                            "schema": { "type": "string" } })
    };
    let id = serde_json::json!({ "name": "id", "in": "path", "required": true,
                                 "schema": { "type": "integer", "minimum": 0 } });
    match path {
        BLOB => serde_json::json!([{ "name": "hash", "in": "path", "required": true,
            "description": "blake3 of the body, 0x-hex", "schema": { "type": "string" } }]),
        JOB | DISPUTE => serde_json::json!([id]),
        JOBS => serde_json::json!([
            q(
                "status",
                "Open|Assigned|Committed|Disputed|Settled|Expired|Cancelled|Slashed"
            ),
            q("provider", "winning provider address"),
            q("buyer", "buyer address"),
            q("offset", "matches to skip"),
            q("limit", "page size (default 100, at most 1000)"),
        ]),
        DISPUTES => serde_json::json!([
            q("offset", "disputes to skip"),
            q("limit", "page size (default 100, at most 1000)"),
        ]),
        _ => serde_json::json!([]),
    }
}

/// The OpenAPI `responses` object of one of this module's routes (for `method` on it).
pub fn openapi_responses(path: &str, method: &str) -> serde_json::Value {
    let err = |d: &str| {
        serde_json::json!({ "description": d, "content": { "application/json": {
            "schema": { "$ref": "#/components/schemas/ErrorBody" } } } })
    };
    let ok = |what: &str| {
        serde_json::json!({ "description": "OK", "content": { "application/json": {
            "schema": { "type": "object", "description": what } } } })
    };
    match (path, method) {
        (BLOB, "PUT") => serde_json::json!({
            "200": ok("{hash, size, created}"),
            "400": err("The blake3 of the body differs from the path (both named), or a bad hash"),
            "413": err("Body over the node's blob size limit"),
        }),
        (BLOB, _) => serde_json::json!({
            "200": { "description": "The stored bytes", "content": {
                "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
            "400": err("Malformed hash"),
            "404": err("No blob with this hash"),
        }),
        (JOBS, _) => serde_json::json!({
            "200": ok("{height, total, jobs[Job]}"),
            "400": err("Bad filter"),
        }),
        (DISPUTES, _) => serde_json::json!({
            "200": ok("{height, total, disputes[Dispute]}"),
            "400": err("Bad page"),
        }),
        (JOB, _) => serde_json::json!({
            "200": ok("Job: id, buyer, terms, bid_close, deadline, status, bids, provider, price, locked, commit, disputes"),
            "400": err("Id is not a number"),
            "404": err("No such job"),
        }),
        _ => serde_json::json!({
            "200": ok("Dispute: id, job, provider, challenger, bond, roots, phase, lo, size, step, deadline, rounds, outcome"),
            "400": err("Id is not a number"),
            "404": err("No such dispute"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_query_string() {
        assert_eq!(JobFilter::default().query(), "");
        let f = JobFilter {
            status: Some("Open".into()),
            limit: Some(5),
            ..Default::default()
        };
        assert_eq!(f.query(), "?status=Open&limit=5");
    }

    #[test]
    fn blob_hash_is_blake3() {
        assert_eq!(
            blob_hash(b"").to_string(),
            "0xaf1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }
}
