//! `verity job run-local SPEC --out DIR [--threads N] [--kernel scalar|simd|auto] [--json]`:
//! run a training job on this machine with the reproducible execution engine, write its outputs
//! and print its receipt.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use verity_ree::KernelChoice;
use verity_ree::runner::{RunOptions, run_spec_file};
use verity_ree::trace::{LeafInfo, Trace, to_hex, verify_leaf};

use crate::cmd::Ctx;

/// Jobs.
#[derive(Debug, Subcommand)]
pub enum JobCmd {
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
