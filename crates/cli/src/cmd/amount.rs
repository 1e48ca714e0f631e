//! Exact conversion between the decimal amounts people type (`1.5`) and the ledger's `u128` base
//! units, given a token's `decimals`. No floats anywhere: the digits are parsed as integers, too many
//! fractional digits is an error (never a silent rounding), and so is anything that overflows `u128`.

use anyhow::{Context, bail};

/// Parse a decimal amount such as `1.5`, `100`, `0.000001` or `1_000.25` into base units of a token
/// with `decimals` fractional digits. Rejects signs, exponents, empty parts and more fractional
/// digits than the token has.
pub fn parse_amount(text: &str, decimals: u8) -> anyhow::Result<u128> {
    let cleaned: String = text.trim().chars().filter(|c| *c != '_').collect();
    if cleaned.is_empty() {
        bail!("amount is empty: give a number such as 1.5");
    }
    let (int_part, frac_part) = match cleaned.split_once('.') {
        Some((i, f)) => (i, f),
        None => (cleaned.as_str(), ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        bail!("amount {text:?} has no digits");
    }
    if !int_part.chars().all(|c| c.is_ascii_digit())
        || !frac_part.chars().all(|c| c.is_ascii_digit())
    {
        bail!("amount {text:?} is not a plain non-negative decimal number (digits and one '.')");
    }
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() > usize::from(decimals) {
        bail!(
            "amount {text:?} has {} decimal places but the token has only {decimals}",
            frac_trimmed.len()
        );
    }
    let scale = 10u128
        .checked_pow(u32::from(decimals))
        .with_context(|| format!("token decimals {decimals} are too large for u128 amounts"))?;
    let whole: u128 = if int_part.is_empty() {
        0
    } else {
        int_part
            .parse::<u128>()
            .with_context(|| format!("amount {text:?} is too large"))?
    };
    let mut frac: u128 = 0;
    for (i, c) in frac_trimmed.chars().enumerate() {
        let digit = u128::from(c.to_digit(10).expect("checked to be an ASCII digit above"));
        let place = 10u128.pow(u32::from(decimals) - 1 - i as u32);
        frac += digit * place;
    }
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac))
        .with_context(|| format!("amount {text:?} is too large for this token (u128 overflow)"))
}

/// Format base units as a decimal string with the token's `decimals`, trimming trailing zeros
/// (`1500000` with 6 decimals is `1.5`; `0` is `0`).
pub fn format_amount(units: u128, decimals: u8) -> String {
    if decimals == 0 {
        return units.to_string();
    }
    let Some(scale) = 10u128.checked_pow(u32::from(decimals)) else {
        // More decimals than u128 can scale by: every amount is a pure fraction.
        let digits = units.to_string();
        let pad = usize::from(decimals).saturating_sub(digits.len());
        let frac = format!("{}{}", "0".repeat(pad), digits);
        let frac = frac.trim_end_matches('0');
        return if frac.is_empty() {
            "0".into()
        } else {
            format!("0.{frac}")
        };
    };
    let whole = units / scale;
    let frac = units % scale;
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:0width$}", width = usize::from(decimals));
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_common_forms() {
        assert_eq!(parse_amount("1.5", 18).unwrap(), 1_500_000_000_000_000_000);
        assert_eq!(parse_amount("1.5", 6).unwrap(), 1_500_000);
        assert_eq!(parse_amount("100", 6).unwrap(), 100_000_000);
        assert_eq!(parse_amount("0.000001", 6).unwrap(), 1);
        assert_eq!(parse_amount(".5", 1).unwrap(), 5);
        assert_eq!(parse_amount("5.", 1).unwrap(), 50);
        assert_eq!(parse_amount("1_000.250", 2).unwrap(), 100_025);
        assert_eq!(parse_amount("7", 0).unwrap(), 7);
        assert_eq!(parse_amount("7.000", 0).unwrap(), 7);
    }

    #[test]
    fn rejects_bad_amounts() {
        for bad in ["", ".", "-1", "+1", "1e5", "1.2.3", "abc", "1,5", " "] {
            assert!(parse_amount(bad, 6).is_err(), "{bad:?} should be rejected");
        }
        let err = parse_amount("0.0000001", 6).unwrap_err().to_string();
        assert!(err.contains("7 decimal places"), "{err}");
        assert!(parse_amount("340282366920938463463374607431768211456", 0).is_err());
        assert!(parse_amount("340282366920938463463374607431768211455", 1).is_err());
        assert_eq!(
            parse_amount("340282366920938463463374607431768211455", 0).unwrap(),
            u128::MAX
        );
    }

    #[test]
    fn formats_amounts() {
        assert_eq!(format_amount(1_500_000, 6), "1.5");
        assert_eq!(format_amount(0, 6), "0");
        assert_eq!(format_amount(1, 18), "0.000000000000000001");
        assert_eq!(format_amount(42, 0), "42");
        assert_eq!(
            format_amount(u128::MAX, 18),
            "340282366920938463463.374607431768211455"
        );
        assert_eq!(
            format_amount(5, 40),
            "0.0000000000000000000000000000000000000005"
        );
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(units in any::<u128>(), decimals in 0u8..=30) {
            let text = format_amount(units, decimals);
            prop_assert_eq!(parse_amount(&text, decimals).unwrap(), units);
        }
    }
}
