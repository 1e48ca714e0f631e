//! `verity keys new|list|import|export`: manage the local keystore (see `keystore.rs`).

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use serde_json::json;

use super::Ctx;
use super::keystore::{self, Keystore};

/// Subcommands of `verity keys`.
#[derive(Subcommand, Debug)]
pub enum KeysCmd {
    /// Create a new random key, encrypted with a password (prompt or VERITY_PASSWORD).
    New {
        /// Alias for the key (default: derived from its address).
        #[arg(long)]
        name: Option<String>,
    },
    /// List the keys in the keystore (names and addresses; no password needed).
    List,
    /// Import a hex private key. Read from the environment variable named by
    /// --private-key-env, else from a hidden prompt (or one line of stdin when not a terminal).
    Import {
        /// Alias for the key (default: derived from its address).
        #[arg(long)]
        name: Option<String>,
        /// Name of an environment variable holding the hex private key.
        #[arg(long, value_name = "VAR")]
        private_key_env: Option<String>,
    },
    /// Print a key's keystore v3 JSON (safe to back up), or with --private-key its raw private key.
    Export {
        /// Key name or address.
        key: String,
        /// Print the raw private key (decrypts with the password). Anyone who sees it owns the funds.
        #[arg(long)]
        private_key: bool,
    },
}

/// Run `verity keys …`.
pub fn run(ctx: &Ctx, cmd: KeysCmd) -> anyhow::Result<()> {
    let ks = Keystore::new(ctx.keystore_dir());
    match cmd {
        KeysCmd::New { name } => {
            if let Some(n) = &name {
                keystore::validate_name(n)?;
            }
            let password = keystore::read_password(true)?;
            let secret = keystore::random_secret();
            let e = ks.store(name.as_deref(), &secret, &password)?;
            ctx.emit(
                json!({"name": e.name, "address": e.address, "path": e.path}),
                || {
                    format!(
                        "created key {} {} in {}",
                        e.name,
                        e.address,
                        e.path.display()
                    )
                },
            )
        }
        KeysCmd::List => {
            let keys = ks.list()?;
            ctx.emit(json!({"keystore": ks.dir(), "keys": keys}), || {
                if keys.is_empty() {
                    return format!(
                        "no keys in {} (create one with `verity keys new`)",
                        ks.dir().display()
                    );
                }
                keys.iter()
                    .map(|k| format!("{:<24} {}", k.name, k.address))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        KeysCmd::Import {
            name,
            private_key_env,
        } => {
            if let Some(n) = &name {
                keystore::validate_name(n)?;
            }
            let hex_key = read_private_key(private_key_env.as_deref())?;
            let secret = keystore::parse_secret_hex(&hex_key)?;
            let password = keystore::read_password(true)?;
            let e = ks.store(name.as_deref(), &secret, &password)?;
            ctx.emit(
                json!({"name": e.name, "address": e.address, "path": e.path}),
                || {
                    format!(
                        "imported key {} {} into {}",
                        e.name,
                        e.address,
                        e.path.display()
                    )
                },
            )
        }
        KeysCmd::Export { key, private_key } => {
            let e = ks.find(&key)?;
            if private_key {
                let password = keystore::read_password(false)?;
                let secret = ks.decrypt(&e, &password)?;
                eprintln!(
                    "WARNING: this is the raw private key of {}. Anyone who sees it controls its funds.",
                    e.address
                );
                let hex = keystore::secret_hex(&secret);
                ctx.emit(
                    json!({"name": e.name, "address": e.address, "private_key": hex}),
                    || hex.clone(),
                )
            } else {
                let raw = std::fs::read_to_string(&e.path)
                    .with_context(|| format!("cannot read {}", e.path.display()))?;
                let v: serde_json::Value = serde_json::from_str(&raw)
                    .with_context(|| format!("{} is not JSON", e.path.display()))?;
                // Both modes print the keystore file itself: it is already one JSON object.
                println!("{v}");
                Ok(())
            }
        }
    }
}

fn read_private_key(env_var: Option<&str>) -> anyhow::Result<String> {
    if let Some(var) = env_var {
        return std::env::var(var)
            .with_context(|| format!("environment variable {var} is not set (or not UTF-8)"));
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return rpassword::prompt_password("Private key (hex): ")
            .context("cannot read the private key from the terminal");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the private key from stdin")?;
    Ok(line)
}

/// The keystore directory chosen by `--keystore`, else the default.
pub fn resolve_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.unwrap_or_else(keystore::default_dir)
}
