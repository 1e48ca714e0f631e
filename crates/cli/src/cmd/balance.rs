//! `verity balance ADDRESS [--token SYM]`: an account's balances (and nonce, stake) from the node.

use clap::Args;
use serde_json::json;

use super::Ctx;
use super::amount::format_amount;
use super::chain;

/// Arguments of `verity balance`.
#[derive(Args, Debug)]
pub struct BalanceArgs {
    /// An 0x address or a keystore key name.
    pub address: String,
    /// Show only this token (symbol, e.g. VTY).
    #[arg(long)]
    pub token: Option<String>,
}

/// Run `verity balance`.
pub fn run(ctx: &Ctx, args: BalanceArgs) -> anyhow::Result<()> {
    let address = chain::resolve_address(ctx, &args.address)?;
    let client = chain::client(ctx);
    let account = client.account(&address)?;
    if let Some(sym) = &args.token {
        let token = chain::token_by_symbol(&client, sym)?;
        let amount = account
            .balances
            .iter()
            .find(|b| b.token == token.id)
            .map_or(0, |b| b.amount);
        let text = format_amount(amount, token.info.decimals);
        return ctx.emit(
            json!({
                "address": address,
                "height": account.height,
                "token": token.info.symbol,
                "decimals": token.info.decimals,
                "amount": amount.to_string(),
                "display": text,
            }),
            || format!("{text} {}", token.info.symbol),
        );
    }
    let value = serde_json::to_value(&account)?;
    ctx.emit(value, || {
        let mut out = format!(
            "{address} at height {} (next nonce {})",
            account.height, account.nonce
        );
        if account.balances.is_empty() {
            out.push_str("\n  no balances");
        }
        for b in &account.balances {
            out.push_str(&format!(
                "\n  {:>32} {}",
                format_amount(b.amount, b.decimals),
                b.symbol
            ));
        }
        if account.stake.bonded > 0 || !account.stake.unbonding.is_empty() {
            out.push_str(&format!(
                "\n  stake: {} bonded (base units), {} unbonding entries",
                account.stake.bonded,
                account.stake.unbonding.len()
            ));
        }
        out
    })
}
