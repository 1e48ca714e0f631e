//! Property test: under random sequences of market actions (post, bid, close, commit, settle,
//! expire, cancel, challenge, time passing) the market account holds exactly the escrow of the
//! unfinished jobs plus open bonds, locks match assigned jobs (`check_invariants`, run after
//! every block by the chain driver), and a failed transaction changes nothing but the nonce.

mod market_common;

use market_common::*;
use proptest::prelude::*;
use verity_ledger::market::{self, CommitArgs};
use verity_ledger::{Hash, Payload};

#[derive(Clone, Debug)]
enum Act {
    Post(u128, u128),
    Bond(u8, u128),
    Bid(u8, u64, u128),
    Close(u64),
    Commit(u8, u64),
    Settle(u64),
    Expire(u64),
    Cancel(u8, u64),
    Challenge(u8, u64, u128),
    Wait(u64),
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        (1u128..2_000, 0u128..3_000).prop_map(|(m, e)| Act::Post(m, e)),
        (2u8..6, 1u128..5_000).prop_map(|(w, a)| Act::Bond(w, a)),
        (1u8..6, 0u64..4, 0u128..2_000).prop_map(|(w, j, p)| Act::Bid(w, j, p)),
        (0u64..4).prop_map(Act::Close),
        (1u8..6, 0u64..4).prop_map(|(w, j)| Act::Commit(w, j)),
        (0u64..4).prop_map(Act::Settle),
        (0u64..4).prop_map(Act::Expire),
        (1u8..3, 0u64..4).prop_map(|(w, j)| Act::Cancel(w, j)),
        (2u8..6, 0u64..4, 0u128..500).prop_map(|(w, j, b)| Act::Challenge(w, j, b)),
        (0u64..12_000).prop_map(Act::Wait),
    ]
}

fn payload(a: &Act) -> (u8, Payload) {
    match a.clone() {
        Act::Post(m, e) => (1, Payload::PostJob(terms(m, e))),
        Act::Bond(w, amount) => (w, Payload::Bond { amount }),
        Act::Bid(w, job, price) => (w, Payload::Bid { job, price }),
        Act::Close(job) => (6, Payload::CloseBidding { job }),
        Act::Commit(w, job) => (
            w,
            Payload::Commit {
                job,
                result: CommitArgs {
                    output_hash: Hash::keccak(b"o"),
                    trace_root: Hash::keccak(&[w]),
                    steps: 4,
                    ops_per_step: 9,
                    receipt_version: 1,
                },
            },
        ),
        Act::Settle(job) => (6, Payload::Settle { job }),
        Act::Expire(job) => (6, Payload::Expire { job }),
        Act::Cancel(w, job) => (w, Payload::Cancel { job }),
        Act::Challenge(w, job, bond) => (
            w,
            Payload::Challenge {
                job,
                trace_root: Hash::keccak(b"other"),
                bond,
            },
        ),
        Act::Wait(_) => (6, Payload::Withdraw),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn escrow_always_matches_open_jobs(acts in prop::collection::vec(act(), 1..40)) {
        let mut c = Chain::new();
        for a in &acts {
            let dt = if let Act::Wait(ms) = a { *ms } else { 1 };
            let (who, p) = payload(a);
            let before_jobs = market::jobs(&c.state).expect("reads");
            let before_bal = c.bal(market::market_account(), USDC);
            let r = c.send_at(dt, addr(who), p);
            if !r.is_success() {
                prop_assert!(r.events.is_empty());
                prop_assert_eq!(market::jobs(&c.state).expect("reads"), before_jobs);
                prop_assert_eq!(c.bal(market::market_account(), USDC), before_bal);
            }
            let open: u128 = market::jobs(&c.state)
                .expect("reads")
                .iter()
                .filter(|j| j.status.is_live())
                .map(|j| j.terms.escrow)
                .sum();
            prop_assert_eq!(c.bal(market::market_account(), USDC), open);
        }
    }
}
