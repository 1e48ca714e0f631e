//! Deterministic-runtime clusters: N validators on a simulated network finalize the same blocks
//! with the same state roots; each seed runs twice and must give identical histories and the
//! same runtime audit state.

mod common;

use std::time::Duration;

use common::*;
use commonware_runtime::{Clock as _, Runner as _, deterministic};
use verity_consensus::Chain as _;
use verity_primitives::Hash;

/// What one run produced: validator 0's history, and the runtime's audit digest.
type Outcome = (Vec<(u64, Hash, Hash)>, String);

/// `n` validators, transfers submitted to rotating validators, run to `target` height.
fn finalize(seed: u64, n: usize, target: u64) -> Outcome {
    let (g, accounts) = genesis(n, 8, 1_000);
    let (_root, dirs) = dirs(n);
    let cfg = deterministic::Config::new()
        .with_seed(seed)
        .with_timeout(Some(Duration::from_secs(300)));
    let runner = deterministic::Runner::new(cfg);
    runner.start(|context| async move {
        let Cluster {
            keys: _keys,
            pks: _pks,
            oracle: _oracle,
            chains,
            handles: _handles,
        } = start_cluster(&context, &dirs, &g).await;
        // Load: each account sends 5 transfers, each to a different validator's pool.
        let chain_id = chains[0].chain_id();
        for nonce in 0..5u64 {
            for (a, key) in accounts.iter().enumerate() {
                let v = (a + nonce as usize) % n;
                chains[v]
                    .submit(transfer(chain_id, key, nonce))
                    .expect("admitted");
            }
            context.sleep(Duration::from_millis(300)).await;
        }
        let refs: Vec<_> = chains.iter().collect();
        // A transfer waits in one validator's pool until that validator leads a view.
        loop {
            let done = chains.iter().all(|c| {
                accounts
                    .iter()
                    .all(|k| c.with_state(|s| s.nonce(verity_ledger::address_of(k))) == 5)
            });
            if done {
                break;
            }
            context.sleep(Duration::from_millis(100)).await;
        }
        let target = target.max(chains.iter().map(|c| c.head().height).max().unwrap_or(0));
        wait_height(&context, &refs, target).await;
        let history = assert_agree(&refs, target);
        // Every transfer executed exactly once, on every validator.
        for c in &chains {
            for key in &accounts {
                let addr = verity_ledger::address_of(key);
                assert_eq!(c.with_state(|s| s.nonce(addr)), 5, "all transfers executed");
            }
        }
        (history, context.auditor().state())
    })
}

fn twice(seed: u64, n: usize, target: u64) {
    let a = finalize(seed, n, target);
    let b = finalize(seed, n, target);
    assert_eq!(a, b, "seed {seed}: the same seed must give the same run");
}

#[test]
fn four_validators_agree_and_runs_repeat() {
    for seed in seeds(1) {
        twice(seed, 4, 12);
    }
}

#[test]
fn seven_validators_agree_and_runs_repeat() {
    for seed in seeds(1) {
        twice(100 + seed, 7, 12);
    }
}
