//! Agents facing bad input: a job whose spec blob is missing or whose data blob is not what
//! the job names is skipped with a reason (no bid, no panic); a node that is down is retried
//! with backoff and reported, and the loop still stops when asked.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use verity_agent::chain::Link;
use verity_agent::{AgentEvent, ProviderConfig};
use verity_ledger::Payload;
use verity_ledger::market::JobTerms;
use verity_primitives::Hash;

fn terms(spec_hash: Hash, data_hashes: Vec<Hash>) -> JobTerms {
    JobTerms {
        spec_hash,
        data_hashes,
        token: USDC,
        max_price: 1_000_000,
        escrow: 1_000_000,
        device_class: "cpu".into(),
        min_cores: 1,
        min_memory_mb: 1,
        spot_check_bps: 0,
        challenge_window_ms: 1_000,
        bid_window_ms: 30_000,
        deadline_ms: 60_000,
    }
}

#[test]
fn bad_blobs_and_unmet_requirements_are_skipped_with_a_reason() {
    let net = Net::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let events = Events::default();
    let buyer = Link::new(&net.url(), net.accounts[0].0);
    let (spec, data) = tiny_job(4);
    let spec_hash = net.client.put_blob(&spec).expect("put spec");
    // Job 0: the spec blob was never uploaded.
    let missing = verity_api::market::blob_hash(b"never uploaded");
    buyer
        .send("PostJob", Payload::PostJob(terms(missing, vec![spec_hash])))
        .expect("post 0");
    // Job 1: the data hash names a blob that is absent too (spec present).
    buyer
        .send("PostJob", Payload::PostJob(terms(spec_hash, vec![missing])))
        .expect("post 1");
    // Job 2: asks for a GPU.
    let data_hash = net.client.put_blob(&data).expect("put data");
    let mut t = terms(spec_hash, vec![data_hash]);
    t.device_class = "gpu-h100".into();
    buyer.send("PostJob", Payload::PostJob(t)).expect("post 2");

    let mut agents = Agents::new();
    let mut cfg = ProviderConfig::new(&net.url(), net.accounts[1].0, dir.path().join("p"));
    cfg.stake_target = STAKE;
    cfg.poll_interval = Duration::from_millis(100);
    agents.provider(cfg, events.sink("provider"));
    for job in 0..3u64 {
        let e = events.wait_for(
            "provider",
            60,
            |e| matches!(e, AgentEvent::Skipped { job: j, .. } if *j == job),
        );
        let AgentEvent::Skipped { reason, .. } = e else {
            unreachable!()
        };
        let want = if job == 2 { "gpu-h100" } else { "bad blob" };
        assert!(reason.contains(want), "job {job}: {reason}");
    }
    drop(agents);
    assert!(
        !events
            .of("provider")
            .iter()
            .any(|e| matches!(e, AgentEvent::Bid { .. }))
    );
    for job in 0..3 {
        assert!(net.client.job(job).expect("job").bids.is_empty());
    }
}

#[test]
fn node_down_is_retried_with_backoff_and_stop_still_works() {
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let dir = tempfile::tempdir().expect("temp dir");
    let key = verity_ledger::genesis::dev_secret(1);
    let mut cfg = ProviderConfig::new(&format!("http://127.0.0.1:{port}"), key, dir.path());
    cfg.poll_interval = Duration::from_millis(20);
    let events = Events::default();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let sink = events.sink("provider");
    let h = std::thread::spawn(move || verity_agent::provider::run(cfg, s2, sink));
    events.wait_for("provider", 30, |e| matches!(e, AgentEvent::NodeDown { .. }));
    let second = events.wait_for(
        "provider",
        30,
        |e| matches!(e, AgentEvent::NodeDown { retry_ms, .. } if *retry_ms > 20),
    );
    assert!(second.to_string().contains("retrying"));
    stop.store(true, Ordering::Relaxed);
    h.join().expect("no panic").expect("clean return");
}
