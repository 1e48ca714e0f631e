//! The op descriptor ([`Op`]) and [`execute`], the one entry point for every operation a
//! training step records: forward ops, backward ops and optimizer updates.
//!
//! Each variant's doc comment is its contract: inputs, outputs, and the **canonical order** of
//! its float operations. Every implementation (scalar reference, portable, AVX2, AVX-512, any
//! thread count) gives exactly these bits. Shared conventions:
//!
//! - `csum` / `cmax` / `colsum`: the canonical reductions of [`crate::kernels::reduce`]
//!   (eight interleaved lanes, pairwise tree, sequential tail).
//! - `fma(a, b, c)`: `a * b + c` rounded once (`f32::mul_add`). Used only where written.
//! - `expf`, `logf`, `erff`, `powf`: from the `libm` crate (pinned), never the platform. The
//!   SIMD paths may evaluate `expf` eight lanes at a time with a lane-wise transcription of
//!   libm's code that gives libm's bits for every f32 input (checked over all 2^32 inputs with
//!   `REE_EXP_EXHAUSTIVE=1`).
//! - `sqrtf` / `sqrt`: the IEEE-754 correctly rounded square root (`libm::sqrtf` or
//!   `f32::sqrt`, which give the same bits everywhere).
//! - Integer ids (class ids, token ids) are f32 tensors holding exact non-negative integers.
//! - A "row" is the last dim; `rows` is the product of the other dims.
//!
//! Any change to any op's canonical order must bump [`KERNEL_SEMANTICS_VERSION`].

mod run;

use serde::{Deserialize, Serialize};

pub use run::{MAX_ATTENTION_SEQ, MAX_ATTR_OUTPUT, execute};

/// Version of the canonical orders documented on [`Op`]. Bump on any change of any op's bits.
pub const KERNEL_SEMANTICS_VERSION: u32 = 1;

/// One deterministic operation and its constant attributes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Op {
    /// `C = op(A) · op(B)`; inputs `a`, `b`; output `c [M, N]`. `a` is `[M, K]` (or `[K, M]`
    /// read transposed when `trans_a`), `b` is `[K, N]` (or `[N, K]` when `trans_b`). So backward
    /// of `Y = X·W` is `dX = MatMul{trans_b}(dY, W)` and `dW = MatMul{trans_a}(X, dY)`.
    /// Order: `C[i,j] = fold k = 0..K ascending of acc = fma(A[i,k], B[k,j], acc)` from `+0.0`.
    MatMul {
        /// Read `a` transposed.
        trans_a: bool,
        /// Read `b` transposed.
        trans_b: bool,
    },
    /// `y = a + b`, same shapes. Its backward is the identity (`da = db = dy`), no op needed.
    Add,
    /// `y = a * b` elementwise, same shapes.
    Mul,
    /// Inputs `dy, a, b` → `(da, db)` with `da = dy * b`, `db = dy * a`.
    MulBackward,
    /// Inputs `x [rows, D]` (any rank ≥ 1, last dim `D`), `bias [D]` → `y = x + bias` per row.
    /// Its backward for `x` is the identity; for `bias` see [`Op::BiasGrad`].
    BiasAdd,
    /// Input `dy [rows, D]` → `db [D]`, `db[j] = colsum(dy)[j]` (canonical column sum over rows).
    BiasGrad,
    /// `y = x * factor`. Also its own backward (`dx = dy * factor`).
    Scale {
        /// The constant factor.
        factor: f32,
    },
    /// `y = if x > 0 { x } else { +0.0 }`.
    Relu,
    /// Inputs `dy, x` → `dx = if x > 0 { dy } else { +0.0 }`.
    ReluBackward,
    /// Exact GELU: `y = (0.5 * x) * (1.0 + erff(x * FRAC_1_SQRT_2))`.
    Gelu,
    /// Inputs `dy, x` → `dx = dy * (cdf + x * pdf)` with
    /// `cdf = 0.5 * (1.0 + erff(x * FRAC_1_SQRT_2))`, `pdf = expf(-0.5 * (x * x)) * INV_SQRT_2PI`
    /// (constants in [`crate::kernels::elementwise`]).
    GeluBackward,
    /// Softmax over the last dim: `m = cmax(x)`, `e = expf(x - m)`, `y = e / csum(e)`.
    Softmax,
    /// Inputs `dy, y` (softmax output) → `dx = y * (dy - csum(dy * y))` per row.
    SoftmaxBackward,
    /// Log-softmax over the last dim: `m = cmax(x)`, `y = (x - m) - logf(csum(expf(x - m)))`.
    LogSoftmax,
    /// Inputs `dy, y` (log-softmax output) → `dx = dy - expf(y) * csum(dy)` per row.
    LogSoftmaxBackward,
    /// Inputs `logits [N, C]`, `targets [N]` (class ids) → scalar mean loss. Per row
    /// `m = cmax(x)`, `l_i = logf(csum(expf(x - m))) - (x[t_i] - m)`; loss `= csum(l) / N`.
    CrossEntropy,
    /// Inputs `logits [N, C]`, `targets [N]`, `dloss []` → `dlogits [N, C]`:
    /// `g = dloss / N`, `p` = the row's softmax (as [`Op::Softmax`]),
    /// `dx[i,j] = (p[i,j] - 1.0) * g` at `j == t_i`, else `p[i,j] * g`.
    CrossEntropyBackward,
    /// Inputs `pred`, `target` (same shape, non-empty) → scalar `csum((p - t) * (p - t)) / n`.
    Mse,
    /// Inputs `pred, target, dloss []` → `dpred = (p - t) * ((2.0 * dloss) / n)`.
    MseBackward,
    /// Inputs `x [rows, D]`, `gamma [D]`, `beta [D]` → `(y, mean [rows], rstd [rows])`. Per row
    /// `mean = csum(x) / D`, `var = csum((x - mean) * (x - mean)) / D`,
    /// `rstd = 1.0 / sqrtf(var + eps)`, `y = ((x - mean) * rstd) * gamma + beta`.
    LayerNorm {
        /// Added to the variance before the square root.
        eps: f32,
    },
    /// Inputs `dy, x, gamma, mean, rstd` → `(dx, dgamma, dbeta)`. Per row
    /// `xhat = (x - mean) * rstd`, `g = dy * gamma`, `a = csum(g) / D`, `b = csum(g * xhat) / D`,
    /// `dx = ((g - a) - xhat * b) * rstd`; `dgamma = colsum(dy * xhat)`, `dbeta = colsum(dy)`.
    LayerNormBackward,
    /// Inputs `table [V, D]`, `ids [N]` → `out [N, D]`, `out[n] = table[ids[n]]` (a copy).
    Embedding,
    /// Inputs `dout [N, D]`, `ids [N]` → `dtable [vocab, D]`: zeros, then for `n = 0..N`
    /// ascending, `dtable[ids[n]] += dout[n]` (elementwise adds).
    EmbeddingBackward {
        /// Rows of the table (`V`).
        vocab: usize,
    },
    /// Causal multi-head self-attention. Inputs `q, k, v [batch*seq, D]` → `out [batch*seq, D]`.
    /// Order: see [`crate::kernels::attention`] (dot products as matmul FMA chains, scale
    /// `1/sqrtf(D/heads)`, canonical softmax over `j ≤ i`, output FMA chains over `j` ascending).
    Attention {
        /// Sequences in the batch.
        batch: usize,
        /// Tokens per sequence (at most [`MAX_ATTENTION_SEQ`]).
        seq: usize,
        /// Heads; must divide `D`.
        heads: usize,
    },
    /// Inputs `dout, q, k, v` → `(dq, dk, dv)`; order in [`crate::kernels::attention`].
    AttentionBackward {
        /// Sequences in the batch.
        batch: usize,
        /// Tokens per sequence (at most [`MAX_ATTENTION_SEQ`]).
        seq: usize,
        /// Heads; must divide `D`.
        heads: usize,
    },
    /// Sum of all elements to a scalar: `csum(x)` over the flat data.
    Sum,
    /// Input `dy []` → a tensor of `shape` filled with `dy`.
    SumBackward {
        /// Shape of the summed input.
        shape: Vec<usize>,
    },
    /// Mean of all elements (non-empty) to a scalar: `csum(x) / (n as f32)`.
    Mean,
    /// Input `dy []` → a tensor of `shape` filled with `dy / (n as f32)`.
    MeanBackward {
        /// Shape of the averaged input.
        shape: Vec<usize>,
    },
    /// SGD with momentum. Inputs `param, grad, velocity` (same shape) → `(param', velocity')`:
    /// `g' = g + weight_decay * p`, `v' = momentum * v + g'`, `p' = p - lr * v'`.
    SgdMomentum {
        /// Learning rate.
        lr: f32,
        /// Momentum coefficient.
        momentum: f32,
        /// L2 weight decay added to the gradient.
        weight_decay: f32,
    },
    /// AdamW. Inputs `param, grad, m, v` (same shape) → `(param', m', v')`. With
    /// `bc1 = 1 - powf(beta1, step as f32)`, `bc2 = 1 - powf(beta2, step as f32)`:
    /// `m' = beta1 * m + (1 - beta1) * g`, `v' = beta2 * v + (1 - beta2) * (g * g)`,
    /// `p' = p - lr * ((m' / bc1) / (sqrt(v' / bc2) + eps) + weight_decay * p)`.
    AdamW {
        /// 1-based update count (bias correction); 1..=16777216.
        step: u32,
        /// Learning rate.
        lr: f32,
        /// First-moment decay.
        beta1: f32,
        /// Second-moment decay.
        beta2: f32,
        /// Added to the root of the second moment.
        eps: f32,
        /// Decoupled weight decay.
        weight_decay: f32,
    },
}

impl Op {
    /// A stable snake_case name (used in errors and traces).
    pub fn name(&self) -> &'static str {
        match self {
            Op::MatMul { .. } => "matmul",
            Op::Add => "add",
            Op::Mul => "mul",
            Op::MulBackward => "mul_backward",
            Op::BiasAdd => "bias_add",
            Op::BiasGrad => "bias_grad",
            Op::Scale { .. } => "scale",
            Op::Relu => "relu",
            Op::ReluBackward => "relu_backward",
            Op::Gelu => "gelu",
            Op::GeluBackward => "gelu_backward",
            Op::Softmax => "softmax",
            Op::SoftmaxBackward => "softmax_backward",
            Op::LogSoftmax => "log_softmax",
            Op::LogSoftmaxBackward => "log_softmax_backward",
            Op::CrossEntropy => "cross_entropy",
            Op::CrossEntropyBackward => "cross_entropy_backward",
            Op::Mse => "mse",
            Op::MseBackward => "mse_backward",
            Op::LayerNorm { .. } => "layer_norm",
            Op::LayerNormBackward => "layer_norm_backward",
            Op::Embedding => "embedding",
            Op::EmbeddingBackward { .. } => "embedding_backward",
            Op::Attention { .. } => "attention",
            Op::AttentionBackward { .. } => "attention_backward",
            Op::Sum => "sum",
            Op::SumBackward { .. } => "sum_backward",
            Op::Mean => "mean",
            Op::MeanBackward { .. } => "mean_backward",
            Op::SgdMomentum { .. } => "sgd_momentum",
            Op::AdamW { .. } => "adamw",
        }
    }

    /// How many input tensors the op takes.
    pub fn num_inputs(&self) -> usize {
        match self {
            Op::Scale { .. }
            | Op::Relu
            | Op::Gelu
            | Op::Softmax
            | Op::LogSoftmax
            | Op::BiasGrad
            | Op::Sum
            | Op::Mean
            | Op::SumBackward { .. }
            | Op::MeanBackward { .. } => 1,
            Op::MatMul { .. }
            | Op::Add
            | Op::Mul
            | Op::BiasAdd
            | Op::ReluBackward
            | Op::GeluBackward
            | Op::SoftmaxBackward
            | Op::LogSoftmaxBackward
            | Op::CrossEntropy
            | Op::Mse
            | Op::Embedding
            | Op::EmbeddingBackward { .. } => 2,
            Op::MulBackward
            | Op::CrossEntropyBackward
            | Op::MseBackward
            | Op::LayerNorm { .. }
            | Op::Attention { .. }
            | Op::SgdMomentum { .. } => 3,
            Op::AttentionBackward { .. } | Op::AdamW { .. } => 4,
            Op::LayerNormBackward => 5,
        }
    }

    /// How many output tensors the op returns.
    pub fn num_outputs(&self) -> usize {
        match self {
            Op::MulBackward | Op::SgdMomentum { .. } => 2,
            Op::LayerNorm { .. }
            | Op::LayerNormBackward
            | Op::AttentionBackward { .. }
            | Op::AdamW { .. } => 3,
            _ => 1,
        }
    }
}
