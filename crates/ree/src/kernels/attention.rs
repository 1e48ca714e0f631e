//! Causal multi-head self-attention, forward and backward.
//!
//! Inputs `q, k, v` are `[B*T, D]` row-major (sequence `b` is rows `b*T..(b+1)*T`), with `H`
//! heads of `dh = D / H` columns each (head `h` is columns `h*dh..(h+1)*dh`).
//! `scale = 1.0 / sqrtf(dh as f32)`. For each sequence and head, with `j ≤ i` only (causal):
//!
//! Forward:
//! - `s[i,j] = dot(q_i, k_j)`: an FMA chain over the head's columns in ascending order from
//!   `+0.0` (the canonical matmul order), then `s[i,j] = s[i,j] * scale`;
//! - `p[i, 0..=i] = softmax(s[i, 0..=i])` (canonical softmax: cmax, `expf`, csum, divide);
//! - `out_i[c] = fma chain over j = 0..=i ascending of p[i,j] * v_j[c]`, from `+0.0`.
//!
//! Backward (given `dout`; `p` recomputed exactly as above):
//! - `dp[i,j] = dot(dout_i, v_j)` (FMA chain over columns ascending, from `+0.0`);
//! - `r_i = csum over j = 0..=i of (p[i,j] * dp[i,j])`;
//! - `ds[i,j] = (p[i,j] * (dp[i,j] - r_i)) * scale`;
//! - `dq_i[c] = fma chain over j = 0..=i ascending of ds[i,j] * k_j[c]`, from `+0.0`;
//! - `dk_j[c] = fma chain over i = j..T ascending of ds[i,j] * q_i[c]`, from `+0.0`;
//! - `dv_j[c] = fma chain over i = j..T ascending of p[i,j] * dout_i[c]`, from `+0.0`.
//!
//! The fast path computes the dot products with the packed matmul kernels (the same FMA chains;
//! masked entries are computed and discarded), vectorises the FMA chains across columns, and
//! runs (sequence, head) pairs on separate threads.

use rayon::prelude::*;

use super::matmul::{MatRef, matmul};
use super::matmul_small::axpy;
use super::nn::softmax_row;
use super::{Exec, Isa};

/// Shape attributes of an attention op.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dims {
    pub batch: usize,
    pub seq: usize,
    pub heads: usize,
    pub d: usize,
}

impl Dims {
    fn dh(&self) -> usize {
        self.d / self.heads
    }
    fn scale(&self) -> f32 {
        1.0 / libm::sqrtf(self.dh() as f32)
    }
    /// Offset of sequence `b`, head `h` in a `[B*T, D]` tensor.
    fn off(&self, b: usize, h: usize) -> usize {
        b * self.seq * self.d + h * self.dh()
    }
}

/// `s[i*T + j] = dot(x_i, y_j)` for the head at `off` (rows of stride `D`), all `i, j < T`
/// (masked entries are computed but never read).
fn head_dots(ex: &Exec, dims: &Dims, x: &[f32], y: &[f32], off: usize, s: &mut [f32]) {
    let (t, dh, d) = (dims.seq, dims.dh(), dims.d);
    if ex.isa() == Isa::Scalar {
        for i in 0..t {
            for j in 0..=i {
                let mut acc = 0.0f32;
                for c in 0..dh {
                    acc = x[off + i * d + c].mul_add(y[off + j * d + c], acc);
                }
                s[i * t + j] = acc;
            }
        }
    } else {
        let a = MatRef {
            data: &x[off..],
            rs: d,
            cs: 1,
        };
        let b = MatRef {
            data: &y[off..],
            rs: 1,
            cs: d,
        };
        matmul(ex, t, t, dh, a, b, s);
    }
}

/// Probabilities `p` (`T × T`, rows masked to `0..=i`) for one sequence and head.
fn probs(ex: &Exec, dims: &Dims, q: &[f32], k: &[f32], off: usize) -> Vec<f32> {
    let t = dims.seq;
    let scale = dims.scale();
    let mut s = vec![0.0f32; t * t];
    head_dots(ex, dims, q, k, off, &mut s);
    let mut p = vec![0.0f32; t * t];
    for i in 0..t {
        let row = &mut s[i * t..i * t + i + 1];
        for v in row.iter_mut() {
            *v *= scale;
        }
        softmax_row(ex.isa(), row, &mut p[i * t..i * t + i + 1]);
    }
    p
}

fn head_forward(
    ex: &Exec,
    dims: &Dims,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    b: usize,
    h: usize,
) -> Vec<f32> {
    let (t, dh, d) = (dims.seq, dims.dh(), dims.d);
    let off = dims.off(b, h);
    let p = probs(ex, dims, q, k, off);
    let mut out = vec![0.0f32; t * dh];
    for i in 0..t {
        let o = &mut out[i * dh..(i + 1) * dh];
        for j in 0..=i {
            axpy(ex.isa(), p[i * t + j], &v[off + j * d..off + j * d + dh], o);
        }
    }
    out
}

type HeadGrads = (Vec<f32>, Vec<f32>, Vec<f32>);

#[allow(clippy::too_many_arguments)]
fn head_backward(
    ex: &Exec,
    dims: &Dims,
    dout: &[f32],
    q: &[f32],
    k: &[f32],
    v: &[f32],
    b: usize,
    h: usize,
) -> HeadGrads {
    let (t, dh, d) = (dims.seq, dims.dh(), dims.d);
    let off = dims.off(b, h);
    let isa = ex.isa();
    let p = probs(ex, dims, q, k, off);
    let mut dp = vec![0.0f32; t * t];
    head_dots(ex, dims, dout, v, off, &mut dp);
    let scale = dims.scale();
    let mut ds = vec![0.0f32; t * t];
    let mut tmp = vec![0.0f32; t];
    for i in 0..t {
        for j in 0..=i {
            tmp[j] = p[i * t + j] * dp[i * t + j];
        }
        let r = super::reduce::csum(isa, &tmp[..=i]);
        for j in 0..=i {
            ds[i * t + j] = (p[i * t + j] * (dp[i * t + j] - r)) * scale;
        }
    }
    let row = |i: usize| off + i * d..off + i * d + dh;
    let mut dq = vec![0.0f32; t * dh];
    let mut dk = vec![0.0f32; t * dh];
    let mut dv = vec![0.0f32; t * dh];
    for i in 0..t {
        let o = &mut dq[i * dh..(i + 1) * dh];
        for j in 0..=i {
            axpy(isa, ds[i * t + j], &k[row(j)], o);
        }
    }
    for j in 0..t {
        let ok = &mut dk[j * dh..(j + 1) * dh];
        for i in j..t {
            axpy(isa, ds[i * t + j], &q[row(i)], ok);
        }
        let ov = &mut dv[j * dh..(j + 1) * dh];
        for i in j..t {
            axpy(isa, p[i * t + j], &dout[row(i)], ov);
        }
    }
    (dq, dk, dv)
}

/// Copies a head's `T × dh` block into its columns of a `[B*T, D]` tensor.
fn scatter(dims: &Dims, b: usize, h: usize, src: &[f32], dst: &mut [f32]) {
    let (t, dh, d) = (dims.seq, dims.dh(), dims.d);
    let off = dims.off(b, h);
    for i in 0..t {
        dst[off + i * d..off + i * d + dh].copy_from_slice(&src[i * dh..(i + 1) * dh]);
    }
}

/// Runs `f(b, h)` for every (sequence, head) pair, in parallel on a threaded fast path, and
/// returns the results in `(b, h)` order.
fn per_head<R: Send>(
    exec: &Exec,
    dims: &Dims,
    f: impl Fn(&Exec, usize, usize) -> R + Sync + Send,
) -> Vec<R> {
    let pairs: Vec<(usize, usize)> = (0..dims.batch)
        .flat_map(|b| (0..dims.heads).map(move |h| (b, h)))
        .collect();
    let serial = exec.serial();
    if exec.parallel() && pairs.len() > 1 {
        exec.install(|| pairs.par_iter().map(|&(b, h)| f(&serial, b, h)).collect())
    } else {
        pairs.iter().map(|&(b, h)| f(&serial, b, h)).collect()
    }
}

/// Attention forward (module docs); returns `[B*T, D]`.
pub(crate) fn forward(exec: &Exec, dims: Dims, q: &[f32], k: &[f32], v: &[f32]) -> Vec<f32> {
    let heads = per_head(exec, &dims, |ex, b, h| {
        head_forward(ex, &dims, q, k, v, b, h)
    });
    let mut out = vec![0.0f32; q.len()];
    for (i, o) in heads.iter().enumerate() {
        scatter(&dims, i / dims.heads, i % dims.heads, o, &mut out);
    }
    out
}

/// Attention backward (module docs); returns `(dq, dk, dv)`, each `[B*T, D]`.
pub(crate) fn backward(
    exec: &Exec,
    dims: Dims,
    dout: &[f32],
    q: &[f32],
    k: &[f32],
    v: &[f32],
) -> HeadGrads {
    let heads = per_head(exec, &dims, |ex, b, h| {
        head_backward(ex, &dims, dout, q, k, v, b, h)
    });
    let mut dq = vec![0.0f32; q.len()];
    let mut dk = vec![0.0f32; q.len()];
    let mut dv = vec![0.0f32; q.len()];
    for (i, (a, b, c)) in heads.iter().enumerate() {
        let (bi, hi) = (i / dims.heads, i % dims.heads);
        scatter(&dims, bi, hi, a, &mut dq);
        scatter(&dims, bi, hi, b, &mut dk);
        scatter(&dims, bi, hi, c, &mut dv);
    }
    (dq, dk, dv)
}
