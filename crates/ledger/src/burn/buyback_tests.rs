//! Buyback tests: fees in USDC are bought back into VTY through the router and split
//! 70/29/1 (burned + treasury + caller = bought, supply falls by the burn); a price pushed
//! away from its TWAP within the block makes the buyback refuse; bad input fails cleanly.

use super::*;
use crate::receipt::Event;
use crate::tokens;
use crate::tx::Payload;
use crate::vault::tests::Env;
use verity_primitives::Timestamp;

const E18: u128 = 1_000_000_000_000_000_000;
const USDC: TokenId = TokenId(1);
const VTY: TokenId = TokenId(0);
const HOUR_MS: u64 = 3_600_000;

fn aid(e: &Env) -> TokenId {
    e.aid()
}

/// Pools VTY/AID and AID/USDC with depth, USDC fees in the fee account, one hour of history.
fn setup() -> Env {
    let mut e = Env::new();
    let lp = e.users[3];
    let a = aid(&e);
    e.run(|ex| tokens::mint_unchecked(ex, USDC, &lp, 500_000 * 1_000_000))
        .expect("usdc");
    e.ensure_pool(lp, VTY, a, 200_000 * E18, 10_000 * E18);
    e.ensure_pool(lp, a, USDC, 100_000 * E18, 100_000 * 1_000_000);
    let payer = e.users[1];
    e.run(|ex| {
        tokens::mint_unchecked(ex, USDC, &payer, 1_000 * 1_000_000)?;
        tokens::transfer(ex, &payer, &fee_account(), USDC, 1_000 * 1_000_000)
    })
    .expect("fees");
    e.advance(HOUR_MS);
    e
}

#[test]
fn buyback_splits_exactly_and_burns() {
    let mut e = setup();
    let caller = e.users[2];
    let c = config(&e.state).expect("config");
    let supply0 = e.state.token(VTY).expect("vty").supply;
    let treasury0 = e.state.balance(c.treasury, VTY);
    let caller0 = e.state.balance(caller, VTY);
    let r = e.tx(caller, Payload::ExecuteBuyback { token: USDC });
    assert!(r.is_success(), "{:?}", r.status);
    let Some(Event::Buyback {
        sold,
        bought,
        burned,
        treasury,
        caller: to_caller,
        ..
    }) = r
        .events
        .iter()
        .rev()
        .find(|e| matches!(e, Event::Buyback { .. }))
        .cloned()
    else {
        panic!("no Buyback event: {:?}", r.events);
    };
    assert_eq!(sold, 1_000 * 1_000_000);
    assert!(bought > 0);
    assert_eq!(burned + treasury + to_caller, bought);
    assert_eq!(burned, bought * 7_000 / 10_000);
    assert_eq!(to_caller, bought / 100);
    assert_eq!(e.state.token(VTY).expect("vty").supply, supply0 - burned);
    assert_eq!(e.state.balance(c.treasury, VTY) - treasury0, treasury);
    assert_eq!(e.state.balance(caller, VTY) - caller0, to_caller);
    assert_eq!(e.state.balance(fee_account(), USDC), 0);
    assert_eq!(e.state.balance(fee_account(), VTY), 0);
    // Nothing left to buy back.
    let r = e.tx(caller, Payload::ExecuteBuyback { token: USDC });
    assert!(!r.is_success());
}

#[test]
fn buyback_refuses_a_price_pushed_off_its_twap() {
    let mut e = setup();
    let whale = e.users[1];
    let a = aid(&e);
    let vty_before = e.state.token(VTY).expect("vty").supply;
    // Pump VTY in this very block: buy VTY with AID.
    let r = e.tx(
        whale,
        Payload::SwapExactIn {
            path: vec![a, VTY],
            amount_in: 400_000 * E18,
            min_out: 0,
            deadline: Timestamp(u64::MAX),
        },
    );
    assert!(r.is_success(), "{:?}", r.status);
    let r = e.tx(e.users[2], Payload::ExecuteBuyback { token: USDC });
    match &r.status {
        crate::TxStatus::Failed { error } => assert!(error.contains("slippage"), "{error}"),
        s => panic!("buyback should fail, got {s:?}"),
    }
    // No state change: the fees are still there, no VTY was burned.
    assert_eq!(e.state.balance(fee_account(), USDC), 1_000 * 1_000_000);
    assert_eq!(e.state.token(VTY).expect("vty").supply, vty_before);
}

#[test]
fn buyback_bad_input() {
    let mut e = setup();
    let u = e.users[2];
    let r = e.tx(
        u,
        Payload::ExecuteBuyback {
            token: TokenId(999),
        },
    );
    assert!(
        matches!(&r.status, crate::TxStatus::Failed { error } if error.contains("unknown token")),
        "{:?}",
        r.status
    );
    let r = e.tx(u, Payload::ExecuteBuyback { token: TokenId(2) }); // USDT: no fees
    assert!(
        matches!(&r.status, crate::TxStatus::Failed { error } if error.contains("holds no")),
        "{:?}",
        r.status
    );
}

#[test]
fn fees_in_vty_are_split_without_a_swap() {
    let mut e = setup();
    let u = e.users[1];
    e.run(|ex| tokens::transfer(ex, &u, &fee_account(), VTY, 1_000))
        .expect("fee");
    let r = e.tx(u, Payload::ExecuteBuyback { token: VTY });
    assert!(r.is_success(), "{:?}", r.status);
    assert!(r.events.contains(&Event::Buyback {
        token: VTY,
        sold: 1_000,
        bought: 1_000,
        burned: 700,
        treasury: 290,
        caller: 10
    }));
}
