//! Governance parameters of the assets module (allow-listed in `governance::params`):
//!
//! | name | value | bounds | what it does |
//! | --- | --- | --- | --- |
//! | `asset_min_attesters` | count | 1 – 32 | validators needed to confirm a claim |
//! | `asset_attest_slash_bps` | bps | 0 – 10 000 | stake share slashed per false attester |
//! | `vault_manager` | `0xADDRESS` or `none` | — | who may approve financing deals |
//! | `finance_approve` | deal id | a proposed deal at execution | approve and fund that deal |

use super::{AssetParams, attest::MAX_ATTESTERS, params, put_params};
use crate::error::LedgerError;
use crate::state::Exec;
use verity_primitives::Address;

/// The parameter names this module adds to governance.
pub const PARAMS: &[&str] = &[
    "asset_min_attesters",
    "asset_attest_slash_bps",
    "vault_manager",
    "finance_approve",
];

/// A parsed assets parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GovParam {
    /// `asset_min_attesters`.
    MinAttesters(u32),
    /// `asset_attest_slash_bps`.
    AttestSlashBps(u32),
    /// `vault_manager` (`none` clears).
    VaultManager(Option<Address>),
    /// `finance_approve`.
    ApproveDeal(u64),
}

fn bad(param: &str, reason: String) -> LedgerError {
    LedgerError::Governance(format!("parameter {param}: {reason}"))
}

/// Parse `value` for one of [`PARAMS`]; `Ok(None)` for any other name.
pub fn parse(param: &str, value: &str) -> Result<Option<GovParam>, LedgerError> {
    let int = |max: u64| -> Result<u64, LedgerError> {
        let v: u64 = value
            .parse()
            .map_err(|_| bad(param, format!("{value:?} is not a decimal integer")))?;
        if v > max {
            return Err(bad(param, format!("{v} is above {max}")));
        }
        Ok(v)
    };
    let p = match param {
        "asset_min_attesters" => {
            let v = int(MAX_ATTESTERS as u64)?;
            if v == 0 {
                return Err(bad(param, "at least one attester is needed".into()));
            }
            GovParam::MinAttesters(v as u32)
        }
        "asset_attest_slash_bps" => GovParam::AttestSlashBps(int(10_000)? as u32),
        "vault_manager" => GovParam::VaultManager(if value == "none" {
            None
        } else {
            Some(
                value
                    .parse()
                    .map_err(|e| bad(param, format!("{value:?} is not an address: {e}")))?,
            )
        }),
        "finance_approve" => GovParam::ApproveDeal(int(u64::MAX)?),
        _ => return Ok(None),
    };
    Ok(Some(p))
}

/// Apply a parsed parameter (an executed proposal).
pub(crate) fn apply(ex: &mut Exec<'_>, p: &GovParam) -> Result<(), LedgerError> {
    let mut cur: AssetParams = params(ex)?;
    match p {
        GovParam::MinAttesters(v) => cur.min_attesters = *v,
        GovParam::AttestSlashBps(v) => cur.attest_slash_bps = *v,
        GovParam::VaultManager(a) => cur.vault_manager = *a,
        GovParam::ApproveDeal(id) => {
            return super::finance::approve(ex, &crate::governance::governance_account(), *id);
        }
    }
    put_params(ex, &cur);
    Ok(())
}
