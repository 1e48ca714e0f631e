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
