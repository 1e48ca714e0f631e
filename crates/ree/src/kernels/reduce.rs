//! The canonical reductions every op uses: sum, max and column sums.
//!
//! **Canonical sum** `csum(x[0..n])` (the one order every reduction in this crate follows):
//! 1. eight lane accumulators `l[0..8]`, each starting at `+0.0`;
//! 2. for each full block `c` of eight (`c = 0..n/8`), `l[i] = l[i] + x[8c + i]`;
//! 3. `s = ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))`;
//! 4. for the tail `i = 8*(n/8)..n` in order, `s = s + x[i]`.
//!
//! Plain IEEE additions, no FMA. An AVX register of eight lanes follows this exactly.
//!
//! **Canonical max** `cmax(x)`: the same shape with `max2(a, b) = if a > b { a } else { b }`
//! in place of `+` and `-inf` as the start (this is exactly `_mm256_max_ps(a, b)`).
//!
//! **Column sums** of a row-major `[rows, cols]` matrix: column `j` is `csum` of
//! `x[0][j], x[1][j], …` (the lanes run over the row index).

use super::Isa;

/// `max2(a, b) = if a > b { a } else { b }` (the semantics of `maxps` with `a` first).
#[inline(always)]
pub fn max2(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

#[inline(always)]
fn combine(l: &[f32; 8], f: impl Fn(f32, f32) -> f32) -> f32 {
    f(
        f(f(l[0], l[1]), f(l[2], l[3])),
        f(f(l[4], l[5]), f(l[6], l[7])),
    )
}

/// Canonical sum, scalar reference (see module docs).
pub fn csum_ref(x: &[f32]) -> f32 {
    let mut l = [0.0f32; 8];
    let full = x.len() / 8 * 8;
    for c in x[..full].chunks_exact(8) {
        for i in 0..8 {
            l[i] += c[i];
        }
    }
    let mut s = combine(&l, |a, b| a + b);
    for &v in &x[full..] {
        s += v;
    }
    s
}

/// Canonical max, scalar reference (see module docs). `-inf` for an empty slice.
pub fn cmax_ref(x: &[f32]) -> f32 {
    let mut l = [f32::NEG_INFINITY; 8];
    let full = x.len() / 8 * 8;
    for c in x[..full].chunks_exact(8) {
        for i in 0..8 {
            l[i] = max2(l[i], c[i]);
        }
    }
    let mut s = combine(&l, max2);
    for &v in &x[full..] {
        s = max2(s, v);
    }
    s
}

/// Canonical sum with the implementation `isa` selects (same bits as [`csum_ref`]).
#[inline]
pub(crate) fn csum(isa: Isa, x: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if matches!(isa, Isa::Avx2 | Isa::Avx512) {
        // SAFETY: an Exec only resolves to Avx2/Avx512 after detecting AVX2 on this CPU.
        return unsafe { x86::csum_avx2(x) };
    }
    let _ = isa;
    csum_ref(x)
}

/// Canonical max with the implementation `isa` selects (same bits as [`cmax_ref`]).
#[inline]
pub(crate) fn cmax(isa: Isa, x: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if matches!(isa, Isa::Avx2 | Isa::Avx512) {
        // SAFETY: an Exec only resolves to Avx2/Avx512 after detecting AVX2 on this CPU.
        return unsafe { x86::cmax_avx2(x) };
    }
    let _ = isa;
    cmax_ref(x)
}

/// Column sums of row-major `x` (`rows × cols`) into `out[0..cols]`, scalar reference.
pub fn colsum_ref(x: &[f32], rows: usize, cols: usize, out: &mut [f32]) {
    let full = rows / 8 * 8;
    for (j, o) in out.iter_mut().enumerate().take(cols) {
        let mut l = [0.0f32; 8];
        for c in (0..full).step_by(8) {
            for i in 0..8 {
                l[i] += x[(c + i) * cols + j];
            }
        }
        let mut s = combine(&l, |a, b| a + b);
        for r in full..rows {
            s += x[r * cols + j];
        }
        *o = s;
    }
}

/// Column sums with the implementation `isa` selects: the fast path keeps eight lane
/// accumulators per column and vectorises across columns (same bits as [`colsum_ref`]).
pub(crate) fn colsum(isa: Isa, x: &[f32], rows: usize, cols: usize, out: &mut [f32]) {
    if isa == Isa::Scalar {
        return colsum_ref(x, rows, cols, out);
    }
    // Blocked over columns so the 8 lane accumulators of a block stay in cache; the compiler
    // vectorises the inner loop across columns (plain adds, order per column unchanged).
    const CB: usize = 64;
    let full = rows / 8 * 8;
    let mut j0 = 0;
    while j0 < cols {
        let w = CB.min(cols - j0);
        let mut l = [[0.0f32; CB]; 8];
        for c in (0..full).step_by(8) {
            for (i, li) in l.iter_mut().enumerate() {
                let row = &x[(c + i) * cols + j0..(c + i) * cols + j0 + w];
                for (a, &v) in li[..w].iter_mut().zip(row) {
                    *a += v;
                }
            }
        }
        for j in 0..w {
            let lanes = [
                l[0][j], l[1][j], l[2][j], l[3][j], l[4][j], l[5][j], l[6][j], l[7][j],
            ];
            let mut s = combine(&lanes, |a, b| a + b);
            for r in full..rows {
                s += x[r * cols + j0 + j];
            }
            out[j0 + j] = s;
        }
        j0 += w;
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// Horizontal combine in the canonical tree: ((0+1)+(2+3))+((4+5)+(6+7)).
    #[target_feature(enable = "avx2")]
    fn tree(v: __m256, add: bool) -> f32 {
        let mut l = [0.0f32; 8];
        // SAFETY: `l` has room for 8 f32; storeu has no alignment requirement.
        unsafe { _mm256_storeu_ps(l.as_mut_ptr(), v) };
        let f = |a: f32, b: f32| if add { a + b } else { super::max2(a, b) };
        f(
            f(f(l[0], l[1]), f(l[2], l[3])),
            f(f(l[4], l[5]), f(l[6], l[7])),
        )
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn csum_avx2(x: &[f32]) -> f32 {
        let full = x.len() / 8 * 8;
        let mut acc = _mm256_setzero_ps();
        let mut i = 0;
        while i < full {
            // SAFETY: i + 8 <= full <= x.len().
            let v = unsafe { _mm256_loadu_ps(x.as_ptr().add(i)) };
            acc = _mm256_add_ps(acc, v);
            i += 8;
        }
        let mut s = tree(acc, true);
        for &v in &x[full..] {
            s += v;
        }
        s
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn cmax_avx2(x: &[f32]) -> f32 {
        let full = x.len() / 8 * 8;
        let mut acc = _mm256_set1_ps(f32::NEG_INFINITY);
        let mut i = 0;
        while i < full {
            // SAFETY: i + 8 <= full <= x.len().
            let v = unsafe { _mm256_loadu_ps(x.as_ptr().add(i)) };
            // maxps(acc, v) = acc > v ? acc : v, which is max2(acc, v).
            acc = _mm256_max_ps(acc, v);
            i += 8;
        }
        let mut s = tree(acc, false);
        for &v in &x[full..] {
            s = super::max2(s, v);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn csum_order_is_the_documented_tree() {
        let x: Vec<f32> = (0..19).map(|i| 1.0 + i as f32 * 1e-3).collect();
        let mut l = [0.0f32; 8];
        for c in 0..2 {
            for i in 0..8 {
                l[i] += x[8 * c + i];
            }
        }
        let mut s = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
        for v in &x[16..] {
            s += v;
        }
        assert_eq!(csum_ref(&x).to_bits(), s.to_bits());
        assert_eq!(csum_ref(&[]), 0.0);
        assert_eq!(cmax_ref(&[]), f32::NEG_INFINITY);
    }

    fn isas() -> Vec<Isa> {
        let mut v = vec![Isa::Scalar, Isa::Portable];
        if super::super::has_avx2() {
            v.push(Isa::Avx2);
        }
        if super::super::has_avx512() {
            v.push(Isa::Avx512);
        }
        v
    }

    proptest! {
        #[test]
        fn fast_reductions_match_reference(
            x in prop::collection::vec(-1e3f32..1e3, 0..1100),
            cols in 1usize..70,
        ) {
            for isa in isas() {
                prop_assert_eq!(csum(isa, &x).to_bits(), csum_ref(&x).to_bits());
                prop_assert_eq!(cmax(isa, &x).to_bits(), cmax_ref(&x).to_bits());
                let rows = x.len() / cols;
                let m = &x[..rows * cols];
                let mut a = vec![0.0; cols];
                let mut b = vec![0.0; cols];
                colsum_ref(m, rows, cols, &mut a);
                colsum(isa, m, rows, cols, &mut b);
                prop_assert_eq!(
                    a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                );
            }
        }
    }
}
