//! The simulation report: [`Report`] (serialisable; `report.json`) and its Markdown
//! (`report.md`), which links the charts written by [`crate::chart`]. Numbers are printed with
//! fixed precision so the same run gives the same bytes.

use crate::config::SimConfig;
use crate::metrics::PathStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Whole-run totals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Blocks sealed (setup block included).
    pub blocks: u64,
    /// Transactions sealed.
    pub transactions: u64,
    /// Days at whose end every ledger invariant was checked and held.
    pub invariant_days_checked: u32,
    /// Jobs posted.
    pub jobs_posted: u64,
    /// Jobs paid out.
    pub jobs_settled: u64,
    /// Jobs refunded at their deadline (nobody could take them).
    pub jobs_expired: u64,
    /// GPU-hours of settled jobs.
    pub gpu_hours: u64,
    /// What buyers paid for settled jobs, USD at the pool price when settled.
    pub buyer_spend_usd: f64,
    /// `buyer_spend_usd / gpu_hours`.
    pub cost_per_gpu_hour_usd: f64,
    /// Protocol fees, VTY.
    pub fees_vty: f64,
    /// Paid to attesting verifiers, VTY.
    pub verifier_pay_vty: f64,
    /// Wrong trace roots committed.
    pub fraud_committed: u64,
    /// Disputes the challenger won.
    pub fraud_caught: u64,
    /// Wrong commits paid because no verifier was drawn.
    pub fraud_missed: u64,
    /// Disputes opened.
    pub disputes: u64,
    /// Σ rounds of ruled disputes.
    pub dispute_rounds: u64,
    /// Stake slashed (disputes and missed deadlines), VTY.
    pub slashed_vty: f64,
    /// VTY burned by the buyback.
    pub burned_vty: f64,
    /// Auto-savings conversions.
    pub conversions: u64,
    /// Auto-savings conversions skipped (slippage, no route).
    pub conversions_skipped: u64,
    /// Day the vault's financing deal was funded (0 = never).
    pub financing_day: u32,
    /// GPU jobs on the financed asset settled (paid in AID).
    pub financed_jobs_settled: u64,
    /// What their operator was paid (after the protocol fee and the financier share), AID.
    pub financed_paid_aid: f64,
    /// What the ledger paid the vault from them (`RevenueShared`), AID.
    pub financed_revenue_aid: f64,
    /// Protocol fees of the AID-paid jobs, AID (bought back into VTY).
    pub fees_aid: f64,
}

/// One simulated day (values at its end; flows during it), USD unless named otherwise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayRow {
    /// Day, from 1.
    pub day: u32,
    /// VTY price in the VTY/AID pool.
    pub vty_price: f64,
    /// The reference price the arbitrageur trades toward.
    pub ref_price: f64,
    /// TBILL NAV per share.
    pub tbill_nav: f64,
    /// Annual T-bill yield reported.
    pub tbill_yield: f64,
    /// AID one sAID redeems for.
    pub vault_share_price: f64,
    /// AID the vault holds and has deployed.
    pub vault_assets: f64,
    /// Saving providers' earnings had they kept them as VTY.
    pub savers_held_value: f64,
    /// What arrived that day on the held path.
    pub savers_held_inflow: f64,
    /// Saving providers' earnings as converted by their policy (TBILL at NAV + unconverted VTY).
    pub savers_converted_value: f64,
    /// What arrived that day on the converted path.
    pub savers_converted_inflow: f64,
    /// Holding providers' earnings (VTY).
    pub holders_value: f64,
    /// What arrived that day for the holders.
    pub holders_inflow: f64,
    /// All providers' income so far, valued when paid.
    pub provider_income_usd: f64,
    /// VTY supply burned so far (buyback and slashing), VTY.
    pub vty_supply_drop: f64,
    /// Jobs settled so far.
    pub jobs_settled: u64,
    /// Frauds caught so far.
    pub fraud_caught: u64,
    /// Slashed so far, VTY.
    pub slashed_vty: f64,
    /// Burned by the buyback so far, VTY.
    pub burned_vty: f64,
}

/// One provider's run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProviderRow {
    /// Address.
    pub address: String,
    /// `TBILL` (auto-savings) or `hold`.
    pub policy: String,
    /// Configured as a cheater.
    pub cheater: bool,
    /// Jobs paid.
    pub jobs: u64,
    /// VTY earned.
    pub earned_vty: f64,
    /// Earned, USD at each payment's price.
    pub earned_usd_at_payment: f64,
    /// TBILL bought by the policy.
    pub tbill: f64,
    /// Earnings' value at the end, USD.
    pub value_now_usd: f64,
    /// Stake slashed, VTY.
    pub slashed_vty: f64,
}

/// A whole simulation's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The settings.
    pub config: SimConfig,
    /// Totals.
    pub totals: Totals,
    /// Saving providers' earnings kept as VTY (counterfactual).
    pub held: PathStats,
    /// Saving providers' earnings converted by their policy.
    pub converted: PathStats,
    /// Per provider.
    pub providers: Vec<ProviderRow>,
    /// Per day.
    pub days: Vec<DayRow>,
    /// Failed transactions by payload type: (count, first error).
    pub failures: BTreeMap<String, (u64, String)>,
    /// State root after the last block.
    pub final_state_root: String,
}

/// The chart files the Markdown links (written by [`crate::chart::report_charts`]).
pub const CHARTS: [(&str, &str); 4] = [
    (
        "savings.png",
        "Saving providers' earnings: held as VTY vs converted to TBILL",
    ),
    ("prices.png", "VTY price (pool and reference)"),
    ("nav.png", "TBILL NAV and sAID share price"),
    ("income.png", "Provider income (USD, valued when paid)"),
];

impl Report {
    /// `report.json` text (pretty, stable field order).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .expect("a report has only finite-or-null numbers and string keys")
    }

    /// `report.md` text.
    pub fn markdown(&self) -> String {
        let c = &self.config;
        let t = &self.totals;
        let mut m = String::new();
        let _ = writeln!(m, "# Verity economics simulation\n");
        let _ = writeln!(
            m,
            "Seed {}, {} days × 24 blocks (one an hour), {} providers (even-numbered ones convert {:.0}% of each payment to TBILL), {} buyers, {} verifiers, {} savers. VTY reference price: driftless log random walk, {:.0}% annualised volatility, reached through AMM arbitrage. T-bill yield: {:.2}% mean-reverting, {:.1} bp daily sd. Every ledger invariant checked at the end of each of the {} days. Final state root `{}`.\n",
            c.seed,
            c.days,
            c.providers,
            f64::from(c.savings_share_bps) / 100.0,
            c.buyers,
            c.verifiers.max(1),
            c.savers,
            c.vty_volatility * 100.0,
            c.tbill_yield * 100.0,
            c.tbill_yield_daily_sd * 10_000.0,
            t.invariant_days_checked,
            self.final_state_root
        );
        let _ = writeln!(m, "## Savings: held vs converted\n");
        let _ = writeln!(
            m,
            "| path | daily volatility | annualised | max drawdown | final value (USD) |"
        );
        let _ = writeln!(m, "| --- | ---: | ---: | ---: | ---: |");
        for (name, s) in [
            ("held as VTY", &self.held),
            ("converted to TBILL", &self.converted),
        ] {
            let _ = writeln!(
                m,
                "| {name} | {:.4}% | {:.2}% | {:.2}% | {:.2} |",
                s.daily_volatility * 100.0,
                s.annualized_volatility * 100.0,
                s.max_drawdown * 100.0,
                s.final_value
            );
        }
        let _ = writeln!(
            m,
            "\nVolatility = sample standard deviation of daily returns with each day's new earnings taken out; drawdown of the compounded daily returns.\n"
        );
        for (file, title) in CHARTS {
            let _ = writeln!(m, "![{title}]({file})\n");
        }
        let _ = writeln!(m, "## Market\n");
        let _ = writeln!(m, "| measure | value |");
        let _ = writeln!(m, "| --- | ---: |");
        let rows: [(&str, String); 22] = [
            ("blocks", t.blocks.to_string()),
            ("transactions", t.transactions.to_string()),
            ("jobs posted", t.jobs_posted.to_string()),
            ("jobs settled", t.jobs_settled.to_string()),
            ("jobs expired", t.jobs_expired.to_string()),
            ("GPU-hours settled", t.gpu_hours.to_string()),
            ("buyer spend (USD)", format!("{:.2}", t.buyer_spend_usd)),
            (
                "cost per GPU-hour (USD)",
                format!("{:.4}", t.cost_per_gpu_hour_usd),
            ),
            ("protocol fees (VTY)", format!("{:.2}", t.fees_vty)),
            ("verifier pay (VTY)", format!("{:.2}", t.verifier_pay_vty)),
            ("wrong commits", t.fraud_committed.to_string()),
            (
                "fraud caught (disputes won by the challenger)",
                t.fraud_caught.to_string(),
            ),
            (
                "fraud missed (not spot-checked)",
                t.fraud_missed.to_string(),
            ),
            ("dispute rounds played", t.dispute_rounds.to_string()),
            ("slashed (VTY)", format!("{:.2}", t.slashed_vty)),
            ("burned by buyback (VTY)", format!("{:.2}", t.burned_vty)),
            ("auto-savings conversions", t.conversions.to_string()),
            ("conversions skipped", t.conversions_skipped.to_string()),
            (
                "vault financing deal funded on day (0 = never)",
                t.financing_day.to_string(),
            ),
            (
                "financed GPU jobs settled (AID)",
                t.financed_jobs_settled.to_string(),
            ),
            (
                "financier share paid to the vault (AID)",
                format!("{:.4}", t.financed_revenue_aid),
            ),
            ("protocol fees (AID)", format!("{:.4}", t.fees_aid)),
        ];
        for (k, v) in rows {
            let _ = writeln!(m, "| {k} | {v} |");
        }
        if let (Some(first), Some(last)) = (self.days.first(), self.days.last()) {
            let _ = writeln!(m, "\n## Prices and vault\n");
            let _ = writeln!(m, "| | day {} | day {} |", first.day, last.day);
            let _ = writeln!(m, "| --- | ---: | ---: |");
            let _ = writeln!(
                m,
                "| VTY price (USD) | {:.6} | {:.6} |",
                first.vty_price, last.vty_price
            );
            let _ = writeln!(
                m,
                "| TBILL NAV | {:.6} | {:.6} |",
                first.tbill_nav, last.tbill_nav
            );
            let _ = writeln!(
                m,
                "| T-bill yield | {:.3}% | {:.3}% |",
                first.tbill_yield * 100.0,
                last.tbill_yield * 100.0
            );
            let _ = writeln!(
                m,
                "| sAID share price (AID) | {:.6} | {:.6} |",
                first.vault_share_price, last.vault_share_price
            );
            let _ = writeln!(
                m,
                "| vault assets (AID) | {:.2} | {:.2} |",
                first.vault_assets, last.vault_assets
            );
            let _ = writeln!(
                m,
                "| VTY supply burned (VTY) | {:.2} | {:.2} |",
                first.vty_supply_drop, last.vty_supply_drop
            );
        }
        let _ = writeln!(m, "\n## Providers\n");
        let _ = writeln!(
            m,
            "| provider | policy | cheater | jobs | earned VTY | earned USD (when paid) | TBILL | value now USD | slashed VTY |"
        );
        let _ = writeln!(
            m,
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        for p in &self.providers {
            let _ = writeln!(
                m,
                "| `{}` | {} | {} | {} | {:.2} | {:.2} | {:.4} | {:.2} | {:.2} |",
                p.address,
                p.policy,
                if p.cheater { "yes" } else { "no" },
                p.jobs,
                p.earned_vty,
                p.earned_usd_at_payment,
                p.tbill,
                p.value_now_usd,
                p.slashed_vty
            );
        }
        if !self.failures.is_empty() {
            let _ = writeln!(m, "\n## Transactions the ledger refused\n");
            let _ = writeln!(m, "| payload | count | first error |");
            let _ = writeln!(m, "| --- | ---: | --- |");
            for (k, (n, e)) in &self.failures {
                let _ = writeln!(m, "| {k} | {n} | {} |", e.replace('|', "/"));
            }
        }
        m
    }
}
