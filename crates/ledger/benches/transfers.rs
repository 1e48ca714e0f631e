//! Transfers applied per second on one core, without signature checks, with the state root
//! computed for every block (blocks of 5,000 transfers among 10,000 accounts by default).
//!
//! Two ledger paths: a block this node sealed from its own mempool (`apply_block_prehashed`,
//! the transaction hashes come from admission, which computed them to recover signers) and a
//! block from a peer or a store replay (`apply_block`, which hashes every transaction).
//!
//! Baseline measured in the same run: the same transfers applied to a bare
//! `BTreeMap<(Address, TokenId), u128>` (no nonces, receipts, overlay or state root) — the
//! floor any ledger pays. Printed: ledger tx/s, baseline tx/s, their ratio, and the ledger
//! against the floor (200,000/s) and goal (500,000/s).
//!
//! Each figure is given twice: per wall-clock second, and per second of this thread's own CPU
//! time (Linux `/proc/thread-self/schedstat`), which is what "on one core" means when other
//! processes share the machine (wall time then also counts time the thread waited for a core).
//!
//! Env: `VERITY_BENCH_ACCOUNTS` (10000), `VERITY_BENCH_BLOCK` (5000), `VERITY_BENCH_BLOCKS` (8).
// Benchmarks measure wall-clock time; the ledger itself never does.
#![allow(clippy::disallowed_types, clippy::disallowed_methods, missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use verity_ledger::bench::{bench_blocks, bench_genesis};
use verity_ledger::execute::apply_block_prehashed;
use verity_ledger::{BlockInput, Hash, Payload, SignedTransaction, State, apply_block};

/// The transaction hashes admission computed for `b` (untimed, like the signature checks).
fn block_hashes(b: &BlockInput) -> Vec<Hash> {
    b.txs.iter().map(SignedTransaction::hash).collect()
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Nanoseconds this thread has spent on a CPU (None off Linux).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// (wall, thread CPU) time of `f`.
fn timed(f: impl FnOnce()) -> (Duration, Option<Duration>) {
    let c0 = thread_cpu_ns();
    let t0 = Instant::now();
    f();
    let wall = t0.elapsed();
    let cpu = match (c0, thread_cpu_ns()) {
        (Some(a), Some(b)) => Some(Duration::from_nanos(b.saturating_sub(a))),
        _ => None,
    };
    (wall, cpu)
}

fn baseline(
    blocks: &[verity_ledger::BlockInput],
    accounts: &State,
) -> (Duration, Option<Duration>) {
    let mut m: BTreeMap<([u8; 20], u32), u128> = BTreeMap::new();
    for (k, v) in accounts.entries() {
        if k.len() == 25 && k[0] == 0x03 {
            let mut a = [0u8; 20];
            a.copy_from_slice(&k[1..21]);
            let mut b = [0u8; 16];
            b.copy_from_slice(v);
            m.insert((a, 0), u128::from_be_bytes(b));
        }
    }
    timed(|| {
        for b in blocks {
            for t in &b.txs {
                if let Payload::Transfer { to, amount, .. } = &t.tx.payload {
                    let from = m.entry((t.tx.sender.0, 0)).or_insert(0);
                    *from -= amount;
                    *m.entry((to.0, 0)).or_insert(0) += amount;
                }
            }
        }
        std::hint::black_box(&m);
    })
}

fn transfers(c: &mut Criterion) {
    let n_accounts = env("VERITY_BENCH_ACCOUNTS", 10_000);
    let block = env("VERITY_BENCH_BLOCK", 5_000);
    let n_blocks = env("VERITY_BENCH_BLOCKS", 8);
    let genesis_state = State::from_genesis(&bench_genesis(n_accounts)).expect("genesis");

    // Explicit measured runs, printed as figures and ratios. The node's own blocks reuse the
    // transaction hashes admission computed (signature recovery needs them; the signature
    // checks are not timed either); a block from a peer or a replay hashes every transaction.
    let blocks = bench_blocks(&genesis_state, block * n_blocks, n_accounts, block);
    let hashes: Vec<Vec<Hash>> = blocks.iter().map(block_hashes).collect();
    let mut own = genesis_state.clone();
    let (own_wall, own_cpu) = timed(|| {
        for (b, h) in blocks.iter().zip(&hashes) {
            apply_block_prehashed(&mut own, b, h).expect("block");
        }
    });
    let mut peer = genesis_state.clone();
    let (peer_wall, peer_cpu) = timed(|| {
        for b in &blocks {
            apply_block(&mut peer, b).expect("block");
        }
    });
    assert_eq!(own.root(), peer.root(), "both paths reach the same state");
    let (base, base_cpu) = baseline(&blocks, &genesis_state);
    let n = (block * n_blocks) as f64;
    let base_tps = n / base.as_secs_f64();
    println!(
        "{n_blocks} blocks x {block} transfers, {n_accounts} accounts, state root per block; baseline BTreeMap-only {base_tps:.0} tx/s wall"
    );
    for (what, wall, cpu) in [
        ("own block (tx hashes from admission)", own_wall, own_cpu),
        ("peer/replay block (hashes every tx)", peer_wall, peer_cpu),
    ] {
        let tps = n / wall.as_secs_f64();
        println!(
            "ledger, {what}: {tps:.0} tx/s wall; ledger/baseline = {:.3}; vs floor 200000/s = {:.2}x, vs goal 500000/s = {:.2}x",
            tps / base_tps,
            tps / 200_000.0,
            tps / 500_000.0
        );
        if let (Some(lc), Some(bc)) = (cpu, base_cpu) {
            let l = n / lc.as_secs_f64();
            let b = n / bc.as_secs_f64();
            println!(
                "  per CPU-second of this thread: ledger {l:.0} tx/s, baseline {b:.0} tx/s, ledger/baseline = {:.3}; vs floor 200000/s = {:.2}x, vs goal 500000/s = {:.2}x",
                l / b,
                l / 200_000.0,
                l / 500_000.0
            );
        }
    }

    let mut g = c.benchmark_group("apply_block");
    g.throughput(Throughput::Elements(block));
    g.sample_size(10);
    g.bench_function(format!("transfers_{block}_among_{n_accounts}"), |b| {
        b.iter_custom(|iters| {
            let blocks = bench_blocks(&genesis_state, block * iters, n_accounts, block);
            let hashes: Vec<Vec<Hash>> = blocks.iter().map(block_hashes).collect();
            let mut st = genesis_state.clone();
            let t0 = Instant::now();
            for (blk, h) in blocks.iter().zip(&hashes) {
                apply_block_prehashed(&mut st, blk, h).expect("block");
            }
            t0.elapsed()
        })
    });
    g.bench_function(format!("peer_transfers_{block}_among_{n_accounts}"), |b| {
        b.iter_custom(|iters| {
            let blocks = bench_blocks(&genesis_state, block * iters, n_accounts, block);
            let mut st = genesis_state.clone();
            let t0 = Instant::now();
            for blk in &blocks {
                apply_block(&mut st, blk).expect("block");
            }
            t0.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, transfers);
criterion_main!(benches);
