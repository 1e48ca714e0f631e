//! The mempool: admitted transactions waiting for a block, kept in per-sender nonce order.
//!
//! It owns the bounds (total size, per-sender size, how far ahead of the account's next nonce a
//! transaction may be), duplicate rejection (same hash, or a second transaction for a nonce already
//! queued), and batch selection: round-robin over senders, each sender's transactions strictly in
//! nonce order starting at the account's next nonce, so a gap stops that sender's batch.
//!
//! Generic over [`PoolTx`] so it is unit-tested without signatures; the node instantiates it with
//! the ledger's `SignedTransaction`. Deterministic: `BTreeMap` everywhere, no clock.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

/// What the mempool needs to know about a transaction.
pub trait PoolTx {
    /// The account that signed it.
    type Sender: Ord + Copy + std::fmt::Debug;
    /// Its unique identifier.
    type Hash: Ord + Copy + std::fmt::Debug;
    /// The signer.
    fn pool_sender(&self) -> Self::Sender;
    /// The account nonce it uses.
    fn pool_nonce(&self) -> u64;
    /// Its hash.
    fn pool_hash(&self) -> Self::Hash;
}

/// Bounds of the mempool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MempoolConfig {
    /// Most transactions held at once.
    pub max_total: usize,
    /// Most transactions held for one sender.
    pub max_per_sender: usize,
    /// Highest accepted `nonce - next_nonce` (0 means only the next nonce is accepted).
    pub max_nonce_gap: u64,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_total: 200_000,
            max_per_sender: 20_000,
            max_nonce_gap: 20_000,
        }
    }
}

/// Why the mempool refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    /// The very same transaction is already queued.
    #[error("transaction already in the mempool")]
    Duplicate,
    /// Another transaction for the same sender and nonce is already queued.
    #[error("nonce {nonce} is already used by a queued transaction of this sender")]
    NonceTaken {
        /// The contested nonce.
        nonce: u64,
    },
    /// The nonce was already consumed on chain.
    #[error("stale nonce: the account's next nonce is {expected}, got {got}")]
    StaleNonce {
        /// The account's next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// The nonce is too far ahead of the account's next nonce.
    #[error(
        "nonce {got} is too far ahead: next nonce is {expected}, at most {max_gap} ahead is accepted"
    )]
    NonceGap {
        /// The account's next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
        /// The bound.
        max_gap: u64,
    },
    /// The mempool is full.
    #[error("mempool full ({max} transactions); retry later")]
    Full {
        /// The bound.
        max: usize,
    },
    /// This sender already has the most queued transactions allowed.
    #[error("too many queued transactions for this sender ({max}); wait for a block")]
    SenderFull {
        /// The bound.
        max: usize,
    },
}

/// Admitted transactions in per-sender nonce order.
#[derive(Debug)]
pub struct Mempool<T: PoolTx> {
    config: MempoolConfig,
    by_sender: BTreeMap<T::Sender, BTreeMap<u64, T>>,
    by_hash: BTreeMap<T::Hash, (T::Sender, u64)>,
}

impl<T: PoolTx> Mempool<T> {
    /// An empty mempool with these bounds.
    pub fn new(config: MempoolConfig) -> Self {
        Self {
            config,
            by_sender: BTreeMap::new(),
            by_hash: BTreeMap::new(),
        }
    }

    /// The bounds.
    pub fn config(&self) -> &MempoolConfig {
        &self.config
    }

    /// Number of queued transactions.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// True when this transaction hash is queued.
    pub fn contains(&self, hash: &T::Hash) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// Queue `tx`; `next_nonce` is the sender's next nonce on chain. Returns its hash.
    pub fn insert(&mut self, tx: T, next_nonce: u64) -> Result<T::Hash, MempoolError> {
        let hash = tx.pool_hash();
        let sender = tx.pool_sender();
        let nonce = tx.pool_nonce();
        if self.by_hash.contains_key(&hash) {
            return Err(MempoolError::Duplicate);
        }
        if nonce < next_nonce {
            return Err(MempoolError::StaleNonce {
                expected: next_nonce,
                got: nonce,
            });
        }
        if nonce - next_nonce > self.config.max_nonce_gap {
            return Err(MempoolError::NonceGap {
                expected: next_nonce,
                got: nonce,
                max_gap: self.config.max_nonce_gap,
            });
        }
        if self.by_hash.len() >= self.config.max_total {
            return Err(MempoolError::Full {
                max: self.config.max_total,
            });
        }
        let queue = self.by_sender.entry(sender).or_default();
        if queue.len() >= self.config.max_per_sender {
            return Err(MempoolError::SenderFull {
                max: self.config.max_per_sender,
            });
        }
        match queue.entry(nonce) {
            Entry::Occupied(_) => return Err(MempoolError::NonceTaken { nonce }),
            Entry::Vacant(slot) => {
                slot.insert(tx);
            }
        }
        self.by_hash.insert(hash, (sender, nonce));
        Ok(hash)
    }

    /// Number of transactions that could go into the next block right now (each sender's
    /// contiguous run from its next nonce), counting at most `limit`.
    pub fn ready_count(&self, limit: usize, next_nonce: impl Fn(T::Sender) -> u64) -> usize {
        let mut count = 0usize;
        for (sender, queue) in &self.by_sender {
            for (expect, nonce) in
                (next_nonce(*sender)..).zip(queue.range(next_nonce(*sender)..).map(|(n, _)| n))
            {
                if *nonce != expect {
                    break;
                }
                count += 1;
                if count >= limit {
                    return count;
                }
            }
        }
        count
    }

    /// Choose up to `max` executable transactions: round-robin over senders (in sender order), each
    /// sender's in consecutive nonce order starting at `next_nonce(sender)`. Nothing is removed;
    /// call [`Mempool::prune`] once the block is committed.
    pub fn select(&self, max: usize, next_nonce: impl Fn(T::Sender) -> u64) -> Vec<T>
    where
        T: Clone,
    {
        // One cursor per sender with an executable head.
        let mut cursors: Vec<(std::collections::btree_map::Range<'_, u64, T>, u64)> = self
            .by_sender
            .iter()
            .filter_map(|(sender, queue)| {
                let start = next_nonce(*sender);
                queue
                    .contains_key(&start)
                    .then(|| (queue.range(start..), start))
            })
            .collect();
        let mut out = Vec::with_capacity(max.min(self.len()));
        while out.len() < max && !cursors.is_empty() {
            cursors.retain_mut(|(range, expect)| {
                if out.len() >= max {
                    return true;
                }
                match range.next() {
                    Some((n, tx)) if n == expect => {
                        out.push(tx.clone());
                        *expect += 1;
                        true
                    }
                    _ => false,
                }
            });
        }
        out
    }

    /// Drop every queued transaction of `sender` whose nonce is below `next_nonce` (they were
    /// included in a block or can never be). Returns how many were dropped.
    pub fn prune(&mut self, sender: T::Sender, next_nonce: u64) -> usize {
        let Some(queue) = self.by_sender.get_mut(&sender) else {
            return 0;
        };
        let keep = queue.split_off(&next_nonce);
        let dropped = std::mem::replace(queue, keep);
        for tx in dropped.values() {
            self.by_hash.remove(&tx.pool_hash());
        }
        if queue.is_empty() {
            self.by_sender.remove(&sender);
        }
        dropped.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct T {
        sender: u8,
        nonce: u64,
        salt: u8,
    }

    impl PoolTx for T {
        type Sender = u8;
        type Hash = (u8, u64, u8);
        fn pool_sender(&self) -> u8 {
            self.sender
        }
        fn pool_nonce(&self) -> u64 {
            self.nonce
        }
        fn pool_hash(&self) -> (u8, u64, u8) {
            (self.sender, self.nonce, self.salt)
        }
    }

    fn t(sender: u8, nonce: u64) -> T {
        T {
            sender,
            nonce,
            salt: 0,
        }
    }

    fn small() -> MempoolConfig {
        MempoolConfig {
            max_total: 6,
            max_per_sender: 3,
            max_nonce_gap: 4,
        }
    }

    #[test]
    fn duplicates_and_taken_nonces_are_rejected() {
        let mut pool = Mempool::new(small());
        pool.insert(t(1, 0), 0).expect("fresh");
        assert_eq!(pool.insert(t(1, 0), 0), Err(MempoolError::Duplicate));
        let other = T {
            sender: 1,
            nonce: 0,
            salt: 9,
        };
        assert_eq!(
            pool.insert(other, 0),
            Err(MempoolError::NonceTaken { nonce: 0 })
        );
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn stale_and_far_future_nonces_are_rejected() {
        let mut pool = Mempool::new(small());
        assert_eq!(
            pool.insert(t(1, 2), 3),
            Err(MempoolError::StaleNonce {
                expected: 3,
                got: 2
            })
        );
        assert!(matches!(
            pool.insert(t(1, 8), 3),
            Err(MempoolError::NonceGap { .. })
        ));
        pool.insert(t(1, 7), 3)
            .expect("gap of exactly 4 is allowed");
    }

    #[test]
    fn bounds_hold() {
        let mut pool = Mempool::new(small());
        for n in 0..3 {
            pool.insert(t(1, n), 0).expect("within sender bound");
        }
        assert_eq!(
            pool.insert(t(1, 3), 0),
            Err(MempoolError::SenderFull { max: 3 })
        );
        for n in 0..3 {
            pool.insert(t(2, n), 0).expect("within total bound");
        }
        assert_eq!(pool.insert(t(3, 0), 0), Err(MempoolError::Full { max: 6 }));
    }

    #[test]
    fn select_is_nonce_ordered_round_robin_and_stops_at_gaps() {
        let mut pool = Mempool::new(MempoolConfig::default());
        for n in [2, 0, 1, 4] {
            pool.insert(t(1, n), 0).expect("ok");
        }
        for n in [5, 6] {
            pool.insert(t(2, n), 5).expect("ok");
        }
        pool.insert(t(3, 1), 0).expect("gap: not executable");
        let next = |s: u8| if s == 2 { 5 } else { 0 };
        let batch: Vec<(u8, u64)> = pool
            .select(100, next)
            .iter()
            .map(|x| (x.sender, x.nonce))
            .collect();
        assert_eq!(batch, vec![(1, 0), (2, 5), (1, 1), (2, 6), (1, 2)]);
        assert_eq!(pool.ready_count(100, next), 5);
        let first3: Vec<(u8, u64)> = pool
            .select(3, next)
            .iter()
            .map(|x| (x.sender, x.nonce))
            .collect();
        assert_eq!(first3, vec![(1, 0), (2, 5), (1, 1)]);
    }

    #[test]
    fn prune_removes_included_and_keeps_later() {
        let mut pool = Mempool::new(MempoolConfig::default());
        for n in 0..5 {
            pool.insert(t(1, n), 0).expect("ok");
        }
        assert_eq!(pool.prune(1, 3), 3);
        assert_eq!(pool.len(), 2);
        assert!(!pool.contains(&(1, 0, 0)));
        assert!(pool.contains(&(1, 3, 0)));
        let batch = pool.select(10, |_| 3);
        assert_eq!(batch.len(), 2);
        assert_eq!(pool.prune(1, 10), 2);
        assert!(pool.is_empty());
        assert_eq!(pool.prune(7, 10), 0);
    }

    proptest! {
        /// Whatever is inserted, a selected batch is per-sender consecutive from the next nonce,
        /// never exceeds `max`, and the indexes stay consistent after pruning what was selected.
        #[test]
        fn select_then_prune_is_consistent(
            ops in proptest::collection::vec((0u8..4, 0u64..12), 0..80),
            max in 1usize..20,
        ) {
            let mut pool = Mempool::new(MempoolConfig { max_total: 40, max_per_sender: 15, max_nonce_gap: 10 });
            let mut next = [0u64; 4];
            for (s, n) in ops {
                let _ = pool.insert(t(s, n), next[s as usize]);
            }
            let batch = pool.select(max, |s| next[s as usize]);
            prop_assert!(batch.len() <= max);
            let mut expect = next;
            for tx in &batch {
                prop_assert_eq!(tx.nonce, expect[tx.sender as usize]);
                expect[tx.sender as usize] += 1;
            }
            let before = pool.len();
            let mut dropped = 0;
            for s in 0..4u8 {
                next[s as usize] = expect[s as usize];
                dropped += pool.prune(s, next[s as usize]);
            }
            prop_assert_eq!(dropped, batch.len());
            prop_assert_eq!(pool.len(), before - batch.len());
            let total: usize = pool.by_sender.values().map(|q| q.len()).sum();
            prop_assert_eq!(total, pool.by_hash.len());
        }
    }
}
