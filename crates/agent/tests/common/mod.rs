//! Shared set-up of the agent integration tests: a real node in-process on a loopback port
//! with the dev genesis, dev accounts as buyer / providers / verifier, a tiny MLP job spec on
//! wine-quality, and agents run on threads with their events collected.

#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use verity_agent::AgentEvent;
use verity_api::ApiClient;
use verity_ledger::genesis::dev_accounts;
use verity_ledger::market::{Job, JobStatus};
use verity_ledger::{Address, Genesis, SecretKey, TokenId};
use verity_node::{NodeConfig, RunningNode};

/// Payment token of the test jobs (dev USDC).
pub const USDC: TokenId = TokenId(1);
/// Staking token (dev VTY).
pub const VTY: TokenId = TokenId(0);
/// Stake every agent bonds (VTY base units): far above the collateral of any test price.
pub const STAKE: u128 = 1_000 * 1_000_000_000_000_000_000;

/// A running node plus the dev accounts (0 buyer, 1 provider, 2 verifier, 3 second provider).
pub struct Net {
    /// The node.
    pub node: Option<RunningNode>,
    /// Its client.
    pub client: ApiClient,
    /// Dev keys and addresses.
    pub accounts: Vec<(SecretKey, Address)>,
    _dir: tempfile::TempDir,
}

impl Net {
    /// Start a node with the dev genesis for 4 accounts; 50 ms blocks.
    pub fn start() -> Net {
        let dir = tempfile::tempdir().expect("temp dir");
        let accounts = dev_accounts(4);
        let addrs: Vec<Address> = accounts.iter().map(|(_, a)| *a).collect();
        let mut c = NodeConfig::new(
            dir.path(),
            Some(Genesis::dev(&addrs)),
            "127.0.0.1:0".parse().expect("addr"),
        );
        c.block_time = Duration::from_millis(50);
        let node = verity_node::start(c).expect("node starts");
        let client = ApiClient::new(&node.url());
        Net {
            node: Some(node),
            client,
            accounts,
            _dir: dir,
        }
    }

    /// The node URL.
    pub fn url(&self) -> String {
        self.client.base_url().to_string()
    }

    /// Balance of `a` in `token`.
    pub fn balance(&self, a: Address, token: TokenId) -> u128 {
        self.client
            .account(&a)
            .expect("account")
            .balances
            .iter()
            .find(|b| b.token == token)
            .map_or(0, |b| b.amount)
    }

    /// Bonded stake of `a`.
    pub fn bonded(&self, a: Address) -> u128 {
        self.client.account(&a).expect("account").stake.bonded
    }

    /// Poll job `id` until `done(job)` or `secs` pass (then panic with the agents' events).
    pub fn wait_job(
        &self,
        id: u64,
        secs: u64,
        events: &Events,
        done: impl Fn(&Job) -> bool,
    ) -> Job {
        let start = Instant::now();
        loop {
            let j = self.client.job(id).expect("job");
            if done(&j) {
                return j;
            }
            if start.elapsed() > Duration::from_secs(secs) {
                panic!(
                    "job {id} stuck in {:?} after {secs} s; events:\n{}",
                    j.status,
                    events.lines()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        if let Some(n) = self.node.take() {
            let _ = n.shutdown();
        }
    }
}

/// Events collected from every agent, tagged with the agent's name.
#[derive(Clone, Default)]
pub struct Events(pub Arc<Mutex<Vec<(String, AgentEvent)>>>);

impl Events {
    /// A sink for agent `name`.
    pub fn sink(&self, name: &str) -> impl FnMut(&AgentEvent) + Send + 'static {
        let all = self.0.clone();
        let name = name.to_string();
        move |e| {
            if std::env::var_os("VERITY_AGENT_TEST_LOG").is_some() {
                eprintln!("[{name}] {e}");
            }
            all.lock().expect("lock").push((name.clone(), e.clone()));
        }
    }

    /// Every event as text lines.
    pub fn lines(&self) -> String {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .map(|(n, e)| format!("[{n}] {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Wait up to `secs` until agent `name` reported an event matching `pred`.
    pub fn wait_for(
        &self,
        name: &str,
        secs: u64,
        pred: impl Fn(&AgentEvent) -> bool,
    ) -> AgentEvent {
        let start = Instant::now();
        loop {
            if let Some(e) = self.of(name).into_iter().find(|e| pred(e)) {
                return e;
            }
            if start.elapsed() > Duration::from_secs(secs) {
                panic!("{name} never reported the event; events:\n{}", self.lines());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Events of agent `name`.
    pub fn of(&self, name: &str) -> Vec<AgentEvent> {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, e)| e.clone())
            .collect()
    }
}

/// Agents running on threads; stopped and joined on drop.
pub struct Agents {
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<()>>,
}

impl Agents {
    /// No agents yet.
    pub fn new() -> Agents {
        Agents {
            stop: Arc::new(AtomicBool::new(false)),
            handles: Vec::new(),
        }
    }

    /// Start a provider.
    pub fn provider(
        &mut self,
        cfg: verity_agent::ProviderConfig,
        sink: impl FnMut(&AgentEvent) + Send + 'static,
    ) {
        let stop = self.stop.clone();
        self.handles.push(std::thread::spawn(move || {
            verity_agent::provider::run(cfg, stop, sink).expect("provider config is valid");
        }));
    }

    /// Start a verifier.
    pub fn verifier(
        &mut self,
        cfg: verity_agent::VerifierConfig,
        sink: impl FnMut(&AgentEvent) + Send + 'static,
    ) {
        let stop = self.stop.clone();
        self.handles.push(std::thread::spawn(move || {
            verity_agent::verifier::run(cfg, stop, sink).expect("verifier config is valid");
        }));
    }
}

impl Drop for Agents {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

/// A tiny MLP job spec (`steps` steps, checkpoint every 2) and the wine-quality CSV.
pub fn tiny_job(steps: u64) -> (Vec<u8>, Vec<u8>) {
    let wine = verity_ree::data::builtin::export("winequality").expect("built in");
    let spec = format!(
        "[model]\nkind = \"mlp\"\nlayers = [11, 4, 1]\nactivation = \"relu\"\n[data]\npath = \"wine.csv\"\nformat = \"csv\"\ntarget = \"quality\"\n[train]\noptimizer = \"sgd\"\nlr = 0.01\nbatch_size = 8\nsteps = {steps}\nseed = 7\ncheckpoint_every = 2\n"
    );
    (spec.into_bytes(), wine.csv.into_bytes())
}

/// True once `j` is in a final state.
pub fn finished(j: &Job) -> bool {
    !j.status.is_live()
}

/// Status shorthand.
pub fn is(s: JobStatus) -> impl Fn(&Job) -> bool {
    move |j| j.status == s
}
