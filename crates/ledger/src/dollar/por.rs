//! Proof of reserves: a **Merkle sum tree** over AID holders (ethereum/research
//! `proof_of_solvency/merkle_sum_tree.py`). Every internal node commits to **both** children's
//! hashes **and both children's sums**, not only their total: committing only to `l + r`
//! lets a dishonest custodian shift balance between siblings (eprint 2018/1139). Balances are
//! `u128`, so no negative balance can be hidden in a leaf; sums are checked (overflow = error).
//!
//! - leaf: `hash = keccak256(0x00 ‖ address(20) ‖ balance u128 BE)`, `sum = balance`;
//! - node: `hash = keccak256(0x01 ‖ l.hash ‖ l.sum u128 ‖ r.hash ‖ r.sum u128)`,
//!   `sum = l.sum + r.sum`;
//! - leaves are sorted by address; the layer is padded to a power of two with empty nodes
//!   `(hash = 0, sum = 0)`; an empty tree has root `(0, 0)`.
//!
//! An inclusion proof is the leaf's index and the sibling `(hash, sum)` at every level,
//! bottom-up; [`ReserveProof::verify`] recomputes the root hash and total and checks them
//! against the snapshot's root, and checks that the snapshot's reserves cover its total.

use crate::error::LedgerError;
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, Hash, Timestamp, TokenId, amount_str, math};

/// A tree node: hash and the sum of balances below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SumNode {
    /// Node hash.
    pub hash: Hash,
    /// Sum of the balances below (base units of AID).
    #[serde(with = "amount_str")]
    pub sum: u128,
}

impl SumNode {
    /// The padding node `(0, 0)`.
    pub const EMPTY: SumNode = SumNode {
        hash: Hash::ZERO,
        sum: 0,
    };

    /// A leaf for `address` holding `balance`.
    pub fn leaf(address: &Address, balance: u128) -> SumNode {
        let mut buf = [0u8; 37];
        buf[0] = 0x00;
        buf[1..21].copy_from_slice(&address.0);
        buf[21..].copy_from_slice(&balance.to_be_bytes());
        SumNode {
            hash: Hash::keccak(&buf),
            sum: balance,
        }
    }

    /// The parent of `l` and `r` (commits to both hashes and both sums).
    pub fn parent(l: &SumNode, r: &SumNode) -> Result<SumNode, LedgerError> {
        let mut buf = [0u8; 97];
        buf[0] = 0x01;
        buf[1..33].copy_from_slice(&l.hash.0);
        buf[33..49].copy_from_slice(&l.sum.to_be_bytes());
        buf[49..81].copy_from_slice(&r.hash.0);
        buf[81..97].copy_from_slice(&r.sum.to_be_bytes());
        Ok(SumNode {
            hash: Hash::keccak(&buf),
            sum: math::checked_add(l.sum, r.sum)?,
        })
    }
}

/// The levels of the tree over `leaves` (address order), leaves first, root last.
fn levels(leaves: &[(Address, u128)]) -> Result<Vec<Vec<SumNode>>, LedgerError> {
    if leaves.is_empty() {
        return Ok(vec![vec![SumNode::EMPTY]]);
    }
    let width = leaves.len().next_power_of_two();
    let mut layer: Vec<SumNode> = leaves.iter().map(|(a, b)| SumNode::leaf(a, *b)).collect();
    layer.resize(width, SumNode::EMPTY);
    let mut out = vec![layer];
    while out.last().expect("non-empty").len() > 1 {
        let prev = out.last().expect("non-empty");
        let next = prev
            .chunks(2)
            .map(|c| SumNode::parent(&c[0], &c[1]))
            .collect::<Result<Vec<_>, _>>()?;
        out.push(next);
    }
    Ok(out)
}

/// The root of the tree over `leaves` (sorted by address, unique, as stored by a snapshot).
pub fn root(leaves: &[(Address, u128)]) -> Result<SumNode, LedgerError> {
    Ok(levels(leaves)?.last().expect("non-empty")[0])
}

/// One collateral's reserve in a snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReserveEntry {
    /// Collateral token.
    pub token: TokenId,
    /// Its symbol.
    pub symbol: String,
    /// Base units held by the dollar module account.
    #[serde(with = "amount_str")]
    pub amount: u128,
    /// Value in AID base units (18 decimals; TBILL at the NAV of the snapshot).
    #[serde(with = "amount_str")]
    pub value: u128,
}

/// A proof-of-reserves snapshot (one per epoch), stored on the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PorSnapshot {
    /// Epoch number (1, 2, …).
    pub epoch: u64,
    /// The state height the snapshot covers (end of that block).
    pub height: u64,
    /// That block's timestamp.
    pub timestamp: Timestamp,
    /// Root of the holders' Merkle sum tree.
    pub root: SumNode,
    /// Number of holders (leaves).
    pub holders: u64,
    /// Reserves per collateral.
    pub reserves: Vec<ReserveEntry>,
    /// Σ reserve values.
    #[serde(with = "amount_str")]
    pub reserve_value: u128,
}

/// An inclusion proof of one holder's balance in a snapshot, verifiable offline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReserveProof {
    /// The snapshot (root, reserves) the proof is against.
    pub snapshot: PorSnapshot,
    /// The holder.
    pub address: Address,
    /// Its AID balance in the snapshot.
    #[serde(with = "amount_str")]
    pub balance: u128,
    /// Leaf index (address order).
    pub index: u64,
    /// Sibling nodes bottom-up.
    pub siblings: Vec<SumNode>,
}

/// Build the proof for `address` from the snapshot's leaves.
pub fn prove(
    snapshot: &PorSnapshot,
    leaves: &[(Address, u128)],
    address: &Address,
) -> Result<ReserveProof, LedgerError> {
    let idx = leaves
        .binary_search_by(|(a, _)| a.cmp(address))
        .map_err(|_| LedgerError::NotInSnapshot(*address))?;
    let lv = levels(leaves)?;
    let mut siblings = Vec::with_capacity(lv.len());
    let mut i = idx;
    for layer in &lv[..lv.len() - 1] {
        siblings.push(layer[i ^ 1]);
        i /= 2;
    }
    Ok(ReserveProof {
        snapshot: snapshot.clone(),
        address: *address,
        balance: leaves[idx].1,
        index: idx as u64,
        siblings,
    })
}

impl ReserveProof {
    /// Check the proof offline: the leaf and siblings hash up to the snapshot's root hash and
    /// sum; the reserves add up to `reserve_value`; `reserve_value ≥` the total AID (root sum).
    pub fn verify(&self) -> Result<(), LedgerError> {
        let bad = |m: String| Err(LedgerError::BadProof(m));
        if self.siblings.len() >= 64 || (self.index >> self.siblings.len()) != 0 {
            return bad(format!(
                "leaf index {} does not fit a tree of depth {}",
                self.index,
                self.siblings.len()
            ));
        }
        let mut node = SumNode::leaf(&self.address, self.balance);
        for (level, sib) in self.siblings.iter().enumerate() {
            node = if (self.index >> level) & 1 == 0 {
                SumNode::parent(&node, sib)
            } else {
                SumNode::parent(sib, &node)
            }
            .map_err(|_| LedgerError::BadProof("sums overflow".into()))?;
        }
        if node.hash != self.snapshot.root.hash {
            return bad(format!(
                "computed root {} differs from the snapshot root {}",
                node.hash, self.snapshot.root.hash
            ));
        }
        if node.sum != self.snapshot.root.sum {
            return bad(format!(
                "computed total {} differs from the snapshot total {}",
                node.sum, self.snapshot.root.sum
            ));
        }
        let mut total = 0u128;
        for r in &self.snapshot.reserves {
            total = math::checked_add(total, r.value)
                .map_err(|_| LedgerError::BadProof("reserve values overflow".into()))?;
        }
        if total != self.snapshot.reserve_value {
            return bad(format!(
                "reserve entries add up to {total}, the snapshot says {}",
                self.snapshot.reserve_value
            ));
        }
        if self.snapshot.reserve_value < self.snapshot.root.sum {
            return bad(format!(
                "reserves {} do not cover the AID total {}",
                self.snapshot.reserve_value, self.snapshot.root.sum
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn addr(i: u8) -> Address {
        Address([i; 20])
    }

    fn snapshot(leaves: &[(Address, u128)]) -> PorSnapshot {
        let root = root(leaves).unwrap();
        PorSnapshot {
            epoch: 1,
            height: 5,
            timestamp: Timestamp(0),
            root,
            holders: leaves.len() as u64,
            reserves: vec![ReserveEntry {
                token: TokenId(1),
                symbol: "USDC".into(),
                amount: root.sum,
                value: root.sum,
            }],
            reserve_value: root.sum,
        }
    }

    fn sample(n: u8) -> Vec<(Address, u128)> {
        (1..=n).map(|i| (addr(i), u128::from(i) * 1000)).collect()
    }

    #[test]
    fn every_leaf_verifies() {
        for n in 1..=9 {
            let leaves = sample(n);
            let snap = snapshot(&leaves);
            assert_eq!(snap.root.sum, leaves.iter().map(|l| l.1).sum::<u128>());
            for (a, _) in &leaves {
                prove(&snap, &leaves, a).unwrap().verify().unwrap();
            }
        }
        let leaves = sample(3);
        assert_eq!(
            prove(&snapshot(&leaves), &leaves, &addr(99)),
            Err(LedgerError::NotInSnapshot(addr(99)))
        );
    }

    #[test]
    fn tampering_fails() {
        let leaves = sample(6);
        let snap = snapshot(&leaves);
        let good = prove(&snap, &leaves, &addr(3)).unwrap();
        let mut p = good.clone();
        p.balance += 1;
        assert!(p.verify().is_err(), "tampered leaf balance");
        let mut p = good.clone();
        p.address = addr(4);
        assert!(p.verify().is_err(), "tampered leaf address");
        for lvl in 0..good.siblings.len() {
            let mut p = good.clone();
            p.siblings[lvl].sum += 1;
            assert!(p.verify().is_err(), "tampered sibling sum at {lvl}");
            let mut p = good.clone();
            p.siblings[lvl].hash.0[0] ^= 1;
            assert!(p.verify().is_err(), "tampered sibling hash at {lvl}");
        }
        // Moving value between a leaf and its sibling keeps the total but changes the hash.
        let mut p = good.clone();
        p.balance += 500;
        p.siblings[0].sum -= 500;
        assert!(p.verify().is_err(), "shifted sum between siblings");
        let mut p = good.clone();
        p.index ^= 1;
        assert!(p.verify().is_err(), "wrong index");
        let mut p = good.clone();
        p.snapshot.reserve_value -= 1;
        assert!(p.verify().is_err(), "reserve entries do not add up");
        let mut p = good;
        p.snapshot.reserves[0].value -= 1;
        p.snapshot.reserve_value -= 1;
        assert!(p.verify().is_err(), "reserves below total");
    }

    proptest! {
        #[test]
        fn random_trees_verify_and_detect_changes(
            bals in proptest::collection::vec(1u128..u128::from(u64::MAX), 1..40),
            pick in any::<prop::sample::Index>(),
            delta in 1u128..1000,
        ) {
            let leaves: Vec<(Address, u128)> = bals
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let mut a = [0u8; 20];
                    a[..8].copy_from_slice(&(i as u64).to_be_bytes());
                    (Address(a), *b)
                })
                .collect();
            let snap = snapshot(&leaves);
            let who = leaves[pick.index(leaves.len())].0;
            let p = prove(&snap, &leaves, &who).unwrap();
            prop_assert!(p.verify().is_ok());
            let mut q = p.clone();
            q.balance = q.balance.wrapping_add(delta);
            prop_assert!(q.verify().is_err());
        }
    }
}
