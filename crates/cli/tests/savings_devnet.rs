//! Issue 5 item 12 end to end: the genesis `verity devnet` runs with its agents (written with
//! `verity devnet --write-genesis`, served by `verity node`) gives the provider agents an
//! auto-savings policy into TBILL; a job settled for provider-1 (dev account #2) through real
//! signed transactions converts half of its pay along VTY → AID → USDC → TBILL, so its TBILL
//! balance rises; the TBILL NAV has accrued from the genesis yield report with block time.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod common;

use std::time::Duration;

use common::{NodeProc, get, run_cli, run_json};
use verity_api::ApiClient;
use verity_ledger::market::{CommitArgs, JobTerms};
use verity_ledger::treasury::accrual::{DAY_MS, WAD, accrue};
use verity_ledger::{Address, Event, Hash, Payload, SignedTransaction, Transaction, TxStatus};
use verity_primitives::TokenId;

const VTY: TokenId = TokenId(0);
const E18: u128 = 1_000_000_000_000_000_000;
const BUYER: u32 = 1;
const PROVIDER_1: u32 = 2;

fn send(c: &ApiClient, i: u32, payload: Payload) -> verity_ledger::Receipt {
    let key = verity_ledger::genesis::dev_secret(i);
    let sender = verity_ledger::address_of(&key);
    let tx = Transaction {
        chain_id: c.status().unwrap().chain_id,
        sender,
        nonce: c.account(&sender).unwrap().nonce,
        payload,
    };
    let hash = c.submit_tx(&SignedTransaction::sign(tx, &key)).unwrap();
    for _ in 0..200 {
        if let Some(r) = c.tx(&hash, Some(Duration::from_secs(5))).unwrap().receipt {
            return r;
        }
    }
    panic!("no receipt for {hash}");
}

fn ok(r: &verity_ledger::Receipt) {
    assert_eq!(r.status, TxStatus::Success, "{r:?}");
}

fn balance(c: &ApiClient, a: &Address, t: TokenId) -> u128 {
    c.account(a)
        .unwrap()
        .balances
        .iter()
        .find(|b| b.token == t)
        .map_or(0, |b| b.amount)
}

#[test]
fn devnet_provider_earnings_land_in_tbill_and_nav_accrues() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("genesis.toml");
    let (okc, out, err) = run_cli(&["devnet", "--write-genesis", g.to_str().unwrap()], &[]);
    assert!(okc, "{out}{err}");
    let text = std::fs::read_to_string(&g).unwrap();
    assert!(
        text.contains("[[savings]]"),
        "the devnet genesis has savings policies"
    );
    let data = dir.path().join("chain");
    let node = NodeProc::node(&g, &data);
    let c = ApiClient::new(&node.url);
    let dev = |i| verity_ledger::address_of(&verity_ledger::genesis::dev_secret(i));
    let (provider, buyer) = (dev(PROVIDER_1), dev(BUYER));

    // provider-1 saves half of every payment into TBILL; the buyer has no policy.
    let (code, body) = get(&node.url, &format!("/v1/savings/{provider}"));
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["policy"]["share_bps"], 5000, "{body}");
    let tbill = TokenId(u32::try_from(body["policy"]["target"].as_u64().unwrap()).unwrap());
    let (code, body) = get(&node.url, &format!("/v1/savings/{buyer}"));
    assert!(code == 404 || body["policy"].is_null(), "{code} {body}");

    // A job for provider-1, paid in VTY: post, bond, bid, close, commit, settle.
    let r = send(
        &c,
        BUYER,
        Payload::PostJob(JobTerms {
            spec_hash: Hash::keccak(b"spec"),
            data_hashes: vec![Hash::keccak(b"data")],
            token: VTY,
            max_price: 100 * E18,
            escrow: 100 * E18,
            device_class: "cpu".into(),
            min_cores: 1,
            min_memory_mb: 256,
            spot_check_bps: 0,
            challenge_window_ms: 1_000,
            bid_window_ms: 5_000,
            deadline_ms: 600_000,
        }),
    );
    ok(&r);
    let job = r
        .events
        .iter()
        .find_map(|e| match e {
            Event::JobPosted { job, .. } => Some(*job),
            _ => None,
        })
        .expect("JobPosted event");
    ok(&send(
        &c,
        PROVIDER_1,
        Payload::Bond {
            amount: 1_000 * E18,
        },
    ));
    ok(&send(
        &c,
        PROVIDER_1,
        Payload::Bid {
            job,
            price: 80 * E18,
        },
    ));
    std::thread::sleep(Duration::from_millis(5_500));
    ok(&send(&c, PROVIDER_1, Payload::CloseBidding { job }));
    ok(&send(
        &c,
        PROVIDER_1,
        Payload::Commit {
            job,
            result: CommitArgs {
                output_hash: Hash::keccak(b"outputs"),
                trace_root: Hash::keccak(b"trace"),
                steps: 4,
                ops_per_step: 8,
                receipt_version: 1,
            },
        },
    ));
    let t0 = balance(&c, &provider, tbill);
    std::thread::sleep(Duration::from_millis(1_200));
    let r = send(&c, BUYER, Payload::Settle { job });
    ok(&r);
    let converted = r
        .events
        .iter()
        .find_map(|e| match e {
            Event::SavingsConverted {
                account,
                from,
                to,
                amount_in,
                amount_out,
            } if *account == provider => Some((*from, *to, *amount_in, *amount_out)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no SavingsConverted for the provider: {:?}", r.events));
    assert_eq!((converted.0, converted.1), (VTY, tbill));
    assert!(converted.2 > 0 && converted.3 > 0, "{converted:?}");
    let t1 = balance(&c, &provider, tbill);
    assert_eq!(
        t1 - t0,
        converted.3,
        "the provider's TBILL rose by the converted amount"
    );

    // NAV accrued from the genesis yield (4.50%) over the whole days since genesis.
    let (okc, v) = run_json(&["--node", &node.url, "tbill", "nav"], &[]);
    assert!(okc, "{v}");
    let nav: u128 = v["nav_now"].as_str().unwrap().parse().unwrap();
    let now = c.status().unwrap().timestamp;
    let days = (now - verity_ledger::genesis::DEV_GENESIS_TIME) / DAY_MS;
    assert!(days > 0, "the devnet genesis lies in the past");
    let y = verity_ledger::oracle::DEV_INITIAL_YIELD;
    let expect = [days - 1, days].map(|d| accrue(WAD, y, d).unwrap());
    assert!(nav > WAD, "NAV above 1.00 after {days} days: {nav}");
    assert!(
        expect.contains(&nav),
        "NAV {nav} = 1.00 accrued over {days} days: {expect:?}"
    );
}
