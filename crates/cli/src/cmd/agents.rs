//! `verity provider start` and `verity verifier start`: run a marketplace agent
//! ([`verity_agent::provider::run`], [`verity_agent::verifier::run`]) against `--node` until
//! Ctrl-C (SIGINT) or SIGTERM, printing one line per [`AgentEvent`] (one JSON object per line
//! with `--json`). Also the shared pieces the devnet uses to run agents in threads.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use verity_agent::{AgentEvent, FaultInjection, Pricing, ProviderConfig, VerifierConfig};
use verity_ledger::SecretKey;

use super::Ctx;
use super::amount::parse_amount;
use super::chain;
use super::keystore::Keystore;
use super::signer::SignerArgs;

/// `verity provider …`.
#[derive(Debug, Subcommand)]
pub enum ProviderCmd {
    /// Run a provider agent until Ctrl-C: register, bond, bid on open jobs, run them in ree,
    /// publish outputs, commit, answer disputes, settle.
    Start(ProviderStartArgs),
}

/// `verity verifier …`.
#[derive(Debug, Subcommand)]
pub enum VerifierCmd {
    /// Run a verifier agent until Ctrl-C: re-run sampled steps of committed jobs, attest when
    /// they match, otherwise challenge and play the dispute to the end.
    Start(VerifierStartArgs),
}

/// Who the agent signs as.
#[derive(Debug, Args, Clone)]
pub struct AgentKeyArgs {
    /// Key name or address in the keystore (password from VERITY_PASSWORD or a prompt).
    #[arg(long, value_name = "KEY", required_unless_present = "private_key_env")]
    pub key: Option<String>,
    /// Dev only: name of an environment variable holding a hex private key.
    #[arg(long, value_name = "VAR", conflicts_with = "key")]
    pub private_key_env: Option<String>,
}

impl AgentKeyArgs {
    fn load(&self, ctx: &Ctx) -> anyhow::Result<SecretKey> {
        SignerArgs {
            from: self.key.clone(),
            private_key_env: self.private_key_env.clone(),
        }
        .load(&Keystore::new(ctx.keystore_dir()))
    }
}

/// Arguments of `verity provider start`.
#[derive(Debug, Args)]
pub struct ProviderStartArgs {
    #[command(flatten)]
    pub key: AgentKeyArgs,
    /// Where job files, traces, checkpoints and outputs are kept.
    #[arg(long, value_name = "DIR", default_value = "./.verity/provider")]
    pub work_dir: PathBuf,
    /// Payment token accepted (prices below are in its whole units).
    #[arg(long, default_value = "VTY")]
    pub token: String,
    /// Floor price per training step, whole tokens (e.g. 0.01).
    #[arg(long, default_value = "0.01")]
    pub floor_per_step: String,
    /// Floor price per op executed, whole tokens.
    #[arg(long, default_value = "0")]
    pub floor_per_op: String,
    /// Markup over the floor, bps (the bid is capped at the job's max price).
    #[arg(long, default_value_t = 0)]
    pub markup_bps: u32,
    /// Compute threads for ree (results never depend on it).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Bond staking tokens until this much is bonded (whole tokens); jobs lock 2 × price.
    #[arg(long, default_value = "1000")]
    pub stake: String,
    /// Cores offered (default: this machine's).
    #[arg(long)]
    pub cores: Option<u32>,
    /// Memory offered, MiB.
    #[arg(long, default_value_t = 4096)]
    pub memory_mb: u64,
    /// Poll the node this often, ms.
    #[arg(long, default_value_t = 200)]
    pub poll_ms: u64,
    /// FOR TESTS AND DEMOS ONLY: flip one bit of op OP's output at step STEP of every job this
    /// provider runs, so its commit is wrong and it loses the dispute (and its stake). Never
    /// use on a real provider.
    #[arg(long, value_name = "STEP:OP")]
    pub inject_fault: Option<String>,
}

/// Arguments of `verity verifier start`.
#[derive(Debug, Args)]
pub struct VerifierStartArgs {
    #[command(flatten)]
    pub key: AgentKeyArgs,
    /// Where job files and re-run traces are kept.
    #[arg(long, value_name = "DIR", default_value = "./.verity/verifier")]
    pub work_dir: PathBuf,
    /// Compute threads for ree.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Bond staking tokens until this much is bonded (whole tokens).
    #[arg(long, default_value = "1000")]
    pub stake: String,
    /// Bond posted with each challenge (whole staking tokens).
    #[arg(long, default_value = "1")]
    pub bond: String,
    /// Steps re-run per checked job (0: every step).
    #[arg(long, default_value_t = 4)]
    pub sample_steps: u64,
    /// Also check committed jobs the ledger did not select this verifier for.
    #[arg(long)]
    pub whistleblower: bool,
    /// Poll the node this often, ms.
    #[arg(long, default_value_t = 200)]
    pub poll_ms: u64,
}

/// Run `verity provider …`.
pub fn run_provider(ctx: &Ctx, cmd: ProviderCmd) -> anyhow::Result<()> {
    let ProviderCmd::Start(a) = cmd;
    let key = a.key.load(ctx)?;
    let cfg = provider_config(ctx, &a, key)?;
    let stop = stop_on_signal()?;
    let printer = Printer::new(ctx.json, None);
    verity_agent::provider::run(cfg, stop, |e| printer.print(e))
        .context("the provider agent stopped")
}

/// Run `verity verifier …`.
pub fn run_verifier(ctx: &Ctx, cmd: VerifierCmd) -> anyhow::Result<()> {
    let VerifierCmd::Start(a) = cmd;
    let key = a.key.load(ctx)?;
    let cfg = verifier_config(ctx, &a, key)?;
    let stop = stop_on_signal()?;
    let printer = Printer::new(ctx.json, None);
    verity_agent::verifier::run(cfg, stop, |e| printer.print(e))
        .context("the verifier agent stopped")
}

/// Decimals of the staking token (VTY) and of `token`, from the node.
fn decimals(ctx: &Ctx, token: &str) -> anyhow::Result<(u8, verity_primitives::TokenId, u8)> {
    let client = chain::client(ctx);
    let stake = chain::token_by_symbol(&client, "VTY")?;
    let pay = chain::token_by_symbol(&client, token)?;
    Ok((stake.info.decimals, pay.id, pay.info.decimals))
}

fn provider_config(
    ctx: &Ctx,
    a: &ProviderStartArgs,
    key: SecretKey,
) -> anyhow::Result<ProviderConfig> {
    let (stake_dec, token, dec) = decimals(ctx, &a.token)?;
    let mut cfg = ProviderConfig::new(&ctx.node, key, &a.work_dir);
    cfg.threads = a.threads.max(1);
    cfg.pricing = Pricing {
        per_step: parse_amount(&a.floor_per_step, dec).context("--floor-per-step")?,
        per_op: parse_amount(&a.floor_per_op, dec).context("--floor-per-op")?,
        markup_bps: a.markup_bps,
        tokens: vec![token],
    };
    if let Some(c) = a.cores {
        cfg.capacity.cores = c;
    }
    cfg.capacity.memory_mb = a.memory_mb;
    cfg.stake_target = parse_amount(&a.stake, stake_dec).context("--stake")?;
    cfg.poll_interval = Duration::from_millis(a.poll_ms.max(10));
    cfg.fault = a
        .inject_fault
        .as_deref()
        .map(FaultInjection::parse)
        .transpose()?;
    Ok(cfg)
}

fn verifier_config(
    ctx: &Ctx,
    a: &VerifierStartArgs,
    key: SecretKey,
) -> anyhow::Result<VerifierConfig> {
    let (stake_dec, _, _) = decimals(ctx, "VTY")?;
    let mut cfg = VerifierConfig::new(&ctx.node, key, &a.work_dir);
    cfg.threads = a.threads.max(1);
    cfg.stake_target = parse_amount(&a.stake, stake_dec).context("--stake")?;
    cfg.challenge_bond = parse_amount(&a.bond, stake_dec).context("--bond")?;
    cfg.sample_steps = a.sample_steps;
    cfg.whistleblower = a.whistleblower;
    cfg.poll_interval = Duration::from_millis(a.poll_ms.max(10));
    Ok(cfg)
}

/// A flag that SIGINT (Ctrl-C) and SIGTERM set.
pub fn stop_on_signal() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("cannot install the Ctrl-C handler")?;
    }
    Ok(stop)
}

/// Prints agent events: one human line (prefixed `[name]` when named) or one JSON object per
/// line (with `"agent": name` when named). Lines from several threads never interleave.
#[derive(Clone, Debug)]
pub struct Printer {
    json: bool,
    name: Option<String>,
}

impl Printer {
    /// A printer for the agent called `name` (`None`: a lone agent).
    pub fn new(json: bool, name: Option<&str>) -> Printer {
        Printer {
            json,
            name: name.map(str::to_string),
        }
    }

    /// The line for `e`.
    pub fn line(&self, e: &AgentEvent) -> String {
        if self.json {
            let mut v = serde_json::to_value(e).unwrap_or_else(
                |err| serde_json::json!({"event": "Unprintable", "error": err.to_string()}),
            );
            if let (Some(obj), Some(n)) = (v.as_object_mut(), &self.name) {
                obj.insert("agent".into(), serde_json::json!(n));
            }
            v.to_string()
        } else {
            match &self.name {
                Some(n) => format!("[{n}] {e}"),
                None => e.to_string(),
            }
        }
    }

    /// Print `e` on stdout (one write under the stdout lock) and flush.
    pub fn print(&self, e: &AgentEvent) {
        self.print_line(&self.line(e));
    }

    /// Print one line on stdout and flush (errors — a closed pipe — are ignored).
    pub fn print_line(&self, line: &str) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verity_primitives::Hash;

    #[test]
    fn printer_prefixes_and_tags() {
        let e = AgentEvent::Committed {
            job: 3,
            trace_root: Hash([0xab; 32]),
            steps: 12,
        };
        let human = Printer::new(false, Some("provider-1")).line(&e);
        assert!(
            human.starts_with("[provider-1] job 3: committed"),
            "{human}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&Printer::new(true, Some("p")).line(&e)).expect("json line");
        assert_eq!(json["agent"], "p");
        assert_eq!(json["event"], "Committed");
        assert_eq!(json["job"], 3);
        let lone: serde_json::Value =
            serde_json::from_str(&Printer::new(true, None).line(&e)).expect("json line");
        assert!(lone.get("agent").is_none());
    }
}
