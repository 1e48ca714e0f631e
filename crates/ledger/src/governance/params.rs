//! The parameters governance may change: an allow-list of names, each with a value kind,
//! bounds checked when a proposal is made (so a vote is never wasted on an impossible value)
//! and again when it is executed, and the setter that applies it.
//!
//! | name | value | bounds | what it sets |
//! | --- | --- | --- | --- |
//! | `unbonding_delay_ms` | ms | 1 h – 90 d | staking unbonding delay |
//! | `vault_cooldown_ms` | ms | 0 – 90 d | sAID exit cooldown |
//! | `gov_voting_period_ms` | ms | 1 h – 30 d | voting period of later proposals |
//! | `gov_quorum_bps` | bps | 1 – 10 000 | quorum, share of total ve power at the snapshot |
//! | `gov_timelock_ms` | ms | 0 – 30 d | delay between the end of voting and execution |
//! | `gov_proposal_threshold` | base units | any | ve power needed to propose |
//! | `burn_bps` | bps | burn + caller ≤ 10 000 | share of a buyback burned |
//! | `buyback_caller_bps` | bps | burn + caller ≤ 10 000 | share of a buyback paid to its sender |
//! | `buyback_max_deviation_bps` | bps | 1 – 5 000 | how far below the TWAP a buyback may fill |
//! | `market_fee_bps` | bps | 0 – 1 000 | market protocol fee on job prices (issue 4) |
//! | `oracle_add_reporter` | `FEED:0xADDRESS` | feed exists, address new, ≤ 32 reporters | authorise a reporter |
//! | `oracle_remove_reporter` | `FEED:0xADDRESS` | a reporter of the feed, not its last | revoke a reporter (its report stops counting) |
//! | `oracle_max_age_ms` | `FEED:ms` | 1 min – 400 d | staleness bound of a feed |
//!
//! The oracle parameters are checked against the state (feed exists, reporter present or not)
//! when proposed and again when executed, since other proposals may have changed the feed.
//!
//! Issue 6 adds `asset_min_attesters`, `asset_attest_slash_bps`, `vault_manager` and
//! `finance_approve` (values and bounds in [`crate::assets::gov`]).

use crate::error::LedgerError;
use crate::state::{Exec, Store, keys};
use verity_primitives::Address;

/// Every parameter name governance accepts, in the order of the table above.
pub const ALLOWED: &[&str] = &[
    "unbonding_delay_ms",
    "vault_cooldown_ms",
    "gov_voting_period_ms",
    "gov_quorum_bps",
    "gov_timelock_ms",
    "gov_proposal_threshold",
    "burn_bps",
    "buyback_caller_bps",
    "buyback_max_deviation_bps",
    "market_fee_bps",
    "oracle_add_reporter",
    "oracle_remove_reporter",
    "oracle_max_age_ms",
    // assets (issue 6): see crate::assets::gov
    "asset_min_attesters",
    "asset_attest_slash_bps",
    "vault_manager",
    "finance_approve",
];

const HOUR: u128 = 3_600_000;
const DAY: u128 = 24 * HOUR;

/// A parsed parameter value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamValue {
    /// An integer (ms, bps or base units).
    Int(u128),
    /// An assets-module parameter (issue 6).
    Assets(crate::assets::gov::GovParam),
    /// A reporter of an oracle feed (`FEED:0xADDRESS`).
    Reporter {
        /// Feed name.
        feed: String,
        /// Reporter address.
        reporter: Address,
    },
    /// A feed's staleness bound (`FEED:ms`).
    FeedMaxAge {
        /// Feed name.
        feed: String,
        /// Bound, ms.
        max_age_ms: u64,
    },
}

/// Split `FEED:rest` of an oracle parameter.
fn feed_and_rest<'a>(param: &str, value: &'a str) -> Result<(&'a str, &'a str), LedgerError> {
    let (feed, rest) = value
        .split_once(':')
        .ok_or_else(|| bad(param, format!("{value:?} is not FEED:VALUE")))?;
    let ok_name = !feed.is_empty()
        && feed.len() <= crate::oracle::MAX_FEED_NAME
        && feed.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ok_name {
        return Err(bad(param, format!("{feed:?} is not a feed name")));
    }
    Ok((feed, rest))
}

fn bad(param: &str, reason: String) -> LedgerError {
    LedgerError::Governance(format!("parameter {param}: {reason}"))
}

fn range(param: &str, v: u128, lo: u128, hi: u128) -> Result<(), LedgerError> {
    if v < lo || v > hi {
        return Err(bad(param, format!("{v} is outside [{lo}, {hi}]")));
    }
    Ok(())
}

/// Parse and bound-check `value` for `param` (a decimal integer).
pub fn validate(param: &str, value: &str) -> Result<ParamValue, LedgerError> {
    if !ALLOWED.contains(&param) {
        return Err(LedgerError::Governance(format!(
            "parameter {param:?} is not governable; allowed: {}",
            ALLOWED.join(", ")
        )));
    }
    if let Some(p) = crate::assets::gov::parse(param, value)? {
        return Ok(ParamValue::Assets(p));
    }
    match param {
        "oracle_add_reporter" | "oracle_remove_reporter" => {
            let (feed, addr) = feed_and_rest(param, value)?;
            let reporter: Address = addr
                .parse()
                .map_err(|e| bad(param, format!("{addr:?} is not an address: {e}")))?;
            return Ok(ParamValue::Reporter {
                feed: feed.to_string(),
                reporter,
            });
        }
        "oracle_max_age_ms" => {
            let (feed, ms) = feed_and_rest(param, value)?;
            let v: u128 = ms
                .parse()
                .map_err(|_| bad(param, format!("{ms:?} is not a decimal integer")))?;
            range(param, v, 60_000, 400 * DAY)?;
            return Ok(ParamValue::FeedMaxAge {
                feed: feed.to_string(),
                max_age_ms: as_u64(param, v)?,
            });
        }
        _ => {}
    }
    let v: u128 = value
        .parse()
        .map_err(|_| bad(param, format!("{value:?} is not a decimal integer")))?;
    match param {
        "unbonding_delay_ms" => range(param, v, HOUR, 90 * DAY)?,
        "vault_cooldown_ms" => range(param, v, 0, 90 * DAY)?,
        "gov_voting_period_ms" => range(param, v, HOUR, 30 * DAY)?,
        "gov_quorum_bps" => range(param, v, 1, 10_000)?,
        "gov_timelock_ms" => range(param, v, 0, 30 * DAY)?,
        "burn_bps" | "buyback_caller_bps" => range(param, v, 0, 10_000)?,
        "buyback_max_deviation_bps" => range(param, v, 1, 5_000)?,
        "market_fee_bps" => range(param, v, 0, 1_000)?,
        _ => {}
    }
    Ok(ParamValue::Int(v))
}

fn as_u64(param: &str, v: u128) -> Result<u64, LedgerError> {
    u64::try_from(v).map_err(|_| bad(param, format!("{v} does not fit 64 bits")))
}

fn as_u32(param: &str, v: u128) -> Result<u32, LedgerError> {
    u32::try_from(v).map_err(|_| bad(param, format!("{v} does not fit 32 bits")))
}

/// [`validate`] plus the checks that need the state (the oracle parameters: the feed exists,
/// the reporter can be added or removed). `Propose` calls this so a vote is not wasted on a
/// change that cannot apply; execution checks again.
pub fn validate_in(s: &impl Store, param: &str, value: &str) -> Result<ParamValue, LedgerError> {
    let v = validate(param, value)?;
    match &v {
        ParamValue::Reporter { feed, reporter } => {
            let f = crate::oracle::feed(s, feed).map_err(|e| bad(param, e.to_string()))?;
            crate::oracle::check_reporter_change(&f, *reporter, param == "oracle_add_reporter")?;
        }
        ParamValue::FeedMaxAge { feed, .. } => {
            crate::oracle::feed(s, feed).map_err(|e| bad(param, e.to_string()))?;
        }
        ParamValue::Int(_) | ParamValue::Assets(_) => {}
    }
    Ok(v)
}

/// Apply a validated value.
pub(crate) fn apply(ex: &mut Exec<'_>, param: &str, value: &str) -> Result<(), LedgerError> {
    let v = match validate_in(ex, param, value)? {
        ParamValue::Int(v) => v,
        ParamValue::Assets(p) => return crate::assets::gov::apply(ex, &p),
        ParamValue::Reporter { feed, reporter } => {
            return if param == "oracle_add_reporter" {
                crate::oracle::add_reporter(ex, &feed, reporter)
            } else {
                crate::oracle::remove_reporter(ex, &feed, reporter)
            };
        }
        ParamValue::FeedMaxAge { feed, max_age_ms } => {
            return crate::oracle::set_max_age(ex, &feed, max_age_ms);
        }
    };
    match param {
        "unbonding_delay_ms" => {
            let mut p = ex.state().params().clone();
            p.unbonding_delay_ms = as_u64(param, v)?;
            ex.put(keys::META_PARAMS, Some(p.encode()));
        }
        "vault_cooldown_ms" => crate::vault::set_cooldown(ex, as_u64(param, v)?)?,
        "gov_voting_period_ms"
        | "gov_quorum_bps"
        | "gov_timelock_ms"
        | "gov_proposal_threshold" => {
            let mut c = super::config(ex)?;
            match param {
                "gov_voting_period_ms" => c.voting_period_ms = as_u64(param, v)?,
                "gov_quorum_bps" => c.quorum_bps = as_u32(param, v)?,
                "gov_timelock_ms" => c.timelock_ms = as_u64(param, v)?,
                _ => c.proposal_threshold = v,
            }
            super::put_config(ex, &c);
        }
        "burn_bps" | "buyback_caller_bps" | "buyback_max_deviation_bps" => {
            let mut c = crate::burn::config(ex)?;
            match param {
                "burn_bps" => c.burn_bps = as_u32(param, v)?,
                "buyback_caller_bps" => c.caller_bps = as_u32(param, v)?,
                _ => c.max_deviation_bps = as_u32(param, v)?,
            }
            c.check().map_err(|e| bad(param, e))?;
            crate::burn::put_config(ex, &c);
        }
        "market_fee_bps" => {
            let mut m = crate::market::params(ex)?;
            m.fee_bps = as_u32(param, v)?;
            crate::market::params::put_params(ex, &m)?;
        }
        other => {
            return Err(LedgerError::Governance(format!(
                "parameter {other:?} has no setter"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_refuses_unknown_and_out_of_range() {
        assert!(validate("max_supply", "1").is_err());
        assert!(validate("gov_quorum_bps", "0").is_err());
        assert!(validate("gov_quorum_bps", "10001").is_err());
        assert!(validate("gov_quorum_bps", "abc").is_err());
        assert_eq!(validate("gov_quorum_bps", "500"), Ok(ParamValue::Int(500)));
        assert!(validate("unbonding_delay_ms", "1").is_err());
    }

    #[test]
    fn oracle_values_parse_and_refuse_garbage() {
        let a = Address([7; 20]);
        assert_eq!(
            validate("oracle_add_reporter", &format!("TBILL_YIELD:{a}")),
            Ok(ParamValue::Reporter {
                feed: "TBILL_YIELD".into(),
                reporter: a
            })
        );
        assert!(
            validate("oracle_add_reporter", "TBILL_YIELD").is_err(),
            "no colon"
        );
        assert!(validate("oracle_remove_reporter", "TBILL_YIELD:0x12").is_err());
        assert!(validate("oracle_remove_reporter", &format!("BAD-NAME:{a}")).is_err());
        assert!(validate("oracle_add_reporter", &format!(":{a}")).is_err());
        assert_eq!(
            validate("oracle_max_age_ms", "TBILL_YIELD:3600000"),
            Ok(ParamValue::FeedMaxAge {
                feed: "TBILL_YIELD".into(),
                max_age_ms: 3_600_000
            })
        );
        assert!(
            validate("oracle_max_age_ms", "TBILL_YIELD:1").is_err(),
            "below 1 min"
        );
    }
}
