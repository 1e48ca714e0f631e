//! The binary Merkle tree every REE commitment uses (step hashes over op leaves, trace roots over
//! step hashes, state roots over state tensors), with inclusion proofs.
//!
//! # Construction
//! - Leaves are 32-byte hashes already domain-separated by their producer (see `trace::leaf`).
//!   The tree hashes each leaf once more as `blake3(0x00 || leaf)` so a leaf can never be read as
//!   an inner node.
//! - Inner node: `blake3(0x01 || left || right)`.
//! - Odd-node rule: when a level has an odd count, its last node is promoted to the next level
//!   unchanged (never duplicated, so no two different leaf lists share a root by duplication).
//! - Empty tree: `blake3(0x02)`.
//! - The leaf count is not mixed into the root; proofs carry it, and a verifier that needs it
//!   (the dispute game) agrees on it separately (ops per step is fixed by the job's graph).

use serde::{Deserialize, Serialize};

/// A 32-byte hash.
pub type Hash32 = [u8; 32];

fn hash_leaf(leaf: &Hash32) -> Hash32 {
    let mut h = blake3::Hasher::new();
    h.update(&[0x00]);
    h.update(leaf);
    *h.finalize().as_bytes()
}

fn hash_node(left: &Hash32, right: &Hash32) -> Hash32 {
    let mut h = blake3::Hasher::new();
    h.update(&[0x01]);
    h.update(left);
    h.update(right);
    *h.finalize().as_bytes()
}

/// The root of the empty tree.
pub fn empty_root() -> Hash32 {
    *blake3::hash(&[0x02]).as_bytes()
}

/// The Merkle root over `leaves` (construction in the module doc).
pub fn root(leaves: &[Hash32]) -> Hash32 {
    if leaves.is_empty() {
        return empty_root();
    }
    let mut level: Vec<Hash32> = leaves.iter().map(hash_leaf).collect();
    while level.len() > 1 {
        level = next_level(&level);
    }
    level[0]
}

fn next_level(level: &[Hash32]) -> Vec<Hash32> {
    level
        .chunks(2)
        .map(|pair| match pair {
            [l, r] => hash_node(l, r),
            [odd] => *odd,
            _ => unreachable!("chunks(2) yields one or two items"),
        })
        .collect()
}

/// Which side the sibling sits on at one level of a proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    /// The sibling is the left child; the running hash is the right one.
    Left,
    /// The sibling is the right child.
    Right,
}

/// An inclusion proof of one leaf under a root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// Index of the proven leaf.
    pub index: usize,
    /// Number of leaves in the tree.
    pub leaf_count: usize,
    /// Siblings from the bottom level up; levels where the node was promoted have none.
    pub path: Vec<(Side, Hash32)>,
}

/// Build the proof for `leaves[index]`; `None` when `index` is out of range.
pub fn prove(leaves: &[Hash32], index: usize) -> Option<Proof> {
    if index >= leaves.len() {
        return None;
    }
    let mut level: Vec<Hash32> = leaves.iter().map(hash_leaf).collect();
    let mut i = index;
    let mut path = Vec::new();
    while level.len() > 1 {
        let sibling = i ^ 1;
        if sibling < level.len() {
            let side = if sibling < i { Side::Left } else { Side::Right };
            path.push((side, level[sibling]));
        }
        level = next_level(&level);
        i /= 2;
    }
    Some(Proof {
        index,
        leaf_count: leaves.len(),
        path,
    })
}

/// Check that `leaf` sits at `proof.index` of a tree of `proof.leaf_count` leaves with `root`.
/// The shape of the path is recomputed from index and count, so a proof cannot claim another
/// position than the one its siblings prove.
pub fn verify(root_hash: &Hash32, leaf: &Hash32, proof: &Proof) -> bool {
    if proof.index >= proof.leaf_count {
        return false;
    }
    let mut acc = hash_leaf(leaf);
    let mut i = proof.index;
    let mut len = proof.leaf_count;
    let mut steps = proof.path.iter();
    while len > 1 {
        let sibling = i ^ 1;
        if sibling < len {
            let Some((side, sib)) = steps.next() else {
                return false;
            };
            let expected = if sibling < i { Side::Left } else { Side::Right };
            if *side != expected {
                return false;
            }
            acc = match side {
                Side::Left => hash_node(sib, &acc),
                Side::Right => hash_node(&acc, sib),
            };
        }
        i /= 2;
        len = len.div_ceil(2);
    }
    steps.next().is_none() && acc == *root_hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaves(n: usize) -> Vec<Hash32> {
        (0..n)
            .map(|i| *blake3::hash(&(i as u64).to_le_bytes()).as_bytes())
            .collect()
    }

    #[test]
    fn small_trees_by_hand() {
        let l = leaves(3);
        let a = hash_leaf(&l[0]);
        let b = hash_leaf(&l[1]);
        let c = hash_leaf(&l[2]);
        assert_eq!(root(&l), hash_node(&hash_node(&a, &b), &c));
        assert_eq!(root(&l[..1]), a);
        assert_eq!(root(&[]), empty_root());
    }

    #[test]
    fn no_duplication_ambiguity() {
        let l = leaves(3);
        let mut dup = l.clone();
        dup.push(l[2]);
        assert_ne!(root(&l), root(&dup));
    }

    proptest! {
        #[test]
        fn every_proof_verifies_and_binds(n in 1usize..70, pick in any::<usize>(), flip in any::<usize>()) {
            let l = leaves(n);
            let r = root(&l);
            let i = pick % n;
            let p = prove(&l, i).expect("index in range");
            prop_assert!(verify(&r, &l[i], &p));
            // Wrong leaf fails.
            let mut bad = l[i];
            bad[flip % 32] ^= 1;
            prop_assert!(!verify(&r, &bad, &p));
            // Wrong index fails (unless the other leaf is the same, which it is not).
            if n > 1 {
                let mut q = p.clone();
                q.index = (i + 1) % n;
                prop_assert!(!verify(&r, &l[i], &q));
            }
        }
    }
}
