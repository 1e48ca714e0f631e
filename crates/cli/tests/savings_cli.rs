//! Savings rails end to end (issue 5, oracle + TBILL + AID): `verity calc tbill` reproduces a
//! TreasuryDirect auction offline; against a real devnet, subscribing accrues NAV from the
//! genesis yield report, AID mints 1:1, a proof-of-reserves snapshot yields an inclusion proof
//! that `verity aid verify-proof` accepts and rejects once tampered; bad requests get clear
//! errors (404 for unknown feeds / non-holders, a failed receipt for an unauthorised reporter).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::{NodeProc, get, run_cli, run_json};

#[test]
fn calc_tbill_matches_treasurydirect_offline() {
    // TreasuryDirect 91-day bill: discount rate 4.975% → price 98.742431, investment rate 5.108%.
    let (ok, v) = run_json(
        &["calc", "tbill", "--discount-rate", "4.975", "--days", "91"],
        &[],
    );
    assert!(ok, "{v}");
    assert_eq!(v["price_per_100"], "98.742431");
    assert_eq!(v["investment_rate_pct"], "5.108");
    assert_eq!(v["method"], "simple");
    let (ok, v) = run_json(
        &["calc", "tbill", "--discount-rate", "4.5", "--days", "364"],
        &[],
    );
    assert!(ok, "{v}");
    assert_eq!(v["method"], "quadratic");
    let (ok, v) = run_json(
        &["calc", "tbill", "--discount-rate", "4.5", "--days", "400"],
        &[],
    );
    assert!(!ok);
    assert!(v["error"].as_str().unwrap().contains("days"), "{v}");
}

#[test]
fn tbill_aid_and_proof_of_reserves_on_a_devnet() {
    let dir = std::env::temp_dir().join(format!("verity-savings-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let node = NodeProc::devnet(&dir);
    let url = node.url.clone();
    let (a0, k0) = node.account(0);
    let (a1, k1) = node.account(1);
    let env = [("DEV0", k0.as_str()), ("DEV1", k1.as_str())];
    let n = |args: &[&str]| {
        let mut v = vec!["--node", url.as_str()];
        v.extend_from_slice(args);
        v.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |args: &[&str]| {
        let a = n(args);
        let r: Vec<&str> = a.iter().map(String::as_str).collect();
        run_json(&r, &env)
    };

    // The fund starts at NAV 1.00 with the genesis yield report fresh.
    let (ok, v) = run(&["tbill", "nav"]);
    assert!(ok, "{v}");
    assert_eq!(v["stale"], false);
    // Subscribe 100 USDC: the first block's wall-clock time accrues NAV from genesis.
    let (ok, v) = run(&[
        "tbill",
        "subscribe",
        "--private-key-env",
        "DEV0",
        "--amount",
        "100",
        "--asset",
        "USDC",
    ]);
    assert!(ok, "{v}");
    assert_eq!(v["receipt"]["status"], "Success", "{v}");
    let (ok, v) = run(&["tbill", "nav"]);
    assert!(ok);
    let nav: u128 = v["fund"]["nav"].as_str().unwrap().parse().unwrap();
    assert!(nav >= 1_000_000_000_000_000_000, "{v}");

    // Mint 250 AID with USDC, snapshot, prove and verify.
    let (ok, v) = run(&[
        "aid",
        "mint",
        "--private-key-env",
        "DEV1",
        "--amount",
        "250",
        "--collateral",
        "USDC",
    ]);
    assert!(ok, "{v}");
    let (ok, v) = run(&["aid", "snapshot", "--private-key-env", "DEV0"]);
    assert!(ok, "{v}");
    let (ok, v) = run(&["aid", "show"]);
    assert!(ok);
    assert_eq!(v["latest_snapshot"]["epoch"], 1);
    let supply: u128 = v["supply"].as_str().unwrap().parse().unwrap();
    let reserves: u128 = v["reserve_value"].as_str().unwrap().parse().unwrap();
    assert!(reserves >= supply, "{v}");

    let file = dir.join("proof.json");
    let f = file.to_str().unwrap();
    let (ok, v) = run(&["aid", "proof", &a1, "--out", f]);
    assert!(ok, "{v}");
    let (ok, v) = run(&["aid", "verify-proof", f]);
    assert!(ok, "{v}");
    assert_eq!(v["valid"], true);
    assert_eq!(v["balance"], "250000000000000000000");

    // Tamper: a sibling sum, then the leaf balance — each must fail offline.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut p: serde_json::Value = serde_json::from_str(&text).unwrap();
    let s: u128 = p["siblings"][0]["sum"].as_str().unwrap().parse().unwrap();
    p["siblings"][0]["sum"] = (s + 1).to_string().into();
    std::fs::write(&file, p.to_string()).unwrap();
    let (ok, _, _) = run_cli(
        &n(&["aid", "verify-proof", f])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[],
    );
    assert!(!ok, "a tampered sibling sum must not verify");
    let mut p: serde_json::Value = serde_json::from_str(&text).unwrap();
    p["balance"] = "250000000000000000001".into();
    std::fs::write(&file, p.to_string()).unwrap();
    let (ok, v) = run(&["aid", "verify-proof", f]);
    assert!(!ok);
    assert!(v["error"].as_str().unwrap().contains("INVALID"), "{v}");

    // API errors: unknown feed, non-holder.
    let (status, _) = get(&url, "/v1/oracle/NOPE");
    assert_eq!(status, 404);
    let (status, _) = get(
        &url,
        "/v1/aid/proof/0x0000000000000000000000000000000000000009",
    );
    assert_eq!(status, 404);
    let (status, v) = get(&url, "/v1/oracle/TBILL_YIELD");
    assert_eq!(status, 200, "{v}");
    // Only authorised reporters may report: the receipt fails with a clear error.
    let (ok, out, err) = run_cli(
        &n(&[
            "oracle",
            "report",
            "--private-key-env",
            "DEV0",
            "--value",
            "5",
        ])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
        &env,
    );
    assert!(!ok);
    assert!(
        format!("{out}{err}").contains("not an authorised reporter"),
        "{out}{err}"
    );
    let _ = a0;
    drop(node);
    let _ = std::fs::remove_dir_all(&dir);
}
