//! Harness shared by the ledger's module benches (`vault`, `gov`): unsigned bench transactions
//! with correct nonces in blocks of [`BLOCK`], applying and timing them through `apply_block`, and
//! the same-run plain-transfer baseline (`verity_ledger::bench`) every printed ratio divides by.

use std::time::Instant;
use verity_ledger::bench::{bench_account, bench_transfers};
use verity_ledger::block::BlockInput;
use verity_ledger::tx::{Payload, Signature65, SignedTransaction, Transaction};
use verity_ledger::{Hash, State, Timestamp, apply_block};

/// Accounts of the bench genesis.
pub const ACCOUNTS: u64 = 256;
/// Transactions per block.
pub const BLOCK: u64 = 1_000;

/// Builds blocks of unsigned transactions with correct nonces.
pub struct Chain {
    nonces: Vec<u64>,
    height: u64,
    /// Block time of the last block built, ms (benches advance it to cross weeks).
    pub time: u64,
    chain_id: u64,
}

impl Chain {
    /// A builder continuing from `s`.
    pub fn new(s: &State) -> Chain {
        Chain {
            nonces: vec![0; ACCOUNTS as usize],
            height: s.height(),
            time: s.time().0,
            chain_id: s.chain_id(),
        }
    }

    /// `payloads` (sender index, payload) in blocks of `BLOCK`, one second apart.
    pub fn blocks(&mut self, payloads: Vec<(usize, Payload)>) -> Vec<BlockInput> {
        let mut out = Vec::new();
        for chunk in payloads.chunks(BLOCK as usize) {
            self.height += 1;
            self.time += 1000;
            let txs = chunk
                .iter()
                .map(|(i, p)| {
                    let tx = Transaction {
                        chain_id: self.chain_id,
                        sender: bench_account(*i as u64),
                        nonce: self.nonces[*i],
                        payload: p.clone(),
                    };
                    self.nonces[*i] += 1;
                    SignedTransaction {
                        tx,
                        signature: Signature65([0u8; 65]),
                    }
                })
                .collect();
            out.push(BlockInput {
                height: self.height,
                timestamp: Timestamp(self.time),
                parent_hash: Hash::ZERO,
                txs,
            });
        }
        out
    }
}

/// Apply `blocks`, asserting every transaction succeeds (set-up, untimed).
pub fn apply_all(s: &mut State, blocks: &[BlockInput]) {
    for b in blocks {
        let out = apply_block(s, b).expect("bench block applies");
        assert!(
            out.receipts.iter().all(|r| r.is_success()),
            "every bench tx succeeds: {:?}",
            out.receipts.iter().find(|r| !r.is_success())
        );
    }
}

/// Apply `blocks` to a copy of `base`: (`n` per second, the resulting state).
pub fn timed(base: &State, blocks: &[BlockInput], n: u64) -> (f64, State) {
    let mut s = base.clone();
    let t0 = Instant::now();
    for b in blocks {
        apply_block(&mut s, b).expect("bench block applies");
    }
    (n as f64 / t0.elapsed().as_secs_f64(), s)
}

/// The same-run baseline: plain transfers per second over `n` transfers.
pub fn transfers_per_sec(n: u64) -> f64 {
    let start = Instant::now();
    let mut clock = || start.elapsed().as_nanos();
    let r = bench_transfers(n, ACCOUNTS, BLOCK, &mut clock).expect("transfer bench");
    r.txs as f64 * 1e9 / r.elapsed_ns as f64
}
