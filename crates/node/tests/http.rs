//! In-process HTTP tests: a real node (store, sequencer thread, axum on a free loopback port)
//! driven through the typed client. Happy path (submit → durable receipt → account, block,
//! proof, events, metrics, OpenAPI) and every bad input the issue lists → a 4xx with a clear JSON
//! error, after which the node still serves and still commits.

use std::time::Duration;

use verity_api::client::BlockRef;
use verity_api::routes::{ROUTES, fill};
use verity_api::{ApiClient, ApiError, StreamEvent, TxState, codes};
use verity_ledger::tx::secret_key_from_bytes;
use verity_ledger::{
    ActorKind, Genesis, Payload, SecretKey, SignedTransaction, Transaction, TxStatus, address_of,
};
use verity_node::{NodeConfig, RunningNode};
use verity_primitives::{Address, TokenId};

struct Net {
    _dir: tempfile::TempDir,
    node: Option<RunningNode>,
    client: ApiClient,
    keys: Vec<SecretKey>,
    chain_id: u64,
}

impl Net {
    fn start() -> Self {
        let keys: Vec<SecretKey> = (1..=3u8)
            .map(|i| secret_key_from_bytes([i; 32]).expect("small constants are valid keys"))
            .collect();
        let addrs: Vec<Address> = keys.iter().map(address_of).collect();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = NodeConfig::new(
            dir.path(),
            Some(Genesis::dev(&addrs)),
            "127.0.0.1:0".parse().expect("addr"),
        );
        config.block_time = Duration::from_millis(50);
        let node = verity_node::start(config).expect("node starts");
        let client = ApiClient::new(&node.url());
        let chain_id = client.status().expect("status").chain_id;
        Self {
            _dir: dir,
            node: Some(node),
            client,
            keys,
            chain_id,
        }
    }

    fn addr(&self, i: usize) -> Address {
        address_of(&self.keys[i])
    }

    fn token(&self) -> TokenId {
        self.client
            .account(&self.addr(0))
            .expect("account")
            .balances
            .first()
            .expect("funded")
            .token
    }

    fn transfer(&self, from: usize, nonce: u64, amount: u128) -> SignedTransaction {
        let tx = Transaction {
            chain_id: self.chain_id,
            sender: self.addr(from),
            nonce,
            payload: Payload::Transfer {
                to: self.addr(2),
                token: self.token(),
                amount,
            },
        };
        SignedTransaction::sign(tx, &self.keys[from])
    }
}

fn expect_http(result: Result<impl std::fmt::Debug, ApiError>, status: u16, code: &str) -> String {
    match result {
        Err(ApiError::Http {
            status: s,
            code: c,
            message,
        }) => {
            assert_eq!((s, c.as_str()), (status, code), "message: {message}");
            assert!(!message.is_empty());
            message
        }
        other => panic!("expected HTTP {status} {code}, got {other:?}"),
    }
}

/// Subtract `s` from the secp256k1 group order (big-endian, 32 bytes).
fn negate_s(s: &[u8]) -> [u8; 32] {
    const N: [u8; 32] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36,
        0x41, 0x41,
    ];
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = N[i] as i16 - s[i] as i16 - borrow;
        borrow = if d < 0 {
            d += 256;
            1
        } else {
            0
        };
        out[i] = d as u8;
    }
    out
}

#[test]
fn happy_path_then_every_bad_input_gets_a_clear_4xx_and_the_node_keeps_serving() {
    let mut net = Net::start();
    let c = net.client.clone();

    // Events: subscribe before anything is committed.
    let events_client = c.clone();
    let (ev_tx, ev_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if let Ok(stream) = events_client.events() {
            for ev in stream.take(2) {
                if ev_tx.send(ev).is_err() {
                    return;
                }
            }
        }
    });
    std::thread::sleep(Duration::from_millis(100));

    // Happy path.
    let tokens = c.tokens().expect("tokens");
    assert!(
        tokens.tokens.iter().any(|t| t.info.symbol == "VTY"),
        "{tokens:?}"
    );
    let before = c.account(&net.addr(2)).expect("account");
    let tx = net.transfer(0, 0, 1234);
    let hash = c.submit_tx(&tx).expect("admitted");
    assert_eq!(hash, tx.hash());
    let got = c.tx(&hash, Some(Duration::from_secs(10))).expect("lookup");
    assert_eq!(got.status, TxState::Committed);
    let receipt = got.receipt.expect("receipt once durable");
    assert_eq!(receipt.status, TxStatus::Success);
    let after = c.account(&net.addr(2)).expect("account");
    let token = net.token();
    let bal = |a: &verity_api::AccountResponse| {
        a.balances
            .iter()
            .find(|b| b.token == token)
            .map_or(0, |b| b.amount)
    };
    assert_eq!(bal(&after), bal(&before) + 1234);
    assert_eq!(c.account(&net.addr(0)).expect("account").nonce, 1);
    assert!(
        c.account(&net.addr(0))
            .expect("account")
            .recent_txs
            .contains(&hash)
    );
    let block = c.block(BlockRef::Height(receipt.height)).expect("block");
    assert!(block.tx_hashes.contains(&hash));
    let latest = c.block(BlockRef::Latest).expect("latest");
    let status = c.status().expect("status");
    assert_eq!(latest.header.height, status.height);
    assert_eq!(latest.header.state_root, status.state_root);
    let proof = c.proof(&net.addr(2), "VTY").expect("proof");
    assert_eq!(
        proof
            .proof
            .verify(proof.state_root)
            .expect("proof verifies"),
        proof.balance
    );
    let by_id = c
        .proof(&net.addr(2), &proof.token.0.to_string())
        .expect("proof by id");
    assert_eq!(by_id.balance, proof.balance);
    let first = ev_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("an event")
        .expect("decodes");
    assert!(matches!(first, StreamEvent::Block { .. }), "{first:?}");
    let second = ev_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("an event")
        .expect("decodes");
    assert!(
        matches!(second, StreamEvent::Event { tx_hash, .. } if tx_hash == hash),
        "{second:?}"
    );
    let metrics = c.metrics().expect("metrics");
    assert!(
        metrics.contains("verity_txs_committed_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("verity_block_commit_seconds_bucket"),
        "{metrics}"
    );

    // Bad inputs.
    let msg = expect_http(c.submit_raw(b"{not json"), 400, codes::MALFORMED_JSON);
    assert!(msg.contains("JSON"), "{msg}");
    expect_http(
        c.submit_raw(br#"{"tx": {"chain_id": 1}}"#),
        400,
        codes::MALFORMED_JSON,
    );

    let mut wrong_chain = net.transfer(0, 1, 1).tx;
    wrong_chain.chain_id = net.chain_id + 7;
    let wrong_chain = SignedTransaction::sign(wrong_chain, &net.keys[0]);
    expect_http(c.submit_tx(&wrong_chain), 400, codes::WRONG_CHAIN_ID);

    let replay = net.transfer(0, 0, 99);
    expect_http(c.submit_tx(&replay), 400, codes::STALE_NONCE);
    expect_http(c.submit_tx(&tx), 400, codes::STALE_NONCE);

    let mut bad_sig = net.transfer(0, 1, 5);
    bad_sig.signature.0[5] ^= 0x40;
    expect_http(c.submit_tx(&bad_sig), 400, codes::BAD_SIGNATURE);

    let mut high_s = net.transfer(0, 1, 5);
    let s = negate_s(&high_s.signature.0[32..64]);
    high_s.signature.0[32..64].copy_from_slice(&s);
    high_s.signature.0[64] ^= 1; // 27 <-> 28 (or 0 <-> 1): the same key recovers
    expect_http(c.submit_tx(&high_s), 400, codes::HIGH_S);

    let huge = vec![b' '; 200 * 1024];
    expect_http(c.submit_raw(&huge), 413, codes::BODY_TOO_LARGE);

    let big_meta = Transaction {
        chain_id: net.chain_id,
        sender: net.addr(1),
        nonce: 0,
        payload: Payload::RegisterActor {
            kind: ActorKind::Human,
            metadata: "m".repeat(20 * 1024),
        },
    };
    let big_meta = SignedTransaction::sign(big_meta, &net.keys[1]);
    expect_http(c.submit_tx(&big_meta), 413, codes::OVERSIZED);

    let pending = net.transfer(0, 1, 5);
    // Duplicate while pending (or stale if it already committed) — either way a 4xx.
    c.submit_tx(&pending).expect("admitted");
    match c.submit_tx(&pending) {
        Err(ApiError::Http { status, code, .. }) => {
            assert!(status == 409 || status == 400, "{status} {code}");
        }
        other => panic!("duplicate accepted: {other:?}"),
    }
    assert_eq!(
        ureq_get_status(&format!("{}/v1/accounts/0x1234", c.base_url())),
        400
    );
    assert_eq!(
        ureq_get_status(&format!("{}/v1/no/such/route", c.base_url())),
        404
    );
    expect_http(c.block(BlockRef::Height(1_000_000)), 404, codes::NOT_FOUND);
    expect_http(c.proof(&net.addr(0), "NOPE"), 404, codes::NOT_FOUND);
    let unknown = c
        .tx(&verity_primitives::Hash([7; 32]), None)
        .expect("lookup");
    assert_eq!(unknown.status, TxState::Unknown);

    // Still serving, still committing.
    let got = c
        .tx(&pending.hash(), Some(Duration::from_secs(10)))
        .expect("lookup");
    assert_eq!(got.status, TxState::Committed);
    let next = net.transfer(0, 2, 1);
    let h = c.submit_tx(&next).expect("admitted");
    assert_eq!(
        c.tx(&h, Some(Duration::from_secs(10)))
            .expect("lookup")
            .status,
        TxState::Committed
    );

    net.node
        .take()
        .expect("running")
        .shutdown()
        .expect("clean shutdown");
}

#[test]
fn openapi_lists_every_route_and_every_route_is_served() {
    let mut net = Net::start();
    let c = net.client.clone();
    let doc = c.openapi().expect("openapi");
    assert_eq!(doc["openapi"], "3.0.3");
    let base = c.base_url().to_string();
    for r in ROUTES {
        assert!(
            doc["paths"][r.path][r.method.to_lowercase()].is_object(),
            "{} {} not documented",
            r.method,
            r.path
        );
        if r.method == "GET" && r.path != verity_api::routes::EVENTS {
            // Parameters filled with an address: some routes answer 400 (not a hash/height), but
            // none may be missing from the router (404/405).
            let url = format!("{base}{}", fill(r.path, &[&net.addr(0).to_string(), "VTY"]));
            // A handler may answer 404 for a missing item; the router's fallback says "no such route".
            let (status, text) = get_raw(&url);
            assert!(
                status != 405 && !text.contains("no such route"),
                "{url} is not routed: {status}"
            );
        }
    }
    net.node
        .take()
        .expect("running")
        .shutdown()
        .expect("clean shutdown");
}

fn ureq_get_status(url: &str) -> u16 {
    get_raw(url).0
}

fn get_raw(url: &str) -> (u16, String) {
    // Minimal HTTP/1.1 GET over a TcpStream: the raw status and response text.
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_at(rest.find('/').expect("path"));
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut buf = String::new();
    s.read_to_string(&mut buf).expect("read");
    let status = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status line");
    (status, buf)
}

#[test]
fn batch_submit_admits_in_order_and_reports_each_refusal() {
    let mut net = Net::start();
    let c = net.client.clone();
    let txs: Vec<SignedTransaction> = (0..50).map(|n| net.transfer(0, n, 1)).collect();
    let mut with_bad = txs.clone();
    with_bad.push(net.transfer(0, 0, 1)); // duplicate nonce of the first
    let resp = c.submit_txs(&with_bad).expect("batch");
    assert_eq!(resp.accepted, 50);
    assert_eq!(resp.results.len(), 51);
    assert!(resp.results[50].error.is_some());
    let last = txs.last().expect("non-empty").hash();
    assert_eq!(
        c.tx(&last, Some(Duration::from_secs(10)))
            .expect("lookup")
            .status,
        TxState::Committed
    );
    assert_eq!(c.account(&net.addr(0)).expect("account").nonce, 50);
    net.node
        .take()
        .expect("running")
        .shutdown()
        .expect("clean shutdown");
}

#[test]
fn clean_shutdown_keeps_every_acknowledged_tx_and_a_restart_resumes() {
    let keys: Vec<SecretKey> = (1..=3u8)
        .map(|i| secret_key_from_bytes([i; 32]).expect("small constants are valid keys"))
        .collect();
    let addrs: Vec<Address> = keys.iter().map(address_of).collect();
    let genesis = Genesis::dev(&addrs);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = || {
        let mut c = NodeConfig::new(
            dir.path(),
            Some(genesis.clone()),
            "127.0.0.1:0".parse().expect("addr"),
        );
        c.block_time = Duration::from_millis(20);
        c
    };
    let node = verity_node::start(config()).expect("node starts");
    let c = ApiClient::new(&node.url());
    let chain_id = c.status().expect("status").chain_id;
    let token = c.account(&addrs[0]).expect("account").balances[0].token;
    let txs: Vec<SignedTransaction> = (0..300)
        .map(|nonce| {
            let tx = Transaction {
                chain_id,
                sender: addrs[0],
                nonce,
                payload: Payload::Transfer {
                    to: addrs[1],
                    token,
                    amount: 1,
                },
            };
            SignedTransaction::sign(tx, &keys[0])
        })
        .collect();
    assert_eq!(c.submit_txs(&txs[..150]).expect("batch").accepted, 150);
    let acked = c
        .tx(&txs[149].hash(), Some(Duration::from_secs(10)))
        .expect("lookup");
    assert_eq!(acked.status, TxState::Committed);
    // More in flight while shutting down: they may or may not make it, but nothing acked is lost.
    assert_eq!(c.submit_txs(&txs[150..]).expect("batch").accepted, 150);
    let acked_hashes: Vec<_> = txs
        .iter()
        .filter(|t| {
            c.tx(&t.hash(), None)
                .map(|r| r.status == TxState::Committed)
                .unwrap_or(false)
        })
        .map(|t| t.hash())
        .collect();
    assert!(acked_hashes.len() >= 150);
    let height = c.status().expect("status").height;
    node.shutdown().expect("clean shutdown");
    assert!(c.status().is_err(), "the port is closed after shutdown");

    let node = verity_node::start(config()).expect("restart on the same data dir");
    let c = ApiClient::new(&node.url());
    let status = c.status().expect("status");
    assert!(
        status.height >= height,
        "resumed at {} < {height}",
        status.height
    );
    for h in &acked_hashes {
        assert_eq!(
            c.tx(h, None).expect("lookup").status,
            TxState::Committed,
            "acknowledged {h} lost"
        );
    }
    let nonce = c.account(&addrs[0]).expect("account").nonce;
    assert!(nonce as usize >= acked_hashes.len());
    // The chain continues from where it stopped.
    let next = SignedTransaction::sign(
        Transaction {
            chain_id,
            sender: addrs[0],
            nonce,
            payload: Payload::Transfer {
                to: addrs[1],
                token,
                amount: 1,
            },
        },
        &keys[0],
    );
    let h = c.submit_tx(&next).expect("admitted");
    assert_eq!(
        c.tx(&h, Some(Duration::from_secs(10)))
            .expect("lookup")
            .status,
        TxState::Committed
    );
    node.shutdown().expect("clean shutdown");
}
