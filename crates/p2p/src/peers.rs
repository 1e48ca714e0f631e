//! Who the node talks to: the registry view (ledger address ↔ registered p2p key) and where each
//! peer listens (a peers file naming address → socket address, written by `verity testnet` or by
//! hand). Joining the two gives the list of (address, p2p key, socket) the network admits.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use commonware_cryptography::ed25519;
use serde::{Deserialize, Serialize};
use verity_primitives::Address;

use crate::error::P2pError;
use crate::identity::public_key_from_bytes;

/// A registered peer: its ledger address, its p2p public key and, when known, where it listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerEntry {
    /// The account that registered the key.
    pub address: Address,
    /// Its ed25519 p2p public key.
    pub key: [u8; 32],
    /// Where it accepts p2p connections (`None`: registered, location unknown).
    pub socket: Option<SocketAddr>,
}

/// One line of a peers file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerAddr {
    /// The peer's ledger address.
    pub address: Address,
    /// Its p2p listen address.
    pub socket: SocketAddr,
}

/// A peers file: `[[peer]]` tables with `address` and `socket`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeersFile {
    /// The peers.
    #[serde(default, rename = "peer")]
    pub peers: Vec<PeerAddr>,
}

impl PeersFile {
    /// Parse a peers file.
    pub fn load(path: &Path) -> Result<Self, P2pError> {
        let text = std::fs::read_to_string(path).map_err(|source| P2pError::Io {
            context: format!("reading peers file {}", path.display()),
            source,
        })?;
        toml::from_str(&text).map_err(|e| P2pError::BadPeersFile {
            path: path.to_path_buf(),
            why: e.to_string(),
        })
    }

    /// The TOML text of this file.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a list of addresses and socket addresses serialises")
    }

    /// Join with the registry (`(address, key)` pairs): every registered peer, with its socket
    /// when the file names one. Peers in the file but not registered are left out (not admitted).
    pub fn join(&self, registered: &[(Address, [u8; 32])]) -> Vec<PeerEntry> {
        let sockets: BTreeMap<Address, SocketAddr> =
            self.peers.iter().map(|p| (p.address, p.socket)).collect();
        registered
            .iter()
            .map(|(address, key)| PeerEntry {
                address: *address,
                key: *key,
                socket: sockets.get(address).copied(),
            })
            .collect()
    }
}

/// The registry as the p2p layer sees it: address → key and key → address.
#[derive(Debug, Clone, Default)]
pub struct PeerBook {
    by_address: BTreeMap<Address, ed25519::PublicKey>,
    by_key: BTreeMap<[u8; 32], Address>,
    entries: Vec<PeerEntry>,
}

impl PeerBook {
    /// A book of `entries`; entries whose key is not a valid ed25519 point are skipped (the
    /// ledger checked a proof of possession, so this does not happen for registered keys).
    pub fn new(entries: Vec<PeerEntry>) -> Self {
        let mut book = Self::default();
        for e in entries {
            let Ok(pk) = public_key_from_bytes(&e.key) else {
                continue;
            };
            book.by_address.insert(e.address, pk);
            book.by_key.insert(e.key, e.address);
            book.entries.push(e);
        }
        book
    }

    /// The registered key of `address`.
    pub fn key_of(&self, address: &Address) -> Option<&ed25519::PublicKey> {
        self.by_address.get(address)
    }

    /// The address that registered `key`.
    pub fn address_of(&self, key: &ed25519::PublicKey) -> Option<Address> {
        let mut k = [0u8; 32];
        k.copy_from_slice(key.as_ref());
        self.by_key.get(&k).copied()
    }

    /// Every entry, in the order given.
    pub fn entries(&self) -> &[PeerEntry] {
        &self.entries
    }

    /// Number of registered peers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nobody is registered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The (key, socket) pairs the network should admit (entries with a known socket).
    pub fn dialable(&self) -> Vec<(ed25519::PublicKey, SocketAddr)> {
        self.entries
            .iter()
            .filter_map(|e| {
                let pk = self.by_address.get(&e.address)?.clone();
                Some((pk, e.socket?))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{from_seed_bytes, public_of};

    fn addr(b: u8) -> Address {
        Address([b; 20])
    }

    #[test]
    fn peers_file_round_trips_and_joins_only_registered_peers() {
        let file = PeersFile {
            peers: vec![
                PeerAddr {
                    address: addr(1),
                    socket: "127.0.0.1:9001".parse().expect("socket"),
                },
                PeerAddr {
                    address: addr(9),
                    socket: "127.0.0.1:9009".parse().expect("socket"),
                },
            ],
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("peers.toml");
        std::fs::write(&path, file.to_toml()).expect("write");
        assert_eq!(PeersFile::load(&path).expect("parse"), file);
        let k1 = public_of(&from_seed_bytes([1; 32]));
        let k2 = public_of(&from_seed_bytes([2; 32]));
        let joined = file.join(&[(addr(1), k1), (addr(2), k2)]);
        assert_eq!(joined.len(), 2, "address 9 is not registered");
        assert_eq!(joined[0].socket, Some("127.0.0.1:9001".parse().expect("s")));
        assert_eq!(joined[1].socket, None);
        let book = PeerBook::new(joined);
        assert_eq!(book.dialable().len(), 1);
        let pk2 = public_key_from_bytes(&k2).expect("pk");
        assert_eq!(book.address_of(&pk2), Some(addr(2)));
        assert_eq!(book.key_of(&addr(2)), Some(&pk2));
        assert!(book.key_of(&addr(9)).is_none());
    }

    #[test]
    fn malformed_peers_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("peers.toml");
        std::fs::write(&path, "[[peer]]\naddress = \"nope\"\n").expect("write");
        let err = PeersFile::load(&path).expect_err("bad");
        assert!(err.to_string().contains("peers file"), "{err}");
    }
}
