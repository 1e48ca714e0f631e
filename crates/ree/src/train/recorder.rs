//! The step recorder: every op of a training step goes through [`Recorder::op`], which runs it
//! with [`crate::ops::execute`], stops on NaN/Inf, queues its outputs for hashing (on the
//! [`HashWorker`] thread) and notes its leaf; [`Recorder::finish`] collects the hashes and builds
//! the step's leaves (layout in [`crate::trace`]).

use std::sync::Arc;

use crate::ReeError;
use crate::data::Cursor;
use crate::kernels::Exec;
use crate::ops::{Op, execute};
use crate::replay::op_descriptor_bytes;
use crate::tensor::Tensor;
use crate::trace::{self, Hash32, InputRef, LeafInfo, OpRecord};
use crate::train::hasher::{HashWorker, Session};

/// A tensor inside a step: its value and its leaf-level source.
#[derive(Clone, Debug)]
pub struct Val {
    /// The tensor (shared with the hashing thread).
    pub t: Arc<Tensor>,
    /// Where it comes from within the step.
    pub src: InputRef,
}

/// Deliberately corrupt one op output: flip `bit` of element `element` (modulo its length) of
/// the first output of the op at leaf `leaf` of step `step`. This simulates a faulty provider so
/// dispute tooling (divergence search, proofs) can be tested; never set in a real run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitFlip {
    /// Step index.
    pub step: u64,
    /// Leaf index within the step (must be an op leaf).
    pub leaf: usize,
    /// Element of the op's first output.
    pub element: usize,
    /// Bit (0..32) to flip.
    pub bit: u32,
}

/// One op with its input tensors, as a provider hands it to a referee for [`crate::replay`].
#[derive(Clone, Debug)]
pub struct CapturedOp {
    /// The op descriptor.
    pub op: Op,
    /// Its input tensors.
    pub inputs: Vec<Tensor>,
    /// Their committed hashes (as in the op's leaf).
    pub input_hashes: Vec<Hash32>,
}

/// What the step closed with.
#[derive(Clone, Debug)]
pub struct Finished {
    /// Leaf layout.
    pub layout: Vec<LeafInfo>,
    /// Leaves (zeros when tracing is off).
    pub leaves: Vec<Hash32>,
    /// Step hash.
    pub hash: Hash32,
    /// Hashes of the state tensors passed to [`Recorder::finish`].
    pub state_hashes: Vec<Hash32>,
}

enum Pending {
    Input(String),
    Op {
        desc: Vec<u8>,
        inputs: Vec<InputRef>,
    },
}

/// Records one training step.
pub struct Recorder<'a> {
    exec: &'a Exec,
    step: u64,
    tracing: bool,
    worker: Option<Session<'a>>,
    fault: Option<BitFlip>,
    capture: Option<usize>,
    captured: Option<CapturedOp>,
    layout: Vec<LeafInfo>,
    pending: Vec<Pending>,
    /// Per leaf, the hash of each of its tensors (inputs: one; ops: one per output).
    hashes: Vec<Vec<Hash32>>,
    /// Outstanding jobs: slot → (leaf, output).
    slots: Vec<(usize, usize)>,
    received: usize,
    ops: usize,
}

impl std::fmt::Debug for Recorder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("step", &self.step)
            .field("leaves", &self.layout.len())
            .finish()
    }
}

/// Whether any element is NaN or infinite (branch-free per block so it vectorises).
fn has_non_finite(d: &[f32]) -> bool {
    d.chunks(64).any(|c| {
        c.iter().fold(0u32, |acc, v| {
            acc | u32::from(v.to_bits() & 0x7f80_0000 == 0x7f80_0000)
        }) != 0
    })
}

impl<'a> Recorder<'a> {
    /// A recorder for step `step`. With `tracing` off nothing is hashed (NaN checks still run);
    /// with it on, tensors are hashed on `worker` when given (held for the whole step), else
    /// inline.
    pub fn new(
        exec: &'a Exec,
        step: u64,
        tracing: bool,
        worker: Option<&'a HashWorker>,
        fault: Option<BitFlip>,
    ) -> Result<Self, ReeError> {
        let worker = match worker {
            Some(w) if tracing => Some(w.session()?),
            _ => None,
        };
        Ok(Self {
            exec,
            step,
            tracing,
            worker,
            fault,
            capture: None,
            captured: None,
            layout: Vec::new(),
            pending: Vec::new(),
            hashes: Vec::new(),
            slots: Vec::new(),
            received: 0,
            ops: 0,
        })
    }

    /// Keep a copy of the op at leaf `leaf` and its inputs (see [`Recorder::take_captured`]).
    pub fn capture(&mut self, leaf: usize) {
        self.capture = Some(leaf);
    }

    /// The op captured by [`Recorder::capture`], once recorded.
    pub fn take_captured(&mut self) -> Option<CapturedOp> {
        self.captured.take()
    }

    /// The step being recorded.
    pub fn step(&self) -> u64 {
        self.step
    }

    fn submit(&mut self, leaf: usize, k: usize, t: &Arc<Tensor>) -> Result<(), ReeError> {
        if let Some(w) = self.worker.as_ref().and_then(|s| s.as_ref()) {
            w.submit(self.slots.len(), Arc::clone(t))?;
            self.slots.push((leaf, k));
        } else if self.tracing {
            self.hashes[leaf][k] = t.hash();
        }
        Ok(())
    }

    /// Bring a tensor from outside the step's graph in as an input leaf. `hash` may be passed
    /// when already known (state tensors carry theirs across steps).
    pub fn input(&mut self, name: &str, t: Tensor, hash: Option<Hash32>) -> Result<Val, ReeError> {
        let idx = self.layout.len();
        let t = Arc::new(t);
        self.layout.push(LeafInfo::Input(name.to_string()));
        self.pending.push(Pending::Input(name.to_string()));
        self.hashes.push(vec![hash.unwrap_or([0; 32])]);
        if hash.is_none() {
            self.submit(idx, 0, &t)?;
        }
        Ok(Val {
            t,
            src: InputRef::Input(idx),
        })
    }

    /// Run `op` on `inputs` and record it. Errors name the step, the op's leaf index and name.
    pub fn op(&mut self, op: Op, inputs: &[&Val]) -> Result<Vec<Val>, ReeError> {
        let idx = self.layout.len();
        let tensors: Vec<&Tensor> = inputs.iter().map(|v| v.t.as_ref()).collect();
        if self.capture == Some(idx) {
            self.captured = Some(CapturedOp {
                op: op.clone(),
                inputs: tensors.iter().map(|t| (*t).clone()).collect(),
                input_hashes: tensors.iter().map(|t| t.hash()).collect(),
            });
        }
        let mut outs = execute(self.exec, &op, &tensors)?;
        if let Some(f) = self.fault
            && f.step == self.step
            && f.leaf == idx
            && let Some(first) = outs.first_mut()
            && !first.is_empty()
        {
            let n = first.len();
            let d = first.data_mut();
            d[f.element % n] = f32::from_bits(d[f.element % n].to_bits() ^ (1 << (f.bit % 32)));
        }
        if outs.iter().any(|o| has_non_finite(o.data())) {
            return Err(ReeError::NonFinite {
                step: self.step,
                op_index: idx,
                op: op.name().to_string(),
            });
        }
        let outs: Vec<Arc<Tensor>> = outs.into_iter().map(Arc::new).collect();
        self.layout.push(LeafInfo::Op(OpRecord {
            name: op.name().to_string(),
            inputs: inputs.iter().map(|v| v.src).collect(),
        }));
        let desc = if self.tracing {
            op_descriptor_bytes(&op)
        } else {
            Vec::new()
        };
        self.pending.push(Pending::Op {
            desc,
            inputs: inputs.iter().map(|v| v.src).collect(),
        });
        self.hashes.push(vec![[0; 32]; outs.len()]);
        for (k, t) in outs.iter().enumerate() {
            self.submit(idx, k, t)?;
        }
        self.ops += 1;
        Ok(outs
            .into_iter()
            .enumerate()
            .map(|(k, t)| Val {
                t,
                src: InputRef::Op(idx, k),
            })
            .collect())
    }

    /// [`Recorder::op`] for ops with exactly one output.
    pub fn op1(&mut self, op: Op, inputs: &[&Val]) -> Result<Val, ReeError> {
        let name = op.name();
        self.op(op, inputs)?.pop().ok_or(ReeError::Arity {
            op: name,
            expected: 1,
            got: 0,
        })
    }

    /// Ops recorded so far.
    pub fn ops(&self) -> usize {
        self.ops
    }

    fn drain(&mut self) -> Result<(), ReeError> {
        if let Some(w) = self.worker.as_ref().and_then(|s| s.as_ref()) {
            while self.received < self.slots.len() {
                let (slot, h) = w.recv()?;
                self.received += 1;
                let (leaf, k) = self.slots.get(slot).copied().ok_or_else(|| {
                    ReeError::Config("trace hashing thread returned an unknown slot".into())
                })?;
                self.hashes[leaf][k] = h;
            }
        }
        Ok(())
    }

    fn hash_of(&self, r: InputRef) -> Hash32 {
        match r {
            InputRef::Input(i) => self.hashes[i][0],
            InputRef::Op(i, k) => self.hashes[i][k],
        }
    }

    /// Close the step: collect every hash, build the leaves, and the state leaf over `state`
    /// (the new state tensors, named, by source) and the cursor after `step` steps.
    pub fn finish(
        mut self,
        state: &[(String, InputRef)],
        step: u64,
        cursor: Cursor,
    ) -> Result<Finished, ReeError> {
        self.drain()?;
        let mut layout = std::mem::take(&mut self.layout);
        layout.push(LeafInfo::State);
        if !self.tracing {
            return Ok(Finished {
                leaves: vec![[0; 32]; layout.len()],
                layout,
                hash: [0; 32],
                state_hashes: vec![[0; 32]; state.len()],
            });
        }
        let mut leaves = Vec::with_capacity(layout.len());
        for (i, p) in self.pending.iter().enumerate() {
            leaves.push(match p {
                Pending::Input(name) => trace::input_leaf(name, &self.hashes[i][0]),
                Pending::Op { desc, inputs } => {
                    let ins: Vec<Hash32> = inputs.iter().map(|r| self.hash_of(*r)).collect();
                    trace::op_leaf(desc, &ins, &self.hashes[i])
                }
            });
        }
        let state_hashes: Vec<Hash32> = state.iter().map(|(_, r)| self.hash_of(*r)).collect();
        let mut entries: Vec<Hash32> = state
            .iter()
            .zip(&state_hashes)
            .map(|((n, _), h)| trace::state_entry(n, h))
            .collect();
        entries.push(trace::cursor_entry(step, cursor.epoch, cursor.pos));
        leaves.push(trace::state_leaf(&trace::merkle::root(&entries)));
        let hash = trace::merkle::root(&leaves);
        Ok(Finished {
            layout,
            leaves,
            hash,
            state_hashes,
        })
    }
}

impl Drop for Recorder<'_> {
    fn drop(&mut self) {
        // A step that stopped early (NaN, bad shape) still has hashes in flight: collect them so
        // the next step's results are not mixed with these.
        let _ = self.drain();
    }
}

#[cfg(test)]
mod tests {
    use super::has_non_finite;

    #[test]
    fn non_finite_detection() {
        let mut v = vec![1.0f32; 200];
        assert!(!has_non_finite(&v));
        v[130] = f32::NAN;
        assert!(has_non_finite(&v));
        v[130] = f32::NEG_INFINITY;
        assert!(has_non_finite(&v));
        v[130] = f32::MAX;
        assert!(!has_non_finite(&v));
        assert!(!has_non_finite(&[]));
    }
}
