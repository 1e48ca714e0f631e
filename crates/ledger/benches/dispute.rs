//! Measures of issue 4 (printed, never asserted):
//!
//! 1. **Dispute vs job.** A provider commits a faulted trace of an MLP [11, 64, 64, 1] job on
//!    wine-quality (`VERITY_DISPUTE_STEPS`, default 1,000 steps, batch 32); an honest
//!    challenger plays the whole game through `apply_block` (challenge, every bisection round,
//!    both rulings with `ree::replay_op`). Printed: rounds (against ⌈log2 steps⌉ + ⌈log2
//!    leaves⌉ + 1), the ledger's time inside `apply_block` for the whole dispute, the job's
//!    compute time (the provider's traced run) and their ratio (goal ≤ 0.1%).
//! 2. **Verifier vs provider at p.** `VERITY_SPOTCHECK_JOBS` (default 100) jobs of
//!    `VERITY_SPOTCHECK_STEPS` (default 20) steps; the ledger's own draw
//!    (`market::verify::roll_bps`) selects each with p = `VERITY_SPOTCHECK_BPS` (default 1,000 =
//!    10%); the provider runs every job, the verifier re-runs only the selected ones. Printed:
//!    selected count, both compute times and the ratio (goal ≈ p).
//!
//! Then criterion times `verify::sample` (k = 3 of 1,000 stakers) as the per-commit cost.
// Benchmarks measure wall-clock time; the ledger itself never does.
#![allow(clippy::disallowed_types, clippy::disallowed_methods, missing_docs)]

#[path = "../tests/market_common/mod.rs"]
mod market_common;

use criterion::{Criterion, criterion_group, criterion_main};
use market_common::*;
use std::time::{Duration, Instant};
use verity_ledger::market::dispute::{self, Phase};
use verity_ledger::market::verify;
use verity_ledger::{Address, Hash, Payload};
use verity_ree::runner::{RunOptions, run_spec_file};
use verity_ree::trace::Trace;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn dispute_vs_job() {
    let steps = env("VERITY_DISPUTE_STEPS", 1_000);
    let t0 = Instant::now();
    let job = Job::mlp(steps, "[11, 64, 64, 1]", 32);
    let compute = t0.elapsed();
    let ops = job.op_leaves();
    let (step, leaf) = (steps * 7 / 10, ops[ops.len() / 2]);
    let cheat = job.faulted(step, leaf, 1);
    let honest: Trace = job.honest.trace.clone();
    let mut c = Chain::new();
    assign(&mut c, 0, provider(), 10_000, 800);
    c.ok(
        provider(),
        Payload::Commit {
            job: 0,
            result: commit_of(&cheat),
        },
    );
    c.ok(challenger(), Payload::Bond { amount: 1_000 });
    // Evidence is the parties' work, prepared before the game; the ledger's time is counted
    // from the challenge to the ruling.
    let ev = |own: &Trace| serde_json::to_string(&job.evidence(own, step, leaf)).expect("json");
    let (ev_p, ev_c) = (ev(&cheat), ev(&honest));
    c.apply_time = Duration::ZERO;
    let mut txs = 0u32;
    c.ok(
        challenger(),
        Payload::Challenge {
            job: 0,
            trace_root: Hash(honest.root()),
            bond: 100,
        },
    );
    txs += 1;
    loop {
        let d = dispute::dispute(&c.state, 0)
            .expect("reads")
            .expect("exists");
        if d.phase != Phase::Steps && d.phase != Phase::Leaves {
            break;
        }
        c.ok(provider(), move_of(&d, &cheat));
        c.ok(challenger(), move_of(&d, &honest));
        txs += 2;
    }
    c.ok(
        provider(),
        Payload::Rule {
            dispute: 0,
            evidence: ev_p,
        },
    );
    c.ok(
        challenger(),
        Payload::Rule {
            dispute: 0,
            evidence: ev_c,
        },
    );
    txs += 2;
    let ledger = c.apply_time;
    let d = dispute::dispute(&c.state, 0)
        .expect("reads")
        .expect("exists");
    let o = d.outcome.expect("ruled");
    let bound = dispute::ceil_log2(steps) + dispute::ceil_log2(d.leaves) + 1;
    println!(
        "dispute: {steps}-step MLP [11,64,64,1] job, {} leaves/step, fault at step {step} leaf {leaf}: winner {:?}, {} rounds (bound ceil(log2 steps)+ceil(log2 leaves)+1 = {bound}), {txs} txs",
        d.leaves, o.winner, d.rounds
    );
    println!(
        "dispute ledger time (apply_block, all {txs} txs incl. the replay ruling): {:.3} ms; job compute (provider's traced run): {:.1} ms; ratio = {:.4}% (goal <= 0.1%)",
        ledger.as_secs_f64() * 1e3,
        compute.as_secs_f64() * 1e3,
        100.0 * ledger.as_secs_f64() / compute.as_secs_f64()
    );
}

fn spot_check_ratio() {
    let n = env("VERITY_SPOTCHECK_JOBS", 100);
    let steps = env("VERITY_SPOTCHECK_STEPS", 20);
    let p = u32::try_from(env("VERITY_SPOTCHECK_BPS", 1_000)).expect("bps fits u32");
    let job = Job::mlp(steps, "[11, 64, 64, 1]", 32);
    let run =
        || run_spec_file(&job.spec, &RunOptions::default(), &mut |_, _, _| {}).expect("job runs");
    let parent = Hash::keccak(b"spot-check bench parent");
    let (mut provider_t, mut verifier_t, mut selected) = (Duration::ZERO, Duration::ZERO, 0u64);
    for id in 0..n {
        let t0 = Instant::now();
        let out = run();
        provider_t += t0.elapsed();
        std::hint::black_box(&out);
        if verify::roll_bps(&verify::seed(&parent, 1 + id, id)) < p {
            selected += 1;
            let t0 = Instant::now();
            let again = run();
            verifier_t += t0.elapsed();
            assert_eq!(again.trace.root(), out.trace.root(), "re-run reproduces");
        }
    }
    println!(
        "spot check at p = {:.1}%: {selected}/{n} jobs selected ({:.1}%); provider compute {:.1} ms, verifier {:.1} ms; verifier/provider = {:.3} (goal ~ p = {:.3})",
        f64::from(p) / 100.0,
        100.0 * selected as f64 / n as f64,
        provider_t.as_secs_f64() * 1e3,
        verifier_t.as_secs_f64() * 1e3,
        verifier_t.as_secs_f64() / provider_t.as_secs_f64(),
        f64::from(p) / 10_000.0
    );
}

fn bench(c: &mut Criterion) {
    dispute_vs_job();
    spot_check_ratio();
    let stakers: Vec<(Address, u128)> = (0..1_000u64)
        .map(|i| {
            (
                verity_ledger::bench::bench_account(i),
                1_000 + u128::from(i),
            )
        })
        .collect();
    let seed = verify::seed(&Hash::ZERO, 1, 0);
    c.bench_function("verify::sample k=3 of 1000 stakers", |b| {
        b.iter(|| verify::sample(std::hint::black_box(&seed), &stakers, 3))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
