//! amm + router benchmarks.
//!
//! - **Swaps per second** through `apply_block` (no signature checks, state root per block):
//!   blocks of 1,000 single-hop `SwapExactIn` among 64 accounts over 8 pools; the baseline is
//!   the same number of plain transfers (`verity_ledger::bench`) measured in the same run, so
//!   the printed ratio is comparable across machines. Floor 50,000/s, goal 100,000/s.
//! - **Router quote over 1,000 pools** (100 tokens, up to 3 hops, splits): time per
//!   `router::quote`; the baseline is one direct-pool `getAmountsOut` in the same run. Goal
//!   < 1 ms.
//!
//! `cargo bench -p verity-ledger --bench amm` (one core: the ledger is single-threaded).
//! `VERITY_BENCH_SWAPS` sets the number of swaps per round (default 20,000).
// Benchmarks measure wall-clock time (crates/ledger/clippy.toml bans clocks in the ledger itself).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use criterion::Criterion;
use std::hint::black_box;
use std::time::Instant;
use verity_ledger::bench::{bench_account, bench_transfers};
use verity_ledger::block::BlockInput;
use verity_ledger::genesis::Genesis;
use verity_ledger::tx::{Payload, Signature65, SignedTransaction, Transaction};
use verity_ledger::{Hash, State, Timestamp, TokenId, amm, apply_block, router};

const E18: u128 = 1_000_000_000_000_000_000;
const ACCOUNTS: u64 = 64;
const BLOCK: u64 = 1_000;

/// A genesis with `n_tokens` tokens, `ACCOUNTS` funded accounts, and `pools` (token pairs)
/// seeded by account 0 through the `[amm]` section, reserves varying by pool.
fn genesis(n_tokens: u32, pools: &[(u32, u32)]) -> Genesis {
    let mut t = String::from("chain_id = 7\ngenesis_time = 0\n[params]\nmax_block_txs = 100000\n");
    for i in 0..n_tokens {
        t += &format!("[[tokens]]\nsymbol = \"B{i}\"\ndecimals = 18\n");
    }
    for a in 0..ACCOUNTS {
        for i in 0..n_tokens {
            t += &format!(
                "[[balances]]\naddress = \"{}\"\ntoken = \"B{i}\"\namount = \"{}\"\n",
                bench_account(a),
                1_000_000_000_000 * E18
            );
        }
    }
    t += &format!("[amm]\nprovider = \"{}\"\n", bench_account(0));
    for (k, (a, b)) in pools.iter().enumerate() {
        let ra = (1_000 + (k as u128 * 7919) % 9_000) * 1_000 * E18;
        let rb = (1_000 + (k as u128 * 104_729) % 9_000) * 1_000 * E18;
        t += &format!(
            "[[amm.pools]]\ntoken_a = \"B{a}\"\ntoken_b = \"B{b}\"\namount_a = \"{ra}\"\namount_b = \"{rb}\"\n"
        );
    }
    Genesis::from_toml_str(&t).expect("bench genesis is valid")
}

/// splitmix64.
fn mix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Blocks of single-hop exact-in swaps over `pools`, correct nonces, dummy signatures.
fn swap_blocks(state: &State, pools: &[(u32, u32)], n: u64) -> Vec<BlockInput> {
    let mut nonces = vec![0u64; ACCOUNTS as usize];
    let mut x = 42u64;
    let mut blocks = Vec::new();
    let mut height = state.height();
    let mut done = 0;
    while done < n {
        let m = BLOCK.min(n - done);
        height += 1;
        let txs = (0..m)
            .map(|_| {
                let s = (mix(&mut x) % ACCOUNTS) as usize;
                let (a, b) = pools[(mix(&mut x) % pools.len() as u64) as usize];
                let path = if mix(&mut x).is_multiple_of(2) {
                    vec![a, b]
                } else {
                    vec![b, a]
                };
                let tx = Transaction {
                    chain_id: state.chain_id(),
                    sender: bench_account(s as u64),
                    nonce: nonces[s],
                    payload: Payload::SwapExactIn {
                        path: path.into_iter().map(TokenId).collect(),
                        amount_in: E18 + u128::from(mix(&mut x) % 1_000) * E18 / 100,
                        min_out: 0,
                        deadline: Timestamp(u64::MAX),
                    },
                };
                nonces[s] += 1;
                SignedTransaction {
                    tx,
                    signature: Signature65([0u8; 65]),
                }
            })
            .collect();
        blocks.push(BlockInput {
            height,
            timestamp: Timestamp(height * 1000),
            parent_hash: Hash::ZERO,
            txs,
        });
        done += m;
    }
    blocks
}

fn swaps_per_sec(base: &State, blocks: &[BlockInput], n: u64) -> f64 {
    let mut s = base.clone();
    let t0 = Instant::now();
    for b in blocks {
        let out = apply_block(&mut s, b).expect("bench block applies");
        debug_assert!(out.receipts.iter().all(|r| r.is_success()));
    }
    n as f64 / t0.elapsed().as_secs_f64()
}

fn transfers_per_sec(n: u64) -> f64 {
    let start = Instant::now();
    let mut clock = || start.elapsed().as_nanos();
    let r = bench_transfers(n, ACCOUNTS, BLOCK, &mut clock).expect("transfer bench");
    r.txs as f64 * 1e9 / r.elapsed_ns as f64
}

/// 1,000 distinct pairs among 100 tokens, deterministic.
fn big_graph() -> Vec<(u32, u32)> {
    let mut x = 7u64;
    let mut set = std::collections::BTreeSet::new();
    while set.len() < 1_000 {
        let a = (mix(&mut x) % 100) as u32;
        let b = (mix(&mut x) % 100) as u32;
        if a != b {
            set.insert((a.min(b), a.max(b)));
        }
    }
    set.into_iter().collect()
}

fn main() {
    let n: u64 = std::env::var("VERITY_BENCH_SWAPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let small: Vec<(u32, u32)> = vec![
        (0, 1),
        (1, 2),
        (2, 3),
        (3, 4),
        (4, 5),
        (5, 0),
        (0, 3),
        (1, 4),
    ];
    let base = State::from_genesis(&genesis(6, &small)).expect("bench state");
    let blocks = swap_blocks(&base, &small, n);
    {
        let mut s = base.clone();
        for b in &blocks {
            let out = apply_block(&mut s, b).expect("bench block applies");
            assert!(
                out.receipts.iter().all(|r| r.is_success()),
                "every bench swap succeeds"
            );
        }
        s.check_invariants().expect("invariants after the bench");
    }

    let big_pools = big_graph();
    let big = State::from_genesis(&genesis(100, &big_pools)).expect("1000-pool state");
    assert_eq!(amm::pool_count(&big).expect("count"), 1_000);
    // The first pair: a direct pool plus its 2- and 3-hop alternatives.
    let (qa, qb) = (TokenId(big_pools[0].0), TokenId(big_pools[0].1));
    let q = router::quote(&big, qa, qb, 1_000 * E18).expect("quote");
    let direct = amm::path_pools(&big, &[qa, qb]).expect("direct pool");

    let mut c = Criterion::default().sample_size(10).configure_from_args();
    c.bench_function("router_quote_1000_pools", |b| {
        b.iter(|| router::quote(black_box(&big), qa, qb, black_box(1_000 * E18)))
    });
    c.bench_function("direct_get_amounts_out", |b| {
        b.iter(|| amm::amounts_out(black_box(&direct), &[qa, qb], black_box(1_000 * E18)))
    });
    c.bench_function("apply_block_1000_swaps", |b| {
        let one = &blocks[..1];
        b.iter_batched(
            || base.clone(),
            |mut s| {
                for blk in one {
                    apply_block(&mut s, blk).expect("applies");
                }
                s
            },
            criterion::BatchSize::LargeInput,
        )
    });

    // Summary: interleaved rounds, best of 3 (shared, loaded machine).
    let (mut sw, mut tr, mut qt, mut dt) = (0f64, 0f64, f64::MAX, f64::MAX);
    for _ in 0..3 {
        sw = sw.max(swaps_per_sec(&base, &blocks, n));
        tr = tr.max(transfers_per_sec(n));
        let t0 = Instant::now();
        for _ in 0..50 {
            black_box(router::quote(&big, qa, qb, 1_000 * E18).expect("quote"));
        }
        qt = qt.min(t0.elapsed().as_secs_f64() / 50.0);
        let t0 = Instant::now();
        for _ in 0..10_000 {
            black_box(amm::amounts_out(&direct, &[qa, qb], black_box(1_000 * E18)).expect("out"));
        }
        dt = dt.min(t0.elapsed().as_secs_f64() / 10_000.0);
    }
    println!("\n== amm/router summary ({n} swaps, blocks of {BLOCK}, best of 3) ==");
    println!(
        "swaps/s through apply_block: {sw:.0} (floor 50,000, goal 100,000); transfers/s baseline: {tr:.0}; swap/transfer ratio {:.2}",
        sw / tr
    );
    println!(
        "router quote over 1,000 pools / 100 tokens (≤3 hops, {} route(s) chosen): {:.1} µs (goal < 1000 µs); direct getAmountsOut: {:.3} µs; ratio {:.0}x",
        q.routes.len(),
        qt * 1e6,
        dt * 1e6,
        qt / dt
    );
}
