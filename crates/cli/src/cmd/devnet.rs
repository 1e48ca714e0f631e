//! `verity devnet [--data-dir DIR] [--http ADDR] [--agents all|none]`: a one-node chain from the
//! built-in dev genesis (`Genesis::dev`), with funded dev accounts whose (public, test-only) keys
//! it prints. Data lives in `./.verity/devnet` by default; starting again resumes the same chain.
//!
//! By default (`--agents all`) it also runs the whole marketplace loop beside the node, each
//! party in its own thread, talking to the node only through its HTTP API:
//!
//! | agent | dev account | role |
//! | --- | --- | --- |
//! | `buyer` | #1 | posts a real job every `--job-interval-secs`: an MLP on wine-quality, then the char transformer on a short text, alternating |
//! | `provider-1` | #2 | honest, declares 8 cores, floor 0.003 VTY/step |
//! | `provider-2` | #3 | honest, declares 4 cores, floor 0.002 VTY/step |
//! | `cheater` | #4 | declares 2 cores, floor 0.001 VTY/step, **fault injection (demo only)** |
//! | `verifier` | #5 | re-runs every committed job (whistleblower), challenges on mismatch |
//! | `ledger` | — | prints job status changes and dispute rounds as the chain records them |
//!
//! Jobs ask for 8, 4 or 2 cores in turn, so the reverse auction (lowest price wins among the
//! providers that meet the requirement) hands them to provider-1, provider-2 and the cheater in
//! rotation; every job asks for a 100% spot-check. Jobs are paid in AID: provider-1 and
//! provider-2 run them on GPU assets financed by the sAID vault, every job reports its energy
//! and carbon, and the `vault` and `energy` agents attest, fund and report (see
//! `devnet_assets.rs`). The cheater's commits are wrong from the
//! injected op on, the verifier challenges, the bisection game runs round by round and the
//! cheater is slashed. Ctrl-C stops the agents, then the node. `--agents none` runs the node alone.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde_json::json;
use verity_agent::buyer::{JobOffer, submit_job};
use verity_agent::{AgentEvent, Capacity, FaultInjection, Pricing, ProviderConfig, VerifierConfig};
use verity_api::ApiClient;
use verity_ledger::genesis::{dev_accounts, dev_secret};
use verity_ledger::{SecretKey, TokenId};

use super::Ctx;
use super::agents::Printer;
use super::keystore::secret_hex;
use super::node::{Tuning, serve_with};

#[path = "devnet_assets.rs"]
mod assets; // issue 6: financed GPU assets, energy reports, the vault agent
#[path = "devnet_savings.rs"]
mod savings; // issue 5: provider savings policies in the dev genesis
mod watch;

/// Which agents run beside the devnet node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AgentSet {
    /// The whole loop: buyer, two honest providers, a cheating provider, a verifier.
    All,
    /// The node alone.
    #[value(name = "none")]
    Off,
}

/// Arguments of `verity devnet`.
#[derive(Args, Debug)]
pub struct DevnetArgs {
    /// Folder holding the chain database (agents keep their files under it, in `agents/`).
    #[arg(long, default_value = "./.verity/devnet")]
    pub data_dir: PathBuf,
    /// Address to serve the HTTP API on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8645")]
    pub http: SocketAddr,
    /// How many funded dev accounts the genesis creates (must stay the same across restarts;
    /// the agents use #1–#5).
    #[arg(long, default_value_t = 10)]
    pub accounts: u32,
    /// Write the dev genesis as TOML to this file and exit (for `verity node --genesis`).
    #[arg(long, value_name = "FILE")]
    pub write_genesis: Option<PathBuf>,
    /// Agents to run beside the node: `all` (the whole marketplace loop) or `none`.
    #[arg(long, value_enum, default_value = "all")]
    pub agents: AgentSet,
    /// Seconds between two jobs of the devnet buyer.
    #[arg(long, default_value_t = 10)]
    pub job_interval_secs: u64,
    /// The buyer stops after this many jobs (0: never).
    #[arg(long, default_value_t = 0)]
    pub jobs: u64,
    /// FOR DEMOS ONLY: the op the cheating provider corrupts, STEP:OP (taken modulo the job's
    /// steps and ops).
    #[arg(long, value_name = "STEP:OP", default_value = "5:7")]
    pub cheater_fault: String,
    #[command(flatten)]
    pub tuning: Tuning,
}

/// Dev account numbers of the agents.
const BUYER: u32 = 1;
const PROVIDER_1: u32 = 2;
const PROVIDER_2: u32 = 3;
const CHEATER: u32 = 4;
const VERIFIER: u32 = 5;

/// One VTY in base units (18 decimals).
const VTY: u128 = 1_000_000_000_000_000_000;

/// Run `verity devnet`.
pub fn run(ctx: &Ctx, args: DevnetArgs) -> anyhow::Result<()> {
    if args.accounts == 0 || args.accounts > 1000 {
        anyhow::bail!("--accounts must be between 1 and 1000");
    }
    if args.agents == AgentSet::All && args.accounts <= VERIFIER {
        anyhow::bail!(
            "the devnet agents use dev accounts #1–#{VERIFIER}: pass --accounts {} or more, or --agents none",
            VERIFIER + 1
        );
    }
    let fault = FaultInjection::parse(&args.cheater_fault).context("--cheater-fault")?;
    let accounts = dev_accounts(args.accounts);
    let addresses: Vec<_> = accounts.iter().map(|(_, a)| *a).collect();
    let genesis = savings::dev_genesis(&addresses, args.agents == AgentSet::All); // issue 5
    if let Some(path) = &args.write_genesis {
        std::fs::write(path, genesis.to_toml_string())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        return ctx.emit(
            json!({"genesis": path, "chain_id": genesis.chain_id}),
            || format!("wrote the dev genesis to {}", path.display()),
        );
    }
    std::fs::create_dir_all(&args.data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", args.data_dir.display()))?;
    let listed: Vec<_> = accounts
        .iter()
        .map(|(k, a)| json!({"address": a, "private_key": secret_hex(k)}))
        .collect();
    let mut text = String::from(
        "\n\nDev accounts (1,000,000 VTY, USDC and USDT each at genesis).\n\
         These keys are PUBLIC test keys: never use them for anything of value.\n",
    );
    for (i, (k, a)) in accounts.iter().enumerate() {
        text.push_str(&format!("  #{i:<3} {a}  {}\n", secret_hex(k)));
    }
    // issue 5: the oracle reporter that may post TBILL_YIELD (verity oracle report).
    let reporter = verity_ledger::genesis::dev_secret_named(verity_ledger::oracle::DEV_REPORTER);
    let reporter_addr = verity_ledger::address_of(&reporter);
    text.push_str(&format!(
        "Oracle reporter (TBILL_YIELD): {reporter_addr}  {}\n",
        secret_hex(&reporter)
    ));
    text.push_str("Try: DEV0=<key #0> verity send --private-key-env DEV0 --to <address> --amount 1.5 --token VTY");
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    let agents_dir = args.data_dir.join("agents");
    let result = serve_with(
        ctx,
        &args.data_dir,
        Some(genesis),
        args.http,
        &args.tuning,
        Some((
            json!({"accounts": listed,
                   "oracle_reporter": {"address": reporter_addr, "private_key": secret_hex(&reporter)},
                   "agents": args.agents == AgentSet::All}),
            text,
        )),
        &mut |url| {
            if args.agents == AgentSet::All {
                let plan = LoopPlan {
                    url: url.to_string(),
                    dir: agents_dir.clone(),
                    json: ctx.json,
                    fault,
                    interval: Duration::from_secs(args.job_interval_secs.max(1)),
                    jobs: args.jobs,
                };
                threads = start_loop(&plan, &stop)?;
            }
            Ok(())
        },
    );
    // The node caught the signal (or failed): stop the agents and wait for them.
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    result
}

/// Everything the agent threads need.
struct LoopPlan {
    url: String,
    dir: PathBuf,
    json: bool,
    fault: FaultInjection,
    interval: Duration,
    jobs: u64,
}

/// A provider of the devnet: name, dev account, declared cores, floor per step (base units),
/// and whether it cheats.
struct ProviderPlan {
    name: &'static str,
    account: u32,
    cores: u32,
    floor_per_step: u128,
    cheats: bool,
}

const PROVIDERS: [ProviderPlan; 3] = [
    ProviderPlan {
        name: "provider-1",
        account: PROVIDER_1,
        cores: 8,
        floor_per_step: 3 * VTY / 1000,
        cheats: false,
    },
    ProviderPlan {
        name: "provider-2",
        account: PROVIDER_2,
        cores: 4,
        floor_per_step: 2 * VTY / 1000,
        cheats: false,
    },
    ProviderPlan {
        name: "cheater",
        account: CHEATER,
        cores: 2,
        floor_per_step: VTY / 1000,
        cheats: true,
    },
];

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> anyhow::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(f)
        .with_context(|| format!("cannot start the {name} thread"))
}

/// Start every agent of the loop in its own thread.
fn start_loop(plan: &LoopPlan, stop: &Arc<AtomicBool>) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let roster = Printer::new(plan.json, Some("devnet"));
    let mut handles = Vec::new();
    // issue 6: jobs are paid in AID (the vault's asset); VTY stays accepted.
    let aid = assets::token_id(&ApiClient::new(&plan.url), "AID").unwrap_or(TokenId(0));
    let addr = |i: u32| verity_ledger::address_of(&dev_secret(i));
    roster.print_line(&if plan.json {
        json!({"agent": "devnet", "event": "Agents",
               "buyer": addr(BUYER), "provider-1": addr(PROVIDER_1), "provider-2": addr(PROVIDER_2),
               "cheater": addr(CHEATER), "verifier": addr(VERIFIER),
               "cheater_fault": plan.fault.to_string()})
        .to_string()
    } else {
        format!(
            "[devnet] agents: buyer #{BUYER} {}, provider-1 #{PROVIDER_1} {}, provider-2 #{PROVIDER_2} {},\n\
             [devnet]         cheater #{CHEATER} {} (FAULT INJECTION {} — demo only), verifier #{VERIFIER} {}",
            addr(BUYER),
            addr(PROVIDER_1),
            addr(PROVIDER_2),
            addr(CHEATER),
            plan.fault,
            addr(VERIFIER)
        )
    });
    for p in &PROVIDERS {
        let mut cfg = ProviderConfig::new(&plan.url, dev_secret(p.account), plan.dir.join(p.name));
        cfg.pricing = Pricing {
            per_step: p.floor_per_step,
            per_op: 0,
            markup_bps: 0,
            tokens: vec![TokenId(0), aid],
        };
        match assets::provider_asset(p.account) {
            Some((asset, power)) => {
                cfg.asset = Some(asset);
                cfg.power_mw = Some(power);
            }
            None => cfg.power_mw = Some(assets::CHEATER_POWER_MW),
        }
        cfg.capacity = Capacity {
            device_class: "cpu".into(),
            cores: p.cores,
            memory_mb: 4096,
        };
        cfg.stake_target = 1_000 * VTY;
        cfg.checkpoint_every = 4;
        cfg.fault = p.cheats.then_some(plan.fault);
        let printer = Printer::new(plan.json, Some(p.name));
        let stop = Arc::clone(stop);
        handles.push(spawn(p.name, move || {
            if let Err(e) = verity_agent::provider::run(cfg, stop, |e| printer.print(e)) {
                printer.print(&stopped_by(&e));
            }
        })?);
    }
    let mut v = VerifierConfig::new(&plan.url, dev_secret(VERIFIER), plan.dir.join("verifier"));
    v.stake_target = 10_000 * VTY;
    v.challenge_bond = VTY;
    v.whistleblower = true;
    let printer = Printer::new(plan.json, Some("verifier"));
    let s = Arc::clone(stop);
    handles.push(spawn("verifier", move || {
        if let Err(e) = verity_agent::verifier::run(v, s, |e| printer.print(e)) {
            printer.print(&stopped_by(&e));
        }
    })?);
    let (url, json, interval, jobs) = (plan.url.clone(), plan.json, plan.interval, plan.jobs);
    let s = Arc::clone(stop);
    handles.push(spawn("buyer", move || {
        buyer_loop(&url, json, interval, jobs, aid, &s);
    })?);
    for (name, f) in [
        (
            "vault",
            assets::vault_agent as fn(&str, bool, &Arc<AtomicBool>),
        ),
        ("energy", assets::energy_reporter),
    ] {
        let (url, json) = (plan.url.clone(), plan.json);
        let s = Arc::clone(stop);
        handles.push(spawn(name, move || f(&url, json, &s))?); // issue 6
    }
    let (url, json) = (plan.url.clone(), plan.json);
    let s = Arc::clone(stop);
    handles.push(spawn("oracle", move || {
        savings::yield_reporter(&url, json, &s); // issue 5: keeps TBILL_YIELD fresh
    })?);
    let (url, json) = (plan.url.clone(), plan.json);
    let s = Arc::clone(stop);
    handles.push(spawn("ledger", move || {
        watch::run(&ApiClient::new(&url), json, &s);
    })?);
    Ok(handles)
}

/// The event an agent that stopped on an error prints last.
fn stopped_by(e: &verity_agent::AgentError) -> AgentEvent {
    AgentEvent::Warning {
        job: None,
        message: format!("agent stopped: {e}"),
    }
}

/// Sleep `d` in short slices; false when `stop` was set meanwhile.
fn nap(d: Duration, stop: &AtomicBool) -> bool {
    let until = std::time::Instant::now() + d;
    while std::time::Instant::now() < until {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50).min(d));
    }
    !stop.load(Ordering::Relaxed)
}

/// The devnet buyer: post job `k` (alternating MLP on wine-quality and the char model), paid
/// in `token` (1 whole unit at most), then wait `interval`, until `stop` (or `jobs` jobs, when
/// nonzero).
fn buyer_loop(
    url: &str,
    json_out: bool,
    interval: Duration,
    jobs: u64,
    token: TokenId,
    stop: &AtomicBool,
) {
    let out = Printer::new(json_out, Some("buyer"));
    let client = ApiClient::new(url);
    let key: SecretKey = dev_secret(BUYER);
    if token != TokenId(0) {
        // issue 6: the buyer pays in AID, minted from 1,000 of its USDC.
        let link = verity_agent::chain::Link::new(url, key);
        if let Err(e) = assets::mint_aid(&link, &client, 1_000_000_000) {
            out.print_line(&format!(
                "[buyer] cannot mint AID ({e}); jobs may fail to post"
            ));
        }
    }
    let wine = match verity_ree::data::builtin::export("winequality") {
        Ok(e) => e.csv.into_bytes(),
        Err(e) => {
            out.print_line(&format!("[buyer] cannot export wine-quality: {e}"));
            return;
        }
    };
    let mut k: u64 = 0;
    while !stop.load(Ordering::Relaxed) && (jobs == 0 || k < jobs) {
        let job = demo_job(k, &wine);
        let mut offer = JobOffer::new(token, VTY);
        offer.escrow = VTY;
        offer.min_cores = job.cores;
        offer.spot_check_bps = 10_000;
        offer.bid_window_ms = 2_000;
        offer.challenge_window_ms = 20_000;
        offer.deadline_ms = 180_000;
        let line = match submit_job(&client, &key, job.spec.as_bytes(), &[job.data], &offer) {
            Ok(id) => {
                k += 1;
                if json_out {
                    json!({"agent": "buyer", "event": "Posted", "job": id, "what": job.what,
                           "min_cores": job.cores, "max_price": offer.max_price.to_string()})
                    .to_string()
                } else {
                    format!(
                        "[buyer] posted job {id}: {} (needs {} cores), max price 1 {}",
                        job.what,
                        job.cores,
                        if token == TokenId(0) { "VTY" } else { "AID" }
                    )
                }
            }
            Err(e) => format!("[buyer] could not post a job ({e}); retrying"),
        };
        out.print_line(&line);
        if !nap(interval, stop) {
            break;
        }
    }
}

/// One job of the devnet's stream.
struct DemoJob {
    what: String,
    spec: String,
    data: Vec<u8>,
    cores: u32,
}

/// Job `k`: even jobs train an MLP on wine-quality, odd ones the char transformer on
/// [`DEMO_TEXT`]; 8, 4 or 2 cores in turn; the seed is `k` so every spec is new.
fn demo_job(k: u64, wine_csv: &[u8]) -> DemoJob {
    let cores = [8, 4, 2][usize::try_from(k % 3).expect("below 3")];
    if k.is_multiple_of(2) {
        DemoJob {
            what: "MLP [11,16,1] on wine-quality, 24 steps".into(),
            spec: format!(
                "[model]\nkind = \"mlp\"\nlayers = [11, 16, 1]\n[data]\npath = \"wine.csv\"\n\
                 format = \"csv\"\ntarget = \"quality\"\n[train]\noptimizer = \"adamw\"\nlr = 0.01\n\
                 batch_size = 16\nsteps = 24\nseed = {k}\ncheckpoint_every = 4\n"
            ),
            data: wine_csv.to_vec(),
            cores,
        }
    } else {
        DemoJob {
            what: "char transformer (d16, 1 layer) on a short text, 16 steps".into(),
            spec: format!(
                "[model]\nkind = \"transformer\"\nd_model = 16\nheads = 2\nlayers = 1\ncontext = 16\n\
                 [data]\npath = \"text.txt\"\nformat = \"text\"\n[train]\noptimizer = \"adamw\"\n\
                 lr = 0.01\nbatch_size = 4\nsteps = 16\nseed = {k}\ncheckpoint_every = 4\n"
            ),
            data: DEMO_TEXT.as_bytes().to_vec(),
            cores,
        }
    }
}

/// The char model's training text (public domain: the opening of Lewis Carroll's *Alice's
/// Adventures in Wonderland*, 1865).
pub const DEMO_TEXT: &str = "Alice was beginning to get very tired of sitting by her sister on the bank, \
and of having nothing to do: once or twice she had peeped into the book her sister was reading, \
but it had no pictures or conversations in it, and what is the use of a book, thought Alice, \
without pictures or conversations? So she was considering in her own mind (as well as she could, \
for the hot day made her feel very sleepy and stupid), whether the pleasure of making a \
daisy-chain would be worth the trouble of getting up and picking the daisies, when suddenly a \
White Rabbit with pink eyes ran close by her. There was nothing so very remarkable in that; nor \
did Alice think it so very much out of the way to hear the Rabbit say to itself, Oh dear! Oh \
dear! I shall be late!\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_jobs_parse_and_rotate() {
        let mut cores = Vec::new();
        for k in 0..6 {
            let j = demo_job(k, b"a,b\n1,2\n");
            verity_ree::spec::JobSpec::from_toml(&j.spec).expect("demo spec parses");
            cores.push(j.cores);
        }
        assert_eq!(cores, [8, 4, 2, 8, 4, 2]);
        assert_ne!(demo_job(0, b"").spec, demo_job(2, b"").spec);
    }

    #[test]
    fn providers_are_cheapest_in_the_order_of_the_core_rotation() {
        // A job needing c cores goes to the cheapest provider declaring ≥ c cores.
        for (need, winner) in [(8, "provider-1"), (4, "provider-2"), (2, "cheater")] {
            let best = PROVIDERS
                .iter()
                .filter(|p| p.cores >= need)
                .min_by_key(|p| p.floor_per_step)
                .expect("someone qualifies");
            assert_eq!(best.name, winner);
        }
        assert_eq!(PROVIDERS.iter().filter(|p| p.cheats).count(), 1);
    }
}
