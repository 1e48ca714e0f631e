//! Optimizer updates: SGD with momentum and AdamW. Each element's update is a fixed scalar
//! expression (written below; plain IEEE operations, no FMA), so threads may split the index
//! range freely and the compiler may vectorise it. `sqrt` is IEEE-754 correctly rounded
//! (`f32::sqrt`, the same bits as `libm::sqrtf` on every platform), so it may vectorise too.

use rayon::prelude::*;

use super::Exec;
use super::elementwise::PAR_MIN;

/// SGD with momentum, per element:
/// `g' = g + wd * p`, `vel' = momentum * vel + g'`, `p' = p - lr * vel'`.
/// Returns `(p', vel')`.
pub(crate) fn sgd(
    exec: &Exec,
    p: &[f32],
    g: &[f32],
    vel: &[f32],
    lr: f32,
    momentum: f32,
    wd: f32,
) -> (Vec<f32>, Vec<f32>) {
    let n = p.len();
    let mut po = vec![0.0f32; n];
    let mut vo = vec![0.0f32; n];
    let f = |i0: usize, pc: &mut [f32], vc: &mut [f32]| {
        for i in 0..pc.len() {
            let k = i0 + i;
            let gg = g[k] + wd * p[k];
            let v = momentum * vel[k] + gg;
            vc[i] = v;
            pc[i] = p[k] - lr * v;
        }
    };
    split2(exec, &mut po, &mut vo, f);
    (po, vo)
}

/// The AdamW hyper-parameters of one update.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AdamW {
    pub step: u32,
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
}

/// AdamW, with `t = step` (≥ 1):
/// `bc1 = 1 - powf(beta1, t as f32)`, `bc2 = 1 - powf(beta2, t as f32)` (`libm::powf`, computed
/// once per update); per element
/// `m' = beta1 * m + (1 - beta1) * g`, `v' = beta2 * v + (1 - beta2) * (g * g)`,
/// `p' = p - lr * ((m' / bc1) / (sqrt(v' / bc2) + eps) + wd * p)`.
/// `(1 - beta1)` and `(1 - beta2)` are computed once in f32. Returns `(p', m', v')`.
pub(crate) fn adamw(
    exec: &Exec,
    p: &[f32],
    g: &[f32],
    m: &[f32],
    v: &[f32],
    h: AdamW,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let t = h.step as f32;
    let bc1 = 1.0 - libm::powf(h.beta1, t);
    let bc2 = 1.0 - libm::powf(h.beta2, t);
    let omb1 = 1.0 - h.beta1;
    let omb2 = 1.0 - h.beta2;
    let n = p.len();
    let mut po = vec![0.0f32; n];
    let mut mo = vec![0.0f32; n];
    let mut vo = vec![0.0f32; n];
    let f = |i0: usize, pc: &mut [f32], mc: &mut [f32], vc: &mut [f32]| {
        for i in 0..pc.len() {
            let k = i0 + i;
            let gk = g[k];
            let m1 = h.beta1 * m[k] + omb1 * gk;
            let v1 = h.beta2 * v[k] + omb2 * (gk * gk);
            mc[i] = m1;
            vc[i] = v1;
            let upd = (m1 / bc1) / ((v1 / bc2).sqrt() + h.eps) + h.weight_decay * p[k];
            pc[i] = p[k] - h.lr * upd;
        }
    };
    let chunk = chunk_len(exec, n);
    if chunk < n {
        exec.install(|| {
            po.par_chunks_mut(chunk)
                .zip(mo.par_chunks_mut(chunk))
                .zip(vo.par_chunks_mut(chunk))
                .enumerate()
                .for_each(|(ci, ((pc, mc), vc))| f(ci * chunk, pc, mc, vc));
        });
    } else {
        f(0, &mut po, &mut mo, &mut vo);
    }
    (po, mo, vo)
}

/// Chunk length for splitting `n` elements across this context's threads (`n` when serial).
fn chunk_len(exec: &Exec, n: usize) -> usize {
    if exec.parallel() && n >= PAR_MIN {
        n.div_ceil(exec.threads() * 4)
    } else {
        n.max(1)
    }
}

fn split2(
    exec: &Exec,
    a: &mut [f32],
    b: &mut [f32],
    f: impl Fn(usize, &mut [f32], &mut [f32]) + Sync + Send,
) {
    let n = a.len();
    let chunk = chunk_len(exec, n);
    if chunk < n {
        exec.install(|| {
            a.par_chunks_mut(chunk)
                .zip(b.par_chunks_mut(chunk))
                .enumerate()
                .for_each(|(ci, (x, y))| f(ci * chunk, x, y));
        });
    } else {
        f(0, a, b);
    }
}
