//! Running a node: configuration, the dev sequencer thread that drives the core (seal every
//! `block_time`, or at once when a full block is waiting), the tokio runtime serving HTTP, and
//! clean shutdown (stop accepting, end streams, let the block being committed finish, exit).
//!
//! The core sits behind one mutex. Submissions verify signatures on the blocking pool before
//! taking it and hold it only to insert into the mempool; the sequencer holds it for one
//! seal (execute + fsync). Block and receipt reads go to the store directly (redb MVCC).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{broadcast, watch};
use verity_api::StreamEvent;
use verity_ledger::{Genesis, SignedTransaction};
use verity_primitives::{Hash, Timestamp};
use verity_store::Store;

use crate::core::{CommittedBlock, CoreConfig, NodeCore, VerifiedTx};
use crate::error::{NodeError, SubmitError};
use crate::mempool::MempoolConfig;
use crate::metrics::Metrics;

/// Name of the database file inside the data dir.
pub const DB_FILE: &str = "chain.redb";

/// How to run a node.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Folder holding the database (created if missing).
    pub data_dir: PathBuf,
    /// The chain's genesis. `None` resumes the chain stored in `data_dir` (an error if empty).
    pub genesis: Option<Genesis>,
    /// Address to serve HTTP on, e.g. `127.0.0.1:8645` (port 0 picks a free one).
    pub http_addr: SocketAddr,
    /// Seal a block this often when transactions wait (default 500 ms).
    pub block_time: Duration,
    /// Most transactions per block; `None` takes the genesis parameter.
    pub max_block_txs: Option<usize>,
    /// Mempool bounds.
    pub mempool: MempoolConfig,
    /// Body limit of `POST /v1/tx`, bytes.
    pub max_tx_body: usize,
    /// Body limit of `POST /v1/txs`, bytes.
    pub max_batch_body: usize,
    /// Longest `wait_ms` honoured by `GET /v1/tx/{hash}`.
    pub max_wait: Duration,
    /// Body limit of `PUT /v1/blobs/{hash}` (content store, issue 4), bytes.
    pub max_blob_body: usize,
    /// Validator mode's p2p network (issue 7); `None` runs without peers.
    pub p2p: Option<crate::validator::P2pNodeConfig>,
}

impl NodeConfig {
    /// A configuration with defaults for everything but where the data lives, the genesis and
    /// the HTTP address.
    pub fn new(
        data_dir: impl Into<PathBuf>,
        genesis: Option<Genesis>,
        http_addr: SocketAddr,
    ) -> Self {
        Self {
            data_dir: data_dir.into(),
            genesis,
            http_addr,
            block_time: Duration::from_millis(500),
            max_block_txs: None,
            mempool: MempoolConfig::default(),
            max_tx_body: 64 * 1024,
            max_batch_body: 32 * 1024 * 1024,
            max_wait: Duration::from_secs(30),
            max_blob_body: 64 * 1024 * 1024,
            p2p: None,
        }
    }

    /// The database file this node uses.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join(DB_FILE)
    }
}

/// Open (or create) the chain in `config.data_dir` and return its core.
pub fn open_core(config: &NodeConfig) -> Result<NodeCore, NodeError> {
    let store = Store::open(config.db_path())?;
    let core_config = |g: &Genesis| {
        let mut c = CoreConfig::from_genesis(g);
        if let Some(n) = config.max_block_txs {
            c.max_block_txs = n.max(1);
        }
        c.mempool = config.mempool;
        c
    };
    match &config.genesis {
        Some(g) => NodeCore::open(store, g, core_config(g)),
        None => NodeCore::open_existing(store, core_config),
    }
}

pub(crate) struct Limits {
    pub(crate) max_tx_body: usize,
    pub(crate) max_batch_body: usize,
    pub(crate) max_wait: Duration,
    pub(crate) max_blob_body: usize,
}

enum Wake {
    Full,
    Shutdown,
}

/// What the HTTP handlers and the sequencer share.
pub(crate) struct Shared {
    core: Mutex<NodeCore>,
    pub(crate) store: Arc<Store>,
    pub(crate) chain_id: u64,
    max_block_txs: usize,
    pub(crate) events: broadcast::Sender<Arc<StreamEvent>>,
    pub(crate) committed: watch::Sender<u64>,
    pub(crate) shutdown: watch::Sender<bool>,
    wake: Mutex<mpsc::Sender<Wake>>,
    wake_pending: AtomicBool,
    pub(crate) metrics: Metrics,
    pub(crate) limits: Limits,
    /// Content store folder (issue 4).
    pub(crate) blob_dir: std::path::PathBuf,
    failure: Mutex<Option<NodeError>>,
    /// The p2p network in validator mode (issue 7): gossip of admitted txs, agent messages.
    pub(crate) p2p: std::sync::OnceLock<verity_p2p::P2pHandle>,
}

impl Shared {
    pub(crate) fn lock_core(&self) -> MutexGuard<'_, NodeCore> {
        // A panic while holding the lock cannot leave the core half-updated in a way the store
        // does not already guard against (the core halts itself on failed commits).
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn nudge_if_full(&self, mempool_len: usize) {
        if mempool_len >= self.max_block_txs && !self.wake_pending.swap(true, Ordering::AcqRel) {
            let tx = self.wake.lock().unwrap_or_else(|e| e.into_inner());
            let _ = tx.send(Wake::Full);
        }
    }

    /// Verify off the lock, then admit under it.
    pub(crate) fn admit(&self, tx: SignedTransaction) -> Result<Hash, SubmitError> {
        if *self.shutdown.borrow() {
            return Err(SubmitError::ShuttingDown);
        }
        let gossip = self.p2p.get().and_then(|_| serde_json::to_vec(&tx).ok());
        let result = VerifiedTx::verify(tx, self.chain_id).and_then(|v| {
            let mut core = self.lock_core();
            let r = core.admit(v);
            let len = core.mempool_len();
            drop(core);
            if r.is_ok() {
                self.nudge_if_full(len);
            }
            r
        });
        match &result {
            Ok(_) => self.metrics.txs_admitted.inc(),
            Err(_) => self.metrics.txs_rejected.inc(),
        };
        if let (Ok(_), Some(bytes), Some(p2p)) = (&result, gossip, self.p2p.get()) {
            let _ = p2p.publish_tx(bytes);
        }
        result
    }

    /// Verify all off the lock, then admit them under one lock hold, in order.
    pub(crate) fn admit_batch(
        &self,
        txs: Vec<SignedTransaction>,
    ) -> Vec<Result<Hash, SubmitError>> {
        if *self.shutdown.borrow() {
            return txs.iter().map(|_| Err(SubmitError::ShuttingDown)).collect();
        }
        let gossip: Option<Vec<Vec<u8>>> = self.p2p.get().map(|_| {
            txs.iter()
                .map(|t| serde_json::to_vec(t).unwrap_or_default())
                .collect()
        });
        let verified: Vec<Result<VerifiedTx, SubmitError>> = txs
            .into_iter()
            .map(|t| VerifiedTx::verify(t, self.chain_id))
            .collect();
        let mut core = self.lock_core();
        let results: Vec<Result<Hash, SubmitError>> = verified
            .into_iter()
            .map(|v| v.and_then(|v| core.admit(v)))
            .collect();
        let len = core.mempool_len();
        drop(core);
        let ok = results.iter().filter(|r| r.is_ok()).count() as u64;
        self.metrics.txs_admitted.inc_by(ok);
        self.metrics.txs_rejected.inc_by(results.len() as u64 - ok);
        self.nudge_if_full(len);
        if let (Some(bytes), Some(p2p)) = (gossip, self.p2p.get()) {
            for (r, b) in results.iter().zip(bytes) {
                if r.is_ok() {
                    let _ = p2p.publish_tx(b);
                }
            }
        }
        results
    }

    /// Record the error that stops the node and start the shutdown.
    pub(crate) fn fail(&self, error: NodeError) {
        eprintln!("verity-node: {error}; stopping");
        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
        self.shutdown.send_replace(true);
    }

    /// Tell metrics, the committed-height watchers and the event stream about a committed block.
    pub(crate) fn publish(&self, committed: &CommittedBlock) {
        let header = &committed.block.header;
        self.metrics.height.set(header.height as i64);
        self.metrics.blocks.inc();
        self.metrics
            .txs_committed
            .inc_by(committed.receipts.len() as u64);
        self.committed.send_replace(header.height);
        if self.events.receiver_count() == 0 {
            return;
        }
        let _ = self.events.send(Arc::new(StreamEvent::Block {
            height: header.height,
            hash: committed.hash,
            state_root: header.state_root,
            timestamp: header.timestamp.0,
            tx_count: committed.block.txs.len(),
        }));
        for receipt in &committed.receipts {
            for event in &receipt.events {
                let _ = self.events.send(Arc::new(StreamEvent::Event {
                    height: receipt.height,
                    tx_hash: receipt.tx_hash,
                    index: receipt.index,
                    event: event.clone(),
                }));
            }
        }
    }
}

fn now_ms() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    Timestamp(ms)
}

/// The dev sequencer: seal when a block's worth is ready, or every `block_time`.
fn sequencer(shared: Arc<Shared>, wake: mpsc::Receiver<Wake>, block_time: Duration) {
    let mut deadline = Instant::now() + block_time;
    loop {
        let timeout = deadline.saturating_duration_since(Instant::now());
        match wake.recv_timeout(timeout) {
            Ok(Wake::Shutdown) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Ok(Wake::Full) => shared.wake_pending.store(false, Ordering::Release),
            Err(mpsc::RecvTimeoutError::Timeout) => deadline = Instant::now() + block_time,
        }
        // Seal until fewer than a full block is ready (a timeout seals at least once).
        loop {
            let started = Instant::now();
            let result = {
                let mut core = shared.lock_core();
                core.seal_block(now_ms())
                    .map(|b| (b, core.ready_txs(), core.mempool_len()))
            };
            match result {
                Ok((Some(block), ready, pending)) => {
                    shared
                        .metrics
                        .block_commit_seconds
                        .observe(started.elapsed().as_secs_f64());
                    shared.metrics.mempool_size.set(pending as i64);
                    shared.publish(&block);
                    if ready < shared.max_block_txs {
                        break;
                    }
                }
                Ok((None, _, _)) => break,
                Err(e) => {
                    shared.fail(e);
                    return;
                }
            }
        }
    }
}

/// A node serving HTTP in the background.
pub struct RunningNode {
    addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    sequencer: Option<JoinHandle<()>>,
    p2p: Option<crate::validator::P2pThread>,
}

impl std::fmt::Debug for RunningNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningNode")
            .field("addr", &self.addr)
            .finish()
    }
}

/// Open the chain, bind the HTTP port and start serving and sequencing in the background.
pub fn start(config: NodeConfig) -> Result<RunningNode, NodeError> {
    let core = open_core(&config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("verity-http")
        .enable_all()
        .build()
        .map_err(|source| NodeError::Io {
            context: "starting the async runtime".into(),
            source,
        })?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(config.http_addr))
        .map_err(|source| NodeError::Bind {
            addr: config.http_addr.to_string(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| NodeError::Bind {
        addr: config.http_addr.to_string(),
        source,
    })?;
    let (wake_tx, wake_rx) = mpsc::channel();
    let head = core.head();
    let metrics = Metrics::new();
    metrics.height.set(head.height as i64);
    let shared = Arc::new(Shared {
        store: core.store().clone(),
        chain_id: core.chain_id(),
        max_block_txs: core.config().max_block_txs,
        core: Mutex::new(core),
        events: broadcast::channel(4096).0,
        committed: watch::channel(head.height).0,
        shutdown: watch::channel(false).0,
        wake: Mutex::new(wake_tx),
        wake_pending: AtomicBool::new(false),
        metrics,
        limits: Limits {
            max_tx_body: config.max_tx_body,
            max_batch_body: config.max_batch_body,
            max_wait: config.max_wait,
            max_blob_body: config.max_blob_body,
        },
        blob_dir: config.data_dir.join(crate::http::BLOB_DIR),
        failure: Mutex::new(None),
        p2p: std::sync::OnceLock::new(),
    });
    let p2p = match &config.p2p {
        Some(c) => {
            let t = crate::validator::start(shared.clone(), &config.data_dir, c)?;
            let _ = shared.p2p.set(t.handle.clone());
            Some(t)
        }
        None => None,
    };
    // Validator mode: the BFT engine (on the p2p thread) produces blocks; otherwise the dev
    // sequencer does.
    let sequencer = if p2p.is_some() {
        None
    } else {
        let seq_shared = shared.clone();
        let block_time = config.block_time;
        let handle = std::thread::Builder::new()
            .name("verity-sequencer".into())
            .spawn(move || sequencer(seq_shared, wake_rx, block_time))
            .map_err(|source| NodeError::Io {
                context: "starting the sequencer thread".into(),
                source,
            })?;
        Some(handle)
    };
    let app = crate::http::router(shared.clone());
    let mut stop = shared.shutdown.subscribe();
    let server = runtime.spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await
    });
    Ok(RunningNode {
        addr,
        shared,
        runtime: Some(runtime),
        server: Some(server),
        sequencer,
        p2p,
    })
}

impl RunningNode {
    /// The bound HTTP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, for [`verity_api::ApiClient::new`].
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Block until SIGINT/SIGTERM (or a fatal node error), then shut down cleanly.
    pub fn wait_for_signal(self) -> Result<(), NodeError> {
        let runtime = self.runtime.as_ref().expect("runtime lives until shutdown");
        let mut stop = self.shared.shutdown.subscribe();
        runtime.block_on(async {
            #[cfg(unix)]
            let term = async {
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let term = std::future::pending::<()>();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        });
        self.shutdown()
    }

    /// Stop: refuse new transactions, end event streams and long-polls, let the block being
    /// committed finish, stop the sequencer and the HTTP server. Returns the fatal error that
    /// stopped the node, if one did.
    pub fn shutdown(mut self) -> Result<(), NodeError> {
        self.shared.shutdown.send_replace(true);
        if let (Some(rt), Some(server)) = (self.runtime.as_ref(), self.server.take()) {
            let _ =
                rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), server).await });
        }
        {
            let tx = self.shared.wake.lock().unwrap_or_else(|e| e.into_inner());
            let _ = tx.send(Wake::Shutdown);
        }
        if let Some(seq) = self.sequencer.take() {
            let _ = seq.join();
        }
        if let Some(mut p2p) = self.p2p.take() {
            p2p.stop();
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
        match self
            .shared
            .failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        if self.runtime.is_some() {
            self.shared.shutdown.send_replace(true);
            let tx = self.shared.wake.lock().unwrap_or_else(|e| e.into_inner());
            let _ = tx.send(Wake::Shutdown);
            drop(tx);
            if let Some(seq) = self.sequencer.take() {
                let _ = seq.join();
            }
            if let Some(rt) = self.runtime.take() {
                rt.shutdown_background();
            }
        }
    }
}

/// Run a node in the foreground until SIGINT/SIGTERM; returns after a clean shutdown.
pub fn run(config: NodeConfig) -> Result<(), NodeError> {
    start(config)?.wait_for_signal()
}
