//! `verity bench testnet` (issue 7): finalized transactions per second and time to finality of a
//! local BFT testnet, with every validator up and then with one killed (SIGKILL).
//!
//! It starts `verity testnet` (this executable) in a temporary folder on free loopback ports with
//! `--accounts` funded senders, pre-signs transfers, and for each phase:
//! - **throughput**: submits them in `POST /v1/txs` batches, each sender pinned to one live node
//!   (its nonces stay in order), and times first submit → the last transfer of every sender
//!   committed on every live node (a committed nonce n implies 0..n are committed);
//! - **finality**: meanwhile a separate sender submits one transfer every 100 ms to a live node
//!   and long-polls `GET /v1/tx/{hash}?wait_ms=…` on it; submit → receipt, p50 and p95.
//!
//! The goal of issue 7 is ≥ 1,000 tx/s and ≤ 1 s; the report prints the ratios to both.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use verity_api::{ApiClient, TxState};
use verity_ledger::genesis::dev_accounts;
use verity_ledger::{Address, Payload, SecretKey, SignedTransaction, TokenId, Transaction};

use super::Ctx;

/// What `verity bench testnet` runs.
#[derive(Debug, Clone)]
pub struct TestnetBench {
    /// Validators.
    pub validators: u32,
    /// Transfers per phase.
    pub txs: usize,
    /// Sending accounts.
    pub accounts: u32,
    /// Transfers per `POST /v1/txs`.
    pub batch: usize,
}

/// The testnet child; SIGINT and reaped on drop.
struct Net {
    child: Child,
    urls: Vec<String>,
    pids: Vec<u32>,
}

impl Drop for Net {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in &self.pids {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn free_base_port(n: u32) -> anyhow::Result<u16> {
    for attempt in 0..500u32 {
        let seed = std::process::id()
            .wrapping_mul(7919)
            .wrapping_add(attempt.wrapping_mul(104_729));
        let p = 20_000 + (seed % 40_000) as u16;
        if (p..p + 2 * n as u16).all(|q| TcpListener::bind(("127.0.0.1", q)).is_ok()) {
            return Ok(p);
        }
    }
    bail!("no {} consecutive free ports on 127.0.0.1", 2 * n)
}

fn start(cfg: &TestnetBench, dir: &std::path::Path) -> anyhow::Result<Net> {
    let exe = std::env::current_exe().context("cannot find the verity executable")?;
    let mut child = Command::new(exe)
        .args(["--json", "testnet", "--validators"])
        .arg(cfg.validators.to_string())
        .arg("--accounts")
        .arg((cfg.accounts + cfg.validators + 1).to_string())
        .arg("--base-port")
        .arg(free_base_port(cfg.validators)?.to_string())
        .arg("--data-dir")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start verity testnet")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .context("reading the testnet's start line")?;
    // Keep reading its later lines (node exits) so it never writes to a closed pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    let v: Value = serde_json::from_str(&line)
        .with_context(|| format!("the testnet did not start: {line:?}"))?;
    let nodes = v["nodes"]
        .as_array()
        .context("no nodes in the start line")?;
    let urls = nodes
        .iter()
        .filter_map(|n| n["http"].as_str().map(String::from))
        .collect();
    let pids = nodes
        .iter()
        .filter_map(|n| n["pid"].as_u64().map(|p| p as u32))
        .collect();
    Ok(Net { child, urls, pids })
}

fn transfer(key: &SecretKey, from: Address, to: Address, nonce: u64) -> SignedTransaction {
    SignedTransaction::sign(
        Transaction {
            chain_id: 1337,
            sender: from,
            nonce,
            payload: Payload::Transfer {
                to,
                token: TokenId(0),
                amount: 1,
            },
        },
        key,
    )
}

/// Submit one self-transfer at a time through `client` and wait for its receipt, `count` times
/// (or until `stop`): submit → receipt durations.
fn probe_finality(
    client: &ApiClient,
    (key, from): (SecretKey, Address),
    count: usize,
    stop: &AtomicBool,
) -> Vec<Duration> {
    let mut nonce = client.account(&from).map(|a| a.nonce).unwrap_or(0);
    let mut out = Vec::new();
    while out.len() < count && !stop.load(Ordering::Relaxed) {
        let tx = transfer(&key, from, from, nonce);
        let t = Instant::now();
        let Ok(hash) = client.submit_tx(&tx) else {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        };
        nonce += 1;
        if let Ok(r) = client.tx(&hash, Some(Duration::from_secs(20)))
            && r.status == TxState::Committed
        {
            out.push(t.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    out
}

/// p50 and p95 in ms.
fn percentiles(mut lat: Vec<Duration>) -> (Option<f64>, Option<f64>) {
    lat.sort();
    let pct = |p: usize| -> Option<f64> {
        (!lat.is_empty()).then(|| (lat[(lat.len() - 1) * p / 100].as_secs_f64() * 1000.0).round())
    };
    (pct(50), pct(95))
}

/// Idle finality samples per phase.
const IDLE_SAMPLES: usize = 20;

/// One phase's figures.
fn phase(
    cfg: &TestnetBench,
    urls: &[String],
    senders: &[(SecretKey, Address)],
    probe: (SecretKey, Address),
    nonce_base: u64,
) -> anyhow::Result<Value> {
    let per_sender = cfg.txs.div_ceil(senders.len()).max(1);
    let clients: Vec<ApiClient> = urls.iter().map(|u| ApiClient::new(u)).collect();
    // Pre-sign: sender j goes through node j % live, nonces in order.
    let mut by_node: Vec<Vec<SignedTransaction>> = vec![Vec::new(); urls.len()];
    let mut last: Vec<(usize, verity_primitives::Hash)> = Vec::new();
    for (j, (k, a)) in senders.iter().enumerate() {
        let to = senders[(j + 1) % senders.len()].1;
        let node = j % urls.len();
        for n in 0..per_sender as u64 {
            let tx = transfer(k, *a, to, nonce_base + n);
            if n + 1 == per_sender as u64 {
                last.push((node, tx.hash()));
            }
            by_node[node].push(tx);
        }
    }
    let total: usize = by_node.iter().map(Vec::len).sum();

    // Finality probe thread.
    let stop = Arc::new(AtomicBool::new(false));
    let probe_url = urls[0].clone();
    let probe_stop = stop.clone();
    let prober = std::thread::spawn(move || -> Vec<Duration> {
        probe_finality(&ApiClient::new(&probe_url), probe, usize::MAX, &probe_stop)
    });

    let started = Instant::now();
    std::thread::scope(|s| -> anyhow::Result<()> {
        let mut handles = Vec::new();
        for (node, txs) in by_node.iter().enumerate() {
            let client = &clients[node];
            handles.push(s.spawn(move || -> anyhow::Result<()> {
                for chunk in txs.chunks(cfg.batch.max(1)) {
                    let r = client.submit_txs(chunk).context("submitting a batch")?;
                    if r.accepted != chunk.len() {
                        bail!(
                            "node {node} admitted {} of {} transfers: {:?}",
                            r.accepted,
                            chunk.len(),
                            r.results.iter().find(|x| x.error.is_some())
                        );
                    }
                }
                Ok(())
            }));
        }
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a submit thread panicked"))??;
        }
        Ok(())
    })?;
    let submitted = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(600);
    for (_, hash) in &last {
        for c in &clients {
            loop {
                match c.tx(hash, Some(Duration::from_secs(10))) {
                    Ok(r) if r.status == TxState::Committed => break,
                    _ if Instant::now() > deadline => {
                        stop.store(true, Ordering::Relaxed);
                        bail!("transfers were not all committed within 10 minutes");
                    }
                    _ => {}
                }
            }
        }
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let loaded = prober
        .join()
        .map_err(|_| anyhow::anyhow!("the finality probe panicked"))?;
    let loaded_n = loaded.len();
    let (load_p50, load_p95) = percentiles(loaded);
    let idle = probe_finality(&clients[0], probe, IDLE_SAMPLES, &AtomicBool::new(false));
    let idle_n = idle.len();
    let (idle_p50, idle_p95) = percentiles(idle);
    let tps = total as f64 / elapsed.as_secs_f64().max(1e-9);
    Ok(json!({
        "live_validators": urls.len(),
        "transfers": total,
        "submit_seconds": submitted.as_secs_f64(),
        "finalized_seconds": elapsed.as_secs_f64(),
        "finalized_tx_per_sec": tps.round(),
        "ratio_to_goal_1000_tx_per_sec": tps / 1000.0,
        "idle_finality_samples": idle_n,
        "idle_finality_p50_ms": idle_p50,
        "idle_finality_p95_ms": idle_p95,
        "ratio_idle_p95_to_goal_1s": idle_p95.map(|v| v / 1000.0),
        "loaded_finality_samples": loaded_n,
        "loaded_finality_p50_ms": load_p50,
        "loaded_finality_p95_ms": load_p95,
    }))
}

/// Run `verity bench testnet`.
pub fn run(ctx: &Ctx, cfg: TestnetBench) -> anyhow::Result<()> {
    if cfg.validators < 2 || cfg.accounts == 0 || cfg.txs == 0 {
        bail!("need --validators >= 2 (one is killed), --accounts > 0 and --txs > 0");
    }
    let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
    let net = start(&cfg, &dir.path().join("testnet"))?;
    let all = dev_accounts(cfg.accounts + cfg.validators + 1);
    // Validators' own accounts stay idle; the last account probes finality.
    let senders = &all[cfg.validators as usize..all.len() - 1];
    let probe = all[all.len() - 1];
    if !ctx.json {
        eprintln!(
            "bench testnet: {} validators, {} transfers per phase from {} senders",
            cfg.validators, cfg.txs, cfg.accounts
        );
    }
    let up = phase(&cfg, &net.urls, senders, probe, 0)?;
    let per_sender = cfg.txs.div_ceil(senders.len()).max(1) as u64;
    let victim = net.pids[net.pids.len() - 1];
    let _ = Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status();
    std::thread::sleep(Duration::from_secs(2));
    let live = &net.urls[..net.urls.len() - 1];
    let down = phase(&cfg, live, senders, probe, per_sender)?;
    drop(net);
    let value = json!({"all_up": up.clone(), "one_down": down.clone()});
    ctx.emit(value, || {
        let line = |name: &str, v: &Value| {
            format!(
                "{name}: {} validators live, {} transfers finalized in {:.2} s = {} tx/s ({:.2}x goal 1,000); \
                 finality idle p50 {} ms, p95 {} ms ({} samples); under that load p50 {} ms, p95 {} ms ({} samples)",
                v["live_validators"],
                v["transfers"],
                v["finalized_seconds"].as_f64().unwrap_or(0.0),
                v["finalized_tx_per_sec"],
                v["ratio_to_goal_1000_tx_per_sec"].as_f64().unwrap_or(0.0),
                v["idle_finality_p50_ms"],
                v["idle_finality_p95_ms"],
                v["idle_finality_samples"],
                v["loaded_finality_p50_ms"],
                v["loaded_finality_p95_ms"],
                v["loaded_finality_samples"],
            )
        };
        format!("{}\n{}", line("all up  ", &up), line("one down", &down))
    })
}
