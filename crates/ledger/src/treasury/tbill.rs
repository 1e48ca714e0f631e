//! Treasury-bill pricing math for users (pure integer functions, no floats), as TreasuryDirect
//! and 31 CFR 356 Appendix B define it:
//!
//! - **Price per 100 from the discount rate** (actual/360): `P = 100 × (1 − d·r/360)`, with `d`
//!   the discount rate as a fraction and `r` the days to maturity.
//! - **Investment rate** (coupon-equivalent / bond-equivalent yield), `y` = days in the year
//!   after issue (365, or 366 when that year contains a 29 February — the caller chooses with
//!   `leap_year`; the default is 365):
//!   - `r ≤ 182` days (not more than a half-year): `i = (100 − P)/P × y/r`;
//!   - longer bills: the positive root of `(r/(2y) − 0.25)·i² + (r/y)·i + (P − 100)/P = 0`
//!     (TreasuryDirect; IMSL `Tbilleq`). When `r/(2y) − 0.25 = 0` (183 days in a leap year)
//!     the equation is linear and gives the short formula.
//!
//! **Units and rounding.** Rates are percent in 1e18 fixed point (`4.975%` =
//! `4_975_000_000_000_000_000`), prices are per 100 of face in 1e18 fixed point. The price is
//! exact (`d·r/360` is rounded **up** only in its 19th decimal, so the price is rounded down);
//! the investment rate is rounded down at 1e-18 percent. The quadratic is solved exactly in
//! integers: multiplying by `4yP` gives `(2r − y)P·i² + 4rP·i − 4y(100 − P) = 0`, whose root is
//! `i = 2(√X − rP) / ((2r − y)P)` with `X = r²P² + y(100 − P)(2r − y)P`; `√X` is an integer
//! square root of the 1e36-scaled `X` (error < 1e-18 relative, far below the published three
//! decimals).

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};
use verity_primitives::amount_str;

/// 1e18.
const E18: u128 = 1_000_000_000_000_000_000;
/// 100 in 1e18 fixed point.
const HUNDRED: u128 = 100 * E18;

/// Errors of the T-bill calculator.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TbillError {
    /// Days to maturity must be 1..=366.
    #[error("days to maturity must be between 1 and 366, got {0}")]
    BadDays(u32),
    /// The discount rate makes the price zero or negative.
    #[error("discount rate {0}% over {1} days gives a price ≤ 0; use a smaller rate")]
    RateTooHigh(String, u32),
    /// A number could not be parsed.
    #[error("invalid percentage {0:?}: use a decimal like 4.975 (up to 18 decimals)")]
    BadNumber(String),
}

/// The result of [`quote`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TbillQuote {
    /// Days to maturity.
    pub days: u32,
    /// Days in the year used for the investment rate (365 or 366).
    pub year_days: u32,
    /// Discount rate, percent × 1e18.
    #[serde(with = "amount_str")]
    pub discount_rate_e18: u128,
    /// Price per 100 of face value × 1e18.
    #[serde(with = "amount_str")]
    pub price_e18: u128,
    /// Investment rate (bond-equivalent yield), percent × 1e18.
    #[serde(with = "amount_str")]
    pub investment_rate_e18: u128,
    /// Which formula gave the investment rate: `"simple"` (≤ 182 days) or `"quadratic"`.
    pub method: String,
}

/// Parse a non-negative decimal (e.g. `"4.975"`) into 1e18 fixed point, exactly.
pub fn parse_e18(s: &str) -> Result<u128, TbillError> {
    let bad = || TbillError::BadNumber(s.to_string());
    let t = s.trim();
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if (int.is_empty() && frac.is_empty())
        || frac.len() > 18
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let i: u128 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad())?
    };
    let mut f: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| bad())?
    };
    for _ in frac.len()..18 {
        f *= 10;
    }
    i.checked_mul(E18)
        .and_then(|x| x.checked_add(f))
        .ok_or_else(bad)
}

/// Format a 1e18 fixed-point value with `decimals` decimals, rounding half up (display only).
pub fn format_e18(v: u128, decimals: u32) -> String {
    let decimals = decimals.min(18);
    let unit = 10u128.pow(18 - decimals);
    let rounded = v / unit + u128::from(v % unit >= unit.div_ceil(2) && unit > 1);
    let scale = 10u128.pow(decimals);
    if decimals == 0 {
        return format!("{rounded}");
    }
    format!(
        "{}.{:0width$}",
        rounded / scale,
        rounded % scale,
        width = decimals as usize
    )
}

/// Price per 100 (1e18) from a discount rate (percent × 1e18) and days to maturity:
/// `100 − d·r/360` with the discount rounded up (price rounded down).
pub fn price_from_discount(discount_rate_e18: u128, days: u32) -> Result<u128, TbillError> {
    if days == 0 || days > 366 {
        return Err(TbillError::BadDays(days));
    }
    // d% × r / 360 is the discount in "per 100" units (percent of face).
    let disc = U256::from(discount_rate_e18) * U256::from(days);
    let disc = disc.div_ceil(U256::from(360u32));
    let hundred = U256::from(HUNDRED);
    if disc >= hundred {
        return Err(TbillError::RateTooHigh(
            format_e18(discount_rate_e18, 6),
            days,
        ));
    }
    Ok(u128::try_from(hundred - disc).expect("below 100e18"))
}

/// Investment rate (percent × 1e18, rounded down) of a bill priced `price_e18` per 100 with
/// `days` to maturity in a year of `year_days` days.
pub fn investment_rate(
    price_e18: u128,
    days: u32,
    year_days: u32,
) -> Result<(u128, &'static str), TbillError> {
    if days == 0 || days > 366 {
        return Err(TbillError::BadDays(days));
    }
    if price_e18 == 0 || price_e18 > HUNDRED {
        return Err(TbillError::RateTooHigh(format_e18(price_e18, 6), days));
    }
    let p = U256::from(price_e18);
    let r = U256::from(days);
    let y = U256::from(year_days);
    let gain = U256::from(HUNDRED) - p;
    let e18 = U256::from(E18);
    let two_r_minus_y = 2 * u64::from(days) as i128 - i128::from(year_days);
    if days <= 182 || two_r_minus_y <= 0 {
        // i% = (100 − P)/P × y/r × 100, in 1e18: gain × y × 100 × 1e18 / (P × r).
        let num = gain * y * U256::from(100u8) * e18;
        let den = p * r;
        let q = num / den;
        return Ok((u128::try_from(q).expect("a rate fits in u128"), "simple"));
    }
    let a = U256::from(u64::try_from(two_r_minus_y).expect("positive and small"));
    // X·1e36 = r²p² + y·gain·(2r − y)·p  (p, gain in 1e18)
    let x = r * r * p * p + y * gain * a * p;
    let s = x.root(2); // floor(√X × 1e18)
    let rp = r * p;
    let n = s.saturating_sub(rp); // (√X − rP) × 1e18
    // i = 2N/((2r − y)p); percent × 1e18 = 200·N·1e18 / ((2r − y)·p)
    let q = U256::from(200u8) * n * e18 / (a * p);
    Ok((u128::try_from(q).expect("a rate fits in u128"), "quadratic"))
}

/// Price and investment rate of a bill from its discount rate.
pub fn quote(
    discount_rate_e18: u128,
    days: u32,
    leap_year: bool,
) -> Result<TbillQuote, TbillError> {
    let year_days = if leap_year { 366 } else { 365 };
    let price = price_from_discount(discount_rate_e18, days)?;
    let (rate, method) = investment_rate(price, days, year_days)?;
    Ok(TbillQuote {
        days,
        year_days,
        discount_rate_e18,
        price_e18: price,
        investment_rate_e18: rate,
        method: method.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(d: &str, days: u32) -> (String, String) {
        let x = quote(parse_e18(d).unwrap(), days, false).unwrap();
        (
            format_e18(x.price_e18, 6),
            format_e18(x.investment_rate_e18, 3),
        )
    }

    #[test]
    fn treasurydirect_91_day_auction() {
        // TreasuryDirect auction result: 91-day bill, discount rate 4.975%, investment rate
        // 5.108%, price per $100 98.742431.
        assert_eq!(q("4.975", 91), ("98.742431".into(), "5.108".into()));
    }

    #[test]
    fn published_short_bill_auctions() {
        // Bloomberg/AP auction reports: "$10,000 bill selling for $9,996.33, return 0.147%"
        // (3-month, 0.145% discount) and "$9,991.41, 0.173%" (6-month, 0.17% discount).
        let x = quote(parse_e18("0.145").unwrap(), 91, false).unwrap();
        assert_eq!(
            (
                format_e18(x.price_e18, 4),
                format_e18(x.investment_rate_e18, 3)
            ),
            ("99.9633".into(), "0.147".into())
        );
        let x = quote(parse_e18("0.17").unwrap(), 182, false).unwrap();
        assert_eq!(
            (
                format_e18(x.price_e18, 4),
                format_e18(x.investment_rate_e18, 3)
            ),
            ("99.9141".into(), "0.173".into())
        );
    }

    #[test]
    fn parse_and_format() {
        assert_eq!(parse_e18("4.975"), Ok(4_975_000_000_000_000_000));
        assert_eq!(parse_e18(".5"), Ok(500_000_000_000_000_000));
        assert_eq!(parse_e18("7"), Ok(7 * E18));
        assert!(parse_e18("-1").is_err());
        assert!(parse_e18("1.2.3").is_err());
        assert!(parse_e18("").is_err());
        assert!(parse_e18("0.1234567890123456789").is_err());
        assert_eq!(format_e18(98_742_430_555_555_555_556, 6), "98.742431");
        assert_eq!(format_e18(5 * E18, 0), "5");
    }

    #[test]
    fn bad_input() {
        assert_eq!(quote(E18, 0, false), Err(TbillError::BadDays(0)));
        assert_eq!(quote(E18, 367, false), Err(TbillError::BadDays(367)));
        assert!(matches!(
            quote(100 * E18, 360, false),
            Err(TbillError::RateTooHigh(..))
        ));
    }

    #[test]
    fn long_bill_uses_the_quadratic_and_solves_it() {
        let x = quote(parse_e18("4.5").unwrap(), 364, false).unwrap();
        assert_eq!(x.method, "quadratic");
        // Plug the root back into the equation multiplied by 4yP (integers, i as a fraction
        // in 1e18): (2r − y)P·i² + 4rP·i − 4y(100 − P) must vanish within i's rounding.
        let p = U256::from(x.price_e18);
        let i = U256::from(x.investment_rate_e18) / U256::from(100u8);
        let e = U256::from(E18);
        let lhs =
            U256::from(2 * 364 - 365u32) * p * i * i / e / e + U256::from(4 * 364u32) * p * i / e;
        let rhs = U256::from(4 * 365u32) * (U256::from(HUNDRED) - p);
        let diff = if lhs > rhs { lhs - rhs } else { rhs - lhs };
        assert!(diff < U256::from(1_000_000u32), "residual {diff}");
    }

    #[test]
    fn leap_year_183_days_degenerates_to_simple() {
        let x = quote(parse_e18("5").unwrap(), 183, true).unwrap();
        assert_eq!(x.method, "simple");
    }
}
