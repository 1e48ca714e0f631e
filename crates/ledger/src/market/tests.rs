//! Unit tests of the market/dispute helpers: the bisection's tree shape equals `ree`'s Merkle
//! construction for every size, depths and ⌈log2⌉ agree with the formula, and collateral rounds
//! up.

use super::dispute::{ceil_log2, children, depth, inner_node, leaf_node, left_size};
use super::{MarketParams, collateral};
use verity_ree::trace::merkle;

fn leaves(n: u64) -> Vec<[u8; 32]> {
    (0..n)
        .map(|i| *blake3::hash(&i.to_le_bytes()).as_bytes())
        .collect()
}

/// Root of `level[lo..lo+size]` computed with the bisection's split rule.
fn split_root(level: &[[u8; 32]], lo: u64, size: u64) -> [u8; 32] {
    if size == 1 {
        return leaf_node(&level[lo as usize]);
    }
    let l = left_size(size);
    inner_node(
        &split_root(level, lo, l),
        &split_root(level, lo + l, size - l),
    )
}

#[test]
fn split_rule_matches_ree_merkle_root_for_every_size() {
    for n in 1..=70u64 {
        let lv = leaves(n);
        assert_eq!(split_root(&lv, 0, n), merkle::root(&lv), "n = {n}");
        if n >= 2 {
            let (l, r) = children(&lv, 0, n).expect("in range");
            let ls = left_size(n);
            let wrap = |x: [u8; 32], m: u64| if m == 1 { leaf_node(&x) } else { x };
            assert_eq!(
                inner_node(&wrap(l, ls), &wrap(r, n - ls)),
                merkle::root(&lv)
            );
        }
    }
}

#[test]
fn depth_is_at_most_ceil_log2_and_equal_for_powers_of_two() {
    for n in 1..=70u64 {
        for i in 0..n {
            assert!(depth(n, i) <= ceil_log2(n), "n {n} i {i}");
            if n.is_power_of_two() {
                assert_eq!(depth(n, i), ceil_log2(n));
            }
        }
    }
    assert_eq!(ceil_log2(1000), 10);
    assert_eq!(ceil_log2(1024), 10);
    assert_eq!(ceil_log2(1025), 11);
}

#[test]
fn collateral_is_price_times_factor_rounded_up() {
    let f = u128::from(MarketParams::DEFAULT.collateral_factor_bps);
    let fb = MarketParams::DEFAULT.collateral_factor_bps;
    assert_eq!(collateral(800, fb).expect("fits"), 800 * f / 10_000);
    assert_eq!(collateral(1, fb).expect("fits"), (f).div_ceil(10_000));
}
