//! `verity report savings --address ADDR --out FILE.png|.svg`: a provider's value over time held
//! as the tokens it was paid vs converted by its auto-savings policy, from the node's
//! `GET /v1/report/savings/{address}` history; volatility (standard deviation of daily returns,
//! new earnings taken out) and max drawdown of both paths in the chart legend and in `--json`.
//! The metrics and the chart are `verity_sim`'s, shared with `verity sim`.

use super::Ctx;
use super::chain::{client, resolve_address};
use anyhow::{Context, bail};
use clap::Subcommand;
use std::collections::BTreeMap;
use std::path::PathBuf;
use verity_api::report::{SavingsDay, SavingsHistoryResponse, TokenAmount};
use verity_sim::chart::{Series, line_chart, stats_label};
use verity_sim::metrics::{PathStats, path_stats};

/// Subcommands of `verity report`.
#[derive(Subcommand, Debug)]
pub enum ReportCmd {
    /// Held vs converted savings of a provider, as a PNG or SVG chart.
    Savings {
        /// Address or key name of the provider.
        #[arg(long)]
        address: String,
        /// Chart file: `.png` or `.svg`.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// The two value paths of a history, USD per day, with what arrived each day.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct SavingsPaths {
    /// Days since genesis.
    pub day: Vec<u64>,
    /// Every payment kept in the token it was paid in.
    pub held: Vec<f64>,
    /// New payments that day, on the held path.
    pub held_inflow: Vec<f64>,
    /// Payments as the policy left them (unconverted part + what it bought).
    pub converted: Vec<f64>,
    /// New value that day, on the converted path.
    pub converted_inflow: Vec<f64>,
}

fn whole(a: &TokenAmount) -> f64 {
    a.amount as f64 / 10f64.powi(i32::from(a.decimals))
}

fn units(list: &[TokenAmount]) -> BTreeMap<String, f64> {
    list.iter().map(|a| (a.symbol.clone(), whole(a))).collect()
}

fn value(u: &BTreeMap<String, f64>, prices: &BTreeMap<String, f64>) -> f64 {
    u.iter()
        .map(|(s, x)| x * prices.get(s).copied().unwrap_or(0.0))
        .sum()
}

/// Turn the node's daily positions into the two paths (leading days before the first payment
/// are dropped). Inflows are valued at the day's end prices, as [`verity_sim::metrics`] expects.
pub fn paths(days: &[SavingsDay]) -> SavingsPaths {
    let mut out = SavingsPaths::default();
    let mut prev_held: BTreeMap<String, f64> = BTreeMap::new();
    let mut prev_conv: BTreeMap<String, f64> = BTreeMap::new();
    for d in days {
        let prices: BTreeMap<String, f64> = d
            .prices
            .iter()
            .map(|p| (p.symbol.clone(), p.usd as f64 / 1e18))
            .collect();
        let held = units(&d.received);
        let mut conv = held.clone();
        for (s, x) in units(&d.converted_in) {
            *conv.entry(s).or_insert(0.0) -= x;
        }
        for (s, x) in units(&d.converted_out) {
            *conv.entry(s).or_insert(0.0) += x;
        }
        let delta = |now: &BTreeMap<String, f64>, before: &BTreeMap<String, f64>| {
            let mut m = now.clone();
            for (s, x) in before {
                *m.entry(s.clone()).or_insert(0.0) -= x;
            }
            m
        };
        let hv = value(&held, &prices);
        if hv <= 0.0 && out.day.is_empty() {
            prev_held = held;
            prev_conv = conv;
            continue;
        }
        out.day.push(d.day);
        out.held.push(hv);
        out.held_inflow
            .push(value(&delta(&held, &prev_held), &prices));
        out.converted.push(value(&conv, &prices));
        out.converted_inflow
            .push(value(&delta(&conv, &prev_conv), &prices));
        prev_held = held;
        prev_conv = conv;
    }
    out
}

/// Stats of both paths.
pub fn stats(p: &SavingsPaths) -> (PathStats, PathStats) {
    (
        path_stats(&p.held, &p.held_inflow),
        path_stats(&p.converted, &p.converted_inflow),
    )
}

/// Draw the chart of a history into `out`.
pub fn draw(
    h: &SavingsHistoryResponse,
    out: &std::path::Path,
) -> anyhow::Result<(SavingsPaths, PathStats, PathStats)> {
    let p = paths(&h.days);
    if p.day.is_empty() {
        bail!(
            "no settled job has paid {} yet (replayed to height {}); nothing to plot",
            h.address,
            h.height
        );
    }
    let (held, conv) = stats(&p);
    let series = |name: String, ys: &[f64]| Series {
        name,
        points: p.day.iter().zip(ys).map(|(d, y)| (*d as f64, *y)).collect(),
    };
    line_chart(
        out,
        &format!("Savings of {}", h.address),
        "day since genesis",
        "USD",
        &[
            series(format!("held as paid ({})", stats_label(&held)), &p.held),
            series(
                format!("converted by policy ({})", stats_label(&conv)),
                &p.converted,
            ),
        ],
    )?;
    Ok((p, held, conv))
}

/// Run `verity report …`.
pub fn run(ctx: &Ctx, c: ReportCmd) -> anyhow::Result<()> {
    match c {
        ReportCmd::Savings { address, out } => {
            let a = resolve_address(ctx, &address)?;
            let h = client(ctx).savings_history(&a).with_context(|| {
                format!("fetching the savings history of {a} from {}", ctx.node)
            })?;
            let (p, held, conv) = draw(&h, &out)?;
            let v = serde_json::json!({
                "address": a,
                "height": h.height,
                "out": out,
                "days": p.day.len(),
                "held": held,
                "converted": conv,
                "paths": p,
            });
            ctx.emit(v, || {
                format!(
                    "{} over {} days (height {}): held {:.2} USD, daily volatility {:.3}%, max drawdown {:.2}%; converted {:.2} USD, daily volatility {:.3}%, max drawdown {:.2}%\nchart: {}",
                    a,
                    p.day.len(),
                    h.height,
                    held.final_value,
                    held.daily_volatility * 100.0,
                    held.max_drawdown * 100.0,
                    conv.final_value,
                    conv.daily_volatility * 100.0,
                    conv.max_drawdown * 100.0,
                    out.display()
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verity_api::report::TokenPrice;
    use verity_primitives::Timestamp;

    fn amt(symbol: &str, x: u128) -> TokenAmount {
        TokenAmount {
            symbol: symbol.into(),
            decimals: 18,
            amount: x * 1_000_000_000_000_000_000,
        }
    }

    fn day(d: u64, recv: u128, conv_in: u128, out: u128, vty: u128, nav: u128) -> SavingsDay {
        SavingsDay {
            day: d,
            time: Timestamp(d),
            received: vec![amt("VTY", recv)],
            converted_in: vec![amt("VTY", conv_in)],
            converted_out: vec![amt("TBILL", out)],
            prices: vec![
                TokenPrice {
                    symbol: "VTY".into(),
                    usd: vty,
                },
                TokenPrice {
                    symbol: "TBILL".into(),
                    usd: nav,
                },
            ],
        }
    }

    #[test]
    fn paths_value_both_sides_and_take_inflows_out() {
        const E: u128 = 1_000_000_000_000_000_000;
        // Day 0: nothing yet (dropped). Day 1: paid 100 VTY at $1, converted half into 50
        // TBILL at NAV 1. Day 2: VTY doubles, nothing new.
        let days = [
            day(0, 0, 0, 0, E, E),
            day(1, 100, 50, 50, E, E),
            day(2, 100, 50, 50, 2 * E, E),
        ];
        let p = paths(&days);
        assert_eq!(p.day, [1, 2]);
        assert_eq!(p.held, [100.0, 200.0]);
        assert_eq!(p.converted, [100.0, 150.0]);
        assert_eq!(p.held_inflow, [100.0, 0.0]);
        assert_eq!(p.converted_inflow, [100.0, 0.0]);
        let (h, c) = stats(&p);
        assert_eq!(h.return_days, 1);
        assert!(c.final_value < h.final_value);
    }
}
