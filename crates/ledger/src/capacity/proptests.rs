//! Property test: random sequences of the issue-6 transactions (mint, transfer, redeem,
//! commit, expire, pool swaps and liquidity, position transfers, bond/unbond, settle) on a dev
//! chain with two slots and a pool. Every block checks every ledger invariant (the test kit
//! does), including this module's and `position`'s; a failed transaction changes nothing but
//! the nonce. `VERITY_PROPTEST_CASES` raises the case count (default 24).

use super::tests::{Fx, H};
use super::*;
use crate::genesis::VTY;
use crate::market::{CommitArgs, JobTerms};
use crate::position::PositionTx;
use crate::treasury::testkit::{non_nonce_entries, ok};
use crate::tx::Payload;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Bond(usize, u128),
    Unbond(usize, u128),
    Mint(usize, usize, u128),
    Give(usize, usize, usize, u128),
    PostAndRedeem(usize, u128),
    Commit(usize),
    Expire(usize),
    Swap(usize, bool, u128),
    Add(usize, u128),
    Remove(usize, u128),
    MovePosition(usize, usize, usize),
    Settle(usize),
    Advance(u64),
}

fn who() -> impl Strategy<Value = usize> {
    1usize..5
}

fn op() -> impl Strategy<Value = Op> {
    let amt = prop_oneof![0u128..10, 1u128..(3 * H), Just(H)];
    prop_oneof![
        (who(), 0u128..(50 * VTY)).prop_map(|(w, a)| Op::Bond(w, a)),
        (who(), 0u128..(50 * VTY)).prop_map(|(w, a)| Op::Unbond(w, a)),
        (who(), 0usize..2, amt.clone()).prop_map(|(w, s, a)| Op::Mint(w, s, a)),
        (who(), who(), 0usize..2, amt.clone()).prop_map(|(f, t, s, a)| Op::Give(f, t, s, a)),
        (0usize..2, amt.clone()).prop_map(|(s, a)| Op::PostAndRedeem(s, a)),
        (0usize..8).prop_map(Op::Commit),
        (0usize..2).prop_map(Op::Expire),
        (who(), any::<bool>(), amt.clone()).prop_map(|(w, b, a)| Op::Swap(w, b, a)),
        (who(), amt.clone()).prop_map(|(w, a)| Op::Add(w, a)),
        (who(), 0u128..(100 * H)).prop_map(|(w, a)| Op::Remove(w, a)),
        (0usize..8, who(), who()).prop_map(|(j, f, t)| Op::MovePosition(j, f, t)),
        (0usize..8).prop_map(Op::Settle),
        (0u64..(40 * 60_000)).prop_map(Op::Advance),
    ]
}

fn cases() -> u32 {
    std::env::var("VERITY_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn invariants_hold_under_random_capacity_sequences(ops in prop::collection::vec(op(), 1..40)) {
        let mut f = Fx::new();
        // Slot 0 starts in 1 h, slot 1 in 3 h; a pool on slot 1 opened by account 1.
        let now = f.k.time;
        let starts = [(now / SLOT_MS + 1) * SLOT_MS, (now / SLOT_MS + 3) * SLOT_MS];
        f.start = starts[1];
        f.bond(1, 100 * VTY);
        ok(&f.mint(1, 5 * H));
        let usdc = f.usdc();
        ok(&f.k.send(1, Payload::MintAid { collateral: usdc, amount: 1_000 * 1_000_000 }));
        let t1 = f.token();
        let aid = 1_000_000_000_000_000_000u128;
        ok(&f.cap(1, CapacityTx::CreateCapacityPool {
            token: t1, par_price: 2 * aid, scalar_root: 20 * aid, initial_anchor: aid / 100 * 105,
            fee_bps: 30, capacity: 4 * H, quote: 5 * aid,
        }));
        let mut jobs: Vec<u64> = Vec::new();
        for o in ops {
            let token_of_slot = |f: &Fx, s: usize| token_of(&f.k.state, "H100", Timestamp(starts[s]))
                .expect("index").unwrap_or(TokenId(TOKEN_BASE + 99));
            let (sender, payload) = match o {
                Op::Bond(w, a) => (w, Payload::Bond { amount: a }),
                Op::Unbond(w, a) => (w, Payload::Unbond { amount: a }),
                Op::Mint(w, s, a) => (w, Payload::Capacity(CapacityTx::MintCapacity {
                    device_class: "H100".into(), slot_start: starts[s], amount: a })),
                Op::Give(fr, to, s, a) => (fr, Payload::Transfer {
                    to: f.k.addr(to), token: token_of_slot(&f, s), amount: a }),
                Op::PostAndRedeem(s, a) => {
                    let id = crate::market::job_count(&f.k.state).expect("count");
                    let r = f.k.send(2, Payload::PostJob(JobTerms {
                        spec_hash: Hash::keccak(b"s"), data_hashes: vec![], token: usdc,
                        max_price: 10, escrow: 10, device_class: "H100".into(), min_cores: 1,
                        min_memory_mb: 1, spot_check_bps: 0, challenge_window_ms: 1_000,
                        bid_window_ms: 100, deadline_ms: 20 * 60_000 }));
                    if r.is_success() { jobs.push(id); }
                    (2, Payload::Capacity(CapacityTx::RedeemCapacity {
                        job: id, token: token_of_slot(&f, s), amount: a }))
                }
                Op::Commit(j) => {
                    let job = jobs.get(j).copied().unwrap_or(999);
                    let p = crate::market::job(&f.k.state, job).ok().flatten()
                        .and_then(|j| j.provider);
                    let w = (1..5).find(|i| Some(f.k.addr(*i)) == p).unwrap_or(1);
                    (w, Payload::Commit { job, result: CommitArgs {
                        output_hash: Hash::keccak(b"o"), trace_root: Hash::keccak(b"t"),
                        steps: 2, ops_per_step: 2, receipt_version: 1 } })
                }
                Op::Expire(s) => (3, Payload::Capacity(CapacityTx::ExpireSlot {
                    token: token_of_slot(&f, s) })),
                Op::Swap(w, buy, a) => (w, Payload::Capacity(CapacityTx::SwapCapacity {
                    token: t1, buy, capacity: a, limit: if buy { u128::MAX } else { 0 },
                    deadline: u64::MAX })),
                Op::Add(w, a) => (w, Payload::Capacity(CapacityTx::AddCapacityLiquidity {
                    token: t1, capacity_max: a, quote_max: u128::MAX, min_lp: 0,
                    deadline: u64::MAX })),
                Op::Remove(w, a) => (w, Payload::Capacity(CapacityTx::RemoveCapacityLiquidity {
                    token: t1, lp: a, min_capacity: 0, min_quote: 0, deadline: u64::MAX })),
                Op::MovePosition(j, fr, to) => (fr, Payload::Position(PositionTx::TransferPosition {
                    job: jobs.get(j).copied().unwrap_or(999), to: f.k.addr(to) })),
                Op::Settle(j) => (4, Payload::Settle { job: jobs.get(j).copied().unwrap_or(999) }),
                Op::Advance(ms) => { f.k.advance(ms); continue; }
            };
            let before = non_nonce_entries(&f.k.state);
            let r = f.k.send(sender, payload);
            if !r.is_success() {
                prop_assert!(r.events.is_empty());
                prop_assert_eq!(non_nonce_entries(&f.k.state), before);
            }
        }
        // Run every slot out and expire it: no capacity token or lock may remain.
        f.k.advance(4 * SLOT_MS);
        for start in starts {
            let t = token_of(&f.k.state, "H100", Timestamp(start)).expect("index");
            if let Some(t) = t
                && !load(&f.k.state, t).expect("slot").expired
            {
                ok(&f.cap(3, CapacityTx::ExpireSlot { token: t }));
            }
        }
        for i in 1..5 {
            prop_assert_eq!(locked(&f.k.state, &f.k.addr(i)).expect("reads"), 0);
        }
        for sl in slots(&f.k.state).expect("slots") {
            prop_assert_eq!(f.k.state.token(sl.token).expect("token").supply, 0);
        }
    }
}
