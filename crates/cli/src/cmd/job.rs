//! `verity job …`: local runs and the marketplace's job commands.
//!
//! - `run-local SPEC --out DIR [--threads N] [--kernel scalar|simd|auto]`: run a training job on
//!   this machine with the reproducible execution engine, write its outputs, print its receipt;
//!   `diff A B`: where two traces first diverge.
//! - `submit SPEC --data FILE … --max-price … --escrow …`: upload spec and data to the node's
//!   content store and post the job (escrow taken); `status ID`, `list [--status …]
//!   [--provider …] [--buyer …]` read the ledger's job views; `fetch ID --out DIR` downloads a
//!   committed job's outputs and checks them against the committed output hash; `settle ID`,
//!   `expire ID`, `cancel ID`, `attest ID` send those one-job transactions.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use verity_ree::KernelChoice;
use verity_ree::runner::{RunOptions, run_spec_file};
use verity_ree::trace::{LeafInfo, Trace, to_hex, verify_leaf};

use anyhow::{Context, bail};
use serde_json::json;
use verity_agent::buyer::{JobOffer, submit_job};
use verity_agent::work::fetch_outputs;
use verity_api::ApiClient;
use verity_api::market::{JobFilter, blob_hash};
use verity_ledger::Payload;
use verity_ledger::market::Job;
use verity_primitives::TokenId;

use crate::cmd::Ctx;
use crate::cmd::amount::{format_amount, parse_amount};
use crate::cmd::chain::{self, SendOpts};
use crate::cmd::keystore::Keystore;
use crate::cmd::send::sign_send_report;
use crate::cmd::signer::SignerArgs;

/// Jobs.
#[derive(Debug, Subcommand)]
pub enum JobCmd {
    /// Post a job to the marketplace: uploads the spec and data to the node's content store,
    /// then sends PostJob (the escrow leaves your account until the job settles or refunds).
    Submit(SubmitArgs),
    /// Show one marketplace job: terms, bids, winner, commit, disputes.
    Status {
        /// Job id.
        id: u64,
    },
    /// Download a committed job's outputs (weights, metrics, receipt, trace, checkpoints) to
    /// --out, each checked against the committed output hash.
    Fetch {
        /// Job id.
        id: u64,
        /// Folder to write the outputs to.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// List marketplace jobs.
    List(ListArgs),
    /// Pay out a committed job after its challenge window (anyone may send it).
    Settle(JobTxArgs),
    /// Refund a job nobody committed by its deadline (anyone may send it).
    Expire(JobTxArgs),
    /// Cancel your open job before it is assigned (the buyer); the escrow comes back.
    Cancel(JobTxArgs),
    /// Attest a committed job you were drawn to verify (`selection.verifiers`), before its
    /// challenge window ends; attesting verifiers share part of the fee at settlement.
    Attest(JobTxArgs),
    /// Run a job spec locally: writes weights.safetensors, metrics.json, trace.json,
    /// checkpoints/ and receipt.json to --out, and prints the receipt.
    RunLocal(RunLocalArgs),
    /// Compare two traces of the same job: the first step and op where they differ (what a
    /// dispute's bisection finds), with Merkle proofs of both leaves checked against each root.
    Diff {
        /// One `trace.json`.
        a: PathBuf,
        /// The other `trace.json`.
        b: PathBuf,
    },
}

/// Kernel implementation (results are bit-identical whichever runs).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KernelArg {
    /// The scalar reference.
    Scalar,
    /// The best SIMD kernels this CPU has.
    Simd,
    /// The fastest available (same as simd).
    Auto,
}

/// Arguments of `job run-local`.
#[derive(Debug, Args)]
pub struct RunLocalArgs {
    /// The job spec (TOML); data paths are relative to its folder.
    pub spec: PathBuf,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Threads (default: all cores). Results do not depend on it.
    #[arg(long, env = "VERITY_THREADS")]
    pub threads: Option<usize>,
    /// Kernel implementation. Results do not depend on it.
    #[arg(long, value_enum, default_value = "auto", env = "VERITY_KERNEL")]
    pub kernel: KernelArg,
    /// Resume from this checkpoint file (written by an earlier run of the same spec).
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Stop once this many steps are done in total (default: the spec's train.steps).
    #[arg(long)]
    pub until: Option<u64>,
}

/// Run a `job` subcommand.
pub fn run(ctx: &Ctx, cmd: JobCmd) -> anyhow::Result<()> {
    match cmd {
        JobCmd::RunLocal(a) => run_local(ctx, a),
        JobCmd::Diff { a, b } => diff(ctx, &a, &b),
        JobCmd::Submit(a) => submit(ctx, a),
        JobCmd::Status { id } => status(ctx, id),
        JobCmd::Fetch { id, out } => fetch(ctx, id, &out),
        JobCmd::List(a) => list(ctx, a),
        JobCmd::Settle(a) => job_tx(ctx, Payload::Settle { job: a.id }, &a),
        JobCmd::Expire(a) => job_tx(ctx, Payload::Expire { job: a.id }, &a),
        JobCmd::Cancel(a) => job_tx(ctx, Payload::Cancel { job: a.id }, &a),
        JobCmd::Attest(a) => job_tx(ctx, Payload::Attest { job: a.id }, &a),
    }
}

fn run_local(ctx: &Ctx, a: RunLocalArgs) -> anyhow::Result<()> {
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let kernel = match a.kernel {
        KernelArg::Scalar => KernelChoice::Scalar,
        KernelArg::Simd => KernelChoice::Simd,
        KernelArg::Auto => KernelChoice::Auto,
    };
    let opts = RunOptions {
        kernel,
        threads,
        out_dir: Some(a.out.clone()),
        resume: a.resume,
        until: a.until,
        ..RunOptions::default()
    };
    let bar = if ctx.json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} [{bar:40}] step {pos}/{len} loss {msg} ({eta})",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        b
    };
    let out = run_spec_file(&a.spec, &opts, &mut |done, total, loss| {
        bar.set_length(total);
        bar.set_position(done);
        bar.set_message(format!("{loss:.5}"));
    })?;
    bar.finish_and_clear();
    let r = &out.receipt;
    if ctx.json {
        println!("{}", serde_json::to_string(r)?);
    } else {
        println!("{}", r.human());
        println!("outputs in {}", a.out.display());
    }
    Ok(())
}

fn diff(ctx: &Ctx, a: &std::path::Path, b: &std::path::Path) -> anyhow::Result<()> {
    let (ta, tb) = (Trace::read(a)?, Trace::read(b)?);
    let (ra, rb) = (ta.root(), tb.root());
    let Some((step, leaf)) = ta.first_divergence(&tb) else {
        let same = ra == rb;
        if ctx.json {
            println!(
                "{}",
                serde_json::json!({ "diverges": false, "same_root": same, "root_a": to_hex(&ra), "root_b": to_hex(&rb) })
            );
        } else if same {
            println!("traces agree: root {}", to_hex(&ra));
        } else {
            println!(
                "the common steps agree; the traces differ in length ({} vs {} steps)",
                ta.steps.len(),
                tb.steps.len()
            );
        }
        return Ok(());
    };
    let what = match ta.layout.get(leaf) {
        Some(LeafInfo::Op(r)) => format!("op `{}`", r.name),
        Some(LeafInfo::Input(n)) => format!("input `{n}`"),
        Some(LeafInfo::State) => "state leaf".to_string(),
        None => "leaf count".to_string(),
    };
    let mut verified = true;
    for (t, root) in [(&ta, &ra), (&tb, &rb)] {
        let ok = match (
            t.prove_step(step),
            t.prove_leaf(step, leaf),
            t.steps[step].leaves.get(leaf),
        ) {
            (Some(sp), Some(lp), Some(l)) => verify_leaf(root, &t.steps[step].hash, &sp, l, &lp),
            _ => false,
        };
        verified &= ok;
    }
    let step_no = ta.steps[step].step;
    if ctx.json {
        println!(
            "{}",
            serde_json::json!({
                "diverges": true,
                "step": step_no,
                "leaf": leaf,
                "what": what,
                "leaf_a": ta.steps[step].leaves.get(leaf).map(to_hex),
                "leaf_b": tb.steps[step].leaves.get(leaf).map(to_hex),
                "proofs_verified": verified,
                "root_a": to_hex(&ra),
                "root_b": to_hex(&rb),
            })
        );
    } else {
        println!("first divergence: step {step_no}, leaf {leaf} ({what})");
        println!("  root a {}\n  root b {}", to_hex(&ra), to_hex(&rb));
        println!(
            "  Merkle proofs of both leaves under their roots: {}",
            if verified { "verified" } else { "FAILED" }
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Marketplace job commands (issue 4).

/// Arguments of `job submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The job spec (TOML). Its `data.path` names the file the provider will write the first
    /// `--data` file to.
    pub spec: PathBuf,
    /// Data file(s), uploaded in this order (the spec's data file first).
    #[arg(long = "data", value_name = "FILE", required = true)]
    pub data: Vec<PathBuf>,
    /// Most you pay, in whole tokens (e.g. 10 or 2.5).
    #[arg(long)]
    pub max_price: String,
    /// Escrow deposited now, whole tokens (≥ the max price; the rest is refunded at settle).
    #[arg(long)]
    pub escrow: Option<String>,
    /// Payment token symbol.
    #[arg(long, default_value = "VTY")]
    pub token: String,
    /// Probability (bps, 10 000 = always) that the commit is spot-checked by a verifier.
    #[arg(long, default_value_t = 1_000)]
    pub spot_check_bps: u32,
    /// Challenge window after the commit, seconds.
    #[arg(long, default_value_t = 30)]
    pub challenge_window_secs: u64,
    /// Bid window after posting, seconds.
    #[arg(long, default_value_t = 5)]
    pub bid_window_secs: u64,
    /// Commit deadline after posting, seconds (after the bid window).
    #[arg(long, default_value_t = 600)]
    pub deadline_secs: u64,
    /// Required device class (free text, e.g. `cpu`).
    #[arg(long, default_value = "cpu")]
    pub device_class: String,
    /// Least cores a provider must have.
    #[arg(long, default_value_t = 1)]
    pub min_cores: u32,
    /// Least memory a provider must have, MiB.
    #[arg(long, default_value_t = 0)]
    pub min_memory_mb: u64,
    #[command(flatten)]
    pub signer: SignerArgs,
}

/// Arguments of `job list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only jobs in this status (open, assigned, committed, disputed, settled, expired,
    /// cancelled, slashed).
    #[arg(long)]
    pub status: Option<String>,
    /// Only jobs won by this provider (0x address or key name).
    #[arg(long)]
    pub provider: Option<String>,
    /// Only jobs posted by this buyer (0x address or key name).
    #[arg(long)]
    pub buyer: Option<String>,
    /// Skip this many.
    #[arg(long)]
    pub offset: Option<usize>,
    /// At most this many (default 100).
    #[arg(long)]
    pub limit: Option<usize>,
}

/// Arguments of the one-job transactions (`settle`, `expire`, `cancel`).
#[derive(Debug, Args)]
pub struct JobTxArgs {
    /// Job id.
    pub id: u64,
    #[command(flatten)]
    pub signer: SignerArgs,
    #[command(flatten)]
    pub opts: SendOpts,
}

fn job_tx(ctx: &Ctx, payload: Payload, a: &JobTxArgs) -> anyhow::Result<()> {
    sign_send_report(ctx, &a.signer, payload, &a.opts)
}

fn secs_to_ms(secs: u64, flag: &str) -> anyhow::Result<u64> {
    secs.checked_mul(1000)
        .with_context(|| format!("--{flag} is too large"))
}

fn read_file(path: &std::path::Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

fn submit(ctx: &Ctx, a: SubmitArgs) -> anyhow::Result<()> {
    let spec_bytes = read_file(&a.spec, "job spec")?;
    let data = a
        .data
        .iter()
        .map(|p| read_file(p, "data file"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let client = chain::client(ctx);
    let token = chain::token_by_symbol(&client, &a.token)?;
    let max_price = parse_amount(&a.max_price, token.info.decimals).context("--max-price")?;
    let escrow = match &a.escrow {
        Some(e) => parse_amount(e, token.info.decimals).context("--escrow")?,
        None => max_price,
    };
    let offer = JobOffer {
        token: token.id,
        max_price,
        escrow,
        device_class: a.device_class.clone(),
        min_cores: a.min_cores,
        min_memory_mb: a.min_memory_mb,
        spot_check_bps: a.spot_check_bps,
        challenge_window_ms: secs_to_ms(a.challenge_window_secs, "challenge-window-secs")?,
        bid_window_ms: secs_to_ms(a.bid_window_secs, "bid-window-secs")?,
        deadline_ms: secs_to_ms(a.deadline_secs, "deadline-secs")?,
    };
    let key = a.signer.load(&Keystore::new(ctx.keystore_dir()))?;
    let id = submit_job(&client, &key, &spec_bytes, &data, &offer)?;
    let spec_hash = blob_hash(&spec_bytes);
    let data_hashes: Vec<_> = data.iter().map(|d| blob_hash(d)).collect();
    ctx.emit(
        json!({"job": id, "spec_hash": spec_hash, "data_hashes": data_hashes,
               "token": token.info.symbol, "max_price": max_price.to_string(),
               "escrow": escrow.to_string()}),
        || {
            format!(
                "posted job {id}: max price {} {sym}, escrow {} {sym}\n  spec {spec_hash}\n  watch it: verity job status {id}",
                format_amount(max_price, token.info.decimals),
                format_amount(escrow, token.info.decimals),
                sym = token.info.symbol
            )
        },
    )
}

fn fetch(ctx: &Ctx, id: u64, out: &std::path::Path) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    let job = client
        .job(id)
        .with_context(|| format!("cannot read job {id}"))?;
    let Some(commit) = &job.commit else {
        bail!(
            "job {id} has no committed result yet (status {:?}): nothing to fetch",
            job.status
        );
    };
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let m = fetch_outputs(&client, id, &commit.output_hash, out).with_context(|| {
        format!(
            "job {id}'s outputs do not match the committed output hash {} (or cannot be fetched)",
            commit.output_hash
        )
    })?;
    let files: Vec<&str> = m.files.iter().map(|f| f.name.as_str()).collect();
    ctx.emit(
        json!({"job": id, "out": out, "output_hash": commit.output_hash,
               "files": files, "checkpoints": m.checkpoints.len(), "receipt": m.receipt,
               "verified": true}),
        || {
            format!(
                "fetched job {id}'s outputs to {} ({} files, {} checkpoints), each checked against\n  \
                 the committed output hash {} (the manifest's blake3)\n  trace root {} · final loss {}",
                out.display(),
                files.len(),
                m.checkpoints.len(),
                commit.output_hash,
                m.receipt.trace_root,
                m.receipt.final_loss
            )
        },
    )
}

/// Symbol and decimals of `token` (falls back to the id and 0 decimals when unknown).
pub fn token_meta(client: &ApiClient, token: TokenId) -> (String, u8) {
    client
        .tokens()
        .ok()
        .and_then(|t| t.tokens.into_iter().find(|e| e.id == token))
        .map_or_else(
            || (format!("token#{}", token.0), 0),
            |e| (e.info.symbol, e.info.decimals),
        )
}

fn status(ctx: &Ctx, id: u64) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    let job = client
        .job(id)
        .with_context(|| format!("cannot read job {id}"))?;
    let mut value = serde_json::to_value(&job)?;
    let (sym, dec) = token_meta(&client, job.terms.token);
    // issue 6: energy and carbon once reported (GET /v1/green/jobs/{id}); absent on old nodes.
    let energy = client.green_job(id).ok().and_then(|g| g.energy);
    if let (Some(obj), Some(e)) = (value.as_object_mut(), &energy) {
        obj.insert("energy".into(), serde_json::to_value(e)?);
    }
    ctx.emit(value, || {
        let mut text = job_text(&job, &sym, dec);
        if let Some(e) = &energy {
            text.push_str(&format!(
                "\n  energy {} kWh · carbon {} gCO2e (SCI) · green share {}.{:02}%{}",
                format_amount(e.sci.energy_mwh, 6),
                format_amount(e.sci.sci_mg, 3),
                e.green_bps / 100,
                e.green_bps % 100,
                e.asset
                    .map_or_else(String::new, |a| format!(" · on asset {a}"))
            ));
        }
        text
    })
}

/// A job for people (several lines).
pub fn job_text(j: &Job, sym: &str, dec: u8) -> String {
    let amt = |v: u128| format!("{} {sym}", format_amount(v, dec));
    let t = &j.terms;
    let mut out = format!(
        "job {} · {:?}\n  buyer {} · max price {} · escrow {}\n  spec {} · {} data file(s)\n  \
         requires {} · ≥{} cores · ≥{} MiB · spot-check {} bps\n  bidding closes at {} ms · \
         deadline {} ms · challenge window {} s",
        j.id,
        j.status,
        j.buyer,
        amt(t.max_price),
        amt(t.escrow),
        t.spec_hash,
        t.data_hashes.len(),
        t.device_class,
        t.min_cores,
        t.min_memory_mb,
        t.spot_check_bps,
        j.bid_close,
        j.deadline,
        t.challenge_window_ms / 1000,
    );
    if j.bids.is_empty() {
        out.push_str("\n  no bids yet");
    }
    for b in &j.bids {
        out.push_str(&format!("\n  bid {} at {}", b.provider, amt(b.price)));
    }
    if let Some(p) = &j.provider {
        out.push_str(&format!(
            "\n  won by {p} at {} (stake locked {})",
            amt(j.price),
            amt(j.locked)
        ));
    }
    if let Some(c) = &j.commit {
        out.push_str(&format!(
            "\n  committed at {} ms: trace {} ({} steps × {} leaves), output {}",
            c.at, c.trace_root, c.steps, c.ops_per_step, c.output_hash
        ));
    }
    if !j.disputes.is_empty() {
        let ids: Vec<String> = j.disputes.iter().map(u64::to_string).collect();
        out.push_str(&format!(
            "\n  disputes {} (verity dispute show ID)",
            ids.join(", ")
        ));
    }
    out
}

fn list(ctx: &Ctx, a: ListArgs) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    let filter = JobFilter {
        status: a.status,
        provider: a
            .provider
            .map(|p| chain::resolve_address(ctx, &p))
            .transpose()?,
        buyer: a
            .buyer
            .map(|p| chain::resolve_address(ctx, &p))
            .transpose()?,
        offset: a.offset,
        limit: a.limit,
    };
    let page = client.jobs(&filter).context("cannot list jobs")?;
    let value = serde_json::to_value(&page)?;
    ctx.emit(value, || {
        let mut out = format!(
            "{} job(s) at height {} (showing {})",
            page.total,
            page.height,
            page.jobs.len()
        );
        let mut metas: std::collections::BTreeMap<u32, (String, u8)> = Default::default();
        for j in &page.jobs {
            let (sym, dec) = metas
                .entry(j.terms.token.0)
                .or_insert_with(|| token_meta(&client, j.terms.token))
                .clone();
            let who = j
                .provider
                .map_or_else(|| "-".to_string(), |p| p.to_string());
            out.push_str(&format!(
                "\n  #{:<4} {:<10} max {} {sym} · price {} · provider {who} · {} bid(s)",
                j.id,
                format!("{:?}", j.status),
                format_amount(j.terms.max_price, dec),
                format_amount(j.price, dec),
                j.bids.len()
            ));
        }
        out
    })
}
