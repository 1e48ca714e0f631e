//! A job's files on the agent's disk and how outputs travel.
//!
//! **Inputs.** [`JobFiles::fetch`] downloads the spec (`terms.spec_hash`) and every data blob
//! (`terms.data_hashes`) from the content store into `<work_dir>/job-<id>/`, refusing any blob
//! whose blake3 differs from the hash the job names. The spec's `[data] path` is replaced by
//! the local file of the first data hash (`data-0`); the spec's own bytes are kept, so the
//! receipt's `spec_hash` and checkpoint spec hashes stay the blake3 of the posted spec.
//!
//! **Outputs** (how verifiers get the step hashes and checkpoints). The provider uploads each
//! output file as a blob: `weights.safetensors`, `metrics.json`, `receipt.json`, `trace.json`
//! (every step's leaves — the step hashes a verifier compares) and every checkpoint
//! `checkpoints/step-NNNNNNNN.safetensors`, then an [`OutputManifest`] (JSON) naming them all
//! with their hashes. The **committed output hash is the manifest's blob hash**, so anyone can
//! fetch and check the outputs from the ledger alone ([`fetch_outputs`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use verity_api::{ApiClient, ApiError};
use verity_ledger::market::Job;
use verity_primitives::Hash;
use verity_ree::checkpoint::Checkpoint;
use verity_ree::receipt::Receipt as ReeReceipt;
use verity_ree::runner::{RunOptions, RunOutput, run_job};
use verity_ree::spec::JobSpec;
use verity_ree::trace::{self, Hash32};

use crate::AgentError;

/// Format tag of an [`OutputManifest`].
pub const MANIFEST_FORMAT: &str = "verity-job-outputs-v1";

/// Local file name of data blob `i`.
pub fn data_file(i: usize) -> String {
    format!("data-{i}")
}

/// A job's spec and data on disk, ready to run.
#[derive(Clone, Debug)]
pub struct JobFiles {
    /// Job id.
    pub job: u64,
    /// `<work_dir>/job-<id>` (or a sub-folder for a role).
    pub dir: PathBuf,
    /// The parsed spec, data path pointing at the local data file.
    pub spec: JobSpec,
    /// The posted spec bytes (their blake3 is the job's spec hash).
    pub spec_bytes: Vec<u8>,
}

fn blob(client: &ApiClient, job: u64, h: &Hash) -> Result<Vec<u8>, AgentError> {
    client.get_blob(h).map_err(|e| match e {
        ApiError::Transport { .. } => AgentError::Api(e),
        other => AgentError::BadBlob {
            job,
            hash: h.to_string(),
            reason: other.to_string(),
        },
    })
}

impl JobFiles {
    /// Download `job`'s spec and data into `dir` (see the module doc) and parse the spec.
    pub fn fetch(client: &ApiClient, job: &Job, dir: &Path) -> Result<JobFiles, AgentError> {
        let id = job.id;
        if job.terms.data_hashes.is_empty() {
            return Err(AgentError::BadJob {
                job: id,
                reason: "names no data file (a ree job reads one)".into(),
            });
        }
        std::fs::create_dir_all(dir).map_err(AgentError::io("cannot create", dir))?;
        let spec_bytes = blob(client, id, &job.terms.spec_hash)?;
        let text = std::str::from_utf8(&spec_bytes).map_err(|_| AgentError::BadJob {
            job: id,
            reason: "the spec is not UTF-8 TOML".into(),
        })?;
        let mut spec = JobSpec::from_toml(text).map_err(|e| AgentError::BadJob {
            job: id,
            reason: format!("the spec does not parse: {e}"),
        })?;
        for (i, h) in job.terms.data_hashes.iter().enumerate() {
            let path = dir.join(data_file(i));
            let ok = std::fs::read(&path).is_ok_and(|b| verity_api::market::blob_hash(&b) == *h);
            if !ok {
                let bytes = blob(client, id, h)?;
                std::fs::write(&path, bytes).map_err(AgentError::io("cannot write", &path))?;
            }
        }
        spec.data.path = data_file(0);
        let path = dir.join("spec.toml");
        std::fs::write(&path, &spec_bytes).map_err(AgentError::io("cannot write", &path))?;
        Ok(JobFiles {
            job: id,
            dir: dir.to_path_buf(),
            spec,
            spec_bytes,
        })
    }

    /// Steps the job trains.
    pub fn steps(&self) -> u64 {
        self.spec.train.steps
    }

    /// The blake3 of the spec bytes, hex (what checkpoints carry).
    pub fn spec_hash_hex(&self) -> String {
        verity_ree::data::hash_hex(&self.spec_bytes)
    }

    /// Run the job (or part of it) with `opts`; `progress(done, total)` after every step.
    pub fn run(
        &self,
        opts: &RunOptions,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<RunOutput, AgentError> {
        run_job(
            &self.spec,
            &self.spec_bytes,
            &self.dir,
            opts,
            &mut |d, t, _| progress(d, t),
        )
        .map_err(|source| AgentError::Ree {
            job: self.job,
            source,
        })
    }

    /// This job's spec with checkpoints every `every` steps when the spec sets none.
    pub fn with_checkpoints(mut self, every: u64) -> JobFiles {
        if self.spec.train.checkpoint_every == 0 {
            self.spec.train.checkpoint_every = every;
        }
        self
    }
}

/// One uploaded output file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// File name (relative to the output folder).
    pub name: String,
    /// Content-store hash.
    pub hash: Hash,
    /// Bytes.
    pub size: u64,
}

/// One uploaded checkpoint: the state after `step` steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointRef {
    /// Steps completed.
    pub step: u64,
    /// Content-store hash.
    pub hash: Hash,
}

/// What a provider publishes for a job; its blob hash is the committed output hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputManifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// Job id.
    pub job: u64,
    /// The run's `ree` receipt.
    pub receipt: ReeReceipt,
    /// `weights.safetensors`, `metrics.json`, `receipt.json`, `trace.json`.
    pub files: Vec<OutputFile>,
    /// Checkpoints in step order.
    pub checkpoints: Vec<CheckpointRef>,
}

impl OutputManifest {
    /// The file called `name`.
    pub fn file(&self, name: &str) -> Option<&OutputFile> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// The output files a provider uploads (besides checkpoints).
pub const OUTPUT_FILES: [&str; 4] = [
    "weights.safetensors",
    "metrics.json",
    "receipt.json",
    "trace.json",
];

/// Upload the outputs written to `out_dir` by a run with `receipt`, then the manifest; returns
/// the manifest hash (the output hash to commit) and the number of blobs uploaded.
pub fn upload_outputs(
    client: &ApiClient,
    job: u64,
    out_dir: &Path,
    receipt: &ReeReceipt,
) -> Result<(Hash, usize), AgentError> {
    let mut files = Vec::new();
    for name in OUTPUT_FILES {
        let path = out_dir.join(name);
        let bytes = std::fs::read(&path).map_err(AgentError::io("cannot read", &path))?;
        let hash = client.put_blob(&bytes)?;
        files.push(OutputFile {
            name: name.to_string(),
            hash,
            size: bytes.len() as u64,
        });
    }
    let mut checkpoints = Vec::new();
    let ck_dir = out_dir.join("checkpoints");
    if ck_dir.is_dir() {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&ck_dir)
            .map_err(AgentError::io("cannot list", &ck_dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        names.sort();
        for path in names {
            let Some(step) = checkpoint_step(&path) else {
                continue;
            };
            let bytes = std::fs::read(&path).map_err(AgentError::io("cannot read", &path))?;
            checkpoints.push(CheckpointRef {
                step,
                hash: client.put_blob(&bytes)?,
            });
        }
    }
    let n = files.len() + checkpoints.len() + 1;
    let manifest = OutputManifest {
        format: MANIFEST_FORMAT.into(),
        job,
        receipt: receipt.clone(),
        files,
        checkpoints,
    };
    let bytes = serde_json::to_vec_pretty(&manifest).expect("a manifest always serialises");
    Ok((client.put_blob(&bytes)?, n))
}

fn checkpoint_step(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    name.strip_prefix("step-")?
        .strip_suffix(".safetensors")?
        .parse()
        .ok()
}

/// Fetch and parse the manifest with hash `output_hash` (the committed output hash).
pub fn fetch_manifest(
    client: &ApiClient,
    job: u64,
    output_hash: &Hash,
) -> Result<OutputManifest, AgentError> {
    let bytes = blob(client, job, output_hash)?;
    let m: OutputManifest = serde_json::from_slice(&bytes).map_err(|e| AgentError::BadBlob {
        job,
        hash: output_hash.to_string(),
        reason: format!("not an output manifest: {e}"),
    })?;
    if m.format != MANIFEST_FORMAT {
        return Err(AgentError::BadBlob {
            job,
            hash: output_hash.to_string(),
            reason: format!("manifest format {} is not {MANIFEST_FORMAT}", m.format),
        });
    }
    Ok(m)
}

/// Download a committed job's outputs (manifest, files, checkpoints) into `out_dir`, each
/// checked against its hash (`verity job fetch`). Returns the manifest.
pub fn fetch_outputs(
    client: &ApiClient,
    job: u64,
    output_hash: &Hash,
    out_dir: &Path,
) -> Result<OutputManifest, AgentError> {
    let m = fetch_manifest(client, job, output_hash)?;
    let ck_dir = out_dir.join("checkpoints");
    std::fs::create_dir_all(&ck_dir).map_err(AgentError::io("cannot create", &ck_dir))?;
    let mut all: Vec<(PathBuf, Hash)> = Vec::new();
    for f in &m.files {
        if f.name.contains(['/', '\\']) || f.name.starts_with('.') {
            return Err(AgentError::BadBlob {
                job,
                hash: f.hash.to_string(),
                reason: format!("unsafe output file name {:?}", f.name),
            });
        }
        all.push((out_dir.join(&f.name), f.hash));
    }
    for c in &m.checkpoints {
        all.push((
            ck_dir.join(format!("step-{:08}.safetensors", c.step)),
            c.hash,
        ));
    }
    for (path, h) in all {
        let bytes = blob(client, job, &h)?;
        std::fs::write(&path, bytes).map_err(AgentError::io("cannot write", &path))?;
    }
    let path = out_dir.join("manifest.json");
    let bytes = serde_json::to_vec_pretty(&m).expect("a manifest always serialises");
    std::fs::write(&path, bytes).map_err(AgentError::io("cannot write", &path))?;
    Ok(m)
}

/// The state leaf a checkpoint stands for: it must equal the last leaf of step
/// `checkpoint.step − 1` of a trace that passed through it.
pub fn checkpoint_state_leaf(ck: &Checkpoint) -> Hash32 {
    let mut entries: Vec<Hash32> = ck
        .state
        .iter()
        .map(|(n, t)| trace::state_entry(n, &t.hash()))
        .collect();
    entries.push(trace::cursor_entry(ck.step, ck.cursor.epoch, ck.cursor.pos));
    trace::state_leaf(&trace::merkle::root(&entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_names() {
        assert_eq!(
            checkpoint_step(Path::new("/x/step-00000012.safetensors")),
            Some(12)
        );
        assert_eq!(checkpoint_step(Path::new("/x/weights.safetensors")), None);
    }

    #[test]
    fn checkpoint_leaf_matches_trace() {
        let dir = tempfile::tempdir().unwrap();
        let wine = verity_ree::data::builtin::export("winequality").unwrap();
        std::fs::write(dir.path().join("data-0"), wine.csv).unwrap();
        let text = "[model]\nkind = \"mlp\"\nlayers = [11, 4, 1]\nactivation = \"relu\"\n[data]\npath = \"data-0\"\nformat = \"csv\"\ntarget = \"quality\"\n[train]\noptimizer = \"sgd\"\nlr = 0.01\nbatch_size = 8\nsteps = 4\nseed = 7\ncheckpoint_every = 2\n";
        let spec = JobSpec::from_toml(text).unwrap();
        let files = JobFiles {
            job: 0,
            dir: dir.path().to_path_buf(),
            spec,
            spec_bytes: text.as_bytes().to_vec(),
        };
        let out = dir.path().join("out");
        let r = files
            .run(
                &RunOptions {
                    out_dir: Some(out.clone()),
                    ..RunOptions::default()
                },
                &mut |_, _| {},
            )
            .unwrap();
        let ck = Checkpoint::read(&out.join("checkpoints/step-00000002.safetensors")).unwrap();
        let leaf = checkpoint_state_leaf(&ck);
        assert_eq!(Some(&leaf), r.trace.steps[1].leaves.last());
        assert_ne!(Some(&leaf), r.trace.steps[0].leaves.last());
    }
}
