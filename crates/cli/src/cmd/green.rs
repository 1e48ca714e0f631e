//! `verity green attest|require|report|show|index`: energy attestations, green requirements,
//! per-job energy and carbon (SCI), and the green compute index (issue 6).

use clap::Subcommand;
use verity_ledger::Payload;
use verity_ledger::green::{GreenTx, Subject};

use super::Ctx;
use super::chain::{self, SendOpts};
use super::signer::SignerArgs;

/// Subcommands of `verity green`.
#[derive(Subcommand, Debug)]
pub enum GreenCmd {
    /// Attest a provider's or an asset's green share and grid intensity (ENERGY reporters).
    Attest {
        #[command(flatten)]
        signer: SignerArgs,
        /// Provider (0x address or key name).
        #[arg(long, conflicts_with = "asset")]
        provider: Option<String>,
        /// Asset id.
        #[arg(long)]
        asset: Option<u64>,
        /// Certificate-backed green share, bps (8000 = 80%).
        #[arg(long)]
        green_bps: u32,
        /// Location-based grid intensity, gCO2e/kWh.
        #[arg(long)]
        intensity: u32,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Require a minimum green share for your job (right after posting it, before any bid).
    Require {
        #[command(flatten)]
        signer: SignerArgs,
        /// Job id.
        #[arg(long)]
        job: u64,
        /// Least green share, bps.
        #[arg(long)]
        min_green_bps: u32,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Report a committed job's mean device power and run time (its provider).
    Report {
        #[command(flatten)]
        signer: SignerArgs,
        /// Job id.
        #[arg(long)]
        job: u64,
        /// Mean device power, watts.
        #[arg(long)]
        power_w: u64,
        /// Run time, seconds.
        #[arg(long)]
        run_s: u64,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Attestations, or one job's energy and carbon with `--job`.
    Show {
        /// Job id.
        #[arg(long)]
        job: Option<u64>,
    },
    /// The green compute index: price of a green GPU-hour per epoch and token.
    Index,
}

/// Run `verity green …`.
pub fn run(ctx: &Ctx, cmd: GreenCmd) -> anyhow::Result<()> {
    let (signer, tx, opts) = match cmd {
        GreenCmd::Show { job } => return show(ctx, job),
        GreenCmd::Index => return index(ctx),
        GreenCmd::Attest {
            signer,
            provider,
            asset,
            green_bps,
            intensity,
            opts,
        } => {
            let subject = match (provider, asset) {
                (Some(p), None) => Subject::Provider(chain::resolve_address(ctx, &p)?),
                (None, Some(a)) => Subject::Asset(a),
                _ => anyhow::bail!("name exactly one subject: --provider ADDRESS or --asset ID"),
            };
            let tx = GreenTx::Attest {
                subject,
                green_bps,
                intensity_g_per_kwh: intensity,
            };
            (signer, tx, opts)
        }
        GreenCmd::Require {
            signer,
            job,
            min_green_bps,
            opts,
        } => (signer, GreenTx::Require { job, min_green_bps }, opts),
        GreenCmd::Report {
            signer,
            job,
            power_w,
            run_s,
            opts,
        } => {
            let tx = GreenTx::Report {
                job,
                power_mw: power_w
                    .checked_mul(1_000)
                    .ok_or_else(|| anyhow::anyhow!("--power-w {power_w} is too large"))?,
                run_ms: run_s
                    .checked_mul(1_000)
                    .ok_or_else(|| anyhow::anyhow!("--run-s {run_s} is too large"))?,
            };
            (signer, tx, opts)
        }
    };
    super::send::sign_send_report(ctx, &signer, Payload::Green(tx), &opts)
}

fn show(ctx: &Ctx, job: Option<u64>) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    if let Some(job) = job {
        let v = client.green_job(job)?;
        return ctx.emit(serde_json::to_value(&v)?, || {
            let req = format!("job {job}: requires {} bps green", v.required_green_bps);
            match &v.energy {
                None => format!("{req}; energy not reported yet"),
                Some(e) => format!(
                    "{req}\n  {} W for {} s = {} mWh ({:.3} kWh) at {} gCO2e/kWh\n  SCI {} mgCO2e = operational {} + embodied {} ({:.3} gCO2e); green share {} bps",
                    e.power_mw / 1_000,
                    e.run_ms / 1_000,
                    e.sci.energy_mwh,
                    e.sci.energy_mwh as f64 / 1e6,
                    e.intensity_g_per_kwh,
                    e.sci.sci_mg,
                    e.sci.operational_mg,
                    e.sci.embodied_mg,
                    e.sci.sci_mg as f64 / 1e3,
                    e.green_bps
                ),
            }
        });
    }
    let v = client.green()?;
    ctx.emit(serde_json::to_value(&v)?, || {
        if v.attestations.is_empty() {
            return "no energy attestations yet (verity green attest, ENERGY reporters)".into();
        }
        v.attestations
            .iter()
            .map(|a| {
                format!(
                    "{:?}: {} bps green, {} gCO2e/kWh (by {} at {})",
                    a.subject, a.green_bps, a.intensity_g_per_kwh, a.reporter, a.at
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn index(ctx: &Ctx) -> anyhow::Result<()> {
    let v = chain::client(ctx).green()?;
    ctx.emit(serde_json::to_value(&v.index)?, || {
        if v.index.is_empty() {
            return "no settled job reported its energy yet".into();
        }
        v.index
            .iter()
            .map(|r| {
                format!(
                    "epoch {} token {}: {} jobs, {} GPU-ms ({} green), price per green GPU-hour {}",
                    r.entry.epoch,
                    r.entry.token.0,
                    r.entry.jobs,
                    r.entry.gpu_ms,
                    r.entry.green_ms,
                    r.price_per_green_hour.as_deref().unwrap_or("n/a")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}
