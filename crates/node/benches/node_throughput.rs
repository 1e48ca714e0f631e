//! Node throughput: transfers durably committed per second.
//!
//! Baseline (same run): the core alone — admission with signature checks, sealing, execution,
//! state root and fsync'd commits, no HTTP. Then a real node on a loopback port driven through
//! the typed client: (a) one `POST /v1/tx` per transfer from several client threads, (b) the
//! batch route `POST /v1/txs`. Each figure counts from the first submission until every
//! transaction's receipt is durable, and is printed with its ratio to the baseline.
//!
//! `cargo bench -p verity-node --bench node_throughput`; size with VERITY_BENCH_TXS (default
//! 20000) and VERITY_BENCH_SENDERS (default 100).

use std::time::{Duration, Instant};

use verity_api::{ApiClient, TxState};
use verity_ledger::genesis::dev_accounts;
use verity_ledger::{Genesis, Payload, SecretKey, SignedTransaction, Transaction};
use verity_node::{CoreConfig, NodeConfig, NodeCore};
use verity_primitives::{Address, Timestamp, TokenId};
use verity_store::Store;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Per sender, its transfers in nonce order.
fn presign(
    genesis: &Genesis,
    accounts: &[(SecretKey, Address)],
    total: usize,
) -> Vec<Vec<SignedTransaction>> {
    let per = total.div_ceil(accounts.len());
    let token = TokenId(0);
    accounts
        .iter()
        .enumerate()
        .map(|(i, (key, addr))| {
            let to = accounts[(i + 1) % accounts.len()].1;
            (0..per as u64)
                .map(|nonce| {
                    let tx = Transaction {
                        chain_id: genesis.chain_id,
                        sender: *addr,
                        nonce,
                        payload: Payload::Transfer {
                            to,
                            token,
                            amount: 1,
                        },
                    };
                    SignedTransaction::sign(tx, key)
                })
                .collect()
        })
        .collect()
}

fn core_baseline(genesis: &Genesis, txs: &[Vec<SignedTransaction>]) -> f64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path().join("chain.redb")).expect("store");
    let mut core = NodeCore::open(store, genesis, CoreConfig::from_genesis(genesis)).expect("core");
    let n: usize = txs.iter().map(Vec::len).sum();
    let started = Instant::now();
    let mut ts = genesis.genesis_time.0;
    let mut admit = Duration::ZERO;
    let mut seal = Duration::ZERO;
    for round in 0..txs[0].len() {
        let t = Instant::now();
        for sender in txs {
            if let Some(tx) = sender.get(round) {
                core.submit(tx.clone()).expect("admitted");
            }
        }
        admit += t.elapsed();
        if core.ready_txs() >= core.config().max_block_txs.min(5000) {
            ts += 1;
            let t = Instant::now();
            core.seal_block(Timestamp(ts)).expect("seal");
            seal += t.elapsed();
        }
    }
    loop {
        ts += 1;
        let t = Instant::now();
        let sealed = core.seal_block(Timestamp(ts)).expect("seal");
        seal += t.elapsed();
        if sealed.is_none() {
            break;
        }
    }
    assert_eq!(core.mempool_len(), 0);
    let rate = n as f64 / started.elapsed().as_secs_f64();
    println!(
        "  (core breakdown: admission {:.1} us/tx, sealing {:.1} us/tx)",
        admit.as_secs_f64() * 1e6 / n as f64,
        seal.as_secs_f64() * 1e6 / n as f64
    );
    rate
}

fn start_node(genesis: &Genesis) -> (tempfile::TempDir, verity_node::RunningNode) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = NodeConfig::new(
        dir.path(),
        Some(genesis.clone()),
        "127.0.0.1:0".parse().expect("addr"),
    );
    let node = verity_node::start(config).expect("node");
    (dir, node)
}

fn wait_all(client: &ApiClient, txs: &[Vec<SignedTransaction>]) {
    for sender in txs {
        let last = sender.last().expect("non-empty").hash();
        loop {
            let r = client
                .tx(&last, Some(Duration::from_secs(10)))
                .expect("lookup");
            if r.status == TxState::Committed {
                break;
            }
        }
    }
}

fn http_single(genesis: &Genesis, txs: &[Vec<SignedTransaction>], threads: usize) -> f64 {
    let (_dir, node) = start_node(genesis);
    let client = ApiClient::new(&node.url());
    let n: usize = txs.iter().map(Vec::len).sum();
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let client = client.clone();
            s.spawn(move || {
                for sender in txs.iter().skip(t).step_by(threads) {
                    for tx in sender {
                        client.submit_tx(tx).expect("admitted");
                    }
                }
            });
        }
    });
    wait_all(&client, txs);
    let rate = n as f64 / started.elapsed().as_secs_f64();
    node.shutdown().expect("clean shutdown");
    rate
}

fn http_batch(genesis: &Genesis, txs: &[Vec<SignedTransaction>], batch: usize) -> f64 {
    let (_dir, node) = start_node(genesis);
    let client = ApiClient::new(&node.url());
    let n: usize = txs.iter().map(Vec::len).sum();
    // Interleave senders so every batch is executable in nonce order.
    let mut order = Vec::with_capacity(n);
    for round in 0..txs[0].len() {
        for sender in txs {
            if let Some(tx) = sender.get(round) {
                order.push(tx.clone());
            }
        }
    }
    let started = Instant::now();
    let chunks: Vec<&[SignedTransaction]> = order.chunks(batch).collect();
    std::thread::scope(|s| {
        for t in 0..2 {
            let client = client.clone();
            let chunks = &chunks;
            // The two workers may deliver chunks out of order; the mempool holds a sender's
            // future nonces until the gap fills, so every transaction is still admitted.
            s.spawn(move || {
                for chunk in chunks.iter().skip(t).step_by(2) {
                    let r = client.submit_txs(chunk).expect("batch");
                    assert_eq!(
                        r.accepted,
                        chunk.len(),
                        "{:?}",
                        r.results.iter().find(|x| x.error.is_some())
                    );
                }
            });
        }
    });
    wait_all(&client, txs);
    let rate = n as f64 / started.elapsed().as_secs_f64();
    node.shutdown().expect("clean shutdown");
    rate
}

fn main() {
    let total = env_usize("VERITY_BENCH_TXS", 20_000);
    let senders = env_usize("VERITY_BENCH_SENDERS", 100).max(1);
    let accounts = dev_accounts(senders as u32);
    let addrs: Vec<Address> = accounts.iter().map(|(_, a)| *a).collect();
    let genesis = Genesis::dev(&addrs);
    let txs = presign(&genesis, &accounts, total);
    let n: usize = txs.iter().map(Vec::len).sum();
    println!(
        "node throughput: {n} transfers from {senders} senders (durable commit = fsync per block)"
    );
    let base = core_baseline(&genesis, &txs);
    println!(
        "  baseline  core only (admission+sig, execute, root, fsync): {base:>10.0} tx/s  (1.00x)"
    );
    let single = http_single(&genesis, &txs, 8);
    println!(
        "  HTTP      POST /v1/tx, 8 client threads:                  {single:>10.0} tx/s  ({:.2}x baseline)",
        single / base
    );
    let batch = http_batch(&genesis, &txs, 500);
    println!(
        "  HTTP      POST /v1/txs, batches of 500:                   {batch:>10.0} tx/s  ({:.2}x baseline)",
        batch / base
    );
}
