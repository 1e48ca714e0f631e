//! Validator mode's network side: the node's p2p service (issue 7). It loads (or creates) the
//! node's `p2p.key`, joins the ledger's registered p2p keys with the peers file (address →
//! socket), and runs `verity_p2p` on Commonware's tokio runtime on its own thread: transactions
//! admitted over HTTP are gossiped to every peer, gossiped ones are admitted here (the same
//! verification as HTTP), agent messages go through the HTTP routes of `http/agent.rs`, and the
//! admitted peer set follows the ledger's registry (checked every second).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use commonware_runtime::{Clock, Runner, Supervisor as _};
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
}

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
    let p2p_config = P2pConfig::new(key, config.listen, shared.chain_id);
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
                    let started =
                        verity_p2p::start(context.child("p2p"), p2p_config, initial, sink);
                    let handle = started.handle.clone();
                    let _ = handle_tx.send(handle.clone());
                    while !stop.load(Ordering::Acquire) {
                        context.sleep(Duration::from_millis(250)).await;
                        let s = shared.clone();
                        let b = book(&s, &peers);
                        handle.update_peers(b.entries().to_vec());
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
