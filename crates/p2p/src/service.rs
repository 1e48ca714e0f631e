//! The p2p service: one Commonware authenticated `lookup` network per node (ed25519 identities,
//! SAKE handshake + ChaCha20-Poly1305 encrypted streams), generic over the runtime's traits so the
//! deterministic runtime drives it in tests and the tokio runtime in the binary. It registers the
//! consensus channels the caller asks for plus transaction gossip and agent messages, admits only
//! the peers in the [`PeerBook`] (the ledger's registered keys joined with where they listen),
//! and runs the gossip and messaging tasks. The node talks to it through a [`P2pHandle`], which
//! is safe to use from any thread.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use commonware_cryptography::{ChaCha20Poly1305, Signer, ed25519};
use commonware_p2p::authenticated::lookup;
use commonware_p2p::{
    AddressableManager, CheckedSender as _, LimitedSender as _, Receiver as _, Recipients,
};
use commonware_runtime::{
    Clock, Handle, IoBuf, Metrics, Network as RNetwork, Quota, Resolver, Spawner,
};
use commonware_stream::cups::{self, Cups};
use commonware_stream::sake::{self, Sake};
use commonware_utils::ordered::Map;
use futures::StreamExt as _;
use futures::channel::mpsc;
use rand_core::CryptoRng;
use serde::Serialize;
use verity_primitives::Address;

use crate::channels::{AGENT_MESSAGES, TX_GOSSIP};
use crate::error::P2pError;
use crate::gossip::{SeenSet, decode_batch, encode_batch, tx_key};
use crate::identity::public_key_bytes;
use crate::messaging::{self, AgentMessage, Inboxes, Outbox, ReceiveState, Verdict, Wire};
use crate::peers::{PeerBook, PeerEntry};

/// The public key type of every peer.
pub type PublicKey = ed25519::PublicKey;
/// A registered channel's sender.
pub type ChannelSender<E> = lookup::Sender<PublicKey, E>;
/// A registered channel's receiver.
pub type ChannelReceiver = lookup::Receiver<PublicKey>;
/// The network's peer-set oracle (also a `Provider` and `Blocker` for consensus components).
pub type Oracle = lookup::Oracle<PublicKey>;

/// What the runtime must provide.
pub trait P2pRuntime: Spawner + Clock + CryptoRng + RNetwork + Resolver + Metrics {}
impl<E: Spawner + Clock + CryptoRng + RNetwork + Resolver + Metrics> P2pRuntime for E {}

/// Where gossiped transactions go (the node's mempool admission). Called from the p2p task with
/// each new batch (already deduplicated); implementations should hand off, not block.
pub trait TxSink: Send + Sync + 'static {
    /// New transactions (their JSON bytes) received from `from`.
    fn deliver(&self, from: Address, txs: Vec<Vec<u8>>);
}

/// How to run the network.
#[derive(Clone)]
pub struct P2pConfig {
    /// This node's identity.
    pub signer: ed25519::PrivateKey,
    /// Where to listen for peers.
    pub listen: SocketAddr,
    /// Namespace of the handshake (distinct per chain, e.g. `verity.p2p.<chain id>`).
    pub namespace: Vec<u8>,
    /// Largest message on any channel, bytes.
    pub max_message_size: u32,
    /// Most peers in one peer set.
    pub max_peers: usize,
    /// Transactions remembered for gossip dedup.
    pub seen_capacity: usize,
    /// Messages held per recipient inbox.
    pub inbox_capacity: usize,
    /// Gossip messages per second per peer.
    pub gossip_rate: u32,
    /// Agent messages per second per peer.
    pub agent_rate: u32,
    /// Extra channels to register (consensus), with their per-peer quota.
    pub extra_channels: Vec<(u64, Quota)>,
    /// Allow loopback/private IPs (local testnets).
    pub local: bool,
}

impl P2pConfig {
    /// Defaults for a chain: 4 MiB messages, 128 peers, 100k remembered transactions, 1024
    /// messages per inbox, local addresses allowed.
    pub fn new(signer: ed25519::PrivateKey, listen: SocketAddr, chain_id: u64) -> Self {
        Self {
            signer,
            listen,
            namespace: format!("verity.p2p.{chain_id}").into_bytes(),
            max_message_size: 4 * 1024 * 1024,
            max_peers: 128,
            seen_capacity: 100_000,
            inbox_capacity: 1024,
            gossip_rate: 2_000,
            agent_rate: 1_000,
            extra_channels: Vec::new(),
            local: true,
        }
    }
}

fn quota(per_second: u32) -> Quota {
    Quota::per_second(std::num::NonZeroU32::new(per_second.max(1)).expect("max(1) is non-zero"))
}

/// Counters of what the service did.
#[derive(Debug, Default)]
struct Counters {
    gossip_sent_txs: AtomicU64,
    gossip_received_txs: AtomicU64,
    gossip_duplicates: AtomicU64,
    gossip_refused: AtomicU64,
    messages_sent: AtomicU64,
    messages_received: AtomicU64,
    messages_refused: AtomicU64,
}

/// A snapshot of the service's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct P2pStats {
    /// Transactions this node sent to peers (first seen here).
    pub gossip_sent_txs: u64,
    /// New transactions received from peers.
    pub gossip_received_txs: u64,
    /// Transactions received again and dropped.
    pub gossip_duplicates: u64,
    /// Gossip refused (unregistered sender or malformed batch).
    pub gossip_refused: u64,
    /// Agent messages sent.
    pub messages_sent: u64,
    /// Agent messages delivered to an inbox.
    pub messages_received: u64,
    /// Agent messages refused (unregistered sender, not for us, malformed, inbox full).
    pub messages_refused: u64,
}

/// How often unacknowledged agent messages are sent again.
const RESEND_EVERY: Duration = Duration::from_millis(500);

struct Inner {
    local_key: PublicKey,
    book: RwLock<PeerBook>,
    inbox: Mutex<Inboxes>,
    seen: Mutex<SeenSet>,
    gossip_out: Mutex<mpsc::Sender<Vec<u8>>>,
    agent_out: Mutex<mpsc::Sender<(Address, u64)>>,
    outbox: Mutex<Outbox>,
    received: Mutex<ReceiveState>,
    oracle: Mutex<Oracle>,
    peer_set: AtomicU64,
    counters: Counters,
    max_message: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the data consistent; a panic elsewhere cannot tear it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The node's handle on the running p2p service (cheap to clone, usable from any thread).
#[derive(Clone)]
pub struct P2pHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for P2pHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("P2pHandle")
            .field("local_key", &hex::encode(self.local_key()))
            .finish()
    }
}

/// What [`start`] returns.
pub struct Started<E: P2pRuntime> {
    /// The handle for gossip, messaging and peer updates.
    pub handle: P2pHandle,
    /// The extra (consensus) channels, by id.
    pub channels: BTreeMap<u64, (ChannelSender<E>, ChannelReceiver)>,
    /// The peer-set oracle (give a clone to consensus components that need a provider/blocker).
    pub oracle: Oracle,
    /// The network task.
    pub network: Handle<()>,
}

/// Build the network, register its channels, admit `book`'s peers, start it and the gossip and
/// messaging tasks.
pub fn start<E: P2pRuntime>(
    mut context: E,
    config: P2pConfig,
    book: PeerBook,
    sink: Arc<dyn TxSink>,
) -> Started<E> {
    let handshake = Cups::<_, ChaCha20Poly1305>::new(
        Sake {
            signer: config.signer.clone(),
            synchrony_bound: Duration::from_secs(5),
            max_handshake_age: Duration::from_secs(10),
            version: sake::Version::V1,
        },
        cups::Version::V1,
    );
    let max_peers = std::num::NonZeroUsize::new(config.max_peers.max(2)).expect("max(2) > 0");
    let mailbox = std::num::NonZeroUsize::new(4096).expect("non-zero");
    let mut net_cfg = if config.local {
        lookup::Config::local(
            handshake,
            &config.namespace,
            config.listen,
            max_peers,
            config.max_message_size,
            mailbox,
        )
    } else {
        lookup::Config::recommended(
            handshake,
            &config.namespace,
            config.listen,
            max_peers,
            config.max_message_size,
            mailbox,
        )
    };
    // Peers restart often on a testnet; reconnect quickly. The dial period must differ from the
    // cooldown: when equal, two peers dialing each other stay in lockstep and never connect.
    net_cfg.peer_connection_cooldown = Duration::from_millis(250);
    net_cfg.dial_frequency = Duration::from_millis(200);
    if config.local {
        // Every local peer dials from 127.0.0.1: the per-IP handshake budget is shared by all.
        net_cfg.allowed_handshake_rate_per_ip = quota(128);
        net_cfg.allowed_handshake_rate_per_subnet = quota(256);
    }
    let (mut network, oracle) = lookup::Network::new(context.child("network"), net_cfg);
    let mut channels = BTreeMap::new();
    for (id, q) in &config.extra_channels {
        channels.insert(*id, network.register(*id, *q));
    }
    let (gossip_tx, gossip_rx) = network.register(TX_GOSSIP, quota(config.gossip_rate));
    let (agent_tx, agent_rx) = network.register(AGENT_MESSAGES, quota(config.agent_rate));
    let (gossip_out, gossip_queue) = mpsc::channel(65_536);
    let (agent_out, agent_queue) = mpsc::channel(1024);
    let session = context.next_u64();
    let handle = P2pHandle {
        inner: Arc::new(Inner {
            local_key: config.signer.public_key(),
            book: RwLock::new(PeerBook::default()),
            inbox: Mutex::new(Inboxes::new(config.inbox_capacity)),
            seen: Mutex::new(SeenSet::new(config.seen_capacity)),
            gossip_out: Mutex::new(gossip_out),
            agent_out: Mutex::new(agent_out),
            outbox: Mutex::new(Outbox::new(session, config.inbox_capacity)),
            received: Mutex::new(ReceiveState::default()),
            oracle: Mutex::new(oracle.clone()),
            peer_set: AtomicU64::new(0),
            counters: Counters::default(),
            max_message: config.max_message_size as usize,
        }),
    };
    handle.update_peers(book.entries().to_vec());
    let net = network.start();
    let h = handle.clone();
    context
        .child("gossip_out")
        .spawn(move |ctx| gossip_sender(ctx, h, gossip_tx, gossip_queue));
    let h = handle.clone();
    context
        .child("gossip_in")
        .spawn(move |_| gossip_receiver(h, gossip_rx, sink));
    let h = handle.clone();
    let tx = agent_tx.clone();
    context
        .child("agent_out")
        .spawn(move |ctx| agent_sender(ctx, h, tx, agent_queue));
    let h = handle.clone();
    let tx = agent_tx.clone();
    context
        .child("agent_resend")
        .spawn(move |ctx| agent_resender(ctx, h, tx));
    let h = handle.clone();
    context
        .child("agent_in")
        .spawn(move |ctx| agent_receiver(ctx, h, agent_rx, agent_tx));
    Started {
        handle,
        channels,
        oracle,
        network: net,
    }
}

impl P2pHandle {
    /// This node's p2p public key.
    pub fn local_key(&self) -> [u8; 32] {
        public_key_bytes(&self.inner.local_key)
    }

    /// The ledger address that registered this node's key, if one did.
    pub fn local_address(&self) -> Option<Address> {
        self.book().address_of(&self.inner.local_key)
    }

    fn book(&self) -> std::sync::RwLockReadGuard<'_, PeerBook> {
        self.inner.book.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Replace the registry view and, when the set of dialable peers changed, give the network a
    /// new peer set (peers not in it are disconnected and refused). Returns whether it changed.
    pub fn update_peers(&self, entries: Vec<PeerEntry>) -> bool {
        let new_book = PeerBook::new(entries);
        let new_dialable = new_book.dialable();
        let changed = {
            let mut book = self.inner.book.write().unwrap_or_else(|e| e.into_inner());
            let changed =
                self.inner.peer_set.load(Ordering::Acquire) == 0 || book.dialable() != new_dialable;
            *book = new_book;
            changed
        };
        if changed {
            let index = self.inner.peer_set.fetch_add(1, Ordering::AcqRel);
            let map = Map::from_iter_dedup(
                new_dialable
                    .into_iter()
                    .map(|(pk, socket)| (pk, commonware_p2p::Address::from(socket))),
            );
            let _ = lock(&self.inner.oracle).track(index, map);
        }
        changed
    }

    /// The registered peers as this node knows them.
    pub fn peers(&self) -> Vec<PeerEntry> {
        self.book().entries().to_vec()
    }

    /// Gossip a transaction (its JSON bytes) to every peer. Returns false when it was already
    /// seen (received from a peer or published before): then nothing is sent.
    pub fn publish_tx(&self, bytes: Vec<u8>) -> Result<bool, P2pError> {
        if bytes.len() + 8 > self.inner.max_message {
            return Err(P2pError::TooLarge {
                len: bytes.len(),
                max: self.inner.max_message - 8,
            });
        }
        if !lock(&self.inner.seen).insert(tx_key(&bytes)) {
            return Ok(false);
        }
        match lock(&self.inner.gossip_out).try_send(bytes) {
            Ok(()) => Ok(true),
            Err(e) if e.is_full() => Err(P2pError::Busy("gossip")),
            Err(_) => Err(P2pError::Stopped),
        }
    }

    /// Send `body` to the agent registered as `to`: queued in order and sent now, then resent
    /// until the recipient acknowledges it. Returns its sequence number towards `to`.
    pub fn send_message(&self, to: Address, body: &[u8]) -> Result<u64, P2pError> {
        messaging::check_size(body, self.inner.max_message)?;
        if self.local_address().is_none() {
            return Err(P2pError::NotRegistered(hex::encode(self.local_key())));
        }
        if self.book().key_of(&to).is_none() {
            return Err(P2pError::UnknownRecipient(to));
        }
        let seq = lock(&self.inner.outbox)
            .queue(to, body)
            .ok_or(P2pError::Busy("agent outbox"))?;
        self.inner
            .counters
            .messages_sent
            .fetch_add(1, Ordering::Relaxed);
        // When the immediate queue is full the resend timer carries it.
        let _ = lock(&self.inner.agent_out).try_send((to, seq));
        Ok(seq)
    }

    /// Messages to `to` not yet acknowledged.
    pub fn unacked(&self, to: &Address) -> usize {
        lock(&self.inner.outbox).pending(to)
    }

    /// Take up to `max` messages waiting for this node's agent, oldest first.
    pub fn recv_messages(&self, max: usize) -> Result<Vec<AgentMessage>, P2pError> {
        let me = self
            .local_address()
            .ok_or_else(|| P2pError::NotRegistered(hex::encode(self.local_key())))?;
        Ok(lock(&self.inner.inbox).take(&me, max))
    }

    /// The counters.
    pub fn stats(&self) -> P2pStats {
        let c = &self.inner.counters;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        P2pStats {
            gossip_sent_txs: g(&c.gossip_sent_txs),
            gossip_received_txs: g(&c.gossip_received_txs),
            gossip_duplicates: g(&c.gossip_duplicates),
            gossip_refused: g(&c.gossip_refused),
            messages_sent: g(&c.messages_sent),
            messages_received: g(&c.messages_received),
            messages_refused: g(&c.messages_refused),
        }
    }
}

/// Send `msg` to `to`, waiting out the channel's rate limit (a few times at most). Returns the
/// peers it was handed to.
async fn send_limited<E: P2pRuntime>(
    ctx: &E,
    sender: &mut ChannelSender<E>,
    to: Recipients<PublicKey>,
    msg: Vec<u8>,
) -> Vec<PublicKey> {
    for _ in 0..50 {
        match sender.check(to.clone()) {
            Ok(checked) => {
                let recipients = checked.recipients();
                if recipients.is_empty() {
                    return recipients;
                }
                return if checked.send(IoBuf::from(msg), false).accepted() {
                    recipients
                } else {
                    Vec::new()
                };
            }
            Err(until) => ctx.sleep_until(until).await,
        }
    }
    Vec::new()
}

async fn gossip_sender<E: P2pRuntime>(
    ctx: E,
    handle: P2pHandle,
    mut sender: ChannelSender<E>,
    mut queue: mpsc::Receiver<Vec<u8>>,
) {
    // Leave room for the batch framing under the network's message limit.
    let limit = handle.inner.max_message.saturating_sub(64).max(1);
    let mut carry: Option<Vec<u8>> = None;
    loop {
        let first = match carry.take() {
            Some(t) => t,
            None => match queue.next().await {
                Some(t) => t,
                None => return,
            },
        };
        let mut size = 4 + 4 + first.len();
        let mut batch = vec![first];
        while let Ok(tx) = queue.try_recv() {
            if size + 4 + tx.len() > limit {
                carry = Some(tx);
                break;
            }
            size += 4 + tx.len();
            batch.push(tx);
        }
        let n = batch.len() as u64;
        let sent = send_limited(&ctx, &mut sender, Recipients::All, encode_batch(&batch)).await;
        if !sent.is_empty() {
            handle
                .inner
                .counters
                .gossip_sent_txs
                .fetch_add(n, Ordering::Relaxed);
        }
    }
}

async fn gossip_receiver(handle: P2pHandle, mut receiver: ChannelReceiver, sink: Arc<dyn TxSink>) {
    let c = &handle.inner.counters;
    while let Ok((from, bytes)) = receiver.recv().await {
        let Some(from) = handle.book().address_of(&from) else {
            c.gossip_refused.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let txs = match decode_batch(bytes.as_ref(), 1 << 20) {
            Ok(t) => t,
            Err(_) => {
                c.gossip_refused.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let total = txs.len() as u64;
        let fresh: Vec<Vec<u8>> = {
            let mut seen = lock(&handle.inner.seen);
            txs.into_iter().filter(|t| seen.insert(tx_key(t))).collect()
        };
        c.gossip_duplicates
            .fetch_add(total - fresh.len() as u64, Ordering::Relaxed);
        if !fresh.is_empty() {
            c.gossip_received_txs
                .fetch_add(fresh.len() as u64, Ordering::Relaxed);
            sink.deliver(from, fresh);
        }
    }
}

async fn agent_sender<E: P2pRuntime>(
    ctx: E,
    handle: P2pHandle,
    mut sender: ChannelSender<E>,
    mut queue: mpsc::Receiver<(Address, u64)>,
) {
    while let Some((to, seq)) = queue.next().await {
        let key = handle.book().key_of(&to).cloned();
        let wire = lock(&handle.inner.outbox).wire(&to, seq);
        if let (Some(pk), Some(wire)) = (key, wire) {
            send_limited(&ctx, &mut sender, Recipients::One(pk), wire).await;
        }
    }
}

async fn agent_resender<E: P2pRuntime>(ctx: E, handle: P2pHandle, mut sender: ChannelSender<E>) {
    loop {
        ctx.sleep(RESEND_EVERY).await;
        let unacked = lock(&handle.inner.outbox).unacked();
        for (to, pending) in unacked {
            let Some(pk) = handle.book().key_of(&to).cloned() else {
                continue;
            };
            for wire in pending {
                if send_limited(&ctx, &mut sender, Recipients::One(pk.clone()), wire)
                    .await
                    .is_empty()
                {
                    break;
                }
            }
        }
    }
}

async fn agent_receiver<E: P2pRuntime>(
    ctx: E,
    handle: P2pHandle,
    mut receiver: ChannelReceiver,
    mut sender: ChannelSender<E>,
) {
    let c = &handle.inner.counters;
    while let Ok((from_key, bytes)) = receiver.recv().await {
        let (from, local) = {
            let book = handle.book();
            (
                book.address_of(&from_key),
                book.address_of(&handle.inner.local_key),
            )
        };
        let Some(from) = from else {
            c.messages_refused.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        match messaging::decode(bytes.as_ref()) {
            Ok(Wire::Ack { session, next }) => {
                lock(&handle.inner.outbox).ack(&from, session, next);
                continue;
            }
            Ok(Wire::Data { to, .. }) if Some(to) != local => {
                c.messages_refused.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Ok(Wire::Data {
                to,
                session,
                base,
                seq,
                body,
            }) => {
                let ack = {
                    let mut state = lock(&handle.inner.received);
                    match state.verdict(from, session, base, seq) {
                        Verdict::Deliver => {
                            let msg = AgentMessage {
                                from,
                                to,
                                seq,
                                body,
                            };
                            if lock(&handle.inner.inbox).push(msg).is_ok() {
                                state.delivered(from, session, seq);
                                c.messages_received.fetch_add(1, Ordering::Relaxed);
                            } else {
                                c.messages_refused.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Verdict::Duplicate | Verdict::Gap => {}
                    }
                    state.ack(&from)
                };
                if let Some((session, next)) = ack {
                    send_limited(
                        &ctx,
                        &mut sender,
                        Recipients::One(from_key),
                        messaging::encode_ack(session, next),
                    )
                    .await;
                }
            }
            Err(_) => {
                c.messages_refused.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
