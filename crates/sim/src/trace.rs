//! Synthetic job traces for the dispute play: the shape of a `ree` trace (steps × leaves, a
//! step hash = `ree` Merkle root of its leaves, the trace root = root of the step hashes) with
//! leaf values from blake3 instead of a training run, so a simulated year does not train
//! thousands of models. A cheater's trace differs from the honest one from one leaf onward (that
//! leaf, and the state leaf of every later step), exactly how a wrong op propagates. The
//! ledger's bisection checks every move against these roots, so both sides are bound to them;
//! the referee's one-op replay is not reached (the cheater abandons, see [`crate::market`]) and
//! is covered by the ledger's tests with real `ree` traces.

use verity_ledger::market::CommitArgs;
use verity_ledger::market::dispute::{Dispute, Phase, children};
use verity_ledger::{Hash, Payload};
use verity_ree::trace::{Hash32, merkle};

/// Steps of a simulated job.
pub const STEPS: u64 = 16;
/// Leaves per step (inputs, ops, the state leaf last).
pub const LEAVES: u64 = 8;
/// The `ree` receipt version the simulated commits claim.
pub const RECEIPT_VERSION: u32 = 1;

/// A synthetic trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthTrace {
    /// Leaves of every step.
    pub leaves: Vec<Vec<Hash32>>,
    /// Step hashes.
    pub step_hashes: Vec<Hash32>,
    /// Trace root.
    pub root: Hash32,
}

fn leaf(job: u64, step: u64, i: u64, fault: bool) -> Hash32 {
    let mut h = blake3::Hasher::new();
    h.update(b"verity-sim/leaf");
    h.update(&job.to_be_bytes());
    h.update(&step.to_be_bytes());
    h.update(&i.to_be_bytes());
    h.update(&[u8::from(fault)]);
    *h.finalize().as_bytes()
}

impl SynthTrace {
    fn build(job: u64, fault: Option<(u64, u64)>) -> SynthTrace {
        let leaves: Vec<Vec<Hash32>> = (0..STEPS)
            .map(|s| {
                (0..LEAVES)
                    .map(|i| {
                        let bad = match fault {
                            Some((fs, fl)) => (s == fs && i >= fl) || (s > fs && i == LEAVES - 1),
                            None => false,
                        };
                        leaf(job, s, i, bad)
                    })
                    .collect()
            })
            .collect();
        let step_hashes: Vec<Hash32> = leaves.iter().map(|l| merkle::root(l)).collect();
        let root = merkle::root(&step_hashes);
        SynthTrace {
            leaves,
            step_hashes,
            root,
        }
    }

    /// The honest trace of job `job`.
    pub fn honest(job: u64) -> SynthTrace {
        SynthTrace::build(job, None)
    }

    /// A trace that goes wrong at op leaf `leaf` (1..LEAVES−1) of step `step` (< STEPS).
    pub fn faulted(job: u64, step: u64, leaf: u64) -> SynthTrace {
        SynthTrace::build(job, Some((step.min(STEPS - 1), leaf.clamp(1, LEAVES - 1))))
    }

    /// The `Commit` fields for this trace.
    pub fn commit_args(&self, job: u64) -> CommitArgs {
        CommitArgs {
            output_hash: Hash::keccak(
                &[
                    b"verity-sim/output".as_slice(),
                    &job.to_be_bytes(),
                    &self.root,
                ]
                .concat(),
            ),
            trace_root: Hash(self.root),
            steps: STEPS,
            ops_per_step: LEAVES,
            receipt_version: RECEIPT_VERSION,
        }
    }

    /// This side's `Bisect` for the current round of `d` (`None` outside the bisection).
    pub fn move_for(&self, d: &Dispute) -> Option<Payload> {
        let level: &[Hash32] = match d.phase {
            Phase::Steps => &self.step_hashes,
            Phase::Leaves => self.leaves.get(usize::try_from(d.step).ok()?)?,
            Phase::Rule | Phase::Done => return None,
        };
        let (l, r) = children(level, d.lo, d.size)?;
        Some(Payload::Bisect {
            dispute: d.id,
            left: Hash(l),
            right: Hash(r),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faulted_trace_differs_from_the_fault_on() {
        let h = SynthTrace::honest(3);
        let f = SynthTrace::faulted(3, 5, 2);
        assert_ne!(h.root, f.root);
        assert_eq!(h.step_hashes[..5], f.step_hashes[..5]);
        assert!((5..STEPS as usize).all(|s| h.step_hashes[s] != f.step_hashes[s]));
        assert_eq!(h.leaves[5][..2], f.leaves[5][..2]);
        assert_eq!(SynthTrace::honest(3), h);
        assert_ne!(SynthTrace::honest(4).root, h.root);
    }
}
