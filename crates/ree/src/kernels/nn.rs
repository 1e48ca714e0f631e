//! Row-wise neural-network kernels: softmax, log-softmax, cross-entropy, mse, layer norm,
//! embedding, bias grad, sum and mean. Shapes are validated by [`crate::ops::execute`]; these
//! functions assume consistent lengths. The canonical order of each is written on its
//! [`crate::ops::Op`] variant and repeated here; every reduction is the canonical sum/max of
//! [`super::reduce`]. Threads split rows only.

use super::elementwise::PAR_MIN;
use super::reduce::{cmax, colsum, csum};
use super::vexp::exp_sub;
use super::{Exec, Isa};

/// Softmax of one row: `m = cmax(x)`, `e[j] = expf(x[j] - m)`, `s = csum(e)`, `y[j] = e[j] / s`.
pub(crate) fn softmax_row(isa: Isa, x: &[f32], y: &mut [f32]) {
    let m = cmax(isa, x);
    exp_sub(isa, x, m, y);
    let s = csum(isa, y);
    for o in y.iter_mut() {
        *o /= s;
    }
}

/// Softmax over the last dim (rows of `d`).
pub(crate) fn softmax(exec: &Exec, x: &[f32], d: usize) -> Vec<f32> {
    let isa = exec.isa();
    let mut y = vec![0.0; x.len()];
    exec.for_rows(&mut y, d, PAR_MIN / 4, |r0, c| {
        for (yr, xr) in c.chunks_mut(d).zip(x[r0 * d..].chunks(d)) {
            softmax_row(isa, xr, yr);
        }
    });
    y
}

/// Log-softmax over the last dim: `m = cmax(x)`, `s = csum(expf(x[j] - m))`,
/// `y[j] = (x[j] - m) - logf(s)`.
pub(crate) fn log_softmax(exec: &Exec, x: &[f32], d: usize) -> Vec<f32> {
    let isa = exec.isa();
    let mut y = vec![0.0; x.len()];
    exec.for_rows(&mut y, d, PAR_MIN / 4, |r0, c| {
        for (yr, xr) in c.chunks_mut(d).zip(x[r0 * d..].chunks(d)) {
            let m = cmax(isa, xr);
            exp_sub(isa, xr, m, yr);
            let ls = libm::logf(csum(isa, yr));
            for (o, &v) in yr.iter_mut().zip(xr) {
                *o = (v - m) - ls;
            }
        }
    });
    y
}

/// Softmax backward: `t[j] = dy[j] * y[j]`, `s = csum(t)`, `dx[j] = y[j] * (dy[j] - s)`.
pub(crate) fn softmax_backward(exec: &Exec, dy: &[f32], y: &[f32], d: usize) -> Vec<f32> {
    let isa = exec.isa();
    let mut dx = vec![0.0; y.len()];
    exec.for_rows(&mut dx, d, PAR_MIN / 4, |r0, c| {
        let rows = dy[r0 * d..].chunks(d).zip(y[r0 * d..].chunks(d));
        for (o, (g, p)) in c.chunks_mut(d).zip(rows) {
            for ((t, &a), &b) in o.iter_mut().zip(g).zip(p) {
                *t = a * b;
            }
            let s = csum(isa, o);
            for ((t, &a), &b) in o.iter_mut().zip(g).zip(p) {
                *t = b * (a - s);
            }
        }
    });
    dx
}

/// Log-softmax backward: `s = csum(dy)`, `dx[j] = dy[j] - expf(y[j]) * s`.
pub(crate) fn log_softmax_backward(exec: &Exec, dy: &[f32], y: &[f32], d: usize) -> Vec<f32> {
    let isa = exec.isa();
    let mut dx = vec![0.0; y.len()];
    exec.for_rows(&mut dx, d, PAR_MIN / 4, |r0, c| {
        let rows = dy[r0 * d..].chunks(d).zip(y[r0 * d..].chunks(d));
        for (o, (g, l)) in c.chunks_mut(d).zip(rows) {
            let s = csum(isa, g);
            for ((t, &a), &b) in o.iter_mut().zip(g).zip(l) {
                *t = a - libm::expf(b) * s;
            }
        }
    });
    dx
}

/// Cross-entropy forward over logits `[n, c]` and validated class ids: per row
/// `m = cmax(x)`, `s = csum(expf(x[j] - m))`, `l[i] = logf(s) - (x[t] - m)`; the loss is
/// `csum(l) / (n as f32)`.
pub(crate) fn cross_entropy(exec: &Exec, x: &[f32], t: &[usize], c: usize) -> f32 {
    let isa = exec.isa();
    let n = t.len();
    let mut l = vec![0.0; n];
    exec.for_rows(&mut l, 1, (PAR_MIN / 4).div_ceil(c.max(1)), |r0, out| {
        let mut e = vec![0.0; c];
        for (i, o) in out.iter_mut().enumerate() {
            let r = r0 + i;
            let xr = &x[r * c..(r + 1) * c];
            let m = cmax(isa, xr);
            exp_sub(isa, xr, m, &mut e);
            let s = csum(isa, &e);
            *o = libm::logf(s) - (xr[t[r]] - m);
        }
    });
    csum(isa, &l) / (n as f32)
}

/// Cross-entropy backward: `g = dloss / (n as f32)`; `p[j]` is the row's softmax (as in
/// [`softmax`]); `dx[j] = (p[j] - 1.0) * g` at the target class, else `p[j] * g`.
pub(crate) fn cross_entropy_backward(
    exec: &Exec,
    x: &[f32],
    t: &[usize],
    c: usize,
    dloss: f32,
) -> Vec<f32> {
    let isa = exec.isa();
    let g = dloss / (t.len() as f32);
    let mut dx = vec![0.0; x.len()];
    exec.for_rows(&mut dx, c, PAR_MIN / 4, |r0, out| {
        for (i, (o, xr)) in out.chunks_mut(c).zip(x[r0 * c..].chunks(c)).enumerate() {
            softmax_row(isa, xr, o);
            let target = t[r0 + i];
            for (j, v) in o.iter_mut().enumerate() {
                *v = if j == target { (*v - 1.0) * g } else { *v * g };
            }
        }
    });
    dx
}

/// Mean squared error: `d[i] = p[i] - t[i]`, loss `= csum(d[i] * d[i]) / (n as f32)`.
pub(crate) fn mse(exec: &Exec, p: &[f32], t: &[f32]) -> f32 {
    let sq: Vec<f32> = p
        .iter()
        .zip(t)
        .map(|(&a, &b)| {
            let d = a - b;
            d * d
        })
        .collect();
    csum(exec.isa(), &sq) / (p.len() as f32)
}

/// Layer norm forward over rows of `d`: `mean = csum(x) / d`, `var = csum((x - mean)^2) / d`
/// (each square a plain multiply), `rstd = 1.0 / sqrtf(var + eps)`,
/// `y[j] = ((x[j] - mean) * rstd) * gamma[j] + beta[j]` (multiply then add, no FMA).
/// Returns `(y, mean, rstd)`.
pub(crate) fn layer_norm(
    exec: &Exec,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let isa = exec.isa();
    let d = gamma.len();
    let rows = x.len() / d;
    // Row statistics packed as [mean, rstd] pairs so one parallel pass writes both.
    let mut stats = vec![0.0f32; rows * 2];
    let mut y = vec![0.0; x.len()];
    let df = d as f32;
    exec.for_rows(&mut stats, 2, (PAR_MIN / 4).div_ceil(d) * 2, |r0, st| {
        let mut t = vec![0.0; d];
        for (i, s) in st.chunks_mut(2).enumerate() {
            let xr = &x[(r0 + i) * d..(r0 + i + 1) * d];
            let mean = csum(isa, xr) / df;
            for (tj, &v) in t.iter_mut().zip(xr) {
                let c = v - mean;
                *tj = c * c;
            }
            let var = csum(isa, &t) / df;
            s[0] = mean;
            s[1] = 1.0 / libm::sqrtf(var + eps);
        }
    });
    exec.for_rows(&mut y, d, PAR_MIN, |r0, c| {
        for (i, (yr, xr)) in c.chunks_mut(d).zip(x[r0 * d..].chunks(d)).enumerate() {
            let (mean, rstd) = (stats[2 * (r0 + i)], stats[2 * (r0 + i) + 1]);
            for (((o, &v), &g), &b) in yr.iter_mut().zip(xr).zip(gamma).zip(beta) {
                *o = ((v - mean) * rstd) * g + b;
            }
        }
    });
    let mean = stats.iter().step_by(2).copied().collect();
    let rstd = stats.iter().skip(1).step_by(2).copied().collect();
    (y, mean, rstd)
}

/// Layer norm backward. Per row: `xhat[j] = (x[j] - mean) * rstd`, `g[j] = dy[j] * gamma[j]`,
/// `a = csum(g) / d`, `b = csum(g[j] * xhat[j]) / d`,
/// `dx[j] = ((g[j] - a) - xhat[j] * b) * rstd`.
/// Then `dgamma = colsum(dy * xhat)` and `dbeta = colsum(dy)` (canonical column sums over rows).
/// Returns `(dx, dgamma, dbeta)`.
pub(crate) fn layer_norm_backward(
    exec: &Exec,
    dy: &[f32],
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    rstd: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let isa = exec.isa();
    let d = gamma.len();
    let rows = x.len() / d;
    let df = d as f32;
    let mut dx = vec![0.0; x.len()];
    // dy * xhat, kept for dgamma.
    let mut dyx = vec![0.0; x.len()];
    exec.for_rows(&mut dx, d, PAR_MIN / 4, |r0, c| {
        let mut xh = vec![0.0; d];
        let mut gg = vec![0.0; d];
        let mut t = vec![0.0; d];
        for (i, o) in c.chunks_mut(d).enumerate() {
            let r = r0 + i;
            let xr = &x[r * d..(r + 1) * d];
            let dyr = &dy[r * d..(r + 1) * d];
            for j in 0..d {
                xh[j] = (xr[j] - mean[r]) * rstd[r];
                gg[j] = dyr[j] * gamma[j];
                t[j] = gg[j] * xh[j];
            }
            let a = csum(isa, &gg) / df;
            let b = csum(isa, &t) / df;
            for j in 0..d {
                o[j] = ((gg[j] - a) - xh[j] * b) * rstd[r];
            }
        }
    });
    exec.for_rows(&mut dyx, d, PAR_MIN, |r0, c| {
        for (i, o) in c.chunks_mut(d).enumerate() {
            let r = r0 + i;
            for j in 0..d {
                o[j] = dy[r * d + j] * ((x[r * d + j] - mean[r]) * rstd[r]);
            }
        }
    });
    let mut dgamma = vec![0.0; d];
    let mut dbeta = vec![0.0; d];
    colsum(isa, &dyx, rows, d, &mut dgamma);
    colsum(isa, dy, rows, d, &mut dbeta);
    (dx, dgamma, dbeta)
}

/// Embedding lookup: `out[n, :] = table[ids[n], :]` (a copy; no arithmetic).
pub(crate) fn embedding(exec: &Exec, table: &[f32], ids: &[usize], d: usize) -> Vec<f32> {
    let mut out = vec![0.0; ids.len() * d];
    exec.for_rows(&mut out, d, PAR_MIN, |r0, c| {
        for (i, o) in c.chunks_mut(d).enumerate() {
            let id = ids[r0 + i];
            o.copy_from_slice(&table[id * d..(id + 1) * d]);
        }
    });
    out
}

/// Embedding backward: `dtable = 0`, then for `n = 0..N` in ascending order
/// `dtable[ids[n], j] = dtable[ids[n], j] + dout[n, j]`. Threads split table rows; each row
/// still takes its contributions in ascending `n`.
pub(crate) fn embedding_backward(
    exec: &Exec,
    dout: &[f32],
    ids: &[usize],
    vocab: usize,
    d: usize,
) -> Vec<f32> {
    let mut dt = vec![0.0; vocab * d];
    exec.for_rows(&mut dt, d, PAR_MIN, |r0, c| {
        let rows = c.len() / d;
        for (n, &id) in ids.iter().enumerate() {
            if id >= r0 && id < r0 + rows {
                let o = &mut c[(id - r0) * d..(id - r0 + 1) * d];
                for (a, &g) in o.iter_mut().zip(&dout[n * d..(n + 1) * d]) {
                    *a += g;
                }
            }
        }
    });
    dt
}

/// Bias grad: column sums of `dy[rows, d]` in the canonical column-sum order.
pub(crate) fn bias_grad(exec: &Exec, dy: &[f32], d: usize) -> Vec<f32> {
    let mut out = vec![0.0; d];
    if let Some(rows) = dy.len().checked_div(d) {
        colsum(exec.isa(), dy, rows, d, &mut out);
    }
    out
}

/// Canonical sum of all elements.
pub(crate) fn sum(exec: &Exec, x: &[f32]) -> f32 {
    csum(exec.isa(), x)
}
