//! Content store and marketplace views over real HTTP (issue 4): blob round trip, idempotent
//! re-put, hash mismatch → 400 naming both hashes, over-size → 413, absent → 404, blobs survive a
//! restart (stored on disk), and the empty job/dispute views with their 404s and bad filters.

use std::time::Duration;

use verity_api::market::{JobFilter, blob_hash};
use verity_api::{ApiClient, ApiError};
use verity_ledger::Genesis;
use verity_ledger::tx::secret_key_from_bytes;
use verity_node::{NodeConfig, RunningNode};

fn config(dir: &std::path::Path, genesis: bool) -> NodeConfig {
    let key = secret_key_from_bytes([1; 32]).expect("constant key");
    let g = genesis.then(|| Genesis::dev(&[verity_ledger::address_of(&key)]));
    let mut c = NodeConfig::new(dir, g, "127.0.0.1:0".parse().expect("addr"));
    c.block_time = Duration::from_millis(50);
    c.max_blob_body = 1024;
    c
}

fn start(dir: &std::path::Path, genesis: bool) -> (RunningNode, ApiClient) {
    let node = verity_node::start(config(dir, genesis)).expect("node starts");
    let client = ApiClient::new(&node.url());
    (node, client)
}

fn http_status(e: ApiError) -> (u16, String) {
    match e {
        ApiError::Http {
            status, message, ..
        } => (status, message),
        other => panic!("expected an HTTP error, got {other}"),
    }
}

#[test]
fn blob_round_trip_mismatch_oversize_and_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (node, client) = start(dir.path(), true);

    let data = b"spec: mlp on wine quality".to_vec();
    let h = client.put_blob(&data).expect("put");
    assert_eq!(h, blob_hash(&data));
    assert_eq!(client.get_blob(&h).expect("get"), data);
    // Idempotent.
    assert_eq!(client.put_blob(&data).expect("re-put"), h);

    // Absent → 404.
    let other = blob_hash(b"never stored");
    let (status, msg) = http_status(client.get_blob(&other).expect_err("absent"));
    assert_eq!(status, 404, "{msg}");

    // Body whose blake3 differs from the path → 400 naming both hashes.
    let url = format!("{}/v1/blobs/{other}", node.url());
    let resp = ureq_put(&url, b"something else");
    assert_eq!(resp.0, 400, "{}", resp.1);
    assert!(resp.1.contains(&other.to_string()), "{}", resp.1);
    assert!(
        resp.1.contains(&blob_hash(b"something else").to_string()),
        "{}",
        resp.1
    );

    // Over the configured 1 KiB limit → 413, nothing stored.
    let big = vec![7u8; 4096];
    let (status, msg) = http_status(client.put_blob(&big).expect_err("too big"));
    assert_eq!(status, 413, "{msg}");
    let (status, _) = http_status(client.get_blob(&blob_hash(&big)).expect_err("absent"));
    assert_eq!(status, 404);

    // Malformed hash → 400.
    let resp = ureq_put(&format!("{}/v1/blobs/nothex", node.url()), b"x");
    assert_eq!(resp.0, 400, "{}", resp.1);

    // Restart on the same data dir: the blob is still there.
    node.shutdown().expect("clean shutdown");
    let (node, client) = start(dir.path(), false);
    assert_eq!(client.get_blob(&h).expect("get after restart"), data);
    node.shutdown().expect("clean shutdown");
}

/// PUT raw bytes to `url`; (status, body text).
fn ure_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn ureq_put(url: &str, body: &[u8]) -> (u16, String) {
    let mut r = ure_agent()
        .put(url)
        .send(body)
        .expect("request goes through");
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().unwrap_or_default())
}

#[test]
fn job_and_dispute_views() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (node, client) = start(dir.path(), true);
    let jobs = client.jobs(&JobFilter::default()).expect("jobs");
    assert_eq!(jobs.total, jobs.jobs.len());
    let (status, _) = http_status(client.job(999_999).expect_err("no such job"));
    assert_eq!(status, 404);
    let (status, _) = http_status(client.dispute(999_999).expect_err("no such dispute"));
    assert_eq!(status, 404);
    let d = client.disputes(None, Some(10)).expect("disputes");
    assert_eq!(d.total, d.disputes.len());
    let bad = JobFilter {
        status: Some("Sleeping".into()),
        ..Default::default()
    };
    let (status, msg) = http_status(client.jobs(&bad).expect_err("bad status"));
    assert_eq!(status, 400);
    assert!(msg.contains("Sleeping"), "{msg}");
    let bad = JobFilter {
        limit: Some(0),
        ..Default::default()
    };
    assert_eq!(
        http_status(client.jobs(&bad).expect_err("bad limit")).0,
        400
    );
    // The OpenAPI document describes the new routes.
    let doc: serde_json::Value = ure_agent()
        .get(&format!("{}/v1/openapi.json", node.url()))
        .call()
        .expect("openapi")
        .body_mut()
        .read_json()
        .expect("json");
    for (p, m) in [
        ("/v1/blobs/{hash}", "put"),
        ("/v1/blobs/{hash}", "get"),
        ("/v1/jobs", "get"),
        ("/v1/jobs/{id}", "get"),
        ("/v1/disputes", "get"),
        ("/v1/disputes/{id}", "get"),
    ] {
        assert!(doc["paths"][p][m].is_object(), "{m} {p} missing");
    }
    node.shutdown().expect("clean shutdown");
}
