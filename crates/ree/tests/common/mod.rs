//! Shared helpers of the ree integration tests: job folders with real data and small specs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use verity_ree::ReeError;
use verity_ree::data::builtin;
use verity_ree::runner::{RunOptions, RunOutput, run_spec_file};

/// A temp folder holding `wine.csv` (the built-in wine-quality set) and `sonnets.txt`.
pub fn job_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let wine = builtin::export("winequality").expect("built in");
    std::fs::write(dir.path().join("wine.csv"), wine.csv).expect("write wine.csv");
    let iris = builtin::export("iris").expect("built in");
    std::fs::write(dir.path().join("iris.csv"), iris.csv).expect("write iris.csv");
    let text = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sonnets.txt");
    std::fs::copy(text, dir.path().join("sonnets.txt")).expect("copy text");
    dir
}

/// An MLP job on wine-quality.
pub fn mlp_spec(layers: &str, optimizer: &str, lr: &str, steps: u64, every: u64) -> String {
    format!(
        r#"[model]
kind = "mlp"
layers = {layers}
activation = "relu"
[data]
path = "wine.csv"
format = "csv"
target = "quality"
[train]
optimizer = "{optimizer}"
lr = {lr}
batch_size = 32
steps = {steps}
seed = 7
checkpoint_every = {every}
"#
    )
}

/// A char transformer job on the sonnets.
pub fn lm_spec(steps: u64, every: u64, lr: &str) -> String {
    format!(
        r#"[model]
kind = "transformer"
d_model = 32
heads = 4
layers = 2
context = 16
[data]
path = "sonnets.txt"
format = "text"
[train]
optimizer = "adamw"
lr = {lr}
batch_size = 8
steps = {steps}
seed = 11
checkpoint_every = {every}
"#
    )
}

/// Write `spec` as `name` in `dir` and return its path.
pub fn write_spec(dir: &Path, name: &str, spec: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, spec).expect("write spec");
    p
}

/// Run a spec file with options, ignoring progress.
pub fn run(path: &Path, opts: &RunOptions) -> Result<RunOutput, ReeError> {
    run_spec_file(path, opts, &mut |_, _, _| {})
}

/// Mean of a slice.
pub fn mean(v: &[f32]) -> f32 {
    v.iter().sum::<f32>() / v.len() as f32
}
