//! The node core: mempool + sequencer + executor + durable commit, as plain synchronous Rust.
//!
//! No async runtime, no HTTP, no clock: the caller passes the block timestamp in. This is what a
//! later issue runs inside a deterministic simulated runtime, and what the HTTP edge drives from a
//! dedicated thread. Ordering rule: a transaction's receipt becomes visible only through the store,
//! and it is removed from the mempool in the same `&mut self` call that commits its block, so a
//! reader holding the core (or asking the mempool first, then the store) never sees a committed
//! transaction as unknown.

use std::sync::Arc;

use verity_ledger::{
    AdmissionError, Block, BlockInput, Genesis, MAX_TX_BYTES, Receipt, SignedTransaction, State,
    apply_block, check_admission, execute::apply_block_prehashed,
};
use verity_primitives::{Address, Hash, Timestamp};
use verity_store::{Head, Store, StoreError, genesis_hash};

use crate::error::{NodeError, SubmitError};
use crate::mempool::{Mempool, MempoolConfig, PoolTx};

/// Tunables of the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreConfig {
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// Mempool bounds.
    pub mempool: MempoolConfig,
}

impl CoreConfig {
    /// Defaults, with the block size taken from the genesis parameters.
    pub fn from_genesis(genesis: &Genesis) -> Self {
        Self {
            max_block_txs: (genesis.params.max_block_txs as usize).max(1),
            mempool: MempoolConfig::default(),
        }
    }
}

/// A transaction whose chain id, size and signature have been checked (possibly on another
/// thread): only [`VerifiedTx::verify`] makes one, so the core can admit it without re-verifying.
#[derive(Debug, Clone)]
pub struct VerifiedTx {
    tx: SignedTransaction,
    hash: Hash,
}

impl VerifiedTx {
    /// Check chain id, encoded size and signature (recovers the sender; low-s only).
    pub fn verify(tx: SignedTransaction, chain_id: u64) -> Result<Self, SubmitError> {
        if tx.tx.chain_id != chain_id {
            return Err(AdmissionError::WrongChainId {
                expected: chain_id,
                got: tx.tx.chain_id,
            }
            .into());
        }
        let len = tx.encoded_len();
        if len > MAX_TX_BYTES {
            return Err(AdmissionError::Oversized {
                len,
                max: MAX_TX_BYTES,
            }
            .into());
        }
        // One hash computation serves the signature check and the pool (recovery runs once).
        let hash = tx.verify_and_hash()?;
        Ok(Self { tx, hash })
    }

    /// The transaction hash.
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// The transaction.
    pub fn tx(&self) -> &SignedTransaction {
        &self.tx
    }
}

impl PoolTx for VerifiedTx {
    type Sender = Address;
    type Hash = Hash;
    fn pool_sender(&self) -> Address {
        self.tx.tx.sender
    }
    fn pool_nonce(&self) -> u64 {
        self.tx.tx.nonce
    }
    fn pool_hash(&self) -> Hash {
        self.hash
    }
}

/// A block that is durable, with what it produced.
#[derive(Debug, Clone)]
pub struct CommittedBlock {
    /// The block hash.
    pub hash: Hash,
    /// The block.
    pub block: Block,
    /// One receipt per transaction, in block order.
    pub receipts: Vec<Receipt>,
}

/// Where a transaction is, as the core sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum TxLookup {
    /// In a durable block.
    Committed(Box<Receipt>),
    /// Waiting in the mempool.
    Pending,
    /// Not known.
    Unknown,
}

/// The node core.
#[derive(Debug)]
pub struct NodeCore {
    state: State,
    store: Arc<Store>,
    mempool: Mempool<VerifiedTx>,
    config: CoreConfig,
    head: Head,
    genesis_hash: Hash,
    chain_id: u64,
    /// Set when execution or commit failed after the state changed: the in-memory state may be
    /// ahead of the store, so the core refuses further blocks (restart recovers from the store).
    halted: Option<String>,
}

impl NodeCore {
    /// Open the chain in `store`: on a fresh store, build the state from `genesis` and record it;
    /// otherwise check `genesis` is the stored one and recover the state of the last durable
    /// block (its root is checked against that block's).
    pub fn open(store: Store, genesis: &Genesis, config: CoreConfig) -> Result<Self, NodeError> {
        let given = genesis_hash(genesis)?;
        let (state, head) = store.open_chain(genesis)?;
        // The ledger refuses blocks above its parameter; never build one.
        let mut config = config;
        config.max_block_txs = config
            .max_block_txs
            .clamp(1, (state.params().max_block_txs as usize).max(1));
        Ok(Self {
            chain_id: state.chain_id(),
            state,
            store: Arc::new(store),
            mempool: Mempool::new(config.mempool),
            config,
            head,
            genesis_hash: given,
            halted: None,
        })
    }

    /// Open a store that already holds a chain, using its stored genesis.
    pub fn open_existing(
        store: Store,
        config: impl FnOnce(&Genesis) -> CoreConfig,
    ) -> Result<Self, NodeError> {
        let genesis = store
            .stored_genesis()?
            .ok_or_else(|| StoreError::NotInitialised {
                path: store.path().to_path_buf(),
            })?;
        let config = config(&genesis);
        Self::open(store, &genesis, config)
    }

    /// Admit a transaction: full admission (chain id, size, signature, nonce) then the mempool.
    pub fn submit(&mut self, tx: SignedTransaction) -> Result<Hash, SubmitError> {
        check_admission(&self.state, &tx)?;
        let hash = tx.hash();
        self.admit(VerifiedTx { tx, hash })
    }

    /// Admit a transaction already verified by [`VerifiedTx::verify`]: nonce checks and the
    /// mempool bounds only (cheap; meant to run under the core's lock).
    pub fn admit(&mut self, tx: VerifiedTx) -> Result<Hash, SubmitError> {
        if tx.tx.tx.chain_id != self.chain_id {
            return Err(AdmissionError::WrongChainId {
                expected: self.chain_id,
                got: tx.tx.tx.chain_id,
            }
            .into());
        }
        let next = self.state.nonce(tx.tx.tx.sender);
        Ok(self.mempool.insert(tx, next)?)
    }

    /// Number of mempool transactions executable in the next block (capped at the block size).
    pub fn ready_txs(&self) -> usize {
        let state = &self.state;
        self.mempool
            .ready_count(self.config.max_block_txs, |s| state.nonce(s))
    }

    /// Seal, execute and durably commit the next block from the mempool, with block time
    /// `timestamp` (raised to the parent's if earlier, so block time never goes back). Returns
    /// `None` when nothing is executable (no empty blocks). Receipts become visible only once
    /// the store has committed (fsync) the block.
    pub fn seal_block(
        &mut self,
        timestamp: Timestamp,
    ) -> Result<Option<CommittedBlock>, NodeError> {
        if let Some(why) = &self.halted {
            return Err(NodeError::Halted(why.clone()));
        }
        let state = &self.state;
        let batch = self
            .mempool
            .select(self.config.max_block_txs, |s| state.nonce(s));
        if batch.is_empty() {
            return Ok(None);
        }
        // Admission hashed every transaction (signature recovery needs the digest): execution
        // reuses those hashes instead of hashing each transaction again.
        let hashes: Vec<Hash> = batch.iter().map(|t| t.hash).collect();
        let input = BlockInput {
            height: self.head.height + 1,
            timestamp: Timestamp(timestamp.0.max(self.head.timestamp)),
            parent_hash: self.head.block_hash,
            txs: batch.into_iter().map(|t| t.tx).collect(),
        };
        self.commit_with(input, Some(&hashes)).map(Some)
    }

    /// Up to `max` mempool transactions in an executable order, without sealing: each sender's
    /// nonces contiguous from `next_nonce(sender)`. The BFT proposer passes the nonces after its
    /// not-yet-finalized ancestors (`verity_consensus::InFlight`).
    pub fn select_txs(
        &self,
        max: usize,
        next_nonce: impl Fn(Address) -> u64,
    ) -> Vec<SignedTransaction> {
        self.mempool
            .select(max, next_nonce)
            .into_iter()
            .map(|t| t.tx)
            .collect()
    }

    /// Execute `input` with `apply_block` and commit it durably, then drop what it executed
    /// from the mempool: the one path both block producers use (the dev sequencer through
    /// [`NodeCore::seal_block`], the BFT engine with each finalized block). `input` must follow
    /// the head. A failure after the state changed halts the core, as for `seal_block`.
    pub fn commit_input(&mut self, input: BlockInput) -> Result<CommittedBlock, NodeError> {
        self.commit_with(input, None)
    }

    fn commit_with(
        &mut self,
        input: BlockInput,
        hashes: Option<&[Hash]>,
    ) -> Result<CommittedBlock, NodeError> {
        if let Some(why) = &self.halted {
            return Err(NodeError::Halted(why.clone()));
        }
        let mut senders: Vec<Address> = input.txs.iter().map(|t| t.tx.sender).collect();
        senders.sort();
        senders.dedup();
        let applied = match hashes {
            Some(h) => apply_block_prehashed(&mut self.state, &input, h),
            None => apply_block(&mut self.state, &input),
        };
        let outcome = match applied {
            Ok(o) => o,
            Err(e) => {
                let why = format!("executing block {} failed: {e}", input.height);
                self.halted = Some(why.clone());
                return Err(NodeError::Halted(why));
            }
        };
        let block = Block {
            header: outcome.header,
            txs: input.txs,
        };
        let head = match self
            .store
            .commit_block(&block, &outcome.receipts, &outcome.write_set)
        {
            Ok(h) => h,
            Err(e) => {
                let why = format!("committing block {} failed: {e}", block.header.height);
                self.halted = Some(why.clone());
                return Err(NodeError::Halted(why));
            }
        };
        for sender in senders {
            self.mempool.prune(sender, self.state.nonce(sender));
        }
        self.head = head;
        Ok(CommittedBlock {
            hash: head.block_hash,
            block,
            receipts: outcome.receipts,
        })
    }

    /// Where a transaction is: mempool first, then the store (see the module doc for why).
    pub fn lookup(&self, hash: &Hash) -> Result<TxLookup, NodeError> {
        if self.mempool.contains(hash) {
            return Ok(TxLookup::Pending);
        }
        Ok(match self.store.receipt(hash)? {
            Some(r) => TxLookup::Committed(Box::new(r)),
            None => TxLookup::Unknown,
        })
    }

    /// True when the transaction waits in the mempool.
    pub fn is_pending(&self, hash: &Hash) -> bool {
        self.mempool.contains(hash)
    }

    /// The ledger state of the last durable block.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The store (shared: reads of blocks and receipts need not hold the core).
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The last durable block.
    pub fn head(&self) -> Head {
        self.head
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The hash naming the genesis.
    pub fn genesis_hash(&self) -> Hash {
        self.genesis_hash
    }

    /// Transactions in the mempool.
    pub fn mempool_len(&self) -> usize {
        self.mempool.len()
    }

    /// The configuration.
    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    /// Why the core stopped sealing blocks, if it did.
    pub fn halted(&self) -> Option<&str> {
        self.halted.as_deref()
    }
}
