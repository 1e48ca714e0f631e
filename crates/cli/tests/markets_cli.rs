//! Markets end to end (issue 5): `verity calc amm-out/amm-in` reproduce Uniswap V2 vectors
//! offline; against a real devnet, `pool list` shows the genesis pools, `quote` matches
//! `GET /v1/quote`, and `swap` (routed, VTY → TBILL) pays at least the slippage-bounded quote;
//! bad quotes get a 4xx with a clear error.

mod common;

use common::{NodeProc, get, run_json};

#[test]
fn calc_reproduces_uniswap_v2_vectors_offline() {
    // UniswapV2Pair.spec.ts swapTestCases[0]: 1e18 into 5e18/10e18 → 1662497915624478906.
    let (ok, v) = run_json(
        &[
            "calc",
            "amm-out",
            "--amount-in",
            "1000000000000000000",
            "--reserve-in",
            "5000000000000000000",
            "--reserve-out",
            "10000000000000000000",
        ],
        &[],
    );
    assert!(ok, "{v}");
    assert_eq!(v["amount_out"], "1662497915624478906");
    // UniswapV2Router02.spec.ts: getAmountIn(1, 100, 100) = 2 (the +1 of rounding up).
    let (ok, v) = run_json(
        &[
            "calc",
            "amm-in",
            "--amount-out",
            "1",
            "--reserve-in",
            "100",
            "--reserve-out",
            "100",
        ],
        &[],
    );
    assert!(ok, "{v}");
    assert_eq!(v["amount_in"], "2");
    let (ok, v) = run_json(
        &[
            "calc",
            "amm-out",
            "--amount-in",
            "1",
            "--reserve-in",
            "0",
            "--reserve-out",
            "5",
        ],
        &[],
    );
    assert!(!ok);
    assert!(
        v["error"]
            .as_str()
            .expect("test value")
            .contains("liquidity"),
        "{v}"
    );
}

#[test]
fn devnet_pools_quote_and_routed_swap() {
    let dir = tempfile::tempdir().expect("test value");
    let node = NodeProc::devnet(&dir.path().join("chain"));
    let url = node.url.clone();
    let cli = |args: &[&str], env: &[(&str, &str)]| {
        let mut full = vec!["--node", url.as_str()];
        full.extend_from_slice(args);
        run_json(&full, env)
    };

    let (ok, pools) = cli(&["pool", "list"], &[]);
    assert!(ok, "{pools}");
    let pools = pools["pools"].as_array().expect("pools");
    assert_eq!(pools.len(), 3);
    let pairs: Vec<String> = pools
        .iter()
        .map(|p| {
            format!(
                "{}/{}",
                p["symbol0"].as_str().expect("test value"),
                p["symbol1"].as_str().expect("test value")
            )
        })
        .collect();
    for want in ["VTY", "AID", "USDC", "TBILL"] {
        assert!(pairs.iter().any(|p| p.contains(want)), "{pairs:?}");
    }

    let (ok, q) = cli(
        &[
            "quote", "--sell", "VTY", "--buy", "TBILL", "--amount", "1000",
        ],
        &[],
    );
    assert!(ok, "{q}");
    let (status, api) = get(
        &url,
        "/v1/quote?from=VTY&to=TBILL&amount=1000000000000000000000",
    );
    assert_eq!(status, 200, "{api}");
    assert_eq!(api["quote"]["total_out"], q["quote"]["total_out"]);
    assert_eq!(
        q["quote"]["routes"][0]["path"]
            .as_array()
            .expect("test value")
            .len(),
        4
    );

    let (_, k0) = node.account(0);
    let env = [("DEV0", k0.as_str())];
    let (ok, r) = cli(
        &[
            "swap",
            "--private-key-env",
            "DEV0",
            "--sell",
            "VTY",
            "--buy",
            "TBILL",
            "--amount",
            "1000",
        ],
        &env,
    );
    assert!(ok, "{r}");
    assert_eq!(r["receipt"]["status"], "Success", "{r}");
    let quoted: u128 = q["quote"]["total_out"]
        .as_str()
        .expect("test value")
        .parse()
        .expect("test value");
    let events = r["receipt"]["events"].as_array().expect("test value");
    let routed = events
        .iter()
        .find_map(|e| e.get("RoutedSwap"))
        .expect("a RoutedSwap event");
    let got: u128 = routed["amount_out"]
        .as_str()
        .expect("test value")
        .parse()
        .expect("test value");
    assert!(got >= quoted * 9950 / 10_000, "got {got}, quoted {quoted}");

    for bad in [
        "/v1/quote?from=VTY&to=VTY&amount=5",
        "/v1/quote?from=VTY&to=NOPE&amount=5",
        "/v1/quote?from=VTY&to=TBILL&amount=0",
        "/v1/quote?from=VTY&to=TBILL&amount=abc",
        "/v1/quote?from=VTY",
        "/v1/pools/99",
    ] {
        let (status, v) = get(&url, bad);
        assert!((400..500).contains(&status), "{bad}: {status} {v}");
        assert!(
            v["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{bad}: {v}"
        );
    }
}
