//! Deterministic-runtime tests of the real authenticated network (Commonware `lookup` over the
//! deterministic runtime's in-memory sockets): gossip reaches every node once, agent messages
//! arrive in order with the registered sender's address, an unregistered peer is refused, and
//! the same seed gives the same outcome twice.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use commonware_runtime::{Clock, Runner, Supervisor, deterministic};
use verity_p2p::identity::{from_seed_bytes, public_of};
use verity_p2p::{P2pConfig, P2pHandle, PeerBook, PeerEntry, TxSink};
use verity_primitives::Address;

#[derive(Default)]
struct Collect(Mutex<Vec<(Address, Vec<u8>)>>);

impl TxSink for Collect {
    fn deliver(&self, from: Address, txs: Vec<Vec<u8>>) {
        let mut g = self.0.lock().expect("test lock");
        for t in txs {
            g.push((from, t));
        }
    }
}

fn socket(i: usize) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 3000 + i as u16))
}

fn entry(i: usize) -> PeerEntry {
    PeerEntry {
        address: Address([i as u8 + 1; 20]),
        key: public_of(&from_seed_bytes([i as u8 + 1; 32])),
        socket: Some(socket(i)),
    }
}

struct Node {
    handle: P2pHandle,
    sink: Arc<Collect>,
}

/// Start node `i` admitting `registered` (the ledger's view).
fn start_node(ctx: &deterministic::Context, i: usize, registered: &[PeerEntry]) -> Node {
    let sink = Arc::new(Collect::default());
    let cfg = P2pConfig::new(from_seed_bytes([i as u8 + 1; 32]), socket(i), 7);
    let started = verity_p2p::start(
        ctx.child("node").with_attribute("index", i),
        cfg,
        PeerBook::new(registered.to_vec()),
        sink.clone(),
    );
    Node {
        handle: started.handle,
        sink,
    }
}

/// Wait (in simulated time) until `f` holds, at most `secs` simulated seconds.
async fn wait_until(ctx: &deterministic::Context, secs: u64, mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..secs * 10 {
        if f() {
            return true;
        }
        ctx.sleep(Duration::from_millis(100)).await;
    }
    f()
}

/// Send until the network accepts (links come up a little after start).
async fn send_when_connected(
    ctx: &deterministic::Context,
    from: &P2pHandle,
    to: Address,
    body: Vec<u8>,
) -> u64 {
    let seq = from.send_message(to, &body).expect("queued");
    for _ in 0..300 {
        if from.unacked(&to) == 0 {
            return seq;
        }
        ctx.sleep(Duration::from_millis(100)).await;
    }
    panic!("{to} never acknowledged: {:?}", from.stats());
}

fn gossip_run(seed: u64) -> Vec<Vec<(Address, Vec<u8>)>> {
    deterministic::Runner::seeded(seed).start(|ctx| async move {
        let registered: Vec<PeerEntry> = (0..4).map(entry).collect();
        let nodes: Vec<Node> = (0..4).map(|i| start_node(&ctx, i, &registered)).collect();
        // Wait until node 0 can reach everyone (a message to each proves the link).
        for j in 1..4 {
            send_when_connected(&ctx, &nodes[0].handle, entry(j).address, b"hi".to_vec()).await;
        }
        for n in 0..20u8 {
            assert!(nodes[0].handle.publish_tx(vec![n; 100]).expect("queued"));
        }
        // The same tx again from node 0: already seen, not sent.
        assert!(!nodes[0].handle.publish_tx(vec![0; 100]).expect("ok"));
        let ok = wait_until(&ctx, 30, || {
            (1..4).all(|j| nodes[j].sink.0.lock().expect("lock").len() >= 20)
        })
        .await;
        assert!(ok, "every node got the 20 transactions");
        // Node 2 re-publishes one it received, node 3 publishes a new one: a tx submitted to a
        // second node is not gossiped again, a new one reaches everyone (node 0 included).
        assert!(!nodes[2].handle.publish_tx(vec![5; 100]).expect("ok"));
        assert!(nodes[3].handle.publish_tx(vec![99; 10]).expect("ok"));
        let ok = wait_until(&ctx, 30, || {
            (0..3).all(|j| {
                nodes[j]
                    .sink
                    .0
                    .lock()
                    .expect("lock")
                    .iter()
                    .any(|(_, t)| t == &vec![99; 10])
            })
        })
        .await;
        assert!(ok, "node 3's transaction reached the others");
        ctx.sleep(Duration::from_secs(2)).await;
        let got: Vec<Vec<(Address, Vec<u8>)>> = nodes
            .iter()
            .map(|n| n.sink.0.lock().expect("lock").clone())
            .collect();
        for (j, txs) in got.iter().enumerate() {
            let mut keys: Vec<&Vec<u8>> = txs.iter().map(|(_, t)| t).collect();
            let before = keys.len();
            keys.sort();
            keys.dedup();
            assert_eq!(before, keys.len(), "node {j} got a transaction twice");
        }
        assert_eq!(got[0].len(), 1, "node 0 receives only node 3's tx");
        for txs in &got[1..3] {
            assert_eq!(txs.len(), 21);
            assert!(txs[..20].iter().all(|(from, _)| *from == entry(0).address));
        }
        assert_eq!(got[3].len(), 20);
        got
    })
}

#[test]
fn gossip_reaches_every_node_once_and_is_deterministic() {
    let a = gossip_run(1);
    let b = gossip_run(1);
    assert_eq!(a, b, "same seed, same deliveries");
}

fn messaging_run(seed: u64) -> (Vec<(Address, u64, Vec<u8>)>, u64) {
    deterministic::Runner::seeded(seed).start(|ctx| async move {
        let registered: Vec<PeerEntry> = (0..3).map(entry).collect();
        let nodes: Vec<Node> = (0..3).map(|i| start_node(&ctx, i, &registered)).collect();
        let to = entry(1).address;
        let first = send_when_connected(&ctx, &nodes[0].handle, to, b"msg 0".to_vec()).await;
        for n in 1..50 {
            let seq = nodes[0]
                .handle
                .send_message(to, format!("msg {n}").as_bytes())
                .expect("queued");
            assert_eq!(seq, first + n);
        }
        // A message from node 2 interleaves but node 0's stay in order.
        send_when_connected(&ctx, &nodes[2].handle, to, b"from 2".to_vec()).await;
        let mut got = Vec::new();
        let ok = wait_until(&ctx, 30, || {
            got.extend(
                nodes[1]
                    .handle
                    .recv_messages(1000)
                    .expect("node 1 is registered"),
            );
            got.len() >= 51
        })
        .await;
        assert!(
            ok,
            "all 51 messages arrived, got {}: {:?}",
            got.len(),
            got.iter().map(|m| (m.from.0[0], m.seq)).collect::<Vec<_>>()
        );
        let from0: Vec<&verity_p2p::AgentMessage> =
            got.iter().filter(|m| m.from == entry(0).address).collect();
        assert_eq!(from0.len(), 50);
        for (n, m) in from0.iter().enumerate() {
            assert_eq!(m.body, format!("msg {n}").into_bytes(), "in order");
            assert_eq!(m.to, to);
        }
        assert!(
            got.iter()
                .any(|m| m.from == entry(2).address && m.body == b"from 2")
        );
        // Node 0's inbox is empty; node 1 has nothing left.
        assert!(nodes[0].handle.recv_messages(10).expect("ok").is_empty());
        assert!(nodes[1].handle.recv_messages(10).expect("ok").is_empty());
        let now = ctx
            .current()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after epoch")
            .as_millis() as u64;
        (
            got.into_iter().map(|m| (m.from, m.seq, m.body)).collect(),
            now,
        )
    })
}

#[test]
fn agent_messages_arrive_in_order_and_are_deterministic() {
    let a = messaging_run(3);
    let b = messaging_run(3);
    assert_eq!(a, b, "same seed, same messages at the same simulated time");
}

#[test]
fn unregistered_peer_is_refused() {
    deterministic::Runner::seeded(5).start(|ctx| async move {
        // Nodes 0 and 1 are registered; node 2 is not (the ledger has no key for it), but it
        // knows their addresses and believes itself registered.
        let registered: Vec<PeerEntry> = (0..2).map(entry).collect();
        let mut all = registered.clone();
        all.push(entry(2));
        let n0 = start_node(&ctx, 0, &registered);
        let n1 = start_node(&ctx, 1, &registered);
        let intruder = start_node(&ctx, 2, &all);
        // The registered pair connects.
        send_when_connected(&ctx, &n1.handle, entry(0).address, b"ok".to_vec()).await;
        // The intruder is never admitted: every send fails, nothing reaches node 0.
        for _ in 0..50 {
            let _ = intruder.handle.send_message(entry(0).address, b"let me in");
            let _ = intruder.handle.publish_tx(vec![42; 8]);
            ctx.sleep(Duration::from_millis(200)).await;
        }
        let inbox = n0.handle.recv_messages(100).expect("registered");
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].from, entry(1).address);
        assert!(
            n0.sink.0.lock().expect("lock").is_empty(),
            "no gossip from the intruder"
        );
        assert!(
            intruder.handle.unacked(&entry(0).address) > 0,
            "never acknowledged"
        );
        // Node 0 cannot address the intruder either: no registered key.
        let err = n0
            .handle
            .send_message(entry(2).address, b"x")
            .expect_err("unknown recipient");
        assert!(err.to_string().contains("no registered p2p key"), "{err}");
    });
}
