//! `libm::expf`, eight lanes at a time, with exactly libm's bits.
//!
//! This is a lane-wise transcription of libm 0.2.16's `expf` (FreeBSD `e_expf.c`): the same
//! f32 operations in the same order, no FMA, so every lane rounds exactly as the scalar code.
//! Lanes the transcription does not cover (|x| ≥ 87.33, NaN, ±inf) are recomputed with the
//! scalar `libm::expf`. A test compares it against `libm::expf` over a sweep of all f32 bit
//! patterns. Any change of the pinned libm version must re-run that test.

use super::Isa;

/// `out[j] = libm::expf(x[j] - m)` (the subtraction is a plain f32 subtraction).
pub(crate) fn exp_sub(isa: Isa, x: &[f32], m: f32, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if matches!(isa, Isa::Avx2 | Isa::Avx512) {
        // SAFETY: an Exec only resolves to Avx2/Avx512 after detecting AVX2+FMA.
        return unsafe { x86::exp_sub_avx2(x, m, out) };
    }
    let _ = isa;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = libm::expf(v - m);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    // libm's constants, by their bit patterns (its source gives the same hex in comments).
    const LN2_HI: f32 = f32::from_bits(0x3f31_7200);
    const LN2_LO: f32 = f32::from_bits(0x35bf_be8e);
    const INV_LN2: f32 = f32::from_bits(0x3fb8_aa3b);
    const P1: f32 = f32::from_bits(0x3e2a_aa8f);
    const P2: f32 = f32::from_bits(0xbb35_5215);

    /// Eight lanes of `expf`; lanes outside the covered range are patched by the caller.
    /// Returns the results and a bitmask of lanes that need the scalar function.
    #[target_feature(enable = "avx2")]
    fn expf8(x: __m256) -> (__m256, i32) {
        let bits = _mm256_castps_si256(x);
        let hx = _mm256_and_si256(bits, _mm256_set1_epi32(0x7fff_ffff));
        let neg = _mm256_cmpgt_epi32(_mm256_setzero_si256(), bits); // sign bit set
        // Lanes the scalar code handles specially: |x| >= 87.33 (incl. NaN/inf).
        let special = _mm256_cmpgt_epi32(hx, _mm256_set1_epi32(0x42ae_ac4f));
        // |x| <= 2^-14: result is 1 + x.
        let tiny = _mm256_cmpgt_epi32(_mm256_set1_epi32(0x3900_0001), hx);
        // k: |x| > 1.5 ln2 -> trunc(INV_LN2 * x + (±0.5)); 0.5 ln2 < |x| <= 1.5 ln2 -> 1 - 2*sign;
        // else 0.
        let big = _mm256_cmpgt_epi32(hx, _mm256_set1_epi32(0x3f85_1592));
        let mid = _mm256_cmpgt_epi32(hx, _mm256_set1_epi32(0x3eb1_7218));
        let half = _mm256_blendv_ps(
            _mm256_set1_ps(0.5),
            _mm256_set1_ps(-0.5),
            _mm256_castsi256_ps(neg),
        );
        let kbig = _mm256_cvttps_epi32(_mm256_add_ps(
            _mm256_mul_ps(_mm256_set1_ps(INV_LN2), x),
            half,
        ));
        // 1 - sign - sign: +1 for positive, -1 for negative.
        let kmid = _mm256_or_si256(neg, _mm256_set1_epi32(1));
        let k = _mm256_blendv_epi8(_mm256_and_si256(mid, kmid), kbig, big);
        let kf = _mm256_cvtepi32_ps(k);
        // hi = x - kf*LN2_HI; lo = kf*LN2_LO; x = hi - lo (with k = 0 these give x, +0, x).
        let hi = _mm256_sub_ps(x, _mm256_mul_ps(kf, _mm256_set1_ps(LN2_HI)));
        let lo = _mm256_mul_ps(kf, _mm256_set1_ps(LN2_LO));
        let xr = _mm256_sub_ps(hi, lo);
        let xx = _mm256_mul_ps(xr, xr);
        // c = x - xx * (P1 + xx * P2)
        let poly = _mm256_add_ps(_mm256_set1_ps(P1), _mm256_mul_ps(xx, _mm256_set1_ps(P2)));
        let c = _mm256_sub_ps(xr, _mm256_mul_ps(xx, poly));
        // y = 1 + ((x * c / (2 - c) - lo) + hi)
        let q = _mm256_div_ps(_mm256_mul_ps(xr, c), _mm256_sub_ps(_mm256_set1_ps(2.0), c));
        let y = _mm256_add_ps(_mm256_set1_ps(1.0), _mm256_add_ps(_mm256_sub_ps(q, lo), hi));
        // scalbnf(y, k) with -126 <= k <= 127 is one multiply by 2^k.
        let pow2 = _mm256_castsi256_ps(_mm256_slli_epi32(
            _mm256_add_epi32(k, _mm256_set1_epi32(0x7f)),
            23,
        ));
        let r = _mm256_mul_ps(y, pow2);
        let r = _mm256_blendv_ps(
            r,
            _mm256_add_ps(_mm256_set1_ps(1.0), x),
            _mm256_castsi256_ps(tiny),
        );
        (r, _mm256_movemask_ps(_mm256_castsi256_ps(special)))
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn exp_sub_avx2(x: &[f32], m: f32, out: &mut [f32]) {
        let n = x.len().min(out.len());
        let full = n / 8 * 8;
        let mv = _mm256_set1_ps(m);
        let mut i = 0;
        while i < full {
            // SAFETY: i + 8 <= full <= the length of both slices.
            let d = _mm256_sub_ps(unsafe { _mm256_loadu_ps(x.as_ptr().add(i)) }, mv);
            let (r, special) = expf8(d);
            // SAFETY: as above.
            unsafe { _mm256_storeu_ps(out.as_mut_ptr().add(i), r) };
            if special != 0 {
                for l in 0..8 {
                    if special & (1 << l) != 0 {
                        out[i + l] = libm::expf(x[i + l] - m);
                    }
                }
            }
            i += 8;
        }
        for j in full..n {
            out[j] = libm::expf(x[j] - m);
        }
    }

    #[cfg(test)]
    mod tests {
        /// The bit patterns equal libm 0.2.16's decimal constants.
        #[test]
        #[allow(clippy::excessive_precision, clippy::approx_constant)]
        fn constants_match_libm_source() {
            assert_eq!(super::LN2_HI, 6.9314575195e-01);
            assert_eq!(super::LN2_LO, 1.4286067653e-06);
            assert_eq!(super::INV_LN2, 1.4426950216e+00);
            assert_eq!(super::P1, 1.6666625440e-1);
            assert_eq!(super::P2, -2.7667332906e-3);
        }

        /// Sweep f32 bit patterns (every 61st, covering all exponents, both signs, NaN, inf,
        /// subnormals) and require libm's exact bits.
        #[test]
        fn matches_libm_expf_bit_for_bit() {
            if !super::super::super::has_avx2() {
                return;
            }
            let step = if std::env::var("REE_EXP_EXHAUSTIVE").is_ok() {
                1
            } else {
                61
            };
            let mut xs = Vec::with_capacity(1 << 16);
            let mut b: u64 = 0;
            while b <= u32::MAX as u64 {
                xs.push(f32::from_bits(b as u32));
                if xs.len() == 1 << 16 {
                    check(&xs);
                    xs.clear();
                }
                b += step;
            }
            check(&xs);
        }

        fn check(xs: &[f32]) {
            let mut out = vec![0.0f32; xs.len()];
            // SAFETY: has_avx2() checked by the caller.
            unsafe { super::exp_sub_avx2(xs, 0.0, &mut out) };
            for (x, o) in xs.iter().zip(&out) {
                let want = libm::expf(x - 0.0);
                // A NaN input gives a NaN either way (quieting of signalling NaNs by the
                // subtraction may differ where the compiler folds `x - 0.0`); runs stop on NaN.
                assert!(
                    want.to_bits() == o.to_bits() || (x.is_nan() && o.is_nan()),
                    "expf({x:e} = {:#x}): libm {want:e}, vector {o:e}",
                    x.to_bits()
                );
            }
        }
    }
}
