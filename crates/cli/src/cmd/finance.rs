//! `verity finance propose|approve|repay|default|show`: vault financing of GPU assets (issue 6).
//! Amounts are decimal AID (18 decimals).

use clap::Subcommand;
use verity_ledger::Payload;
use verity_ledger::assets::{AssetTx, Deal};

use super::Ctx;
use super::amount::{format_amount, parse_amount};
use super::chain::{self, SendOpts};
use super::signer::SignerArgs;

/// Subcommands of `verity finance`.
#[derive(Subcommand, Debug)]
pub enum FinanceCmd {
    /// Propose vault financing of your asset (its operator).
    Propose {
        #[command(flatten)]
        signer: SignerArgs,
        /// Asset id.
        #[arg(long)]
        asset: u64,
        /// Principal, decimal AID.
        #[arg(long)]
        principal: String,
        /// Financier share of each job payment, bps.
        #[arg(long)]
        share_bps: u32,
        /// Term, days.
        #[arg(long)]
        term_days: u64,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Approve and fund a proposed deal (the vault manager governance named).
    Approve {
        #[command(flatten)]
        signer: SignerArgs,
        /// Deal id.
        deal: u64,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Repay principal, decimal AID (anyone).
    Repay {
        #[command(flatten)]
        signer: SignerArgs,
        /// Deal id.
        deal: u64,
        /// Amount, decimal AID.
        #[arg(long)]
        amount: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Default a deal after its term: writes down the outstanding principal (anyone).
    Default {
        #[command(flatten)]
        signer: SignerArgs,
        /// Deal id.
        deal: u64,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Show one deal, or every deal.
    Show {
        /// Deal id.
        deal: Option<u64>,
    },
}

const AID_DECIMALS: u8 = 18;

/// Run `verity finance …`.
pub fn run(ctx: &Ctx, cmd: FinanceCmd) -> anyhow::Result<()> {
    let (signer, tx, opts) = match cmd {
        FinanceCmd::Show { deal } => return show(ctx, deal),
        FinanceCmd::Propose {
            signer,
            asset,
            principal,
            share_bps,
            term_days,
            opts,
        } => {
            let term_ms = term_days
                .checked_mul(86_400_000)
                .ok_or_else(|| anyhow::anyhow!("--term-days {term_days} is too long"))?;
            let tx = AssetTx::ProposeFinancing {
                asset,
                principal: parse_amount(&principal, AID_DECIMALS)?,
                share_bps,
                term_ms,
            };
            (signer, tx, opts)
        }
        FinanceCmd::Approve { signer, deal, opts } => {
            (signer, AssetTx::ApproveFinancing { deal }, opts)
        }
        FinanceCmd::Repay {
            signer,
            deal,
            amount,
            opts,
        } => {
            let amount = parse_amount(&amount, AID_DECIMALS)?;
            (signer, AssetTx::RepayFinancing { deal, amount }, opts)
        }
        FinanceCmd::Default { signer, deal, opts } => {
            (signer, AssetTx::DefaultFinancing { deal }, opts)
        }
    };
    super::send::sign_send_report(ctx, &signer, Payload::Assets(tx), &opts)
}

fn line(d: &Deal) -> String {
    format!(
        "deal {} on asset {} {:?}: principal {} AID, outstanding {}, share {} bps, term {} d, revenue to the vault {}, written off {}",
        d.id,
        d.asset,
        d.status,
        format_amount(d.principal, AID_DECIMALS),
        format_amount(d.outstanding(), AID_DECIMALS),
        d.share_bps,
        d.term_ms / 86_400_000,
        format_amount(d.revenue, AID_DECIMALS),
        format_amount(d.written_off, AID_DECIMALS)
    )
}

fn show(ctx: &Ctx, deal: Option<u64>) -> anyhow::Result<()> {
    let v = chain::client(ctx).assets()?;
    match deal {
        Some(id) => {
            let d = v
                .deals
                .iter()
                .find(|d| d.id == id)
                .ok_or_else(|| anyhow::anyhow!("no financing deal {id}"))?;
            ctx.emit(serde_json::to_value(d)?, || line(d))
        }
        None => ctx.emit(serde_json::to_value(&v.deals)?, || {
            if v.deals.is_empty() {
                return "no financing deals (verity finance propose)".into();
            }
            let mut s: Vec<String> = v.deals.iter().map(line).collect();
            s.push(format!(
                "vault manager: {}",
                v.params
                    .vault_manager
                    .map_or("none (governance: finance_approve)".into(), |a| a
                        .to_string())
            ));
            s.join("\n")
        }),
    }
}
