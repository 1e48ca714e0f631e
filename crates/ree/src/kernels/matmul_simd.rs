//! Register-tiled matmul microkernels for AVX2+FMA and AVX-512F.
//!
//! Each computes one `MR × NR` tile of `C` from a packed `A` micro-panel (`kc × MR`, k-major) and
//! a packed `B` micro-panel (`kc × NR`, k-major). Every accumulator lane is one output element's
//! FMA chain over `k` in ascending order, exactly the canonical matmul order: the chain starts at
//! `+0.0` (`load == false`) or continues from the value already in `C` (`load == true`, used for
//! the second and later `k` blocks, which carries the same chain on), and each step is
//! `acc = fma(a[i,k], b[k,j], acc)` (`vfmadd`, one rounding).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Rows of the AVX-512 tile.
pub(crate) const AVX512_MR: usize = 6;
/// Columns of the AVX-512 tile (four zmm registers).
pub(crate) const AVX512_NR: usize = 64;
/// Rows of the AVX2 tile.
pub(crate) const AVX2_MR: usize = 6;
/// Columns of the AVX2 tile (two ymm registers).
pub(crate) const AVX2_NR: usize = 16;

/// AVX-512 `6 × 64` microkernel (24 zmm accumulators; per `k`, four loads of `B` and six
/// broadcasts of `A`).
///
/// # Safety
/// The CPU must support AVX-512F. `a` must be valid for `kc * 6` reads, `b` for `kc * 64`
/// reads, and `c` for reads and writes of rows `0..6`, columns `0..64` with row stride `ldc`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn ukernel_avx512(
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    load: bool,
) {
    const MR: usize = AVX512_MR;
    const NR: usize = AVX512_NR;
    let mut acc = [[_mm512_setzero_ps(); 4]; MR];
    if load {
        for (r, row) in acc.iter_mut().enumerate() {
            for (q, v) in row.iter_mut().enumerate() {
                // SAFETY: the caller guarantees c is valid for 6 rows × 64 columns at stride ldc.
                *v = unsafe { _mm512_loadu_ps(c.add(r * ldc + 16 * q)) };
            }
        }
    }
    for p in 0..kc {
        // SAFETY: p < kc, so b + p*64 .. +64 and a + p*6 .. +6 are within the packed panels.
        unsafe {
            let bp = b.add(p * NR);
            let bv = [
                _mm512_loadu_ps(bp),
                _mm512_loadu_ps(bp.add(16)),
                _mm512_loadu_ps(bp.add(32)),
                _mm512_loadu_ps(bp.add(48)),
            ];
            let ap = a.add(p * MR);
            for (r, row) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*ap.add(r));
                for (v, &bq) in row.iter_mut().zip(&bv) {
                    *v = _mm512_fmadd_ps(av, bq, *v);
                }
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        for (q, v) in row.iter().enumerate() {
            // SAFETY: as for the loads above.
            unsafe { _mm512_storeu_ps(c.add(r * ldc + 16 * q), *v) };
        }
    }
}

/// AVX2 `6 × 16` microkernel.
///
/// # Safety
/// The CPU must support AVX2 and FMA. `a` must be valid for `kc * 6` reads, `b` for `kc * 16`
/// reads, and `c` for reads and writes of rows `0..6`, columns `0..16` with row stride `ldc`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn ukernel_avx2(
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    load: bool,
) {
    const MR: usize = AVX2_MR;
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    if load {
        for (r, row) in acc.iter_mut().enumerate() {
            // SAFETY: the caller guarantees c is valid for 6 rows × 16 columns at stride ldc.
            unsafe {
                row[0] = _mm256_loadu_ps(c.add(r * ldc));
                row[1] = _mm256_loadu_ps(c.add(r * ldc + 8));
            }
        }
    }
    for p in 0..kc {
        // SAFETY: p < kc, so b + p*16 .. +16 and a + p*6 .. +6 are within the packed panels.
        unsafe {
            let b0 = _mm256_loadu_ps(b.add(p * 16));
            let b1 = _mm256_loadu_ps(b.add(p * 16 + 8));
            let ap = a.add(p * MR);
            for (r, row) in acc.iter_mut().enumerate() {
                let av = _mm256_set1_ps(*ap.add(r));
                row[0] = _mm256_fmadd_ps(av, b0, row[0]);
                row[1] = _mm256_fmadd_ps(av, b1, row[1]);
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        // SAFETY: as for the loads above.
        unsafe {
            _mm256_storeu_ps(c.add(r * ldc), row[0]);
            _mm256_storeu_ps(c.add(r * ldc + 8), row[1]);
        }
    }
}
