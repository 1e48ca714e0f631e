//! Who signs: turns `--from NAME|ADDRESS` (keystore + password) or `--private-key-env VAR` into a
//! secret key, and derives addresses through the ledger's own `address_of` so the CLI and the
//! ledger can never disagree about which address a key controls.

use anyhow::{Context, bail};
use clap::Args;
use verity_ledger::SecretKey;
use verity_primitives::Address;

use super::keystore::{self, Keystore};

/// The address a secret key controls (keccak of the uncompressed public key, last 20 bytes).
pub fn address_of(secret: &SecretKey) -> Address {
    verity_ledger::address_of(secret)
}

/// Flags that name the signing key of a transaction command.
#[derive(Args, Debug, Clone)]
pub struct SignerArgs {
    /// Key name or address in the keystore (password from VERITY_PASSWORD or a prompt).
    #[arg(long, value_name = "KEY", required_unless_present = "private_key_env")]
    pub from: Option<String>,
    /// Dev only: name of an environment variable holding a hex private key.
    #[arg(long, value_name = "VAR", conflicts_with = "from")]
    pub private_key_env: Option<String>,
}

impl SignerArgs {
    /// Load the secret key these flags name.
    pub fn load(&self, ks: &Keystore) -> anyhow::Result<SecretKey> {
        if let Some(var) = &self.private_key_env {
            let hex = std::env::var(var)
                .with_context(|| format!("environment variable {var} is not set (or not UTF-8)"))?;
            return keystore::parse_secret_hex(&hex).with_context(|| {
                format!("environment variable {var} does not hold a private key")
            });
        }
        let Some(from) = &self.from else {
            bail!("name the signing key with --from KEY or --private-key-env VAR");
        };
        let entry = ks.find(from)?;
        let password = keystore::read_password(false)?;
        ks.decrypt(&entry, &password)
    }
}
