//! Unit tests of verifier sampling: deterministic for a seed, spot-check frequency ≈ p over
//! many seeds, stake-weighted draws, no replacement, and the fee split arithmetic.

use super::*;
use crate::market::{Job, JobStatus, JobTerms};
use proptest::prelude::*;
use verity_primitives::{Timestamp, TokenId};

fn a(n: u8) -> Address {
    Address([n; 20])
}

#[test]
fn draws_are_deterministic_for_a_seed_and_differ_across_seeds() {
    let c = [(a(1), 10), (a(2), 20), (a(3), 30), (a(4), 40)];
    let s1 = seed(&Hash::keccak(b"parent"), 7, 3);
    assert_eq!(sample(&s1, &c, 2), sample(&s1, &c, 2));
    assert_eq!(roll_bps(&s1), roll_bps(&s1));
    // The candidate order does not matter.
    let mut rev = c;
    rev.reverse();
    assert_eq!(sample(&s1, &c, 3), sample(&s1, &rev, 3));
    // Height, job and parent all enter the seed.
    let s2 = seed(&Hash::keccak(b"parent"), 8, 3);
    let s3 = seed(&Hash::keccak(b"parent"), 7, 4);
    let s4 = seed(&Hash::keccak(b"other"), 7, 3);
    assert!(s1 != s2 && s1 != s3 && s1 != s4);
}

/// |hits − n·q| < 6σ for a binomial(n, q = num/den), in integers:
/// (hits − n·num/den)² · den² < 36 · n · num · (den − num).
fn within_six_sigma(hits: u64, n: u64, num: u64, den: u64) -> bool {
    let dev = i128::from(hits) * i128::from(den) - i128::from(n) * i128::from(num);
    dev * dev < 36 * i128::from(n) * i128::from(num) * i128::from(den - num)
}

#[test]
fn spot_check_frequency_is_p_within_a_wide_bound() {
    // 20 000 jobs at p = 10%: mean 2 000, σ ≈ 42; accept ±6σ.
    let n = 20_000u64;
    for p in [1_000u32, 5_000] {
        let hits = (0..n)
            .filter(|j| roll_bps(&seed(&Hash::keccak(b"fixed"), 100, *j)) < p)
            .count() as u64;
        assert!(
            within_six_sigma(hits, n, u64::from(p), 10_000),
            "p {p}: {hits} hits of {n}"
        );
    }
    for j in 0..1_000 {
        assert!(roll_bps(&seed(&Hash::ZERO, 1, j)) < 10_000);
    }
}

#[test]
fn draws_are_weighted_by_stake() {
    // Weights 1 : 3 → the heavy one is drawn about 75% of the time.
    let c = [(a(1), 100), (a(2), 300)];
    let n = 8_000u64;
    let heavy = (0..n)
        .filter(|j| sample(&seed(&Hash::ZERO, 1, *j), &c, 1) == vec![a(2)])
        .count() as u64;
    assert!(within_six_sigma(heavy, n, 3, 4), "{heavy} of {n}");
    // Zero weight is never drawn.
    let z = [(a(1), 0), (a(2), 5)];
    for j in 0..200 {
        assert_eq!(sample(&seed(&Hash::ZERO, 2, j), &z, 2), vec![a(2)]);
    }
}

proptest! {
    #[test]
    fn sampling_is_without_replacement_and_bounded(
        weights in proptest::collection::vec(1u128..1_000_000, 0..12),
        k in 0u32..16,
        s in any::<[u8; 32]>(),
    ) {
        let c: Vec<(Address, u128)> =
            weights.iter().enumerate().map(|(i, w)| (a(i as u8), *w)).collect();
        let got = sample(&Hash(s), &c, k);
        prop_assert_eq!(got.len(), (k as usize).min(c.len()));
        let mut d = got.clone();
        d.sort();
        d.dedup();
        prop_assert_eq!(d.len(), got.len());
        prop_assert!(got.iter().all(|g| c.iter().any(|(x, _)| x == g)));
    }
}

fn job_with(verifiers: Vec<Address>, attested: Vec<Address>) -> Job {
    Job {
        id: 0,
        buyer: a(9),
        terms: JobTerms {
            spec_hash: Hash::ZERO,
            data_hashes: Vec::new(),
            token: TokenId(1),
            max_price: 1,
            escrow: 1,
            device_class: String::new(),
            min_cores: 0,
            min_memory_mb: 0,
            spot_check_bps: 10_000,
            challenge_window_ms: 1,
            bid_window_ms: 1,
            deadline_ms: 2,
        },
        bid_close: Timestamp(0),
        deadline: Timestamp(0),
        status: JobStatus::Committed,
        bids: Vec::new(),
        provider: Some(a(8)),
        price: 1,
        locked: 0,
        commit: None,
        disputes: Vec::new(),
        selection: Some(Selection {
            seed: Hash::ZERO,
            roll_bps: 0,
            checked: true,
            eligible_stake: 0,
            verifiers,
            attested,
        }),
    }
}

#[test]
fn fee_split_is_pool_over_drawn_per_attester_rounded_down() {
    // fee 1 000, share 20% → pool 200; 3 drawn → 66 each; 2 attested → 132 paid.
    let j = job_with(vec![a(1), a(2), a(3)], vec![a(1), a(3)]);
    assert_eq!(
        verifier_pay(&j, 1_000, 2_000).expect("fits"),
        (66, vec![a(1), a(3)])
    );
    // Nobody attested → nothing.
    let j = job_with(vec![a(1)], Vec::new());
    assert_eq!(
        verifier_pay(&j, 1_000, 2_000).expect("fits"),
        (0, Vec::new())
    );
    // One drawn, one attested, share 100% → the whole fee.
    let j = job_with(vec![a(1)], vec![a(1)]);
    assert_eq!(verifier_pay(&j, 7, 10_000).expect("fits"), (7, vec![a(1)]));
}
