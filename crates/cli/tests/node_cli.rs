//! End-to-end tests of the real `verity` binary against a real node on a free loopback port:
//! send → receipt → balance; bad inputs get a 4xx with a clear message while the node keeps
//! serving; restart resumes; proofs verify offline; `node --genesis`; `node verify`.

mod common;

use common::{NodeProc, get, high_s_twin, post_raw, run_cli, run_json};
use serde_json::Value;
use verity_ledger::{Payload, SecretKey, Signature65, SignedTransaction, Transaction};
use verity_primitives::{Address, TokenId};

fn key(hex_key: &str) -> SecretKey {
    let b = hex::decode(hex_key.trim_start_matches("0x")).expect("hex key");
    SecretKey::from_secret_bytes(b.try_into().expect("32 bytes")).expect("valid key")
}

fn transfer(
    chain_id: u64,
    k: &SecretKey,
    nonce: u64,
    to: Address,
    amount: u128,
) -> SignedTransaction {
    SignedTransaction::sign(
        Transaction {
            chain_id,
            sender: verity_ledger::address_of(k),
            nonce,
            payload: Payload::Transfer {
                to,
                token: TokenId(0),
                amount,
            },
        },
        k,
    )
}

fn node_args(node: &NodeProc) -> Vec<String> {
    vec!["--node".into(), node.url.clone()]
}

fn cli(node: &NodeProc, args: &[&str], env: &[(&str, &str)]) -> (bool, Value) {
    let mut full: Vec<String> = node_args(node);
    full.extend(args.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = full.iter().map(|s| s.as_str()).collect();
    run_json(&refs, env)
}

#[test]
fn send_receipt_balance_tx_status_and_proof() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProc::devnet(&dir.path().join("chain"));
    let (_from, k0) = node.account(0);
    let (to, _) = node.account(1);
    let env = [("DEV0", k0.as_str())];

    let (ok, before) = cli(&node, &["balance", &to, "--token", "USDC"], &[]);
    assert!(ok, "{before}");
    let before: u128 = before["amount"].as_str().unwrap().parse().unwrap();

    let (ok, sent) = cli(
        &node,
        &[
            "send",
            "--private-key-env",
            "DEV0",
            "--to",
            &to,
            "--amount",
            "1.5",
            "--token",
            "USDC",
        ],
        &env,
    );
    assert!(ok, "send failed: {sent}");
    let receipt = &sent["receipt"];
    assert_eq!(receipt["status"], "Success", "{sent}");
    let hash = sent["hash"].as_str().unwrap().to_string();
    assert_eq!(receipt["tx_hash"].as_str().unwrap(), hash);
    assert!(
        receipt["events"].to_string().contains("Transfer"),
        "receipt carries the Transfer event: {receipt}"
    );

    let (ok, after) = cli(&node, &["balance", &to, "--token", "USDC"], &[]);
    assert!(ok);
    let after: u128 = after["amount"].as_str().unwrap().parse().unwrap();
    assert_eq!(after - before, 1_500_000, "1.5 USDC = 1,500,000 base units");

    let (ok, tx) = cli(&node, &["tx", &hash], &[]);
    assert!(ok);
    assert_eq!(tx["status"], "committed");
    assert_eq!(
        tx["receipt"], *receipt,
        "GET /v1/tx serves the same receipt"
    );

    // Too many decimals is refused before anything is signed.
    let (ok, err) = cli(
        &node,
        &[
            "send",
            "--private-key-env",
            "DEV0",
            "--to",
            &to,
            "--amount",
            "0.0000001",
            "--token",
            "USDC",
        ],
        &env,
    );
    assert!(!ok);
    assert!(
        err["error"].as_str().unwrap().contains("decimal places"),
        "{err}"
    );

    // A proof saved from the node verifies offline against the status root, and a tampered one fails.
    let (ok, status) = cli(&node, &["status"], &[]);
    assert!(ok);
    let root = status["state_root"].as_str().unwrap().to_string();
    let file = dir.path().join("p.json");
    let (ok, got) = cli(
        &node,
        &["proof", "get", &to, "USDC", "--out", file.to_str().unwrap()],
        &[],
    );
    assert!(ok, "{got}");
    let (ok, v) = run_json(
        &["proof", "verify", file.to_str().unwrap(), "--root", &root],
        &[],
    );
    assert!(ok, "{v}");
    assert_eq!(v["valid"], true);
    assert_eq!(v["balance"].as_str().unwrap(), after.to_string());
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    doc["balance"] = Value::String((after + 1).to_string());
    doc["proof"]["balance"] = Value::String((after + 1).to_string());
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let (ok, v) = run_json(
        &["proof", "verify", file.to_str().unwrap(), "--root", &root],
        &[],
    );
    assert!(!ok, "a tampered balance must not verify: {v}");
    assert!(
        v["error"].as_str().unwrap().contains("does NOT verify"),
        "{v}"
    );
}

#[test]
fn bad_inputs_get_4xx_and_node_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProc::devnet(&dir.path().join("chain"));
    let (_, k0hex) = node.account(0);
    let (to, _) = node.account(1);
    let k0 = key(&k0hex);
    let to: Address = to.parse().unwrap();
    let chain_id = node.started["chain_id"].as_u64().unwrap();
    let url = node.url.clone();

    let expect_4xx = |what: &str, (status, body): (u16, Value)| {
        assert!(
            (400..500).contains(&status),
            "{what}: expected 4xx, got {status}: {body}"
        );
        let msg = body["error"].as_str().unwrap_or_default().to_string();
        assert!(!msg.is_empty(), "{what}: a clear error message, got {body}");
        msg
    };

    expect_4xx("malformed JSON", post_raw(&url, "/v1/tx", b"{not json"));
    expect_4xx("wrong shape", post_raw(&url, "/v1/tx", br#"{"tx": 5}"#));

    let wrong_chain = transfer(chain_id + 1, &k0, 0, to, 1);
    let m = expect_4xx(
        "wrong chain id",
        post_raw(&url, "/v1/tx", &serde_json::to_vec(&wrong_chain).unwrap()),
    );
    assert!(m.to_lowercase().contains("chain"), "{m}");

    let mut bad_sig = transfer(chain_id, &k0, 0, to, 1);
    bad_sig.signature.0[5] ^= 0x55;
    expect_4xx(
        "bad signature",
        post_raw(&url, "/v1/tx", &serde_json::to_vec(&bad_sig).unwrap()),
    );

    let good = transfer(chain_id, &k0, 0, to, 1);
    let mut high = good.clone();
    high.signature = Signature65(high_s_twin(&good.signature.0));
    let m = expect_4xx(
        "high-s",
        post_raw(&url, "/v1/tx", &serde_json::to_vec(&high).unwrap()),
    );
    assert!(
        m.contains("high s"),
        "the refusal names the high-s rule: {m}"
    );

    // A signed transaction whose payload was changed afterwards recovers another signer.
    let mut tampered = transfer(chain_id, &k0, 0, to, 1);
    tampered.tx.payload = Payload::Transfer {
        to,
        token: TokenId(0),
        amount: 1_000_000,
    };
    let m = expect_4xx(
        "tampered payload",
        post_raw(&url, "/v1/tx", &serde_json::to_vec(&tampered).unwrap()),
    );
    assert!(
        m.contains("not by the sender") || m.contains("signature"),
        "{m}"
    );

    // A well-formed, correctly signed transaction over the size limit.
    let huge = SignedTransaction::sign(
        Transaction {
            chain_id,
            sender: verity_ledger::address_of(&k0),
            nonce: 0,
            payload: Payload::UpdateActor {
                metadata: "x".repeat(20 * 1024),
            },
        },
        &k0,
    );
    let m = expect_4xx(
        "oversized transaction",
        post_raw(&url, "/v1/tx", &serde_json::to_vec(&huge).unwrap()),
    );
    assert!(m.contains("too large"), "{m}");

    let big = vec![b' '; 2 * 1024 * 1024];
    let (status, _) = post_raw(&url, "/v1/tx", &big);
    assert!((400..500).contains(&status), "oversized body: got {status}");

    // The good transaction is admitted, committed, and then its replay is refused.
    let body = serde_json::to_vec(&good).unwrap();
    let (status, v) = post_raw(&url, "/v1/tx", &body);
    assert_eq!(status, 200, "{v}");
    let hash = v["hash"].as_str().unwrap().to_string();
    let (status, r) = get(&url, &format!("/v1/tx/{hash}?wait_ms=20000"));
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["status"], "committed");
    let m = expect_4xx("replayed nonce", post_raw(&url, "/v1/tx", &body));
    assert!(
        m.to_lowercase().contains("nonce") || m.contains("already"),
        "{m}"
    );

    // Still serving.
    assert_eq!(get(&url, "/v1/status").0, 200);
    assert_eq!(get(&url, "/v1/tokens").0, 200);
}

#[test]
fn sigterm_then_restart_resumes_and_node_verify_replays() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("chain");
    let mut node = NodeProc::devnet(&data);
    let (_, k0) = node.account(0);
    let (to, _) = node.account(2);
    let env = [("DEV0", k0.as_str())];
    let (ok, sent) = cli(
        &node,
        &[
            "send",
            "--private-key-env",
            "DEV0",
            "--to",
            &to,
            "--amount",
            "2",
            "--token",
            "VTY",
        ],
        &env,
    );
    assert!(ok, "{sent}");
    let hash = sent["hash"].as_str().unwrap().to_string();
    let (_, status1) = cli(&node, &["status"], &[]);
    assert!(
        node.terminate(),
        "SIGTERM gives a clean shutdown with exit code 0"
    );
    drop(node);

    let node = NodeProc::devnet(&data);
    assert_eq!(node.started["resumed"], true);
    let (_, status2) = cli(&node, &["status"], &[]);
    assert_eq!(status1["height"], status2["height"]);
    assert_eq!(status1["state_root"], status2["state_root"]);
    let (ok, tx) = cli(&node, &["tx", &hash], &[]);
    assert!(ok);
    assert_eq!(tx["receipt"], sent["receipt"]);
    drop(node);

    let (ok, v) = run_json(
        &["node", "verify", "--data-dir", data.to_str().unwrap()],
        &[],
    );
    assert!(ok, "{v}");
    assert_eq!(v["state_root"], status2["state_root"]);
}

#[test]
fn node_with_genesis_file() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("genesis.toml");
    let (ok, v) = run_json(&["devnet", "--write-genesis", g.to_str().unwrap()], &[]);
    assert!(ok, "{v}");
    let data = dir.path().join("n");
    let node = NodeProc::node(&g, &data);
    assert_eq!(node.started["chain_id"], 1337);
    let (ok, tokens) = (true, get(&node.url, "/v1/tokens").1);
    assert!(ok);
    assert!(tokens.to_string().contains("USDT"), "{tokens}");

    // A missing genesis on an empty data dir is a clear error, not a crash.
    let (ok, v) = run_json(
        &[
            "node",
            "--data-dir",
            dir.path().join("empty").to_str().unwrap(),
            "--http",
            "127.0.0.1:0",
        ],
        &[],
    );
    assert!(!ok);
    assert!(v["error"].as_str().unwrap().contains("--genesis"), "{v}");
}

#[test]
fn keys_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let ks = dir.path().join("ks");
    let ks2 = dir.path().join("ks2");
    let ks_s = ks.to_str().unwrap();
    let env = [("VERITY_PASSWORD", "correct horse")];
    let (ok, created) = run_json(
        &["--keystore", ks_s, "keys", "new", "--name", "alice"],
        &env,
    );
    assert!(ok, "{created}");
    let addr = created["address"].as_str().unwrap().to_string();
    let (ok, list) = run_json(&["--keystore", ks_s, "keys", "list"], &[]);
    assert!(ok);
    assert_eq!(list["keys"][0]["name"], "alice");
    assert_eq!(list["keys"][0]["address"].as_str().unwrap(), addr);

    let (ok, exported) = run_json(
        &[
            "--keystore",
            ks_s,
            "keys",
            "export",
            "alice",
            "--private-key",
        ],
        &env,
    );
    assert!(ok, "{exported}");
    let pk = exported["private_key"].as_str().unwrap().to_string();

    let (ok, v) = run_json(
        &[
            "--keystore",
            ks_s,
            "keys",
            "export",
            "alice",
            "--private-key",
        ],
        &[("VERITY_PASSWORD", "wrong")],
    );
    assert!(!ok);
    assert!(
        v["error"].as_str().unwrap().contains("wrong password"),
        "{v}"
    );

    // The keystore JSON itself is exported without a password and is a v3 file.
    let (ok, out, _) = run_cli(&["--keystore", ks_s, "keys", "export", "alice"], &[]);
    assert!(ok);
    let v3: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v3["version"], 3);
    assert_eq!(v3["crypto"]["kdf"], "scrypt");

    // Importing the exported key elsewhere gives the same address; a duplicate is refused.
    let ks2_s = ks2.to_str().unwrap();
    let env2 = [("VERITY_PASSWORD", "pw2"), ("PK", pk.as_str())];
    let (ok, imp) = run_json(
        &[
            "--keystore",
            ks2_s,
            "keys",
            "import",
            "--name",
            "bob",
            "--private-key-env",
            "PK",
        ],
        &env2,
    );
    assert!(ok, "{imp}");
    assert_eq!(imp["address"].as_str().unwrap(), addr);
    let (ok, v) = run_json(
        &[
            "--keystore",
            ks2_s,
            "keys",
            "import",
            "--name",
            "bob2",
            "--private-key-env",
            "PK",
        ],
        &env2,
    );
    assert!(!ok, "{v}");
}
