//! The [`Sequencer`] trait both block producers implement, and the single-node
//! [`DevSequencer`] (the default): seal a block every `block_time` when transactions wait, or at
//! once when a full block is ready.
//!
//! A producer decides *what* the next block is; [`Chain::commit`] executes it with the one pure
//! `apply_block` and commits it. The dev sequencer picks the block from the local mempool when
//! its timer or a full batch says so; the BFT engine ([`crate::engine`]) takes the block
//! simplex finalized and marshal delivered, in height order, and commits it through the same
//! [`Chain::commit`] (see [`crate::finalizer`]).

use std::time::Duration;

use crate::block::BlockLimits;
use crate::chain::{Chain, ChainHead, InFlight, executable_txs, next_input};
use crate::error::ConsensusError;

/// What a producer did when asked for the next block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Produced {
    /// A block was committed; this is the new head.
    Committed(ChainHead),
    /// Nothing to do now (no executable transaction, or blocks come from elsewhere).
    Idle,
}

/// A block producer. Both implementations end in [`Chain::commit`].
pub trait Sequencer<C: Chain> {
    /// A short name for logs and metrics ("dev", "bft").
    fn name(&self) -> &'static str;

    /// Given how many transactions are ready and how long since the last block, should the
    /// node ask for a block now?
    fn should_seal(&self, ready_txs: usize, since_last_block: Duration) -> bool;

    /// Produce and commit the next block at `now_ms` (milliseconds since the Unix epoch).
    fn produce(&mut self, chain: &C, now_ms: u64) -> Result<Produced, ConsensusError>;
}

/// The single-node dev sequencer's policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevSequencer {
    /// Seal this often while transactions wait.
    pub block_time: Duration,
    /// Block bounds (a full block seals at once).
    pub limits: BlockLimits,
}

impl DevSequencer {
    /// The node's default: 500 ms blocks, bounds from the genesis parameter.
    pub fn new(block_time: Duration, max_block_txs: usize) -> Self {
        Self {
            block_time,
            limits: BlockLimits {
                max_txs: max_block_txs.max(1),
                ..BlockLimits::default()
            },
        }
    }
}

impl<C: Chain> Sequencer<C> for DevSequencer {
    fn name(&self) -> &'static str {
        "dev"
    }

    fn should_seal(&self, ready_txs: usize, since_last_block: Duration) -> bool {
        ready_txs >= self.limits.max_txs || (ready_txs > 0 && since_last_block >= self.block_time)
    }

    fn produce(&mut self, chain: &C, now_ms: u64) -> Result<Produced, ConsensusError> {
        let picked = chain.select_txs(
            self.limits.max_txs,
            self.limits.max_bytes,
            &InFlight::default(),
        );
        let txs = chain.with_state(|s| executable_txs(s, &picked));
        if txs.is_empty() {
            return Ok(Produced::Idle);
        }
        let input = next_input(&chain.head(), now_ms, txs);
        chain.commit(input).map(Produced::Committed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_on_full_batch_or_timer_with_work() {
        let s = DevSequencer::new(Duration::from_millis(500), 10);
        let p = |r, ms| {
            <DevSequencer as Sequencer<crate::LedgerChain>>::should_seal(
                &s,
                r,
                Duration::from_millis(ms),
            )
        };
        assert!(p(10, 0));
        assert!(p(11, 0));
        assert!(!p(9, 100));
        assert!(p(1, 500));
        assert!(!p(0, 10_000));
    }
}
