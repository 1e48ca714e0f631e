//! The state commitment: a Jellyfish Merkle Tree (`jmt` 0.12, SHA-256) over every state entry,
//! keyed by `KeyHash::with::<Sha256>(key)`, held in memory (`BTreeMap<NodeKey, Node>`).
//!
//! Only the latest version is kept: after each update the nodes the update made stale are
//! pruned, so proofs are always against the latest root. The jmt *version* is internal (it counts
//! updates since this tree was built) and does not enter any hash, so a tree rebuilt from the
//! entries alone has the same root as one built block by block.

use crate::error::LedgerError;
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader};
use jmt::{JellyfishMerkleTree, KeyHash};
use sha2::Sha256;
use std::collections::BTreeMap;
use verity_primitives::Hash;

/// The jmt proof type used by balance proofs.
pub type Proof = jmt::proof::SparseMerkleProof<Sha256>;

/// The hashed key under which `key` sits in the tree.
pub fn key_hash(key: &[u8]) -> KeyHash {
    KeyHash::with::<Sha256>(key)
}

/// In-memory node and value storage for the latest tree version.
#[derive(Clone, Default)]
pub struct TreeStore {
    nodes: BTreeMap<NodeKey, Node>,
    values: BTreeMap<KeyHash, Vec<u8>>,
    version: Option<u64>,
}

impl TreeReader for TreeStore {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(self.nodes.get(node_key).cloned())
    }

    fn get_value_option(
        &self,
        _max_version: jmt::Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<Vec<u8>>> {
        // Only the latest version is stored, and it is the only one ever asked for.
        Ok(self.values.get(&key_hash).cloned())
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        let mut best: Option<(NodeKey, LeafNode)> = None;
        for (k, n) in &self.nodes {
            if let Node::Leaf(leaf) = n
                && best
                    .as_ref()
                    .is_none_or(|(_, b)| leaf.key_hash() > b.key_hash())
            {
                best = Some((k.clone(), leaf.clone()));
            }
        }
        Ok(best)
    }
}

impl TreeStore {
    /// Apply a write set (unique keys; `None` deletes); returns the new root.
    ///
    /// Inserts and updates go through jmt's batch insertion (each touched internal node is
    /// rebuilt and hashed once per batch, not once per key); deletions, which the batch path
    /// does not support, follow as a second tree version. Versions are internal and never
    /// enter a hash, so the root is the same as a one-by-one update.
    pub fn update<'a>(
        &mut self,
        writes: impl IntoIterator<Item = (&'a [u8], Option<&'a [u8]>)>,
    ) -> Result<Hash, LedgerError> {
        let mut puts: Vec<(KeyHash, Vec<u8>)> = Vec::new();
        let mut deletes: Vec<(KeyHash, Option<Vec<u8>>)> = Vec::new();
        for (k, v) in writes {
            match v {
                Some(v) => puts.push((key_hash(k), v.to_vec())),
                None => deletes.push((key_hash(k), None)),
            }
        }
        let mut root = None;
        if !puts.is_empty() {
            let version = self.next_version();
            let tree = JellyfishMerkleTree::<_, Sha256>::new(&*self);
            let (roots, batch) = tree
                .batch_put_value_sets(vec![puts], None, version)
                .map_err(|e| LedgerError::Tree(e.to_string()))?;
            self.apply_batch(batch, version);
            root = roots.first().copied();
        }
        if !deletes.is_empty() || root.is_none() {
            let version = self.next_version();
            let tree = JellyfishMerkleTree::<_, Sha256>::new(&*self);
            let (r, batch) = tree
                .put_value_set(deletes, version)
                .map_err(|e| LedgerError::Tree(e.to_string()))?;
            self.apply_batch(batch, version);
            root = Some(r);
        }
        let root = root.expect("one of the two branches above always runs");
        Ok(Hash(root.0))
    }

    fn next_version(&self) -> u64 {
        self.version.map_or(0, |v| v + 1)
    }

    fn apply_batch(&mut self, batch: jmt::storage::TreeUpdateBatch, version: u64) {
        for (k, n) in batch.node_batch.nodes() {
            self.nodes.insert(k.clone(), n.clone());
        }
        for ((_, kh), v) in batch.node_batch.values() {
            match v {
                Some(v) => {
                    self.values.insert(*kh, v.clone());
                }
                None => {
                    self.values.remove(kh);
                }
            }
        }
        for stale in &batch.stale_node_index_batch {
            self.nodes.remove(&stale.node_key);
        }
        self.version = Some(version);
    }

    /// The value under `key` with a proof against the latest root.
    pub fn prove(&self, key: &[u8]) -> Result<(Option<Vec<u8>>, Proof), LedgerError> {
        let version = self
            .version
            .ok_or_else(|| LedgerError::Tree("the state tree is empty".into()))?;
        let tree = JellyfishMerkleTree::<_, Sha256>::new(self);
        tree.get_with_proof(key_hash(key), version)
            .map_err(|e| LedgerError::Tree(e.to_string()))
    }

    /// Number of stored tree nodes (for memory diagnostics).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}
