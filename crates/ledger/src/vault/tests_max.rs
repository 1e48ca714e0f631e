//! `maxWithdraw` / `maxRedeem` against liquidity: with capital deployed and exits pending,
//! the limits never exceed the unreserved idle AID, an exit requested within them is accepted
//! and always claimable after the cooldown ("max* never fail"), and `maxRedeem` is tight.

use super::tests::Env;
use super::*;
use proptest::prelude::*;

const AID: u128 = 1_000_000_000_000_000_000;
const WEEK_MS: u64 = 7 * 24 * 3600 * 1000;

fn outside() -> Address {
    Address([0xfd; 20])
}

fn free(e: &Env) -> u128 {
    let st = vault_state(&e.state).expect("vault");
    free_idle(&e.state, &st).expect("free")
}

#[test]
fn deployed_capital_caps_max_withdraw_and_max_redeem() {
    let mut e = Env::new();
    let (a, b) = (e.users[1], e.users[2]);
    e.run(|ex| deposit(ex, &a, 100 * AID, 0))
        .expect("deposit a");
    e.run(|ex| deposit(ex, &b, 100 * AID, 0))
        .expect("deposit b");
    assert_eq!(max_withdraw(&e.state, &a).expect("mw"), 100 * AID);
    // Deploy 170 of the 200 idle: only 30 AID can be paid out.
    e.run(|ex| deploy_capital(ex, &outside(), 170 * AID))
        .expect("deploy");
    assert_eq!(max_withdraw(&e.state, &a).expect("mw"), 30 * AID);
    let t = totals(&e.state).expect("t");
    let mr = max_redeem(&e.state, &a).expect("mr");
    assert!(t.preview_redeem(mr).expect("p") <= 30 * AID);
    assert!(t.preview_redeem(mr + 1).expect("p") > 30 * AID, "tight");
    // a asks for all of it; b is left with nothing claimable.
    e.run(|ex| request_withdraw(ex, &a, 30 * AID))
        .expect("request");
    assert_eq!(vault_state(&e.state).expect("v").reserved, 30 * AID);
    assert_eq!(max_withdraw(&e.state, &b).expect("mw"), 0);
    let mr_b = max_redeem(&e.state, &b).expect("mr");
    let t = totals(&e.state).expect("t");
    assert_eq!(
        t.preview_redeem(mr_b).expect("p"),
        0,
        "only dust shares worth 0"
    );
    assert!(t.preview_redeem(mr_b + 1).expect("p") > 0);
    assert_eq!(position(&e.state, b).expect("pos").max_withdraw, 0);
    // Deploying reserved AID is refused.
    let err = e
        .run(|ex| deploy_capital(ex, &outside(), 1))
        .expect_err("reserved");
    assert!(matches!(err, LedgerError::VaultIlliquid { .. }), "{err}");
    // b may still queue an exit beyond max*; it waits for capital to come back.
    e.run(|ex| request_withdraw(ex, &b, 10 * AID))
        .expect("queued");
    e.advance(WEEK_MS);
    e.run(|ex| claim(ex, &a))
        .expect("a's claim within max is paid");
    let err = e.run(|ex| claim(ex, &b)).expect_err("illiquid");
    assert!(matches!(err, LedgerError::VaultIlliquid { .. }), "{err}");
    e.give_aid(outside(), 200);
    e.run(|ex| return_capital(ex, &outside(), 10 * AID, 0))
        .expect("return");
    e.run(|ex| claim(ex, &b))
        .expect("b paid once capital returned");
    assert_eq!(vault_state(&e.state).expect("v").reserved, 0);
}

#[derive(Clone, Debug)]
enum Op {
    Deposit(usize, u128),
    Mint(usize, u128),
    /// Request a share (bps, 1..=10 000) of `maxWithdraw`.
    WithdrawMax(usize, u128),
    /// Request a share (bps) of `maxRedeem`.
    RedeemMax(usize, u128),
    Claim(usize),
    Donate(usize, u128),
    Revenue(u128),
    Deploy(u128),
    Return(u128),
    Loss(u128),
    Wait,
}

fn op() -> impl Strategy<Value = Op> {
    let amt = prop_oneof![1u128..1_000, 1u128..100_000 * AID];
    let bps = prop_oneof![Just(10_000u128), 1u128..=10_000];
    prop_oneof![
        (0usize..3, amt.clone()).prop_map(|(u, a)| Op::Deposit(u, a)),
        (0usize..3, amt.clone()).prop_map(|(u, a)| Op::Mint(u, a)),
        (0usize..3, bps.clone()).prop_map(|(u, f)| Op::WithdrawMax(u, f)),
        (0usize..3, bps).prop_map(|(u, f)| Op::RedeemMax(u, f)),
        (0usize..3).prop_map(Op::Claim),
        (0usize..3, amt.clone()).prop_map(|(u, a)| Op::Donate(u, a)),
        amt.clone().prop_map(Op::Revenue),
        amt.clone().prop_map(Op::Deploy),
        amt.clone().prop_map(Op::Return),
        amt.prop_map(Op::Loss),
        Just(Op::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("VAULT_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
    ))]
    #[test]
    fn max_withdraw_and_max_redeem_never_fail(ops in prop::collection::vec(op(), 1..40)) {
        let mut e = Env::new();
        let users = [e.users[1], e.users[2], e.users[3]];
        let aid = e.aid();
        e.give_aid(outside(), 10_000_000);
        for o in ops {
            match o {
                Op::Deposit(u, a) => { let _ = e.run(|ex| deposit(ex, &users[u], a, 0)); }
                Op::Mint(u, a) => { let _ = e.run(|ex| mint(ex, &users[u], a, u128::MAX)); }
                Op::WithdrawMax(u, f) | Op::RedeemMax(u, f) => {
                    if requests(&e.state, &users[u]).expect("r").len() >= MAX_PENDING_REQUESTS {
                        continue;
                    }
                    let by_assets = matches!(o, Op::WithdrawMax(..));
                    let max = if by_assets {
                        max_withdraw(&e.state, &users[u]).expect("mw")
                    } else {
                        max_redeem(&e.state, &users[u]).expect("mr")
                    };
                    let amount = max * f / 10_000;
                    if amount == 0 {
                        continue;
                    }
                    let r = if by_assets {
                        e.run(|ex| request_withdraw(ex, &users[u], amount))
                    } else {
                        e.run(|ex| request_redeem(ex, &users[u], amount))
                    };
                    prop_assert!(r.is_ok(), "request of {amount} ≤ max {max} failed: {r:?}");
                }
                Op::Claim(u) => {
                    if let Err(err) = e.run(|ex| claim(ex, &users[u])) {
                        prop_assert!(
                            matches!(err, LedgerError::NotYetClaimable { .. } | LedgerError::NothingToClaim(_)),
                            "a claim of exits within max* failed: {err}"
                        );
                    }
                }
                Op::Donate(u, a) => { let _ = e.run(|ex| tokens::transfer(ex, &users[u], &vault_account(), aid, a)); }
                Op::Revenue(a) => { let _ = e.run(|ex| record_revenue(ex, a)); }
                Op::Deploy(a) => { let _ = e.run(|ex| deploy_capital(ex, &outside(), a)); }
                Op::Return(a) => {
                    let _ = e.run(|ex| {
                        let st = vault_state(ex)?;
                        return_capital(ex, &outside(), a.min(st.deployed), a.min(st.accrued))
                    });
                }
                Op::Loss(a) => { let _ = e.run(|ex| record_loss(ex, a)); }
                Op::Wait => e.advance(WEEK_MS),
            }
            // Exits within max* keep idle ≥ reserved; the limits stay within free AID.
            let st = vault_state(&e.state).expect("v");
            prop_assert!(idle(&e.state, &st).expect("idle") >= st.reserved);
            let t = totals(&e.state).expect("t");
            for u in &users {
                let mw = max_withdraw(&e.state, u).expect("mw");
                let mr = max_redeem(&e.state, u).expect("mr");
                prop_assert!(mw <= free(&e));
                prop_assert!(t.preview_redeem(mr).expect("p") <= free(&e));
                let shares = tokens::balance(&e.state, u, st.share).expect("b");
                prop_assert!(t.preview_withdraw(mw).expect("p") <= shares);
                prop_assert!(mr == shares || t.preview_redeem(mr + 1).expect("p") > free(&e), "maxRedeem is tight");
            }
        }
        // Everything requested is claimable once the cooldown passes.
        e.advance(WEEK_MS);
        for u in &users {
            if !requests(&e.state, u).expect("r").is_empty() {
                prop_assert!(e.run(|ex| claim(ex, u)).is_ok());
            }
        }
        prop_assert_eq!(vault_state(&e.state).expect("v").reserved, 0);
    }
}
