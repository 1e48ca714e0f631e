//! A validator-set change takes effect at the epoch boundary and not before: a fifth account
//! registers as a validator, bonds and registers its p2p key early in epoch 0. Then the newcomer
//! and one original validator go down. Epoch 0 (four validators, quorum 3) keeps finalizing with
//! the three originals, up to and including its last block; epoch 1 (five validators, quorum 4)
//! finalizes nothing until both are back — so the new set applies exactly from the boundary. The
//! ledger's sets say the same: epoch 0 has the four genesis validators, epoch 1 five.

mod common;

use std::time::Duration;

use common::*;
use commonware_runtime::{Clock as _, Runner as _, deterministic};
use verity_consensus::Chain as _;
use verity_ledger::genesis::DEV_VALIDATOR_STAKE;
use verity_ledger::validators::{key_bytes, sign_registration, validator_set};
use verity_ledger::{ActorKind, Payload, SignedTransaction, Transaction};
use verity_primitives::Hash;

const EPOCH: u64 = 10;

/// `rejoin`: also restart the two stopped validators and expect epochs 1 and 2 to finalize.
fn set_change(seed: u64, rejoin: bool) -> (Vec<(u64, Hash, Hash)>, String) {
    let (g, accounts) = genesis(4, 5, EPOCH);
    let (_root, dirs) = dirs(5);
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600))),
    );
    runner.start(|context| async move {
        let Cluster {
            keys,
            pks,
            oracle,
            chains,
            mut handles,
        } = start_cluster(&context, &dirs, &g).await;
        // The newcomer (account 4, key 4) joins: identity, bond, p2p key.
        let chain_id = chains[0].chain_id();
        let sk = &accounts[4];
        let addr = verity_ledger::address_of(sk);
        let proof = sign_registration(&keys[4], chain_id, &addr).to_vec();
        let payloads = [
            Payload::RegisterActor {
                kind: ActorKind::Validator,
                metadata: "newcomer".into(),
            },
            Payload::Bond {
                amount: DEV_VALIDATOR_STAKE,
            },
            Payload::RegisterP2pKey {
                key: key_bytes(&pks[4]),
                proof,
            },
        ];
        for (nonce, payload) in payloads.into_iter().enumerate() {
            let tx = SignedTransaction::sign(
                Transaction {
                    chain_id,
                    sender: addr,
                    nonce: nonce as u64,
                    payload,
                },
                sk,
            );
            for c in &chains[..4] {
                c.submit(tx.clone()).expect("admitted");
            }
        }
        // Wait until the registration executed, then take the newcomer and v0 down.
        while chains[1].with_state(|s| s.nonce(addr)) < 3 {
            context.sleep(Duration::from_millis(50)).await;
        }
        assert!(
            chains[1].head().height < EPOCH - 1,
            "registered inside epoch 0"
        );
        let mut down = Vec::new();
        for i in [4usize, 0] {
            let h = handles.remove(i);
            h.abort();
            let _ = h.await;
            down.push(i);
        }
        let mut chains: Vec<Option<_>> = chains.into_iter().map(Some).collect();
        for &i in &down {
            chains[i] = None;
        }
        let originals: Vec<_> = chains[1..4].iter().flatten().collect();
        wait_height(&context, &originals, EPOCH - 1).await;
        context.sleep(Duration::from_secs(20)).await;
        for c in &originals {
            assert_eq!(
                c.head().height,
                EPOCH - 1,
                "epoch 1 needs 4 of its 5 validators"
            );
            c.with_state(|s| {
                let e0 = validator_set(s, 0).expect("epoch 0 set");
                let e1 = validator_set(s, 1).expect("epoch 1 set");
                assert_eq!(e0.len(), 4, "epoch 0 keeps the genesis validators");
                assert!(e0.iter().all(|v| v.address != addr));
                assert_eq!(e1.len(), 5, "the newcomer joins at epoch 1");
                assert!(e1.iter().any(|v| v.address == addr));
            });
        }
        if !rejoin {
            let history = assert_agree(&originals, EPOCH - 1);
            return (history, context.auditor().state());
        }
        // Both come back from their storage: epoch 1 (and 2) finalize with the newcomer.
        for &i in &down {
            let c = open_chain(&dirs[i], &g);
            start(
                &context,
                &oracle,
                keys[i].clone(),
                c.clone(),
                &format!("v{i}"),
            )
            .await;
            chains[i] = Some(c);
        }
        let all: Vec<_> = chains.iter().flatten().collect();
        wait_height(&context, &all, 2 * EPOCH + 4).await;
        let history = assert_agree(&all, 2 * EPOCH + 4);
        (history, context.auditor().state())
    })
}

#[test]
fn validator_set_changes_at_the_epoch_boundary() {
    for seed in seeds(1) {
        let a = set_change(300 + seed, false);
        let b = set_change(300 + seed, false);
        assert_eq!(a, b, "seed {seed} repeats");
    }
}

/// Two validators stopped in epoch 0 and restarted after its last block was finalized without
/// them: no epoch-0 votes remain to carry a certificate to them, so each asks its peers for
/// epoch 0's last finalized block (`hint_finalized`), backfills, applies, enters epoch 1 and
/// helps it reach quorum; every seed twice, identical histories.
#[test]
fn stopped_validators_rejoin_after_the_epoch_boundary() {
    for seed in seeds(1) {
        let a = set_change(300 + seed, true);
        let b = set_change(300 + seed, true);
        assert_eq!(a, b, "seed {seed} repeats");
    }
}
