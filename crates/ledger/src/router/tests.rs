//! Router tests: the quote equals an independent brute force over every simple path and every
//! split (≤ 4 pool-disjoint routes, 5% steps) on random pool graphs; a `SwapRouted` executes
//! exactly the quoted output; splitting beats the best single path when pools are thin; bad
//! input fails cleanly.

use super::*;
use crate::amm::tests::{E18, FUNDS, TestChain, user};
use crate::receipt::TxStatus;
use crate::state::State;
use crate::tx::Payload;
use proptest::prelude::*;

/// All simple paths of ≤ 3 hops from `from` to `to` among `n` tokens that have pools,
/// enumerated independently of the router (by intermediate-token permutations).
fn brute_paths(s: &State, n: u32, from: u32, to: u32) -> Vec<Vec<TokenId>> {
    let mids: Vec<u32> = (0..n).filter(|t| *t != from && *t != to).collect();
    let mut cands: Vec<Vec<u32>> = vec![vec![]];
    for &a in &mids {
        cands.push(vec![a]);
        for &b in &mids {
            if a != b {
                cands.push(vec![a, b]);
            }
        }
    }
    cands
        .into_iter()
        .map(|m| {
            let mut p = vec![TokenId(from)];
            p.extend(m.into_iter().map(TokenId));
            p.push(TokenId(to));
            p
        })
        .filter(|p| amm::path_pools(s, p).is_ok())
        .collect()
}

/// Best Σ output over every set of ≤ 4 pool-disjoint paths and every split of STEPS steps.
fn brute_best(s: &State, paths: &[Vec<TokenId>], amount: u128) -> u128 {
    let pools: Vec<Vec<amm::Pool>> = paths
        .iter()
        .map(|p| amm::path_pools(s, p).expect("test value"))
        .collect();
    let out = |i: usize, k: usize| -> u128 {
        let a = amount * k as u128 / STEPS as u128;
        amm::amounts_out(&pools[i], &paths[i], a)
            .map(|v| *v.last().expect("test value"))
            .unwrap_or(0)
    };
    let ids: Vec<Vec<u32>> = pools
        .iter()
        .map(|ps| ps.iter().map(|p| p.id).collect())
        .collect();
    let disjoint = |set: &[usize]| {
        for (x, &i) in set.iter().enumerate() {
            for &j in &set[x + 1..] {
                if ids[i].iter().any(|p| ids[j].contains(p)) {
                    return false;
                }
            }
        }
        true
    };
    // Every composition of STEPS into `m` positive parts.
    fn compositions(m: usize, total: usize, acc: &mut Vec<usize>, f: &mut dyn FnMut(&[usize])) {
        if m == 1 {
            acc.push(total);
            f(acc);
            acc.pop();
            return;
        }
        for k in 1..=(total - (m - 1)) {
            acc.push(k);
            compositions(m - 1, total - k, acc, f);
            acc.pop();
        }
    }
    let n = paths.len();
    let mut best = 0u128;
    let mut sets: Vec<Vec<usize>> = Vec::new();
    for mask in 1u32..(1 << n) {
        let set: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
        if set.len() <= MAX_SPLITS && disjoint(&set) {
            sets.push(set);
        }
    }
    for set in sets {
        compositions(set.len(), STEPS, &mut Vec::new(), &mut |ks| {
            let total: u128 = set.iter().zip(ks).map(|(&i, &k)| out(i, k)).sum();
            best = best.max(total);
        });
    }
    best
}

/// A pool to create: (token a, token b, fee bps, reserve a, reserve b).
type Edge = (u32, u32, u16, u128, u128);

fn graph() -> impl Strategy<Value = (Vec<Edge>, u128, u32, u32)> {
    let pair = (
        0u32..5,
        0u32..5,
        prop_oneof![Just(30u16), Just(5), Just(100)],
        10u128.pow(6)..2 * 10u128.pow(26),
        10u128.pow(6)..2 * 10u128.pow(26),
    );
    (
        proptest::collection::vec(pair, 1..9),
        prop_oneof![1u128..10u128.pow(6), 10u128.pow(6)..10u128.pow(25)],
        0u32..5,
        0u32..5,
    )
}

fn build(edges: &[Edge]) -> TestChain {
    let mut c = TestChain::new(5);
    for &(a, b, fee, ra, rb) in edges {
        if a == b
            || amm::pool_for(&c.state, TokenId(a), TokenId(b))
                .expect("test value")
                .is_some()
        {
            continue;
        }
        c.pool_with(a, b, fee, ra, rb);
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The router's total equals the brute-force optimum, its routes are pool-disjoint and
    /// valid, and executing `SwapRouted` pays exactly the quote.
    #[test]
    fn quote_equals_brute_force_and_execution((edges, amount, from, to) in graph()) {
        prop_assume!(from != to);
        let mut c = build(&edges);
        let paths = brute_paths(&c.state, 5, from, to);
        prop_assert!(paths.len() <= MAX_CANDIDATES);
        let best = brute_best(&c.state, &paths, amount);
        let q = quote(&c.state, TokenId(from), TokenId(to), amount);
        if best == 0 {
            prop_assert!(matches!(q, Err(LedgerError::NoRoute { .. })), "{q:?}");
            return Ok(());
        }
        let q = q.expect("test value");
        prop_assert_eq!(q.total_out, best);
        prop_assert!(q.routes.len() <= MAX_SPLITS);
        prop_assert!(q.amount_in_used() <= amount && amount - q.amount_in_used() < q.routes.len() as u128);
        let mut seen = Vec::new();
        for r in &q.routes {
            for p in &r.pools {
                prop_assert!(!seen.contains(p), "pool {} used twice", p);
                seen.push(*p);
            }
        }
        // Execute it.
        let u = user(1);
        let (b_from, b_to) = (c.state.balance(u, TokenId(from)), c.state.balance(u, TokenId(to)));
        let r = c.tx(u, Payload::SwapRouted {
            from: TokenId(from), to: TokenId(to), amount_in: amount, min_out: q.total_out, deadline: c.later(),
        });
        prop_assert!(r.is_success(), "{r:?}");
        prop_assert_eq!(c.state.balance(u, TokenId(to)), b_to + q.total_out);
        prop_assert_eq!(c.state.balance(u, TokenId(from)), b_from - q.amount_in_used());
    }
}

#[test]
fn splitting_beats_the_best_single_path_on_thin_pools() {
    let mut c = TestChain::new(3);
    c.pool_with(0, 1, 30, 1_000 * E18, 1_000 * E18);
    c.pool_with(0, 2, 30, 1_000 * E18, 1_000 * E18);
    c.pool_with(2, 1, 30, 1_000 * E18, 1_000 * E18);
    let amount = 300 * E18;
    let q = quote(&c.state, TokenId(0), TokenId(1), amount).expect("test value");
    let direct = amm::get_amount_out(amount, 1_000 * E18, 1_000 * E18, 30).expect("test value");
    assert_eq!(q.routes.len(), 2, "{q:?}");
    assert!(q.total_out > direct);
    // A tiny amount takes the direct pool only (one hop pays one fee).
    let q = quote(&c.state, TokenId(0), TokenId(1), E18).expect("test value");
    assert_eq!(q.routes.len(), 1);
    assert_eq!(q.routes[0].path, vec![TokenId(0), TokenId(1)]);
    assert_eq!(
        q.total_out,
        amm::get_amount_out(E18, 1_000 * E18, 1_000 * E18, 30).expect("test value")
    );
    assert_eq!(q.amount_in_used(), E18);
}

#[test]
fn routed_bad_input_fails_cleanly() {
    let mut c = TestChain::new(4);
    c.pool_with(0, 1, 30, 100 * E18, 100 * E18);
    let later = c.later();
    let q = quote(&c.state, TokenId(0), TokenId(1), E18).expect("test value");
    let cases = [
        (
            Payload::SwapRouted {
                from: TokenId(0),
                to: TokenId(1),
                amount_in: 0,
                min_out: 0,
                deadline: later,
            },
            "greater than zero",
        ),
        (
            Payload::SwapRouted {
                from: TokenId(0),
                to: TokenId(0),
                amount_in: E18,
                min_out: 0,
                deadline: later,
            },
            "two different tokens",
        ),
        (
            Payload::SwapRouted {
                from: TokenId(0),
                to: TokenId(9),
                amount_in: E18,
                min_out: 0,
                deadline: later,
            },
            "unknown token",
        ),
        (
            Payload::SwapRouted {
                from: TokenId(0),
                to: TokenId(3),
                amount_in: E18,
                min_out: 0,
                deadline: later,
            },
            "no route",
        ),
        (
            Payload::SwapRouted {
                from: TokenId(0),
                to: TokenId(1),
                amount_in: E18,
                min_out: q.total_out + 1,
                deadline: later,
            },
            "slippage",
        ),
        (
            Payload::SwapRouted {
                from: TokenId(0),
                to: TokenId(1),
                amount_in: E18,
                min_out: 0,
                deadline: Timestamp(c.time),
            },
            "expired",
        ),
        (
            Payload::SwapRouted {
                from: TokenId(0),
                to: TokenId(1),
                amount_in: FUNDS + 1,
                min_out: 0,
                deadline: later,
            },
            "insufficient balance",
        ),
    ];
    for (payload, want) in cases {
        let snap = c.snapshot();
        let r = c.tx(user(2), payload.clone());
        let TxStatus::Failed { error } = &r.status else {
            panic!("{payload:?} succeeded");
        };
        assert!(error.to_lowercase().contains(want), "{payload:?}: {error}");
        assert_eq!(c.snapshot(), snap);
    }
}

#[test]
fn execute_routed_from_rust_matches_quote() {
    // How auto-savings and buy-and-burn call the router: inside an execution overlay.
    let mut c = TestChain::new(3);
    c.pool_with(0, 1, 30, 500 * E18, 800 * E18);
    c.pool_with(1, 2, 30, 900 * E18, 300 * E18);
    let q = quote(&c.state, TokenId(0), TokenId(2), 7 * E18).expect("test value");
    let state = c.state.clone();
    let mut ex = Exec::new(&state, state.height() + 1, Timestamp(c.time + 1000));
    let got = execute_routed(
        &mut ex,
        &user(1),
        TokenId(0),
        TokenId(2),
        7 * E18,
        q.total_out,
    )
    .expect("test value");
    assert_eq!(got, q);
    assert_eq!(
        tokens::balance(&ex, &user(1), TokenId(2)).expect("test value"),
        FUNDS + q.total_out
    );
    assert!(matches!(
        execute_routed(
            &mut ex,
            &user(1),
            TokenId(0),
            TokenId(2),
            7 * E18,
            u128::MAX
        ),
        Err(LedgerError::InsufficientOutput { .. })
    ));
}
