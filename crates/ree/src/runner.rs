//! The local job runner: spec file → data → training loop → outputs and receipt.
//!
//! Files written to the output folder (when one is given):
//! - `weights.safetensors`: final parameters (F32, names as in [`crate::model`]; linear weights
//!   `[in, out]`), metadata `format`, `model`, and `vocab` (transformer: the vocabulary as a JSON
//!   string) — readable by `safetensors.torch.load_file` unchanged.
//! - `metrics.json`: `{"first_step": s, "loss": [per step]}`.
//! - `trace.json`: the [`Trace`] (layout + every step's leaves and hash).
//! - `checkpoints/step-NNNNNNNN.safetensors`: state after every `checkpoint_every` steps.
//! - `receipt.json`: the [`Receipt`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::ReeError;
use crate::checkpoint::{Checkpoint, to_safetensors};
use crate::data;
use crate::kernels::{Exec, KernelChoice};
use crate::model::Model;
use crate::ops::KERNEL_SEMANTICS_VERSION;
use crate::prng::PRNG_VERSION;
use crate::receipt::{RECEIPT_VERSION, Receipt};
use crate::spec::{JobSpec, ModelSpec, Task};
use crate::tensor::Tensor;
use crate::trace::{self, StepTrace, Trace};
use crate::train::Trainer;
use crate::train::recorder::{BitFlip, CapturedOp};

/// How to run a job.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Kernel implementation (never changes the bits).
    pub kernel: KernelChoice,
    /// Threads (never changes the bits).
    pub threads: usize,
    /// Hash every op and build the trace (off only to measure tracing's cost).
    pub tracing: bool,
    /// Where to write outputs; `None` writes nothing.
    pub out_dir: Option<PathBuf>,
    /// Start from this checkpoint file instead of step 0.
    pub resume: Option<PathBuf>,
    /// Stop after this many steps in total (default: the spec's `train.steps`).
    pub until: Option<u64>,
    /// Simulated provider fault (tests of dispute tooling only).
    pub fault: Option<BitFlip>,
    /// Keep the op at `(step, leaf)` with its inputs (what a provider hands a referee).
    pub capture: Option<(u64, usize)>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            kernel: KernelChoice::Auto,
            threads: 1,
            tracing: true,
            out_dir: None,
            resume: None,
            until: None,
            fault: None,
            capture: None,
        }
    }
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// The receipt.
    pub receipt: Receipt,
    /// The trace of the steps run.
    pub trace: Trace,
    /// Loss per step run.
    pub losses: Vec<f32>,
    /// Final parameters, model order.
    pub weights: Vec<(String, Tensor)>,
    /// The op asked for by [`RunOptions::capture`].
    pub captured: Option<CapturedOp>,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ReeError {
    let path = path.display().to_string();
    move |source| ReeError::Io {
        action,
        path,
        source,
    }
}

/// Read a spec file and run it; data paths are relative to the spec's folder.
pub fn run_spec_file(
    spec_path: &Path,
    opts: &RunOptions,
    progress: &mut dyn FnMut(u64, u64, f32),
) -> Result<RunOutput, ReeError> {
    let bytes = std::fs::read(spec_path).map_err(io("cannot read job spec", spec_path))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ReeError::SpecParse(format!("{} is not UTF-8", spec_path.display())))?;
    let spec = JobSpec::from_toml(text)?;
    let base = spec_path.parent().unwrap_or(Path::new("."));
    run_job(&spec, &bytes, base, opts, progress)
}

/// Run a parsed job. `spec_bytes` are hashed into the receipt's `spec_hash`; `progress` is
/// called after every step with `(steps done, total steps, loss)`.
pub fn run_job(
    spec: &JobSpec,
    spec_bytes: &[u8],
    base: &Path,
    opts: &RunOptions,
    progress: &mut dyn FnMut(u64, u64, f32),
) -> Result<RunOutput, ReeError> {
    let spec_hash = data::hash_hex(spec_bytes);
    let task = match &spec.model {
        ModelSpec::Mlp(m) => m.task,
        ModelSpec::Transformer(_) => Task::Classification,
    };
    let (dataset, data_hash) = data::load(&spec.data, base, task)?;
    let vocab: Option<String> = match &dataset {
        data::Dataset::Text(t) => Some(t.vocab.iter().collect()),
        data::Dataset::Table(_) => None,
    };
    let mut trainer = Trainer::new(spec, dataset)?;
    // Hash on a background thread only when a core is free beyond the compute threads (and one
    // for everything else); on a busy or small machine inline hashing is faster. Same hashes.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if opts.tracing && cores > opts.threads + 1 {
        trainer.set_background_hashing(true)?;
    }
    let exec = Exec::new(opts.kernel, opts.threads)?;
    let mut state = match &opts.resume {
        Some(path) => {
            let ck = Checkpoint::read(path)?;
            if ck.spec_hash != spec_hash {
                return Err(ReeError::Checkpoint {
                    path: path.display().to_string(),
                    message: "belongs to another job spec (spec hash differs)".into(),
                });
            }
            trainer.state_from_checkpoint(&ck, opts.tracing)?
        }
        None => trainer.init_state(opts.tracing)?,
    };
    let total = opts.until.unwrap_or(spec.train.steps).min(spec.train.steps);
    let first_step = state.step;
    let ck_dir = opts.out_dir.as_ref().map(|d| d.join("checkpoints"));
    if let Some(d) = &ck_dir
        && spec.train.checkpoint_every > 0
    {
        std::fs::create_dir_all(d).map_err(io("cannot create", d))?;
    }
    let mut steps = Vec::new();
    let mut losses = Vec::new();
    let mut layout = Vec::new();
    let mut ops_per_step = 0;
    let mut captured = None;
    let started = Instant::now();
    while state.step < total {
        let capture = opts
            .capture
            .filter(|(s, _)| *s == state.step)
            .map(|(_, leaf)| leaf);
        let mut out = trainer.step(&exec, &mut state, opts.tracing, opts.fault, capture)?;
        if out.captured.is_some() {
            captured = out.captured.take();
        }
        if layout.is_empty() {
            layout = out.layout;
            ops_per_step = out.ops;
        }
        losses.push(out.loss);
        steps.push(StepTrace {
            step: state.step - 1,
            hash: out.hash,
            loss: out.loss,
            leaves: out.leaves,
        });
        let every = spec.train.checkpoint_every;
        if let Some(d) = &ck_dir
            && every > 0
            && state.step % every == 0
        {
            let path = d.join(format!("step-{:08}.safetensors", state.step));
            trainer.checkpoint(&state, &spec_hash).write(&path)?;
        }
        progress(state.step, total, out.loss);
    }
    let wall_time_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let trace = Trace { layout, steps };
    let weights: Vec<(String, Tensor)> = trainer
        .params(&state)
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect();
    let output_hash = trace::merkle::root(
        &weights
            .iter()
            .map(|(n, t)| trace::state_entry(n, &t.hash()))
            .collect::<Vec<_>>(),
    );
    let receipt = Receipt {
        receipt_version: RECEIPT_VERSION,
        ree_version: env!("CARGO_PKG_VERSION").to_string(),
        kernel_semantics_version: KERNEL_SEMANTICS_VERSION,
        prng_version: PRNG_VERSION,
        model: match trainer.model {
            Model::Mlp(_) => "mlp".into(),
            Model::Transformer(_) => "transformer".into(),
        },
        spec_hash,
        data_hash: trace::to_hex(&data_hash),
        output_hash: trace::to_hex(&output_hash),
        trace_root: trace::to_hex(&trace.root()),
        first_step,
        steps: state.step - first_step,
        ops_per_step,
        leaves_per_step: trace.layout.len(),
        final_loss: losses.last().copied().unwrap_or(f32::NAN),
        kernel: exec.kernel_name().to_string(),
        threads: exec.threads(),
        wall_time_ms,
    };
    let output = RunOutput {
        receipt,
        trace,
        losses,
        weights,
        captured,
    };
    if let Some(dir) = &opts.out_dir {
        write_outputs(dir, &output, vocab)?;
    }
    Ok(output)
}

fn write_outputs(dir: &Path, out: &RunOutput, vocab: Option<String>) -> Result<(), ReeError> {
    std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
    let mut meta = HashMap::from([
        ("format".to_string(), "verity-ree-weights-v1".to_string()),
        ("model".to_string(), out.receipt.model.clone()),
        (
            "layout".to_string(),
            "linear weights are [in, out]".to_string(),
        ),
    ]);
    if let Some(v) = vocab {
        let json = serde_json::to_string(&v).expect("a string always serialises");
        meta.insert("vocab".to_string(), json);
    }
    let weights = to_safetensors(&out.weights, Some(meta))?;
    let p = dir.join("weights.safetensors");
    std::fs::write(&p, weights).map_err(io("cannot write", &p))?;
    let metrics = serde_json::json!({
        "first_step": out.receipt.first_step,
        "loss": out.losses,
    });
    let p = dir.join("metrics.json");
    std::fs::write(&p, metrics.to_string()).map_err(io("cannot write", &p))?;
    out.trace.write(&dir.join("trace.json"))?;
    let p = dir.join("receipt.json");
    let r = serde_json::to_string_pretty(&out.receipt).expect("a receipt always serialises");
    std::fs::write(&p, r).map_err(io("cannot write", &p))?;
    Ok(())
}
