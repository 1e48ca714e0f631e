//! `verity proof get ADDRESS TOKEN --out FILE` saves a balance proof from the node;
//! `verity proof verify FILE [--root HASH]` checks one offline against a state root.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::json;
use verity_api::ProofResponse;
use verity_ledger::BalanceProof;
use verity_primitives::Hash;

use super::Ctx;
use super::chain;

/// Subcommands of `verity proof`.
#[derive(Subcommand, Debug)]
pub enum ProofCmd {
    /// Fetch `GET /v1/proof/{address}/{token}` and save it to a file.
    Get {
        /// An 0x address or a keystore key name.
        address: String,
        /// Token symbol (or numeric id).
        token: String,
        /// Where to write the proof JSON.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a saved proof offline. Without --root the root recorded in the file is used, which
    /// proves only that the file is self-consistent: pass a root you trust.
    Verify {
        /// The proof file (as saved by `proof get` or served by the API).
        file: PathBuf,
        /// The state root to check against (0x + 64 hex).
        #[arg(long)]
        root: Option<String>,
    },
}

/// Run `verity proof …`.
pub fn run(ctx: &Ctx, cmd: ProofCmd) -> anyhow::Result<()> {
    match cmd {
        ProofCmd::Get {
            address,
            token,
            out,
        } => {
            let address = chain::resolve_address(ctx, &address)?;
            let client = chain::client(ctx);
            let p = client.proof(&address, &token)?;
            let body = serde_json::to_vec_pretty(&p)?;
            std::fs::write(&out, body)
                .with_context(|| format!("cannot write {}", out.display()))?;
            ctx.emit(
                json!({"file": out, "address": p.address, "token": p.symbol,
                       "balance": p.balance.to_string(), "height": p.height, "state_root": p.state_root}),
                || {
                    format!(
                        "saved proof of {} {} (base units) for {} at height {} (root {}) to {}",
                        p.balance,
                        p.symbol,
                        p.address,
                        p.height,
                        p.state_root,
                        out.display()
                    )
                },
            )
        }
        ProofCmd::Verify { file, root } => {
            let raw = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let (proof, symbol) = parse_proof_file(&raw)
                .with_context(|| format!("{} is not a Verity balance proof", file.display()))?;
            let (root, trusted) = match &root {
                Some(r) => (
                    r.parse::<Hash>()
                        .map_err(|e| anyhow::anyhow!("--root {r:?} is not a hash: {e}"))?,
                    true,
                ),
                None => (proof.state_root, false),
            };
            let balance = proof
                .verify(root)
                .with_context(|| format!("proof does NOT verify against root {root}"))?;
            let shown = if symbol.is_empty() {
                format!("{balance} base units of token {}", proof.token)
            } else {
                format!("{balance} base units of {symbol}")
            };
            ctx.emit(
                json!({"valid": true, "address": proof.address, "token": proof.token,
                       "balance": balance.to_string(), "height": proof.height,
                       "root": root, "root_from_file": !trusted}),
                || {
                    let mut s = format!(
                        "valid: {} holds {shown} at height {} under state root {root}",
                        proof.address, proof.height
                    );
                    if !trusted {
                        s.push_str("\n(root taken from the file itself; pass --root from a source you trust)");
                    }
                    s
                },
            )
        }
    }
}

/// Accept a full `ProofResponse` (what `proof get` saves) or a bare `BalanceProof`. The outer
/// fields of a response must agree with the proof inside it.
fn parse_proof_file(raw: &str) -> anyhow::Result<(BalanceProof, String)> {
    if let Ok(r) = serde_json::from_str::<ProofResponse>(raw) {
        if r.address != r.proof.address || r.token != r.proof.token || r.balance != r.proof.balance
        {
            bail!("the file's address/token/balance differ from the proof inside it");
        }
        if r.state_root != r.proof.state_root || r.height != r.proof.height {
            bail!("the file's state root/height differ from the proof inside it");
        }
        return Ok((r.proof, r.symbol));
    }
    let p: BalanceProof = serde_json::from_str(raw)?;
    Ok((p, String::new()))
}
