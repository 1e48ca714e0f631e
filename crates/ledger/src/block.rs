//! Blocks: [`BlockInput`] (what the sequencer proposes), [`BlockHeader`] (what commits to the
//! result) and [`Block`]. Roots over transactions and receipts are binary blake3 Merkle roots
//! ([`merkle_root`]): our own commitment, so it uses the state tree's hash, at a fifth of
//! keccak's cost; the leaves stay the EIP-712 transaction hashes and the receipt leaf hashes.

use crate::tx::SignedTransaction;
use serde::{Deserialize, Serialize};
use verity_primitives::{Hash, Timestamp};

/// A block to execute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInput {
    /// Must be the state's height + 1.
    pub height: u64,
    /// The block time; must not be before the previous block's.
    pub timestamp: Timestamp,
    /// Hash of the previous block's header (the node checks it; the ledger records it).
    pub parent_hash: Hash,
    /// Admitted transactions, in order.
    pub txs: Vec<SignedTransaction>,
}

/// A block header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    /// Height (1 = first block after genesis).
    pub height: u64,
    /// Block time.
    pub timestamp: Timestamp,
    /// Previous header hash.
    pub parent_hash: Hash,
    /// Merkle root of the transaction hashes.
    pub tx_root: Hash,
    /// Merkle root of the receipts' leaf hashes.
    pub receipts_root: Hash,
    /// State root after the block.
    pub state_root: Hash,
}

impl BlockHeader {
    /// keccak256(height u64 ‖ timestamp u64 ‖ parent ‖ tx_root ‖ receipts_root ‖ state_root),
    /// integers big-endian.
    pub fn hash(&self) -> Hash {
        let mut b = Vec::with_capacity(16 + 4 * 32);
        b.extend_from_slice(&self.height.to_be_bytes());
        b.extend_from_slice(&self.timestamp.0.to_be_bytes());
        b.extend_from_slice(&self.parent_hash.0);
        b.extend_from_slice(&self.tx_root.0);
        b.extend_from_slice(&self.receipts_root.0);
        b.extend_from_slice(&self.state_root.0);
        Hash::keccak(&b)
    }
}

/// A sealed block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Header.
    pub header: BlockHeader,
    /// Transactions.
    pub txs: Vec<SignedTransaction>,
}

/// The blake3 key of [`merkle_root`]'s inner nodes.
pub const MERKLE_NODE_KEY: [u8; 32] = *b"verity block merkle: inner node!";

/// Binary Merkle root: empty → `Hash::ZERO`; one leaf → the leaf; otherwise pairs
/// `blake3_keyed(MERKLE_NODE_KEY, left ‖ right)`, an odd last node is carried up unchanged.
pub fn merkle_root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return Hash::ZERO;
    }
    let mut level: Vec<Hash> = leaves.to_vec();
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for pair in level.chunks(2) {
            if let [l, r] = pair {
                let mut b = [0u8; 64];
                b[..32].copy_from_slice(&l.0);
                b[32..].copy_from_slice(&r.0);
                next.push(merkle_node(&b));
            } else {
                next.push(pair[0]);
            }
        }
        level = next;
    }
    level[0]
}

fn merkle_node(pair: &[u8; 64]) -> Hash {
    Hash(*blake3::keyed_hash(&MERKLE_NODE_KEY, pair).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merkle_root_shapes() {
        let a = Hash::keccak(b"a");
        let b = Hash::keccak(b"b");
        let c = Hash::keccak(b"c");
        assert_eq!(merkle_root(&[]), Hash::ZERO);
        assert_eq!(merkle_root(&[a]), a);
        let node = |l: &Hash, r: &Hash| {
            let mut x = l.0.to_vec();
            x.extend_from_slice(&r.0);
            Hash(*blake3::keyed_hash(b"verity block merkle: inner node!", &x).as_bytes())
        };
        let ab = node(&a, &b);
        assert_eq!(merkle_root(&[a, b]), ab);
        let abc = node(&ab, &c);
        assert_eq!(merkle_root(&[a, b, c]), abc);
        assert_ne!(merkle_root(&[b, a]), ab);
    }
}
