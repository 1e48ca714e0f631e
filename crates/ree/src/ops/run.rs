//! [`execute`]: validates an op's inputs (arity, shapes, ids, attributes) and runs its kernel.
//! Every bad input is an error naming the op; nothing here panics on outside input.

use super::Op;
use crate::ReeError;
use crate::kernels::{Exec, attention, elementwise as ew, matmul, nn, optim};
use crate::tensor::{Tensor, shape_len};

type R<T> = Result<T, ReeError>;

/// Largest output (in elements, 4 GiB of f32) an op may size from its attributes alone
/// (`EmbeddingBackward::vocab`, `SumBackward::shape`, …), so a hostile descriptor cannot make
/// the referee allocate without bound.
pub const MAX_ATTR_OUTPUT: usize = 1 << 30;

/// Longest attention sequence: the kernels keep one `seq × seq` score matrix per head.
pub const MAX_ATTENTION_SEQ: usize = 4096;

fn shape_err(op: &Op, detail: String) -> ReeError {
    ReeError::Shape {
        op: op.name(),
        detail,
    }
}

fn attr_err(op: &Op, detail: String) -> ReeError {
    ReeError::BadAttribute {
        op: op.name(),
        detail,
    }
}

fn same_shape(op: &Op, names: &[&str], ts: &[&Tensor]) -> R<()> {
    for (n, t) in names.iter().zip(ts).skip(1) {
        if t.shape() != ts[0].shape() {
            return Err(shape_err(
                op,
                format!(
                    "{n} has shape {:?} but {} has shape {:?}",
                    t.shape(),
                    names[0],
                    ts[0].shape()
                ),
            ));
        }
    }
    Ok(())
}

fn rank(op: &Op, name: &str, t: &Tensor, want: usize) -> R<()> {
    if t.ndim() != want {
        return Err(shape_err(
            op,
            format!("{name} must have {want} dims, got shape {:?}", t.shape()),
        ));
    }
    Ok(())
}

fn is_scalar(op: &Op, name: &str, t: &Tensor) -> R<f32> {
    if t.ndim() != 0 {
        return Err(shape_err(
            op,
            format!("{name} must be a scalar (shape []), got {:?}", t.shape()),
        ));
    }
    Ok(t.data()[0])
}

/// Last dim (row length) of a tensor of rank ≥ 1.
fn last_dim(op: &Op, name: &str, t: &Tensor) -> R<usize> {
    match t.shape().last() {
        Some(&d) => Ok(d),
        None => Err(shape_err(
            op,
            format!("{name} must have at least 1 dim, got a scalar"),
        )),
    }
}

fn vector_of(op: &Op, name: &str, t: &Tensor, d: usize) -> R<()> {
    if t.shape() != [d] {
        return Err(shape_err(
            op,
            format!("{name} must have shape [{d}], got {:?}", t.shape()),
        ));
    }
    Ok(())
}

/// Exact integer ids in `0..limit` from an f32 tensor.
fn ids(op: &Op, name: &str, t: &Tensor, limit: usize) -> R<Vec<usize>> {
    rank(op, name, t, 1)?;
    t.data()
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && (v as f64) < limit as f64 {
                Ok(v as usize)
            } else {
                Err(ReeError::BadId {
                    op: op.name(),
                    detail: format!("{name}[{i}] = {v} is not an integer id in 0..{limit}"),
                })
            }
        })
        .collect()
}

fn finite_attr(op: &Op, name: &str, v: f32) -> R<()> {
    if !v.is_finite() {
        return Err(attr_err(op, format!("{name} must be finite, got {v}")));
    }
    Ok(())
}

fn t(shape: &[usize], data: Vec<f32>) -> Tensor {
    Tensor::new(shape.to_vec(), data)
        .expect("kernels return exactly the output shape's element count")
}

/// Runs `op` on `inputs` with the kernels `exec` selects. Validates the input count, every
/// shape, ids and attributes first; the outputs are bit-identical for every [`Exec`].
pub fn execute(exec: &Exec, op: &Op, inputs: &[&Tensor]) -> Result<Vec<Tensor>, ReeError> {
    if inputs.len() != op.num_inputs() {
        return Err(ReeError::Arity {
            op: op.name(),
            expected: op.num_inputs(),
            got: inputs.len(),
        });
    }
    let x = inputs;
    Ok(match op {
        Op::MatMul { trans_a, trans_b } => {
            rank(op, "a", x[0], 2)?;
            rank(op, "b", x[1], 2)?;
            let (sa, sb) = (x[0].shape(), x[1].shape());
            let (m, ka) = if *trans_a {
                (sa[1], sa[0])
            } else {
                (sa[0], sa[1])
            };
            let (kb, n) = if *trans_b {
                (sb[1], sb[0])
            } else {
                (sb[0], sb[1])
            };
            if ka != kb {
                return Err(shape_err(
                    op,
                    format!(
                        "inner dims differ: a {sa:?} (trans_a={trans_a}) gives K={ka}, b {sb:?} (trans_b={trans_b}) gives K={kb}"
                    ),
                ));
            }
            let mut c = vec![0.0f32; m * n];
            let av = matmul::MatRef::row_major(x[0].data(), sa[1], *trans_a);
            let bv = matmul::MatRef::row_major(x[1].data(), sb[1], *trans_b);
            matmul::matmul(exec, m, n, ka, av, bv, &mut c);
            vec![t(&[m, n], c)]
        }
        Op::Add => {
            same_shape(op, &["a", "b"], x)?;
            vec![t(
                x[0].shape(),
                ew::map2(exec, x[0].data(), x[1].data(), |a, b| a + b),
            )]
        }
        Op::Mul => {
            same_shape(op, &["a", "b"], x)?;
            vec![t(
                x[0].shape(),
                ew::map2(exec, x[0].data(), x[1].data(), |a, b| a * b),
            )]
        }
        Op::MulBackward => {
            same_shape(op, &["dy", "a", "b"], x)?;
            let s = x[0].shape();
            vec![
                t(s, ew::map2(exec, x[0].data(), x[2].data(), |g, b| g * b)),
                t(s, ew::map2(exec, x[0].data(), x[1].data(), |g, a| g * a)),
            ]
        }
        Op::BiasAdd => {
            let d = last_dim(op, "x", x[0])?;
            vector_of(op, "bias", x[1], d)?;
            vec![t(
                x[0].shape(),
                ew::map_rows(exec, x[0].data(), x[1].data(), |a, b| a + b),
            )]
        }
        Op::BiasGrad => {
            let d = last_dim(op, "dy", x[0])?;
            vec![t(&[d], nn::bias_grad(exec, x[0].data(), d))]
        }
        Op::Scale { factor } => {
            finite_attr(op, "factor", *factor)?;
            let f = *factor;
            vec![t(x[0].shape(), ew::map1(exec, x[0].data(), move |v| v * f))]
        }
        Op::Relu => vec![t(x[0].shape(), ew::map1(exec, x[0].data(), ew::relu))],
        Op::ReluBackward => {
            same_shape(op, &["dy", "x"], x)?;
            vec![t(
                x[0].shape(),
                ew::map2(exec, x[0].data(), x[1].data(), ew::relu_grad),
            )]
        }
        Op::Gelu => vec![t(x[0].shape(), ew::map1(exec, x[0].data(), ew::gelu))],
        Op::GeluBackward => {
            same_shape(op, &["dy", "x"], x)?;
            let f = |g: f32, v: f32| g * ew::gelu_grad(v);
            vec![t(x[0].shape(), ew::map2(exec, x[0].data(), x[1].data(), f))]
        }
        Op::Softmax | Op::LogSoftmax => {
            let d = last_dim(op, "x", x[0])?;
            let y = if matches!(op, Op::Softmax) {
                nn::softmax(exec, x[0].data(), d)
            } else {
                nn::log_softmax(exec, x[0].data(), d)
            };
            vec![t(x[0].shape(), y)]
        }
        Op::SoftmaxBackward | Op::LogSoftmaxBackward => {
            same_shape(op, &["dy", "y"], x)?;
            let d = last_dim(op, "dy", x[0])?;
            let dx = if matches!(op, Op::SoftmaxBackward) {
                nn::softmax_backward(exec, x[0].data(), x[1].data(), d)
            } else {
                nn::log_softmax_backward(exec, x[0].data(), x[1].data(), d)
            };
            vec![t(x[0].shape(), dx)]
        }
        Op::CrossEntropy | Op::CrossEntropyBackward => {
            rank(op, "logits", x[0], 2)?;
            let (n, c) = (x[0].shape()[0], x[0].shape()[1]);
            if n == 0 || c == 0 {
                return Err(shape_err(
                    op,
                    format!("logits must be non-empty, got {:?}", x[0].shape()),
                ));
            }
            vector_of(op, "targets", x[1], n)?;
            let tg = ids(op, "targets", x[1], c)?;
            if matches!(op, Op::CrossEntropy) {
                vec![Tensor::scalar(nn::cross_entropy(exec, x[0].data(), &tg, c))]
            } else {
                let dl = is_scalar(op, "dloss", x[2])?;
                vec![t(
                    &[n, c],
                    nn::cross_entropy_backward(exec, x[0].data(), &tg, c, dl),
                )]
            }
        }
        Op::Mse | Op::MseBackward => {
            same_shape(op, &["pred", "target"], &x[..2])?;
            if x[0].is_empty() {
                return Err(shape_err(op, "pred must be non-empty".into()));
            }
            if matches!(op, Op::Mse) {
                vec![Tensor::scalar(nn::mse(exec, x[0].data(), x[1].data()))]
            } else {
                let dl = is_scalar(op, "dloss", x[2])?;
                let g = (2.0 * dl) / (x[0].len() as f32);
                vec![t(
                    x[0].shape(),
                    ew::map2(exec, x[0].data(), x[1].data(), move |p, q| (p - q) * g),
                )]
            }
        }
        Op::LayerNorm { eps } => {
            finite_attr(op, "eps", *eps)?;
            if *eps <= 0.0 {
                return Err(attr_err(op, format!("eps must be > 0, got {eps}")));
            }
            let d = last_dim(op, "x", x[0])?;
            if d == 0 {
                return Err(shape_err(op, "last dim of x must be > 0".into()));
            }
            vector_of(op, "gamma", x[1], d)?;
            vector_of(op, "beta", x[2], d)?;
            let rows_shape = &x[0].shape()[..x[0].ndim() - 1];
            let (y, mean, rstd) = nn::layer_norm(exec, x[0].data(), x[1].data(), x[2].data(), *eps);
            vec![t(x[0].shape(), y), t(rows_shape, mean), t(rows_shape, rstd)]
        }
        Op::LayerNormBackward => {
            same_shape(op, &["dy", "x"], &x[..2])?;
            let d = last_dim(op, "x", x[1])?;
            if d == 0 {
                return Err(shape_err(op, "last dim of x must be > 0".into()));
            }
            vector_of(op, "gamma", x[2], d)?;
            let rows_shape = &x[1].shape()[..x[1].ndim() - 1];
            for (name, s) in [("mean", x[3]), ("rstd", x[4])] {
                if s.shape() != rows_shape {
                    return Err(shape_err(
                        op,
                        format!("{name} must have shape {rows_shape:?}, got {:?}", s.shape()),
                    ));
                }
            }
            let (dx, dg, db) = nn::layer_norm_backward(
                exec,
                x[0].data(),
                x[1].data(),
                x[2].data(),
                x[3].data(),
                x[4].data(),
            );
            vec![t(x[1].shape(), dx), t(&[d], dg), t(&[d], db)]
        }
        Op::Embedding => {
            rank(op, "table", x[0], 2)?;
            let (v, d) = (x[0].shape()[0], x[0].shape()[1]);
            let id = ids(op, "ids", x[1], v)?;
            vec![t(&[id.len(), d], nn::embedding(exec, x[0].data(), &id, d))]
        }
        Op::EmbeddingBackward { vocab } => {
            rank(op, "dout", x[0], 2)?;
            let (n, d) = (x[0].shape()[0], x[0].shape()[1]);
            vector_of(op, "ids", x[1], n)?;
            let id = ids(op, "ids", x[1], *vocab)?;
            if shape_len(&[*vocab, d]).is_none_or(|l| l > MAX_ATTR_OUTPUT) {
                return Err(attr_err(
                    op,
                    format!("vocab {vocab} × {d} exceeds {MAX_ATTR_OUTPUT} elements"),
                ));
            }
            vec![t(
                &[*vocab, d],
                nn::embedding_backward(exec, x[0].data(), &id, *vocab, d),
            )]
        }
        Op::Attention { batch, seq, heads } | Op::AttentionBackward { batch, seq, heads } => {
            let dims = attn_dims(op, *batch, *seq, *heads, x)?;
            if matches!(op, Op::Attention { .. }) {
                vec![t(
                    x[0].shape(),
                    attention::forward(exec, dims, x[0].data(), x[1].data(), x[2].data()),
                )]
            } else {
                let (dq, dk, dv) = attention::backward(
                    exec,
                    dims,
                    x[0].data(),
                    x[1].data(),
                    x[2].data(),
                    x[3].data(),
                );
                let s = x[0].shape();
                vec![t(s, dq), t(s, dk), t(s, dv)]
            }
        }
        Op::Sum => vec![Tensor::scalar(nn::sum(exec, x[0].data()))],
        Op::Mean => {
            if x[0].is_empty() {
                return Err(shape_err(op, "mean of an empty tensor".into()));
            }
            vec![Tensor::scalar(
                nn::sum(exec, x[0].data()) / (x[0].len() as f32),
            )]
        }
        Op::SumBackward { shape } | Op::MeanBackward { shape } => {
            let dy = is_scalar(op, "dy", x[0])?;
            let n = shape_len(shape)
                .filter(|&l| l <= MAX_ATTR_OUTPUT)
                .ok_or_else(|| {
                    attr_err(
                        op,
                        format!("shape {shape:?} exceeds {MAX_ATTR_OUTPUT} elements"),
                    )
                })?;
            let v = if matches!(op, Op::MeanBackward { .. }) {
                if n == 0 {
                    return Err(attr_err(op, "shape must be non-empty".into()));
                }
                dy / (n as f32)
            } else {
                dy
            };
            vec![t(shape, vec![v; n])]
        }
        Op::SgdMomentum {
            lr,
            momentum,
            weight_decay,
        } => {
            for (n, v) in [
                ("lr", lr),
                ("momentum", momentum),
                ("weight_decay", weight_decay),
            ] {
                finite_attr(op, n, *v)?;
            }
            same_shape(op, &["param", "grad", "velocity"], x)?;
            let (p, v) = optim::sgd(
                exec,
                x[0].data(),
                x[1].data(),
                x[2].data(),
                *lr,
                *momentum,
                *weight_decay,
            );
            vec![t(x[0].shape(), p), t(x[0].shape(), v)]
        }
        Op::AdamW {
            step,
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        } => {
            for (n, v) in [
                ("lr", lr),
                ("beta1", beta1),
                ("beta2", beta2),
                ("eps", eps),
                ("weight_decay", weight_decay),
            ] {
                finite_attr(op, n, *v)?;
            }
            if *step == 0 || *step > 1 << 24 {
                return Err(attr_err(
                    op,
                    format!("step must be in 1..=16777216, got {step}"),
                ));
            }
            for (n, b) in [("beta1", beta1), ("beta2", beta2)] {
                if !(0.0..1.0).contains(b) {
                    return Err(attr_err(op, format!("{n} must be in [0, 1), got {b}")));
                }
            }
            same_shape(op, &["param", "grad", "m", "v"], x)?;
            let h = optim::AdamW {
                step: *step,
                lr: *lr,
                beta1: *beta1,
                beta2: *beta2,
                eps: *eps,
                weight_decay: *weight_decay,
            };
            let (p, m, v) =
                optim::adamw(exec, x[0].data(), x[1].data(), x[2].data(), x[3].data(), h);
            let s = x[0].shape();
            vec![t(s, p), t(s, m), t(s, v)]
        }
    })
}

fn attn_dims(op: &Op, batch: usize, seq: usize, heads: usize, x: &[&Tensor]) -> R<attention::Dims> {
    let names: &[&str] = if x.len() == 4 {
        &["dout", "q", "k", "v"]
    } else {
        &["q", "k", "v"]
    };
    same_shape(op, names, x)?;
    rank(op, names[0], x[0], 2)?;
    let (rows, d) = (x[0].shape()[0], x[0].shape()[1]);
    if heads == 0 || d == 0 || d % heads != 0 {
        return Err(attr_err(
            op,
            format!("heads ({heads}) must be ≥ 1 and divide D ({d})"),
        ));
    }
    if seq > MAX_ATTENTION_SEQ {
        return Err(attr_err(
            op,
            format!("seq ({seq}) exceeds the maximum of {MAX_ATTENTION_SEQ}"),
        ));
    }
    if batch.checked_mul(seq) != Some(rows) {
        return Err(shape_err(
            op,
            format!(
                "rows ({rows}) must equal batch ({batch}) × seq ({seq}); shape {:?}",
                x[0].shape()
            ),
        ));
    }
    Ok(attention::Dims {
        batch,
        seq,
        heads,
        d,
    })
}
