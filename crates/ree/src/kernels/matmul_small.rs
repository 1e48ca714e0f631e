//! Small matrix multiplies without packing, and the FMA `axpy` the attention kernels share.
//!
//! Same canonical order as [`super::matmul`]: every element of `C` is one FMA chain over `k`
//! ascending from `+0.0`; here the chains of up to 64 adjacent columns are held in registers.

use super::Isa;
use super::matmul::MatRef;

/// Small matmuls without packing: each element of `C` is its canonical chain,
/// `acc = +0.0; for p in 0..k { acc = fma(A[i,p], B[p,j], acc) }`, computed for blocks of
/// 64/32/16/8 columns held in registers (vectorised across `j`), then the last few columns.
/// A transposed or strided `B` is first copied to row-major.
pub(crate) fn small(isa: Isa, m: usize, n: usize, k: usize, a: MatRef, b: MatRef, c: &mut [f32]) {
    let owned;
    let brows: &[f32] = if b.cs == 1 && b.rs == n {
        &b.data[..k * n]
    } else {
        let mut t = vec![0.0f32; k * n];
        for (p, row) in t.chunks_exact_mut(n).enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = b.data[p * b.rs + j * b.cs];
            }
        }
        owned = t;
        &owned
    };
    #[cfg(target_arch = "x86_64")]
    if matches!(isa, Isa::Avx2 | Isa::Avx512) {
        // SAFETY: an Exec only resolves to Avx2/Avx512 after detecting AVX2+FMA.
        return unsafe { small_fma(m, n, k, a, brows, c) };
    }
    let _ = isa;
    small_loop(m, n, k, a, brows, c)
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn small_fma(m: usize, n: usize, k: usize, a: MatRef, brows: &[f32], c: &mut [f32]) {
    small_loop(m, n, k, a, brows, c)
}

#[inline(always)]
fn small_loop(m: usize, n: usize, k: usize, a: MatRef, brows: &[f32], c: &mut [f32]) {
    for (i, row) in c.chunks_exact_mut(n).enumerate().take(m) {
        let mut j0 = 0;
        while n - j0 >= 64 {
            small_block::<64>(i, j0, n, k, a, brows, row);
            j0 += 64;
        }
        for w in [32, 16, 8] {
            if n - j0 >= w {
                match w {
                    32 => small_block::<32>(i, j0, n, k, a, brows, row),
                    16 => small_block::<16>(i, j0, n, k, a, brows, row),
                    _ => small_block::<8>(i, j0, n, k, a, brows, row),
                }
                j0 += w;
            }
        }
        let tail = &mut row[j0..];
        tail.fill(0.0);
        for p in 0..k {
            let aip = a.at(i, p);
            for (x, &bj) in tail.iter_mut().zip(&brows[p * n + j0..(p + 1) * n]) {
                *x = aip.mul_add(bj, *x);
            }
        }
    }
}

/// Columns `j0..j0+W` of row `i`: `W` FMA chains over `p` held in registers.
#[inline(always)]
fn small_block<const W: usize>(
    i: usize,
    j0: usize,
    n: usize,
    k: usize,
    a: MatRef,
    brows: &[f32],
    row: &mut [f32],
) {
    let mut acc = [0.0f32; W];
    for p in 0..k {
        let aip = a.at(i, p);
        let br: &[f32; W] = brows[p * n + j0..p * n + j0 + W]
            .try_into()
            .expect("slice of exactly W elements");
        for (x, &bj) in acc.iter_mut().zip(br) {
            *x = aip.mul_add(bj, *x);
        }
    }
    row[j0..j0 + W].copy_from_slice(&acc);
}

/// `y[c] = fma(a, x[c], y[c])` for every `c` (AVX2+FMA when `isa` allows; same bits).
#[inline]
pub(crate) fn axpy(isa: Isa, a: f32, x: &[f32], y: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if matches!(isa, Isa::Avx2 | Isa::Avx512) {
        // SAFETY: an Exec only resolves to Avx2/Avx512 after detecting AVX2+FMA.
        return unsafe { axpy_fma(a, x, y) };
    }
    let _ = isa;
    for (yc, &xc) in y.iter_mut().zip(x) {
        *yc = a.mul_add(xc, *yc);
    }
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn axpy_fma(a: f32, x: &[f32], y: &mut [f32]) {
    use std::arch::x86_64::*;
    let n = x.len().min(y.len());
    let full = n / 8 * 8;
    let av = _mm256_set1_ps(a);
    let mut c = 0;
    while c < full {
        // SAFETY: c + 8 <= full <= the length of both slices.
        unsafe {
            let xv = _mm256_loadu_ps(x.as_ptr().add(c));
            let yv = _mm256_loadu_ps(y.as_ptr().add(c));
            _mm256_storeu_ps(y.as_mut_ptr().add(c), _mm256_fmadd_ps(av, xv, yv));
        }
        c += 8;
    }
    for i in full..n {
        y[i] = a.mul_add(x[i], y[i]);
    }
}
