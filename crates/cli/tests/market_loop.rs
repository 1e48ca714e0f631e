//! The marketplace loop end to end with the real binary on loopback: `verity devnet --agents
//! none` as the node, `verity provider start` / `verity verifier start` as separate processes,
//! jobs posted with `verity job submit`, read with `job status|list|fetch` and `dispute show`.
//!
//! - an honest job settles and pays the provider exactly price − fee (fee to the fee account,
//!   escrow − price back to the buyer), reputation +1; `job fetch` checks every output against
//!   the committed hash and refuses a tampered blob; a commit for someone else's job fails;
//! - a fault at a seeded random step and op (`VERITY_MARKET_SEED`) is caught by the verifier,
//!   the dispute narrows to that step, and the slash, the winner's pay, the burn and the
//!   reputation move are exactly per the parameters;
//! - a provider killed mid-game loses on timeout;
//! - an expired job refunds the buyer;
//! - throughout, the market account holds exactly the escrow of the open jobs (+ open bonds).
//!
//! Jobs are a 16-step MLP on wine-quality, so each test takes seconds of compute.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{NodeProc, run_cli, run_json, verity_bin};
use serde_json::Value;
use verity_api::ApiClient;
use verity_api::market::JobFilter;
use verity_ledger::genesis::dev_secret;
use verity_ledger::market::dispute::{Dispute, Winner, ceil_log2, depth};
use verity_ledger::market::{Job, JobStatus, market_account};
use verity_ledger::{Address, Event, Payload, SignedTransaction, Transaction, TxStatus};
use verity_primitives::TokenId;

/// Devnet genesis defaults of the market parameters.
const FEE_BPS: u128 = 250;
const COLLATERAL_BPS: u128 = 20_000;
const WINNER_SHARE_BPS: u128 = 5_000;
/// USDC (token 1 of the dev genesis) pays for jobs; VTY (token 0) is staked.
const USDC: TokenId = TokenId(1);
const VTY: TokenId = TokenId(0);
const STEPS: u64 = 16;

const BUYER: usize = 1;
const PROVIDER: usize = 2;
const CHEATER: usize = 3;
const VERIFIER: usize = 5;
const BYSTANDER: usize = 6;

/// A devnet node plus the agent processes of one test, all killed on drop.
struct Net {
    node: NodeProc,
    dir: tempfile::TempDir,
    client: ApiClient,
    agents: Vec<AgentProc>,
}

/// An agent process whose output lines are kept (printed when a test fails).
struct AgentProc {
    name: String,
    child: Option<Child>,
    lines: Arc<Mutex<Vec<String>>>,
}

impl AgentProc {
    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for a in &mut self.agents {
            a.kill9();
            if std::thread::panicking() {
                for l in a.lines.lock().unwrap().iter().rev().take(40).rev() {
                    eprintln!("[{}] {l}", a.name);
                }
            }
        }
    }
}

impl Net {
    fn start(block_ms: &str) -> Net {
        let dir = tempfile::tempdir().unwrap();
        let node = NodeProc::spawn(&[
            "--json",
            "devnet",
            "--data-dir",
            dir.path().join("chain").to_str().unwrap(),
            "--http",
            "127.0.0.1:0",
            "--agents",
            "none",
            "--block-time-ms",
            block_ms,
        ]);
        let client = ApiClient::new(&node.url);
        Net {
            node,
            dir,
            client,
            agents: Vec::new(),
        }
    }

    fn key(&self, i: usize) -> String {
        self.node.account(i).1
    }

    fn addr(&self, i: usize) -> Address {
        self.node.account(i).0.parse().unwrap()
    }

    /// Run `verity --node URL ARGS…` signing with dev account `signer` (env `VERITY_TEST_KEY`).
    fn cli_json(&self, signer: usize, args: &[&str]) -> (bool, Value) {
        let mut full = vec!["--node", self.node.url.as_str()];
        full.extend_from_slice(args);
        let key = self.key(signer);
        run_json(&full, &[("VERITY_TEST_KEY", key.as_str())])
    }

    /// Start `verity provider start` (or `verifier start`) as dev account `i`.
    fn agent(&mut self, name: &str, i: usize, args: &[&str]) -> usize {
        let work = self.dir.path().join(name);
        let mut child = Command::new(verity_bin())
            .args(["--json", "--node", &self.node.url])
            .args(args)
            .args([
                "--private-key-env",
                "VERITY_TEST_KEY",
                "--work-dir",
                work.to_str().unwrap(),
                "--poll-ms",
                "50",
                "--stake",
                "100",
            ])
            .env("VERITY_TEST_KEY", self.key(i))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn agent");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let keep = Arc::clone(&lines);
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                keep.lock().unwrap().push(l);
            }
        });
        self.agents.push(AgentProc {
            name: name.to_string(),
            child: Some(child),
            lines,
        });
        let want = 100 * 10u128.pow(18);
        wait_for(&format!("{name} to bond"), 60, || {
            self.client
                .account(&self.addr(i))
                .is_ok_and(|a| a.stake.bonded >= want)
        });
        self.agents.len() - 1
    }

    fn balance(&self, a: &Address, token: TokenId) -> u128 {
        self.client
            .account(a)
            .unwrap()
            .balances
            .iter()
            .find(|b| b.token == token)
            .map_or(0, |b| b.amount)
    }

    fn job(&self, id: u64) -> Job {
        self.client.job(id).unwrap()
    }

    /// `job submit` as the buyer; returns the job id.
    fn submit(&self, extra: &[&str]) -> u64 {
        let spec = self.dir.path().join("wine.toml");
        let data = self.dir.path().join("wine.csv");
        if !data.exists() {
            let (ok, _, err) = run_cli(
                &[
                    "data",
                    "export",
                    "winequality",
                    "--out",
                    data.to_str().unwrap(),
                ],
                &[],
            );
            assert!(ok, "data export: {err}");
            std::fs::write(
                &spec,
                format!(
                    "[model]\nkind = \"mlp\"\nlayers = [11, 8, 1]\n[data]\npath = \"wine.csv\"\n\
                     target = \"quality\"\n[train]\noptimizer = \"adamw\"\nlr = 0.01\n\
                     batch_size = 16\nsteps = {STEPS}\nseed = 3\ncheckpoint_every = 4\n"
                ),
            )
            .unwrap();
        }
        let mut args = vec![
            "job",
            "submit",
            spec.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--token",
            "USDC",
            "--bid-window-secs",
            "1",
            "--private-key-env",
            "VERITY_TEST_KEY",
        ];
        args.extend_from_slice(extra);
        let (ok, v) = self.cli_json(BUYER, &args);
        assert!(ok, "job submit failed: {v}");
        v["job"].as_u64().expect("job id")
    }

    /// The market account holds exactly Σ escrow of live jobs per token (+ open dispute bonds
    /// in VTY), all read at one height (reads are retried until they agree on the height).
    fn check_escrow(&self) {
        for _ in 0..50 {
            let page = self
                .client
                .jobs(&JobFilter {
                    limit: Some(1000),
                    ..JobFilter::default()
                })
                .unwrap();
            let disputes = self.client.disputes(None, Some(1000)).unwrap();
            let acct = self.client.account(&market_account()).unwrap();
            if page.height != acct.height || disputes.height != acct.height {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            let live = |t: TokenId| -> u128 {
                page.jobs
                    .iter()
                    .filter(|j| j.status.is_live() && j.terms.token == t)
                    .map(|j| j.terms.escrow)
                    .sum()
            };
            let bonds: u128 = disputes
                .disputes
                .iter()
                .filter(|d| d.outcome.is_none())
                .map(|d| d.bond)
                .sum();
            let held = |t: TokenId| {
                acct.balances
                    .iter()
                    .find(|b| b.token == t)
                    .map_or(0, |b| b.amount)
            };
            let h = acct.height;
            assert_eq!(
                held(USDC),
                live(USDC),
                "market USDC at height {h} ≠ Σ open escrow"
            );
            assert_eq!(
                held(VTY),
                live(VTY) + bonds,
                "market VTY at height {h} ≠ escrow + bonds"
            );
            return;
        }
        panic!("could not read jobs, disputes and the market account at one height");
    }

    /// Poll job `id` until `done`, checking the escrow invariant on every poll.
    fn wait_job(&self, id: u64, secs: u64, done: impl Fn(&Job) -> bool) -> Job {
        let start = Instant::now();
        loop {
            self.check_escrow();
            let j = self.job(id);
            if done(&j) {
                return j;
            }
            assert!(
                start.elapsed() < Duration::from_secs(secs),
                "job {id} still {:?} after {secs} s: {j:?}",
                j.status
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every event of the recent transactions of `who`.
    fn recent_events(&self, who: &[Address]) -> Vec<Event> {
        let mut out = Vec::new();
        for a in who {
            for h in self.client.account(a).unwrap().recent_txs {
                if let Some(r) = self.client.tx(&h, None).unwrap().receipt {
                    out.extend(r.events);
                }
            }
        }
        out
    }

    /// Sign and submit `payload` from dev account `i`; the receipt.
    fn send(&self, i: usize, payload: Payload) -> verity_ledger::Receipt {
        let key = dev_secret(u32::try_from(i).unwrap());
        let sender = verity_ledger::address_of(&key);
        let tx = Transaction {
            chain_id: self.client.status().unwrap().chain_id,
            sender,
            nonce: self.client.account(&sender).unwrap().nonce,
            payload,
        };
        let hash = self
            .client
            .submit_tx(&SignedTransaction::sign(tx, &key))
            .unwrap();
        for _ in 0..200 {
            if let Some(r) = self
                .client
                .tx(&hash, Some(Duration::from_secs(5)))
                .unwrap()
                .receipt
            {
                return r;
            }
        }
        panic!("no receipt for {hash}");
    }
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn fee_of(price: u128) -> u128 {
    (price * FEE_BPS).div_ceil(10_000)
}

fn reputation_moves(events: &[Event], who: &Address) -> Vec<i64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ReputationChanged { account, delta, .. } if account == who => Some(*delta),
            _ => None,
        })
        .collect()
}

fn blob_file(chain: &Path, h: &verity_primitives::Hash) -> PathBuf {
    chain
        .join("blobs")
        .join(h.to_string().trim_start_matches("0x"))
}

#[test]
fn honest_job_settles_pays_price_minus_fee_and_fetch_checks_outputs() {
    let mut net = Net::start("50");
    net.agent(
        "provider",
        PROVIDER,
        &[
            "provider",
            "start",
            "--token",
            "USDC",
            "--floor-per-step",
            "0.01",
        ],
    );
    let (buyer, provider) = (net.addr(BUYER), net.addr(PROVIDER));
    let fees = verity_ledger::burn::fee_account();
    let (b0, p0, f0) = (
        net.balance(&buyer, USDC),
        net.balance(&provider, USDC),
        net.balance(&fees, USDC),
    );
    let id = net.submit(&[
        "--max-price",
        "1",
        "--escrow",
        "1.5",
        "--spot-check-bps",
        "0",
        "--challenge-window-secs",
        "1",
    ]);
    assert_eq!(net.balance(&buyer, USDC), b0 - 1_500_000, "escrow taken");
    let j = net.wait_job(id, 90, |j| j.status == JobStatus::Settled);
    // 16 steps at a floor of 0.01 USDC per step.
    assert_eq!(j.price, 160_000);
    let fee = fee_of(j.price);
    assert_eq!(net.balance(&provider, USDC) - p0, j.price - fee);
    assert_eq!(net.balance(&fees, USDC) - f0, fee);
    assert_eq!(
        b0 - net.balance(&buyer, USDC),
        j.price,
        "escrow − price refunded"
    );
    assert!(reputation_moves(&net.recent_events(&[provider]), &provider).contains(&1));
    net.check_escrow();

    // The CLI views.
    let (ok, v) = net.cli_json(BUYER, &["job", "status", &id.to_string()]);
    assert!(ok && v["status"] == "Settled", "{v}");
    let (ok, v) = net.cli_json(BUYER, &["job", "list", "--status", "settled"]);
    assert!(ok && v["jobs"][0]["id"] == id, "{v}");

    // A commit for someone else's job: a receipt error, nothing changes.
    let before = net.job(id);
    let c = before.commit.clone().expect("committed");
    let r = net.send(
        BYSTANDER,
        Payload::Commit {
            job: id,
            result: verity_ledger::market::CommitArgs {
                output_hash: c.output_hash,
                trace_root: c.trace_root,
                steps: c.steps,
                ops_per_step: c.ops_per_step,
                receipt_version: c.receipt_version,
            },
        },
    );
    assert!(matches!(r.status, TxStatus::Failed { .. }), "{r:?}");
    assert_eq!(net.job(id), before);

    // Fetch: every output checked against the committed hash.
    let out = net.dir.path().join("fetched");
    let (ok, v) = net.cli_json(
        BUYER,
        &[
            "job",
            "fetch",
            &id.to_string(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(ok && v["verified"] == true, "{v}");
    assert_eq!(
        v["receipt"]["trace_root"],
        c.trace_root.to_string().trim_start_matches("0x")
    );
    for f in [
        "weights.safetensors",
        "metrics.json",
        "receipt.json",
        "trace.json",
    ] {
        assert!(out.join(f).is_file(), "{f} fetched");
    }
    // Tamper with the stored weights blob: fetch must refuse it.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let weights = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "weights.safetensors")
        .unwrap()["hash"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let path = blob_file(&net.dir.path().join("chain"), &weights);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let out2 = net.dir.path().join("fetched2");
    let (ok, v) = net.cli_json(
        BUYER,
        &[
            "job",
            "fetch",
            &id.to_string(),
            "--out",
            out2.to_str().unwrap(),
        ],
    );
    assert!(!ok, "a tampered output must be refused: {v}");
    let text = v.to_string();
    assert!(
        text.contains("hash"),
        "the error names the hash check: {text}"
    );
}

/// splitmix64 step.
fn mix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn seeded_fault() -> (u64, u64) {
    let mut s: u64 = std::env::var("VERITY_MARKET_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let step = mix(&mut s) % STEPS;
    let op = mix(&mut s) % 64;
    eprintln!("fault at step {step}, op {op} (VERITY_MARKET_SEED to vary)");
    (step, op)
}

/// Start a cheater (fault at `fault`) and a whistleblowing verifier; post a checked job.
fn cheater_and_verifier(net: &mut Net, fault: (u64, u64)) -> (usize, u64) {
    let f = format!("{}:{}", fault.0, fault.1);
    let cheater = net.agent(
        "cheater",
        CHEATER,
        &[
            "provider",
            "start",
            "--token",
            "USDC",
            "--floor-per-step",
            "0.01",
            "--inject-fault",
            &f,
        ],
    );
    net.agent(
        "verifier",
        VERIFIER,
        &[
            "verifier",
            "start",
            "--whistleblower",
            "--bond",
            "1",
            "--sample-steps",
            "0",
        ],
    );
    let id = net.submit(&[
        "--max-price",
        "1",
        "--spot-check-bps",
        "10000",
        "--challenge-window-secs",
        "60",
    ]);
    (cheater, id)
}

fn the_dispute(net: &Net, j: &Job) -> Dispute {
    net.client
        .dispute(*j.disputes.first().expect("a dispute"))
        .unwrap()
}

#[test]
fn seeded_fault_loses_the_dispute_with_exact_slash_pay_and_reputation() {
    let mut net = Net::start("50");
    let fault = seeded_fault();
    let (cheater, verifier, buyer) = (net.addr(CHEATER), net.addr(VERIFIER), net.addr(BUYER));
    // Balances once both agents have bonded (cheater_and_verifier waits for that).
    let b0 = net.balance(&buyer, USDC);
    let (_, id) = cheater_and_verifier(&mut net, fault);
    let v0 = net.balance(&verifier, VTY);
    let s0 = net.client.account(&cheater).unwrap().stake.bonded;
    let j = net.wait_job(id, 120, |j| j.status == JobStatus::Slashed);
    let d = the_dispute(&net, &j);
    let o = d.outcome.clone().expect("ruled");
    assert_eq!(o.winner, Winner::Challenger, "{d:?}");
    assert_eq!(o.reason, "replay");
    assert_eq!(d.challenger, verifier);
    // The bisection found the corrupted step, in depth(step) + depth(leaf) + 1 rounds.
    assert_eq!(d.step, fault.0, "first differing step");
    assert_eq!(d.rounds, depth(d.steps, d.step) + depth(d.leaves, d.lo) + 1);
    assert!(d.rounds <= ceil_log2(d.steps) + ceil_log2(d.leaves) + 1);
    // Exact amounts: the whole locked collateral slashed, the winner's share paid, rest burned.
    let collateral = (j.price * COLLATERAL_BPS).div_ceil(10_000);
    assert_eq!(o.slashed, collateral);
    assert_eq!(o.paid, o.slashed * WINNER_SHARE_BPS / 10_000);
    assert_eq!(o.burned, o.slashed - o.paid);
    assert_eq!(net.balance(&verifier, VTY) - v0, o.paid, "paid + bond back");
    assert_eq!(
        s0 - net.client.account(&cheater).unwrap().stake.bonded,
        o.slashed
    );
    assert_eq!(net.balance(&buyer, USDC), b0, "escrow refunded in full");
    let moves = reputation_moves(&net.recent_events(&[cheater, verifier]), &cheater);
    assert!(moves.contains(&-5), "reputation −5: {moves:?}");
    net.check_escrow();
    // The CLI shows the ruling.
    let (ok, out, _) = run_cli(
        &[
            "--node",
            &net.node.url,
            "dispute",
            "show",
            &d.id.to_string(),
        ],
        &[],
    );
    assert!(ok && out.contains("ruling: Challenger wins"), "{out}");
    let (ok, v) = net.cli_json(BUYER, &["dispute", "list"]);
    assert!(ok && v["total"] == 1, "{v}");
}

#[test]
fn a_provider_killed_mid_game_loses_on_timeout() {
    let mut net = Net::start("100");
    let (cheater_proc, id) = cheater_and_verifier(&mut net, (1, 3));
    wait_for("a dispute", 90, || {
        net.check_escrow();
        !net.job(id).disputes.is_empty()
    });
    net.agents[cheater_proc].kill9();
    // Dispute deadlines count blocks: keep blocks coming with small transfers.
    let stop = Arc::new(AtomicBool::new(false));
    let pump = {
        let (stop, url) = (Arc::clone(&stop), net.node.url.clone());
        std::thread::spawn(move || {
            let c = ApiClient::new(&url);
            let key = dev_secret(7);
            let from = verity_ledger::address_of(&key);
            let to = verity_ledger::address_of(&dev_secret(8));
            let chain_id = c.status().unwrap().chain_id;
            let mut nonce = c.account(&from).unwrap().nonce;
            while !stop.load(Ordering::Relaxed) {
                let tx = Transaction {
                    chain_id,
                    sender: from,
                    nonce,
                    payload: Payload::Transfer {
                        to,
                        token: USDC,
                        amount: 1,
                    },
                };
                if c.submit_tx(&SignedTransaction::sign(tx, &key)).is_ok() {
                    nonce += 1;
                }
                std::thread::sleep(Duration::from_millis(60));
            }
        })
    };
    let j = net.wait_job(id, 90, |j| j.status == JobStatus::Slashed);
    stop.store(true, Ordering::Relaxed);
    pump.join().unwrap();
    let d = the_dispute(&net, &j);
    let o = d.outcome.expect("ruled");
    assert_eq!(o.winner, Winner::Challenger);
    assert_eq!(o.reason, "timeout", "the silent provider loses on timeout");
    assert_eq!(o.slashed, (j.price * COLLATERAL_BPS).div_ceil(10_000));
    net.check_escrow();
}

#[test]
fn an_expired_job_refunds_and_bad_requests_fail_cleanly() {
    let net = Net::start("50");
    let buyer = net.addr(BUYER);
    let b0 = net.balance(&buyer, USDC);
    // Nobody runs a provider: the job expires.
    let id = net.submit(&["--max-price", "2", "--deadline-secs", "2"]);
    assert_eq!(net.balance(&buyer, USDC), b0 - 2_000_000);
    net.check_escrow();
    // Too early: a receipt error (the receipt, then the error), nothing changes.
    let key = net.key(BYSTANDER);
    let (ok, out, _) = run_cli(
        &[
            "--json",
            "--node",
            &net.node.url,
            "job",
            "expire",
            &id.to_string(),
            "--private-key-env",
            "VERITY_TEST_KEY",
        ],
        &[("VERITY_TEST_KEY", key.as_str())],
    );
    assert!(
        !ok && out.contains("has not passed"),
        "expiring before the deadline fails: {out}"
    );
    assert_eq!(net.job(id).status, JobStatus::Open);
    // Nothing to fetch yet.
    let out = net.dir.path().join("none");
    let (ok, v) = net.cli_json(
        BUYER,
        &[
            "job",
            "fetch",
            &id.to_string(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        !ok && v["error"].as_str().unwrap().contains("no committed result"),
        "{v}"
    );
    std::thread::sleep(Duration::from_millis(2_500));
    let (ok, v) = net.cli_json(
        BYSTANDER,
        &[
            "job",
            "expire",
            &id.to_string(),
            "--private-key-env",
            "VERITY_TEST_KEY",
        ],
    );
    assert!(ok, "expire after the deadline: {v}");
    assert_eq!(net.job(id).status, JobStatus::Expired);
    assert_eq!(net.balance(&buyer, USDC), b0, "escrow refunded");
    net.check_escrow();
    // Unknown ids and bad filters are clear errors.
    let (ok, v) = net.cli_json(BUYER, &["job", "status", "999"]);
    assert!(!ok && v["error"].as_str().unwrap().contains("999"), "{v}");
    let (ok, v) = net.cli_json(BUYER, &["job", "list", "--status", "nonsense"]);
    assert!(!ok, "{v}");
    let (ok, v) = net.cli_json(BUYER, &["dispute", "show", "0"]);
    assert!(!ok, "{v}");
}
