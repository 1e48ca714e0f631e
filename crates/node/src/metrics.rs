//! Prometheus metrics of the node (prometheus-client): chain height, blocks and transactions
//! committed, transactions admitted and refused, mempool size, and a histogram of how long a
//! block takes from sealing to durable commit.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The node's metrics and their registry.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Height of the last durable block.
    pub height: Gauge,
    /// Blocks committed since start.
    pub blocks: Counter,
    /// Transactions committed since start.
    pub txs_committed: Counter,
    /// Transactions admitted to the mempool since start.
    pub txs_admitted: Counter,
    /// Transactions refused at admission since start.
    pub txs_rejected: Counter,
    /// Transactions waiting in the mempool.
    pub mempool_size: Gauge,
    /// Seconds from sealing a block to its durable commit (execution + state root + fsync).
    pub block_commit_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Fresh metrics, registered under the `verity` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("verity");
        let height = Gauge::default();
        let blocks = Counter::default();
        let txs_committed = Counter::default();
        let txs_admitted = Counter::default();
        let txs_rejected = Counter::default();
        let mempool_size = Gauge::default();
        // 0.5 ms .. ~8 s.
        let block_commit_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 15));
        registry.register("height", "Height of the last durable block", height.clone());
        registry.register(
            "blocks_committed",
            "Blocks committed since start",
            blocks.clone(),
        );
        registry.register(
            "txs_committed",
            "Transactions committed since start",
            txs_committed.clone(),
        );
        registry.register(
            "txs_admitted",
            "Transactions admitted to the mempool since start",
            txs_admitted.clone(),
        );
        registry.register(
            "txs_rejected",
            "Transactions refused at admission since start",
            txs_rejected.clone(),
        );
        registry.register(
            "mempool_size",
            "Transactions waiting in the mempool",
            mempool_size.clone(),
        );
        registry.register(
            "block_commit_seconds",
            "Seconds from sealing a block to its durable commit",
            block_commit_seconds.clone(),
        );
        Self {
            registry,
            height,
            blocks,
            txs_committed,
            txs_admitted,
            txs_rejected,
            mempool_size,
            block_commit_seconds,
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_metric() {
        let m = Metrics::new();
        m.height.set(7);
        m.txs_committed.inc_by(3);
        m.block_commit_seconds.observe(0.01);
        let text = m.render();
        for name in [
            "verity_height 7",
            "verity_txs_committed_total 3",
            "verity_blocks_committed_total",
            "verity_mempool_size",
            "verity_block_commit_seconds_bucket",
            "verity_txs_rejected_total",
        ] {
            assert!(text.contains(name), "{name} missing in\n{text}");
        }
    }
}
