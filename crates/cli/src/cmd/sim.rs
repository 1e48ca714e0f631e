//! `verity sim`: run the seeded economics simulator ([`verity_sim`]) over the real ledger and
//! write its report (`report.md`, `report.json`, PNG charts) into `--out`, with a progress bar
//! per simulated day (hidden with `--json` or when stderr is not a terminal).

use super::Ctx;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use verity_sim::{SimConfig, simulate, write_outputs};

/// `verity sim --days N --providers P --seed S --out DIR`.
#[derive(clap::Args, Debug)]
pub struct SimArgs {
    /// Simulated days (24 blocks each).
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Providers (even-numbered ones auto-save into TBILL, odd ones hold).
    #[arg(long, default_value_t = 5)]
    pub providers: u32,
    /// Seed of every random choice: the same seed writes the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Annualised volatility of the VTY reference price (0.8 = 80%).
    #[arg(long)]
    pub volatility: Option<f64>,
    /// Mean jobs posted per simulated hour.
    #[arg(long)]
    pub jobs_per_hour: Option<f64>,
}

/// Run `verity sim`.
pub fn run(ctx: &Ctx, a: SimArgs) -> anyhow::Result<()> {
    let d = SimConfig::default();
    let cfg = SimConfig {
        days: a.days,
        providers: a.providers,
        seed: a.seed,
        vty_volatility: a.volatility.unwrap_or(d.vty_volatility),
        jobs_per_hour: a.jobs_per_hour.unwrap_or(d.jobs_per_hour),
        ..d
    };
    cfg.validate()?;
    let bar = if ctx.json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(u64::from(cfg.days));
        b.set_style(
            ProgressStyle::with_template("{spinner} [{bar:40}] day {pos}/{len} ({eta})")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        b
    };
    let report = simulate(&cfg, &mut |done, _| bar.set_position(u64::from(done)))
        .context("the simulation stopped")?;
    bar.finish_and_clear();
    let files = write_outputs(&report, &a.out)
        .with_context(|| format!("writing the report into {}", a.out.display()))?;
    let t = &report.totals;
    let value = serde_json::json!({
        "out": a.out,
        "files": files,
        "days": cfg.days,
        "providers": cfg.providers,
        "seed": cfg.seed,
        "final_state_root": report.final_state_root,
        "totals": t,
        "held": report.held,
        "converted": report.converted,
    });
    ctx.emit(value, || {
        format!(
            "simulated {} days ({} blocks, {} txs), every invariant held each day\n\
             jobs settled {} · fraud caught {} / missed {} · slashed {:.2} VTY · burned {:.2} VTY · cost/GPU-hour ${:.4}\n\
             savings volatility (daily): held {:.3}% vs converted {:.3}% · max drawdown held {:.2}% vs converted {:.2}%\n\
             report: {}",
            cfg.days,
            t.blocks,
            t.transactions,
            t.jobs_settled,
            t.fraud_caught,
            t.fraud_missed,
            t.slashed_vty,
            t.burned_vty,
            t.cost_per_gpu_hour_usd,
            report.held.daily_volatility * 100.0,
            report.converted.daily_volatility * 100.0,
            report.held.max_drawdown * 100.0,
            report.converted.max_drawdown * 100.0,
            a.out.join("report.md").display()
        )
    })
}
