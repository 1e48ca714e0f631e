//! The node's p2p identity: an ed25519 key kept as `p2p.key` (hex of the 32-byte seed, mode
//! 0600) in the node's data dir. The same key signs consensus votes and authenticates p2p links;
//! the ledger maps the account that registered it to it.

use std::io::Write;
use std::path::{Path, PathBuf};

use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::{Signer, ed25519};

use crate::error::P2pError;

/// Name of the key file inside a node's data dir.
pub const P2P_KEY_FILE: &str = "p2p.key";

/// The path of the key file in `data_dir`.
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(P2P_KEY_FILE)
}

/// The private key from its 32-byte seed.
pub fn from_seed_bytes(seed: [u8; 32]) -> ed25519::PrivateKey {
    ed25519::PrivateKey::decode(seed.to_vec()).expect("any 32 bytes are an ed25519 seed")
}

/// The 32-byte seed of a private key (what the key file holds).
pub fn seed_bytes(key: &ed25519::PrivateKey) -> [u8; 32] {
    let enc = key.encode();
    let mut out = [0u8; 32];
    out.copy_from_slice(&enc[..32]);
    out
}

/// A fresh key from the OS's randomness.
pub fn generate() -> Result<ed25519::PrivateKey, P2pError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| P2pError::Io {
        context: "reading OS randomness for a new p2p key".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(from_seed_bytes(seed))
}

/// The 32 bytes of a public key (what the ledger registers).
pub fn public_key_bytes(key: &ed25519::PublicKey) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(key.as_ref());
    out
}

/// A public key from 32 bytes; refuses bytes that are not a curve point.
pub fn public_key_from_bytes(bytes: &[u8; 32]) -> Result<ed25519::PublicKey, P2pError> {
    ed25519::PublicKey::decode(bytes.to_vec())
        .map_err(|_| P2pError::BadPublicKey(hex::encode(bytes)))
}

/// Read the key in `path`.
pub fn load(path: &Path) -> Result<ed25519::PrivateKey, P2pError> {
    let text = std::fs::read_to_string(path).map_err(|source| P2pError::Io {
        context: format!("reading p2p key file {}", path.display()),
        source,
    })?;
    let bad = |why: String| P2pError::BadKeyFile {
        path: path.to_path_buf(),
        why,
    };
    let hex_text = text.trim();
    let hex_text = hex_text.strip_prefix("0x").unwrap_or(hex_text);
    let bytes = hex::decode(hex_text).map_err(|e| bad(e.to_string()))?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| bad(format!("{} bytes", b.len())))?;
    Ok(from_seed_bytes(seed))
}

/// Write `key` to `path` (mode 0600); refuses to overwrite an existing file.
pub fn save(path: &Path, key: &ed25519::PrivateKey) -> Result<(), P2pError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| P2pError::Io {
            context: format!("creating {}", dir.display()),
            source,
        })?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let io = |source| P2pError::Io {
        context: format!("writing p2p key file {}", path.display()),
        source,
    };
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(hex::encode(seed_bytes(key)).as_bytes())
        .map_err(io)?;
    f.write_all(b"\n").map_err(io)?;
    f.sync_all().map_err(io)
}

/// Load `data_dir/p2p.key`, creating it with a fresh key when missing. Returns the key and
/// whether it was created now.
pub fn load_or_create(data_dir: &Path) -> Result<(ed25519::PrivateKey, bool), P2pError> {
    let path = key_path(data_dir);
    if path.exists() {
        return Ok((load(&path)?, false));
    }
    let key = generate()?;
    save(&path, &key)?;
    Ok((key, true))
}

/// The public key of a private key, as 32 bytes.
pub fn public_of(key: &ed25519::PrivateKey) -> [u8; 32] {
    public_key_bytes(&key.public_key())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_then_load_gives_the_same_key_with_mode_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (k1, created) = load_or_create(dir.path()).expect("create");
        assert!(created);
        let (k2, created) = load_or_create(dir.path()).expect("load");
        assert!(!created);
        assert_eq!(public_of(&k1), public_of(&k2));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(key_path(dir.path()))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The file is the hex seed.
        let text = std::fs::read_to_string(key_path(dir.path())).expect("read");
        assert_eq!(text.trim(), hex::encode(seed_bytes(&k1)));
    }

    #[test]
    fn malformed_key_files_are_refused_clearly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = key_path(dir.path());
        std::fs::write(&path, "zz").expect("write");
        let err = load(&path).expect_err("not hex");
        assert!(err.to_string().contains("malformed"), "{err}");
        std::fs::write(&path, "abcd").expect("write");
        let err = load(&path).expect_err("short");
        assert!(err.to_string().contains("2 bytes"), "{err}");
        assert!(
            save(&path, &from_seed_bytes([1; 32])).is_err(),
            "no overwrite"
        );
    }

    #[test]
    fn seeds_round_trip_and_public_keys_decode() {
        let k = from_seed_bytes([7; 32]);
        assert_eq!(seed_bytes(&k), [7; 32]);
        let pk = public_of(&k);
        assert_eq!(public_key_from_bytes(&pk).expect("valid"), k.public_key());
    }
}
