//! The node as a [`verity_consensus::Chain`]: what the BFT engine needs from the node in
//! validator mode (issue 7). The engine proposes from the node's mempool, executes each finalized
//! block through [`NodeCore::commit_input`] — the same `apply_block` path the dev sequencer's
//! `seal_block` takes — and publishes it to the event stream and metrics exactly as a sealed
//! block is, so HTTP, SSE and receipts behave the same in both modes.

use std::collections::BTreeSet;
use std::sync::Arc;

use verity_consensus::{Chain, ChainBlock, ChainHead, ConsensusError, InFlight};
use verity_ledger::{BlockInput, Payload, SignedTransaction, State, Transaction};
use verity_primitives::{Address, Hash};

use crate::error::NodeError;
use crate::run::Shared;

/// The node's chain handle for the BFT engine (cheap to clone).
#[derive(Clone)]
pub struct NodeChain {
    shared: Arc<Shared>,
    genesis: ChainHead,
    /// The account key that signs this node's own double-sign reports.
    reporter: Option<Arc<verity_ledger::SecretKey>>,
}

impl std::fmt::Debug for NodeChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeChain")
            .field("genesis", &self.genesis)
            .field("reports", &self.reporter.is_some())
            .finish()
    }
}

impl NodeChain {
    /// A chain over `shared`; its genesis head is read from the stored genesis.
    pub(crate) fn new(
        shared: Arc<Shared>,
        reporter: Option<verity_ledger::SecretKey>,
    ) -> Result<Self, NodeError> {
        let genesis = shared
            .store
            .stored_genesis()?
            .ok_or_else(|| NodeError::Config("the store holds no genesis".into()))?;
        let state = State::from_genesis(&genesis)
            .map_err(|e| NodeError::Config(format!("genesis: {e}")))?;
        let block_hash = shared.lock_core().genesis_hash();
        let genesis = ChainHead {
            height: 0,
            block_hash,
            state_root: state.root(),
            timestamp: state.time().0,
        };
        Ok(Self {
            shared,
            genesis,
            reporter: reporter.map(Arc::new),
        })
    }
}

impl Chain for NodeChain {
    fn chain_id(&self) -> u64 {
        self.shared.chain_id
    }

    fn head(&self) -> ChainHead {
        self.shared.lock_core().head().into()
    }

    fn genesis(&self) -> ChainHead {
        self.genesis
    }

    fn state_root_at(&self, height: u64) -> Option<Hash> {
        if height == 0 {
            return Some(self.genesis.state_root);
        }
        let head = self.head();
        if height == head.height {
            return Some(head.state_root);
        }
        if height > head.height {
            return None;
        }
        self.shared
            .store
            .block(height)
            .ok()
            .flatten()
            .map(|b| b.header.state_root)
    }

    fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(self.shared.lock_core().state())
    }

    fn select_txs(
        &self,
        max_txs: usize,
        max_bytes: usize,
        in_flight: &InFlight,
    ) -> Vec<SignedTransaction> {
        let candidates = {
            let core = self.shared.lock_core();
            let state = core.state();
            core.select_txs(max_txs, |s| in_flight.nonce(state, s))
        };
        // A sender whose transaction is skipped (too big for the block, or already in flight)
        // contributes nothing after it: its nonces must stay contiguous.
        let mut stopped: BTreeSet<Address> = BTreeSet::new();
        let mut bytes = 0usize;
        let mut out = Vec::with_capacity(candidates.len());
        for tx in candidates {
            if stopped.contains(&tx.tx.sender) {
                continue;
            }
            let size = ChainBlock::tx_size(&tx);
            if bytes + size > max_bytes || in_flight.hashes.contains(&tx.hash()) {
                stopped.insert(tx.tx.sender);
                continue;
            }
            bytes += size;
            out.push(tx);
        }
        out
    }

    fn commit(&self, input: BlockInput) -> Result<ChainHead, ConsensusError> {
        let height = input.height;
        let started = std::time::Instant::now();
        let (committed, pending) = {
            let mut core = self.shared.lock_core();
            let committed = core.commit_input(input);
            (committed, core.mempool_len())
        };
        match committed {
            Ok(block) => {
                self.shared
                    .metrics
                    .block_commit_seconds
                    .observe(started.elapsed().as_secs_f64());
                self.shared.metrics.mempool_size.set(pending as i64);
                self.shared.publish(&block);
                Ok(self.head())
            }
            Err(e) => {
                self.shared.fail(NodeError::Halted(e.to_string()));
                Err(ConsensusError::Apply {
                    height,
                    reason: e.to_string(),
                })
            }
        }
    }

    fn report_double_sign(&self, evidence: Vec<u8>) {
        let Some(key) = &self.reporter else {
            eprintln!(
                "verity-node: consensus saw a double sign, but this node has no --validator-key \
                 to report it with"
            );
            return;
        };
        let sender = verity_ledger::address_of(key);
        let tx = {
            let core = self.shared.lock_core();
            let state = core.state();
            SignedTransaction::sign(
                Transaction {
                    chain_id: state.chain_id(),
                    sender,
                    nonce: state.nonce(sender),
                    payload: Payload::ReportDoubleSign { evidence },
                },
                key,
            )
        };
        if let Err(e) = self.shared.admit(tx) {
            eprintln!("verity-node: the double-sign report was not admitted: {e}");
        }
    }
}
