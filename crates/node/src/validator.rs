//! Validator mode (issue 7): the node's p2p service and the BFT engine. It loads (or creates) the
//! node's `p2p.key` (its p2p identity and consensus signing key), joins the ledger's registered
//! p2p keys with the peers file (address → socket), and runs on Commonware's tokio runtime on its
//! own thread:
//!
//! - `verity_p2p`: transactions admitted over HTTP are gossiped to every peer, gossiped ones are
//!   admitted here (the same verification as HTTP), agent messages go through the HTTP routes of
//!   `http/agent.rs`, and the admitted peer set follows the ledger's registry;
//! - `verity_consensus::run_validator` on the same network's consensus channels, over
//!   [`NodeChain`](crate::bft::NodeChain): it proposes from the mempool and commits every
//!   finalized block through the core (the dev sequencer does not run in this mode). Marshal's
//!   and simplex's storage lives under `DATA_DIR/p2p-runtime/`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use commonware_runtime::{Clock, Runner, Spawner as _, Supervisor as _};
use verity_ledger::SignedTransaction;
use verity_p2p::{P2pConfig, P2pHandle, PeerBook, PeersFile, TxSink};
use verity_primitives::Address;

use crate::error::NodeError;
use crate::run::Shared;

/// Where the node's p2p network listens and who its peers are.
#[derive(Debug, Clone)]
pub struct P2pNodeConfig {
    /// Listen address for peers.
    pub listen: SocketAddr,
    /// Peers file (`[[peer]] address, socket`); `None`: no peers yet.
    pub peers_file: Option<PathBuf>,
    /// The validator's account key, which signs its double-sign reports; `None`: evidence is
    /// only logged.
    pub account_key: Option<verity_ledger::SecretKey>,
}

/// Most bytes of one block in validator mode (a transfer is ~400 bytes as the block encodes it).
const MAX_BLOCK_BYTES: usize = 4 * 1024 * 1024;

/// Messages per second per peer on each consensus channel. Commonware sizes each channel's
/// inbound queue as max peers × this burst, allocated up front (100,000 took 8 GB per node).
/// Simplex sends a handful of messages per view, so 512 leaves ample headroom.
const CONSENSUS_RATE: u32 = 512;

/// Connections beyond the registered peers at start-up (later registrations, restarts).
const SPARE_PEERS: usize = 16;

/// The running p2p thread.
pub(crate) struct P2pThread {
    pub(crate) handle: P2pHandle,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    admit: Option<JoinHandle<()>>,
}

impl P2pThread {
    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(t) = self.admit.take() {
            let _ = t.join();
        }
    }
}

impl Drop for P2pThread {
    fn drop(&mut self) {
        self.stop();
    }
}

struct ToAdmit(std::sync::Mutex<mpsc::Sender<Vec<Vec<u8>>>>);

impl TxSink for ToAdmit {
    fn deliver(&self, _from: Address, txs: Vec<Vec<u8>>) {
        let tx = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let _ = tx.send(txs);
    }
}

fn book(shared: &Shared, peers: &PeersFile) -> PeerBook {
    let registered = {
        let core = shared.lock_core();
        verity_ledger::validators::registered_peers(core.state())
    };
    PeerBook::new(peers.join(&registered))
}

/// Start the p2p service for `shared` (key in `data_dir/p2p.key`).
pub(crate) fn start(
    shared: Arc<Shared>,
    data_dir: &std::path::Path,
    config: &P2pNodeConfig,
) -> Result<P2pThread, NodeError> {
    let p2p_err = |e: verity_p2p::P2pError| NodeError::Io {
        context: "starting the p2p network".into(),
        source: std::io::Error::other(e.to_string()),
    };
    let (key, _) = verity_p2p::identity::load_or_create(data_dir).map_err(p2p_err)?;
    let peers = match &config.peers_file {
        Some(p) => PeersFile::load(p).map_err(p2p_err)?,
        None => PeersFile::default(),
    };
    let (max_txs, max_validators) = {
        let core = shared.lock_core();
        let params = verity_ledger::validators::consensus_params(core.state()).map_err(|e| {
            NodeError::Config(format!(
                "validator mode needs a [consensus] section in the genesis: {e}"
            ))
        })?;
        (core.config().max_block_txs, params.max_validators)
    };
    let registered = {
        let core = shared.lock_core();
        verity_ledger::validators::registered_peers(core.state()).len()
    };
    let limits = verity_consensus::BlockLimits {
        max_txs,
        max_bytes: MAX_BLOCK_BYTES,
    };
    let chain = crate::bft::NodeChain::new(shared.clone(), config.account_key)?;
    let mut validator = verity_consensus::ValidatorConfig::new(key.clone(), "consensus");
    validator.app.limits = limits;
    let mut p2p_config = P2pConfig::new(key, config.listen, shared.chain_id);
    let consensus_message =
        verity_consensus::max_message_size(max_validators.clamp(4, 1_000), &limits);
    p2p_config.max_message_size = p2p_config
        .max_message_size
        .max(u32::try_from(consensus_message + 64 * 1024).unwrap_or(u32::MAX));
    // Channel queues are sized by max peers (see CONSENSUS_RATE): no more than the network has.
    p2p_config.max_peers = p2p_config.max_peers.min(registered + SPARE_PEERS);
    p2p_config.extra_channels = verity_consensus::channels::ALL
        .iter()
        .map(|id| (*id, quota(CONSENSUS_RATE)))
        .collect();
    let (admit_tx, admit_rx) = mpsc::channel::<Vec<Vec<u8>>>();
    let sink: Arc<dyn TxSink> = Arc::new(ToAdmit(std::sync::Mutex::new(admit_tx)));
    let stop = Arc::new(AtomicBool::new(false));
    let (handle_tx, handle_rx) = mpsc::channel();
    let runtime_dir = data_dir.join("p2p-runtime");
    let thread = {
        let shared = shared.clone();
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("verity-p2p".into())
            .spawn(move || {
                let cfg = commonware_runtime::tokio::Config::new()
                    .with_worker_threads(1)
                    .with_storage_directory(runtime_dir);
                commonware_runtime::tokio::Runner::new(cfg).start(|context| async move {
                    let initial = book(&shared, &peers);
                    let mut started =
                        verity_p2p::start(context.child("p2p"), p2p_config, initial, sink);
                    let handle = started.handle.clone();
                    let _ = handle_tx.send(handle.clone());
                    let consensus = match consensus_channels(&mut started.channels) {
                        Some(channels) => {
                            let (peers, blocker) = (started.oracle.clone(), started.oracle.clone());
                            let fail_to = shared.clone();
                            Some(context.child("consensus").spawn(move |ctx| async move {
                                if let Err(e) = verity_consensus::run_validator(
                                    ctx, validator, channels, chain, peers, blocker,
                                )
                                .await
                                {
                                    fail_to.fail(NodeError::Halted(format!("consensus: {e}")));
                                }
                            }))
                        }
                        None => {
                            shared.fail(NodeError::Config(
                                "the p2p network did not register the consensus channels".into(),
                            ));
                            None
                        }
                    };
                    while !stop.load(Ordering::Acquire) {
                        context.sleep(Duration::from_millis(250)).await;
                        let s = shared.clone();
                        let b = book(&s, &peers);
                        handle.update_peers(b.entries().to_vec());
                    }
                    if let Some(c) = consensus {
                        c.abort();
                    }
                    started.network.abort();
                })
            })
            .map_err(|source| NodeError::Io {
                context: "starting the p2p thread".into(),
                source,
            })?
    };
    let handle = handle_rx
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| NodeError::Io {
            context: "starting the p2p network".into(),
            source: std::io::Error::other("the p2p runtime did not start within 30 s"),
        })?;
    let admit = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("verity-gossip-admit".into())
            .spawn(move || {
                while let Ok(batch) = admit_rx.recv() {
                    let txs: Vec<SignedTransaction> = batch
                        .iter()
                        .filter_map(|b| serde_json::from_slice(b).ok())
                        .collect();
                    if !txs.is_empty() {
                        let _ = shared.admit_batch(txs);
                    }
                }
            })
            .map_err(|source| NodeError::Io {
                context: "starting the gossip admission thread".into(),
                source,
            })?
    };
    Ok(P2pThread {
        handle,
        stop,
        thread: Some(thread),
        admit: Some(admit),
    })
}

fn quota(per_second: u32) -> commonware_runtime::Quota {
    commonware_runtime::Quota::per_second(
        std::num::NonZeroU32::new(per_second.max(1)).expect("max(1) is non-zero"),
    )
}

/// Take the consensus channels out of the network's registered extra channels.
fn consensus_channels<S, R>(
    registered: &mut std::collections::BTreeMap<u64, (S, R)>,
) -> Option<verity_consensus::ConsensusChannels<S, R>> {
    use verity_consensus::channels as ch;
    Some(verity_consensus::ConsensusChannels {
        votes: registered.remove(&ch::VOTES)?,
        certificates: registered.remove(&ch::CERTIFICATES)?,
        resolver: registered.remove(&ch::RESOLVER)?,
        broadcast: registered.remove(&ch::BROADCAST)?,
        backfill: registered.remove(&ch::BACKFILL)?,
    })
}
