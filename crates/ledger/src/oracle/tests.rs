//! Oracle tests: median (odd/even/stale), reporter authorisation, staleness errors, genesis.

use super::*;
use crate::treasury::testkit::{Kit, err, non_nonce_entries, ok};
use crate::tx::Payload;

fn slot(i: u8, value: Option<u128>, at: u64) -> ReporterSlot {
    ReporterSlot {
        reporter: Address([i; 20]),
        value,
        at: Timestamp(at),
    }
}

fn feed_of(slots: Vec<ReporterSlot>) -> Feed {
    Feed {
        name: "X".into(),
        max_age_ms: 100,
        reporters: slots,
    }
}

#[test]
fn median_odd_even_and_stale() {
    let f = feed_of(vec![
        slot(1, Some(30), 1000),
        slot(2, Some(10), 1000),
        slot(3, Some(20), 1000),
    ]);
    assert_eq!(f.median(Timestamp(1000)), Some(20));
    // Even count: lower middle of [10, 20, 30, 40] is 20.
    let f = feed_of(vec![
        slot(1, Some(30), 1000),
        slot(2, Some(10), 1000),
        slot(3, Some(20), 1000),
        slot(4, Some(40), 1000),
    ]);
    assert_eq!(f.median(Timestamp(1000)), Some(20));
    // Reports older than max_age are ignored; none left = stale.
    let f = feed_of(vec![
        slot(1, Some(30), 850),
        slot(2, Some(10), 1000),
        slot(3, None, 0),
    ]);
    assert_eq!(f.fresh_values(Timestamp(1000)), vec![10]);
    assert_eq!(f.median(Timestamp(1000)), Some(10));
    assert_eq!(f.median(Timestamp(1101)), None);
    // Exactly max_age old still counts.
    assert_eq!(f.median(Timestamp(1100)), Some(10));
}

#[test]
fn encode_roundtrip() {
    let f = feed_of(vec![slot(1, Some(7), 5), slot(2, None, 0)]);
    assert_eq!(Feed::decode(&f.encode()), Ok(f));
}

#[test]
fn genesis_feed_and_reports() {
    let mut k = Kit::dev(2);
    let v = view(&k.state, TBILL_YIELD).unwrap();
    assert_eq!(v.median, Some(DEV_INITIAL_YIELD));
    assert!(!v.stale);
    let r = k.report_yield(50_000_000_000_000_000);
    ok(&r);
    assert!(matches!(
        &r.events[0],
        crate::Event::OracleReported { median, .. } if *median == 50_000_000_000_000_000
    ));
    assert_eq!(
        read(&k.state, TBILL_YIELD, k.state.time()),
        Ok(50_000_000_000_000_000)
    );
    assert_eq!(views(&k.state).len(), 1);
}

#[test]
fn only_reporters_may_report_and_failure_changes_nothing() {
    let mut k = Kit::dev(2);
    let before = non_nonce_entries(&k.state);
    let r = k.send(
        0,
        Payload::ReportPrice {
            feed: TBILL_YIELD.into(),
            value: 1,
        },
    );
    assert!(
        err(&r).contains("not an authorised reporter"),
        "{}",
        err(&r)
    );
    assert_eq!(non_nonce_entries(&k.state), before);
    let r = k.send(
        0,
        Payload::ReportPrice {
            feed: "NOPE".into(),
            value: 1,
        },
    );
    assert!(err(&r).contains("unknown oracle feed"));
    let r = k.send(
        0,
        Payload::ReportPrice {
            feed: "bad name!".into(),
            value: 1,
        },
    );
    assert!(err(&r).contains("bad oracle feed name"));
    assert_eq!(non_nonce_entries(&k.state), before);
}

#[test]
fn median_of_three_reporters_and_staleness() {
    let keys: Vec<_> = (0..3)
        .map(|i| crate::genesis::dev_secret_named(&format!("rep{i}")))
        .collect();
    let addrs: Vec<Address> = keys.iter().map(crate::tx::address_of).collect();
    let mut k = Kit::with(1, |g| {
        g.oracle[0].reporters = addrs.clone();
        g.oracle[0].max_age_ms = 10_000;
        g.oracle[0].initial = None;
    });
    assert!(view(&k.state, TBILL_YIELD).unwrap().stale);
    assert!(matches!(
        read(&k.state, TBILL_YIELD, k.state.time()),
        Err(LedgerError::StaleOracle { .. })
    ));
    for (key, v) in keys.iter().zip([300u128, 100, 200]) {
        ok(&k.send_key(
            key,
            Payload::ReportPrice {
                feed: TBILL_YIELD.into(),
                value: v,
            },
        ));
    }
    assert_eq!(view(&k.state, TBILL_YIELD).unwrap().median, Some(200));
    // The stale-oracle error reaches a caller's receipt (treasury accrual).
    k.advance(20_000);
    let r = k.send(0, Payload::AccrueNav);
    assert!(err(&r).contains("stale oracle"), "{}", err(&r));
}

#[test]
fn genesis_rejects_bad_feeds() {
    let keys = crate::genesis::dev_accounts(1);
    let addrs: Vec<Address> = keys.iter().map(|k| k.1).collect();
    let mut g = crate::Genesis::dev(&addrs);
    g.oracle.push(g.oracle[0].clone());
    assert!(crate::State::from_genesis(&g).is_err());
    let mut g = crate::Genesis::dev(&addrs);
    g.oracle[0].reporters.clear();
    assert!(crate::State::from_genesis(&g).is_err());
    let mut g = crate::Genesis::dev(&addrs);
    g.oracle[0].name = "has space".into();
    assert!(crate::State::from_genesis(&g).is_err());
}
