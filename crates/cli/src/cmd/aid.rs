//! `verity aid mint|redeem|show|snapshot|proof|verify-proof`: the AID synthetic dollar and its
//! proof of reserves. `proof` fetches an inclusion proof (`GET /v1/aid/proof/{address}`);
//! `verify-proof FILE` checks one offline (leaf → root through both children's hashes and sums,
//! reserves ≥ total).

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use serde_json::json;
use verity_ledger::Payload;
use verity_ledger::dollar::por::ReserveProof;

use super::Ctx;
use super::amount::{format_amount, parse_amount};
use super::chain::{self, SendOpts};
use super::signer::SignerArgs;

/// Subcommands of `verity aid`.
#[derive(Subcommand, Debug)]
pub enum AidCmd {
    /// Mint AID 1:1 against USDC/USDT (at par) or TBILL (at NAV).
    Mint {
        #[command(flatten)]
        signer: SignerArgs,
        /// Decimal amount of collateral deposited, e.g. 100.
        #[arg(long)]
        amount: String,
        /// Collateral: USDC, USDT or TBILL.
        #[arg(long, default_value = "USDC")]
        collateral: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Redeem AID at par for a collateral.
    Redeem {
        #[command(flatten)]
        signer: SignerArgs,
        /// Decimal amount of AID.
        #[arg(long)]
        amount: String,
        /// Collateral to receive: USDC, USDT or TBILL.
        #[arg(long, default_value = "USDC")]
        collateral: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Show supply, reserves and the latest proof-of-reserves root (`GET /v1/aid`).
    Show,
    /// Store a new proof-of-reserves snapshot on the ledger (anyone may, once per interval).
    Snapshot {
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Export ADDRESS's inclusion proof in the latest snapshot.
    Proof {
        /// Holder address (or keystore name).
        address: String,
        /// Write the proof to this file instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check an exported proof offline.
    VerifyProof {
        /// The proof file (JSON from `verity aid proof`).
        file: PathBuf,
    },
}

/// Run `verity aid …`.
pub fn run(ctx: &Ctx, cmd: AidCmd) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    let (signer, payload, opts) = match cmd {
        AidCmd::Show => return show(ctx),
        AidCmd::Proof { address, out } => return proof(ctx, &address, out),
        AidCmd::VerifyProof { file } => return verify(ctx, &file),
        AidCmd::Mint {
            signer,
            amount,
            collateral,
            opts,
        } => {
            let t = chain::token_by_symbol(&client, &collateral)?;
            let amount = parse_amount(&amount, t.info.decimals)?;
            (
                signer,
                Payload::MintAid {
                    collateral: t.id,
                    amount,
                },
                opts,
            )
        }
        AidCmd::Redeem {
            signer,
            amount,
            collateral,
            opts,
        } => {
            let t = chain::token_by_symbol(&client, &collateral)?;
            let aid = chain::token_by_symbol(&client, "AID")?;
            let amount = parse_amount(&amount, aid.info.decimals)?;
            (
                signer,
                Payload::RedeemAid {
                    amount,
                    collateral: t.id,
                },
                opts,
            )
        }
        AidCmd::Snapshot { signer, opts } => (signer, Payload::SnapshotReserves, opts),
    };
    super::send::sign_send_report(ctx, &signer, payload, &opts)
}

fn show(ctx: &Ctx) -> anyhow::Result<()> {
    let v = chain::client(ctx).aid()?;
    ctx.emit(serde_json::to_value(&v)?, || {
        let mut s = format!(
            "AID supply {}\nreserve value {}",
            format_amount(v.supply, 18),
            format_amount(v.reserve_value, 18)
        );
        for r in &v.reserves {
            s.push_str(&format!(
                "\n  {}: {} base units worth {} AID",
                r.symbol,
                r.amount,
                format_amount(r.value, 18)
            ));
        }
        match &v.latest_snapshot {
            Some(p) => s.push_str(&format!(
                "\nproof of reserves: epoch {} at height {}, root {}, total {}, {} holders",
                p.epoch,
                p.height,
                p.root.hash,
                format_amount(p.root.sum, 18),
                p.holders
            )),
            None => s.push_str("\nproof of reserves: no snapshot yet (verity aid snapshot)"),
        }
        s
    })
}

fn proof(ctx: &Ctx, address: &str, out: Option<PathBuf>) -> anyhow::Result<()> {
    let address = chain::resolve_address(ctx, address)?;
    let p = chain::client(ctx).aid_proof(&address)?;
    p.verify()
        .context("the node returned a proof that does not verify")?;
    let text = serde_json::to_string_pretty(&p)?;
    match out {
        Some(path) => {
            std::fs::write(&path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            ctx.emit(
                json!({"file": path, "address": address, "epoch": p.snapshot.epoch,
                       "balance": p.balance.to_string(), "root": p.snapshot.root.hash}),
                || {
                    format!(
                        "wrote the proof of {address} (epoch {}, balance {} AID) to {}",
                        p.snapshot.epoch,
                        format_amount(p.balance, 18),
                        path.display()
                    )
                },
            )
        }
        None => {
            if ctx.json {
                println!("{}", serde_json::to_string(&p)?);
            } else {
                println!("{text}");
            }
            Ok(())
        }
    }
}

fn verify(ctx: &Ctx, file: &PathBuf) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let p: ReserveProof = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an AID reserve proof", file.display()))?;
    p.verify()
        .with_context(|| format!("the proof in {} is INVALID", file.display()))?;
    ctx.emit(
        json!({"valid": true, "address": p.address, "balance": p.balance.to_string(),
               "epoch": p.snapshot.epoch, "root": p.snapshot.root.hash,
               "total": p.snapshot.root.sum.to_string(),
               "reserve_value": p.snapshot.reserve_value.to_string()}),
        || {
            format!(
                "valid: {} holds {} AID in epoch {} (root {}, total {} AID, reserves {} AID)",
                p.address,
                format_amount(p.balance, 18),
                p.snapshot.epoch,
                p.snapshot.root.hash,
                format_amount(p.snapshot.root.sum, 18),
                format_amount(p.snapshot.reserve_value, 18)
            )
        },
    )
}
