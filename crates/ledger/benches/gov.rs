//! Governance benchmark: ve power reads per second (`ve::balance_at` for every lock, and
//! `ve::supply_at`, which walks the weekly slope changes) and proposal votes applied per
//! second through `apply_block` (no signature checks, state root per block), on the dev
//! genesis with 256 accounts holding four-year-or-shorter locks. The baseline is the same
//! number of plain transfers (`verity_ledger::bench`) measured in the same run.
//!
//! `cargo bench -p verity-ledger --bench gov`. `VERITY_BENCH_GOV_PROPOSALS` sets the proposals
//! voted on per round (default 16; every account votes on each, so votes = 256 × proposals).
// Benchmarks measure wall-clock time (crates/ledger/clippy.toml bans clocks in the ledger itself).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use criterion::Criterion;
use std::hint::black_box;
use std::time::Instant;
use verity_ledger::bench::bench_account;
use verity_ledger::genesis::{Genesis, VTY};
use verity_ledger::governance::ve;
use verity_ledger::tx::Payload;
use verity_ledger::{Address, State};

mod common;
use common::{ACCOUNTS, Chain, apply_all, timed, transfers_per_sec};

fn main() {
    let proposals: u64 = std::env::var("VERITY_BENCH_GOV_PROPOSALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16)
        .clamp(1, 1_000);
    let addrs: Vec<Address> = (0..ACCOUNTS).map(bench_account).collect();
    let mut g = Genesis::dev(&addrs);
    g.params.max_block_txs = 100_000;
    let mut base = State::from_genesis(&g).expect("dev genesis");
    let mut chain = Chain::new(&base);
    let t0 = base.time().0 / 1000;
    // Setup: every account locks 1,000 VTY for 4 to 203 weeks (many distinct slope changes).
    let locks = chain.blocks(
        (0..ACCOUNTS as usize)
            .map(|i| {
                let weeks = 1 + (i as u64 * 37) % 200;
                (
                    i,
                    Payload::CreateLock {
                        amount: 1_000 * VTY,
                        unlock_time: t0 + weeks * ve::WEEK + 3 * ve::WEEK,
                    },
                )
            })
            .collect(),
    );
    apply_all(&mut base, &locks);
    chain.time += 2_000; // past the proposals' one-second-earlier snapshot
    let props = chain.blocks(
        (0..proposals)
            .map(|_| {
                (
                    0,
                    Payload::Propose {
                        param: "gov_quorum_bps".into(),
                        value: "500".into(),
                    },
                )
            })
            .collect(),
    );
    apply_all(&mut base, &props);
    let first = verity_ledger::governance::config(&base)
        .expect("governance")
        .next_proposal
        - proposals;
    let n = proposals * ACCOUNTS;
    let votes = chain.blocks(
        (0..proposals)
            .flat_map(|p| {
                (0..ACCOUNTS as usize).map(move |i| {
                    (
                        i,
                        Payload::Vote {
                            proposal: first + p,
                            support: i % 3 != 0,
                        },
                    )
                })
            })
            .collect(),
    );
    {
        let mut s = base.clone();
        apply_all(&mut s, &votes);
        s.check_invariants().expect("invariants after the bench");
    }
    let now = base.time().0 / 1000;

    let mut c = Criterion::default().sample_size(10).configure_from_args();
    c.bench_function("ve_balance_at_256_locks", |b| {
        b.iter(|| {
            for a in &addrs {
                black_box(ve::balance_at(&base, a, black_box(now)).expect("power"));
            }
        })
    });
    c.bench_function("ve_supply_at", |b| {
        b.iter(|| black_box(ve::supply_at(&base, black_box(now)).expect("supply")))
    });

    // Summary: interleaved rounds, best of 3 (shared, loaded machine).
    let (mut vt, mut pw, mut sp, mut tr) = (0f64, 0f64, 0f64, 0f64);
    for _ in 0..3 {
        vt = vt.max(timed(&base, &votes, n).0);
        let t = Instant::now();
        for _ in 0..20 {
            for a in &addrs {
                black_box(ve::balance_at(&base, a, now).expect("power"));
            }
        }
        pw = pw.max(20.0 * ACCOUNTS as f64 / t.elapsed().as_secs_f64());
        let t = Instant::now();
        for k in 0..200u64 {
            black_box(ve::supply_at(&base, now + k * 3_600).expect("supply"));
        }
        sp = sp.max(200.0 / t.elapsed().as_secs_f64());
        tr = tr.max(transfers_per_sec(n));
    }
    println!(
        "\n== governance summary ({n} votes on {proposals} proposals, {ACCOUNTS} locks, best of 3) =="
    );
    println!(
        "votes/s through apply_block: {vt:.0} (ratio to transfers {:.2}); ve balance_at/s: {pw:.0}; ve supply_at/s (208 weeks of slope changes): {sp:.0}; transfers/s baseline: {tr:.0}",
        vt / tr
    );
}
