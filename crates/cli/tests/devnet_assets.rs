//! Issue 6 item 7 end to end: `verity --json devnet` with its default agents. Within a bounded
//! number of blocks a job bound to a vault-financed GPU asset settles; the vault's total assets
//! equal the deposit plus exactly the financier shares the deals recorded, so the sAID share
//! price rose above 1 AID; that job shows its kWh and gCO2e (GET /v1/green/jobs/{id}) and the
//! terminal printed them with the share price and the green index (`SettledFigures` lines).
//!
//! Real jobs run (24-step MLPs, 16-step char models) and the verifier re-runs them, so this
//! takes a minute or two on a small box; the bound is `VERITY_DEVNET_BLOCKS` (default 900
//! blocks of 500 ms).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::verity_bin;
use serde_json::Value;
use verity_api::ApiClient;
use verity_api::market::JobFilter;
use verity_ledger::assets::DealStatus;
use verity_ledger::market::JobStatus;

const E18: u128 = 1_000_000_000_000_000_000;

struct Devnet(std::process::Child);

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn devnet_financed_gpus_raise_the_share_price_and_jobs_show_energy() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(verity_bin())
        .args([
            "--json",
            "devnet",
            "--data-dir",
            dir.path().join("chain").to_str().unwrap(),
            "--http",
            "127.0.0.1:0",
            "--job-interval-secs",
            "4",
            "--jobs",
            "6",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn verity devnet");
    let stdout = child.stdout.take().unwrap();
    let _guard = Devnet(child);
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let lines = Arc::clone(&lines);
        std::thread::spawn(move || {
            let mut it = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = it.next() {
                let _ = tx.send(first);
            }
            for l in it.map_while(Result::ok) {
                lines.lock().unwrap().push(l);
            }
        });
    }
    let first = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("start line");
    let started: Value = serde_json::from_str(&first).unwrap();
    let url = started["url"].as_str().unwrap().to_string();
    let c = ApiClient::new(&url);
    let blocks: u64 = std::env::var("VERITY_DEVNET_BLOCKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(900);
    let dump = || lines.lock().unwrap().join("\n");
    let mut found = None;
    while found.is_none() {
        std::thread::sleep(Duration::from_millis(500));
        let Ok(st) = c.status() else { continue };
        assert!(
            st.height < blocks,
            "no financed job settled within {blocks} blocks; devnet said:\n{}",
            dump()
        );
        let Ok(view) = c.assets() else { continue };
        if !view.deals.iter().any(|d| d.revenue > 0) {
            continue;
        }
        let settled = c
            .jobs(&JobFilter {
                status: Some("Settled".into()),
                ..JobFilter::default()
            })
            .unwrap();
        for j in settled.jobs {
            let g = c.green_job(j.id).unwrap();
            if let Some(e) = g.energy
                && e.asset.is_some()
            {
                found = Some((j, e, view.clone()));
                break;
            }
        }
    }
    let (job, energy, view) = found.unwrap();
    assert_eq!(job.status, JobStatus::Settled);
    assert!(
        energy.sci.energy_mwh > 0 && energy.sci.sci_mg > 0,
        "{energy:?}"
    );
    assert!(energy.green_bps > 0, "{energy:?}");
    // Deals approved by the vault agent; their financier shares are all the vault gained.
    assert!(
        view.deals.iter().all(|d| d.status == DealStatus::Active),
        "{view:?}"
    );
    let vault = c.vault().unwrap();
    let revenue: u128 = c.assets().unwrap().deals.iter().map(|d| d.revenue).sum();
    assert_eq!(vault.total_assets, 500 * E18 + revenue, "{vault:?}");
    assert!(vault.share_price > E18, "share price rose: {vault:?}");
    // The terminal: figures of settled jobs, with the share price and the green index.
    let mut printed = false;
    for _ in 0..20 {
        printed = lines.lock().unwrap().iter().any(|l| {
            serde_json::from_str::<Value>(l).is_ok_and(|v| {
                v["event"] == "SettledFigures"
                    && v["energy_mwh"].is_string()
                    && v["share_price"].is_string()
                    && v["green_index"].is_string()
            })
        });
        if printed {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(printed, "no SettledFigures line:\n{}", dump());
}
