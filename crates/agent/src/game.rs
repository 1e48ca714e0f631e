//! Playing a dispute from a local trace (both roles). [`LocalRun`] is one party's own run of a
//! job: its trace, checkpoints and (for a test fault) the bit flip it ran with, so it can
//! answer every bisection round from the trace and rebuild the disputed op's inputs by
//! re-running one step from its nearest checkpoint. [`advance`] makes this party's next move in
//! a dispute, if any: a `Bisect` with its two children, the `Rule` evidence at the disputed
//! leaf, or a `ClaimTimeout` once the round deadline has passed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use verity_ledger::Payload;
use verity_ledger::market::dispute::{
    Dispute, Evidence, InputSource, Phase, TensorBytes, children,
};
use verity_primitives::Hash;
use verity_ree::replay::{op_descriptor_bytes, replay_op_outputs};
use verity_ree::runner::RunOptions;
use verity_ree::trace::{InputRef, LeafInfo, Trace};
use verity_ree::train::recorder::{BitFlip, CapturedOp};

use crate::chain::Link;
use crate::work::JobFiles;
use crate::{AgentError, AgentEvent};

/// One party's own run of a job.
#[derive(Clone, Debug)]
pub struct LocalRun {
    /// The job's files.
    pub files: JobFiles,
    /// The full trace this party committed to (provider) or challenged with (verifier).
    pub trace: Trace,
    /// Folder of this run's checkpoints (`step-NNNNNNNN.safetensors`), if any.
    pub checkpoints: Option<PathBuf>,
    /// The test-only fault the run was made with (re-applied when re-running a step).
    pub fault: Option<BitFlip>,
    /// Threads for re-runs.
    pub threads: usize,
}

impl LocalRun {
    /// The nearest own checkpoint at or before `step` completed steps.
    fn checkpoint_for(&self, step: u64) -> Option<PathBuf> {
        let dir = self.checkpoints.as_ref()?;
        let mut best: Option<(u64, PathBuf)> = None;
        for e in std::fs::read_dir(dir).ok()?.flatten() {
            let p = e.path();
            let Some(k) = p
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("step-")?.strip_suffix(".safetensors"))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            if k > 0 && k <= step && best.as_ref().is_none_or(|(b, _)| k > *b) {
                best = Some((k, p));
            }
        }
        best.map(|(_, p)| p)
    }

    /// Re-run step `step` and capture the op at `leaf` with its inputs.
    pub fn capture(&self, step: u64, leaf: usize) -> Result<CapturedOp, AgentError> {
        let opts = RunOptions {
            threads: self.threads.max(1),
            resume: self.checkpoint_for(step),
            until: Some(step + 1),
            fault: self.fault,
            capture: Some((step, leaf)),
            ..RunOptions::default()
        };
        self.files
            .run(&opts, &mut |_, _| {})?
            .captured
            .ok_or_else(|| AgentError::BadJob {
                job: self.files.job,
                reason: format!("leaf {leaf} of step {step} is not an op"),
            })
    }

    /// The referee evidence for op leaf `leaf` of `step`: the op, its input tensors and, per
    /// input, the earlier leaf that fixes its hash with a Merkle proof under this party's step.
    pub fn evidence(&self, dispute: u64, step: u64, leaf: usize) -> Result<Evidence, AgentError> {
        let derr = |reason: String| AgentError::Dispute { dispute, reason };
        let s = usize::try_from(step).map_err(|_| derr("step out of range".into()))?;
        let Some(LeafInfo::Op(rec)) = self.trace.layout.get(leaf) else {
            return Err(derr(format!(
                "the disputed leaf {leaf} is not an op leaf; the referee cannot replay it"
            )));
        };
        let cap = self.capture(step, leaf)?;
        let mut sources = Vec::with_capacity(rec.inputs.len());
        for r in &rec.inputs {
            let proof = |n: usize| {
                self.trace
                    .prove_leaf(s, n)
                    .ok_or_else(|| derr(format!("no leaf {n} in step {step} of the local trace")))
            };
            sources.push(match *r {
                InputRef::Input(n) => {
                    let Some(LeafInfo::Input(name)) = self.trace.layout.get(n) else {
                        return Err(derr(format!("input reference to leaf {n}, not an input")));
                    };
                    InputSource::Input {
                        leaf: n as u64,
                        name: name.clone(),
                        proof: proof(n)?,
                    }
                }
                InputRef::Op(n, k) => {
                    let src = self.capture(step, n)?;
                    let outs = replay_op_outputs(&src.op, &src.inputs, &src.input_hashes)
                        .map_err(|e| derr(format!("replaying source op {n}: {e}")))?;
                    InputSource::Op {
                        leaf: n as u64,
                        desc: hex::encode(op_descriptor_bytes(&src.op)),
                        inputs: src.input_hashes.iter().map(|h| Hash(*h)).collect(),
                        outputs: outs.iter().map(|h| Hash(*h)).collect(),
                        output: u32::try_from(k).map_err(|_| derr("output index".into()))?,
                        proof: proof(n)?,
                    }
                }
            });
        }
        Ok(Evidence {
            op: cap.op.clone(),
            inputs: cap
                .inputs
                .iter()
                .map(|t| TensorBytes {
                    shape: t.shape().to_vec(),
                    data: hex::encode(t.to_le_bytes()),
                })
                .collect(),
            sources,
        })
    }

    /// This party's `Bisect` for the current round of `d`.
    pub fn bisect_move(&self, d: &Dispute) -> Result<Payload, AgentError> {
        let derr = |reason: String| AgentError::Dispute {
            dispute: d.id,
            reason,
        };
        let level: Vec<[u8; 32]> = match d.phase {
            Phase::Steps => self.trace.step_hashes(),
            _ => self
                .trace
                .steps
                .get(usize::try_from(d.step).map_err(|_| derr("step out of range".into()))?)
                .ok_or_else(|| derr(format!("the local trace has no step {}", d.step)))?
                .leaves
                .clone(),
        };
        let (l, r) = children(&level, d.lo, d.size).ok_or_else(|| {
            derr(format!(
                "range {}..{} is outside the local trace",
                d.lo,
                d.lo.saturating_add(d.size)
            ))
        })?;
        Ok(Payload::Bisect {
            dispute: d.id,
            left: Hash(l),
            right: Hash(r),
        })
    }
}

/// Which side `me` is in `d` (0 provider, 1 challenger), if a party.
pub fn side_of(d: &Dispute, me: &verity_primitives::Address) -> Option<usize> {
    if d.provider == *me {
        Some(0)
    } else if d.challenger == *me {
        Some(1)
    } else {
        None
    }
}

/// How long a dispute may sit unchanged, waiting on the other side, before this party starts
/// pushing blocks (see [`advance`]).
pub const STALL: Duration = Duration::from_secs(2);

/// When each dispute last changed, as seen by this party.
#[derive(Debug, Default)]
pub struct Stalls(BTreeMap<u64, (String, Instant)>);

impl Stalls {
    /// Whether `d` has not changed for longer than `after`.
    pub fn stalled(&mut self, d: &Dispute, after: Duration) -> bool {
        let key = format!("{}:{:?}:{:?}:{:?}", d.rounds, d.phase, d.moves, d.verdicts);
        let now = Instant::now();
        let e = self.0.entry(d.id).or_insert_with(|| (key.clone(), now));
        if e.0 != key {
            *e = (key, now);
        }
        now.duration_since(e.1) > after
    }
}

/// Make this party's next move in dispute `d` (read just now at chain height `height`), if it
/// has one. Returns true when a transaction was sent.
///
/// Deadlines are in blocks and the node only makes blocks when transactions arrive, so a silent
/// opponent's deadline would never pass on a quiet chain. When this party has moved and the
/// dispute has sat unchanged for [`STALL`], it sends `ClaimTimeout` anyway: before the deadline
/// the ledger refuses it (a failed receipt), but each attempt is a block, so the deadline does
/// pass and the timeout is won.
pub fn advance(
    link: &Link,
    d: &Dispute,
    height: u64,
    local: &LocalRun,
    stalls: &mut Stalls,
    on_event: &mut dyn FnMut(&AgentEvent),
) -> Result<bool, AgentError> {
    let Some(me) = side_of(d, &link.address()) else {
        return Ok(false);
    };
    if d.phase == Phase::Done {
        return Ok(false);
    }
    let waiting = match d.phase {
        Phase::Rule => d.verdicts[me].is_some(),
        _ => d.moves[me].is_some(),
    };
    if height > d.deadline || (waiting && stalls.stalled(d, STALL)) {
        let r = link.send_receipt(Payload::ClaimTimeout { dispute: d.id })?;
        if r.is_success() {
            on_event(&AgentEvent::TimeoutClaimed { dispute: d.id });
        }
        return Ok(true);
    }
    match d.phase {
        Phase::Steps | Phase::Leaves if d.moves[me].is_none() => {
            let mv = local.bisect_move(d)?;
            link.send(&format!("Bisect in dispute {}", d.id), mv)?;
            on_event(&AgentEvent::Round {
                dispute: d.id,
                round: d.rounds + 1,
                phase: format!("{:?}", d.phase),
                lo: d.lo,
                size: d.size,
            });
            Ok(true)
        }
        Phase::Rule if d.verdicts[me].is_none() => {
            let leaf = usize::try_from(d.lo).map_err(|_| AgentError::Dispute {
                dispute: d.id,
                reason: "leaf out of range".into(),
            })?;
            let ev = local.evidence(d.id, d.step, leaf)?;
            let evidence = serde_json::to_string(&ev).expect("evidence always serialises");
            link.send(
                &format!("Rule in dispute {}", d.id),
                Payload::Rule {
                    dispute: d.id,
                    evidence,
                },
            )?;
            on_event(&AgentEvent::Evidence {
                dispute: d.id,
                step: d.step,
                leaf: d.lo,
            });
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The [`AgentEvent::Ruled`] for a finished dispute, from `me`'s point of view.
pub fn ruled_event(d: &Dispute, me: &verity_primitives::Address) -> Option<AgentEvent> {
    let o = d.outcome.as_ref()?;
    let winner = format!("{:?}", o.winner);
    let won = match side_of(d, me) {
        Some(0) => winner == "Provider",
        Some(_) => winner == "Challenger",
        None => false,
    };
    Some(AgentEvent::Ruled {
        dispute: d.id,
        job: d.job,
        winner,
        won,
        slashed: o.slashed,
        paid: o.paid,
        rounds: d.rounds,
    })
}
