//! `verity devnet [--data-dir DIR] [--http ADDR]`: a one-node chain from the built-in dev
//! genesis (`Genesis::dev`), with funded dev accounts whose (public, test-only) keys it prints.
//! Data lives in `./.verity/devnet` by default; starting again resumes the same chain.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use serde_json::json;
use verity_ledger::Genesis;
use verity_ledger::genesis::dev_accounts;

use super::Ctx;
use super::keystore::secret_hex;
use super::node::{Tuning, serve};

/// Arguments of `verity devnet`.
#[derive(Args, Debug)]
pub struct DevnetArgs {
    /// Folder holding the chain database.
    #[arg(long, default_value = "./.verity/devnet")]
    pub data_dir: PathBuf,
    /// Address to serve the HTTP API on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8645")]
    pub http: SocketAddr,
    /// How many funded dev accounts the genesis creates (must stay the same across restarts).
    #[arg(long, default_value_t = 10)]
    pub accounts: u32,
    /// Write the dev genesis as TOML to this file and exit (for `verity node --genesis`).
    #[arg(long, value_name = "FILE")]
    pub write_genesis: Option<PathBuf>,
    #[command(flatten)]
    pub tuning: Tuning,
}

/// Run `verity devnet`.
pub fn run(ctx: &Ctx, args: DevnetArgs) -> anyhow::Result<()> {
    if args.accounts == 0 || args.accounts > 1000 {
        anyhow::bail!("--accounts must be between 1 and 1000");
    }
    let accounts = dev_accounts(args.accounts);
    let addresses: Vec<_> = accounts.iter().map(|(_, a)| *a).collect();
    let genesis = Genesis::dev(&addresses);
    if let Some(path) = &args.write_genesis {
        std::fs::write(path, genesis.to_toml_string())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        return ctx.emit(
            json!({"genesis": path, "chain_id": genesis.chain_id}),
            || format!("wrote the dev genesis to {}", path.display()),
        );
    }
    std::fs::create_dir_all(&args.data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", args.data_dir.display()))?;
    let listed: Vec<_> = accounts
        .iter()
        .map(|(k, a)| json!({"address": a, "private_key": secret_hex(k)}))
        .collect();
    let mut text = String::from(
        "\n\nDev accounts (1,000,000 VTY, USDC and USDT each at genesis).\n\
         These keys are PUBLIC test keys: never use them for anything of value.\n",
    );
    for (i, (k, a)) in accounts.iter().enumerate() {
        text.push_str(&format!("  #{i:<3} {a}  {}\n", secret_hex(k)));
    }
    // issue 5: the oracle reporter that may post TBILL_YIELD (verity oracle report).
    let reporter = verity_ledger::genesis::dev_secret_named(verity_ledger::oracle::DEV_REPORTER);
    let reporter_addr = verity_ledger::address_of(&reporter);
    text.push_str(&format!(
        "Oracle reporter (TBILL_YIELD): {reporter_addr}  {}\n",
        secret_hex(&reporter)
    ));
    text.push_str("Try: DEV0=<key #0> verity send --private-key-env DEV0 --to <address> --amount 1.5 --token VTY");
    serve(
        ctx,
        &args.data_dir,
        Some(genesis),
        args.http,
        &args.tuning,
        Some((
            json!({"accounts": listed,
                   "oracle_reporter": {"address": reporter_addr, "private_key": secret_hex(&reporter)}}),
            text,
        )),
    )
}
