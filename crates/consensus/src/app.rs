//! The marshal [`Application`]: how a leader builds a [`ChainBlock`] and how every validator
//! checks one before voting. Marshal's `Inline` wrapper adds the parent/height checks and the
//! epoch-boundary re-proposal; this file adds Verity's rules.
//!
//! Propose: the proposer's node picks mempool transactions ([`Chain::select_txs`]) continuing
//! each sender's nonces after the not-yet-applied ancestors; timestamp = max(parent, runtime
//! clock); the block commits to the post-state root of the newest finalized ancestor this node
//! has applied (never older than the parent's commitment). An idle leader waits up to
//! `empty_block_delay` for transactions before proposing an empty block.
//!
//! Verify: timestamp not before the parent's and, when later than the parent's, not more than
//! `max_clock_drift` ahead of the local clock (a block from the future waits until it is not, so the verdict is stable);
//! at most `max_block_txs` transactions, each with this chain id and a valid signature; the
//! committed root is at a height after the parent's commitment (or equal to it with the same
//! root) and below the block, and equals the root this node computed at that height (waiting
//! until this node has applied it: it is finalized, so it arrives).

use std::time::{Duration, UNIX_EPOCH};

use commonware_consensus::{
    Application, Heightable as _, marshal::ancestry::Ancestry, simplex::types::Context,
};
use commonware_cryptography::{Digested, Digestible as _, ed25519, sha256::Digest};
use commonware_parallel::Sequential;
use commonware_runtime::Clock;
use futures::StreamExt as _;
use tracing::debug;

use crate::block::{BlockLimits, ChainBlock};
use crate::chain::{Chain, InFlight};

/// The signing scheme of Verity's simplex (ed25519, attributable: votes are evidence).
pub type Scheme = commonware_consensus::simplex::scheme::ed25519::Scheme;

/// Tunables of proposing and verifying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppConfig {
    /// Block bounds (the decoder enforces the same).
    pub limits: BlockLimits,
    /// How long an idle leader waits for transactions before proposing an empty block.
    pub empty_block_delay: Duration,
    /// How far ahead of the local clock a block timestamp may be.
    pub max_clock_drift: Duration,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            limits: BlockLimits::default(),
            empty_block_delay: Duration::from_millis(500),
            max_clock_drift: Duration::from_secs(2),
        }
    }
}

/// Poll interval while waiting for transactions or for this node to apply a height.
const POLL: Duration = Duration::from_millis(10);

/// The application marshal drives.
#[derive(Clone, Debug)]
pub struct App<C: Chain> {
    chain: C,
    config: AppConfig,
}

impl<C: Chain> App<C> {
    /// An application over `chain`.
    pub fn new(chain: C, config: AppConfig) -> Self {
        Self { chain, config }
    }

    fn max_txs(&self) -> usize {
        let param = self
            .chain
            .with_state(|s| s.params().max_block_txs as usize)
            .max(1);
        param.min(self.config.limits.max_txs)
    }

    /// Wait until this node has applied `height`, then return its state root.
    async fn root_at<E: Clock>(&self, env: &E, height: u64) -> Option<verity_primitives::Hash> {
        loop {
            if self.chain.head().height >= height {
                return self.chain.state_root_at(height);
            }
            env.sleep(POLL).await;
        }
    }
}

/// Milliseconds since the Unix epoch on the runtime's clock.
pub fn now_ms<E: Clock>(env: &E) -> u64 {
    env.current()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl<E, C> Application<E> for App<C>
where
    E: Clock + Send + Sync + 'static,
    C: Chain,
{
    type SigningScheme = Scheme;
    type Context = Context<Digest, ed25519::PublicKey>;
    type Block = ChainBlock;
    type Input = ();

    async fn propose(
        &mut self,
        (env, _context): (E, Self::Context),
        mut ancestry: impl Ancestry<ChainBlock>,
        _input: (),
    ) -> Option<Digested<ChainBlock>> {
        let parent = ancestry.next().await?;
        let parent_block = parent.inner().clone();
        // Transactions in ancestors this node has not applied yet.
        let mut in_flight = InFlight::default();
        let applied = self.chain.head().height;
        let mut cursor = Some(parent.clone());
        while let Some(b) = cursor {
            if b.height().get() <= applied {
                break;
            }
            in_flight.add(b.inner().txs());
            cursor = ancestry.next().await;
        }
        let max_txs = self.max_txs();
        let max_bytes = self
            .config
            .limits
            .max_bytes
            .saturating_sub(ChainBlock::EMPTY_SIZE);
        let started = now_ms(&env);
        let txs = loop {
            let txs = self.chain.select_txs(max_txs, max_bytes, &in_flight);
            let waited = now_ms(&env).saturating_sub(started);
            if !txs.is_empty() || waited >= self.config.empty_block_delay.as_millis() as u64 {
                break txs;
            }
            env.sleep(POLL).await;
        };
        let head = self.chain.head();
        let mut root_height = parent_block.root_height();
        let mut root = parent_block.root();
        let candidate = head.height.min(parent_block.number());
        if candidate > root_height
            && let Some(r) = self.chain.state_root_at(candidate)
        {
            root_height = candidate;
            root = r;
        }
        let timestamp = now_ms(&env).max(parent_block.timestamp());
        let block = ChainBlock::new(
            parent.digest(),
            parent_block.number() + 1,
            timestamp,
            root_height,
            root,
            txs,
        );
        debug!(
            height = block.number(),
            txs = block.txs().len(),
            "proposing"
        );
        Some(Digested::compute(block, &Sequential).await)
    }

    async fn verify(
        &mut self,
        (env, _context): (E, Self::Context),
        mut ancestry: impl Ancestry<ChainBlock>,
    ) -> bool {
        let (Some(block), Some(parent)) = (ancestry.next().await, ancestry.next().await) else {
            return false;
        };
        let (b, p) = (block.inner(), parent.inner());
        if b.timestamp() < p.timestamp() {
            debug!(height = b.number(), "block time before its parent's");
            return false;
        }
        let drift = self.config.max_clock_drift.as_millis() as u64;
        // Never before the parent; ahead of the parent only up to the local clock + drift.
        while b.timestamp() > p.timestamp() && b.timestamp() > now_ms(&env).saturating_add(drift) {
            env.sleep(POLL).await;
        }
        if b.txs().len() > self.max_txs() {
            return false;
        }
        let chain_id = self.chain.chain_id();
        for tx in b.txs() {
            if tx.tx.chain_id != chain_id || tx.verify_signature().is_err() {
                debug!(height = b.number(), "bad transaction");
                return false;
            }
        }
        if b.root_height() < p.root_height()
            || b.root_height() >= b.number()
            || (b.root_height() == p.root_height() && b.root() != p.root())
        {
            debug!(height = b.number(), "bad state-root commitment");
            return false;
        }
        match self.root_at(&env, b.root_height()).await {
            Some(root) => root == b.root(),
            None => false,
        }
    }
}
