//! The agents against a real node (in-process, loopback, random port): an honest provider's
//! job settles and pays exactly price − fee; a provider with an injected fault is challenged
//! by the verifier, loses the bisection game by the referee's replay and is slashed exactly per
//! the market parameters. Jobs are 6-step MLPs so each test takes seconds.

mod common;

use std::time::Duration;

use common::*;
use verity_agent::buyer::{JobOffer, submit_job};
use verity_agent::work::fetch_outputs;
use verity_agent::{AgentEvent, FaultInjection, Pricing, ProviderConfig, VerifierConfig};
use verity_ledger::market::dispute::{Winner, ceil_log2};
use verity_ledger::market::{JobStatus, MarketParams};

fn provider_cfg(net: &Net, i: usize, dir: &std::path::Path) -> ProviderConfig {
    let mut c = ProviderConfig::new(&net.url(), net.accounts[i].0, dir.join(format!("p{i}")));
    c.stake_target = STAKE;
    c.poll_interval = Duration::from_millis(100);
    c.checkpoint_every = 2;
    c.pricing = Pricing {
        per_step: 1_000,
        per_op: 10,
        markup_bps: 500,
        tokens: vec![USDC],
    };
    c
}

fn verifier_cfg(net: &Net, dir: &std::path::Path) -> VerifierConfig {
    let mut c = VerifierConfig::new(&net.url(), net.accounts[2].0, dir.join("v"));
    c.stake_target = STAKE;
    c.poll_interval = Duration::from_millis(100);
    c.whistleblower = true;
    c.challenge_bond = 1_000_000;
    c
}

fn offer(challenge_ms: u64) -> JobOffer {
    let mut o = JobOffer::new(USDC, 5_000_000);
    o.escrow = 6_000_000;
    o.bid_window_ms = 1_500;
    o.challenge_window_ms = challenge_ms;
    o.deadline_ms = 120_000;
    o.spot_check_bps = 10_000;
    o
}

#[test]
fn honest_job_settles_and_pays_price_minus_fee() {
    let net = Net::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let events = Events::default();
    let (buyer_key, buyer) = net.accounts[0];
    let provider = net.accounts[1].1;
    let verifier = net.accounts[2].1;
    let mut agents = Agents::new();
    agents.provider(provider_cfg(&net, 1, dir.path()), events.sink("provider"));
    let mut v = verifier_cfg(&net, dir.path());
    v.sample_steps = 2;
    agents.verifier(v, events.sink("verifier"));
    // Let the agents register and bond first.
    std::thread::sleep(Duration::from_millis(800));

    let before_p = net.balance(provider, USDC);
    let before_b = net.balance(buyer, USDC);
    let before_v = net.balance(verifier, USDC);
    let (spec, data) = tiny_job(6);
    let id = submit_job(&net.client, &buyer_key, &spec, &[data], &offer(4_000)).expect("posted");
    let j = net.wait_job(id, 120, &events, finished);
    assert_eq!(j.status, JobStatus::Settled, "{}", events.lines());
    let fee = (j.price * u128::from(MarketParams::DEFAULT.fee_bps)).div_ceil(10_000);
    assert!(j.price > 0 && j.price <= 5_000_000);
    assert_eq!(net.balance(provider, USDC) - before_p, j.price - fee);
    assert_eq!(before_b - net.balance(buyer, USDC), j.price);

    // The bid followed the pricing policy: 6 steps × (1000 + 10 × ops) + 5%.
    let pe = events.of("provider");
    let bid = pe
        .iter()
        .find_map(|e| match e {
            AgentEvent::Bid { job, price } if *job == id => Some(*price),
            _ => None,
        })
        .expect("a bid event");
    assert_eq!(bid, j.price);
    assert!(
        pe.iter()
            .any(|e| matches!(e, AgentEvent::Committed { job, steps: 6, .. } if *job == id))
    );
    assert!(
        pe.iter()
            .any(|e| matches!(e, AgentEvent::Settled { job, .. } if *job == id))
    );
    // The verifier (the only eligible staker, so drawn) spot-checked, agreed, attested and
    // got the verifier share of the fee.
    let pool = fee * u128::from(MarketParams::DEFAULT.verifier_fee_share_bps) / 10_000;
    assert_eq!(net.balance(verifier, USDC) - before_v, pool);
    assert!(
        j.selection
            .as_ref()
            .is_some_and(|s| s.attested == vec![verifier])
    );
    // The verifier spot-checked and agreed.
    let ve = events.of("verifier");
    assert!(
        ve.iter()
            .any(|e| matches!(e, AgentEvent::Checked { job, agree: true, .. } if *job == id)),
        "{}",
        events.lines()
    );

    // Anyone can fetch the outputs from the committed output hash, every blob hash-checked.
    let out = dir.path().join("fetched");
    let c = j.commit.expect("committed");
    let m = fetch_outputs(&net.client, id, &c.output_hash, &out).expect("outputs");
    assert_eq!(
        m.receipt.trace_root,
        verity_ree::trace::to_hex(&c.trace_root.0)
    );
    assert!(out.join("weights.safetensors").is_file());
    assert_eq!(m.checkpoints.len(), 3);
}

#[test]
fn faulty_provider_is_challenged_and_slashed() {
    let net = Net::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let events = Events::default();
    let buyer_key = net.accounts[0].0;
    let provider = net.accounts[1].1;
    let verifier = net.accounts[2].1;
    let mut agents = Agents::new();
    let mut p = provider_cfg(&net, 1, dir.path());
    p.fault = Some(FaultInjection { step: 3, op: 5 });
    agents.provider(p, events.sink("provider"));
    let mut v = verifier_cfg(&net, dir.path());
    v.sample_steps = 0;
    agents.verifier(v, events.sink("verifier"));
    std::thread::sleep(Duration::from_millis(800));

    let (spec, data) = tiny_job(6);
    let id = submit_job(&net.client, &buyer_key, &spec, &[data], &offer(60_000)).expect("posted");
    let j = net.wait_job(id, 120, &events, |j| j.status == JobStatus::Slashed);
    let stake_after = net.bonded(provider);
    assert_eq!(j.disputes.len(), 1);
    let d = net.client.dispute(j.disputes[0]).expect("dispute");
    let o = d.outcome.clone().expect("ruled");
    assert_eq!(o.winner, Winner::Challenger, "{}", events.lines());
    assert_eq!(o.reason, "replay");
    assert_eq!(d.challenger, verifier);
    // Slashed exactly the locked collateral; the winner gets winner_share_bps of it.
    let params = MarketParams::DEFAULT;
    assert_eq!(o.slashed, j.locked);
    assert_eq!(
        o.paid,
        j.locked * u128::from(params.winner_share_bps) / 10_000
    );
    assert_eq!(stake_after, STAKE - j.locked);
    // The game found the corrupted step and ran no more rounds than the formula allows.
    assert_eq!(d.step, 3);
    assert!(d.rounds <= ceil_log2(d.steps) + ceil_log2(d.leaves) + 1);
    let ve = events.of("verifier");
    assert!(
        ve.iter()
            .any(|e| matches!(e, AgentEvent::Challenged { job, .. } if *job == id))
    );
    // Both sides report the ruling from their own point of view.
    events.wait_for(
        "verifier",
        30,
        |e| matches!(e, AgentEvent::Ruled { won: true, job, .. } if *job == id),
    );
    events.wait_for(
        "provider",
        30,
        |e| matches!(e, AgentEvent::Ruled { won: false, job, .. } if *job == id),
    );
    let pe = events.of("provider");
    assert!(
        pe.iter()
            .any(|e| matches!(e, AgentEvent::FaultInjected { step: 3, .. }))
    );
    // The buyer got the escrow back.
    assert_eq!(
        net.balance(net.accounts[0].1, USDC),
        verity_ledger::genesis::DEV_STABLE_EACH
    );
}

#[test]
fn silent_provider_loses_on_timeout() {
    let net = Net::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let events = Events::default();
    let buyer_key = net.accounts[0].0;
    let mut provider_agents = Agents::new();
    let mut p = provider_cfg(&net, 1, dir.path());
    p.fault = Some(FaultInjection { step: 1, op: 2 });
    provider_agents.provider(p, events.sink("provider"));
    let mut verifier_agents = Agents::new();
    let mut v = verifier_cfg(&net, dir.path());
    v.sample_steps = 0;
    verifier_agents.verifier(v, events.sink("verifier"));
    std::thread::sleep(Duration::from_millis(800));

    let (spec, data) = tiny_job(4);
    let id = submit_job(&net.client, &buyer_key, &spec, &[data], &offer(60_000)).expect("posted");
    events.wait_for(
        "provider",
        60,
        |e| matches!(e, AgentEvent::Committed { job, .. } if *job == id),
    );
    // The provider goes silent right after committing.
    drop(provider_agents);
    let j = net.wait_job(id, 90, &events, |j| j.status == JobStatus::Slashed);
    let d = net.client.dispute(j.disputes[0]).expect("dispute");
    let o = d.outcome.expect("ruled");
    assert_eq!(o.winner, Winner::Challenger, "{}", events.lines());
    assert_eq!(o.reason, "timeout");
    assert_eq!(o.slashed, j.locked);
    events.wait_for("verifier", 30, |e| {
        matches!(e, AgentEvent::TimeoutClaimed { .. })
    });
}
