//! The receipt a run prints and writes (`receipt.json`): what ran, on which semantics, and the
//! commitments a provider posts.
//!
//! - `spec_hash`: blake3 of the spec file's bytes.
//! - `data_hash`: blake3 of the data file's bytes.
//! - `output_hash`: Merkle root (see [`crate::trace::merkle`]) over
//!   [`crate::trace::state_entry`]`(name, tensor hash)` of the final parameters in model order:
//!   independent of the safetensors file's layout.
//! - `trace_root`: Merkle root over the step hashes.

use serde::{Deserialize, Serialize};

/// Version of the receipt's fields and meaning.
pub const RECEIPT_VERSION: u32 = 1;

/// A run's receipt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// [`RECEIPT_VERSION`].
    pub receipt_version: u32,
    /// Version of the `verity-ree` crate that ran the job.
    pub ree_version: String,
    /// [`crate::ops::KERNEL_SEMANTICS_VERSION`]: bits change only when this does.
    pub kernel_semantics_version: u32,
    /// [`crate::prng::PRNG_VERSION`].
    pub prng_version: u32,
    /// `mlp` or `transformer`.
    pub model: String,
    /// blake3 of the spec file (hex).
    pub spec_hash: String,
    /// blake3 of the data file (hex).
    pub data_hash: String,
    /// Commitment to the final weights (hex).
    pub output_hash: String,
    /// Merkle root over the step hashes (hex).
    pub trace_root: String,
    /// First step of this run (0 unless resumed from a checkpoint).
    pub first_step: u64,
    /// Steps run.
    pub steps: u64,
    /// Ops executed per step (forward, backward and optimizer).
    pub ops_per_step: usize,
    /// Leaves per step (input leaves + op leaves + the state leaf).
    pub leaves_per_step: usize,
    /// Loss at the last step.
    pub final_loss: f32,
    /// Kernel implementation that ran (informational: bits do not depend on it).
    pub kernel: String,
    /// Threads used (informational: bits do not depend on it).
    pub threads: usize,
    /// Wall-clock time of the training loop, milliseconds (informational).
    pub wall_time_ms: u64,
}

impl Receipt {
    /// The receipt as lines for people.
    pub fn human(&self) -> String {
        format!(
            "receipt v{}\n  ree version              {}\n  kernel semantics         v{} (prng v{})\n  \
             model                    {}\n  spec hash                {}\n  data hash                {}\n  \
             output hash              {}\n  trace root               {}\n  steps                    {} \
             (from step {})\n  ops per step             {}\n  final loss               {}\n  \
             kernel / threads         {} / {}\n  wall time                {:.3} s",
            self.receipt_version,
            self.ree_version,
            self.kernel_semantics_version,
            self.prng_version,
            self.model,
            self.spec_hash,
            self.data_hash,
            self.output_hash,
            self.trace_root,
            self.steps,
            self.first_step,
            self.ops_per_step,
            self.final_loss,
            self.kernel,
            self.threads,
            self.wall_time_ms as f64 / 1000.0
        )
    }
}
