//! `verity send --from KEY --to ADDR --amount 1.5 --token VTY`: a signed Transfer, converted
//! exactly from a decimal amount with the token's decimals, then the durable receipt.

use clap::Args;
use serde_json::json;
use verity_ledger::Payload;

use super::Ctx;
use super::amount::parse_amount;
use super::chain::{self, SendOpts};
use super::keystore::Keystore;
use super::signer::SignerArgs;

/// Arguments of `verity send`.
#[derive(Args, Debug)]
pub struct SendArgs {
    #[command(flatten)]
    signer: SignerArgs,
    /// Recipient: an 0x address or a keystore key name.
    #[arg(long)]
    to: String,
    /// Decimal amount in whole tokens, e.g. 1.5 (at most the token's decimals).
    #[arg(long)]
    amount: String,
    /// Token symbol.
    #[arg(long, default_value = "VTY")]
    token: String,
    #[command(flatten)]
    opts: SendOpts,
}

/// Run `verity send`.
pub fn run(ctx: &Ctx, args: SendArgs) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    let to = chain::resolve_address(ctx, &args.to)?;
    let token = chain::token_by_symbol(&client, &args.token)?;
    let amount = parse_amount(&args.amount, token.info.decimals)?;
    let key = args.signer.load(&Keystore::new(ctx.keystore_dir()))?;
    let payload = Payload::Transfer {
        to,
        token: token.id,
        amount,
    };
    let sent = chain::sign_and_send(&client, &key, payload, &args.opts)?;
    report(ctx, &sent)
}

/// Load `signer`'s key, sign `payload`, submit it (waiting per `opts`) and print the result: the
/// tail every transaction-sending subcommand shares.
pub fn sign_send_report(
    ctx: &Ctx,
    signer: &SignerArgs,
    payload: Payload,
    opts: &SendOpts,
) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    let key = signer.load(&Keystore::new(ctx.keystore_dir()))?;
    let sent = chain::sign_and_send(&client, &key, payload, opts)?;
    report(ctx, &sent)
}

/// Print a sent transaction: its hash, and the receipt when there is one. A failed receipt is
/// an error exit (the transaction was included and its nonce consumed, but it did nothing).
pub fn report(ctx: &Ctx, sent: &chain::Sent) -> anyhow::Result<()> {
    let hash = sent.tx.hash();
    let value = json!({
        "hash": hash,
        "sender": sent.tx.tx.sender,
        "nonce": sent.tx.tx.nonce,
        "receipt": sent.receipt,
    });
    ctx.emit(value, || match &sent.receipt {
        Some(r) => chain::receipt_text(r),
        None => format!("submitted {hash} (not waiting for the receipt)"),
    })?;
    if let Some(r) = &sent.receipt
        && let verity_ledger::TxStatus::Failed { error } = &r.status
    {
        anyhow::bail!("transaction {hash} was included but failed: {error}");
    }
    Ok(())
}
