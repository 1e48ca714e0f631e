//! Block execution context [`Exec`]: a block write overlay over the committed [`State`] plus a
//! per-transaction overlay. A transaction's writes and events go to the tx overlay and reach the
//! block overlay only when the transaction succeeds ([`Exec::commit_tx`]); a failed transaction
//! is discarded ([`Exec::discard_tx`]). Nonce bumps are written straight to the block overlay so
//! they survive failure.

use super::{State, Store};
use crate::receipt::Event;
use std::collections::BTreeMap;
use verity_primitives::Timestamp;

/// The mutable view of state during one block.
pub struct Exec<'s> {
    state: &'s State,
    block: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    tx: Vec<(Vec<u8>, Option<Vec<u8>>)>,
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
        if let Some(v) = self.block.get(key) {
            return v.as_deref();
        }
        self.state.get(key)
    }
}

impl<'s> Exec<'s> {
    /// Start a block on top of `state`.
    pub fn new(state: &'s State, height: u64, now: Timestamp) -> Self {
        Exec {
            state,
            block: BTreeMap::new(),
            tx: Vec::with_capacity(8),
            events: Vec::new(),
            now,
            height,
            parent_hash: verity_primitives::Hash::ZERO,
        }
    }

    /// The committed state underneath.
    pub fn state(&self) -> &'s State {
        self.state
    }

    /// Write (or with `None` delete) `key` in the current transaction's overlay.
    pub fn put(&mut self, key: &[u8], value: Option<Vec<u8>>) {
        for (k, v) in self.tx.iter_mut() {
            if k.as_slice() == key {
                *v = value;
                return;
            }
        }
        self.tx.push((key.to_vec(), value));
    }

    /// Write `key` straight into the block overlay (survives a failed transaction).
    pub fn put_block(&mut self, key: &[u8], value: Option<Vec<u8>>) {
        debug_assert!(self.tx.is_empty(), "put_block inside a transaction");
        self.block.insert(key.to_vec(), value);
    }

    /// Emit an event for the current transaction.
    pub fn emit(&mut self, e: Event) {
        self.events.push(e);
    }

    /// Keep the current transaction's writes; returns its events.
    pub fn commit_tx(&mut self) -> Vec<Event> {
        for (k, v) in self.tx.drain(..) {
            self.block.insert(k, v);
        }
        std::mem::take(&mut self.events)
    }

    /// Drop the current transaction's writes and events.
    pub fn discard_tx(&mut self) {
        self.tx.clear();
        self.events.clear();
    }

    /// The block's write set, sorted by key, without no-op writes.
    pub fn into_write_set(mut self) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        self.commit_tx();
        let state = self.state;
        self.block
            .into_iter()
            .filter(|(k, v)| state.get(k) != v.as_deref())
            .collect()
    }
}
