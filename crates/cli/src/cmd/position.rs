//! `verity position show|transfer`: position NFTs (issue 6) — the revenue right of an assigned
//! job. Whoever holds it is paid at settlement; the provider still executes the job.

use clap::Subcommand;
use verity_ledger::Payload;
use verity_ledger::position::PositionTx;

use super::Ctx;
use super::chain::{self, SendOpts};
use super::signer::SignerArgs;

/// Subcommands of `verity position`.
#[derive(Subcommand, Debug)]
pub enum PositionCmd {
    /// A job's position: provider, holder, status, price.
    Show {
        /// Job id.
        job: u64,
    },
    /// Give a job's position to another account (the current holder).
    Transfer {
        #[command(flatten)]
        signer: SignerArgs,
        /// Job id.
        #[arg(long)]
        job: u64,
        /// New holder: 0x address or key name.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        opts: SendOpts,
    },
}

/// Run `verity position …`.
pub fn run(ctx: &Ctx, cmd: PositionCmd) -> anyhow::Result<()> {
    match cmd {
        PositionCmd::Show { job } => {
            let v = chain::client(ctx).position(job)?;
            ctx.emit(serde_json::to_value(&v)?, || {
                format!(
                    "position {}: holder {}, provider {}, job {:?}, price {} of token {}",
                    v.job, v.holder, v.provider, v.status, v.price, v.token.0
                )
            })
        }
        PositionCmd::Transfer {
            signer,
            job,
            to,
            opts,
        } => {
            let to = chain::resolve_address(ctx, &to)?;
            let tx = PositionTx::TransferPosition { job, to };
            super::send::sign_send_report(ctx, &signer, Payload::Position(tx), &opts)
        }
    }
}
