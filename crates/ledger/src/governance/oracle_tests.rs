//! Governance changes the oracle reporters, end to end through signed transactions: lock,
//! propose, vote, wait out voting and the timelock, execute; the new reporter's reports count
//! and the removed reporter's reports are refused.

use crate::oracle::{self, TBILL_YIELD};
use crate::treasury::testkit::{Kit, err, ok};
use crate::tx::Payload;
use secp256k1::SecretKey;
use verity_primitives::Address;

const VTY: u128 = 1_000_000_000_000_000_000;
const DAY_MS: u64 = 24 * 3600 * 1000;

/// Account 0 locks VTY for four years, then waits two seconds (past the proposal snapshot).
fn locked_kit() -> Kit {
    let mut k = Kit::dev(3);
    let unlock = k.time / 1000 + 4 * 365 * 86_400;
    ok(&k.send(
        0,
        Payload::CreateLock {
            amount: 1_000 * VTY,
            unlock_time: unlock,
        },
    ));
    k.advance(2_000);
    k
}

/// Propose `param = value` from account 0, vote yes, wait voting + timelock, execute.
fn pass(k: &mut Kit, param: &str, value: String) -> u64 {
    ok(&k.send(
        0,
        Payload::Propose {
            param: param.into(),
            value,
        },
    ));
    let id = crate::governance::config(&k.state)
        .expect("configured")
        .next_proposal
        - 1;
    ok(&k.send(
        0,
        Payload::Vote {
            proposal: id,
            support: true,
        },
    ));
    let early = k.send(1, Payload::ExecuteProposal { proposal: id });
    assert!(err(&early).contains("being voted"), "{early:?}");
    k.advance(3 * DAY_MS);
    let locked = k.send(1, Payload::ExecuteProposal { proposal: id });
    assert!(err(&locked).contains("timelocked"), "{locked:?}");
    k.advance(2 * DAY_MS);
    ok(&k.send(1, Payload::ExecuteProposal { proposal: id }));
    id
}

fn reporters(k: &Kit) -> Vec<Address> {
    oracle::feed(&k.state, TBILL_YIELD)
        .expect("feed")
        .reporters
        .iter()
        .map(|s| s.reporter)
        .collect()
}

fn report(k: &mut Kit, key: &SecretKey, value: u128) -> crate::receipt::Receipt {
    k.send_key(
        key,
        Payload::ReportPrice {
            feed: TBILL_YIELD.into(),
            value,
        },
    )
}

#[test]
fn governance_replaces_the_yield_reporter() {
    let mut k = locked_kit();
    let old = k.reporter;
    let old_addr = crate::tx::address_of(&old);
    let (new_key, new_addr) = k.keys[2];
    assert_eq!(reporters(&k), vec![old_addr]);
    // Before governance acts, the newcomer is refused.
    let refused = report(&mut k, &new_key, 1);
    assert!(matches!(
        refused.status,
        crate::receipt::TxStatus::Failed { .. }
    ));

    pass(
        &mut k,
        "oracle_add_reporter",
        format!("{TBILL_YIELD}:{new_addr}"),
    );
    let mut want = vec![old_addr, new_addr];
    want.sort();
    assert_eq!(reporters(&k), want);
    ok(&report(&mut k, &new_key, 60_000_000_000_000_000));

    pass(
        &mut k,
        "oracle_remove_reporter",
        format!("{TBILL_YIELD}:{old_addr}"),
    );
    assert_eq!(reporters(&k), vec![new_addr]);
    // The old reporter's reports are now refused and change nothing.
    let before = oracle::feed(&k.state, TBILL_YIELD).expect("feed");
    let r = report(&mut k, &old, 1);
    assert!(
        matches!(r.status, crate::receipt::TxStatus::Failed { .. }),
        "{r:?}"
    );
    assert_eq!(oracle::feed(&k.state, TBILL_YIELD).expect("feed"), before);
    // The new reporter alone sets the median now.
    ok(&report(&mut k, &new_key, 42_000_000_000_000_000));
    assert_eq!(
        oracle::read(&k.state, TBILL_YIELD, k.state.time()),
        Ok(42_000_000_000_000_000)
    );
}

#[test]
fn governance_sets_a_feed_staleness_bound() {
    let mut k = locked_kit();
    pass(
        &mut k,
        "oracle_max_age_ms",
        format!("{TBILL_YIELD}:3600000"),
    );
    assert_eq!(
        oracle::feed(&k.state, TBILL_YIELD)
            .expect("feed")
            .max_age_ms,
        3_600_000
    );
    // The genesis report is days old by now: the feed is stale.
    assert!(oracle::read(&k.state, TBILL_YIELD, k.state.time()).is_err());
}

#[test]
fn impossible_reporter_changes_are_refused_at_proposal() {
    let mut k = locked_kit();
    let old_addr = crate::tx::address_of(&k.reporter);
    let stranger = k.addr(2);
    let cases = [
        (
            "oracle_add_reporter",
            format!("{TBILL_YIELD}:{old_addr}"),
            "already reports",
        ),
        (
            "oracle_remove_reporter",
            format!("{TBILL_YIELD}:{stranger}"),
            "not a reporter",
        ),
        (
            "oracle_remove_reporter",
            format!("{TBILL_YIELD}:{old_addr}"),
            "last reporter",
        ),
        (
            "oracle_add_reporter",
            format!("NO_SUCH_FEED:{stranger}"),
            "NO_SUCH_FEED",
        ),
        (
            "oracle_add_reporter",
            "TBILL_YIELD:0xzz".to_string(),
            "not an address",
        ),
    ];
    for (param, value, why) in cases {
        let r = k.send(
            0,
            Payload::Propose {
                param: param.into(),
                value: value.clone(),
            },
        );
        let e = err(&r);
        assert!(e.contains(why), "{param} {value}: {e}");
    }
    assert_eq!(
        crate::governance::config(&k.state)
            .expect("c")
            .next_proposal,
        0,
        "no proposal was stored"
    );
}

#[test]
fn a_change_made_impossible_meanwhile_fails_at_execution() {
    let mut k = locked_kit();
    let new_addr = k.addr(2);
    let value = format!("{TBILL_YIELD}:{new_addr}");
    // Two identical add proposals: the first executes, the second then cannot apply.
    for _ in 0..2 {
        ok(&k.send(
            0,
            Payload::Propose {
                param: "oracle_add_reporter".into(),
                value: value.clone(),
            },
        ));
    }
    for id in 0..2 {
        ok(&k.send(
            0,
            Payload::Vote {
                proposal: id,
                support: true,
            },
        ));
    }
    k.advance(5 * DAY_MS + 1);
    ok(&k.send(1, Payload::ExecuteProposal { proposal: 0 }));
    let r = k.send(1, Payload::ExecuteProposal { proposal: 1 });
    assert!(err(&r).contains("already reports"), "{r:?}");
    assert!(
        !crate::governance::proposal(&k.state, 1)
            .expect("p")
            .executed
    );
}
