//! `verity stake bond|unbond|withdraw`: stake the staking token (VTY on the devnet). Unbonded
//! stake waits the chain's unbonding delay and stays slashable until withdrawn.

use clap::Subcommand;
use verity_ledger::Payload;

use super::Ctx;
use super::amount::parse_amount;
use super::chain::{self, SendOpts};
use super::keystore::Keystore;
use super::signer::SignerArgs;

/// Subcommands of `verity stake`.
#[derive(Subcommand, Debug)]
pub enum StakeCmd {
    /// Move tokens from your balance into bonded stake.
    Bond {
        #[command(flatten)]
        signer: SignerArgs,
        /// Decimal amount of the staking token, e.g. 1000.
        #[arg(long)]
        amount: String,
        /// Symbol of the staking token.
        #[arg(long, default_value = "VTY")]
        token: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Start unbonding stake (withdrawable after the unbonding delay).
    Unbond {
        #[command(flatten)]
        signer: SignerArgs,
        /// Decimal amount of the staking token.
        #[arg(long)]
        amount: String,
        /// Symbol of the staking token.
        #[arg(long, default_value = "VTY")]
        token: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Return every released unbonding entry to your balance.
    Withdraw {
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        opts: SendOpts,
    },
}

/// Run `verity stake …`.
pub fn run(ctx: &Ctx, cmd: StakeCmd) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    let ks = Keystore::new(ctx.keystore_dir());
    let (signer, payload, opts) = match cmd {
        StakeCmd::Bond {
            signer,
            amount,
            token,
            opts,
        } => {
            let t = chain::token_by_symbol(&client, &token)?;
            let amount = parse_amount(&amount, t.info.decimals)?;
            (signer, Payload::Bond { amount }, opts)
        }
        StakeCmd::Unbond {
            signer,
            amount,
            token,
            opts,
        } => {
            let t = chain::token_by_symbol(&client, &token)?;
            let amount = parse_amount(&amount, t.info.decimals)?;
            (signer, Payload::Unbond { amount }, opts)
        }
        StakeCmd::Withdraw { signer, opts } => (signer, Payload::Withdraw, opts),
    };
    let key = signer.load(&ks)?;
    let sent = chain::sign_and_send(&client, &key, payload, &opts)?;
    super::send::report(ctx, &sent)
}
