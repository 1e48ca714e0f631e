//! Vesting tests: the schedule formula on worked numbers, claims on the devnet schedules over
//! time, and the invariant claimed ≤ vested ≤ total.

use super::*;
use crate::genesis::{VTY_COMMUNITY_TREASURY, VTY_TEAM, dev_address_named};
use crate::vault::tests::Env;

fn sched() -> Schedule {
    Schedule {
        label: "t".into(),
        token: TokenId(0),
        total: 1_200,
        claimed: 0,
        start: Timestamp(1_000),
        tge_bps: 1_000,
        cliff_ms: 100,
        duration_ms: 1_000,
    }
}

#[test]
fn vested_follows_tge_cliff_then_linear() {
    let s = sched();
    assert_eq!(s.vested(Timestamp(999)), Ok(0));
    assert_eq!(s.vested(Timestamp(1_000)), Ok(120)); // 10% at TGE
    assert_eq!(s.vested(Timestamp(1_099)), Ok(120)); // still in the cliff
    assert_eq!(s.vested(Timestamp(1_100)), Ok(120)); // linear starts at the cliff's end
    assert_eq!(s.vested(Timestamp(1_600)), Ok(120 + 540)); // half of the rest
    assert_eq!(s.vested(Timestamp(1_101)), Ok(120 + 1)); // 1080 × 1/1000 = 1.08 → 1 (floor)
    assert_eq!(s.vested(Timestamp(2_100)), Ok(1_200));
    assert_eq!(s.vested(Timestamp(u64::MAX)), Ok(1_200));
    let instant = Schedule {
        duration_ms: 0,
        ..sched()
    };
    assert_eq!(instant.vested(Timestamp(1_100)), Ok(1_200));
}

#[test]
fn team_claims_nothing_before_the_cliff_then_linearly() {
    let mut e = Env::new();
    let team = dev_address_named("team");
    let vty = TokenId(0);
    let err = e.run(|ex| claim(ex, &team)).expect_err("should fail");
    assert_eq!(
        err,
        LedgerError::NothingToClaim("nothing has vested since the last claim")
    );
    // 12-month cliff + 18 of 36 months: half.
    e.advance(30 * MONTH_MS);
    let (_, ev) = e.run(|ex| claim(ex, &team)).expect("claim");
    assert_eq!(e.state.balance(team, vty), VTY_TEAM / 2);
    assert!(matches!(ev[0], Event::VestingClaimed { amount, .. } if amount == VTY_TEAM / 2));
    // Claiming again at the same time gives nothing.
    assert!(e.run(|ex| claim(ex, &team)).is_err());
    e.advance(100 * MONTH_MS);
    e.run(|ex| claim(ex, &team)).expect("rest");
    assert_eq!(e.state.balance(team, vty), VTY_TEAM);
    let v = view(&e.state, team).expect("view");
    assert_eq!(v[0].claimable, 0);
    assert_eq!(v[0].schedule.claimed, VTY_TEAM);
}

#[test]
fn community_treasury_gets_ten_percent_at_tge() {
    let mut e = Env::new();
    let t = dev_address_named("community-treasury");
    e.run(|ex| claim(ex, &t)).expect("claim");
    assert_eq!(e.state.balance(t, TokenId(0)), VTY_COMMUNITY_TREASURY / 10);
    assert!(
        e.run(|ex| claim(ex, &Address([7; 20]))).is_err(),
        "no schedule"
    );
}

#[test]
fn genesis_rejects_bad_schedules() {
    let users: Vec<Address> = crate::genesis::dev_accounts(1)
        .into_iter()
        .map(|a| a.1)
        .collect();
    let mut g = crate::genesis::Genesis::dev(&users);
    g.vesting[0].tge_bps = 10_001;
    assert!(State::from_genesis(&g).is_err());
    let mut g = crate::genesis::Genesis::dev(&users);
    g.vesting[0].token = "NOPE".into();
    assert!(State::from_genesis(&g).is_err());
    let mut g = crate::genesis::Genesis::dev(&users);
    g.vesting[0].total += 1; // would exceed VTY's cap
    assert!(State::from_genesis(&g).is_err());
}
