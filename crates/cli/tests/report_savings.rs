//! Issue 8 item 2 end to end, with the real binary: `verity devnet` (agents on, one job) pays
//! provider-1 (dev account #2) for a job and its auto-savings policy converts half into TBILL;
//! then `verity --json report savings --address … --out x.png|x.svg` draws the chart and prints
//! figures that must agree with the node's own data at the same height:
//!
//! - the report route's `received` (in the job's token) equals what `GET /v1/providers/{address}` says it was paid
//!   (two separate computations: replayed `JobSettled` events vs settled jobs × fee in state);
//! - its `converted_out` TBILL equals the account's TBILL balance (conversions are the only way
//!   the provider gets TBILL in the devnet);
//! - the CLI's held and converted values equal those amounts priced at the day's prices;
//! - the files are a real PNG and SVG.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod common;

use std::time::{Duration, Instant};

use common::{NodeProc, get, run_json};
use serde_json::Value;

const PROVIDER_1: usize = 2;

fn amount_of(list: &Value, symbol: &str) -> u128 {
    list.as_array()
        .unwrap()
        .iter()
        .find(|a| a["symbol"] == symbol)
        .map_or(0, |a| a["amount"].as_str().unwrap().parse().unwrap())
}

fn price_of(day: &Value, symbol: &str) -> f64 {
    day["prices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["symbol"] == symbol)
        .map_or(0.0, |p| {
            p["usd"].as_str().unwrap().parse::<u128>().unwrap() as f64 / 1e18
        })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

#[test]
fn report_savings_agrees_with_the_node_after_a_provider_earns() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("devnet");
    let node = NodeProc::spawn(&[
        "--json",
        "devnet",
        "--data-dir",
        data.to_str().unwrap(),
        "--http",
        "127.0.0.1:0",
        "--job-interval-secs",
        "2",
        "--jobs",
        "1",
    ]);
    let (addr, _) = node.account(PROVIDER_1);
    let provider_path = format!("/v1/providers/{addr}");

    // Wait (bounded) for the one job to settle for provider-1.
    let t0 = Instant::now();
    loop {
        let (s, v) = get(&node.url, &provider_path);
        assert_eq!(s, 200, "{v}");
        if v["jobs"]["settled"].as_u64().unwrap() >= 1 {
            assert_eq!(v["actor"], "provider");
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(240),
            "provider-1 was not paid within 240 s: {v}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    // Read the report, the provider view and the account at one height (the devnet keeps
    // making blocks now and then: retry until all three agree on the height).
    let (report, provider, account) = (0..40)
        .find_map(|_| {
            let (_, r) = get(&node.url, &format!("/v1/report/savings/{addr}"));
            let (_, p) = get(&node.url, &provider_path);
            let (_, a) = get(&node.url, &format!("/v1/accounts/{addr}"));
            let h = r["height"].as_u64();
            if h.is_some() && h == p["height"].as_u64() && h == a["height"].as_u64() {
                Some((r, p, a))
            } else {
                std::thread::sleep(Duration::from_millis(300));
                None
            }
        })
        .expect("report, provider view and account at one height");
    let last = report["days"].as_array().unwrap().last().unwrap().clone();
    // The devnet buyer's payment token (VTY or AID, whichever the devnet genesis uses).
    let sym = last["received"][0]["symbol"].as_str().unwrap().to_string();
    let received = amount_of(&last["received"], &sym);
    assert!(received > 0, "{report}");
    assert_eq!(
        received,
        amount_of(&provider["paid"], &sym),
        "replayed JobSettled payments vs settled jobs in state: {report} {provider}"
    );
    let tbill_bought = amount_of(&last["converted_out"], "TBILL");
    let tbill_balance = amount_of(&account["balances"], "TBILL");
    assert!(tbill_bought > 0, "{report}");
    assert_eq!(tbill_bought, tbill_balance, "{report} {account}");
    assert_eq!(
        provider["savings"]["balance"]["amount"],
        tbill_balance.to_string()
    );
    // Half of the pay was converted (the devnet policy: 5 000 bps).
    assert_eq!(amount_of(&last["converted_in"], &sym), received / 2);

    for ext in ["png", "svg"] {
        let out = dir.path().join(format!("savings.{ext}"));
        // The CLI must have read the same height as `report` for exact figures; the devnet
        // still makes a block now and then, so retry (bounded) until it did.
        let (v, day) = (0..10)
            .find_map(|_| {
                let (ok, v) = run_json(
                    &[
                        "--node",
                        &node.url,
                        "report",
                        "savings",
                        "--address",
                        &addr,
                        "--out",
                        out.to_str().unwrap(),
                    ],
                    &[],
                );
                assert!(ok, "{v}");
                let (_, r) = get(&node.url, &format!("/v1/report/savings/{addr}"));
                (v["height"] == r["height"])
                    .then(|| (v, r["days"].as_array().unwrap().last().unwrap().clone()))
            })
            .expect("the CLI and the route read one height");
        assert!(v["days"].as_u64().unwrap() >= 1, "{v}");
        let bytes = std::fs::read(&out).unwrap();
        if ext == "png" {
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 5_000);
        } else {
            assert!(String::from_utf8_lossy(&bytes).contains("<svg"));
        }
        // Nothing is paid to provider-1 after its one job: the amounts are the ones above.
        assert_eq!(amount_of(&day["received"], &sym), received);
        assert_eq!(amount_of(&day["converted_out"], "TBILL"), tbill_bought);
        // Figures = the node's amounts at the node's day-end prices.
        let vty = price_of(&day, &sym);
        let nav = price_of(&day, "TBILL");
        assert!(vty > 0.0 && nav > 1.0, "{day}");
        let held = v["held"]["final_value"].as_f64().unwrap();
        let conv = v["converted"]["final_value"].as_f64().unwrap();
        let rec = received as f64 / 1e18;
        let kept = (received - received / 2) as f64 / 1e18;
        let bought = tbill_bought as f64 / 1e18;
        assert!(close(held, rec * vty), "held {held} vs {rec} {sym} × {vty}");
        assert!(
            close(conv, kept * vty + bought * nav),
            "converted {conv} vs {kept} {sym} × {vty} + {bought} × {nav}"
        );
        println!(
            "{ext}: held ${held:.6}, converted ${conv:.6} ({rec} {sym} paid, {bought} TBILL bought)"
        );
    }
}
