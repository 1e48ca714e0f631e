//! Tests of GPU assets, attestation challenges and vault financing on the dev genesis (one
//! transaction per block, every invariant checked after each): the vault's total assets rise by
//! exactly the financier share of each settled job on a financed asset; a default writes down
//! exactly the principal outstanding; a refuted claim slashes every attester and only them.

use super::*;
use crate::green::{GreenTx, Subject};
use crate::market::{CommitArgs, JobStatus, JobTerms};
use crate::receipt::Receipt;
use crate::treasury::testkit::{Kit, err, ok};
use crate::tx::Payload;
use verity_primitives::TokenId;

/// One whole AID (18 decimals).
pub(crate) const AID: u128 = 1_000_000_000_000_000_000;
/// Genesis validator.
pub(crate) const V0: usize = 0;
/// Second validator (registered and bonded by [`World::new`]).
pub(crate) const V1: usize = 1;
/// Operator / provider.
pub(crate) const OP: usize = 2;
/// Buyer.
pub(crate) const BUYER: usize = 3;
/// Vault depositor, challenger.
pub(crate) const SAVER: usize = 4;
/// Third validator (registered, bonded, attests only what a test says).
pub(crate) const V2: usize = 5;
/// Second provider.
pub(crate) const OP2: usize = 6;

/// A dev chain with validators, AID for everyone and an `ENERGY` oracle feed.
pub(crate) struct World {
    pub kit: Kit,
    pub aid: TokenId,
}

impl World {
    pub(crate) fn new() -> World {
        let energy = crate::genesis::dev_address_named("energy");
        let mut kit = Kit::with(7, |g| {
            g.oracle.push(crate::oracle::GenesisFeed {
                name: crate::green::ENERGY_FEED.into(),
                reporters: vec![energy],
                max_age_ms: crate::oracle::DEFAULT_MAX_AGE_MS,
                initial: None,
            });
        });
        let aid = kit.token("AID");
        let usdc = kit.token("USDC");
        for i in 0..7 {
            ok(&kit.send(
                i,
                Payload::MintAid {
                    collateral: usdc,
                    amount: 100_000 * 1_000_000,
                },
            ));
        }
        for v in [V1, V2] {
            ok(&kit.send(
                v,
                Payload::RegisterActor {
                    kind: crate::identity::ActorKind::Validator,
                    metadata: String::new(),
                },
            ));
            ok(&kit.send(
                v,
                Payload::Bond {
                    amount: 10_000 * AID,
                },
            ));
        }
        for p in [OP, OP2] {
            ok(&kit.send(
                p,
                Payload::Bond {
                    amount: 10_000 * AID,
                },
            ));
        }
        World { kit, aid }
    }

    pub(crate) fn a(&self, i: usize) -> Address {
        self.kit.addr(i)
    }

    pub(crate) fn send(&mut self, i: usize, p: Payload) -> Receipt {
        self.kit.send(i, p)
    }

    pub(crate) fn asset_tx(&mut self, i: usize, t: AssetTx) -> Receipt {
        self.kit.send(i, Payload::Assets(t))
    }

    pub(crate) fn green_tx(&mut self, i: usize, t: GreenTx) -> Receipt {
        self.kit.send(i, Payload::Green(t))
    }

    /// Attest energy as the ENERGY reporter.
    pub(crate) fn attest_energy(&mut self, subject: Subject, green_bps: u32, intensity: u32) {
        let k = crate::genesis::dev_secret_named("energy");
        ok(&self.kit.send_key(
            &k,
            Payload::Green(GreenTx::Attest {
                subject,
                green_bps,
                intensity_g_per_kwh: intensity,
            }),
        ));
    }

    /// Register an asset for `op` (serial from `tag`) and confirm its existence by V0 and V1.
    pub(crate) fn active_asset(&mut self, op: usize, tag: &str) -> u64 {
        let id = asset_count(&self.kit.state).expect("count");
        ok(&self.asset_tx(op, AssetTx::Register(spec(tag))));
        for v in [V0, V1] {
            ok(&self.asset_tx(
                v,
                AssetTx::Attest {
                    asset: id,
                    claim: ClaimKind::Existence,
                },
            ));
        }
        assert_eq!(self.asset(id).status, AssetStatus::Active);
        id
    }

    pub(crate) fn asset(&self, id: u64) -> Asset {
        asset(&self.kit.state, id).expect("read").expect("exists")
    }

    /// Post a job paid in `token` (no spot checks); returns its id.
    pub(crate) fn post(&mut self, token: TokenId, max_price: u128) -> u64 {
        let id = crate::market::job_count(&self.kit.state).expect("count");
        ok(&self.send(BUYER, Payload::PostJob(terms(token, max_price))));
        id
    }

    /// Close bidding after the window.
    pub(crate) fn close(&mut self, job: u64) {
        self.kit.advance(1_000);
        ok(&self.send(BUYER, Payload::CloseBidding { job }));
    }

    /// Commit for `op`.
    pub(crate) fn commit(&mut self, op: usize, job: u64) {
        self.kit.advance(10_000);
        ok(&self.send(
            op,
            Payload::Commit {
                job,
                result: CommitArgs {
                    output_hash: Hash::keccak(b"out"),
                    trace_root: Hash::keccak(b"trace"),
                    steps: 4,
                    ops_per_step: 4,
                    receipt_version: 1,
                },
            },
        ));
    }

    /// Settle after the challenge window.
    pub(crate) fn settle(&mut self, job: u64) -> Receipt {
        self.kit.advance(2_000);
        let r = self.send(BUYER, Payload::Settle { job });
        ok(&r);
        r
    }

    /// Post, bid by `op` with `asset`, match: returns the job id.
    pub(crate) fn assigned_job(
        &mut self,
        op: usize,
        asset: Option<u64>,
        token: TokenId,
        price: u128,
    ) -> u64 {
        let job = self.post(token, price);
        ok(&self.send(op, Payload::Bid { job, price }));
        if let Some(a) = asset {
            ok(&self.asset_tx(op, AssetTx::BindJob { job, asset: a }));
        }
        self.close(job);
        job
    }

    pub(crate) fn vault_total(&self) -> u128 {
        crate::vault::totals(&self.kit.state).expect("vault").assets
    }
}

/// A device spec: 700 W, 80 GB, 150 kgCO2e embodied over 5 years.
pub(crate) fn spec(tag: &str) -> AssetSpec {
    AssetSpec {
        model: "H100-SXM5-80GB".into(),
        memory_mb: 81_920,
        serial_hash: Hash::keccak(tag.as_bytes()),
        location: "eu-north".into(),
        max_power_mw: 700_000,
        embodied_gco2e: 150_000,
        lifetime_hours: 43_800,
    }
}

/// Terms of a small job in `token`: bid window 500 ms, deadline 8 h, challenge window 1 s.
pub(crate) fn terms(token: TokenId, max_price: u128) -> JobTerms {
    JobTerms {
        spec_hash: Hash::keccak(b"spec"),
        data_hashes: vec![],
        token,
        max_price,
        escrow: max_price,
        device_class: "gpu".into(),
        min_cores: 1,
        min_memory_mb: 1,
        spot_check_bps: 0,
        challenge_window_ms: 1_000,
        bid_window_ms: 500,
        deadline_ms: 28_800_000,
    }
}

fn finance_events(r: &Receipt) -> Vec<finance::FinanceEvent> {
    r.events
        .iter()
        .filter_map(|e| match e {
            Event::Asset(AssetEvent::Finance(f)) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

/// Set the module parameters directly (what an executed governance proposal does).
pub(crate) fn set_params(w: &mut World, p: AssetParams) {
    let st = &w.kit.state;
    let ws = {
        let mut ex = Exec::new(st, st.height(), st.time());
        put_params(&mut ex, &p);
        ex.commit_tx();
        ex.into_write_set()
    };
    w.kit.state.commit(&ws).expect("commit");
}

/// A financed asset of OP: vault holds 10 000 AID from SAVER, deal of `principal` at 20%.
fn financed(w: &mut World, principal: u128) -> (u64, u64) {
    ok(&w.send(
        SAVER,
        Payload::VaultDeposit {
            assets: 10_000 * AID,
            min_shares: 0,
        },
    ));
    let asset = w.active_asset(OP, "gpu-1");
    ok(&w.asset_tx(
        OP,
        AssetTx::ProposeFinancing {
            asset,
            principal,
            share_bps: 2_000,
            term_ms: 30 * 86_400_000,
        },
    ));
    let deal = w.asset(asset).deal.expect("proposed deal");
    // Nobody approves before governance names a manager.
    assert!(err(&w.asset_tx(SAVER, AssetTx::ApproveFinancing { deal })).contains("vault manager"));
    let manager = w.a(SAVER);
    set_params(
        w,
        AssetParams {
            vault_manager: Some(manager),
            ..AssetParams::DEFAULT
        },
    );
    let before = w.vault_total();
    let op_before = w.kit.state.balance(w.a(OP), w.aid);
    ok(&w.asset_tx(SAVER, AssetTx::ApproveFinancing { deal }));
    assert_eq!(
        w.vault_total(),
        before,
        "deploying capital keeps total assets"
    );
    assert_eq!(w.kit.state.balance(w.a(OP), w.aid), op_before + principal);
    (asset, deal)
}

#[test]
fn settled_jobs_on_a_financed_asset_raise_total_assets_by_exactly_the_financier_share() {
    let mut w = World::new();
    let (asset, deal) = financed(&mut w, 500 * AID);
    let fee_bps = u128::from(crate::market::params(&w.kit.state).expect("params").fee_bps);
    let aid = w.aid;
    for (k, price) in [(0u32, 100 * AID), (1, 37 * AID + 3), (2, 1_234_567)].into_iter() {
        let job = w.assigned_job(OP, Some(asset), aid, price);
        assert_eq!(
            job_asset(&w.kit.state, job).expect("read"),
            Some(asset),
            "job {k}"
        );
        w.commit(OP, job);
        let total0 = w.vault_total();
        let op0 = w.kit.state.balance(w.a(OP), aid);
        let r = w.settle(job);
        let fee = (price * fee_bps).div_ceil(10_000);
        let paid = price - fee;
        let share = (paid * 2_000).div_ceil(10_000);
        assert_eq!(
            w.vault_total(),
            total0 + share,
            "job {k}: total assets rise by the share"
        );
        assert_eq!(
            w.kit.state.balance(w.a(OP), aid),
            op0 + paid - share,
            "job {k}"
        );
        assert_eq!(
            finance_events(&r),
            vec![finance::FinanceEvent::RevenueShared {
                deal,
                job,
                amount: share
            }]
        );
    }
    // A job on the same provider without the asset pays no share.
    let job = w.assigned_job(OP, None, aid, 50 * AID);
    w.commit(OP, job);
    let total0 = w.vault_total();
    w.settle(job);
    assert_eq!(w.vault_total(), total0);
    // A financed asset refuses jobs paid in another token.
    let usdc = w.kit.token("USDC");
    let job = w.post(usdc, 1_000);
    ok(&w.send(OP, Payload::Bid { job, price: 900 }));
    assert!(err(&w.asset_tx(OP, AssetTx::BindJob { job, asset })).contains("financed"));
}

#[test]
fn default_writes_down_exactly_the_principal_outstanding_and_repay_keeps_total_assets() {
    let mut w = World::new();
    let (asset, deal) = financed(&mut w, 500 * AID);
    let t0 = w.vault_total();
    ok(&w.asset_tx(
        OP,
        AssetTx::RepayFinancing {
            deal,
            amount: 120 * AID,
        },
    ));
    assert_eq!(w.vault_total(), t0, "repayment moves deployed back to idle");
    assert!(err(&w.asset_tx(OP, AssetTx::DefaultFinancing { deal })).contains("term runs until"));
    assert!(
        err(&w.asset_tx(
            OP,
            AssetTx::RepayFinancing {
                deal,
                amount: 381 * AID
            }
        ))
        .contains("outstanding")
    );
    w.kit.advance(30 * 86_400_000);
    let losses0 = crate::vault::vault_state(&w.kit.state)
        .expect("vault")
        .losses;
    let r = w.asset_tx(SAVER, AssetTx::DefaultFinancing { deal });
    ok(&r);
    assert_eq!(
        w.vault_total(),
        t0 - 380 * AID,
        "exactly the outstanding principal"
    );
    let v = crate::vault::vault_state(&w.kit.state).expect("vault");
    assert_eq!(v.losses, losses0 + 380 * AID);
    assert!(r.events.contains(&Event::VaultLoss { amount: 380 * AID }));
    let d = finance::deal(&w.kit.state, deal)
        .expect("read")
        .expect("deal");
    assert_eq!(
        (d.status, d.written_off),
        (DealStatus::Defaulted, 380 * AID)
    );
    assert_eq!(w.asset(asset).deal, None);
    // Closed deals take no more action; the asset may be financed again.
    assert!(err(&w.asset_tx(OP, AssetTx::DefaultFinancing { deal })).contains("not active"));
}

#[test]
fn full_repayment_closes_the_deal() {
    let mut w = World::new();
    let (asset, deal) = financed(&mut w, 200 * AID);
    ok(&w.asset_tx(
        OP,
        AssetTx::RepayFinancing {
            deal,
            amount: 200 * AID,
        },
    ));
    let d = finance::deal(&w.kit.state, deal)
        .expect("read")
        .expect("deal");
    assert_eq!(d.status, DealStatus::Repaid);
    assert_eq!(w.asset(asset).deal, None);
    assert_eq!(
        crate::vault::vault_state(&w.kit.state).expect("v").deployed,
        0
    );
}

fn stakes(w: &World) -> Vec<u128> {
    (0..7)
        .map(|i| {
            crate::staking::stake_record(&w.kit.state, &w.a(i))
                .expect("stake")
                .total()
                .expect("total")
        })
        .collect()
}

#[test]
fn a_refuted_claim_slashes_every_attester_and_only_them() {
    let mut w = World::new();
    let usdc = w.kit.token("USDC");
    let asset = w.active_asset(OP, "gpu-x");
    ok(&w.asset_tx(
        V2,
        AssetTx::Attest {
            asset,
            claim: ClaimKind::Existence,
        },
    ));
    // Benchmark job: bound to the asset, attested to pass by V0 and V2, then never committed.
    let bench = w.assigned_job(OP, Some(asset), usdc, 1_000);
    for v in [V0, V2] {
        ok(&w.asset_tx(
            v,
            AssetTx::Attest {
                asset,
                claim: ClaimKind::Performance { job: bench },
            },
        ));
    }
    // Only staked validators attest; nobody attests twice.
    assert!(
        err(&w.asset_tx(
            SAVER,
            AssetTx::Attest {
                asset,
                claim: ClaimKind::Operation
            }
        ))
        .contains("not a staked validator")
    );
    assert!(
        err(&w.asset_tx(
            V0,
            AssetTx::Attest {
                asset,
                claim: ClaimKind::Performance { job: bench }
            }
        ))
        .contains("already attested")
    );
    let perf = 1u32;
    assert_eq!(
        attest::claim(&w.kit.state, asset, perf)
            .expect("read")
            .expect("claim")
            .attesters,
        vec![w.a(V0), w.a(V2)]
    );
    // Not yet evidence: the job is still assigned.
    assert!(
        err(&w.asset_tx(
            SAVER,
            AssetTx::Challenge {
                asset,
                claim: perf,
                job: bench
            }
        ))
        .contains("slashed or expired")
    );
    w.kit.advance(28_800_000);
    ok(&w.send(BUYER, Payload::Expire { job: bench }));
    // Existence claims are not refuted by jobs.
    assert!(
        err(&w.asset_tx(
            SAVER,
            AssetTx::Challenge {
                asset,
                claim: 0,
                job: bench
            }
        ))
        .contains("existence")
    );
    let before = stakes(&w);
    let bal0 = w.kit.state.balance(w.a(SAVER), TokenId(0));
    let r = w.asset_tx(
        SAVER,
        AssetTx::Challenge {
            asset,
            claim: perf,
            job: bench,
        },
    );
    ok(&r);
    let after = stakes(&w);
    let p = AssetParams::DEFAULT;
    let mut reward = 0;
    for i in 0..7 {
        if i == V0 || i == V2 {
            let cut = before[i] * u128::from(p.attest_slash_bps) / 10_000;
            assert_eq!(after[i], before[i] - cut, "attester {i} slashed");
            reward += cut * u128::from(p.challenge_reward_bps) / 10_000;
        } else {
            assert_eq!(
                after[i], before[i],
                "account {i} is no attester and keeps its stake"
            );
        }
    }
    assert_eq!(w.kit.state.balance(w.a(SAVER), TokenId(0)), bal0 + reward);
    assert_eq!(w.asset(asset).status, AssetStatus::Suspended);
    assert!(
        err(&w.asset_tx(
            SAVER,
            AssetTx::Challenge {
                asset,
                claim: perf,
                job: bench
            }
        ))
        .contains("already refuted")
    );
    // A new confirmed operation claim revives the asset.
    for v in [V1, V2] {
        ok(&w.asset_tx(
            v,
            AssetTx::Attest {
                asset,
                claim: ClaimKind::Operation,
            },
        ));
    }
    assert_eq!(w.asset(asset).status, AssetStatus::Active);
    assert_eq!(
        crate::market::job(&w.kit.state, bench)
            .expect("r")
            .expect("j")
            .status,
        JobStatus::Expired
    );
}
