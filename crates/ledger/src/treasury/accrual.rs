//! NAV accrual math (pure integer functions), following Ondo USDY's dynamic oracle: the price
//! grows by a constant **daily factor** once per whole day, `nav_{k+1} = nav_k × f`, where the
//! daily factor comes from the annual yield (APY) as `f = (1 + APY)^(1/365)` — so 365 daily
//! compoundings give exactly the annual yield — and `nav_after_n_days = nav × f^n` (USDY
//! computes `rpow(dailyInterestRate, days) × prevClosePrice` in 27-decimal "ray" precision).
//!
//! **Exact integer formulas and rounding (all round down, i.e. against the holder, never
//! creating value):**
//! - `APY` is 1e18 fixed point (the oracle's unit), `f` is 1e27 fixed point ("ray").
//! - [`daily_factor`]`(apy)` = the **largest** ray `f` with `rpow(f, 365) ≤ (1e18 + apy) × 1e9`,
//!   found by binary search (rpow is monotone in `f`), so `f ≤ (1 + APY)^(1/365)` exactly.
//! - [`rpow`]`(x, n)` = `x^n` in ray by square-and-multiply, each product
//!   `a × b / 1e27` rounded down (exact 256-bit intermediate).
//! - [`accrue`]`(nav, apy, days)` = `nav × rpow(f, days) / 1e27` rounded down.
//!
//! Because `f ≥ 1e27` whenever `apy ≥ 0` and every step multiplies by a factor ≥ 1 before
//! rounding down a value that is ≥ the previous one, NAV never falls (property-tested).

use verity_primitives::MathError;
use verity_primitives::math::{Rounding, mul_div};

/// 1e18 (fixed-point one for NAV and oracle values).
pub const WAD: u128 = 1_000_000_000_000_000_000;
/// 1e27 (fixed-point one for the daily factor).
pub const RAY: u128 = 1_000_000_000_000_000_000_000_000_000;
/// Days of compounding per year.
pub const DAYS_PER_YEAR: u64 = 365;
/// One day in ms.
pub const DAY_MS: u64 = 24 * 3600 * 1000;
/// Largest accepted annual yield: 1000% (keeps every intermediate far from overflow).
pub const MAX_APY: u128 = 10 * WAD;

/// `x^n` in ray fixed point, each product rounded down.
pub fn rpow(x: u128, mut n: u64) -> Result<u128, MathError> {
    let mut base = x;
    let mut acc = RAY;
    while n > 0 {
        if n & 1 == 1 {
            acc = mul_div(acc, base, RAY, Rounding::Down)?;
        }
        n >>= 1;
        if n > 0 {
            base = mul_div(base, base, RAY, Rounding::Down)?;
        }
    }
    Ok(acc)
}

/// The daily growth factor (ray) for an annual yield `apy` (1e18 fixed point): the largest `f`
/// with `rpow(f, 365) ≤ (1e18 + apy) × 1e9`. `apy = 0` gives exactly `1e27`.
pub fn daily_factor(apy: u128) -> Result<u128, MathError> {
    if apy > MAX_APY {
        return Err(MathError::Overflow);
    }
    let target = (WAD + apy) * 1_000_000_000; // ≤ 11e27: no overflow
    // f = 1 + APY is an upper bound since (1 + APY)^(1/365) ≤ 1 + APY.
    let (mut lo, mut hi) = (RAY, target);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        // An overflowing power is certainly above the target.
        if rpow(mid, DAYS_PER_YEAR).is_ok_and(|p| p <= target) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(lo)
}

/// NAV after `days` whole days at annual yield `apy`: `nav × rpow(daily_factor(apy), days)`,
/// rounded down.
pub fn accrue(nav: u128, apy: u128, days: u64) -> Result<u128, MathError> {
    if days == 0 {
        return Ok(nav);
    }
    let f = daily_factor(apy)?;
    let growth = rpow(f, days)?;
    mul_div(nav, growth, RAY, Rounding::Down)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn zero_yield_is_identity() {
        assert_eq!(daily_factor(0), Ok(RAY));
        assert_eq!(accrue(WAD, 0, 1000), Ok(WAD));
    }

    #[test]
    fn a_year_of_daily_compounding_gives_the_apy() {
        // 5% APY: after 365 days NAV is 1.05 within rounding (always below, never above).
        let apy = 50_000_000_000_000_000;
        let nav = accrue(WAD, apy, 365).unwrap();
        assert!(nav <= 1_050_000_000_000_000_000, "{nav}");
        assert!(nav >= 1_050_000_000_000_000_000 - 1_000, "{nav}");
        // The factor is the largest one not exceeding the target.
        let f = daily_factor(apy).unwrap();
        assert!(rpow(f, 365).unwrap() <= (WAD + apy) * 1_000_000_000);
        assert!(rpow(f + 1, 365).unwrap() > (WAD + apy) * 1_000_000_000);
        // Ondo-style daily factor for 5% APY ≈ 1.000133681 (ray).
        assert_eq!(f / 1_000_000_000_000_000_000, 1_000_133_680);
    }

    #[test]
    fn one_day_at_five_percent() {
        let nav = accrue(WAD, 50_000_000_000_000_000, 1).unwrap();
        // 1e18 × 1.000133680617… rounded down.
        assert_eq!(nav / 1_000_000_000, 1_000_133_680);
    }

    #[test]
    fn too_large_apy_is_an_error() {
        assert_eq!(daily_factor(MAX_APY + 1), Err(MathError::Overflow));
    }

    proptest! {
        #[test]
        fn nav_never_falls(nav in WAD..100 * WAD, apy in 0u128..=MAX_APY, days in 0u64..800) {
            let next = accrue(nav, apy, days).unwrap();
            prop_assert!(next >= nav);
        }

        #[test]
        fn more_days_or_more_yield_never_less(nav in WAD..10 * WAD, apy in 0u128..WAD, d in 0u64..400) {
            let a = accrue(nav, apy, d).unwrap();
            prop_assert!(accrue(nav, apy, d + 1).unwrap() >= a);
            prop_assert!(accrue(nav, apy + 1_000_000_000_000, d).unwrap() >= a);
        }
    }
}
