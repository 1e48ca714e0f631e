//! The step recorder: every op of a training step goes through [`Recorder::op`], which runs it
//! with [`crate::ops::execute`], stops on NaN/Inf, hashes its outputs and appends its leaf to the
//! step (layout in [`crate::trace`]).

use crate::ReeError;
use crate::kernels::Exec;
use crate::ops::{Op, execute};
use crate::replay::op_descriptor_bytes;
use crate::tensor::Tensor;
use crate::trace::{self, Hash32, InputRef, LeafInfo, OpRecord};

/// A tensor inside a step: its value, its leaf-level source and (when tracing) its hash.
#[derive(Clone, Debug)]
pub struct Val {
    /// The tensor.
    pub t: Tensor,
    /// Where it comes from within the step.
    pub src: InputRef,
    /// Its [`Tensor::hash`] (all zeros when tracing is off).
    pub hash: Hash32,
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

/// Records one training step.
#[derive(Debug)]
pub struct Recorder<'a> {
    exec: &'a Exec,
    step: u64,
    tracing: bool,
    fault: Option<BitFlip>,
    capture: Option<usize>,
    captured: Option<CapturedOp>,
    layout: Vec<LeafInfo>,
    leaves: Vec<Hash32>,
    ops: usize,
}

impl<'a> Recorder<'a> {
    /// A recorder for step `step`. With `tracing` off, nothing is hashed (for measuring the
    /// cost of tracing); NaN checks still run.
    pub fn new(exec: &'a Exec, step: u64, tracing: bool, fault: Option<BitFlip>) -> Self {
        Self {
            exec,
            step,
            tracing,
            fault,
            capture: None,
            captured: None,
            layout: Vec::new(),
            leaves: Vec::new(),
            ops: 0,
        }
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

    /// Bring a tensor from outside the step's graph in as an input leaf. `hash` may be passed
    /// when already known (state tensors carry theirs across steps).
    pub fn input(&mut self, name: &str, t: Tensor, hash: Option<Hash32>) -> Val {
        let idx = self.leaves.len();
        let hash = match (self.tracing, hash) {
            (false, _) => [0; 32],
            (true, Some(h)) => h,
            (true, None) => t.hash(),
        };
        self.leaves.push(if self.tracing {
            trace::input_leaf(name, &hash)
        } else {
            [0; 32]
        });
        self.layout.push(LeafInfo::Input(name.to_string()));
        Val {
            t,
            src: InputRef::Input(idx),
            hash,
        }
    }

    /// Run `op` on `inputs` and record it. Errors name the step, the op's leaf index and name.
    pub fn op(&mut self, op: Op, inputs: &[&Val]) -> Result<Vec<Val>, ReeError> {
        let idx = self.leaves.len();
        let tensors: Vec<&Tensor> = inputs.iter().map(|v| &v.t).collect();
        if self.capture == Some(idx) {
            self.captured = Some(CapturedOp {
                op: op.clone(),
                inputs: tensors.iter().map(|t| (*t).clone()).collect(),
                input_hashes: inputs.iter().map(|v| v.hash).collect(),
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
        if outs.iter().any(|o| o.first_non_finite().is_some()) {
            return Err(ReeError::NonFinite {
                step: self.step,
                op_index: idx,
                op: op.name().to_string(),
            });
        }
        let out_hashes: Vec<Hash32> = if self.tracing {
            outs.iter().map(Tensor::hash).collect()
        } else {
            vec![[0; 32]; outs.len()]
        };
        let leaf = if self.tracing {
            let in_hashes: Vec<Hash32> = inputs.iter().map(|v| v.hash).collect();
            trace::op_leaf(&op_descriptor_bytes(&op), &in_hashes, &out_hashes)
        } else {
            [0; 32]
        };
        self.leaves.push(leaf);
        self.layout.push(LeafInfo::Op(OpRecord {
            name: op.name().to_string(),
            inputs: inputs.iter().map(|v| v.src).collect(),
        }));
        self.ops += 1;
        Ok(outs
            .into_iter()
            .zip(out_hashes)
            .enumerate()
            .map(|(k, (t, hash))| Val {
                t,
                src: InputRef::Op(idx, k),
                hash,
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

    /// Close the step with its state root; returns the leaf layout, the leaves and the step hash.
    pub fn finish(mut self, state_root: &Hash32) -> (Vec<LeafInfo>, Vec<Hash32>, Hash32) {
        self.layout.push(LeafInfo::State);
        if self.tracing {
            self.leaves.push(trace::state_leaf(state_root));
            let h = trace::merkle::root(&self.leaves);
            (self.layout, self.leaves, h)
        } else {
            self.leaves.push([0; 32]);
            (self.layout, self.leaves, [0; 32])
        }
    }
}
