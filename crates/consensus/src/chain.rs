//! What a block producer needs from the node: the [`Chain`] trait (read the applied state,
//! pick mempool transactions, execute-and-commit one block), the deterministic filter every
//! validator runs on a finalized block before `apply_block` ([`executable_txs`]), and
//! [`LedgerChain`], a `Chain` over the real ledger and store with a small nonce-ordered pool
//! (what the deterministic cluster tests and tools run; the node implements `Chain` over its
//! own `NodeCore`).
//!
//! Every producer — the dev sequencer and the BFT engine — ends in [`Chain::commit`] with a
//! [`BlockInput`], so both feed the same pure `verity_ledger::apply_block`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use verity_ledger::{BlockInput, Genesis, SignedTransaction, State, apply_block, check_admission};
use verity_primitives::{Address, Hash, Timestamp};
use verity_store::{Head, Store, genesis_hash};

use crate::error::ConsensusError;

/// The last durably committed block, as consensus sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// Height (0 = genesis).
    pub height: u64,
    /// The ledger's header hash of that block (the genesis hash at 0).
    pub block_hash: Hash,
    /// State root after it.
    pub state_root: Hash,
    /// Its timestamp, milliseconds.
    pub timestamp: u64,
}

impl From<Head> for ChainHead {
    fn from(h: Head) -> Self {
        Self {
            height: h.height,
            block_hash: h.block_hash,
            state_root: h.state_root,
            timestamp: h.timestamp,
        }
    }
}

/// Transactions already in blocks that are proposed or notarized but not yet applied: a
/// proposer must not pick them again and must continue each sender's nonces after them.
#[derive(Clone, Debug, Default)]
pub struct InFlight {
    /// Hashes of those transactions.
    pub hashes: BTreeSet<Hash>,
    /// Per sender, the nonce after its last in-flight transaction.
    pub next_nonce: BTreeMap<Address, u64>,
}

impl InFlight {
    /// Record the transactions of one unapplied ancestor.
    pub fn add(&mut self, txs: &[SignedTransaction]) {
        for tx in txs {
            self.hashes.insert(tx.hash());
            let next = tx.tx.nonce.saturating_add(1);
            let e = self.next_nonce.entry(tx.tx.sender).or_insert(next);
            *e = (*e).max(next);
        }
    }

    /// The nonce a new transaction of `sender` must carry, given the applied `state`.
    pub fn nonce(&self, state: &State, sender: Address) -> u64 {
        let applied = state.nonce(sender);
        self.next_nonce
            .get(&sender)
            .map_or(applied, |n| (*n).max(applied))
    }
}

/// The node side of block production. Implementations lock internally (`&self` methods), so
/// the node keeps its own locking and can publish receipts/events inside [`Chain::commit`].
pub trait Chain: Clone + Send + Sync + 'static {
    /// The chain id.
    fn chain_id(&self) -> u64;

    /// The last durable block.
    fn head(&self) -> ChainHead;

    /// The chain's start: height 0, the genesis hash, the genesis state root and time.
    fn genesis(&self) -> ChainHead;

    /// The state root after block `height`, when that block is durable (0 = genesis).
    fn state_root_at(&self, height: u64) -> Option<Hash>;

    /// Run `f` on the applied ledger state (the state after [`Chain::head`]).
    fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> R;

    /// Up to `max_txs` mempool transactions of at most `max_bytes` block bytes in total
    /// (measured with [`crate::ChainBlock::tx_size`]), in an order that executes: each
    /// sender's nonces contiguous from [`InFlight::nonce`], none of `in_flight.hashes`.
    fn select_txs(
        &self,
        max_txs: usize,
        max_bytes: usize,
        in_flight: &InFlight,
    ) -> Vec<SignedTransaction>;

    /// Execute `input` with `verity_ledger::apply_block` on the applied state and commit it
    /// durably; returns the new head. `input.txs` already passed [`executable_txs`].
    fn commit(&self, input: BlockInput) -> Result<ChainHead, ConsensusError>;

    /// Local consensus saw a validator sign two conflicting votes: `evidence` is the encoded
    /// [`crate::evidence::DoubleSignEvidence`]. The node turns it into a `ReportDoubleSign`
    /// transaction in its mempool (when it has an account key to sign with).
    fn report_double_sign(&self, evidence: Vec<u8>);
}

/// The transactions of a finalized block that the ledger can execute, in block order: right
/// chain id and each sender's nonce exactly the next one (a block built on a stale view may
/// repeat a transaction an earlier block already executed; every validator drops the same ones,
/// since the filter reads only the applied state and the block). Signatures were checked when
/// the block was verified.
pub fn executable_txs(state: &State, txs: &[SignedTransaction]) -> Vec<SignedTransaction> {
    let chain_id = state.chain_id();
    let mut next: BTreeMap<Address, u64> = BTreeMap::new();
    let max = state.params().max_block_txs as usize;
    let mut out = Vec::with_capacity(txs.len().min(max));
    for tx in txs {
        if out.len() >= max {
            break;
        }
        if tx.tx.chain_id != chain_id {
            continue;
        }
        let expected = *next
            .entry(tx.tx.sender)
            .or_insert_with(|| state.nonce(tx.tx.sender));
        if tx.tx.nonce != expected {
            continue;
        }
        next.insert(tx.tx.sender, expected.saturating_add(1));
        out.push(tx.clone());
    }
    out
}

struct Inner {
    state: State,
    store: Arc<Store>,
    head: ChainHead,
    genesis: ChainHead,
    /// sender → nonce → transaction.
    pool: BTreeMap<Address, BTreeMap<u64, SignedTransaction>>,
    evidence: Vec<Vec<u8>>,
    reporter: Option<Reporter>,
    committed: Vec<ChainHead>,
    halted: Option<String>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerChain")
            .field("head", &self.head)
            .field("pool", &self.pool.len())
            .field("halted", &self.halted)
            .finish()
    }
}

/// How a [`LedgerChain`] turns double-sign evidence into a transaction.
pub type Reporter = Arc<dyn Fn(&State, Vec<u8>) -> Option<SignedTransaction> + Send + Sync>;

/// A [`Chain`] over the real ledger and store with a nonce-ordered pool. Cheap to clone
/// (shared inside).
#[derive(Clone, Debug)]
pub struct LedgerChain {
    inner: Arc<Mutex<Inner>>,
}

impl LedgerChain {
    /// Open (or initialise from `genesis`) the chain stored in `store`.
    pub fn open(store: Store, genesis: &Genesis) -> Result<Self, ConsensusError> {
        let (state, head) = store.open_chain(genesis)?;
        // The genesis head is the one `open_chain` records on a fresh store.
        let genesis_head = if head.height == 0 {
            head
        } else {
            let g = State::from_genesis(genesis)?;
            Head {
                height: 0,
                block_hash: genesis_hash(genesis)?,
                state_root: g.root(),
                timestamp: g.time().0,
            }
        };
        Ok(Self {
            inner: Arc::new(Mutex::new(Inner {
                state,
                store: Arc::new(store),
                head: head.into(),
                genesis: genesis_head.into(),
                pool: BTreeMap::new(),
                evidence: Vec::new(),
                reporter: None,
                committed: Vec::new(),
                halted: None,
            })),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic under the lock leaves at worst a stale pool; the state only changes together
        // with a successful durable commit.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admit a transaction (chain id, size, signature, not a stale nonce) into the pool.
    pub fn submit(&self, tx: SignedTransaction) -> Result<Hash, ConsensusError> {
        let mut inner = self.lock();
        check_admission(&inner.state, &tx)
            .map_err(|e| ConsensusError::Config(format!("transaction refused: {e}")))?;
        let hash = tx.hash();
        inner
            .pool
            .entry(tx.tx.sender)
            .or_default()
            .insert(tx.tx.nonce, tx);
        Ok(hash)
    }

    /// Transactions waiting in the pool.
    pub fn pool_len(&self) -> usize {
        self.lock().pool.values().map(BTreeMap::len).sum()
    }

    /// Set how double-sign evidence becomes a transaction (without one, evidence is only
    /// recorded, see [`LedgerChain::evidence`]).
    pub fn set_reporter(&self, reporter: Reporter) {
        self.lock().reporter = Some(reporter);
    }

    /// Evidence reported so far, in arrival order.
    pub fn evidence(&self) -> Vec<Vec<u8>> {
        self.lock().evidence.clone()
    }

    /// Heads committed through this handle since it was opened, in order.
    pub fn committed(&self) -> Vec<ChainHead> {
        self.lock().committed.clone()
    }

    /// The store.
    pub fn store(&self) -> Arc<Store> {
        self.lock().store.clone()
    }
}

impl Chain for LedgerChain {
    fn chain_id(&self) -> u64 {
        self.lock().state.chain_id()
    }

    fn head(&self) -> ChainHead {
        self.lock().head
    }

    fn genesis(&self) -> ChainHead {
        self.lock().genesis
    }

    fn state_root_at(&self, height: u64) -> Option<Hash> {
        let inner = self.lock();
        if height == inner.head.height {
            return Some(inner.head.state_root);
        }
        if height > inner.head.height {
            return None;
        }
        if height == 0 {
            return Some(inner.genesis.state_root);
        }
        let store = inner.store.clone();
        drop(inner);
        store
            .block(height)
            .ok()
            .flatten()
            .map(|b| b.header.state_root)
    }

    fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.lock().state)
    }

    fn select_txs(
        &self,
        max_txs: usize,
        max_bytes: usize,
        in_flight: &InFlight,
    ) -> Vec<SignedTransaction> {
        let inner = self.lock();
        let mut out = Vec::new();
        let mut bytes = 0usize;
        'senders: for (sender, txs) in &inner.pool {
            let mut nonce = in_flight.nonce(&inner.state, *sender);
            while let Some(tx) = txs.get(&nonce) {
                if out.len() >= max_txs {
                    break 'senders;
                }
                let size = crate::ChainBlock::tx_size(tx);
                if bytes + size > max_bytes {
                    break 'senders;
                }
                if in_flight.hashes.contains(&tx.hash()) {
                    break;
                }
                bytes += size;
                out.push(tx.clone());
                nonce += 1;
            }
        }
        out
    }

    fn commit(&self, input: BlockInput) -> Result<ChainHead, ConsensusError> {
        let mut inner = self.lock();
        let height = input.height;
        let fail = |reason: String| ConsensusError::Apply { height, reason };
        if let Some(why) = &inner.halted {
            return Err(fail(format!("halted earlier: {why}")));
        }
        // In place, as the node core does: after a failure the in-memory state may be ahead of
        // the store, so the chain halts (a restart recovers from the store).
        let outcome = match apply_block(&mut inner.state, &input) {
            Ok(o) => o,
            Err(e) => {
                inner.halted = Some(e.to_string());
                return Err(fail(e.to_string()));
            }
        };
        let block = verity_ledger::Block {
            header: outcome.header,
            txs: input.txs,
        };
        let head: ChainHead =
            match inner
                .store
                .commit_block(&block, &outcome.receipts, &outcome.write_set)
            {
                Ok(h) => h.into(),
                Err(e) => {
                    inner.halted = Some(e.to_string());
                    return Err(fail(e.to_string()));
                }
            };
        inner.head = head;
        inner.committed.push(head);
        let senders: Vec<Address> = inner.pool.keys().copied().collect();
        for sender in senders {
            let next = inner.state.nonce(sender);
            if let Some(txs) = inner.pool.get_mut(&sender) {
                *txs = txs.split_off(&next);
                if txs.is_empty() {
                    inner.pool.remove(&sender);
                }
            }
        }
        Ok(head)
    }

    fn report_double_sign(&self, evidence: Vec<u8>) {
        let mut inner = self.lock();
        inner.evidence.push(evidence.clone());
        let Some(reporter) = inner.reporter.clone() else {
            return;
        };
        if let Some(tx) = reporter(&inner.state, evidence)
            && check_admission(&inner.state, &tx).is_ok()
        {
            inner
                .pool
                .entry(tx.tx.sender)
                .or_default()
                .insert(tx.tx.nonce, tx);
        }
    }
}

/// Make the block a producer hands to [`Chain::commit`]: height after the head, timestamp
/// raised to the head's (block time never goes back), the head's hash as parent.
pub fn next_input(head: &ChainHead, timestamp_ms: u64, txs: Vec<SignedTransaction>) -> BlockInput {
    BlockInput {
        height: head.height + 1,
        timestamp: Timestamp(timestamp_ms.max(head.timestamp)),
        parent_hash: head.block_hash,
        txs,
    }
}
