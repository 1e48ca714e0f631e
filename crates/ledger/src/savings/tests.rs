//! Auto-savings tests, calling [`apply_auto_savings`] right after crediting a payment, as the
//! market settlement does: dust waits for the batch, a full batch converts through the router,
//! no route and a failed slippage bound leave the payment as it is with an event saying why.

use super::*;
use crate::tx::Payload;
use crate::vault::tests::Env;

const E18: u128 = 1_000_000_000_000_000_000;
const USDC: TokenId = TokenId(1);
const USD: u128 = 1_000_000;

fn setup() -> (Env, Address) {
    let mut e = Env::new();
    let lp = e.users[3];
    let a = e.aid();
    e.run(|ex| tokens::mint_unchecked(ex, USDC, &lp, 500_000 * USD))
        .expect("usdc");
    e.ensure_pool(lp, a, USDC, 100_000 * E18, 100_000 * USD);
    let provider = Address([0x42; 20]);
    (e, provider)
}

/// Credit `amount` USDC to `provider` and apply its policy, in one transaction.
fn pay(e: &mut Env, provider: Address, amount: u128) -> Vec<Event> {
    e.run(|ex| {
        tokens::mint_unchecked(ex, USDC, &provider, amount)?;
        apply_auto_savings(ex, &provider, USDC, amount)
    })
    .expect("settle")
    .1
}

#[test]
fn dust_waits_then_a_batch_converts() {
    let (mut e, p) = setup();
    let a = e.aid();
    let r = e.tx(
        p,
        Payload::SetSavingsPolicy {
            target_token: a,
            share_bps: 5_000,
            max_slippage_bps: 100,
            min_batch: 10 * USD,
        },
    );
    assert!(r.is_success(), "{:?}", r.status);
    let ev = pay(&mut e, p, 4 * USD);
    assert!(ev.iter().any(|x| matches!(x, Event::SavingsSkipped { reason, amount, .. } if reason == "below_min_batch" && *amount == 2 * USD)));
    assert_eq!(
        policy(&e.state, &p).expect("p").expect("p").dust_of(USDC),
        2 * USD
    );
    assert_eq!(e.state.balance(p, a), 0);

    let ev = pay(&mut e, p, 20 * USD);
    let conv = ev
        .iter()
        .find_map(|x| match x {
            Event::SavingsConverted {
                amount_in,
                amount_out,
                ..
            } => Some((*amount_in, *amount_out)),
            _ => None,
        })
        .expect("converted");
    assert_eq!(conv.0, 12 * USD, "this payment's half plus the waiting 2");
    assert_eq!(e.state.balance(p, a), conv.1);
    assert!(conv.1 > 11 * E18 && conv.1 < 12 * E18, "{}", conv.1);
    assert_eq!(e.state.balance(p, USDC), 24 * USD - 12 * USD);
    assert_eq!(
        policy(&e.state, &p).expect("p").expect("p").dust_of(USDC),
        0
    );
}

#[test]
fn no_route_and_slippage_leave_the_payment() {
    let (mut e, p) = setup();
    let share_token = e.share(); // sAID: no pool anywhere
    e.run(|ex| set_policy(ex, &p, share_token, 10_000, 100, 0))
        .expect("policy");
    let ev = pay(&mut e, p, 5 * USD);
    assert!(
        ev.iter().any(
            |x| matches!(x, Event::SavingsSkipped { reason, .. } if reason.starts_with("no_route"))
        ),
        "{ev:?}"
    );
    assert_eq!(e.state.balance(p, USDC), 5 * USD, "payment stays");
    assert_eq!(
        policy(&e.state, &p).expect("p").expect("p").dust_of(USDC),
        5 * USD
    );

    // Zero slippage allowed: any price impact fails the bound.
    let a = e.aid();
    e.run(|ex| set_policy(ex, &p, a, 10_000, 0, 0))
        .expect("policy");
    let ev = pay(&mut e, p, 50_000 * USD);
    assert!(
        ev.iter().any(
            |x| matches!(x, Event::SavingsSkipped { reason, .. } if reason.starts_with("slippage"))
        ),
        "{ev:?}"
    );
    assert_eq!(e.state.balance(p, USDC), 50_005 * USD);
    assert_eq!(e.state.balance(p, a), 0);
}

#[test]
fn policy_input_is_checked_and_removable() {
    let (mut e, p) = setup();
    let a = e.aid();
    assert!(e.run(|ex| set_policy(ex, &p, a, 10_001, 0, 0)).is_err());
    assert!(e.run(|ex| set_policy(ex, &p, a, 100, 10_001, 0)).is_err());
    assert!(
        e.run(|ex| set_policy(ex, &p, TokenId(999), 100, 0, 0))
            .is_err()
    );
    e.run(|ex| set_policy(ex, &p, a, 100, 50, 0)).expect("set");
    assert!(view(&e.state, p).expect("v").is_some());
    e.run(|ex| set_policy(ex, &p, a, 0, 0, 0)).expect("remove");
    assert!(view(&e.state, p).expect("v").is_none());
    // Without a policy a payment is left alone.
    let ev = pay(&mut e, p, USD);
    assert!(ev.is_empty());
}

#[test]
fn genesis_policies_are_stored_and_bad_ones_refused() {
    let users: Vec<Address> = crate::genesis::dev_accounts(3)
        .into_iter()
        .map(|a| a.1)
        .collect();
    let mut g = crate::genesis::Genesis::dev(&users);
    g.savings.push(dev_policy(users[2]));
    // Through TOML and back, as `verity devnet --write-genesis` then `verity node` do.
    let g = crate::genesis::Genesis::from_toml_str(&g.to_toml_string()).expect("toml");
    let s = State::from_genesis(&g).expect("genesis");
    let p = policy(&s, &users[2]).expect("reads").expect("set");
    assert_eq!(p.target, s.token_by_symbol("TBILL").expect("TBILL").0);
    assert_eq!(
        (p.share_bps, p.max_slippage_bps, p.min_batch),
        (5_000, 300, 0)
    );
    assert_eq!(policy(&s, &users[1]).expect("reads"), None);

    let bad = |f: &dyn Fn(&mut GenesisPolicy)| {
        let mut g = crate::genesis::Genesis::dev(&users);
        let mut p = dev_policy(users[2]);
        f(&mut p);
        g.savings.push(p);
        State::from_genesis(&g).expect_err("refused").to_string()
    };
    assert!(bad(&|p| p.target = "NOPE".into()).contains("NOPE"));
    assert!(bad(&|p| p.share_bps = 0).contains("share_bps"));
    assert!(bad(&|p| p.max_slippage_bps = 10_001).contains("max_slippage_bps"));
    let mut g = crate::genesis::Genesis::dev(&users);
    g.savings = vec![dev_policy(users[2]), dev_policy(users[2])];
    assert!(
        State::from_genesis(&g)
            .expect_err("twice")
            .to_string()
            .contains("twice")
    );
}

#[test]
fn a_genesis_policy_converts_a_settled_payment_into_tbill() {
    // The dev genesis pools route VTY → AID → USDC → TBILL; a VTY payment to an account with
    // the devnet policy lands half in TBILL.
    let users: Vec<Address> = crate::genesis::dev_accounts(3)
        .into_iter()
        .map(|a| a.1)
        .collect();
    let mut g = crate::genesis::Genesis::dev(&users);
    g.savings.push(dev_policy(users[2]));
    let state = State::from_genesis(&g).expect("genesis");
    let tbill = state.token_by_symbol("TBILL").expect("TBILL").0;
    let vty = TokenId(0);
    let mut e = Env {
        now: state.time().0,
        state,
        users: users.clone(),
    };
    let p = users[2];
    let before = e.state.balance(p, tbill);
    let ev = e
        .run(|ex| {
            tokens::transfer(ex, &users[0], &p, vty, 10 * E18)?;
            apply_auto_savings(ex, &p, vty, 10 * E18)
        })
        .expect("pay")
        .1;
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::SavingsConverted { to, .. } if *to == tbill)),
        "{ev:?}"
    );
    assert!(e.state.balance(p, tbill) > before);
}
