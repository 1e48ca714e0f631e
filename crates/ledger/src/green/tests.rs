//! Green tests on the dev genesis: SCI figures of three jobs equal hand-computed values (module
//! doc formula), energy reports are bounded by the device and the wall time, a job requiring
//! 80% green is never matched to a 50% green provider, and the green compute index of an epoch.

use super::*;
use crate::assets::AssetTx;
use crate::assets::tests::{BUYER, OP, OP2, World};
use crate::market::{CommitArgs, JobStatus};
use crate::treasury::testkit::{err, ok};
use crate::tx::Payload;
use verity_primitives::Hash;

fn commit_after(w: &mut World, op: usize, job: u64, ms: u64) {
    w.kit.advance(ms);
    ok(&w.send(
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

fn report(w: &mut World, op: usize, job: u64, power_mw: u64, run_ms: u64) -> crate::Receipt {
    w.green_tx(
        op,
        GreenTx::Report {
            job,
            power_mw,
            run_ms,
        },
    )
}

fn energy(w: &World, job: u64) -> JobEnergy {
    job_energy(&w.kit.state, job)
        .expect("read")
        .expect("reported")
}

#[test]
fn sci_formula_matches_hand_computed_values() {
    // 700 W for one hour at 400 g/kWh: 0.7 kWh → 280 g; embodied 150 kg over 43 800 h → 3.4247 g.
    let a = sci(700_000, 3_600_000, 400, 150_000, 43_800).expect("sci");
    assert_eq!(
        (a.energy_mwh, a.operational_mg, a.embodied_mg, a.sci_mg),
        (700_000, 280_000, 3_425, 283_425)
    );
    assert_eq!(sci(0, 0, 0, 0, 0).expect("zero").sci_mg, 0);
    // Extreme inputs within the attested bounds do not overflow.
    assert!(sci(u64::MAX, u64::MAX, MAX_INTENSITY, u64::MAX, 1).is_ok());
}

#[test]
fn sci_of_three_jobs_equals_hand_computed_values() {
    let mut w = World::new();
    let usdc = w.kit.token("USDC");
    let asset = w.active_asset(OP, "gpu-g");
    w.attest_energy(Subject::Asset(asset), 5_000, 400);
    let op2 = w.a(OP2);
    w.attest_energy(Subject::Provider(op2), 9_000, 50);
    // Job 1: the asset at its rated 700 W for one hour.
    let j1 = w.assigned_job(OP, Some(asset), usdc, 3_000_000);
    commit_after(&mut w, OP, j1, 3_600_000);
    ok(&report(&mut w, OP, j1, 700_000, 3_600_000));
    // Job 2: 350.5 W for 1 800 001 ms.
    let j2 = w.assigned_job(OP, Some(asset), usdc, 1_000_001);
    commit_after(&mut w, OP, j2, 1_800_001);
    // Bounds: more than the rated power or the wall time is refused.
    assert!(err(&report(&mut w, OP, j2, 700_001, 1_000)).contains("rated power"));
    assert!(err(&report(&mut w, OP, j2, 1_000, 1_900_000)).contains("run time"));
    assert!(err(&report(&mut w, OP2, j2, 1_000, 1_000)).contains("provider"));
    ok(&report(&mut w, OP, j2, 350_500, 1_800_001));
    assert!(err(&report(&mut w, OP, j2, 1_000, 1_000)).contains("already reported"));
    // Job 3: OP2 on no registered asset (no embodied share), 250 W for ten minutes.
    let j3 = w.assigned_job(OP2, None, usdc, 700_000);
    commit_after(&mut w, OP2, j3, 600_000);
    ok(&report(&mut w, OP2, j3, 250_000, 600_000));
    let got: Vec<(u128, u128, u128, u128, u32)> = [j1, j2, j3]
        .iter()
        .map(|j| {
            let e = energy(&w, *j);
            (
                e.sci.energy_mwh,
                e.sci.operational_mg,
                e.sci.embodied_mg,
                e.sci.sci_mg,
                e.green_bps,
            )
        })
        .collect();
    // By hand: E = ⌈P·t/3.6e6⌉ mWh, O = ⌈E·I/1000⌉ mg, M = ⌈TE·1000·t/(LT·3.6e6)⌉ mg.
    // Job 2: P·t = 630 900 350 500 → E = 175 251; O = ⌈70 100.4⌉ = 70 101;
    //        M = ⌈270 000 150 000 000 / 157 680 000 000⌉ = ⌈1 712.33⌉ = 1 713.
    // Job 3: E = ⌈41 666.7⌉ = 41 667; O = ⌈2 083.35⌉ = 2 084; M = 0.
    assert_eq!(
        got,
        vec![
            (700_000, 280_000, 3_425, 283_425, 5_000),
            (175_251, 70_101, 1_713, 71_814, 5_000),
            (41_667, 2_084, 0, 2_084, 9_000),
        ]
    );
    // Certificates never lower SCI: the same job at 100% green has the same carbon.
    w.attest_energy(Subject::Provider(op2), 10_000, 50);
    let j4 = w.assigned_job(OP2, None, usdc, 700_000);
    commit_after(&mut w, OP2, j4, 600_000);
    ok(&report(&mut w, OP2, j4, 250_000, 600_000));
    assert_eq!(energy(&w, j4).sci, energy(&w, j3).sci);
    assert_eq!(energy(&w, j4).green_bps, 10_000);

    // Green compute index: settle jobs 1–3 (j4 stays unsettled).
    for j in [j1, j2, j3] {
        w.settle(j);
    }
    let epochs: Vec<u64> = [j1, j2, j3]
        .iter()
        .map(|j| energy(&w, *j).epoch.expect("settled"))
        .collect();
    assert!(
        epochs.iter().all(|e| *e == epochs[0]),
        "one epoch: {epochs:?}"
    );
    let e = index_entry(&w.kit.state, epochs[0], usdc)
        .expect("read")
        .expect("entry");
    // green ms: 1 800 000 + 900 000 + 540 000; green value: 1 500 000 + 500 000 + 630 000.
    assert_eq!((e.jobs, e.gpu_ms), (3, 3_600_000 + 1_800_001 + 600_000));
    assert_eq!((e.green_ms, e.green_value), (3_240_000, 2_630_000));
    // ⌊2 630 000 · 3 600 000 / 3 240 000⌋ = 2 922 222 USDC base units per green GPU-hour.
    assert_eq!(e.index(), Some(2_922_222));
}

#[test]
fn a_job_requiring_80_percent_green_is_never_matched_to_a_50_percent_provider() {
    let mut w = World::new();
    let usdc = w.kit.token("USDC");
    let (op, op2) = (w.a(OP), w.a(OP2));
    w.attest_energy(Subject::Provider(op), 5_000, 300);
    w.attest_energy(Subject::Provider(op2), 8_500, 300);
    // Only the buyer, only before bids.
    let job = w.post(usdc, 1_000);
    assert!(
        err(&w.green_tx(
            OP,
            GreenTx::Require {
                job,
                min_green_bps: 8_000
            }
        ))
        .contains("buyer")
    );
    assert!(
        err(&w.green_tx(
            BUYER,
            GreenTx::Require {
                job,
                min_green_bps: 10_001
            }
        ))
        .contains("10000")
    );
    for (k, (cheap, dear)) in [(1u128, 1_000u128), (10, 11), (999, 1_000), (500, 500)]
        .into_iter()
        .enumerate()
    {
        let job = if k == 0 { job } else { w.post(usdc, 1_000) };
        ok(&w.green_tx(
            BUYER,
            GreenTx::Require {
                job,
                min_green_bps: 8_000,
            },
        ));
        ok(&w.send(OP, Payload::Bid { job, price: cheap }));
        ok(&w.send(OP2, Payload::Bid { job, price: dear }));
        w.close(job);
        let j = crate::market::job(&w.kit.state, job)
            .expect("r")
            .expect("job");
        assert_eq!(j.provider, Some(op2), "case {k}: the 85% provider wins");
    }
    // With only the 50% bidder the job stays unmatched.
    let job = w.post(usdc, 1_000);
    ok(&w.green_tx(
        BUYER,
        GreenTx::Require {
            job,
            min_green_bps: 8_000,
        },
    ));
    ok(&w.send(OP, Payload::Bid { job, price: 1 }));
    assert!(
        err(&w.green_tx(
            BUYER,
            GreenTx::Require {
                job,
                min_green_bps: 0
            }
        ))
        .contains("bids")
    );
    w.close(job);
    let j = crate::market::job(&w.kit.state, job)
        .expect("r")
        .expect("job");
    assert_eq!((j.status, j.provider), (JobStatus::Open, None));
    // An asset-level attestation counts for jobs bound to that asset.
    let asset = w.active_asset(OP, "gpu-green");
    w.attest_energy(Subject::Asset(asset), 9_000, 20);
    let job = w.post(usdc, 1_000);
    ok(&w.green_tx(
        BUYER,
        GreenTx::Require {
            job,
            min_green_bps: 8_000,
        },
    ));
    ok(&w.send(OP, Payload::Bid { job, price: 5 }));
    ok(&w.asset_tx(OP, AssetTx::BindJob { job, asset }));
    w.close(job);
    let j = crate::market::job(&w.kit.state, job)
        .expect("r")
        .expect("job");
    assert_eq!(j.provider, Some(op));
}

#[test]
fn only_energy_reporters_attest_and_values_are_bounded() {
    let mut w = World::new();
    let op = w.a(OP);
    assert!(
        err(&w.green_tx(
            OP,
            GreenTx::Attest {
                subject: Subject::Provider(op),
                green_bps: 10_000,
                intensity_g_per_kwh: 0
            }
        ))
        .contains("not a reporter")
    );
    let k = crate::genesis::dev_secret_named("energy");
    let r = w.kit.send_key(
        &k,
        Payload::Green(GreenTx::Attest {
            subject: Subject::Provider(op),
            green_bps: 10_001,
            intensity_g_per_kwh: 0,
        }),
    );
    assert!(err(&r).contains("10000"));
    let r = w.kit.send_key(
        &k,
        Payload::Green(GreenTx::Attest {
            subject: Subject::Asset(99),
            green_bps: 1,
            intensity_g_per_kwh: 1,
        }),
    );
    assert!(err(&r).contains("no asset"));
    // Without an attestation a job's energy cannot be reported.
    let usdc = w.kit.token("USDC");
    let job = w.assigned_job(OP, None, usdc, 100);
    commit_after(&mut w, OP, job, 5_000);
    assert!(err(&report(&mut w, OP, job, 1_000, 1_000)).contains("no energy attestation"));
    assert!(err(&report(&mut w, OP, job, 1_000_001, 1_000)).contains("rated power"));
}
