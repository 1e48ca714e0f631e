//! The simulation loop ([`simulate`]): a setup block, then 24 blocks a simulated day; keepers,
//! then market agents act before each block; receipts feed the tallies; at the end of every day
//! all ledger invariants are checked and a [`DayRow`](crate::report::DayRow) is recorded.
//! [`write_outputs`] writes `report.md`, `report.json` and the PNG charts.

use crate::config::SimConfig;
use crate::financing::Financing;
use crate::keepers::{E18, Keepers, vty_pool_price};
use crate::market::Market;
use crate::report::{DayRow, ProviderRow, Report, Totals};
use crate::world::World;
use crate::{SimError, chart, metrics};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use verity_ledger::assets::AssetEvent;
use verity_ledger::assets::finance::FinanceEvent;
use verity_ledger::{Address, Event, Receipt, treasury, vault};

/// Progress callback: (days done, days total).
pub type Progress<'a> = &'a mut dyn FnMut(u32, u32);

/// What one provider has earned and where it went (whole tokens).
#[derive(Clone, Debug, Default)]
struct Earnings {
    earned_vty: f64,
    earned_usd: f64,
    converted_vty: f64,
    tbill: f64,
    jobs: u64,
    slashed_vty: f64,
    // Today's arrivals.
    day_earned_vty: f64,
    day_converted_vty: f64,
    day_tbill: f64,
}

/// Running tallies from receipts.
#[derive(Default)]
struct Tally {
    earnings: BTreeMap<Address, Earnings>,
    totals: Totals,
}

fn whole(x: u128) -> f64 {
    x as f64 / E18
}

impl Tally {
    fn absorb(&mut self, receipts: &[Receipt], market: &Market, vty_usd: f64) {
        for r in receipts {
            for e in &r.events {
                match e {
                    Event::JobPosted { .. } => self.totals.jobs_posted += 1,
                    Event::JobSettled { job, paid, fee, .. }
                        if market.facts.get(job).is_some_and(|f| f.financed) =>
                    {
                        // Paid in AID ($1) to the financed GPU's operator.
                        self.totals.jobs_settled += 1;
                        self.totals.financed_jobs_settled += 1;
                        self.totals.fees_aid += whole(*fee);
                        self.totals.financed_paid_aid += whole(*paid);
                        self.totals.buyer_spend_usd += whole(paid + fee);
                        if let Some(f) = market.facts.get(job) {
                            self.totals.gpu_hours += u64::from(f.gpu_hours);
                        }
                    }
                    Event::Asset(AssetEvent::Finance(FinanceEvent::RevenueShared {
                        amount,
                        ..
                    })) => self.totals.financed_revenue_aid += whole(*amount),
                    Event::JobSettled {
                        job,
                        provider,
                        paid,
                        fee,
                        ..
                    } => {
                        let price = whole(paid + fee);
                        let usd = price * vty_usd;
                        let e = self.earnings.entry(*provider).or_default();
                        e.earned_vty += whole(*paid);
                        e.day_earned_vty += whole(*paid);
                        e.earned_usd += whole(*paid) * vty_usd;
                        e.jobs += 1;
                        self.totals.jobs_settled += 1;
                        self.totals.fees_vty += whole(*fee);
                        self.totals.buyer_spend_usd += usd;
                        if let Some(f) = market.facts.get(job) {
                            self.totals.gpu_hours += u64::from(f.gpu_hours);
                            if f.cheated {
                                self.totals.fraud_missed += 1;
                            }
                        }
                    }
                    Event::SavingsConverted {
                        account,
                        amount_in,
                        amount_out,
                        ..
                    } => {
                        let e = self.earnings.entry(*account).or_default();
                        e.converted_vty += whole(*amount_in);
                        e.day_converted_vty += whole(*amount_in);
                        e.tbill += whole(*amount_out);
                        e.day_tbill += whole(*amount_out);
                        self.totals.conversions += 1;
                    }
                    Event::SavingsSkipped { .. } => self.totals.conversions_skipped += 1,
                    Event::JobCommitted { job, .. }
                        if market.facts.get(job).is_some_and(|f| f.cheated) =>
                    {
                        self.totals.fraud_committed += 1;
                    }
                    Event::DisputeOpened { .. } => self.totals.disputes += 1,
                    Event::DisputeRuled {
                        winner,
                        slashed,
                        rounds,
                        ..
                    } => {
                        if winner == "Challenger" {
                            self.totals.fraud_caught += 1;
                        }
                        self.totals.dispute_rounds += u64::from(*rounds);
                        self.totals.slashed_vty += whole(*slashed);
                    }
                    Event::Slashed {
                        validator, amount, ..
                    } => {
                        self.earnings.entry(*validator).or_default().slashed_vty += whole(*amount);
                    }
                    Event::JobExpired { slashed, .. } => {
                        self.totals.jobs_expired += 1;
                        self.totals.slashed_vty += whole(*slashed);
                    }
                    Event::Buyback { burned, .. } => self.totals.burned_vty += whole(*burned),
                    Event::VerifierPaid { amount, .. } => {
                        self.totals.verifier_pay_vty += whole(*amount)
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Run a simulation. `progress` is called after every simulated day.
pub fn simulate(cfg: &SimConfig, progress: Progress<'_>) -> Result<Report, SimError> {
    cfg.validate()?;
    let mut w = World::new(cfg)?;
    let mut keepers = Keepers::new(cfg, &w)?;
    let mut market = Market::new(cfg);
    let mut tally = Tally::default();
    let mut financing = Financing::default();
    let stake = crate::world::AGENT_STAKE;
    for a in w.accounts.stakers().copied().collect::<Vec<_>>() {
        w.send(a, verity_ledger::Payload::Bond { amount: stake })?;
    }
    for (i, p) in w.accounts.providers.clone().iter().enumerate() {
        if i % 2 == 0 {
            w.send(
                *p,
                verity_ledger::Payload::SetSavingsPolicy {
                    target_token: w.tokens.tbill,
                    share_bps: cfg.savings_share_bps,
                    max_slippage_bps: 300,
                    min_batch: 0,
                },
            )?;
        }
    }
    keepers.setup(&mut w)?;
    financing.setup(&mut w)?;
    let receipts = w.seal()?;
    if let Some((kind, (_, err))) = w.failures.iter().next() {
        return Err(SimError::Config(format!(
            "setup transaction {kind} failed: {err}"
        )));
    }
    market.observe(&receipts);
    let supply0 = w.state.token(w.tokens.vty).map_or(0, |t| t.supply);
    let mut days = Vec::with_capacity(cfg.days as usize);
    let saving: Vec<bool> = (0..w.accounts.providers.len())
        .map(|i| i % 2 == 0)
        .collect();
    let mut held_units = 0.0f64; // counterfactual: savers' earnings kept as VTY
    for day in 1..=cfg.days {
        for e in tally.earnings.values_mut() {
            e.day_earned_vty = 0.0;
            e.day_converted_vty = 0.0;
            e.day_tbill = 0.0;
        }
        for hour in 0..24 {
            keepers.hour(cfg, &mut w)?;
            financing.hour(cfg, &mut w)?;
            let vty_usd = vty_pool_price(&w)?;
            let deal = Financing::active_deal(&w)?;
            if deal.is_some() && tally.totals.financing_day == 0 {
                tally.totals.financing_day = day;
            }
            let asset = match deal {
                Some(_) => Financing::asset(&w)?.map(|a| a.id),
                None => None,
            };
            market.act(cfg, &mut w, vty_usd, asset)?;
            market.post(cfg, &mut w, vty_usd, asset.is_some())?;
            if hour == 23 {
                keepers.end_of_day(cfg, &mut w)?;
            }
            let receipts = w.seal()?;
            let vty_usd = vty_pool_price(&w)?;
            tally.absorb(&receipts, &market, vty_usd);
            market.observe(&receipts);
        }
        w.state
            .check_invariants()
            .map_err(|error| SimError::Invariant { day, error })?;
        // Day-end snapshot.
        let price = vty_pool_price(&w)?;
        let nav = treasury::view(&w.state)?.nav_now as f64 / E18;
        let vv = vault::view(&w.state)?;
        let share_price = vv.share_price as f64 / E18;
        let (mut held_in, mut conv_v, mut conv_in, mut hold_v, mut hold_in, mut income) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for (i, p) in w.accounts.providers.iter().enumerate() {
            let Some(e) = tally.earnings.get(p) else {
                continue;
            };
            income += e.earned_usd;
            if saving[i] {
                held_units += e.day_earned_vty;
                held_in += e.day_earned_vty * price;
                conv_v += (e.earned_vty - e.converted_vty) * price + e.tbill * nav;
                conv_in += (e.day_earned_vty - e.day_converted_vty) * price + e.day_tbill * nav;
            } else {
                hold_v += e.earned_vty * price;
                hold_in += e.day_earned_vty * price;
            }
        }
        let supply = w.state.token(w.tokens.vty).map_or(0, |t| t.supply);
        days.push(DayRow {
            day,
            vty_price: price,
            ref_price: keepers.ref_price,
            tbill_nav: nav,
            tbill_yield: keepers.tbill_yield,
            vault_share_price: share_price,
            vault_assets: whole(vv.total_assets),
            savers_held_value: held_units * price,
            savers_held_inflow: held_in,
            savers_converted_value: conv_v,
            savers_converted_inflow: conv_in,
            holders_value: hold_v,
            holders_inflow: hold_in,
            provider_income_usd: income,
            vty_supply_drop: whole(supply0.saturating_sub(supply)),
            jobs_settled: tally.totals.jobs_settled,
            fraud_caught: tally.totals.fraud_caught,
            slashed_vty: tally.totals.slashed_vty,
            burned_vty: tally.totals.burned_vty,
        });
        progress(day, cfg.days);
    }
    let mut t = tally.totals.clone();
    t.blocks = w.state.height();
    t.transactions = w.tx_count;
    t.invariant_days_checked = cfg.days;
    t.cost_per_gpu_hour_usd = if t.gpu_hours > 0 {
        t.buyer_spend_usd / t.gpu_hours as f64
    } else {
        0.0
    };
    let price = vty_pool_price(&w)?;
    let nav = treasury::view(&w.state)?.nav_now as f64 / E18;
    let providers = w
        .accounts
        .providers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let e = tally.earnings.get(p).cloned().unwrap_or_default();
            ProviderRow {
                address: p.to_string(),
                policy: if saving[i] {
                    "TBILL".into()
                } else {
                    "hold".into()
                },
                cheater: cfg.cheater_every > 0 && (i as u32 + 1).is_multiple_of(cfg.cheater_every),
                jobs: e.jobs,
                earned_vty: e.earned_vty,
                earned_usd_at_payment: e.earned_usd,
                tbill: e.tbill,
                value_now_usd: (e.earned_vty - e.converted_vty) * price + e.tbill * nav,
                slashed_vty: e.slashed_vty,
            }
        })
        .collect();
    let col = |f: fn(&DayRow) -> f64| days.iter().map(f).collect::<Vec<f64>>();
    let held = metrics::path_stats(
        &col(|d| d.savers_held_value),
        &col(|d| d.savers_held_inflow),
    );
    let converted = metrics::path_stats(
        &col(|d| d.savers_converted_value),
        &col(|d| d.savers_converted_inflow),
    );
    let failures = w
        .failures
        .iter()
        .map(|(k, (n, e))| (k.clone(), (*n, e.clone())))
        .collect();
    Ok(Report {
        config: cfg.clone(),
        totals: t,
        held,
        converted,
        providers,
        days,
        failures,
        final_state_root: w.state.root().to_string(),
    })
}

/// Write `report.md`, `report.json` and the charts into `dir` (created if missing); returns the
/// files written.
pub fn write_outputs(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, SimError> {
    std::fs::create_dir_all(dir).map_err(|source| SimError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let mut out = chart::report_charts(report, dir)?;
    let write = |name: &str, text: String| -> Result<PathBuf, SimError> {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|source| SimError::Io {
            path: p.display().to_string(),
            source,
        })?;
        Ok(p)
    };
    out.push(write("report.md", report.markdown())?);
    out.push(write("report.json", report.to_json())?);
    Ok(out)
}
