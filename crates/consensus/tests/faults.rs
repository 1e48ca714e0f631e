//! Faults in the deterministic runtime: a crashed validator does not stop the others; restarted
//! with its storage it catches up and agrees; a partition without a quorum stalls and, healed,
//! leaves one history. Each seed runs twice with identical results.

mod common;

use std::time::Duration;

use common::*;
use commonware_runtime::{Clock as _, Runner as _, deterministic};
use verity_consensus::Chain as _;
use verity_primitives::Hash;

type Outcome = (Vec<(u64, Hash, Hash)>, String);

fn runner(seed: u64) -> deterministic::Runner {
    deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600))),
    )
}

/// 4 validators; validator 3 crashes at height 4; the rest reach 12; it restarts from its
/// storage and reaches 16 with everyone else.
fn crash_and_restart(seed: u64) -> Outcome {
    let n = 4;
    let (g, accounts) = genesis(n, 4, 1_000);
    let (_root, dirs) = dirs(n);
    runner(seed).start(|context| async move {
        let Cluster {
            keys,
            pks: _pks,
            oracle,
            mut chains,
            mut handles,
        } = start_cluster(&context, &dirs, &g).await;
        let chain_id = chains[0].chain_id();
        {
            let refs: Vec<_> = chains.iter().collect();
            wait_height(&context, &refs, 4).await;
        }
        // Crash validator 3 (its tasks stop; disk and runtime storage stay).
        let crashed = handles.pop().expect("four handles");
        crashed.abort();
        let _ = crashed.await;
        let crashed_chain = chains.pop().expect("four chains");
        let crashed_at = crashed_chain.head().height;
        drop(crashed_chain);
        // The rest keep finalizing, with transactions.
        for (nonce, key) in accounts.iter().enumerate().take(3) {
            chains[nonce % 3]
                .submit(transfer(chain_id, key, 0))
                .expect("admitted");
        }
        {
            let refs: Vec<_> = chains.iter().collect();
            wait_height(&context, &refs, 12).await;
        }
        assert!(chains.iter().all(|c| c.head().height >= 12));
        // Restart it from its storage: it syncs and agrees.
        let reopened = open_chain(&dirs[3], &g);
        assert_eq!(
            reopened.head().height,
            crashed_at,
            "recovered its durable head"
        );
        chains.push(reopened.clone());
        handles.push(start(&context, &oracle, keys[3].clone(), reopened, "v3").await);
        let refs: Vec<_> = chains.iter().collect();
        wait_height(&context, &refs, 16).await;
        let history = assert_agree(&refs, 16);
        let _ = context.sleep(Duration::from_millis(1)).await;
        (history, context.auditor().state())
    })
}

/// 4 validators split 2 | 2: no quorum, no block; healed, they finalize one history.
fn partition_heals(seed: u64) -> Outcome {
    let n = 4;
    let (g, _) = genesis(n, 4, 1_000);
    let (_root, dirs) = dirs(n);
    runner(seed).start(|context| async move {
        let Cluster {
            keys: _keys,
            pks,
            oracle,
            chains,
            handles: _handles,
        } = start_cluster(&context, &dirs, &g).await;
        let refs: Vec<_> = chains.iter().collect();
        wait_height(&context, &refs, 3).await;
        cut(&oracle, &pks[..2], &pks[2..]).await;
        // Let in-flight finalizations land, then nothing more may finalize.
        context.sleep(Duration::from_secs(3)).await;
        let stalled: Vec<u64> = chains.iter().map(|c| c.head().height).collect();
        context.sleep(Duration::from_secs(10)).await;
        let later: Vec<u64> = chains.iter().map(|c| c.head().height).collect();
        assert_eq!(
            stalled, later,
            "no quorum on either side: nothing finalizes"
        );
        link_all(&oracle, &pks).await;
        let target = later.iter().max().copied().unwrap_or(0) + 6;
        wait_height(&context, &refs, target).await;
        let history = assert_agree(&refs, target);
        (history, context.auditor().state())
    })
}

#[test]
fn crashed_validator_does_not_stop_the_rest_and_catches_up() {
    for seed in seeds(1) {
        let a = crash_and_restart(seed);
        let b = crash_and_restart(seed);
        assert_eq!(a, b, "seed {seed} repeats");
    }
}

#[test]
fn partition_stalls_then_heals_into_one_history() {
    for seed in seeds(1) {
        let a = partition_heals(200 + seed);
        let b = partition_heals(200 + seed);
        assert_eq!(a, b, "seed {seed} repeats");
    }
}
