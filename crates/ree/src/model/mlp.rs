//! The multi-layer perceptron: `layers = [in, h1, ..., out]`, hidden activation relu or gelu,
//! MSE loss (regression, `out = 1`) or cross-entropy (classification, `out = classes`).
//!
//! Parameters: `l{i}.w [layers[i], layers[i+1]]` with `N(0, 2 / fan_in)` (He) init, `l{i}.b`
//! zeros. Recorded graph per step (layer `i` of `L`):
//! forward `MatMul(h, w) → BiasAdd(·, b) → act` (no act after the last layer), then the loss;
//! backward from the loss's backward op: per layer from the last, `BiasGrad`, `MatMul{trans_a}`
//! for `dW`, and (except for the first layer) `MatMul{trans_b}` for `dh` then the activation's
//! backward.

use crate::ReeError;
use crate::model::{Batch, Init, ParamSpec, Pass, one, scalar_of};
use crate::ops::Op;
use crate::spec::{Activation, Task};
use crate::train::recorder::{Recorder, Val};

/// An MLP's shape and behaviour.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// Widths, input first.
    pub layers: Vec<usize>,
    /// Hidden activation.
    pub activation: Activation,
    /// Loss.
    pub task: Task,
}

const MM: Op = Op::MatMul {
    trans_a: false,
    trans_b: false,
};
const MM_TA: Op = Op::MatMul {
    trans_a: true,
    trans_b: false,
};
const MM_TB: Op = Op::MatMul {
    trans_a: false,
    trans_b: true,
};

impl Mlp {
    /// Parameter layout.
    pub fn params(&self) -> Vec<ParamSpec> {
        let mut out = Vec::new();
        for (i, pair) in self.layers.windows(2).enumerate() {
            let std = libm::sqrtf(2.0 / pair[0] as f32);
            out.push(ParamSpec {
                name: format!("l{i}.w"),
                shape: vec![pair[0], pair[1]],
                init: Init::Normal(std),
            });
            out.push(ParamSpec {
                name: format!("l{i}.b"),
                shape: vec![pair[1]],
                init: Init::Zeros,
            });
        }
        out
    }

    /// Record one forward + loss + backward pass.
    pub fn forward_backward(
        &self,
        rec: &mut Recorder<'_>,
        params: &[Val],
        batch: Batch,
    ) -> Result<Pass, ReeError> {
        let n_layers = self.layers.len() - 1;
        let dloss = one(rec)?;
        let x = rec.input("batch.x", batch.x, None)?;
        let y = rec.input("batch.y", batch.y, None)?;
        // Forward: keep each layer's input and pre-activation.
        let mut inputs: Vec<Val> = Vec::with_capacity(n_layers);
        let mut pre: Vec<Val> = Vec::with_capacity(n_layers);
        let mut h = x;
        for l in 0..n_layers {
            let (w, b) = (&params[2 * l], &params[2 * l + 1]);
            let z = rec.op1(MM, &[&h, w])?;
            let a = rec.op1(Op::BiasAdd, &[&z, b])?;
            let next = if l + 1 < n_layers {
                Some(rec.op1(self.act(), &[&a])?)
            } else {
                None
            };
            inputs.push(h);
            match next {
                Some(n) => {
                    h = n;
                    pre.push(a);
                }
                None => {
                    h = a.clone();
                    pre.push(a);
                }
            }
        }
        let out = h;
        let (loss, mut g) = match self.task {
            Task::Regression => {
                let loss = rec.op1(Op::Mse, &[&out, &y])?;
                let g = rec.op1(Op::MseBackward, &[&out, &y, &dloss])?;
                (loss, g)
            }
            Task::Classification => {
                let loss = rec.op1(Op::CrossEntropy, &[&out, &y])?;
                let g = rec.op1(Op::CrossEntropyBackward, &[&out, &y, &dloss])?;
                (loss, g)
            }
        };
        // Backward.
        let mut grads: Vec<Option<Val>> = vec![None; params.len()];
        for l in (0..n_layers).rev() {
            let db = rec.op1(Op::BiasGrad, &[&g])?;
            let dw = rec.op1(MM_TA, &[&inputs[l], &g])?;
            grads[2 * l] = Some(dw);
            grads[2 * l + 1] = Some(db);
            if l > 0 {
                let dh = rec.op1(MM_TB, &[&g, &params[2 * l]])?;
                g = rec.op1(self.act_backward(), &[&dh, &pre[l - 1]])?;
            }
        }
        Ok(Pass {
            loss: scalar_of(&loss),
            grads: grads
                .into_iter()
                .map(|g| g.expect("every layer sets its two gradients"))
                .collect(),
        })
    }

    fn act(&self) -> Op {
        match self.activation {
            Activation::Relu => Op::Relu,
            Activation::Gelu => Op::Gelu,
        }
    }

    fn act_backward(&self) -> Op {
        match self.activation {
            Activation::Relu => Op::ReluBackward,
            Activation::Gelu => Op::GeluBackward,
        }
    }
}
