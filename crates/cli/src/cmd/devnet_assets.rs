//! The real-world-asset side of `verity devnet` (issue 6 item 7).
//!
//! - **GPU assets.** `provider-1` and `provider-2` run their jobs on a registered GPU asset
//!   ([`provider_asset`]); each provider agent registers it, proposes vault financing once it
//!   is active, binds every job it bids on to it and reports each job's energy. The cheater
//!   reports energy too, on no asset (bounded by the unregistered-device power).
//! - **The vault** ([`vault_agent`], dev account #0: the genesis validator, which the dev
//!   genesis makes the vault manager with `[assets] min_attesters = 1`): mints AID from USDC,
//!   deposits it in the sAID vault, attests the existence of every pending asset and approves
//!   every proposed financing deal, so the vault funds the providers' GPUs.
//! - **Energy** ([`energy_reporter`], the `energy` dev key, reporter of the genesis `ENERGY`
//!   feed): at start and every [`ENERGY_EVERY`] attests the green share and grid intensity of
//!   each provider and asset, with a small fixed wiggle ([`energy_figures`]).
//! - **What you see** ([`settled_lines`]): as a job settles the ledger printer adds its kWh and
//!   gCO2e (SCI), the sAID share price (rising with each financier share) and the green index of
//!   the current epoch.
//!
//! Jobs are paid in AID (the vault's asset: a financed asset only serves those). Declared
//! inside `devnet.rs` (`#[path]`), so it reads that command's account numbers.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde_json::json;
use verity_agent::asset::{AssetPlan, FinancingPlan};
use verity_agent::chain::Link;
use verity_api::ApiClient;
use verity_ledger::assets::{AssetSpec, AssetStatus, AssetTx, ClaimKind, DealStatus};
use verity_ledger::genesis::dev_secret;
use verity_ledger::green::{GreenTx, Subject};
use verity_ledger::{Address, Hash, Payload, TokenId};

use crate::cmd::amount::format_amount;

/// One AID in base units (18 decimals).
const AID: u128 = 1_000_000_000_000_000_000;
/// AID the vault agent mints from USDC and deposits in the vault.
pub const VAULT_DEPOSIT: u128 = 500 * AID;
/// How often the energy reporter re-attests.
pub const ENERGY_EVERY: Duration = Duration::from_secs(30);

/// The GPU asset, financing and mean power of dev provider account `account` (none for the
/// cheater, which runs on an unregistered device).
pub fn provider_asset(account: u32) -> Option<(AssetPlan, u64)> {
    let (model, memory_mb, location, max_power_mw, embodied, principal, share_bps, power) =
        match account {
            super::PROVIDER_1 => (
                "H100-SXM5-80GB",
                81_920,
                "NO-Oslo",
                700_000,
                1_500_000,
                40 * AID,
                2_000,
                350_000,
            ),
            super::PROVIDER_2 => (
                "A100-PCIe-40GB",
                40_960,
                "DE-Frankfurt",
                250_000,
                1_200_000,
                25 * AID,
                1_500,
                200_000,
            ),
            _ => return None,
        };
    let plan = AssetPlan {
        spec: AssetSpec {
            model: model.into(),
            memory_mb,
            serial_hash: Hash::keccak(format!("verity-devnet-gpu-{account}").as_bytes()),
            location: location.into(),
            max_power_mw,
            embodied_gco2e: embodied,
            lifetime_hours: 5 * 365 * 24,
        },
        financing: Some(FinancingPlan {
            principal,
            share_bps,
            term_ms: 90 * 86_400_000,
        }),
    };
    Some((plan, power))
}

/// Mean power the cheater reports for its (unregistered) device, mW.
pub const CHEATER_POWER_MW: u64 = 65_000;

/// Token id of `symbol` on the node, if it exists.
pub fn token_id(client: &ApiClient, symbol: &str) -> Option<TokenId> {
    let tokens = client.tokens().ok()?;
    tokens
        .tokens
        .iter()
        .find(|t| t.info.symbol == symbol)
        .map(|t| t.id)
}

/// Mint `usdc` (6 decimals) worth of AID for `link`'s account.
pub fn mint_aid(link: &Link, client: &ApiClient, usdc: u128) -> anyhow::Result<()> {
    let collateral =
        token_id(client, "USDC").ok_or_else(|| anyhow::anyhow!("the chain has no USDC"))?;
    link.send(
        "MintAid",
        Payload::MintAid {
            collateral,
            amount: usdc,
        },
    )?;
    Ok(())
}

/// The vault agent (dev account #0): fund the vault, then every 2 s attest pending assets and
/// approve proposed deals, until `stop`.
pub fn vault_agent(url: &str, json: bool, stop: &Arc<AtomicBool>) {
    let out = super::Printer::new(json, Some("vault"));
    let link = Link::new(url, dev_secret(0));
    let client = ApiClient::new(url);
    let say = |text: String, v: serde_json::Value| {
        out.print_line(&if json {
            v.to_string()
        } else {
            format!("[vault] {text}")
        });
    };
    let funded = mint_aid(&link, &client, VAULT_DEPOSIT / 1_000_000_000_000).and_then(|()| {
        link.send(
            "VaultDeposit",
            Payload::VaultDeposit {
                assets: VAULT_DEPOSIT,
                min_shares: 0,
            },
        )?;
        Ok(())
    });
    match funded {
        Ok(()) => say(
            format!(
                "deposited {} AID into the sAID vault (minted from USDC)",
                format_amount(VAULT_DEPOSIT, 18)
            ),
            json!({"agent": "vault", "event": "Deposited", "assets": VAULT_DEPOSIT.to_string()}),
        ),
        Err(e) => say(
            format!("could not fund the vault: {e}"),
            json!({"agent": "vault", "event": "Warning", "message": e.to_string()}),
        ),
    }
    let mut attested = std::collections::BTreeSet::new();
    let mut approved = std::collections::BTreeSet::new();
    while super::nap(Duration::from_secs(2), stop) {
        let Ok(view) = client.assets() else { continue };
        for a in view
            .assets
            .iter()
            .filter(|a| a.status == AssetStatus::Pending)
        {
            if !attested.insert(a.id) {
                continue;
            }
            let r = link.send(
                "AttestAsset",
                Payload::Assets(AssetTx::Attest {
                    asset: a.id,
                    claim: ClaimKind::Existence,
                }),
            );
            say(
                match &r {
                    Ok(_) => format!(
                        "validator attested asset {} ({}) exists",
                        a.id, a.spec.model
                    ),
                    Err(e) => format!("attesting asset {} failed: {e}", a.id),
                },
                json!({"agent": "vault", "event": "AssetAttested", "asset": a.id, "ok": r.is_ok()}),
            );
        }
        for d in view
            .deals
            .iter()
            .filter(|d| d.status == DealStatus::Proposed)
        {
            if !approved.insert(d.id) {
                continue;
            }
            let r = link.send(
                "ApproveFinancing",
                Payload::Assets(AssetTx::ApproveFinancing { deal: d.id }),
            );
            say(
                match &r {
                    Ok(_) => format!(
                        "financed asset {} (deal {}): {} AID to its operator for {}.{:02}% of its revenue",
                        d.asset,
                        d.id,
                        format_amount(d.principal, 18),
                        d.share_bps / 100,
                        d.share_bps % 100
                    ),
                    Err(e) => format!("approving deal {} failed: {e}", d.id),
                },
                json!({"agent": "vault", "event": "DealApproved", "deal": d.id,
                       "asset": d.asset, "principal": d.principal.to_string(), "ok": r.is_ok()}),
            );
        }
    }
}

/// Green share (bps) and grid intensity (gCO2e/kWh) the reporter attests for subject `who`
/// (0 provider-1's asset, 1 provider-2's asset, 2 a provider account) at report `k`: a demo
/// feed with a small fixed wiggle, not data.
pub fn energy_figures(who: usize, k: u64) -> (u32, u32) {
    let wiggle = [0u32, 300, 0, 600][usize::try_from(k % 4).expect("below 4")];
    match who {
        0 => (8_000 + wiggle, 30),
        1 => (4_500 + wiggle, 380),
        _ => (1_000 + wiggle, 520),
    }
}

/// The energy reporter: at start and every [`ENERGY_EVERY`], attest the providers (#2–#4) and
/// every registered asset; in between, every 2 s, attest assets registered since (so a job run
/// on a new asset reports its asset's figures), until `stop`.
pub fn energy_reporter(url: &str, json: bool, stop: &Arc<AtomicBool>) {
    let out = super::Printer::new(json, Some("energy"));
    let link = Link::new(
        url,
        verity_ledger::genesis::dev_secret_named(verity_ledger::green::DEV_ENERGY_REPORTER),
    );
    let client = ApiClient::new(url);
    let providers: Vec<Address> = [super::PROVIDER_1, super::PROVIDER_2, super::CHEATER]
        .iter()
        .map(|i| verity_ledger::address_of(&dev_secret(*i)))
        .collect();
    let mut k = 0u64;
    let mut done: std::collections::BTreeSet<Subject> = std::collections::BTreeSet::new();
    let mut round_at = std::time::Instant::now();
    loop {
        let full = done.is_empty() || round_at.elapsed() >= ENERGY_EVERY;
        if full && !done.is_empty() {
            k += 1;
            done.clear();
        }
        if full {
            round_at = std::time::Instant::now();
        }
        let mut subjects: Vec<(Subject, usize)> = providers
            .iter()
            .map(|p| (Subject::Provider(*p), 2))
            .collect();
        if let Ok(view) = client.assets() {
            for a in &view.assets {
                let who = usize::from(a.operator != providers[0]);
                subjects.push((Subject::Asset(a.id), who));
            }
        }
        subjects.retain(|(s, _)| !done.contains(s));
        let mut sent = 0usize;
        let mut last = None;
        for (subject, who) in &subjects {
            let (green_bps, intensity) = energy_figures(*who, k);
            match link.send(
                "AttestEnergy",
                Payload::Green(GreenTx::Attest {
                    subject: *subject,
                    green_bps,
                    intensity_g_per_kwh: intensity,
                }),
            ) {
                Ok(_) => {
                    sent += 1;
                    done.insert(*subject);
                }
                Err(e) => last = Some(e.to_string()),
            }
        }
        if !subjects.is_empty() {
            let (g0, i0) = energy_figures(0, k);
            out.print_line(&if json {
                json!({"agent": "energy", "event": "EnergyAttested", "subjects": sent,
                       "error": last})
                .to_string()
            } else {
                match last {
                    None => format!(
                        "[energy] attested {sent} providers/assets (GPU assets of provider-1: {}.{:02}% green, {i0} gCO2e/kWh)",
                        g0 / 100,
                        g0 % 100
                    ),
                    Some(e) => {
                        format!("[energy] attested {sent} of {}; failed: {e}", subjects.len())
                    }
                }
            });
        }
        if !super::nap(Duration::from_secs(2), stop) {
            return;
        }
    }
}

/// Lines the ledger printer adds when job `job` (paid in `token`) settled: its energy and
/// carbon, the sAID share price (with its change since `last_price`) and the green index of
/// the epoch it settled into. Returns the lines and the share price read.
pub fn settled_lines(
    client: &ApiClient,
    job: u64,
    json: bool,
    last_price: Option<u128>,
) -> (Vec<String>, Option<u128>) {
    let mut lines = Vec::new();
    let energy = client.green_job(job).ok().and_then(|g| g.energy);
    let price = client.vault().ok().map(|v| v.share_price);
    let index = match &energy {
        Some(e) => client.green().ok().and_then(|g| {
            g.index
                .into_iter()
                .find(|r| Some(r.entry.epoch) == e.epoch && Some(r.entry.token) == e.token)
        }),
        None => None,
    };
    if json {
        lines.push(
            json!({"agent": "ledger", "event": "SettledFigures", "job": job,
                   "energy_mwh": energy.as_ref().map(|e| e.sci.energy_mwh.to_string()),
                   "sci_mg": energy.as_ref().map(|e| e.sci.sci_mg.to_string()),
                   "green_bps": energy.as_ref().map(|e| e.green_bps),
                   "asset": energy.as_ref().and_then(|e| e.asset),
                   "share_price": price.map(|p| p.to_string()),
                   "green_index": index.as_ref().and_then(|r| r.price_per_green_hour.clone()),
                   "epoch": index.as_ref().map(|r| r.entry.epoch)})
            .to_string(),
        );
        return (lines, price);
    }
    match &energy {
        Some(e) => lines.push(format!(
            "[ledger] job {job} energy: {} kWh, {} gCO2e (SCI: {} operational + {} embodied), {}.{:02}% green{}",
            format_amount(e.sci.energy_mwh, 6),
            format_amount(e.sci.sci_mg, 3),
            format_amount(e.sci.operational_mg, 3),
            format_amount(e.sci.embodied_mg, 3),
            e.green_bps / 100,
            e.green_bps % 100,
            e.asset.map_or_else(String::new, |a| format!(", on asset {a}"))
        )),
        None => lines.push(format!("[ledger] job {job}: no energy report")),
    }
    if let Some(p) = price {
        let change = match last_price {
            Some(l) if p > l => format!(" (up {} AID)", format_amount(p - l, 18)),
            Some(l) if p < l => format!(" (DOWN {} AID)", format_amount(l - p, 18)),
            _ => String::new(),
        };
        lines.push(format!(
            "[ledger] vault: sAID share price {} AID{change}",
            format_amount(p, 18)
        ));
    }
    if let Some(r) = index {
        lines.push(format!(
            "[ledger] green index, epoch {}: {} per green GPU-hour over {} jobs",
            r.entry.epoch,
            r.price_per_green_hour
                .as_deref()
                .and_then(|v| v.parse::<u128>().ok())
                .map_or_else(|| "-".into(), |v| format!("{} AID", format_amount(v, 18))),
            r.entry.jobs
        ));
    }
    (lines, price)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honest_providers_have_financed_assets_within_their_rated_power() {
        for i in [super::super::PROVIDER_1, super::super::PROVIDER_2] {
            let (plan, power) = provider_asset(i).expect("honest providers have an asset");
            assert!(power <= plan.spec.max_power_mw);
            let f = plan.financing.expect("financed");
            assert!(f.principal > 0 && f.share_bps > 0 && f.share_bps <= 10_000);
        }
        assert!(provider_asset(super::super::CHEATER).is_none());
        assert_ne!(
            provider_asset(super::super::PROVIDER_1).map(|p| p.0.spec.serial_hash),
            provider_asset(super::super::PROVIDER_2).map(|p| p.0.spec.serial_hash)
        );
    }

    #[test]
    fn energy_figures_stay_in_bounds_and_move() {
        for who in 0..3 {
            let got: Vec<(u32, u32)> = (0..4).map(|k| energy_figures(who, k)).collect();
            assert!(got.iter().all(|(g, i)| *g <= 10_000 && *i <= 2_000));
            assert_ne!(got[0], got[1], "the green share moves");
        }
        assert!(energy_figures(0, 0).0 > energy_figures(1, 0).0);
    }
}
