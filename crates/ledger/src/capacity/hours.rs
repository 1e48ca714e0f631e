//! Slot hours: `YYYY-MM-DDTHH` (UTC) labels of slot starts and their parsing, and slot
//! symbols `CLASS-YYYY-MM-DDTHH` (H. Hinnant's civil-date algorithms, integer only).

use super::{check_class, err};
use crate::error::LedgerError;
use verity_primitives::Timestamp;

/// Days since 1970-01-01 → (year, month, day) (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).expect("day of month is 1..=31");
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).expect("month is 1..=12");
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) → days since 1970-01-01 (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DDTHH` (UTC) of a slot start.
pub fn hour_label(start: Timestamp) -> String {
    let secs = start.0 / 1000;
    let days = i64::try_from(secs / 86_400).expect("u64 seconds / 86400 fits i64");
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}", (secs % 86_400) / 3600)
}

/// Parse `YYYY-MM-DDTHH` (UTC) into a slot start (ms).
pub fn parse_hour(s: &str) -> Result<Timestamp, LedgerError> {
    let bad = || {
        err(format!(
            "slot {s:?}: expected YYYY-MM-DDTHH (UTC), e.g. 2026-12-01T10"
        ))
    };
    let b = s.as_bytes();
    if b.len() != 13 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<u32, LedgerError> {
        s.get(r)
            .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|p| p.parse().ok())
            .ok_or_else(bad)
    };
    let (y, m, d, h) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 {
        return Err(bad());
    }
    let days = days_from_civil(i64::from(y), m, d);
    if civil_from_days(days) != (i64::from(y), m, d) {
        return Err(bad());
    }
    let secs = u64::try_from(days).map_err(|_| bad())? * 86_400 + u64::from(h) * 3600;
    Ok(Timestamp(secs * 1000))
}

/// Parse a slot symbol `CLASS-YYYY-MM-DDTHH` into (class, start).
pub fn parse_symbol(sym: &str) -> Result<(String, Timestamp), LedgerError> {
    let (class, hour) = sym
        .split_once('-')
        .ok_or_else(|| err(format!("{sym:?}: expected CLASS-YYYY-MM-DDTHH")))?;
    check_class(class)?;
    Ok((class.to_string(), parse_hour(hour)?))
}
