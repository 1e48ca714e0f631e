//! `verity asset register|attest|challenge|bind|transfer|show|list`: GPU assets on the ledger
//! (issue 6). `register` hashes the serial number (only its keccak goes on chain); power is
//! given in watts and embodied carbon in kg CO2e and stored as mW and g.

use clap::{Subcommand, ValueEnum};
use verity_ledger::Payload;
use verity_ledger::assets::{Asset, AssetSpec, AssetTx, ClaimKind};
use verity_primitives::Hash;

use super::Ctx;
use super::chain::{self, SendOpts};
use super::signer::SignerArgs;

/// What a validator attests.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ClaimArg {
    /// The device exists with the registered specs.
    Existence,
    /// The device is operating.
    Operation,
    /// The device passed benchmark job `--job`.
    Performance,
}

/// Subcommands of `verity asset`.
#[derive(Subcommand, Debug)]
pub enum AssetCmd {
    /// Register a GPU asset (the signer becomes owner and operator).
    Register {
        #[command(flatten)]
        signer: SignerArgs,
        /// Model, e.g. H100-SXM5-80GB.
        #[arg(long)]
        model: String,
        /// Device memory, MiB.
        #[arg(long)]
        memory_mb: u64,
        /// Serial number (only its keccak256 is stored).
        #[arg(long)]
        serial: String,
        /// Location (site, region or grid zone).
        #[arg(long, default_value = "")]
        location: String,
        /// Rated board power, watts (bounds the energy jobs may report).
        #[arg(long)]
        power_w: u64,
        /// Embodied emissions of the device, kg CO2e.
        #[arg(long, default_value_t = 0)]
        embodied_kg: u64,
        /// Expected lifetime, hours.
        #[arg(long, default_value_t = 43_800)]
        lifetime_hours: u64,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Attest a claim about an asset (staked validators).
    Attest {
        #[command(flatten)]
        signer: SignerArgs,
        /// Asset id.
        asset: u64,
        /// The claim.
        #[arg(long, value_enum)]
        claim: ClaimArg,
        /// Benchmark job of a performance claim.
        #[arg(long)]
        job: Option<u64>,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Refute claim CLAIM of an asset with a slashed or expired job that ran on it.
    Challenge {
        #[command(flatten)]
        signer: SignerArgs,
        /// Asset id.
        asset: u64,
        /// Claim index (see `verity asset show`).
        #[arg(long)]
        claim: u32,
        /// Evidence job.
        #[arg(long)]
        job: u64,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Bind your asset to a job you bid on or won (its revenue then follows the asset).
    Bind {
        #[command(flatten)]
        signer: SignerArgs,
        /// Job id.
        #[arg(long)]
        job: u64,
        /// Asset id.
        #[arg(long)]
        asset: u64,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Transfer an asset (owner or approved).
    Transfer {
        #[command(flatten)]
        signer: SignerArgs,
        /// Asset id.
        asset: u64,
        /// New owner (0x address or key name).
        #[arg(long)]
        to: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// One asset with its claims, deals and energy attestation (`GET /v1/assets/{id}`).
    Show {
        /// Asset id.
        asset: u64,
    },
    /// Every asset (`GET /v1/assets`).
    List,
}

/// Run `verity asset …`.
pub fn run(ctx: &Ctx, cmd: AssetCmd) -> anyhow::Result<()> {
    let (signer, tx, opts) = match cmd {
        AssetCmd::Show { asset } => return show(ctx, asset),
        AssetCmd::List => return list(ctx),
        AssetCmd::Register {
            signer,
            model,
            memory_mb,
            serial,
            location,
            power_w,
            embodied_kg,
            lifetime_hours,
            opts,
        } => {
            let spec = AssetSpec {
                model,
                memory_mb,
                serial_hash: Hash::keccak(serial.as_bytes()),
                location,
                max_power_mw: power_w
                    .checked_mul(1_000)
                    .ok_or_else(|| anyhow::anyhow!("--power-w {power_w} is too large"))?,
                embodied_gco2e: embodied_kg
                    .checked_mul(1_000)
                    .ok_or_else(|| anyhow::anyhow!("--embodied-kg {embodied_kg} is too large"))?,
                lifetime_hours,
            };
            (signer, AssetTx::Register(spec), opts)
        }
        AssetCmd::Attest {
            signer,
            asset,
            claim,
            job,
            opts,
        } => {
            let claim = match (claim, job) {
                (ClaimArg::Existence, _) => ClaimKind::Existence,
                (ClaimArg::Operation, _) => ClaimKind::Operation,
                (ClaimArg::Performance, Some(job)) => ClaimKind::Performance { job },
                (ClaimArg::Performance, None) => {
                    anyhow::bail!("a performance claim names its benchmark job: add --job N")
                }
            };
            (signer, AssetTx::Attest { asset, claim }, opts)
        }
        AssetCmd::Challenge {
            signer,
            asset,
            claim,
            job,
            opts,
        } => (signer, AssetTx::Challenge { asset, claim, job }, opts),
        AssetCmd::Bind {
            signer,
            job,
            asset,
            opts,
        } => (signer, AssetTx::BindJob { job, asset }, opts),
        AssetCmd::Transfer {
            signer,
            asset,
            to,
            opts,
        } => {
            let to = chain::resolve_address(ctx, &to)?;
            (signer, AssetTx::Transfer { asset, to }, opts)
        }
    };
    super::send::sign_send_report(ctx, &signer, Payload::Assets(tx), &opts)
}

fn line(a: &Asset) -> String {
    format!(
        "asset {}: {} {} MiB, {} W, at {:?}, {:?}, owner {}, operator {}{}",
        a.id,
        a.spec.model,
        a.spec.memory_mb,
        a.spec.max_power_mw / 1_000,
        a.spec.location,
        a.status,
        a.owner,
        a.operator,
        a.deal.map(|d| format!(", deal {d}")).unwrap_or_default()
    )
}

fn show(ctx: &Ctx, id: u64) -> anyhow::Result<()> {
    let v = chain::client(ctx).asset(id)?;
    ctx.emit(serde_json::to_value(&v)?, || {
        let mut s = line(&v.asset);
        for c in &v.claims {
            s.push_str(&format!(
                "\n  claim {} {:?}: {} attester(s){}{}",
                c.index,
                c.kind,
                c.attesters.len(),
                if c.confirmed_at.is_some() {
                    ", confirmed"
                } else {
                    ""
                },
                c.refuted
                    .map(|j| format!(", REFUTED by job {j}"))
                    .unwrap_or_default()
            ));
        }
        for d in &v.deals {
            s.push_str(&format!(
                "\n  deal {} {:?}: principal {}, share {} bps, repaid {}, revenue {}",
                d.id, d.status, d.principal, d.share_bps, d.repaid, d.revenue
            ));
        }
        if let Some(e) = &v.energy {
            s.push_str(&format!(
                "\n  energy: {} bps green, {} gCO2e/kWh",
                e.green_bps, e.intensity_g_per_kwh
            ));
        }
        s
    })
}

fn list(ctx: &Ctx) -> anyhow::Result<()> {
    let v = chain::client(ctx).assets()?;
    ctx.emit(serde_json::to_value(&v)?, || {
        if v.assets.is_empty() {
            return "no assets registered (verity asset register)".into();
        }
        v.assets.iter().map(line).collect::<Vec<_>>().join("\n")
    })
}
