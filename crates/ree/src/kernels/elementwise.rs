//! Elementwise kernels: each output element is a fixed scalar expression of the inputs at the
//! same index (or a broadcast index), so any split across threads or SIMD lanes gives the same
//! bits. The expressions (and their order of operations) are written on each function; the fast
//! path only splits the index range across threads, and the compiler may vectorise the plain
//! IEEE operations (never contracting them into FMA; Rust does not do that).

use super::Exec;

/// Below this many elements the fast path stays on one thread.
pub(crate) const PAR_MIN: usize = 1 << 15;

/// `out[i] = f(x[i])`.
pub(crate) fn map1(exec: &Exec, x: &[f32], f: impl Fn(f32) -> f32 + Sync + Send) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    exec.for_rows(&mut out, 1, PAR_MIN, |i0, c| {
        for (o, &v) in c.iter_mut().zip(&x[i0..]) {
            *o = f(v);
        }
    });
    out
}

/// `out[i] = f(x[i], y[i])`.
pub(crate) fn map2(
    exec: &Exec,
    x: &[f32],
    y: &[f32],
    f: impl Fn(f32, f32) -> f32 + Sync + Send,
) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    exec.for_rows(&mut out, 1, PAR_MIN, |i0, c| {
        for ((o, &a), &b) in c.iter_mut().zip(&x[i0..]).zip(&y[i0..]) {
            *o = f(a, b);
        }
    });
    out
}

/// `out[r, j] = f(x[r, j], row[j])` for a row-major `x` with rows of `row.len()` elements.
pub(crate) fn map_rows(
    exec: &Exec,
    x: &[f32],
    row: &[f32],
    f: impl Fn(f32, f32) -> f32 + Sync + Send,
) -> Vec<f32> {
    let d = row.len();
    let mut out = vec![0.0f32; x.len()];
    exec.for_rows(&mut out, d, PAR_MIN, |r0, c| {
        for (o_row, x_row) in c.chunks_mut(d).zip(x[r0 * d..].chunks(d)) {
            for ((o, &a), &b) in o_row.iter_mut().zip(x_row).zip(row) {
                *o = f(a, b);
            }
        }
    });
    out
}

/// `1/sqrt(2)` as the f32 nearest to it.
pub const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// `1/sqrt(2π)` as the f32 nearest to it.
pub const INV_SQRT_2PI: f32 = 0.398_942_3;

/// Exact (erf) GELU: `y = (0.5 * x) * (1.0 + erff(x * FRAC_1_SQRT_2))`, `erff` from `libm`.
#[inline]
pub fn gelu(x: f32) -> f32 {
    (0.5 * x) * (1.0 + libm::erff(x * FRAC_1_SQRT_2))
}

/// Derivative of [`gelu`]:
/// `cdf = 0.5 * (1.0 + erff(x * FRAC_1_SQRT_2))`,
/// `pdf = expf(-0.5 * (x * x)) * INV_SQRT_2PI`, `gelu'(x) = cdf + x * pdf`
/// (`libm` erff/expf; plain multiply and add, no FMA).
#[inline]
pub fn gelu_grad(x: f32) -> f32 {
    let cdf = 0.5 * (1.0 + libm::erff(x * FRAC_1_SQRT_2));
    let pdf = libm::expf(-0.5 * (x * x)) * INV_SQRT_2PI;
    cdf + x * pdf
}

/// ReLU: `if x > 0.0 { x } else { 0.0 }` (so `-0.0` and NaN map to `+0.0`).
#[inline]
pub fn relu(x: f32) -> f32 {
    if x > 0.0 { x } else { 0.0 }
}

/// ReLU backward: `if x > 0.0 { dy } else { 0.0 }`.
#[inline]
pub fn relu_grad(dy: f32, x: f32) -> f32 {
    if x > 0.0 { dy } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gelu_values() {
        assert_eq!(gelu(0.0), 0.0);
        assert!((gelu(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!((gelu(-1.0) + 0.158_655_3).abs() < 1e-6);
        assert!((gelu_grad(0.0) - 0.5).abs() < 1e-7);
        assert_eq!(relu(-0.0).to_bits(), 0.0f32.to_bits());
        assert_eq!(relu_grad(3.0, 0.0), 0.0);
    }
}
