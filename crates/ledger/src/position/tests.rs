//! Position NFT tests on a dev chain (every block checks every invariant): a position
//! transferred mid-job pays its new holder at settlement and not the provider, while the
//! provider still commits; only the holder moves it, only while the job is unfinished.

use super::*;
use crate::genesis::VTY;
use crate::market::{CommitArgs, JobTerms};
use crate::treasury::testkit::{Kit, err, ok};
use crate::tx::Payload;

const BUYER: usize = 0;
const PROV: usize = 1;
const NEW: usize = 2;
const THIRD: usize = 3;

/// Post a job, let PROV win it at `price`; returns the job id.
fn assigned(k: &mut Kit, price: u128) -> u64 {
    let usdc = k.token("USDC");
    let id = market::job_count(&k.state).expect("count");
    ok(&k.send(
        BUYER,
        Payload::PostJob(JobTerms {
            spec_hash: Hash::keccak(b"spec"),
            data_hashes: vec![],
            token: usdc,
            max_price: 1_000,
            escrow: 1_500,
            device_class: "cpu".into(),
            min_cores: 1,
            min_memory_mb: 1,
            spot_check_bps: 0,
            challenge_window_ms: 1_000,
            bid_window_ms: 100,
            deadline_ms: 10_000,
        }),
    ));
    ok(&k.send(PROV, Payload::Bond { amount: VTY }));
    ok(&k.send(PROV, Payload::Bid { job: id, price }));
    k.advance(200);
    ok(&k.send(THIRD, Payload::CloseBidding { job: id }));
    id
}

fn commit(k: &mut Kit, job: u64) {
    ok(&k.send(
        PROV,
        Payload::Commit {
            job,
            result: CommitArgs {
                output_hash: Hash::keccak(b"out"),
                trace_root: Hash::keccak(b"trace"),
                steps: 2,
                ops_per_step: 2,
                receipt_version: 1,
            },
        },
    ));
}

fn mv(k: &mut Kit, from: usize, job: u64, to: usize) -> crate::receipt::Receipt {
    let to = k.addr(to);
    k.send(
        from,
        Payload::Position(PositionTx::TransferPosition { job, to }),
    )
}

#[test]
fn transferred_mid_job_pays_the_new_holder_not_the_provider() {
    let mut k = Kit::dev(4);
    let usdc = k.token("USDC");
    let job = assigned(&mut k, 800);
    let view = position(&k.state, job).expect("reads").expect("assigned");
    assert_eq!(
        view.holder,
        k.addr(PROV),
        "minted to the provider at assignment"
    );
    ok(&mv(&mut k, PROV, job, NEW));
    let view = position(&k.state, job).expect("reads").expect("assigned");
    assert_eq!((view.holder, view.provider), (k.addr(NEW), k.addr(PROV)));
    // Execution is untouched: the provider (not the holder) commits.
    let j = market::job(&k.state, job).expect("reads").expect("job");
    assert_eq!(j.provider, Some(k.addr(PROV)));
    commit(&mut k, job);
    let (p0, n0) = (
        k.state.balance(k.addr(PROV), usdc),
        k.state.balance(k.addr(NEW), usdc),
    );
    k.advance(2_000);
    ok(&k.send(THIRD, Payload::Settle { job }));
    let fee = (800u128 * 250).div_ceil(10_000);
    assert_eq!(k.state.balance(k.addr(NEW), usdc), n0 + 800 - fee);
    assert_eq!(
        k.state.balance(k.addr(PROV), usdc),
        p0,
        "the provider is not paid"
    );
    // A settled job's position no longer moves.
    assert!(err(&mv(&mut k, NEW, job, THIRD)).contains("unfinished"));
}

#[test]
fn only_the_holder_moves_a_position_and_back_to_the_provider_clears_it() {
    let mut k = Kit::dev(4);
    let job = assigned(&mut k, 500);
    assert!(err(&mv(&mut k, NEW, job, THIRD)).contains("does not hold"));
    assert!(err(&mv(&mut k, PROV, job, PROV)).contains("current holder"));
    ok(&mv(&mut k, PROV, job, NEW));
    assert!(err(&mv(&mut k, PROV, job, THIRD)).contains("does not hold"));
    ok(&mv(&mut k, NEW, job, THIRD));
    ok(&mv(&mut k, THIRD, job, PROV));
    assert!(transferred(&k.state).expect("reads").is_empty());
    // A job without a provider has no position.
    let usdc = k.token("USDC");
    let mut t = market::job(&k.state, job).expect("r").expect("j").terms;
    t.token = usdc;
    ok(&k.send(BUYER, Payload::PostJob(t)));
    assert_eq!(position(&k.state, job + 1).expect("reads"), None);
    assert!(err(&mv(&mut k, PROV, job + 1, NEW)).contains("no provider"));
    assert!(position(&k.state, 999).is_err());
}
