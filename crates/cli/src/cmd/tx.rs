//! `verity tx HASH`: where a transaction is (committed, pending, unknown) and its receipt.

use clap::Args;
use verity_api::TxState;
use verity_primitives::Hash;

use super::Ctx;
use super::chain;

/// Arguments of `verity tx`.
#[derive(Args, Debug)]
pub struct TxArgs {
    /// The transaction hash (0x + 64 hex).
    pub hash: String,
    /// Wait up to this many seconds for the receipt.
    #[arg(long, default_value_t = 0)]
    pub wait_secs: u64,
}

/// Run `verity tx`.
pub fn run(ctx: &Ctx, args: TxArgs) -> anyhow::Result<()> {
    let hash: Hash = args
        .hash
        .parse()
        .map_err(|e| anyhow::anyhow!("{:?} is not a transaction hash: {e}", args.hash))?;
    let client = chain::client(ctx);
    let wait = (args.wait_secs > 0).then(|| std::time::Duration::from_secs(args.wait_secs));
    let r = client.tx(&hash, wait)?;
    let value = serde_json::to_value(&r)?;
    ctx.emit(value, || match (&r.status, &r.receipt) {
        (TxState::Committed, Some(receipt)) => chain::receipt_text(receipt),
        (TxState::Pending, _) => format!("tx {hash} is pending in the mempool"),
        _ => format!("tx {hash} is not known to this node"),
    })?;
    if r.status == TxState::Unknown {
        anyhow::bail!(
            "transaction {hash} is not known to the node at {}",
            ctx.node
        );
    }
    Ok(())
}
