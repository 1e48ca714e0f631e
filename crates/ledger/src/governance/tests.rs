//! Governance tests: ve power and decay against Curve's formula on worked numbers, the total
//! supply equal to the sum of locks at every week (slope changes), lock rules, and proposals
//! that pass or fail on quorum and execute only after the timelock.

use super::ve::*;
use super::*;
use crate::vault::tests::Env;

const VTY: u128 = 1_000_000_000_000_000_000;
const DAY_MS: u64 = 24 * 3600 * 1000;

fn now_s(e: &Env) -> u64 {
    e.now / 1000
}

#[test]
fn power_matches_curve_on_worked_numbers() {
    let mut e = Env::new();
    let a = e.users[1];
    let t0 = now_s(&e);
    assert_eq!(t0 % WEEK, 0, "the devnet genesis is on a week boundary");
    e.run(|ex| create_lock(ex, &a, TokenId(0), 1_000 * VTY, t0 + MAXTIME))
        .expect("lock");
    let l = locked(&e.state, &a).expect("lock");
    // unlock rounded down to a week: 4 × 365 days = 208.57 weeks → 208 weeks.
    assert_eq!(l.end - t0, 208 * WEEK);
    assert_eq!(l.end - t0, 125_798_400);
    // slope = 10^21 / 126_144_000 = 7_927_447_995_941 (floor), power = slope × 125_798_400
    assert_eq!(slope_of(1_000 * VTY), 7_927_447_995_941);
    assert_eq!(
        balance_at(&e.state, &a, t0).expect("p"),
        997_260_273_972_584_294_400
    );
    // Linear decay: after 52 weeks, slope × (end − t).
    let t = t0 + 52 * WEEK;
    assert_eq!(
        balance_at(&e.state, &a, t).expect("p"),
        7_927_447_995_941 * u128::from(156 * WEEK)
    );
    assert_eq!(balance_at(&e.state, &a, l.end).expect("p"), 0);
    assert_eq!(
        balance_at(&e.state, &a, t0 - 1).expect("p"),
        0,
        "before the lock"
    );
    assert_eq!(
        supply_at(&e.state, t).expect("s"),
        balance_at(&e.state, &a, t).expect("p")
    );
}

#[test]
fn total_supply_is_the_sum_of_locks_through_expiries() {
    let mut e = Env::new();
    let (a, b, c) = (e.users[1], e.users[2], e.users[3]);
    let t0 = now_s(&e);
    e.run(|ex| create_lock(ex, &a, TokenId(0), 1_000 * VTY, t0 + 2 * 365 * 86_400))
        .expect("a");
    e.advance(3 * DAY_MS);
    let t1 = now_s(&e);
    e.run(|ex| create_lock(ex, &b, TokenId(0), 500 * VTY, t1 + 10 * WEEK))
        .expect("b");
    e.advance(20 * DAY_MS);
    let t2 = now_s(&e);
    e.run(|ex| create_lock(ex, &c, TokenId(0), 77 * VTY, t2 + 30 * WEEK))
        .expect("c");
    e.run(|ex| increase_amount(ex, &b, TokenId(0), 100 * VTY))
        .expect("b+");
    e.advance(5 * DAY_MS);
    let t3 = now_s(&e);
    e.run(|ex| increase_unlock_time(ex, &c, t3 + 60 * WEEK))
        .expect("c time");
    // At every day for 70 weeks (past b's and through c's expiry), supply = Σ balances.
    for d in 0..(70 * 7) {
        let t = t0 + d * 86_400 + 1234;
        let sum: u128 = [a, b, c]
            .iter()
            .map(|u| balance_at(&e.state, u, t).expect("p"))
            .sum();
        assert_eq!(supply_at(&e.state, t).expect("s"), sum, "day {d}");
    }
    // Each lock's power is slope × (end − t) from its latest point.
    let lb = locked(&e.state, &b).expect("b");
    assert_eq!(lb.amount, 600 * VTY);
    assert_eq!(
        balance_at(&e.state, &b, t3).expect("p"),
        lock_power(600 * VTY, lb.end, t3)
    );
}

#[test]
fn lock_rules_are_enforced() {
    let mut e = Env::new();
    let a = e.users[1];
    let t0 = now_s(&e);
    let lock = |e: &mut Env, amt, t| e.run(|ex| create_lock(ex, &a, TokenId(0), amt, t));
    assert_eq!(
        lock(&mut e, 0, t0 + WEEK * 2).expect_err("should fail"),
        LedgerError::ZeroAmount
    );
    assert!(
        matches!(
            lock(&mut e, VTY, t0 + 100).expect_err("should fail"),
            LedgerError::Lock(_)
        ),
        "rounds to now"
    );
    assert!(matches!(
        lock(&mut e, VTY, t0 + MAXTIME + WEEK).expect_err("should fail"),
        LedgerError::Lock(_)
    ));
    lock(&mut e, VTY, t0 + 2 * WEEK).expect("lock");
    assert!(
        matches!(
            lock(&mut e, VTY, t0 + 3 * WEEK).expect_err("should fail"),
            LedgerError::Lock(_)
        ),
        "one lock"
    );
    assert!(
        e.run(|ex| withdraw(ex, &a, TokenId(0))).is_err(),
        "not expired"
    );
    assert!(
        e.run(|ex| increase_unlock_time(ex, &a, t0 + WEEK)).is_err(),
        "shorter"
    );
    e.advance(14 * DAY_MS);
    let before = e.state.balance(a, TokenId(0));
    e.run(|ex| withdraw(ex, &a, TokenId(0))).expect("withdraw");
    assert_eq!(e.state.balance(a, TokenId(0)) - before, VTY);
    assert!(
        e.run(|ex| increase_amount(ex, &a, TokenId(0), VTY))
            .is_err(),
        "no lock"
    );
}

fn setup_votes(e: &mut Env) -> (Address, Address, Address) {
    let (a, b, c) = (e.users[1], e.users[2], e.users[3]);
    let t0 = now_s(e);
    for (u, amt) in [(a, 600), (b, 300), (c, 100)] {
        e.run(|ex| create_lock(ex, &u, TokenId(0), amt * VTY, t0 + MAXTIME))
            .expect("lock");
    }
    e.advance(1000);
    (a, b, c)
}

#[test]
fn proposal_passes_with_quorum_and_executes_after_the_timelock() {
    let mut e = Env::new();
    let (a, b, _) = setup_votes(&mut e);
    e.run(|ex| propose(ex, &a, "vault_cooldown_ms", "86400000"))
        .expect("propose");
    let p = proposal(&e.state, 0).expect("p");
    assert_eq!(
        p.quorum,
        p.total_power.div_ceil(25),
        "4% quorum, rounded up"
    );
    e.run(|ex| vote(ex, &b, 0, true)).expect("vote");
    assert!(e.run(|ex| vote(ex, &b, 0, true)).is_err(), "twice");
    // Voting still open: not executable.
    assert!(
        matches!(e.run(|ex| execute(ex, 0)).expect_err("should fail"), LedgerError::Governance(m) if m.contains("being voted"))
    );
    e.advance(3 * DAY_MS);
    assert!(e.run(|ex| vote(ex, &a, 0, false)).is_err(), "voting ended");
    // Passed but timelocked for 2 days.
    assert!(
        matches!(e.run(|ex| execute(ex, 0)).expect_err("should fail"), LedgerError::Governance(m) if m.contains("timelocked"))
    );
    e.advance(2 * DAY_MS);
    let (_, ev) = e.run(|ex| execute(ex, 0)).expect("execute");
    assert!(matches!(ev[0], Event::ProposalExecuted { id: 0, .. }));
    assert_eq!(
        crate::vault::vault_state(&e.state).expect("v").cooldown_ms,
        86_400_000
    );
    assert!(e.run(|ex| execute(ex, 0)).is_err(), "once");
    assert_eq!(
        status(&proposal(&e.state, 0).expect("p"), e.state.time()),
        "executed"
    );
}

#[test]
fn proposal_fails_without_quorum_or_majority() {
    let mut e = Env::new();
    let (a, b, c) = setup_votes(&mut e);
    // Raise the quorum to 50% first (a alone has 60%).
    e.run(|ex| propose(ex, &a, "gov_quorum_bps", "5000"))
        .expect("p0");
    e.run(|ex| vote(ex, &a, 0, true)).expect("v");
    e.advance(5 * DAY_MS + 1);
    e.run(|ex| execute(ex, 0)).expect("quorum 50%");
    // c (10%) votes yes alone: below quorum.
    e.run(|ex| propose(ex, &c, "unbonding_delay_ms", "86400000"))
        .expect("p1");
    e.run(|ex| vote(ex, &c, 1, true)).expect("v");
    e.advance(5 * DAY_MS + 1);
    let err = e.run(|ex| execute(ex, 1)).expect_err("should fail");
    assert!(
        matches!(&err, LedgerError::Governance(m) if m.contains("did not pass")),
        "{err}"
    );
    assert_eq!(
        status(&proposal(&e.state, 1).expect("p"), e.state.time()),
        "defeated"
    );
    // Quorum reached but more no than yes.
    e.run(|ex| propose(ex, &c, "unbonding_delay_ms", "86400000"))
        .expect("p2");
    e.run(|ex| vote(ex, &c, 2, true)).expect("v");
    e.run(|ex| vote(ex, &b, 2, false)).expect("v");
    e.run(|ex| vote(ex, &a, 2, false)).expect("v");
    e.advance(5 * DAY_MS + 1);
    assert!(e.run(|ex| execute(ex, 2)).is_err());
    assert_eq!(
        e.state.params().unbonding_delay_ms,
        crate::genesis::Params::default().unbonding_delay_ms
    );
}

#[test]
fn bad_proposals_are_refused() {
    let mut e = Env::new();
    let (a, _, _) = setup_votes(&mut e);
    assert!(e.run(|ex| propose(ex, &a, "max_supply", "1")).is_err());
    assert!(e.run(|ex| propose(ex, &a, "gov_quorum_bps", "0")).is_err());
    assert!(e.run(|ex| propose(ex, &a, "burn_bps", "x")).is_err());
    let nobody = Address([5; 20]);
    let err = e
        .run(|ex| propose(ex, &nobody, "burn_bps", "6000"))
        .expect_err("should fail");
    assert!(
        matches!(&err, LedgerError::Governance(m) if m.contains("threshold")),
        "{err}"
    );
    // A lock made in the proposal's second cannot vote (snapshot is one second earlier).
    e.run(|ex| propose(ex, &a, "burn_bps", "6000")).expect("p");
    let late = e.users[0];
    let t = now_s(&e);
    e.run(|ex| create_lock(ex, &late, TokenId(0), VTY, t + 10 * WEEK))
        .expect("lock");
    assert!(e.run(|ex| vote(ex, &late, 0, true)).is_err());
}
