//! Property test: random sequences of the issue-6 transactions (asset registration, transfer,
//! attestation, challenge, job binding, financing propose/approve/repay/default, energy
//! attestation, green requirement, energy report) interleaved with the market's job lifecycle,
//! vault deposits and time jumps. After every block every ledger invariant holds (the kit checks
//! them), a failed transaction emits nothing, and the vault's share price never falls unless a
//! loss was recorded in that block.
//!
//! `VERITY_PROPTEST_CASES` raises the case count (default 12).

use super::tests::{AID, BUYER, OP, OP2, SAVER, V0, V1, V2, World, set_params, spec, terms};
use super::*;
use crate::green::{GreenTx, Subject};
use crate::market::CommitArgs;
use crate::receipt::TxStatus;
use crate::tx::Payload;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Register(u8),
    Attest(u8, u8, u8),
    Challenge(u8, u8, u8),
    Transfer(u8, u8),
    Propose(u8, u16, u16),
    Approve(u8),
    Repay(u8, u16),
    Default(u8),
    Energy(u8, u16, u16),
    Require(u8, u16),
    Post(u8, u16),
    Bid(u8, u8, u16),
    Bind(u8, u8, u8),
    Close(u8),
    Commit(u8, u8),
    Report(u8, u8, u32),
    Settle(u8),
    Expire(u8),
    Deposit(u16),
    Wait(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => any::<u8>().prop_map(Op::Register),
        3 => (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(a, b, c)| Op::Attest(a, b, c)),
        1 => (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(a, b, c)| Op::Challenge(a, b, c)),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Transfer(a, b)),
        2 => (any::<u8>(), any::<u16>(), any::<u16>()).prop_map(|(a, b, c)| Op::Propose(a, b, c)),
        2 => any::<u8>().prop_map(Op::Approve),
        1 => (any::<u8>(), any::<u16>()).prop_map(|(a, b)| Op::Repay(a, b)),
        1 => any::<u8>().prop_map(Op::Default),
        1 => (any::<u8>(), any::<u16>(), any::<u16>()).prop_map(|(a, b, c)| Op::Energy(a, b, c)),
        1 => (any::<u8>(), any::<u16>()).prop_map(|(a, b)| Op::Require(a, b)),
        3 => (any::<u8>(), any::<u16>()).prop_map(|(a, b)| Op::Post(a, b)),
        3 => (any::<u8>(), any::<u8>(), any::<u16>()).prop_map(|(a, b, c)| Op::Bid(a, b, c)),
        2 => (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(a, b, c)| Op::Bind(a, b, c)),
        2 => any::<u8>().prop_map(Op::Close),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Commit(a, b)),
        2 => (any::<u8>(), any::<u8>(), any::<u32>()).prop_map(|(a, b, c)| Op::Report(a, b, c)),
        2 => any::<u8>().prop_map(Op::Settle),
        1 => any::<u8>().prop_map(Op::Expire),
        1 => any::<u16>().prop_map(Op::Deposit),
        2 => (1u32..40_000_000).prop_map(Op::Wait),
    ]
}

const PROVIDERS: [usize; 2] = [OP, OP2];
const VALIDATORS: [usize; 3] = [V0, V1, V2];

fn pick<T: Copy>(xs: &[T], i: u8) -> T {
    xs[usize::from(i) % xs.len()]
}

/// Share price as a fraction (assets + 1, supply + 10^offset), ERC-4626 virtual amounts.
fn price(w: &World) -> (u128, u128) {
    let t = crate::vault::totals(&w.kit.state).expect("vault");
    (t.assets + 1, t.supply + 10u128.pow(u32::from(t.offset)))
}

fn step(w: &mut World, op: &Op) -> Option<(usize, Payload)> {
    let n_assets = asset_count(&w.kit.state).expect("count").max(1);
    let n_jobs = crate::market::job_count(&w.kit.state)
        .expect("count")
        .max(1);
    let asset = |i: u8| u64::from(i) % (n_assets + 1);
    let job = |i: u8| u64::from(i) % (n_jobs + 1);
    let aid = w.aid;
    Some(match *op {
        Op::Register(i) => (
            pick(&PROVIDERS, i),
            Payload::Assets(AssetTx::Register(spec(&format!("s{i}")))),
        ),
        Op::Attest(v, a, k) => {
            let claim = match k % 3 {
                0 => ClaimKind::Existence,
                1 => ClaimKind::Operation,
                _ => ClaimKind::Performance { job: job(k) },
            };
            (
                pick(&VALIDATORS, v),
                Payload::Assets(AssetTx::Attest {
                    asset: asset(a),
                    claim,
                }),
            )
        }
        Op::Challenge(a, c, j) => (
            SAVER,
            Payload::Assets(AssetTx::Challenge {
                asset: asset(a),
                claim: u32::from(c % 4),
                job: job(j),
            }),
        ),
        Op::Transfer(a, to) => (
            pick(&PROVIDERS, a),
            Payload::Assets(AssetTx::Transfer {
                asset: asset(a),
                to: w.a(pick(&PROVIDERS, to)),
            }),
        ),
        Op::Propose(a, p, s) => (
            pick(&PROVIDERS, a),
            Payload::Assets(AssetTx::ProposeFinancing {
                asset: asset(a),
                principal: u128::from(p) * AID / 8,
                share_bps: u32::from(s % 10_001),
                term_ms: u64::from(s) * 10_000,
            }),
        ),
        Op::Approve(d) => (
            SAVER,
            Payload::Assets(AssetTx::ApproveFinancing {
                deal: u64::from(d % 4),
            }),
        ),
        Op::Repay(d, x) => (
            pick(&PROVIDERS, d),
            Payload::Assets(AssetTx::RepayFinancing {
                deal: u64::from(d % 4),
                amount: u128::from(x) * AID / 16,
            }),
        ),
        Op::Default(d) => (
            BUYER,
            Payload::Assets(AssetTx::DefaultFinancing {
                deal: u64::from(d % 4),
            }),
        ),
        Op::Energy(s, g, i) => {
            let subject = if s % 2 == 0 {
                Subject::Provider(w.a(pick(&PROVIDERS, s)))
            } else {
                Subject::Asset(asset(s))
            };
            let k = crate::genesis::dev_secret_named("energy");
            let r = w.kit.send_key(
                &k,
                Payload::Green(GreenTx::Attest {
                    subject,
                    green_bps: u32::from(g % 10_001),
                    intensity_g_per_kwh: u32::from(i % 1_000),
                }),
            );
            if let TxStatus::Failed { .. } = r.status {
                assert!(r.events.is_empty());
            }
            return None;
        }
        Op::Require(j, g) => (
            BUYER,
            Payload::Green(GreenTx::Require {
                job: job(j),
                min_green_bps: u32::from(g % 10_001),
            }),
        ),
        Op::Post(t, p) => {
            let token = if t % 2 == 0 { aid } else { w.kit.token("USDC") };
            let price = u128::from(p).max(1) * if t % 2 == 0 { AID / 1_000 } else { 1 };
            (BUYER, Payload::PostJob(terms(token, price)))
        }
        Op::Bid(p, j, x) => (
            pick(&PROVIDERS, p),
            Payload::Bid {
                job: job(j),
                price: u128::from(x).max(1),
            },
        ),
        Op::Bind(p, j, a) => (
            pick(&PROVIDERS, p),
            Payload::Assets(AssetTx::BindJob {
                job: job(j),
                asset: asset(a),
            }),
        ),
        Op::Close(j) => (BUYER, Payload::CloseBidding { job: job(j) }),
        Op::Commit(p, j) => (
            pick(&PROVIDERS, p),
            Payload::Commit {
                job: job(j),
                result: CommitArgs {
                    output_hash: Hash::keccak(b"o"),
                    trace_root: Hash::keccak(b"t"),
                    steps: 2,
                    ops_per_step: 2,
                    receipt_version: 1,
                },
            },
        ),
        Op::Report(p, j, x) => (
            pick(&PROVIDERS, p),
            Payload::Green(GreenTx::Report {
                job: job(j),
                power_mw: u64::from(x % 800_000),
                run_ms: u64::from(x % 50_000),
            }),
        ),
        Op::Settle(j) => (BUYER, Payload::Settle { job: job(j) }),
        Op::Expire(j) => (BUYER, Payload::Expire { job: job(j) }),
        Op::Deposit(x) => (
            SAVER,
            Payload::VaultDeposit {
                assets: u128::from(x).max(1) * AID / 4,
                min_shares: 0,
            },
        ),
        Op::Wait(ms) => {
            w.kit.advance(u64::from(ms));
            return None;
        }
    })
}

fn cases() -> u32 {
    std::env::var("VERITY_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_asset_green_and_finance_sequences_keep_invariants(ops in prop::collection::vec(op(), 1..60)) {
        let mut w = World::new();
        let manager = w.a(SAVER);
        set_params(&mut w, AssetParams { vault_manager: Some(manager), ..AssetParams::DEFAULT });
        crate::treasury::testkit::ok(&w.send(SAVER, Payload::VaultDeposit { assets: 5_000 * AID, min_shares: 0 }));
        for op in &ops {
            let before = price(&w);
            let losses0 = crate::vault::vault_state(&w.kit.state).expect("vault").losses;
            let Some((who, payload)) = step(&mut w, op) else { continue };
            let r = w.send(who, payload); // the kit checks every invariant after the block
            if let TxStatus::Failed { .. } = r.status {
                prop_assert!(r.events.is_empty(), "failed tx emitted events: {r:?}");
            }
            let after = price(&w);
            let losses1 = crate::vault::vault_state(&w.kit.state).expect("vault").losses;
            // after < before  ⇔  after.0 · before.1 < before.0 · after.1
            let m = |a: u128, b: u128| alloy_primitives::U256::from(a) * alloy_primitives::U256::from(b);
            let fell = m(after.0, before.1) < m(before.0, after.1);
            prop_assert!(!fell || losses1 > losses0, "share price fell without a recorded loss on {op:?}");
        }
    }
}
