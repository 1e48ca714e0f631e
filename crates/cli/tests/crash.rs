//! Crash test: under a stream of transfers, kill -9 the real node at random moments (seeded,
//! `VERITY_CRASH_ROUNDS` rounds, default 20; `VERITY_CRASH_SEED`), restart it on the same data
//! dir, and check that every transaction whose receipt the node returned is still there with the
//! same receipt, and that replaying the stored blocks from genesis (`verity node verify`) gives
//! the stored state root.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{NodeProc, get, post_raw, run_json};
use serde_json::Value;
use verity_ledger::{Payload, SecretKey, SignedTransaction, Transaction};
use verity_primitives::{Address, TokenId};

const SENDERS: usize = 6;

/// splitmix64: a tiny seeded generator so a failing run can be repeated exactly.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn start(data: &std::path::Path) -> NodeProc {
    NodeProc::spawn(&[
        "--json",
        "devnet",
        "--data-dir",
        data.to_str().expect("temp paths are UTF-8"),
        "--http",
        "127.0.0.1:0",
        "--block-time-ms",
        "20",
        "--agents",
        "none",
    ])
}

/// Submit transfers round-robin from the senders and record every receipt the node returns,
/// until `stop` is set or the node goes away.
fn stream(
    url: String,
    chain_id: u64,
    keys: Vec<(SecretKey, Address)>,
    mut nonces: Vec<u64>,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<(String, Value)>>>,
    salt: u64,
) {
    let mut amount = 1 + u128::from(salt % 1000);
    while !stop.load(Ordering::Relaxed) {
        let mut hashes = Vec::new();
        for (i, (k, from)) in keys.iter().enumerate() {
            let tx = SignedTransaction::sign(
                Transaction {
                    chain_id,
                    sender: *from,
                    nonce: nonces[i],
                    payload: Payload::Transfer {
                        to: keys[(i + 1) % keys.len()].1,
                        token: TokenId(0),
                        amount,
                    },
                },
                k,
            );
            amount += 1;
            let (status, v) = post_raw(
                &url,
                "/v1/tx",
                &serde_json::to_vec(&tx).expect("a transaction serialises"),
            );
            match status {
                200 => {
                    nonces[i] += 1;
                    hashes.push(
                        v["hash"]
                            .as_str()
                            .expect("an admitted tx has a hash")
                            .to_string(),
                    );
                }
                0 => return, // the node is gone
                s => panic!("a valid transfer was refused with {s}: {v}"),
            }
        }
        for h in hashes {
            let (status, v) = get(&url, &format!("/v1/tx/{h}?wait_ms=5000"));
            match status {
                200 if v["status"] == "committed" => {
                    acked
                        .lock()
                        .expect("the ack list lock is never poisoned")
                        .push((h, v["receipt"].clone()));
                }
                0 => return,
                _ => {}
            }
        }
    }
}

fn check_acked(url: &str, acked: &BTreeMap<String, Value>) {
    for (h, receipt) in acked {
        let (status, v) = get(url, &format!("/v1/tx/{h}"));
        assert_eq!(
            status, 200,
            "acknowledged tx {h} is missing after a crash: {v}"
        );
        assert_eq!(v["status"], "committed", "{h}: {v}");
        assert_eq!(
            &v["receipt"], receipt,
            "receipt of {h} changed after a crash"
        );
    }
}

#[test]
fn kill_dash_nine_never_loses_an_acknowledged_transaction() {
    let rounds = env_u64("VERITY_CRASH_ROUNDS", 20);
    let seed = env_u64("VERITY_CRASH_SEED", 0x5eed);
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("chain");
    let mut acked: BTreeMap<String, Value> = BTreeMap::new();
    let mut last_round: Vec<String> = Vec::new();

    for round in 0..rounds {
        let mut node = start(&data);
        let chain_id = node.started["chain_id"].as_u64().unwrap();
        // What the previous round saw acknowledged must have survived the kill.
        let prev: BTreeMap<String, Value> = last_round
            .iter()
            .map(|h| (h.clone(), acked[h].clone()))
            .collect();
        check_acked(&node.url, &prev);

        let keys: Vec<(SecretKey, Address)> = (0..SENDERS)
            .map(|i| {
                let (a, k) = node.account(i);
                let b = hex::decode(k.trim_start_matches("0x")).unwrap();
                (
                    SecretKey::from_secret_bytes(b.try_into().unwrap()).unwrap(),
                    a.parse().unwrap(),
                )
            })
            .collect();
        let nonces: Vec<u64> = keys
            .iter()
            .map(|(_, a)| {
                let (s, v) = get(&node.url, &format!("/v1/accounts/{a}"));
                assert_eq!(s, 200, "{v}");
                v["nonce"].as_u64().unwrap()
            })
            .collect();

        let stop = Arc::new(AtomicBool::new(false));
        let got = Arc::new(Mutex::new(Vec::new()));
        let worker = {
            let (url, stop, got) = (node.url.clone(), stop.clone(), got.clone());
            let salt = rng.next();
            std::thread::spawn(move || stream(url, chain_id, keys, nonces, stop, got, salt))
        };
        std::thread::sleep(Duration::from_millis(rng.range(150, 900)));
        node.kill9();
        stop.store(true, Ordering::Relaxed);
        worker.join().expect("the submitter thread panicked");
        let got = std::mem::take(&mut *got.lock().unwrap());
        eprintln!(
            "round {round}: {} receipts acknowledged before kill -9",
            got.len()
        );
        last_round = got.iter().map(|(h, _)| h.clone()).collect();
        for (h, r) in got {
            acked.insert(h, r);
        }
    }

    // Final restart: every acknowledged receipt is there, unchanged.
    let node = start(&data);
    check_acked(&node.url, &acked);
    let (_, status) = get(&node.url, "/v1/status");
    drop(node);
    assert!(
        !acked.is_empty(),
        "the stream should have committed something"
    );

    // A fresh replay of the stored blocks reaches the stored state root.
    let (ok, v) = run_json(
        &["node", "verify", "--data-dir", data.to_str().unwrap()],
        &[],
    );
    assert!(ok, "replay check failed: {v}");
    assert_eq!(v["state_root"], status["state_root"]);
    eprintln!(
        "{rounds} kill -9 rounds, {} acknowledged transactions survived, height {}",
        acked.len(),
        v["height"]
    );
}
