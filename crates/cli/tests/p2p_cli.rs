//! End-to-end test of the ledger side of issue 7 with the real `verity` binary and a real node:
//! a genesis whose validator carries a p2p key serves it in the epoch-0 validator set
//! (`GET /v1/validators`, `verity p2p validators`); `verity p2p register --key-file` registers
//! another account's key and `verity p2p show` reads it back; a key file that is not a key is
//! refused before anything is sent.

mod common;

use common::{NodeProc, get, run_cli, run_json};
use verity_ledger::genesis::{self, Genesis};
use verity_ledger::validators::{self, ConsensusParams};
use verity_ledger::{Address, Payload};

/// The public key (0x-hex) of the p2p key with this seed.
fn public_hex(seed: [u8; 32]) -> String {
    let key = validators::private_key_from_seed(seed);
    match validators::registration_payload(&key, 1, &Address::ZERO) {
        Payload::RegisterP2pKey { key, .. } => format!("0x{}", hex::encode(key)),
        other => panic!("unexpected payload {other:?}"),
    }
}

fn public_bytes(seed: [u8; 32]) -> [u8; 32] {
    let h = public_hex(seed);
    hex::decode(&h[2..])
        .expect("hex")
        .try_into()
        .expect("32 bytes")
}

#[test]
fn register_show_and_epoch_zero_set() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = genesis::dev_accounts(2);
    let addrs: Vec<Address> = accounts.iter().map(|a| a.1).collect();
    let mut g = Genesis::dev(&addrs);
    let validator_seed = [7u8; 32];
    g.validators[0].p2p_key = Some(public_bytes(validator_seed));
    g.consensus = Some(ConsensusParams {
        epoch_length: 50,
        max_validators: 10,
        double_sign_slash_bps: 500,
    });
    let gpath = dir.path().join("genesis.toml");
    std::fs::write(&gpath, g.to_toml_string()).unwrap();
    let node = NodeProc::node(&gpath, &dir.path().join("chain"));
    let url = node.url.clone();
    let with_node = |args: &[&str]| {
        let mut full = vec!["--node", url.as_str()];
        full.extend_from_slice(args);
        full.into_iter().map(String::from).collect::<Vec<_>>()
    };

    // Epoch 0: the genesis validator with its key and stake.
    let (status, body) = get(&node.url, "/v1/validators?epoch=0");
    assert_eq!(status, 200, "{body}");
    let set = body["validators"].as_array().unwrap();
    assert_eq!(set.len(), 1, "{body}");
    assert_eq!(set[0]["address"], addrs[0].to_string());
    assert_eq!(set[0]["p2p_key"], public_hex(validator_seed));
    assert_eq!(
        set[0]["stake"],
        genesis::DEV_VALIDATOR_STAKE.to_string(),
        "{body}"
    );
    assert_eq!(body["params"]["epoch_length"], 50);
    let args = with_node(&["p2p", "validators", "--epoch", "0"]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, v) = run_json(&refs, &[]);
    assert!(ok, "{v}");
    assert_eq!(v["validators"], body["validators"]);
    // A far epoch is not fixed yet: 404 with a message that says so.
    let (status, body) = get(&node.url, "/v1/validators?epoch=9");
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("not known"),
        "{body}"
    );

    // Account 1 registers the key in its key file; show reads it back.
    let seed = [42u8; 32];
    let key_file = dir.path().join("p2p.key");
    std::fs::write(&key_file, hex::encode(seed)).unwrap();
    let k1 = hex::encode(accounts[1].0.to_secret_bytes());
    let env = [("DEV1", k1.as_str())];
    let args = with_node(&[
        "p2p",
        "register",
        "--key-file",
        key_file.to_str().unwrap(),
        "--private-key-env",
        "DEV1",
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, v) = run_json(&refs, &env);
    assert!(ok, "{v}");
    assert_eq!(v["receipt"]["status"], "Success", "{v}");
    let a1 = addrs[1].to_string();
    let args = with_node(&["p2p", "show", &a1]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, v) = run_json(&refs, &[]);
    assert!(ok, "{v}");
    assert_eq!(v["p2p_key"], public_hex(seed), "{v}");
    assert_eq!(v["in_validator_set"], false, "not a validator");
    let (_, v0) = get(&node.url, &format!("/v1/p2p/{}", addrs[0]));
    assert_eq!(v0["in_validator_set"], true, "{v0}");

    // The same key for another account is refused by the ledger (failed receipt).
    let k0 = hex::encode(accounts[0].0.to_secret_bytes());
    let env0 = [("DEV0", k0.as_str())];
    let args = with_node(&[
        "p2p",
        "register",
        "--key-file",
        key_file.to_str().unwrap(),
        "--private-key-env",
        "DEV0",
    ]);
    let mut refs: Vec<&str> = vec!["--json"];
    refs.extend(args.iter().map(String::as_str));
    // The receipt (status Failed) is printed, then the error: two JSON lines.
    let (ok, out, _) = run_cli(&refs, &env0);
    assert!(!ok, "{out}");
    let receipt: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let failed = receipt["receipt"]["status"]["Failed"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(failed.contains("already registered"), "{out}");

    // A key file that is not a key: refused before sending.
    let bad = dir.path().join("bad.key");
    std::fs::write(&bad, "hello").unwrap();
    let args = with_node(&[
        "p2p",
        "register",
        "--key-file",
        bad.to_str().unwrap(),
        "--private-key-env",
        "DEV1",
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, v) = run_json(&refs, &env);
    assert!(!ok);
    assert!(
        v["error"].as_str().unwrap().contains("not a p2p key file"),
        "{v}"
    );
}
