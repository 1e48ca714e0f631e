//! The local keystore: Ethereum keystore v3 files (scrypt + aes-128-ctr, via the `eth-keystore`
//! crate) in one directory, one file `<name>.json` per key. Each file also carries the key's
//! `address` (as geth writes it: lowercase hex without `0x`) so keys can be listed without a
//! password. Also owns password input (`VERITY_PASSWORD` or a prompt) and turning `--from` /
//! `--private-key-env` into a secret key.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use verity_ledger::SecretKey;
use verity_primitives::Address;

/// Environment variable that supplies the keystore password non-interactively.
pub const PASSWORD_ENV: &str = "VERITY_PASSWORD";

/// One key in the keystore (what `keys list` shows).
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyEntry {
    /// The alias, which is also the file stem.
    pub name: String,
    /// The key's Ethereum-style address.
    pub address: Address,
    /// Where the encrypted file lives.
    pub path: PathBuf,
}

/// A directory of keystore v3 files.
pub struct Keystore {
    dir: PathBuf,
}

/// The default keystore directory: `$VERITY_HOME/keystore`, else `~/.verity/keystore`.
pub fn default_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("VERITY_HOME") {
        return PathBuf::from(home).join("keystore");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".verity").join("keystore")
}

/// Check a key alias: 1-64 characters of `[A-Za-z0-9_-]`, not looking like an address.
pub fn validate_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.len() > 64 {
        bail!("key name must be 1 to 64 characters, got {}", name.len());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!("key name {name:?} may contain only letters, digits, '-' and '_'");
    }
    if name.starts_with("0x") || name.starts_with("0X") {
        bail!("key name {name:?} must not start with 0x (that is how addresses are written)");
    }
    Ok(())
}

/// Parse a 32-byte secp256k1 private key from hex (with or without `0x`).
pub fn parse_secret_hex(text: &str) -> anyhow::Result<SecretKey> {
    let t = text.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let bytes = hex::decode(t).context("private key is not valid hex")?;
    let arr: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| anyhow::anyhow!("private key must be 32 bytes, got {}", bytes.len()))?;
    SecretKey::from_secret_bytes(arr).context("private key is not a valid secp256k1 scalar")
}

/// A fresh random secret key from the operating system's CSPRNG.
pub fn random_secret() -> SecretKey {
    use rand::RngCore;
    let mut rng = rand::rngs::OsRng;
    loop {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        // Fails only for 0 or >= the group order: probability ~2^-128, so just draw again.
        if let Ok(k) = SecretKey::from_secret_bytes(bytes) {
            return k;
        }
    }
}

/// The `0x`-prefixed hex form of a secret key (for export and devnet output).
pub fn secret_hex(key: &SecretKey) -> String {
    format!("0x{}", hex::encode(key.to_secret_bytes()))
}

/// Read the password from `VERITY_PASSWORD`, or prompt on the terminal (twice when `confirm`).
pub fn read_password(confirm: bool) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var(PASSWORD_ENV) {
        return Ok(p);
    }
    let first = rpassword::prompt_password("Keystore password: ").with_context(|| {
        format!("cannot read a password from the terminal; set {PASSWORD_ENV} instead")
    })?;
    if confirm {
        if first.is_empty() {
            bail!("refusing an empty password for a new key");
        }
        let again = rpassword::prompt_password("Repeat password: ")
            .context("cannot read the repeated password")?;
        if again != first {
            bail!("the two passwords differ");
        }
    }
    Ok(first)
}

impl Keystore {
    /// A keystore rooted at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory this keystore reads and writes.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_for(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Every key in the directory, sorted by name. Files that are not keystores are skipped.
    pub fn list(&self) -> anyhow::Result<Vec<KeyEntry>> {
        let mut out = Vec::new();
        let rd = match fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", self.dir.display()));
            }
        };
        for ent in rd {
            let ent = ent.with_context(|| format!("cannot read {}", self.dir.display()))?;
            let path = ent.path();
            let Some(stem) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".json"))
            else {
                continue;
            };
            if validate_name(stem).is_err() {
                continue;
            }
            if let Ok(address) = read_address(&path) {
                out.push(KeyEntry {
                    name: stem.to_string(),
                    address,
                    path,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Find a key by alias or by address.
    pub fn find(&self, name_or_address: &str) -> anyhow::Result<KeyEntry> {
        let keys = self.list()?;
        let by_addr = name_or_address.parse::<Address>().ok();
        keys.into_iter()
            .find(|k| k.name == name_or_address || Some(k.address) == by_addr)
            .with_context(|| {
                format!(
                    "no key named {name_or_address:?} in {} (see `verity keys list`)",
                    self.dir.display()
                )
            })
    }

    /// Encrypt `secret` under `password` and store it as `name` (an alias derived from the
    /// address when `None`). Refuses to overwrite a name or to store the same address twice.
    pub fn store(
        &self,
        name: Option<&str>,
        secret: &SecretKey,
        password: &str,
    ) -> anyhow::Result<KeyEntry> {
        let address = crate::cmd::signer::address_of(secret);
        let name = match name {
            Some(n) => n.to_string(),
            None => format!("key-{}", &hex::encode(address.0)[..8]),
        };
        validate_name(&name)?;
        let existing = self.list()?;
        if let Some(k) = existing.iter().find(|k| k.address == address) {
            bail!(
                "address {address} is already in the keystore as {:?}",
                k.name
            );
        }
        let path = self.path_for(&name);
        if path.exists() {
            bail!("a key named {name:?} already exists at {}", path.display());
        }
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create keystore dir {}", self.dir.display()))?;
        let tmp_name = format!(".{name}.tmp");
        let tmp = self.dir.join(&tmp_name);
        let mut rng = rand::rngs::OsRng;
        eth_keystore::encrypt_key(
            &self.dir,
            &mut rng,
            secret.to_secret_bytes(),
            password,
            Some(&tmp_name),
        )
        .context("encrypting the key failed")?;
        let raw = fs::read_to_string(&tmp).context("reading back the new keystore file")?;
        let _ = fs::remove_file(&tmp);
        let mut json: serde_json::Value =
            serde_json::from_str(&raw).context("eth-keystore wrote invalid JSON")?;
        json["address"] = serde_json::Value::String(hex::encode(address.0));
        write_private(&path, &serde_json::to_vec_pretty(&json)?)?;
        Ok(KeyEntry {
            name,
            address,
            path,
        })
    }

    /// Decrypt a key with `password`, checking it matches the address recorded in the file.
    pub fn decrypt(&self, entry: &KeyEntry, password: &str) -> anyhow::Result<SecretKey> {
        let bytes = eth_keystore::decrypt_key(&entry.path, password).map_err(|e| match e {
            eth_keystore::KeystoreError::MacMismatch => {
                anyhow::anyhow!("wrong password for key {:?}", entry.name)
            }
            other => anyhow::anyhow!("cannot decrypt {}: {other}", entry.path.display()),
        })?;
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| anyhow::anyhow!("keystore {} holds a non-32-byte key", entry.name))?;
        let key = SecretKey::from_secret_bytes(arr).context("keystore holds an invalid key")?;
        let derived = crate::cmd::signer::address_of(&key);
        if derived != entry.address {
            bail!(
                "keystore {} says address {} but its key belongs to {derived}",
                entry.path.display(),
                entry.address
            );
        }
        Ok(key)
    }
}

fn read_address(path: &Path) -> anyhow::Result<Address> {
    let raw = fs::read_to_string(path)?;
    let json: serde_json::Value = serde_json::from_str(&raw)?;
    let addr = json
        .get("address")
        .and_then(|a| a.as_str())
        .context("no address field")?;
    let addr = addr.strip_prefix("0x").unwrap_or(addr).to_ascii_lowercase();
    Ok(format!("0x{addr}").parse::<Address>()?)
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(validate_name("alice").is_ok());
        assert!(validate_name("dev-1_b").is_ok());
        for bad in ["", "a b", "../x", "0xabc", "x.json", &"a".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn secret_hex_round_trips_and_rejects_junk() {
        let k = parse_secret_hex(&format!("0x{}", "11".repeat(32))).unwrap();
        assert_eq!(secret_hex(&k), format!("0x{}", "11".repeat(32)));
        assert!(parse_secret_hex("0x1234").is_err());
        assert!(parse_secret_hex(&"zz".repeat(32)).is_err());
        assert!(
            parse_secret_hex(&"00".repeat(32)).is_err(),
            "zero is not a valid key"
        );
    }

    #[test]
    fn store_list_find_decrypt_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::new(dir.path().join("ks"));
        assert!(ks.list().unwrap().is_empty());
        let secret = parse_secret_hex(&"42".repeat(32)).unwrap();
        let e = ks.store(Some("alice"), &secret, "pw").unwrap();
        assert_eq!(e.address, crate::cmd::signer::address_of(&secret));
        // Listed without a password; found by name and by address.
        let listed = ks.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(ks.find("alice").unwrap().address, e.address);
        assert_eq!(ks.find(&e.address.to_string()).unwrap().name, "alice");
        assert!(ks.find("bob").is_err());
        // Right password gives the key back; a wrong one is a clear error.
        let back = ks.decrypt(&e, "pw").unwrap();
        assert_eq!(back.to_secret_bytes(), secret.to_secret_bytes());
        let err = ks.decrypt(&e, "nope").unwrap_err().to_string();
        assert!(err.contains("wrong password"), "{err}");
        // No duplicates by name or by address.
        assert!(
            ks.store(
                Some("alice"),
                &parse_secret_hex(&"43".repeat(32)).unwrap(),
                "pw"
            )
            .is_err()
        );
        assert!(ks.store(Some("alice2"), &secret, "pw").is_err());
        // The file is a standard v3 keystore that eth-keystore itself decrypts.
        let raw = eth_keystore::decrypt_key(&e.path, "pw").unwrap();
        assert_eq!(raw, secret.to_secret_bytes().to_vec());
    }
}
