//! `verity bench ledger` and `verity bench node`: throughput figures, printed with the floor and
//! goal of issue 2 as ratios. Timing lives here (the ledger never reads a clock).
//!
//! - `ledger`: transfers applied per second on one core without signature checks, state root
//!   computed per block (the ledger's own `bench_transfers` workload), plus secp256k1 signature
//!   verifications per second on one core.
//! - `node`: starts a node in-process on 127.0.0.1:0 with a temporary data dir, pre-signs N
//!   transfers from many dev accounts, submits them over HTTP from several threads, and waits
//!   until every one is durably committed (each sender's durable nonce reached its last + 1).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::json;
use verity_api::ApiClient;
use verity_ledger::genesis::dev_accounts;
use verity_ledger::{Genesis, Payload, SignedTransaction, Transaction};
use verity_primitives::TokenId;

use super::Ctx;

/// Subcommands of `verity bench`.
#[derive(Subcommand, Debug)]
pub enum BenchCmd {
    /// Transfers applied per second (no signature checks, state root per block) and signature
    /// verifications per second, on one core.
    Ledger {
        /// Transfers to apply.
        #[arg(long, default_value_t = 200_000)]
        txs: u64,
        /// Accounts the transfers move between.
        #[arg(long, default_value_t = 10_000)]
        accounts: u64,
        /// Transfers per block (one state root each).
        #[arg(long, default_value_t = 10_000)]
        block_size: u64,
        /// Signatures to verify.
        #[arg(long, default_value_t = 5_000)]
        sigs: u64,
    },
    /// HTTP-submitted transfers durably committed per second by an in-process node.
    Node {
        /// Transfers to submit.
        #[arg(long, default_value_t = 50_000)]
        txs: usize,
        /// Sending accounts (dev accounts of the bench genesis).
        #[arg(long, default_value_t = 200)]
        accounts: u32,
        /// Transactions per `POST /v1/txs` request (1 = one `POST /v1/tx` each).
        #[arg(long, default_value_t = 500)]
        batch: usize,
        /// Client threads submitting at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Node block time in ms.
        #[arg(long, default_value_t = 100)]
        block_time_ms: u64,
    },
    /// Finalized tx/s and time to finality of a local BFT testnet, all validators up and then
    /// one killed (issue 7).
    Testnet {
        /// Validators (at least 2: the last one is killed for the second phase).
        #[arg(long, default_value_t = 4)]
        validators: u32,
        /// Transfers per phase.
        #[arg(long, default_value_t = 20_000)]
        txs: usize,
        /// Sending accounts (dev accounts after the validators').
        #[arg(long, default_value_t = 200)]
        accounts: u32,
        /// Transfers per `POST /v1/txs` request.
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
}

/// Run `verity bench …`.
pub fn run(ctx: &Ctx, cmd: BenchCmd) -> anyhow::Result<()> {
    match cmd {
        BenchCmd::Ledger {
            txs,
            accounts,
            block_size,
            sigs,
        } => bench_ledger(ctx, txs, accounts, block_size, sigs),
        BenchCmd::Node {
            txs,
            accounts,
            batch,
            concurrency,
            block_time_ms,
        } => bench_node(ctx, txs, accounts, batch, concurrency, block_time_ms),
        BenchCmd::Testnet {
            validators,
            txs,
            accounts,
            batch,
        } => super::bench_testnet::run(
            ctx,
            super::bench_testnet::TestnetBench {
                validators,
                txs,
                accounts,
                batch,
            },
        ),
    }
}

fn per_sec(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn bench_ledger(
    ctx: &Ctx,
    txs: u64,
    accounts: u64,
    block_size: u64,
    sigs: u64,
) -> anyhow::Result<()> {
    if txs == 0 || block_size == 0 || accounts < 2 {
        bail!("need --txs > 0, --block-size > 0 and --accounts >= 2");
    }
    let origin = Instant::now();
    let mut clock = || origin.elapsed().as_nanos();
    let report = verity_ledger::bench::bench_transfers(txs, accounts, block_size, &mut clock)
        .context("the ledger bench workload failed")?;
    let apply_rate = report.tx_per_sec() as f64;

    // Signature verification on one core: pre-sign, then time only verify_signature.
    let keys = dev_accounts(16);
    let signed: Vec<SignedTransaction> = (0..sigs.max(1))
        .map(|i| {
            let (k, a) = &keys[(i % 16) as usize];
            SignedTransaction::sign(
                Transaction {
                    chain_id: 1,
                    sender: *a,
                    nonce: i,
                    payload: Payload::Transfer {
                        to: keys[((i + 1) % 16) as usize].1,
                        token: TokenId(0),
                        amount: 1,
                    },
                },
                k,
            )
        })
        .collect();
    let t = Instant::now();
    for s in &signed {
        s.verify_signature()
            .context("a freshly signed transaction failed to verify")?;
    }
    let sig_rate = per_sec(signed.len() as u64, t.elapsed());

    let value = json!({
        "transfers": report.txs,
        "accounts": report.accounts,
        "block_size": report.block_size,
        "blocks": report.blocks,
        "elapsed_ms": report.elapsed_ns / 1_000_000,
        "transfers_per_sec": report.tx_per_sec(),
        "ratio_to_floor_200k": apply_rate / 200_000.0,
        "ratio_to_goal_500k": apply_rate / 500_000.0,
        "ratio_to_evm_erc20_250k_reference": apply_rate / 250_000.0,
        "sig_verifications": signed.len(),
        "sig_verifications_per_sec": sig_rate.round() as u64,
        "final_root": report.final_root,
    });
    ctx.emit(value, || {
        format!(
            "ledger: {} transfers in {} blocks of {} among {} accounts, state root per block\n  \
             {:.0} transfers/s on one core (floor 200,000: x{:.2}; goal 500,000: x{:.2}; \
             EVM ERC-20 reference 250,000: x{:.2})\n  \
             {:.0} secp256k1 signature verifications/s on one core ({} verified)",
            report.txs,
            report.blocks,
            report.block_size,
            report.accounts,
            apply_rate,
            apply_rate / 200_000.0,
            apply_rate / 500_000.0,
            apply_rate / 250_000.0,
            sig_rate,
            signed.len()
        )
    })
}

fn bench_node(
    ctx: &Ctx,
    n: usize,
    accounts: u32,
    batch: usize,
    concurrency: usize,
    block_time_ms: u64,
) -> anyhow::Result<()> {
    if n == 0 || accounts < 2 || batch == 0 || concurrency == 0 {
        bail!("need --txs > 0, --accounts >= 2, --batch > 0 and --concurrency > 0");
    }
    let dir = tempfile::tempdir().context("cannot create a temporary data dir")?;
    let keys = dev_accounts(accounts);
    let addrs: Vec<_> = keys.iter().map(|(_, a)| *a).collect();
    let genesis = Genesis::dev(&addrs);
    let chain_id = genesis.chain_id;
    let mut config = verity_node::NodeConfig::new(
        dir.path(),
        Some(genesis),
        "127.0.0.1:0".parse().expect("a literal socket address"),
    );
    config.block_time = Duration::from_millis(block_time_ms.max(1));
    let node = verity_node::start(config).context("cannot start the bench node")?;
    let url = node.url();

    // Pre-sign: transfer i is sent by account i % A with nonce i / A.
    if !ctx.json {
        eprintln!("signing {n} transfers from {accounts} accounts…");
    }
    let a = accounts as usize;
    let sign_one = |i: usize| {
        let (k, from) = &keys[i % a];
        SignedTransaction::sign(
            Transaction {
                chain_id,
                sender: *from,
                nonce: (i / a) as u64,
                payload: Payload::Transfer {
                    to: addrs[(i + 1) % a],
                    token: TokenId(0),
                    amount: 1,
                },
            },
            k,
        )
    };
    let signed: Vec<SignedTransaction> = std::thread::scope(|s| {
        let half = n / 2;
        let h = s.spawn(move || (0..half).map(sign_one).collect::<Vec<_>>());
        let mut second: Vec<_> = (half..n).map(sign_one).collect();
        let mut first = h.join().expect("the signing thread does not panic");
        first.append(&mut second);
        first
    });
    let chunks: Vec<&[SignedTransaction]> = signed.chunks(batch).collect();
    let next = Arc::new(AtomicUsize::new(0));
    let client = ApiClient::new(&url);
    if !ctx.json {
        eprintln!("submitting over HTTP to {url} with {concurrency} threads, {batch} per request…");
    }
    let start = Instant::now();
    let rejected: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..concurrency)
            .map(|_| {
                let next = next.clone();
                let client = client.clone();
                let chunks = &chunks;
                s.spawn(move || -> anyhow::Result<usize> {
                    let mut rejected = 0;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(i) else {
                            return Ok(rejected);
                        };
                        if chunk.len() == 1 {
                            if client.submit_tx(&chunk[0]).is_err() {
                                rejected += 1;
                            }
                        } else {
                            let r = client.submit_txs(chunk)?;
                            rejected += chunk.len() - r.accepted;
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a submit thread does not panic"))
            .sum::<anyhow::Result<usize>>()
    })?;
    let submitted_in = start.elapsed();
    if rejected > 0 {
        bail!("the node rejected {rejected} of {n} bench transactions");
    }
    // Durable: every sender's committed nonce reached its expected final value.
    let expected: Vec<u64> = (0..a)
        .map(|j| (n / a + usize::from(j < n % a)) as u64)
        .collect();
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut pending: Vec<usize> = (0..a).filter(|j| expected[*j] > 0).collect();
    while !pending.is_empty() {
        if Instant::now() > deadline {
            bail!("{} senders still not committed after 600 s", pending.len());
        }
        let status = client.status()?;
        if status.mempool_size > 0 {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let mut still = Vec::new();
        for j in pending {
            if client.account(&addrs[j])?.nonce < expected[j] {
                still.push(j);
            }
        }
        pending = still;
        if !pending.is_empty() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let elapsed = start.elapsed();
    let status = client.status()?;
    node.shutdown()
        .context("the bench node stopped with an error")?;
    let rate = per_sec(n as u64, elapsed);
    let value = json!({
        "transfers": n,
        "accounts": accounts,
        "batch": batch,
        "concurrency": concurrency,
        "block_time_ms": block_time_ms,
        "submit_ms": submitted_in.as_millis() as u64,
        "elapsed_ms": elapsed.as_millis() as u64,
        "committed_per_sec": rate.round() as u64,
        "ratio_to_floor_5k": rate / 5_000.0,
        "ratio_to_goal_10k": rate / 10_000.0,
        "height": status.height,
        "state_root": status.state_root,
    });
    ctx.emit(value, || {
        format!(
            "node: {n} transfers submitted over HTTP in {:.2} s, all durably committed after {:.2} s \
             ({} blocks)\n  {:.0} committed tx/s (floor 5,000: x{:.2}; goal 10,000: x{:.2})",
            submitted_in.as_secs_f64(),
            elapsed.as_secs_f64(),
            status.height,
            rate,
            rate / 5_000.0,
            rate / 10_000.0
        )
    })
}
