//! amm property and bad-input tests: failing transactions change nothing but the nonce and
//! say why; donations are absorbed as in V2; k never falls on a swap under random sequences of
//! swaps, adds and removes (every invariant checked after every block); the devnet pools.

use super::tests::{E18, FUNDS, TestChain, failed, user};
use super::*;
use crate::genesis::Genesis;
use crate::tx::Payload;
use proptest::prelude::*;

#[test]
fn bad_input_fails_with_a_clear_error_and_changes_nothing() {
    let mut c = TestChain::new(4);
    let id = c.pool_with(0, 1, 30, 100 * E18, 100 * E18);
    c.pool_with(1, 2, 30, 100 * E18, 100 * E18);
    let later = c.later();
    let past = Timestamp(c.time);
    let cases: Vec<(Payload, &str)> = vec![
        (
            Payload::SwapExactIn {
                path: vec![TokenId(0), TokenId(1)],
                amount_in: 0,
                min_out: 0,
                deadline: later,
            },
            "greater than zero",
        ),
        (
            Payload::SwapExactIn {
                path: vec![TokenId(0), TokenId(1)],
                amount_in: E18,
                min_out: 0,
                deadline: past,
            },
            "expired",
        ),
        (
            Payload::SwapExactIn {
                path: vec![TokenId(0), TokenId(1)],
                amount_in: E18,
                min_out: E18,
                deadline: later,
            },
            "slippage",
        ),
        (
            Payload::SwapExactOut {
                path: vec![TokenId(0), TokenId(1)],
                amount_out: E18,
                max_in: E18,
                deadline: later,
            },
            "slippage",
        ),
        (
            Payload::SwapExactIn {
                path: vec![TokenId(0), TokenId(9)],
                amount_in: E18,
                min_out: 0,
                deadline: later,
            },
            "unknown token",
        ),
        (
            Payload::SwapExactIn {
                path: vec![TokenId(0), TokenId(0)],
                amount_in: E18,
                min_out: 0,
                deadline: later,
            },
            "two different tokens",
        ),
        (
            Payload::SwapExactIn {
                path: vec![TokenId(0), TokenId(3)],
                amount_in: E18,
                min_out: 0,
                deadline: later,
            },
            "no pool",
        ),
        (
            Payload::SwapExactIn {
                path: vec![TokenId(0), TokenId(1), TokenId(0)],
                amount_in: E18,
                min_out: 0,
                deadline: later,
            },
            "appears twice",
        ),
        (
            Payload::SwapExactOut {
                path: vec![TokenId(0), TokenId(1)],
                amount_out: 100 * E18,
                max_in: u128::MAX,
                deadline: later,
            },
            "insufficient liquidity",
        ),
        (
            Payload::SwapExactIn {
                path: vec![TokenId(0), TokenId(1)],
                amount_in: FUNDS + 1,
                min_out: 0,
                deadline: later,
            },
            "insufficient balance",
        ),
        (
            Payload::CreatePool {
                token_a: TokenId(0),
                token_b: TokenId(1),
                fee_bps: 30,
            },
            "already have pool",
        ),
        (
            Payload::CreatePool {
                token_a: TokenId(2),
                token_b: TokenId(2),
                fee_bps: 30,
            },
            "two different tokens",
        ),
        (
            Payload::CreatePool {
                token_a: TokenId(2),
                token_b: TokenId(3),
                fee_bps: 1001,
            },
            "out of range",
        ),
        (
            Payload::CreatePool {
                token_a: TokenId(2),
                token_b: TokenId(7),
                fee_bps: 30,
            },
            "unknown token",
        ),
        (
            Payload::AddLiquidity {
                pool: id,
                amount_a_desired: 0,
                amount_b_desired: E18,
                amount_a_min: 0,
                amount_b_min: 0,
                deadline: later,
            },
            "greater than zero",
        ),
        (
            Payload::AddLiquidity {
                pool: 77,
                amount_a_desired: E18,
                amount_b_desired: E18,
                amount_a_min: 0,
                amount_b_min: 0,
                deadline: later,
            },
            "unknown pool",
        ),
        (
            Payload::RemoveLiquidity {
                pool: id,
                liquidity: 0,
                amount_a_min: 0,
                amount_b_min: 0,
                deadline: later,
            },
            "greater than zero",
        ),
        (
            Payload::RemoveLiquidity {
                pool: id,
                liquidity: E18,
                amount_a_min: 0,
                amount_b_min: 0,
                deadline: later,
            },
            "insufficient LP shares",
        ),
        (
            Payload::RemoveLiquidity {
                pool: id,
                liquidity: E18,
                amount_a_min: 0,
                amount_b_min: 0,
                deadline: past,
            },
            "expired",
        ),
    ];
    for (payload, want) in cases {
        let snap = c.snapshot();
        let r = c.tx(user(2), payload.clone());
        let err = failed(&r).to_lowercase();
        assert!(
            err.contains(&want.to_lowercase()),
            "{payload:?}: got {err:?}, want {want:?}"
        );
        assert_eq!(c.snapshot(), snap, "{payload:?} changed state");
    }
    // A first deposit too small to mint past the locked minimum.
    let r = c.tx(
        user(0),
        Payload::CreatePool {
            token_a: TokenId(2),
            token_b: TokenId(3),
            fee_bps: 30,
        },
    );
    assert!(r.is_success());
    let snap = c.snapshot();
    let r = c.tx(
        user(0),
        Payload::AddLiquidity {
            pool: 2,
            amount_a_desired: 1000,
            amount_b_desired: 1000,
            amount_a_min: 0,
            amount_b_min: 0,
            deadline: c.later(),
        },
    );
    assert!(failed(&r).contains("insufficient liquidity minted"));
    assert_eq!(c.snapshot(), snap);
}

#[test]
fn donations_are_absorbed_like_v2_and_invariants_hold() {
    let mut c = TestChain::new(2);
    let id = c.pool_with(0, 1, 30, 100 * E18, 100 * E18);
    // Someone sends tokens straight to the pool account: balances exceed reserves.
    let r = c.tx(
        user(1),
        Payload::Transfer {
            to: pool_account(id),
            token: TokenId(0),
            amount: E18,
        },
    );
    assert!(r.is_success());
    let p = pool(&c.state, id).expect("test value");
    assert_eq!(p.reserve0, 100 * E18);
    // The next exact-in swap of token1 still pays exactly getAmountOut; the donation is synced
    // into the reserves (to the LPs' benefit).
    let out = get_amount_out(E18, p.reserve1, p.reserve0, 30).expect("test value");
    let r = c.tx(
        user(2),
        Payload::SwapExactIn {
            path: vec![TokenId(1), TokenId(0)],
            amount_in: E18,
            min_out: out,
            deadline: c.later(),
        },
    );
    assert!(r.is_success(), "{r:?}");
    let p = pool(&c.state, id).expect("test value");
    assert_eq!(p.reserve0, 101 * E18 - out);
    assert_eq!(c.state.balance(pool_account(id), TokenId(0)), p.reserve0);
}

#[derive(Clone, Debug)]
enum Op {
    Swap {
        from: u8,
        to: u8,
        amount: u128,
        user: u8,
    },
    Add {
        pool: u8,
        a: u128,
        b: u128,
        user: u8,
    },
    Remove {
        pool: u8,
        frac: u8,
        user: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..3, 0u8..3, 1u128..(50 * E18), 0u8..3)
            .prop_map(|(from, to, amount, user)| Op::Swap { from, to, amount, user }),
        1 => (0u8..3, 1u128..(20 * E18), 1u128..(20 * E18), 0u8..3)
            .prop_map(|(pool, a, b, user)| Op::Add { pool, a, b, user }),
        1 => (0u8..3, 1u8..=100, 0u8..3).prop_map(|(pool, frac, user)| Op::Remove { pool, frac, user }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random swaps (exact-in, including multi-hop and failing ones), adds and removes over
    /// three pools: every invariant holds after every block (TestChain checks them) and no swap
    /// ever lowers a pool's reserve0·reserve1.
    #[test]
    fn k_never_falls_on_a_swap(ops in proptest::collection::vec(op(), 1..30)) {
        let mut c = TestChain::new(3);
        c.pool_with(0, 1, 30, 100 * E18, 300 * E18);
        c.pool_with(1, 2, 5, 50 * E18, 50 * E18);
        c.pool_with(0, 2, 1000, 10 * E18, 70 * E18);
        for o in ops {
            let ks: Vec<U256> = pools(&c.state).expect("test value").iter()
                .map(|p| U256::from(p.reserve0) * U256::from(p.reserve1)).collect();
            let later = c.later();
            let (payload, sender, is_swap) = match o {
                Op::Swap { from, to, amount, user: u } => (Payload::SwapExactIn {
                    path: if from == to { vec![TokenId(from.into()), TokenId(((from + 1) % 3).into()), TokenId(((from + 2) % 3).into())] }
                          else { vec![TokenId(from.into()), TokenId(to.into())] },
                    amount_in: amount, min_out: 0, deadline: later,
                }, user(u), true),
                Op::Add { pool: p, a, b, user: u } => (Payload::AddLiquidity {
                    pool: p.into(), amount_a_desired: a, amount_b_desired: b, amount_a_min: 0, amount_b_min: 0, deadline: later,
                }, user(u), false),
                Op::Remove { pool: p, frac, user: u } => {
                    let held = lp_balance(&c.state, p.into(), &user(u)).expect("test value");
                    (Payload::RemoveLiquidity {
                        pool: p.into(), liquidity: held * u128::from(frac) / 100, amount_a_min: 0, amount_b_min: 0, deadline: later,
                    }, user(u), false)
                }
            };
            let r = c.tx(sender, payload);
            if is_swap && r.is_success() {
                for (p, k) in pools(&c.state).expect("test value").iter().zip(ks) {
                    prop_assert!(U256::from(p.reserve0) * U256::from(p.reserve1) >= k, "k fell in pool {}", p.id);
                }
            }
        }
    }
}

#[test]
fn dev_genesis_has_the_savings_pools_and_a_route_to_tbill() {
    let accts: Vec<Address> = crate::genesis::dev_accounts(2)
        .into_iter()
        .map(|k| k.1)
        .collect();
    let state = State::from_genesis(&Genesis::dev(&accts)).expect("dev genesis");
    state.check_invariants().expect("test value");
    let sym = |s: &str| state.token_by_symbol(s).expect("test value").0;
    let (vty, aid, usdc, tbill) = (sym("VTY"), sym("AID"), sym("USDC"), sym("TBILL"));
    for (a, b) in [(vty, aid), (aid, usdc), (usdc, tbill)] {
        let id = pool_for(&state, a, b)
            .expect("test value")
            .expect("dev pool");
        let p = pool(&state, id).expect("test value");
        assert!(p.reserve0 > 0 && p.reserve1 > 0);
        assert!(lp_balance(&state, id, &genesis::dev_provider()).expect("test value") > 0);
    }
    // VTY → TBILL takes three hops; 1000 VTY at $0.05 is about 50 TBILL (less fees and impact).
    let q = crate::router::quote(&state, vty, tbill, 1000 * E18).expect("test value");
    assert_eq!(q.routes[0].path, vec![vty, aid, usdc, tbill]);
    assert!(q.total_out > 49 * E18 && q.total_out < 50 * E18, "{q:?}");
    // The TOML round trip keeps the [amm] section.
    let g = Genesis::dev(&accts);
    assert_eq!(
        Genesis::from_toml_str(&g.to_toml_string()).expect("test value"),
        g
    );
}
