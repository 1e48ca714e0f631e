//! A double-signing validator is slashed exactly once: validator 3 is byzantine — it stays
//! silent except that, in one view, it signs two different notarize votes. Every honest
//! validator's simplex reports the conflict, turns it into a `ReportDoubleSign` transaction from
//! its own account, and the ledger slashes the byzantine stake once (the other reports fail).

mod common;

use std::time::Duration;

use common::*;
use commonware_codec::{DecodeExt as _, Encode as _};
use commonware_consensus::simplex::types::{Notarize, Proposal, Vote};
use commonware_cryptography::{Hasher as _, Signer as _, sha256::Digest, sha256::Sha256};
use commonware_p2p::{Receiver as _, Recipients, Sender as _, utils::mux::Muxer};
use commonware_runtime::{Clock as _, Runner as _, Spawner as _, Supervisor as _, deterministic};
use verity_consensus::{Chain as _, Scheme, channels};
use verity_ledger::genesis::DEV_VALIDATOR_STAKE;
use verity_ledger::validators::CONSENSUS_NAMESPACE;
use verity_ledger::{Payload, SignedTransaction, Transaction};
use verity_primitives::Hash;

fn double_sign(seed: u64) -> (Vec<(u64, Hash, Hash)>, u128, String) {
    let n = 4;
    let (g, accounts) = genesis(n, 4, 1_000);
    let (_root, dirs) = dirs(n);
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600))),
    );
    runner.start(|context| async move {
        let keys: Vec<_> = (0..n).map(validator_key).collect();
        let pks: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
        let oracle = network(&context, &pks).await;
        link_all(&oracle, &pks).await;
        let chains: Vec<_> = dirs[..3].iter().map(|d| open_chain(d, &g)).collect();
        // Honest validators report with their own account keys.
        for (i, c) in chains.iter().enumerate() {
            let sk = accounts[i];
            c.set_reporter(std::sync::Arc::new(move |state, evidence| {
                let sender = verity_ledger::address_of(&sk);
                Some(SignedTransaction::sign(
                    Transaction {
                        chain_id: state.chain_id(),
                        sender,
                        nonce: state.nonce(sender),
                        payload: Payload::ReportDoubleSign { evidence },
                    },
                    &sk,
                ))
            }));
        }
        let mut handles = Vec::new();
        for i in 0..3 {
            handles.push(
                start(
                    &context,
                    &oracle,
                    keys[i].clone(),
                    chains[i].clone(),
                    &format!("v{i}"),
                )
                .await,
            );
        }
        // The byzantine validator: on epoch 0's vote channel, equivocate once (view >= 2).
        let participants = commonware_utils::ordered::Set::from_iter_dedup(pks.iter().cloned());
        let scheme = Scheme::signer(CONSENSUS_NAMESPACE, participants, keys[3].clone())
            .expect("a participant");
        let control = oracle.control(pks[3].clone());
        let (vs, vr) = control
            .register(channels::VOTES, QUOTA)
            .await
            .expect("votes");
        for ch in [
            channels::CERTIFICATES,
            channels::RESOLVER,
            channels::BROADCAST,
            channels::BACKFILL,
        ] {
            let _ = control.register(ch, QUOTA).await.expect("channel");
        }
        let (mux, mut handle) = Muxer::new(context.child("byzantine_mux"), vs, vr);
        mux.start();
        let (mut sender, mut receiver) = handle.register(0).await.expect("epoch 0");
        context.child("byzantine").spawn(move |_| async move {
            let mut done = false;
            while let Ok((_, msg)) = receiver.recv().await {
                let Ok(Vote::Notarize(n)) = Vote::<Scheme, Digest>::decode(msg) else {
                    continue;
                };
                if done || n.proposal.round.view().get() < 2 {
                    continue;
                }
                done = true;
                let honest = n.proposal.clone();
                let forged = Proposal::new(honest.round, honest.parent, Sha256::hash(&[b"forged"]));
                for p in [honest, forged] {
                    let vote = Notarize::<Scheme, Digest>::sign(&scheme, p).expect("signer");
                    sender.send(Recipients::All, Vote::Notarize(vote).encode(), true);
                }
            }
        });
        // Wait for the reports to land, then some more blocks.
        let byz = verity_ledger::address_of(&accounts[3]);
        let slashed = DEV_VALIDATOR_STAKE - DEV_VALIDATOR_STAKE * 500 / 10_000;
        loop {
            let reported = chains.iter().all(|c| !c.evidence().is_empty());
            let bonded = chains[0].with_state(|s| s.stake(byz).bonded);
            if reported && bonded < DEV_VALIDATOR_STAKE {
                break;
            }
            context.sleep(Duration::from_millis(100)).await;
        }
        let target = chains[0].head().height + 10;
        let refs: Vec<_> = chains.iter().collect();
        wait_height(&context, &refs, target).await;
        let history = assert_agree(&refs, target);
        let mut bonded = 0;
        for (i, c) in chains.iter().enumerate() {
            let reporter = verity_ledger::address_of(&accounts[i]);
            c.with_state(|s| {
                bonded = s.stake(byz).bonded;
                assert_eq!(bonded, slashed, "slashed exactly once by 5%");
                assert_eq!(s.nonce(reporter), 1, "validator {i}'s report was included");
            });
        }
        (history, bonded, context.auditor().state())
    })
}

#[test]
fn double_signer_is_slashed_exactly_once() {
    for seed in seeds(1) {
        let a = double_sign(400 + seed);
        let b = double_sign(400 + seed);
        assert_eq!(a, b, "seed {seed} repeats");
    }
}
