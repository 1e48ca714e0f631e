//! Models: parameter layout and initialisation, and one forward + loss + backward pass recorded
//! op by op through a [`Recorder`].
//!
//! Parameters are named (`l0.w`, `h1.attn.wq`, ...) and kept in a fixed order; that order is the
//! order of input leaves, state-root entries, optimizer updates and checkpoint tensors.
//! Linear weights are stored `[in, out]` (so `y = x · W`).
//!
//! Initialisation (parameter `i` reads PRNG stream `Init(i)`, see [`crate::prng`]): weights
//! `N(0, std²)` with the std each model documents, biases and layer-norm betas `0`, layer-norm
//! gammas `1`.

pub mod mlp;
pub mod transformer;

use crate::ReeError;
use crate::prng::{Philox, Stream};
use crate::tensor::Tensor;
use crate::train::recorder::{Recorder, Val};

/// How a parameter starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// `N(0, std²)`.
    Normal(f32),
    /// All zeros.
    Zeros,
    /// All ones.
    Ones,
}

/// One parameter's name, shape and initialiser.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSpec {
    /// Name (unique within the model).
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Initialiser.
    pub init: Init,
}

/// Draw the initial parameters for `seed` in parameter order.
pub fn init_params(specs: &[ParamSpec], seed: u64) -> Result<Vec<(String, Tensor)>, ReeError> {
    specs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut t = Tensor::zeros(p.shape.clone());
            match p.init {
                Init::Zeros => {}
                Init::Ones => t.data_mut().iter_mut().for_each(|v| *v = 1.0),
                Init::Normal(std) => {
                    let idx = u32::try_from(i).map_err(|_| ReeError::Spec {
                        field: "model".into(),
                        message: "too many parameter tensors".into(),
                    })?;
                    Philox::new(seed, Stream::Init(idx)).fill_normal(t.data_mut(), std);
                }
            }
            Ok((p.name.clone(), t))
        })
        .collect()
}

/// One training batch, as tensors.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Inputs: features `[B, F]` (MLP) or token ids `[B*T]` (transformer).
    pub x: Tensor,
    /// Targets: `[B, 1]` values, `[B]` class ids, or `[B*T]` next-token ids.
    pub y: Tensor,
    /// Transformer only: position ids `[B*T]`.
    pub pos: Option<Tensor>,
}

/// A model the trainer can run.
#[derive(Clone, Debug)]
pub enum Model {
    /// Multi-layer perceptron.
    Mlp(mlp::Mlp),
    /// Char-level transformer LM.
    Transformer(transformer::Transformer),
}

/// The outcome of one forward + backward pass.
#[derive(Debug)]
pub struct Pass {
    /// The loss (a scalar op output).
    pub loss: f32,
    /// One gradient per parameter, in parameter order.
    pub grads: Vec<Val>,
}

impl Model {
    /// Parameter layout in order.
    pub fn params(&self) -> Vec<ParamSpec> {
        match self {
            Model::Mlp(m) => m.params(),
            Model::Transformer(t) => t.params(),
        }
    }

    /// Record forward, loss and backward for `batch` with parameters `params` (in order).
    pub fn forward_backward(
        &self,
        rec: &mut Recorder<'_>,
        params: &[Val],
        batch: Batch,
    ) -> Result<Pass, ReeError> {
        match self {
            Model::Mlp(m) => m.forward_backward(rec, params, batch),
            Model::Transformer(t) => t.forward_backward(rec, params, batch),
        }
    }
}

/// The scalar `1.0` fed to the loss's backward op (d loss / d loss).
pub(crate) fn one(rec: &mut Recorder<'_>) -> Result<Val, ReeError> {
    rec.input("dloss", Tensor::scalar(1.0), None)
}

/// Scalar value of a one-element tensor.
pub(crate) fn scalar_of(v: &Val) -> f32 {
    v.t.data().first().copied().unwrap_or(f32::NAN)
}
