//! The training loop: one [`Trainer::step`] = input leaves for the state, the batch, the
//! model's forward + loss + backward, one optimizer op per parameter, then the state root.
//!
//! State order: every parameter (model order), then per parameter its optimizer tensors
//! (`opt.m.<name>`, `opt.v.<name>` for AdamW; `opt.vel.<name>` for SGD). Every state tensor is an
//! input leaf at the start of a step, in that order. AdamW's bias-correction count is
//! `step + 1` (so it derives from the step count in the cursor entry, not a tensor).

pub mod hasher;
pub mod recorder;

use crate::ReeError;
use crate::checkpoint::Checkpoint;
use crate::data::{Batcher, Cursor, Dataset};
use crate::kernels::Exec;
use crate::model::{Batch, Model, init_params, mlp::Mlp, transformer::Transformer};
use crate::ops::Op;
use crate::spec::{JobSpec, ModelSpec, OptimizerKind, Task};
use crate::tensor::Tensor;
use crate::trace::{self, Hash32, LeafInfo};
use hasher::HashWorker;
use recorder::{BitFlip, CapturedOp, Recorder, Val};
use std::sync::Arc;

/// Everything fixed for a job: model, data, optimizer settings.
#[derive(Clone, Debug)]
pub struct Trainer {
    /// The model.
    pub model: Model,
    data: Dataset,
    optimizer: Op,
    batch_size: usize,
    seed: u64,
    examples: u32,
    hasher: Option<Arc<HashWorker>>,
}

/// The training state between steps.
#[derive(Clone, Debug)]
pub struct State {
    /// Steps completed.
    pub step: u64,
    /// Named state tensors with their hashes (zeros when tracing is off), in state order.
    pub tensors: Vec<(String, Tensor, Hash32)>,
    batcher: Batcher,
}

/// What one step produced.
#[derive(Clone, Debug)]
pub struct StepOut {
    /// Loss before the update.
    pub loss: f32,
    /// Leaf layout of the step.
    pub layout: Vec<LeafInfo>,
    /// The step's leaves.
    pub leaves: Vec<Hash32>,
    /// The step hash (Merkle root over `leaves`).
    pub hash: Hash32,
    /// Ops executed.
    pub ops: usize,
    /// The op captured when [`Trainer::step`] was asked to capture one.
    pub captured: Option<CapturedOp>,
}

fn spec_err(field: &str, message: String) -> ReeError {
    ReeError::Spec {
        field: field.into(),
        message,
    }
}

impl Trainer {
    /// Build the trainer; checks the model against the data (feature count, classes, text length).
    pub fn new(spec: &JobSpec, data: Dataset) -> Result<Trainer, ReeError> {
        let t = &spec.train;
        let (model, examples) = match (&spec.model, &data) {
            (ModelSpec::Mlp(m), Dataset::Table(tab)) => {
                if m.layers[0] != tab.cols {
                    return Err(spec_err(
                        "model.layers",
                        format!(
                            "layers[0] is {} but the data has {} feature columns",
                            m.layers[0], tab.cols
                        ),
                    ));
                }
                let last = *m.layers.last().expect("validated: at least two widths");
                if let (Task::Classification, Some(classes)) = (m.task, &tab.classes)
                    && last != classes.len()
                {
                    return Err(spec_err(
                        "model.layers",
                        format!(
                            "the last width is {last} but the target has {} classes",
                            classes.len()
                        ),
                    ));
                }
                let mlp = Mlp {
                    layers: m.layers.clone(),
                    activation: m.activation,
                    task: m.task,
                };
                (Model::Mlp(mlp), tab.rows)
            }
            (ModelSpec::Transformer(tr), Dataset::Text(text)) => {
                if text.tokens.len() <= tr.context {
                    return Err(spec_err(
                        "model.context",
                        format!(
                            "{} needs a text longer than that, the text has {} chars",
                            tr.context,
                            text.tokens.len()
                        ),
                    ));
                }
                let m = Transformer {
                    vocab: text.vocab.len(),
                    d_model: tr.d_model,
                    heads: tr.heads,
                    layers: tr.layers,
                    context: tr.context,
                    d_ff: tr.d_ff.unwrap_or(4 * tr.d_model),
                    batch: t.batch_size,
                };
                (Model::Transformer(m), text.tokens.len() - tr.context)
            }
            _ => {
                return Err(spec_err(
                    "data.format",
                    "does not fit the model kind".into(),
                ));
            }
        };
        let examples = u32::try_from(examples)
            .map_err(|_| spec_err("data.path", "more than 2^32 examples".into()))?;
        let optimizer = match t.optimizer {
            OptimizerKind::Adamw => Op::AdamW {
                step: 1,
                lr: t.lr,
                beta1: t.beta1.unwrap_or(0.9),
                beta2: t.beta2.unwrap_or(0.999),
                eps: t.eps.unwrap_or(1e-8),
                weight_decay: t.weight_decay.unwrap_or(0.01),
            },
            OptimizerKind::Sgd => Op::SgdMomentum {
                lr: t.lr,
                momentum: t.momentum.unwrap_or(0.9),
                weight_decay: t.weight_decay.unwrap_or(0.0),
            },
        };
        Ok(Trainer {
            model,
            data,
            optimizer,
            batch_size: t.batch_size,
            seed: t.seed,
            examples,
            hasher: None,
        })
    }

    /// Hash trace tensors on a background thread of its own, or inline on the stepping thread
    /// (the default; the runner turns the thread on when a core is spare beyond the compute
    /// threads). Only speed changes: the hashes are
    /// the same either way. Clones made before this call share one thread (steps take it in
    /// turn).
    pub fn set_background_hashing(&mut self, on: bool) -> Result<(), ReeError> {
        self.hasher = if on {
            Some(Arc::new(HashWorker::start()?))
        } else {
            None
        };
        Ok(())
    }

    /// Names of the optimizer tensors kept per parameter.
    fn opt_slots(&self) -> &'static [&'static str] {
        match self.optimizer {
            Op::AdamW { .. } => &["m", "v"],
            _ => &["vel"],
        }
    }

    /// The state before step 0: initialised parameters, zero optimizer state, cursor at 0.
    pub fn init_state(&self, tracing: bool) -> Result<State, ReeError> {
        let params = init_params(&self.model.params(), self.seed)?;
        let mut tensors: Vec<(String, Tensor)> = Vec::new();
        for (name, t) in &params {
            tensors.push((name.clone(), t.clone()));
        }
        for (name, t) in &params {
            for slot in self.opt_slots() {
                tensors.push((
                    format!("opt.{slot}.{name}"),
                    Tensor::zeros(t.shape().to_vec()),
                ));
            }
        }
        Ok(self.state_from(0, Cursor::default(), tensors, tracing))
    }

    fn state_from(
        &self,
        step: u64,
        cursor: Cursor,
        tensors: Vec<(String, Tensor)>,
        tracing: bool,
    ) -> State {
        State {
            step,
            tensors: tensors
                .into_iter()
                .map(|(n, t)| {
                    let h = if tracing { t.hash() } else { [0; 32] };
                    (n, t, h)
                })
                .collect(),
            batcher: Batcher::new(self.seed, self.examples, cursor),
        }
    }

    /// The state stored in a checkpoint; its tensor names and shapes must be this job's.
    pub fn state_from_checkpoint(&self, ck: &Checkpoint, tracing: bool) -> Result<State, ReeError> {
        let fresh = self.init_state(false)?;
        let bad = |m: String| ReeError::Checkpoint {
            path: format!("checkpoint of step {}", ck.step),
            message: m,
        };
        if fresh.tensors.len() != ck.state.len() {
            return Err(bad(format!(
                "{} state tensors, this job has {}",
                ck.state.len(),
                fresh.tensors.len()
            )));
        }
        for ((n, t, _), (cn, ct)) in fresh.tensors.iter().zip(&ck.state) {
            if n != cn || t.shape() != ct.shape() {
                return Err(bad(format!(
                    "tensor {cn} {:?} where this job has {n} {:?}",
                    ct.shape(),
                    t.shape()
                )));
            }
        }
        Ok(self.state_from(ck.step, ck.cursor, ck.state.clone(), tracing))
    }

    /// The checkpoint of `state`.
    pub fn checkpoint(&self, state: &State, spec_hash: &str) -> Checkpoint {
        Checkpoint {
            step: state.step,
            cursor: state.batcher.cursor(),
            state: state
                .tensors
                .iter()
                .map(|(n, t, _)| (n.clone(), t.clone()))
                .collect(),
            spec_hash: spec_hash.to_string(),
        }
    }

    /// The parameters of `state` (model order).
    pub fn params<'s>(&self, state: &'s State) -> impl Iterator<Item = (&'s str, &'s Tensor)> {
        let n = self.model.params().len();
        state.tensors[..n]
            .iter()
            .map(|(name, t, _)| (name.as_str(), t))
    }

    fn batch(&self, idx: &[u32]) -> Result<Batch, ReeError> {
        let b = idx.len();
        match (&self.data, &self.model) {
            (Dataset::Table(tab), Model::Mlp(m)) => {
                let mut x = Vec::with_capacity(b * tab.cols);
                let mut y = Vec::with_capacity(b);
                for &i in idx {
                    let r = i as usize;
                    x.extend_from_slice(&tab.x[r * tab.cols..(r + 1) * tab.cols]);
                    y.push(tab.y[r]);
                }
                let y_shape = match m.task {
                    Task::Regression => vec![b, 1],
                    Task::Classification => vec![b],
                };
                Ok(Batch {
                    x: Tensor::new(vec![b, tab.cols], x)?,
                    y: Tensor::new(y_shape, y)?,
                    pos: None,
                })
            }
            (Dataset::Text(text), Model::Transformer(t)) => {
                let ctx = t.context;
                let mut x = Vec::with_capacity(b * ctx);
                let mut y = Vec::with_capacity(b * ctx);
                let mut pos = Vec::with_capacity(b * ctx);
                for &i in idx {
                    let p = i as usize;
                    x.extend(text.tokens[p..p + ctx].iter().map(|&c| c as f32));
                    y.extend(text.tokens[p + 1..p + ctx + 1].iter().map(|&c| c as f32));
                    pos.extend((0..ctx).map(|j| j as f32));
                }
                Ok(Batch {
                    x: Tensor::new(vec![b * ctx], x)?,
                    y: Tensor::new(vec![b * ctx], y)?,
                    pos: Some(Tensor::new(vec![b * ctx], pos)?),
                })
            }
            _ => Err(spec_err(
                "data.format",
                "does not fit the model kind".into(),
            )),
        }
    }

    /// Run one training step on `state` (advancing it). On error the state is left unusable.
    pub fn step(
        &self,
        exec: &Exec,
        state: &mut State,
        tracing: bool,
        fault: Option<BitFlip>,
        capture: Option<usize>,
    ) -> Result<StepOut, ReeError> {
        let mut rec = Recorder::new(exec, state.step, tracing, self.hasher.as_deref(), fault)?;
        if let Some(leaf) = capture {
            rec.capture(leaf);
        }
        let n_params = self.model.params().len();
        let slots = self.opt_slots().len();
        let names: Vec<String> = state.tensors.iter().map(|(n, _, _)| n.clone()).collect();
        let vals: Vec<Val> = std::mem::take(&mut state.tensors)
            .into_iter()
            .map(|(n, t, h)| rec.input(&n, t, tracing.then_some(h)))
            .collect::<Result<_, _>>()?;
        let idx = state.batcher.next_batch(self.batch_size);
        let batch = self.batch(&idx)?;
        let (params, opt) = vals.split_at(n_params);
        let pass = self.model.forward_backward(&mut rec, params, batch)?;
        let optimizer = match &self.optimizer {
            Op::AdamW {
                lr,
                beta1,
                beta2,
                eps,
                weight_decay,
                ..
            } => Op::AdamW {
                step: u32::try_from(state.step + 1)
                    .ok()
                    .filter(|&s| s <= 1 << 24)
                    .ok_or_else(|| {
                        spec_err("train.steps", "AdamW supports at most 2^24 steps".into())
                    })?,
                lr: *lr,
                beta1: *beta1,
                beta2: *beta2,
                eps: *eps,
                weight_decay: *weight_decay,
            },
            other => other.clone(),
        };
        let mut new_params = Vec::with_capacity(n_params);
        let mut new_opt = Vec::with_capacity(opt.len());
        for (i, (p, g)) in params.iter().zip(&pass.grads).enumerate() {
            let mut ins: Vec<&Val> = vec![p, g];
            ins.extend(&opt[i * slots..(i + 1) * slots]);
            let mut outs = rec.op(optimizer.clone(), &ins)?.into_iter();
            new_params.push(
                outs.next()
                    .expect("optimizer ops return the parameter first"),
            );
            new_opt.extend(outs);
        }
        let loss = pass.loss;
        drop(pass);
        drop(vals);
        let new_state: Vec<Val> = new_params.into_iter().chain(new_opt).collect();
        let refs: Vec<(String, trace::InputRef)> = names
            .iter()
            .cloned()
            .zip(new_state.iter().map(|v| v.src))
            .collect();
        let ops = rec.ops();
        let captured = rec.take_captured();
        let cursor = state.batcher.cursor();
        let fin = rec.finish(&refs, state.step + 1, cursor)?;
        state.step += 1;
        state.tensors = names
            .into_iter()
            .zip(new_state)
            .zip(fin.state_hashes)
            .map(|((n, v), h)| {
                let t = Arc::try_unwrap(v.t).unwrap_or_else(|shared| (*shared).clone());
                (n, t, h)
            })
            .collect();
        let (layout, leaves, hash) = (fin.layout, fin.leaves, fin.hash);
        Ok(StepOut {
            loss,
            layout,
            leaves,
            hash,
            ops,
            captured,
        })
    }
}
