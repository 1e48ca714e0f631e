//! `verity p2p register|show|validators` (issue 7): register this machine's ed25519 p2p key on
//! the ledger (signed by the account key, with the p2p key's proof of possession), show an
//! account's registered key, and list an epoch's validator set.

use anyhow::Context;
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};
use verity_ledger::validators;

use super::Ctx;
use super::chain::{self, SendOpts};
use super::keystore::Keystore;
use super::signer::SignerArgs;

/// Subcommands of `verity p2p`.
#[derive(Subcommand, Debug)]
pub enum P2pCmd {
    /// Register the p2p key in FILE (hex of its 32-byte seed, e.g. a node's `p2p.key`) for
    /// the signing account; replaces the account's earlier key.
    Register {
        /// The key file (`DATA_DIR/p2p.key`).
        #[arg(long)]
        key_file: PathBuf,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Show the p2p key registered for ADDRESS (0x… or a keystore name).
    Show {
        /// The account.
        address: String,
    },
    /// List an epoch's validator set (default: the current epoch).
    Validators {
        /// Epoch.
        #[arg(long)]
        epoch: Option<u64>,
    },
}

/// Read a p2p key file: hex (optionally 0x-prefixed) of a 32-byte ed25519 seed.
pub fn read_key_file(path: &Path) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the p2p key file {}", path.display()))?;
    let t = text.trim();
    let bytes = hex::decode(t.strip_prefix("0x").unwrap_or(t)).with_context(|| {
        format!(
            "{} is not a p2p key file (expected hex of a 32-byte seed)",
            path.display()
        )
    })?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        anyhow::anyhow!(
            "{} holds {} bytes; a p2p key file holds a 32-byte seed as hex",
            path.display(),
            bytes.len()
        )
    })
}

/// Run `verity p2p …`.
pub fn run(ctx: &Ctx, cmd: P2pCmd) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    match cmd {
        P2pCmd::Register {
            key_file,
            signer,
            opts,
        } => {
            let seed = read_key_file(&key_file)?;
            let ks = Keystore::new(ctx.keystore_dir());
            let account = signer.load(&ks)?;
            let address = verity_ledger::address_of(&account);
            let chain_id = client.status()?.chain_id;
            let key = validators::private_key_from_seed(seed);
            let payload = validators::registration_payload(&key, chain_id, &address);
            let sent = chain::sign_and_send(&client, &account, payload, &opts)?;
            super::send::report(ctx, &sent)
        }
        P2pCmd::Show { address } => {
            let a = chain::resolve_address(ctx, &address)?;
            let r = client.p2p_key(&a)?;
            let key = r.p2p_key.map(|k| format!("0x{}", hex::encode(k)));
            ctx.emit(serde_json::to_value(&r)?, || match &key {
                Some(k) => format!(
                    "{}: p2p key {k}{}",
                    r.address,
                    if r.in_validator_set {
                        format!(" (in the validator set of epoch {})", r.epoch)
                    } else {
                        String::new()
                    }
                ),
                None => format!("{}: no p2p key registered", r.address),
            })
        }
        P2pCmd::Validators { epoch } => {
            let r = client.validators(epoch)?;
            ctx.emit(json!(r), || {
                let mut out = format!(
                    "epoch {} (heights {}..={}; chain at height {}, epoch {}): {} validators",
                    r.epoch,
                    r.first_height,
                    r.last_height,
                    r.height,
                    r.current_epoch,
                    r.validators.len()
                );
                for v in &r.validators {
                    out.push_str(&format!(
                        "\n  {}  p2p 0x{}  stake {}",
                        v.address,
                        hex::encode(v.p2p_key),
                        v.stake
                    ));
                }
                out
            })
        }
    }
}
