//! Transaction gossip (channel [`crate::channels::TX_GOSSIP`]): a transaction submitted to any
//! node reaches every node's mempool once. The network is a full mesh of registered peers, so the
//! node that first sees a transaction sends it to all peers and nobody forwards; each node keeps a
//! bounded set of the hashes it has seen (sha256 of the transaction's bytes) so a transaction
//! submitted to several nodes, or received twice, is delivered to the mempool once.
//!
//! Wire format of one gossip message (a batch): `count: u32 BE`, then `count` times
//! `len: u32 BE ‖ bytes` (the transaction's JSON encoding).

use std::collections::{HashSet, VecDeque};

use commonware_cryptography::{Hasher, Sha256};

use crate::error::P2pError;

/// The dedup key of a transaction's bytes.
pub fn tx_key(bytes: &[u8]) -> [u8; 32] {
    let d = Sha256::hash(&[bytes]);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// A bounded set of recently seen keys; the oldest is forgotten first.
#[derive(Debug, Clone)]
pub struct SeenSet {
    set: HashSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
    cap: usize,
}

impl SeenSet {
    /// A set remembering at most `cap` keys (at least 1).
    pub fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        Self {
            set: HashSet::with_capacity(cap.min(1 << 16)),
            order: VecDeque::with_capacity(cap.min(1 << 16)),
            cap,
        }
    }

    /// Record `key`; true when it was not already remembered.
    pub fn insert(&mut self, key: [u8; 32]) -> bool {
        if !self.set.insert(key) {
            return false;
        }
        self.order.push_back(key);
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }

    /// True when `key` is remembered.
    pub fn contains(&self, key: &[u8; 32]) -> bool {
        self.set.contains(key)
    }

    /// Keys remembered now.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// Encode a batch of transactions.
pub fn encode_batch<T: AsRef<[u8]>>(txs: &[T]) -> Vec<u8> {
    let len: usize = txs.iter().map(|t| 4 + t.as_ref().len()).sum();
    let mut out = Vec::with_capacity(4 + len);
    out.extend_from_slice(&(txs.len() as u32).to_be_bytes());
    for t in txs {
        out.extend_from_slice(&(t.as_ref().len() as u32).to_be_bytes());
        out.extend_from_slice(t.as_ref());
    }
    out
}

/// Decode a batch; refuses truncated input, trailing bytes, and more than `max_items` entries.
pub fn decode_batch(bytes: &[u8], max_items: usize) -> Result<Vec<Vec<u8>>, P2pError> {
    let bad = |why: String| P2pError::Malformed {
        what: "gossip",
        why,
    };
    let mut rest = bytes;
    let take = |n: usize, rest: &mut &[u8]| -> Result<Vec<u8>, P2pError> {
        if rest.len() < n {
            return Err(bad(format!(
                "truncated: wanted {n} bytes, {} left",
                rest.len()
            )));
        }
        let (head, tail) = rest.split_at(n);
        *rest = tail;
        Ok(head.to_vec())
    };
    let count = u32::from_be_bytes(
        take(4, &mut rest)?
            .try_into()
            .expect("take returned 4 bytes"),
    ) as usize;
    if count > max_items {
        return Err(bad(format!("{count} items, the limit is {max_items}")));
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let len = u32::from_be_bytes(
            take(4, &mut rest)?
                .try_into()
                .expect("take returned 4 bytes"),
        ) as usize;
        out.push(take(len, &mut rest)?);
    }
    if !rest.is_empty() {
        return Err(bad(format!("{} trailing bytes", rest.len())));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn seen_set_forgets_the_oldest_past_its_bound() {
        let mut s = SeenSet::new(2);
        assert!(s.insert([1; 32]));
        assert!(!s.insert([1; 32]));
        assert!(s.insert([2; 32]));
        assert!(s.insert([3; 32]));
        assert_eq!(s.len(), 2);
        assert!(!s.contains(&[1; 32]));
        assert!(s.contains(&[3; 32]));
    }

    #[test]
    fn malformed_batches_are_refused() {
        assert!(decode_batch(&[0, 0], 10).is_err());
        assert!(decode_batch(&[0, 0, 0, 1, 0, 0, 0, 5, 1], 10).is_err());
        let mut ok = encode_batch(&[b"abc".to_vec()]);
        assert_eq!(decode_batch(&ok, 10).expect("ok"), vec![b"abc".to_vec()]);
        assert!(decode_batch(&ok, 0).is_err(), "over the item limit");
        ok.push(0);
        assert!(decode_batch(&ok, 10).is_err(), "trailing byte");
    }

    proptest! {
        #[test]
        fn batches_round_trip(txs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..16)) {
            let enc = encode_batch(&txs);
            prop_assert_eq!(decode_batch(&enc, 16).expect("decodes"), txs);
        }

        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_batch(&bytes, 8);
        }
    }
}
