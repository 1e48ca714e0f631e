//! sAID vault benchmark: deposits, exit requests and claims applied per second through
//! `apply_block` (no signature checks, state root per block) on the dev genesis with 256
//! accounts; the baseline is the same number of plain transfers (`verity_ledger::bench`)
//! measured in the same run, so the printed ratios compare across machines.
//!
//! `cargo bench -p verity-ledger --bench vault`. `VERITY_BENCH_VAULT_OPS` sets deposits (and
//! exit requests) per round (default 4,096; at most 16 pending requests per account, so
//! requests are capped at 4,096).
// Benchmarks measure wall-clock time (crates/ledger/clippy.toml bans clocks in the ledger itself).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use criterion::Criterion;
use verity_ledger::bench::bench_account;
use verity_ledger::genesis::Genesis;
use verity_ledger::tx::Payload;
use verity_ledger::{Address, State, apply_block, vault};

mod common;
use common::{ACCOUNTS, BLOCK, Chain, apply_all, timed, transfers_per_sec};

const AID: u128 = 1_000_000_000_000_000_000;
const WEEK_MS: u64 = 7 * 24 * 3600 * 1000;

fn main() {
    let n: u64 = std::env::var("VERITY_BENCH_VAULT_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4_096)
        .clamp(ACCOUNTS, ACCOUNTS * vault::MAX_PENDING_REQUESTS as u64);
    let addrs: Vec<Address> = (0..ACCOUNTS).map(bench_account).collect();
    let mut g = Genesis::dev(&addrs);
    g.params.max_block_txs = 100_000;
    let mut funded = State::from_genesis(&g).expect("dev genesis");
    let usdc = funded.token_by_symbol("USDC").expect("USDC").0;
    let mut chain = Chain::new(&funded);
    // Setup: every account mints 100,000 AID from USDC.
    let setup = chain.blocks(
        (0..ACCOUNTS as usize)
            .map(|i| {
                (
                    i,
                    Payload::MintAid {
                        collateral: usdc,
                        amount: 100_000 * 1_000_000,
                    },
                )
            })
            .collect(),
    );
    apply_all(&mut funded, &setup);

    let k = ACCOUNTS as usize;
    let deposits = chain.blocks(
        (0..n as usize)
            .map(|j| {
                let assets = 10 * AID + (j as u128 % 97) * AID / 100;
                (
                    j % k,
                    Payload::VaultDeposit {
                        assets,
                        min_shares: 0,
                    },
                )
            })
            .collect(),
    );
    let mut deposited = funded.clone();
    apply_all(&mut deposited, &deposits);
    // Exit requests: each account redeems a small fixed number of shares per request.
    let requests = chain.blocks(
        (0..n as usize)
            .map(|j| {
                (
                    j % k,
                    Payload::VaultRequestRedeem {
                        shares: AID * 1_000_000,
                    },
                )
            })
            .collect(),
    );
    let mut requested = deposited.clone();
    apply_all(&mut requested, &requests);
    // Claims after the cooldown: one VaultClaim per account settles all of its requests.
    chain.time += WEEK_MS;
    let claims = chain.blocks((0..k).map(|i| (i, Payload::VaultClaim)).collect());
    {
        let mut s = requested.clone();
        apply_all(&mut s, &claims);
        s.check_invariants().expect("invariants after the bench");
        assert_eq!(vault::vault_state(&s).expect("vault").reserved, 0);
    }

    let mut c = Criterion::default().sample_size(10).configure_from_args();
    c.bench_function("apply_block_1000_vault_deposits", |b| {
        let one = &deposits[..1];
        b.iter_batched(
            || funded.clone(),
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
    let (mut dep, mut req, mut clm, mut tr) = (0f64, 0f64, 0f64, 0f64);
    for _ in 0..3 {
        dep = dep.max(timed(&funded, &deposits, n).0);
        req = req.max(timed(&deposited, &requests, n).0);
        // Claims settle n requests with ACCOUNTS transactions.
        clm = clm.max(timed(&requested, &claims, n).0);
        tr = tr.max(transfers_per_sec(n));
    }
    println!("\n== vault summary ({n} ops, {ACCOUNTS} accounts, blocks of {BLOCK}, best of 3) ==");
    println!(
        "deposits/s: {dep:.0} (ratio to transfers {:.2}); exit requests/s: {req:.0} ({:.2}); requests settled by claims/s: {clm:.0} ({:.2}); transfers/s baseline: {tr:.0}",
        dep / tr,
        req / tr,
        clm / tr
    );
}
