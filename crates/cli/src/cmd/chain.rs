//! Shared plumbing of the commands that talk to a node: the API client, resolving an address or
//! keystore name, looking tokens up by symbol, and sign → submit → wait for the durable receipt.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use verity_api::{ApiClient, TokenEntry, TxState};
use verity_ledger::{Payload, Receipt, SecretKey, SignedTransaction, Transaction};
use verity_primitives::Address;

use super::Ctx;
use super::keystore::Keystore;

/// The API client for `--node`.
pub fn client(ctx: &Ctx) -> ApiClient {
    ApiClient::new(&ctx.node)
}

/// An address given as `0x…` or as the name of a key in the keystore.
pub fn resolve_address(ctx: &Ctx, text: &str) -> anyhow::Result<Address> {
    if text.starts_with("0x") || text.starts_with("0X") {
        return text
            .parse::<Address>()
            .with_context(|| format!("{text:?} is not a valid address"));
    }
    let ks = Keystore::new(ctx.keystore_dir());
    Ok(ks
        .find(text)
        .with_context(|| format!("{text:?} is neither an 0x address nor a key name"))?
        .address)
}

/// The token with this symbol (case-insensitive), from the node's registry.
pub fn token_by_symbol(client: &ApiClient, symbol: &str) -> anyhow::Result<TokenEntry> {
    let tokens = client.tokens()?;
    let known: Vec<String> = tokens
        .tokens
        .iter()
        .map(|t| t.info.symbol.clone())
        .collect();
    tokens
        .tokens
        .into_iter()
        .find(|t| t.info.symbol.eq_ignore_ascii_case(symbol))
        .with_context(|| {
            format!(
                "no token {symbol:?} on this chain (known: {})",
                known.join(", ")
            )
        })
}

/// Options shared by every command that sends a transaction.
#[derive(clap::Args, Debug, Clone)]
pub struct SendOpts {
    /// Use this nonce instead of the account's next one (e.g. to queue several transactions).
    #[arg(long)]
    pub nonce: Option<u64>,
    /// Return right after the node admits the transaction, without waiting for its receipt.
    #[arg(long)]
    pub no_wait: bool,
    /// Give up waiting for the receipt after this many seconds.
    #[arg(long, default_value_t = 60)]
    pub wait_secs: u64,
}

/// What happened to a sent transaction.
pub struct Sent {
    /// The signed transaction.
    pub tx: SignedTransaction,
    /// Its durable receipt, unless `--no-wait`.
    pub receipt: Option<Receipt>,
}

/// Sign `payload` with `key` for the node's chain and the sender's next nonce, submit it, and
/// (unless `--no-wait`) wait until its block is durable.
pub fn sign_and_send(
    client: &ApiClient,
    key: &SecretKey,
    payload: Payload,
    opts: &SendOpts,
) -> anyhow::Result<Sent> {
    let sender = verity_ledger::address_of(key);
    let status = client.status()?;
    let nonce = match opts.nonce {
        Some(n) => n,
        None => client.account(&sender)?.nonce,
    };
    let tx = Transaction {
        chain_id: status.chain_id,
        sender,
        nonce,
        payload,
    };
    let signed = SignedTransaction::sign(tx, key);
    let hash = client
        .submit_tx(&signed)
        .context("the node refused the transaction")?;
    if opts.no_wait {
        return Ok(Sent {
            tx: signed,
            receipt: None,
        });
    }
    let receipt = wait_receipt(client, &hash, Duration::from_secs(opts.wait_secs))?;
    Ok(Sent {
        tx: signed,
        receipt: Some(receipt),
    })
}

/// Long-poll `GET /v1/tx/{hash}` until the receipt is durable or `limit` passes.
pub fn wait_receipt(
    client: &ApiClient,
    hash: &verity_primitives::Hash,
    limit: Duration,
) -> anyhow::Result<Receipt> {
    let start = Instant::now();
    loop {
        let left = limit.saturating_sub(start.elapsed());
        let r = client.tx(hash, Some(left.min(Duration::from_secs(10))))?;
        match (r.status, r.receipt) {
            (TxState::Committed, Some(receipt)) => return Ok(receipt),
            (TxState::Unknown, _) => bail!("the node no longer knows transaction {hash}"),
            _ if start.elapsed() >= limit => {
                bail!(
                    "transaction {hash} has no receipt after {} s",
                    limit.as_secs()
                )
            }
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// A receipt for people: status line plus one line per event.
pub fn receipt_text(r: &Receipt) -> String {
    let mut out = format!(
        "tx {} in block {} (index {}): {}",
        r.tx_hash,
        r.height,
        r.index,
        match &r.status {
            verity_ledger::TxStatus::Success => "success".to_string(),
            verity_ledger::TxStatus::Failed { error } => format!("FAILED: {error}"),
        }
    );
    for e in &r.events {
        let line = serde_json::to_string(e).unwrap_or_else(|_| format!("{e:?}"));
        out.push_str(&format!("\n  event {line}"));
    }
    out
}
