//! Signed 18-decimal fixed-point (`WAD` = 10¹⁸) natural logarithm and exponential for the
//! time-aware capacity AMM ([`super::pool`]). Integer only, deterministic on every machine.
//!
//! **`ln`** ([`ln_wad`]): write `x = m · 2ᵏ` with `m ∈ [1, 2)` (exact shifts when scaling up, one
//! floor when scaling down), then `ln m = 2·atanh(z) = 2·(z + z³/3 + z⁵/5 + …)` with
//! `z = (m − 1)/(m + 1) ≤ 1/3`, summed until a term is 0; `k·ln 2` uses ln 2 to 36 digits.
//! **`exp`** ([`exp_wad`]): `x = k·ln 2 + r` with `|r| ≤ ln 2 / 2`, `eʳ` by its Taylor series
//! until a term is 0, then a shift by `k`. Inputs are limited to `|x| ≤ 40` (e⁴⁰ ≈ 2.4·10¹⁷).
//!
//! **Error bounds** (each truncating division loses < 1 unit of 10⁻¹⁸; the series have < 45
//! terms): `|ln_wad(x) − ln x| ≤ 2·10⁻¹⁶` absolute and `|exp_wad(x) − eˣ| ≤ 10⁻¹⁶ · eˣ + 10⁻¹⁸`,
//! both checked by the tests against published constants and identities
//! (`exp(ln x) ≈ x`, `ln(ab) = ln a + ln b`). Results round toward zero; callers that must
//! favour the pool round their final token amounts themselves.

use crate::error::LedgerError;

/// One in 18-decimal fixed point.
pub const WAD: i128 = 1_000_000_000_000_000_000;
/// ln 2 in 36-decimal fixed point (0.693147180559945309417232121458176568).
const LN2_36: i128 = 693_147_180_559_945_309_417_232_121_458_176_568;
/// ln 2 in 18-decimal fixed point (truncated).
pub const LN2_WAD: i128 = 693_147_180_559_945_309;
/// Largest |x| [`exp_wad`] accepts (40 in WAD).
pub const EXP_MAX: i128 = 40 * WAD;

fn err(m: &str) -> LedgerError {
    LedgerError::Capacity(m.to_string())
}

/// `ln(x / 10¹⁸)` in WAD, for `x > 0` (error bound in the module doc).
pub fn ln_wad(x: i128) -> Result<i128, LedgerError> {
    if x <= 0 {
        return Err(err("ln of a non-positive number"));
    }
    let mut m = x;
    let mut k: i128 = 0;
    // Scale into [WAD, 2·WAD): up by exact doubling, down by halving (one floor per step).
    while m < WAD {
        m <<= 1;
        k -= 1;
    }
    while m >= 2 * WAD {
        m >>= 1;
        k += 1;
    }
    // z = (m − 1)/(m + 1) ∈ [0, 1/3] in WAD.
    let z = (m - WAD) * WAD / (m + WAD);
    let z2 = z * z / WAD;
    let mut term = z;
    let mut sum: i128 = 0;
    let mut n: i128 = 1;
    while term != 0 {
        sum += term / n;
        term = term * z2 / WAD;
        n += 2;
    }
    // k·ln2 at 36 digits, then back to 18 (|k| ≤ 128 so the product fits i128).
    let k_ln2 = k * LN2_36 / WAD;
    Ok(2 * sum + k_ln2)
}

/// `e^(x / 10¹⁸)` in WAD, for `|x| ≤ 40·10¹⁸` (error bound in the module doc).
pub fn exp_wad(x: i128) -> Result<i128, LedgerError> {
    if !(-EXP_MAX..=EXP_MAX).contains(&x) {
        return Err(err("exp argument outside [-40, 40]"));
    }
    // k = round(x / ln 2); r = x − k·ln 2 computed at 36 digits.
    let x36 = x * WAD; // |x36| ≤ 4·10³⁷ < i128::MAX
    let half = LN2_36 / 2;
    let k = if x36 >= 0 {
        (x36 + half) / LN2_36
    } else {
        (x36 - half) / LN2_36
    };
    let r = (x36 - k * LN2_36) / WAD;
    let mut sum = WAD;
    let mut term = WAD;
    let mut n: i128 = 1;
    while term != 0 {
        term = term * r / WAD / n;
        sum += term;
        n += 1;
    }
    let k = u32::try_from(k.unsigned_abs()).expect("|k| ≤ 58 for |x| ≤ 40");
    if x >= 0 { Ok(sum << k) } else { Ok(sum >> k) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const E_WAD: i128 = 2_718_281_828_459_045_235;
    const LN10_WAD: i128 = 2_302_585_092_994_045_684;

    fn close(a: i128, b: i128, tol: i128) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn published_constants() {
        assert_eq!(ln_wad(WAD).unwrap(), 0);
        assert!(close(ln_wad(2 * WAD).unwrap(), LN2_WAD, 200));
        assert!(close(ln_wad(E_WAD).unwrap(), WAD, 200));
        assert!(close(ln_wad(10 * WAD).unwrap(), LN10_WAD, 200));
        assert!(close(ln_wad(WAD / 10).unwrap(), -LN10_WAD, 200));
        assert_eq!(exp_wad(0).unwrap(), WAD);
        assert!(close(exp_wad(WAD).unwrap(), E_WAD, 300));
        assert!(close(exp_wad(LN10_WAD).unwrap(), 10 * WAD, 2_000));
        // e^-1 = 0.367879441171442321…
        assert!(close(exp_wad(-WAD).unwrap(), 367_879_441_171_442_321, 100));
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(ln_wad(0).is_err());
        assert!(ln_wad(-5).is_err());
        assert!(exp_wad(EXP_MAX + 1).is_err());
        assert!(exp_wad(-EXP_MAX - 1).is_err());
        assert!(exp_wad(EXP_MAX).is_ok());
        assert!(exp_wad(-EXP_MAX).is_ok());
        assert!(ln_wad(1).is_ok());
        assert!(ln_wad(i128::MAX / 4).is_ok());
    }

    proptest! {
        #[test]
        fn exp_inverts_ln(x in 1_000_000i128..(1_000_000_000 * WAD)) {
            let y = exp_wad(ln_wad(x).unwrap()).unwrap();
            // relative 10⁻¹⁵ plus a few units for tiny x
            let tol = x / 1_000_000_000_000_000 + 4;
            prop_assert!(close(y, x, tol), "x {x} exp(ln x) {y}");
        }

        #[test]
        fn ln_of_product_is_sum(a in WAD / 1000..1000 * WAD, b in WAD / 1000..1000 * WAD) {
            let ab = i128::try_from(
                verity_primitives::math::mul_div(a as u128, b as u128, WAD as u128, verity_primitives::math::Rounding::Down).unwrap(),
            )
            .unwrap();
            let lhs = ln_wad(ab).unwrap();
            let rhs = ln_wad(a).unwrap() + ln_wad(b).unwrap();
            // ab is floored: that alone moves ln by up to 1/ab.
            prop_assert!(close(lhs, rhs, 2_000), "{lhs} vs {rhs}");
        }

        #[test]
        fn exp_is_monotone(a in -EXP_MAX..EXP_MAX, d in 1i128..WAD) {
            let b = (a + d).min(EXP_MAX);
            prop_assert!(exp_wad(a).unwrap() <= exp_wad(b).unwrap());
        }
    }
}
