//! Block execution context [`Exec`]: a block write overlay over the committed [`State`] plus a
//! per-transaction overlay. A transaction's writes and events go to the tx overlay and reach the
//! block overlay only when the transaction succeeds ([`Exec::commit_tx`]); a failed transaction
//! is discarded ([`Exec::discard_tx`]). Nonce bumps are written straight to the block overlay so
//! they survive failure.
//!
//! The block overlay is a hash table keyed by the state tree's bucket index (`tree::bucket_of`,
//! a blake3 of the key): an entry list in first-write order plus one chain head per bucket. A
//! lookup costs one blake3 and a walk of about one entry, and the bucket it computed is reused
//! for the committed state's lookup and by the tree update at the end of the block. The last
//! few keys' buckets are remembered, so a key read and then written is hashed once. Nothing
//! iterates the table in hash order: [`Exec::into_write_set`] sorts the entries by key.

use super::tree::{DEPTH, bucket_of};
use super::{KeyBuf, State, Store};
use crate::receipt::Event;
use std::cell::Cell;
use verity_primitives::Timestamp;

/// No entry (end of a chain).
const NIL: u32 = u32::MAX;

/// Keys whose bucket [`Exec`] remembers: a transfer reads its nonce, token, sender and
/// recipient keys and then writes three of them; eight slots keep a transaction's keys and the
/// ones every transaction shares (the token's registry entry).
const RECENT: usize = 8;

/// A recently used key (at most 32 bytes) and its tree bucket; `len == u8::MAX` marks an
/// empty slot.
#[derive(Clone, Copy)]
struct Recent {
    len: u8,
    key: [u8; 32],
    bucket: u32,
}

impl Recent {
    const EMPTY: Recent = Recent {
        len: u8::MAX,
        key: [0; 32],
        bucket: 0,
    };
}

/// One key written during the block.
struct Written {
    key: KeyBuf,
    value: Option<Vec<u8>>,
    bucket: u32,
    /// Next entry of the same bucket, or [`NIL`].
    next: u32,
}

/// A block's state changes, sorted by key, with each key's tree bucket (what
/// [`State::commit_block_writes`] takes; it also drops the no-op writes).
pub(crate) struct WriteSet {
    /// `(key, value)`; `None` deletes.
    pub(crate) entries: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// `buckets[i]` is `bucket_of(entries[i].0)`.
    pub(crate) buckets: Vec<usize>,
}

/// The mutable view of state during one block.
pub struct Exec<'s> {
    state: &'s State,
    /// Block overlay entries in first-write order.
    block: Vec<Written>,
    /// Chain head per tree bucket (`2^DEPTH` of them), [`NIL`] when empty.
    heads: Vec<u32>,
    tx: Vec<(KeyBuf, Option<Vec<u8>>)>,
    /// The buckets of the last [`RECENT`] keys looked up (a cache of `bucket_of`, one blake3
    /// each: the read of a key and its write then hash it once).
    recent: [Cell<Recent>; RECENT],
    /// Set when a slot of `recent` was hit since the replacement hand last passed it (a
    /// second chance, so a key every transaction uses, such as the token, stays).
    recent_used: [Cell<bool>; RECENT],
    /// Slot of `recent` the replacement hand points at.
    recent_next: Cell<usize>,
    /// Events emitted by the current transaction.
    pub events: Vec<crate::receipt::Event>,
    /// The block's timestamp (the only clock).
    pub now: Timestamp,
    /// The block's height.
    pub height: u64,
    /// Hash of the previous block header (`BlockInput::parent_hash`; zero at genesis): the
    /// seed source of verifier selection (market).
    pub parent_hash: verity_primitives::Hash,
}

impl Store for Exec<'_> {
    fn get(&self, key: &[u8]) -> Option<&[u8]> {
        for (k, v) in self.tx.iter().rev() {
            if k.as_slice() == key {
                return v.as_deref();
            }
        }
        let b = self.bucket(key);
        match self.find(b, key) {
            Some(i) => self.block[i].value.as_deref(),
            None => self.state.get_in(b, key),
        }
    }
}

impl<'s> Exec<'s> {
    /// Start a block on top of `state`.
    pub fn new(state: &'s State, height: u64, now: Timestamp) -> Self {
        Exec {
            state,
            block: Vec::new(),
            heads: vec![NIL; 1 << DEPTH],
            tx: Vec::with_capacity(8),
            recent: [const { Cell::new(Recent::EMPTY) }; RECENT],
            recent_used: [const { Cell::new(false) }; RECENT],
            recent_next: Cell::new(0),
            events: Vec::new(),
            now,
            height,
            parent_hash: verity_primitives::Hash::ZERO,
        }
    }

    /// Make room for `n` more keys written in this block (a block of transfers writes up to
    /// three per transaction), so the overlay does not regrow and copy itself while it fills.
    pub(crate) fn reserve_writes(&mut self, n: usize) {
        self.block.reserve(n);
    }

    /// The committed state underneath.
    pub fn state(&self) -> &'s State {
        self.state
    }

    /// `bucket_of(key)`, from the recent-keys cache when `key` was just used.
    fn bucket(&self, key: &[u8]) -> usize {
        let n = key.len();
        if n > 32 {
            return bucket_of(key);
        }
        // Zero-padded, so a slot compares as one fixed-size array (no memcmp call).
        let mut k = [0u8; 32];
        k[..n].copy_from_slice(key);
        for (c, used) in self.recent.iter().zip(&self.recent_used) {
            let r = c.get();
            if usize::from(r.len) == n && r.key == k {
                used.set(true);
                return r.bucket as usize;
            }
        }
        let b = bucket_of(key);
        // Clock replacement: skip (and clear) slots hit since the hand last passed.
        let mut i = self.recent_next.get();
        while self.recent_used[i].replace(false) {
            i = (i + 1) % RECENT;
        }
        self.recent[i].set(Recent {
            len: u8::try_from(n).expect("n <= 32"),
            key: k,
            bucket: u32::try_from(b).expect("bucket index < 2^DEPTH"),
        });
        self.recent_next.set((i + 1) % RECENT);
        b
    }

    /// Index of `key` (in bucket `b`) in the block overlay.
    fn find(&self, b: usize, key: &[u8]) -> Option<usize> {
        let mut i = *self.heads.get(b)?;
        while i != NIL {
            let e = &self.block[i as usize];
            if e.key.as_slice() == key {
                return Some(i as usize);
            }
            i = e.next;
        }
        None
    }

    /// Set `key` in the block overlay (`key` is moved in when it is new).
    fn write_block(&mut self, key: KeyBuf, value: Option<Vec<u8>>) {
        let b = self.bucket(&key);
        match self.find(b, &key) {
            Some(i) => self.block[i].value = value,
            None => {
                let i = u32::try_from(self.block.len())
                    .expect("a block writes far fewer than 2^32 keys");
                self.block.push(Written {
                    key,
                    value,
                    bucket: u32::try_from(b).expect("bucket index < 2^DEPTH"),
                    next: self.heads[b],
                });
                self.heads[b] = i;
            }
        }
    }

    /// Write (or with `None` delete) `key` in the current transaction's overlay.
    pub fn put(&mut self, key: &[u8], value: Option<Vec<u8>>) {
        for (k, v) in self.tx.iter_mut() {
            if k.as_slice() == key {
                *v = value;
                return;
            }
        }
        self.tx.push((KeyBuf::from_slice(key), value));
    }

    /// Write `key` straight into the block overlay (survives a failed transaction).
    pub fn put_block(&mut self, key: &[u8], value: Option<Vec<u8>>) {
        debug_assert!(self.tx.is_empty(), "put_block inside a transaction");
        self.write_block(KeyBuf::from_slice(key), value);
    }

    /// Emit an event for the current transaction.
    pub fn emit(&mut self, e: Event) {
        self.events.push(e);
    }

    /// Keep the current transaction's writes; returns its events.
    pub fn commit_tx(&mut self) -> Vec<Event> {
        let mut tx = std::mem::take(&mut self.tx);
        for (k, v) in tx.drain(..) {
            self.write_block(k, v);
        }
        self.tx = tx;
        std::mem::take(&mut self.events)
    }

    /// Drop the current transaction's writes and events.
    pub fn discard_tx(&mut self) {
        self.tx.clear();
        self.events.clear();
    }

    /// Keys starting with `prefix` that hold a value as this transaction sees the state
    /// (committed state merged with the block and transaction overlays), in key order.
    /// Scans the block overlay linearly: meant for rare module work (capacity, issue 6: every
    /// holder of an expiring token), not the per-transaction path.
    pub fn keys_with_prefix(&self, prefix: &[u8]) -> Vec<Vec<u8>> {
        let mut keys: std::collections::BTreeSet<Vec<u8>> = self
            .state
            .keys_with_prefix(prefix)
            .map(<[u8]>::to_vec)
            .collect();
        keys.extend(
            self.block
                .iter()
                .filter(|w| w.key.starts_with(prefix))
                .map(|w| w.key.to_vec()),
        );
        keys.extend(
            self.tx
                .iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .map(|(k, _)| k.to_vec()),
        );
        keys.into_iter().filter(|k| self.get(k).is_some()).collect()
    }

    /// The block's write set, sorted by key, without no-op writes.
    pub fn into_write_set(self) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let state = self.state;
        let ws = self.into_bucketed_write_set();
        ws.entries
            .into_iter()
            .zip(ws.buckets)
            .filter(|((k, v), b)| state.get_in(*b, k) != v.as_deref())
            .map(|(e, _)| e)
            .collect()
    }

    /// The block's writes sorted by key, with each key's tree bucket; no-op writes are still
    /// in (the state tree drops them while applying: [`State::commit_block_writes`]).
    pub(crate) fn into_bucketed_write_set(mut self) -> WriteSet {
        self.commit_tx();
        let mut kept: Vec<Written> = self.block;
        // Sort small (prefix, index) pairs instead of moving whole entries; equal prefixes
        // fall back to the full keys (zero-padded prefixes order like the keys themselves).
        let mut order: Vec<(u64, u32)> = kept
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let mut p = [0u8; 8];
                let n = w.key.len().min(8);
                p[..n].copy_from_slice(&w.key[..n]);
                let i = u32::try_from(i).expect("a block writes far fewer than 2^32 keys");
                (u64::from_be_bytes(p), i)
            })
            .collect();
        order.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| kept[a.1 as usize].key.cmp(&kept[b.1 as usize].key))
        });
        let mut buckets = Vec::with_capacity(order.len());
        let mut entries = Vec::with_capacity(order.len());
        for (_, i) in order {
            let w = &mut kept[i as usize];
            buckets.push(w.bucket as usize);
            entries.push((w.key.to_vec(), w.value.take()));
        }
        WriteSet { entries, buckets }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// The overlay reads back what a plain ordered map model says, across block writes,
        /// committed and discarded transactions, and its write set is that model's difference
        /// from the committed state, sorted and with correct buckets.
        #[test]
        fn overlay_matches_an_ordered_map_model(
            base in proptest::collection::btree_map(0u8..24, any::<u8>(), 0..12),
            ops in proptest::collection::vec((0u8..4, 0u8..24, proptest::option::of(any::<u8>())), 0..80),
        ) {
            let mut state =
                State::from_genesis(&crate::bench::bench_genesis(2)).expect("genesis");
            let ws: Vec<(Vec<u8>, Option<Vec<u8>>)> =
                base.iter().map(|(k, v)| (vec![0x99, *k], Some(vec![*v]))).collect();
            state.commit(&ws).expect("commit");
            let mut model: BTreeMap<Vec<u8>, Option<Vec<u8>>> =
                base.iter().map(|(k, v)| (vec![0x99, *k], Some(vec![*v]))).collect();
            let mut pending: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
            let mut ex = Exec::new(&state, 1, Timestamp(0));
            for (op, k, v) in ops {
                let key = vec![0x99, k];
                let val = v.map(|x| vec![x]);
                match op {
                    0 => {
                        ex.put(&key, val.clone());
                        pending.push((key.clone(), val));
                    }
                    1 => {
                        ex.commit_tx();
                        for (k, v) in pending.drain(..) {
                            model.insert(k, v);
                        }
                    }
                    2 => {
                        ex.discard_tx();
                        pending.clear();
                    }
                    _ => {
                        ex.commit_tx();
                        for (k, v) in pending.drain(..) {
                            model.insert(k, v);
                        }
                        ex.put_block(&key, val.clone());
                        model.insert(key.clone(), val);
                    }
                }
                let expect = pending
                    .iter()
                    .rev()
                    .find(|(pk, _)| *pk == key)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| model.get(&key).cloned().flatten());
                prop_assert_eq!(ex.get(&key).map(<[u8]>::to_vec), expect);
            }
            let mut seen = model.clone();
            for (k, v) in &pending {
                seen.insert(k.clone(), v.clone());
            }
            let live: Vec<Vec<u8>> =
                seen.iter().filter(|(_, v)| v.is_some()).map(|(k, _)| k.clone()).collect();
            prop_assert_eq!(ex.keys_with_prefix(&[0x99]), live);
            for (k, v) in pending.drain(..) {
                model.insert(k, v);
            }
            let got = ex.into_bucketed_write_set();
            for ((k, _), b) in got.entries.iter().zip(&got.buckets) {
                prop_assert_eq!(*b, bucket_of(k));
            }
            let want: Vec<(Vec<u8>, Option<Vec<u8>>)> = model
                .into_iter()
                .filter(|(k, v)| state.get(k) != v.as_deref())
                .collect();
            // Committing drops the no-ops and reaches the root of a plain commit of the rest.
            let mut entries = got.entries;
            let mut committed = state.clone();
            committed.commit_block_writes(&mut entries, &got.buckets).expect("commit");
            prop_assert_eq!(&entries, &want);
            let mut plain = state.clone();
            plain.commit(&want).expect("commit");
            prop_assert_eq!(committed.root(), plain.root());
        }
    }
}
