//! Issue 7's real-process test: `verity testnet --validators 4` on loopback runs four `verity node`
//! processes that agree through the BFT engine over the encrypted p2p network. Transactions sent
//! to different nodes are finalized on every node with the same state root; a validator killed
//! with SIGKILL does not stop the other three; restarted from its data dir it catches up to the
//! same blocks; Ctrl-C (SIGINT) to the testnet stops every node.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{get, post_raw, run_cli, run_json, verity_bin};
use serde_json::Value;
use verity_ledger::genesis::dev_accounts;
use verity_ledger::{Payload, SignedTransaction, TokenId, Transaction};

/// A base port P with P..P+8 free (HTTP on P+2i, p2p on P+2i+1).
fn free_base_port() -> u16 {
    for attempt in 0..200u32 {
        let seed = std::process::id()
            .wrapping_mul(7919)
            .wrapping_add(attempt * 104_729);
        let p = 20_000 + (seed % 40_000) as u16;
        if (p..p + 8).all(|q| TcpListener::bind(("127.0.0.1", q)).is_ok()) {
            return p;
        }
    }
    panic!("no 8 consecutive free ports on 127.0.0.1");
}

fn alive(pid: u64) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn kill(pid: u64, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// The testnet process and every node pid it reported; all are killed on drop.
struct Testnet {
    child: Option<Child>,
    pids: Vec<u64>,
    urls: Vec<String>,
    extra: Vec<Child>,
}

impl Drop for Testnet {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        for pid in &self.pids {
            kill(*pid, "-KILL");
        }
        for c in &mut self.extra {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn start_testnet(dir: &Path, base: u16, validators: u32) -> Testnet {
    let mut child = Command::new(verity_bin())
        .args([
            "--json",
            "testnet",
            "--validators",
            &validators.to_string(),
            "--base-port",
            &base.to_string(),
            "--data-dir",
            dir.to_str().expect("utf-8 temp path"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn verity testnet");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut net = Testnet {
        child: Some(child),
        pids: Vec::new(),
        urls: Vec::new(),
        extra: Vec::new(),
    };
    let line = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the testnet printed its start line within 120 s");
    let v: Value = serde_json::from_str(&line).expect("start line is JSON");
    assert_eq!(v["event"], "started", "{v}");
    for n in v["nodes"].as_array().expect("nodes") {
        net.pids.push(n["pid"].as_u64().expect("pid"));
        net.urls.push(n["http"].as_str().expect("http").to_string());
    }
    assert_eq!(net.urls.len(), validators as usize);
    net
}

/// The command line `verity testnet` recorded for validator `i` (`DIR/node-i/command`, the
/// executable then one argument per line).
fn recorded_command(net_dir: &Path, i: usize) -> Vec<String> {
    let path = net_dir.join(format!("node-{i}")).join("command");
    std::fs::read_to_string(&path)
        .expect("the testnet records each node's command")
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Start validator `i` again with its recorded command, its output appended to its `node.log`.
fn restart_node(net_dir: &Path, i: usize) -> Child {
    let argv = recorded_command(net_dir, i);
    let log = std::fs::OpenOptions::new()
        .append(true)
        .open(net_dir.join(format!("node-{i}")).join("node.log"))
        .expect("node log");
    Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("restart the validator")
}

fn height(url: &str) -> Option<u64> {
    let (s, v) = get(url, "/v1/status");
    (s == 200).then(|| v["height"].as_u64()).flatten()
}

fn block_hash(url: &str, h: u64) -> Option<(String, String)> {
    let (s, v) = get(url, &format!("/v1/blocks/{h}"));
    if s != 200 {
        return None;
    }
    let hash = v["hash"].as_str()?.to_string();
    let root = v["header"]["state_root"].as_str()?.to_string();
    Some((hash, root))
}

/// Wait until `f` holds, polling every 100 ms, or fail after `secs` naming `what`.
fn wait_for(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {secs} s waiting for {what}");
}

/// Sign a transfer of `amount` VTY base units from dev account `from` with `nonce`.
fn transfer(from: usize, nonce: u64, amount: u128) -> SignedTransaction {
    let accounts = dev_accounts(4);
    let (key, sender) = accounts[from];
    SignedTransaction::sign(
        Transaction {
            chain_id: 1337,
            sender,
            nonce,
            payload: Payload::Transfer {
                to: accounts[(from + 1) % 4].1,
                token: TokenId(0),
                amount,
            },
        },
        &key,
    )
}

fn submit(url: &str, tx: &SignedTransaction) -> String {
    let (s, v) = post_raw(url, "/v1/tx", &serde_json::to_vec(tx).expect("json"));
    assert_eq!(s, 200, "transfer refused by {url}: {v}");
    v["hash"].as_str().expect("hash").to_string()
}

fn committed(url: &str, hash: &str) -> bool {
    let (s, v) = get(url, &format!("/v1/tx/{hash}"));
    s == 200 && v["status"] == "committed"
}

/// All `urls` hold the same block (hash and state root) at the lowest height they all reached.
fn assert_agree(urls: &[&str]) -> u64 {
    let h = urls
        .iter()
        .map(|u| height(u).expect("status"))
        .min()
        .expect("urls");
    let first = block_hash(urls[0], h).expect("block");
    for u in &urls[1..] {
        assert_eq!(
            block_hash(u, h).expect("block"),
            first,
            "{u} disagrees at height {h}"
        );
    }
    h
}

#[test]
fn four_validators_finalize_survive_a_kill_and_catch_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net_dir = dir.path().join("testnet");
    let mut net = start_testnet(&net_dir, free_base_port(), 4);
    let urls: Vec<String> = net.urls.clone();
    let all: Vec<&str> = urls.iter().map(String::as_str).collect();

    // Transactions to different nodes: account i sends through node i.
    let mut nonces = [0u64; 4];
    let mut hashes = Vec::new();
    for round in 0..3 {
        for (i, url) in all.iter().enumerate() {
            hashes.push(submit(url, &transfer(i, nonces[i], 1 + round as u128)));
            nonces[i] += 1;
        }
    }
    wait_for(60, "every transfer finalized on every node", || {
        hashes.iter().all(|h| all.iter().all(|u| committed(u, h)))
    });
    let h = assert_agree(&all);
    assert!(h >= 1, "blocks were finalized");

    // kill -9 validator 3: the other three keep finalizing transactions.
    let victim = net.pids[3];
    kill(victim, "-KILL");
    wait_for(10, "validator 3 gone", || !alive(victim));
    let live = &all[..3];
    let before = height(live[0]).expect("status");
    let mut later = Vec::new();
    for (i, url) in live.iter().enumerate() {
        later.push(submit(url, &transfer(i, nonces[i], 100)));
        nonces[i] += 1;
    }
    wait_for(60, "transfers finalized with one validator down", || {
        later.iter().all(|h| live.iter().all(|u| committed(u, h)))
    });
    assert!(height(live[0]).expect("status") > before, "height advanced");
    assert_agree(live);

    // Restart validator 3 with the command the testnet recorded: it catches up.
    net.extra.push(restart_node(&net_dir, 3));
    let target = height(live[0]).expect("status");
    wait_for(90, "validator 3 caught up", || {
        height(all[3]).is_some_and(|h| h >= target)
    });
    assert_eq!(
        block_hash(all[3], target),
        block_hash(live[0], target),
        "the restarted validator holds the same block and state root"
    );
    for h in later.iter().chain(&hashes) {
        assert!(committed(all[3], h), "{h} missing on the restarted node");
    }

    // Ctrl-C to the testnet stops the nodes it started.
    let pid = net.child.as_ref().expect("testnet").id();
    kill(u64::from(pid), "-INT");
    let mut child = net.child.take().expect("testnet");
    wait_for(60, "testnet exit", || {
        matches!(child.try_wait(), Ok(Some(_)))
    });
    for pid in &net.pids[..3] {
        assert!(!alive(*pid), "node {pid} still running after Ctrl-C");
    }
}

/// `verity bench testnet` at a tiny size: both phases report finalized transfers and finality.
#[test]
fn bench_testnet_reports_both_phases() {
    let out = Command::new(verity_bin())
        .args([
            "--json",
            "bench",
            "testnet",
            "--txs",
            "200",
            "--accounts",
            "10",
            "--batch",
            "50",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run verity bench testnet");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(stdout.lines().last().expect("a line")).expect("json");
    for (phase, live) in [("all_up", 4), ("one_down", 3)] {
        let p = &v[phase];
        assert_eq!(p["live_validators"], live, "{v}");
        assert_eq!(p["transfers"], 200, "{v}");
        assert!(
            p["finalized_tx_per_sec"].as_f64().expect("tx/s") > 0.0,
            "{v}"
        );
        assert_eq!(p["idle_finality_samples"], 20, "{v}");
        assert!(
            p["idle_finality_p50_ms"].as_f64().expect("p50") > 0.0,
            "{v}"
        );
    }
}

/// Agent messaging between two real validator processes: `verity agent peers` lists the other
/// validator by its ledger address, three messages arrive in order with the sender's address, and
/// a message to an address without a registered p2p key is refused.
#[test]
fn agent_messages_between_two_real_nodes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = start_testnet(&dir.path().join("testnet"), free_base_port(), 2);
    let accounts = dev_accounts(2);
    let (a, b) = (accounts[0].1.to_string(), accounts[1].1.to_string());
    // `verity --json --node URL_i ARGS…`
    let run = |i: usize, args: &[&str]| -> (bool, Value) {
        let mut full = vec!["--node", net.urls[i].as_str()];
        full.extend_from_slice(args);
        run_json(&full, &[])
    };

    wait_for(30, "node 0 lists node 1 as a peer", || {
        let (ok, v) = run(0, &["agent", "peers"]);
        ok && v["peers"].as_array().is_some_and(|p| {
            p.iter()
                .any(|x| x["address"] == b.as_str() && x["is_self"] == false)
        })
    });
    let (ok, v) = run(0, &["agent", "peers"]);
    assert!(ok, "{v}");
    assert_eq!(
        v["address"],
        a.as_str(),
        "node 0 is validator 0's agent: {v}"
    );

    for i in 0..3 {
        let text = format!("hello #{i}");
        let (ok, v) = run(0, &["agent", "send", "--to", &b, "--message", &text]);
        assert!(ok, "send {i}: {v}");
        assert_eq!(v["from"], a.as_str());
    }
    let mut got: Vec<Value> = Vec::new();
    wait_for(30, "three messages at node 1", || {
        let (ok, v) = run(1, &["agent", "recv"]);
        if ok && let Some(m) = v["messages"].as_array() {
            got.extend(m.iter().cloned());
        }
        got.len() >= 3
    });
    let bodies: Vec<&str> = got
        .iter()
        .map(|m| m["body"].as_str().expect("body"))
        .collect();
    assert_eq!(
        bodies,
        ["hello #0", "hello #1", "hello #2"],
        "in order: {got:?}"
    );
    assert!(got.iter().all(|m| m["from"] == a.as_str()), "{got:?}");

    let stranger = verity_ledger::Address([0x42; 20]).to_string();
    let (ok, out, err) = run_cli(
        &[
            "--node",
            &net.urls[0],
            "agent",
            "send",
            "--to",
            &stranger,
            "--message",
            "hi",
        ],
        &[],
    );
    assert!(
        !ok,
        "a message to an unregistered address must be refused: {out}"
    );
    assert!(
        format!("{out}{err}").to_lowercase().contains("regist"),
        "the refusal names the missing registration: {out}{err}"
    );
    drop(net);
}

/// A TCP relay on 127.0.0.1 that forwards every connection to `target` and records every byte
/// it carries, both ways.
fn relay(target: std::net::SocketAddr) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<u8>>>) {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    let listener = TcpListener::bind("127.0.0.1:0").expect("relay port");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for inbound in listener.incoming().map_while(Result::ok) {
            let Ok(outbound) = std::net::TcpStream::connect(target) else {
                continue;
            };
            for (mut from, mut to) in [
                (
                    inbound.try_clone().expect("clone"),
                    outbound.try_clone().expect("clone"),
                ),
                (outbound, inbound),
            ] {
                let record = record.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        record
                            .lock()
                            .expect("relay lock")
                            .extend_from_slice(&buf[..n]);
                    }
                    let _ = to.shutdown(std::net::Shutdown::Both);
                });
            }
        }
    });
    (port, seen)
}

/// Every byte between two validators passes through recording relays: blocks still finalize and
/// an agent message arrives, yet neither the message text nor a transaction's signature appear in
/// the recorded bytes (the links are encrypted).
#[test]
fn links_between_validators_are_encrypted_on_the_wire() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net_dir = dir.path().join("testnet");
    // Let `verity testnet` write the genesis, keys and command lines, then stop it.
    let mut net = start_testnet(&net_dir, free_base_port(), 2);
    let mut child = net.child.take().expect("testnet");
    kill(u64::from(child.id()), "-INT");
    wait_for(30, "testnet exit", || {
        matches!(child.try_wait(), Ok(Some(_)))
    });
    net.pids.clear();

    // Point both validators' peer entries at recording relays in front of their real ports.
    let accounts = dev_accounts(2);
    let mut peers = String::new();
    let mut records = Vec::new();
    let mut urls = Vec::new();
    for (i, (_, address)) in accounts.iter().enumerate() {
        let argv = recorded_command(&net_dir, i);
        let arg = |flag: &str| argv[argv.iter().position(|a| a == flag).expect(flag) + 1].as_str();
        let p2p: std::net::SocketAddr = arg("--p2p").parse().expect("p2p addr");
        urls.push(format!("http://{}", arg("--http")));
        let (port, seen) = relay(p2p);
        records.push(seen);
        peers.push_str(&format!(
            "[[peer]]\naddress = \"{address}\"\nsocket = \"127.0.0.1:{port}\"\n\n"
        ));
    }
    std::fs::write(net_dir.join("peers.toml"), peers).expect("peers");
    for i in 0..2 {
        net.extra.push(restart_node(&net_dir, i));
    }
    for u in &urls {
        wait_for(60, "validator serving", || height(u).is_some());
    }

    // Consensus and a transaction cross the relays.
    let tx = transfer(0, 0, 7);
    let hash = submit(&urls[0], &tx);
    wait_for(60, "transfer finalized on both", || {
        urls.iter().all(|u| committed(u, &hash))
    });
    let secret = "attack at dawn: the-plaintext-marker-7f3a";
    let (ok, v) = run_json(
        &[
            "--node",
            &urls[0],
            "agent",
            "send",
            "--to",
            &accounts[1].1.to_string(),
            "--message",
            secret,
        ],
        &[],
    );
    assert!(ok, "{v}");
    let mut got = Vec::new();
    wait_for(30, "the message at validator 1", || {
        let (ok, v) = run_json(&["--node", &urls[1], "agent", "recv"], &[]);
        if ok && let Some(m) = v["messages"].as_array() {
            got.extend(m.iter().cloned());
        }
        !got.is_empty()
    });
    assert_eq!(got[0]["body"], secret);

    let wire: Vec<u8> = records
        .iter()
        .flat_map(|r| r.lock().expect("relay lock").clone())
        .collect();
    assert!(
        wire.len() > 1_000,
        "the relays carried the traffic ({} bytes)",
        wire.len()
    );
    let contains = |needle: &[u8]| wire.windows(needle.len()).any(|w| w == needle);
    assert!(
        !contains(secret.as_bytes()),
        "the message text crossed the wire in the clear"
    );
    assert!(
        !contains(b"attack at dawn"),
        "part of the message crossed in the clear"
    );
    assert!(
        !contains(&tx.signature.0[..32]),
        "the tx signature crossed in the clear"
    );
    let sig_hex = hex::encode(&tx.signature.0[..16]);
    assert!(
        !contains(sig_hex.as_bytes()),
        "the tx JSON crossed in the clear"
    );
}
