//! The verifier agent. [`run`] registers the account (kind `Agent`), bonds stake up to
//! `stake_target`, then every `poll_interval` looks at committed jobs:
//!
//! - **Which.** A job whose ledger draw (`job.selection`) picked this verifier; with
//!   `whistleblower` set, every committed job (anyone staked may challenge). Jobs without a
//!   draw are checked too.
//! - **Spot check.** Fetch the spec and data (hash-checked), the provider's output manifest
//!   (the committed output hash) and its `trace.json`, which must hash to the committed trace
//!   root. Sample `sample_steps` steps (all when 0), and for each group re-run from the nearest
//!   published checkpoint before it — whose state leaf must equal the last leaf of the step
//!   before it in the committed trace — comparing every re-run step hash with the trace.
//! - **Agree** → `Attest` (when selected). **Mismatch**, or nothing to spot-check against
//!   (missing or inconsistent trace or checkpoint) → run the whole job; if its root differs,
//!   `Challenge` with `challenge_bond` and play the game to the end from its own trace
//!   ([`crate::game`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use verity_api::market::JobFilter;
use verity_ledger::market::{CommitInfo, Job, challenge_end};
use verity_ledger::{ActorKind, Event, Payload};
use verity_primitives::{Address, Hash};
use verity_ree::checkpoint::Checkpoint;
use verity_ree::runner::RunOptions;
use verity_ree::trace::Trace;

use crate::chain::{Link, wall_ms};
use crate::game::{LocalRun, Stalls, advance, ruled_event};
use crate::provider::{all_jobs, per_job};
use crate::work::{JobFiles, checkpoint_state_leaf, fetch_manifest};
use crate::{AgentError, AgentEvent, VerifierConfig};

/// Checkpoint spacing of the verifier's own full runs (used to answer a dispute).
pub const OWN_CHECKPOINT_EVERY: u64 = 10;

/// Run the verifier until `stop` is set (see the module doc). Returns an error only for an
/// unusable configuration; everything else is reported through `on_event`.
pub fn run(
    cfg: VerifierConfig,
    stop: Arc<AtomicBool>,
    mut on_event: impl FnMut(&AgentEvent),
) -> Result<(), AgentError> {
    if cfg.threads == 0 {
        return Err(AgentError::Config("threads must be at least 1".into()));
    }
    std::fs::create_dir_all(&cfg.work_dir)
        .map_err(AgentError::io("cannot create", &cfg.work_dir))?;
    let link = Link::new(&cfg.node_url, cfg.key);
    on_event(&AgentEvent::Started {
        role: "verifier".into(),
        address: link.address(),
    });
    let salt = blake3::hash(&[&link.address().0[..], &wall_ms().to_le_bytes()].concat());
    let mut v = Verifier {
        link: link.clone(),
        cfg,
        checked: BTreeSet::new(),
        disputes: BTreeMap::new(),
        runs: BTreeMap::new(),
        salt: *salt.as_bytes(),
        stalls: Stalls::default(),
    };
    let (metadata, target, poll) = (
        v.cfg.metadata.clone(),
        v.cfg.stake_target,
        v.cfg.poll_interval,
    );
    crate::drive(
        poll,
        &stop,
        &mut on_event,
        &mut |ev| crate::setup(&link, ActorKind::Agent, &metadata, target, ev),
        &mut |ev| v.tick(ev),
    );
    Ok(())
}

/// What a spot check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spot {
    /// Every re-run step matched (`rerun` steps re-run).
    Agree {
        /// Steps re-run.
        rerun: u64,
    },
    /// Step `step` hashed differently.
    Mismatch {
        /// Steps re-run.
        rerun: u64,
        /// The first differing step found.
        step: u64,
    },
    /// The published data cannot back a spot check (the whole job must be re-run).
    Unverifiable {
        /// Why.
        reason: String,
    },
}

struct Verifier {
    link: Link,
    cfg: VerifierConfig,
    /// Committed jobs already looked at.
    checked: BTreeSet<u64>,
    /// Disputes this verifier opened → job.
    disputes: BTreeMap<u64, u64>,
    /// Own full runs by job (for disputes).
    runs: BTreeMap<u64, LocalRun>,
    salt: [u8; 32],
    /// When each dispute last changed.
    stalls: Stalls,
}

/// `k` distinct step indices in `0..n` drawn from `salt` and `job` (all steps when `k` is 0
/// or ≥ n), ascending.
pub fn sample_steps(salt: &[u8; 32], job: u64, n: u64, k: u64) -> Vec<u64> {
    if k == 0 || k >= n {
        return (0..n).collect();
    }
    let mut out = BTreeSet::new();
    let mut i = 0u64;
    while (out.len() as u64) < k {
        let mut h = blake3::Hasher::new();
        h.update(salt);
        h.update(&job.to_le_bytes());
        h.update(&i.to_le_bytes());
        let b: [u8; 8] = h.finalize().as_bytes()[..8]
            .try_into()
            .expect("8 bytes of a 32-byte hash");
        out.insert(u64::from_le_bytes(b) % n);
        i += 1;
    }
    out.into_iter().collect()
}

impl Verifier {
    fn me(&self) -> Address {
        self.link.address()
    }

    fn tick(&mut self, ev: &mut dyn FnMut(&AgentEvent)) -> Result<(), AgentError> {
        let now = self.link.now_ms()?;
        let committed = all_jobs(
            &self.link,
            JobFilter {
                status: Some("Committed".into()),
                ..JobFilter::default()
            },
        )?;
        for j in committed {
            if !self.checked.contains(&j.id) {
                let r = self.check(&j, now, ev);
                // Check again on the next tick if the node dropped out meanwhile.
                per_job(r, j.id, false, ev)?;
                self.checked.insert(j.id);
            }
        }
        let height = self.link.client().status()?.height;
        let open: Vec<(u64, u64)> = self.disputes.iter().map(|(d, j)| (*d, *j)).collect();
        for (did, jid) in open {
            let d = self.link.client().dispute(did)?;
            if let Some(e) = ruled_event(&d, &self.me()) {
                ev(&e);
                self.disputes.remove(&did);
                self.runs.remove(&jid);
                continue;
            }
            if let Some(local) = self.runs.get(&jid) {
                let r = advance(&self.link, &d, height, local, &mut self.stalls, ev).map(|_| ());
                per_job(r, jid, false, ev)?;
            }
        }
        Ok(())
    }

    fn check(
        &mut self,
        j: &Job,
        now: u64,
        ev: &mut dyn FnMut(&AgentEvent),
    ) -> Result<(), AgentError> {
        let me = self.me();
        if j.provider == Some(me) || j.buyer == me {
            return Ok(());
        }
        let selected = j
            .selection
            .as_ref()
            .is_none_or(|s| s.checked && s.verifiers.contains(&me));
        let drawn = j
            .selection
            .as_ref()
            .is_some_and(|s| s.verifiers.contains(&me));
        if !selected && !self.cfg.whistleblower {
            return Ok(());
        }
        let Some(commit) = j.commit.clone() else {
            return Ok(());
        };
        if challenge_end(j).is_none_or(|end| now >= end.0) {
            ev(&AgentEvent::Skipped {
                job: j.id,
                reason: "its challenge window is over".into(),
            });
            return Ok(());
        }
        let dir = self.cfg.work_dir.join(format!("job-{}", j.id));
        let files = JobFiles::fetch(self.link.client(), j, &dir)?;
        let spot = self.spot_check(j, &files, &commit)?;
        let steps = commit.steps;
        match spot {
            Spot::Agree { rerun } => {
                ev(&AgentEvent::Checked {
                    job: j.id,
                    steps_rerun: rerun,
                    steps,
                    agree: true,
                });
                if drawn {
                    self.attest(j.id, ev)?;
                }
                return Ok(());
            }
            Spot::Mismatch { rerun, .. } => ev(&AgentEvent::Checked {
                job: j.id,
                steps_rerun: rerun,
                steps,
                agree: false,
            }),
            Spot::Unverifiable { reason } => ev(&AgentEvent::Warning {
                job: Some(j.id),
                message: format!("cannot spot-check ({reason}); re-running the whole job"),
            }),
        }
        let local = self.full_run(&files)?;
        let root = Hash(local.trace.root());
        if root == commit.trace_root {
            ev(&AgentEvent::Checked {
                job: j.id,
                steps_rerun: steps,
                steps,
                agree: true,
            });
            if drawn {
                self.attest(j.id, ev)?;
            }
            return Ok(());
        }
        let bond = self.cfg.challenge_bond;
        let r = self.link.send(
            &format!("Challenge of job {}", j.id),
            Payload::Challenge {
                job: j.id,
                trace_root: root,
                bond,
            },
        )?;
        for e in &r.events {
            if let Event::DisputeOpened { dispute, job, .. } = e {
                self.disputes.insert(*dispute, *job);
                ev(&AgentEvent::Challenged {
                    job: *job,
                    dispute: *dispute,
                    bond,
                });
            }
        }
        self.runs.insert(j.id, local);
        Ok(())
    }

    fn attest(&self, job: u64, ev: &mut dyn FnMut(&AgentEvent)) -> Result<(), AgentError> {
        self.link
            .send(&format!("Attest of job {job}"), Payload::Attest { job })?;
        ev(&AgentEvent::Attested { job });
        Ok(())
    }

    /// Re-run sampled steps from the provider's published checkpoints (module doc).
    fn spot_check(&self, j: &Job, files: &JobFiles, c: &CommitInfo) -> Result<Spot, AgentError> {
        let unverifiable = |reason: String| Ok(Spot::Unverifiable { reason });
        let manifest = match fetch_manifest(self.link.client(), j.id, &c.output_hash) {
            Ok(m) => m,
            Err(e) if e.is_transport() => return Err(e),
            Err(e) => return unverifiable(e.to_string()),
        };
        let Some(tf) = manifest.file("trace.json") else {
            return unverifiable("the manifest has no trace.json".into());
        };
        let bytes = match self.link.client().get_blob(&tf.hash) {
            Ok(b) => b,
            Err(e @ verity_api::ApiError::Transport { .. }) => return Err(e.into()),
            Err(e) => return unverifiable(format!("trace.json: {e}")),
        };
        let Ok(trace) = serde_json::from_slice::<Trace>(&bytes) else {
            return unverifiable("trace.json does not parse".into());
        };
        if Hash(trace.root()) != c.trace_root
            || trace.steps.len() as u64 != c.steps
            || trace.layout.len() as u64 != c.ops_per_step
            || trace
                .steps
                .iter()
                .enumerate()
                .any(|(i, s)| s.step != i as u64)
        {
            return unverifiable("the published trace does not match the commit".into());
        }
        let n = c.steps;
        let mut groups: BTreeMap<u64, u64> = BTreeMap::new();
        for s in sample_steps(&self.salt, j.id, n, self.cfg.sample_steps) {
            let k = manifest
                .checkpoints
                .iter()
                .map(|ck| ck.step)
                .filter(|k| *k > 0 && *k <= s)
                .max()
                .unwrap_or(0);
            let e = groups.entry(k).or_insert(s);
            *e = (*e).max(s);
        }
        let ck_dir = files.dir.join("provider-checkpoints");
        let mut rerun = 0;
        for (k, end) in groups {
            let resume = if k == 0 {
                None
            } else {
                let Some(r) = manifest.checkpoints.iter().find(|ck| ck.step == k) else {
                    return unverifiable(format!("checkpoint {k} vanished"));
                };
                let ck_bytes = match self.link.client().get_blob(&r.hash) {
                    Ok(b) => b,
                    Err(e @ verity_api::ApiError::Transport { .. }) => return Err(e.into()),
                    Err(e) => return unverifiable(format!("checkpoint {k}: {e}")),
                };
                std::fs::create_dir_all(&ck_dir)
                    .map_err(AgentError::io("cannot create", &ck_dir))?;
                let path = ck_dir.join(format!("step-{k:08}.safetensors"));
                std::fs::write(&path, ck_bytes).map_err(AgentError::io("cannot write", &path))?;
                let Ok(ck) = Checkpoint::read(&path) else {
                    return unverifiable(format!("checkpoint {k} does not parse"));
                };
                let want = trace.steps[usize::try_from(k - 1).expect("k ≤ steps fits usize")]
                    .leaves
                    .last();
                if ck.step != k
                    || ck.spec_hash != files.spec_hash_hex()
                    || want != Some(&checkpoint_state_leaf(&ck))
                {
                    return unverifiable(format!(
                        "checkpoint {k} is not the state the trace commits to after step {k}"
                    ));
                }
                Some(path)
            };
            let out = files.run(
                &RunOptions {
                    threads: self.cfg.threads,
                    resume,
                    until: Some(end + 1),
                    ..RunOptions::default()
                },
                &mut |_, _| {},
            )?;
            for st in &out.trace.steps {
                rerun += 1;
                let theirs = usize::try_from(st.step)
                    .ok()
                    .and_then(|i| trace.steps.get(i));
                if theirs.map(|t| t.hash) != Some(st.hash) {
                    return Ok(Spot::Mismatch {
                        rerun,
                        step: st.step,
                    });
                }
            }
        }
        Ok(Spot::Agree { rerun })
    }

    /// Run the whole job honestly, keeping trace and checkpoints for a dispute.
    fn full_run(&self, files: &JobFiles) -> Result<LocalRun, AgentError> {
        let files = files.clone().with_checkpoints(OWN_CHECKPOINT_EVERY);
        let out_dir = files.dir.join("own");
        let out = files.run(
            &RunOptions {
                threads: self.cfg.threads,
                out_dir: Some(out_dir.clone()),
                ..RunOptions::default()
            },
            &mut |_, _| {},
        )?;
        Ok(LocalRun {
            files,
            trace: out.trace,
            checkpoints: Some(out_dir.join("checkpoints")),
            fault: None,
            threads: self.cfg.threads,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn samples_are_distinct_sorted_in_range(n in 1u64..500, k in 0u64..600, job in 0u64..9) {
            let s = sample_steps(&[7; 32], job, n, k);
            let want = if k == 0 || k >= n { n } else { k };
            prop_assert_eq!(s.len() as u64, want);
            prop_assert!(s.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(s.iter().all(|x| *x < n));
        }
    }
}
