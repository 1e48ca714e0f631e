//! The green module's transactions ([`GreenTx`], carried by `Payload::Green`): JSON, EIP-712
//! primary types (named like the JSON tags) and dispatch.

use super::Subject;
use crate::error::LedgerError;
use crate::state::Exec;
use alloy_sol_types::SolStruct;
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, Hash};

/// A green transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GreenTx {
    /// Attest a provider's or asset's green share and grid intensity (ENERGY reporters).
    #[serde(rename = "AttestEnergy")]
    Attest {
        /// About whom.
        subject: Subject,
        /// Certificate-backed green share, bps.
        green_bps: u32,
        /// Grid intensity, gCO2e/kWh.
        intensity_g_per_kwh: u32,
    },
    /// Require a minimum green share for a job (its buyer, before any bid).
    #[serde(rename = "RequireGreen")]
    Require {
        /// Job id.
        job: u64,
        /// Least green share, bps.
        min_green_bps: u32,
    },
    /// Report a committed job's device power and run time (its provider).
    #[serde(rename = "ReportEnergy")]
    Report {
        /// Job id.
        job: u64,
        /// Mean device power, mW.
        power_mw: u64,
        /// Run time, ms.
        run_ms: u64,
    },
}

/// EIP-712 struct definitions of [`GreenTx`]. A subject is `(uint8 subject_kind, address
/// provider, uint64 asset)`: kind 0 names the provider (asset 0), kind 1 the asset (zero address).
pub mod eip712 {
    #![allow(missing_docs)]
    alloy_sol_types::sol! {
        struct AttestEnergy { address sender; uint64 nonce; uint8 subject_kind; address provider; uint64 asset; uint32 green_bps; uint32 intensity_g_per_kwh; }
        struct RequireGreen { address sender; uint64 nonce; uint64 job; uint32 min_green_bps; }
        struct ReportEnergy { address sender; uint64 nonce; uint64 job; uint64 power_mw; uint64 run_ms; }
    }
}

fn a(x: &Address) -> alloy_primitives::Address {
    alloy_primitives::Address::from(x.0)
}

impl GreenTx {
    /// The EIP-712 primary type name (also the JSON tag).
    pub fn type_name(&self) -> &'static str {
        match self {
            GreenTx::Attest { .. } => "AttestEnergy",
            GreenTx::Require { .. } => "RequireGreen",
            GreenTx::Report { .. } => "ReportEnergy",
        }
    }

    /// The EIP-712 struct hash with `sender` and `nonce`.
    pub fn struct_hash(&self, sender: &Address, nonce: u64) -> Hash {
        let sender = a(sender);
        let h = match self {
            GreenTx::Attest {
                subject,
                green_bps,
                intensity_g_per_kwh,
            } => {
                let (subject_kind, provider, asset) = match subject {
                    Subject::Provider(p) => (0u8, a(p), 0u64),
                    Subject::Asset(id) => (1u8, a(&Address::ZERO), *id),
                };
                eip712::AttestEnergy {
                    sender,
                    nonce,
                    subject_kind,
                    provider,
                    asset,
                    green_bps: *green_bps,
                    intensity_g_per_kwh: *intensity_g_per_kwh,
                }
                .eip712_hash_struct()
            }
            GreenTx::Require { job, min_green_bps } => eip712::RequireGreen {
                sender,
                nonce,
                job: *job,
                min_green_bps: *min_green_bps,
            }
            .eip712_hash_struct(),
            GreenTx::Report {
                job,
                power_mw,
                run_ms,
            } => eip712::ReportEnergy {
                sender,
                nonce,
                job: *job,
                power_mw: *power_mw,
                run_ms: *run_ms,
            }
            .eip712_hash_struct(),
        };
        Hash(h.0)
    }

    /// Execute inside the transaction overlay.
    pub(crate) fn apply(&self, ex: &mut Exec<'_>, sender: &Address) -> Result<(), LedgerError> {
        match self {
            GreenTx::Attest {
                subject,
                green_bps,
                intensity_g_per_kwh,
            } => super::attest(ex, sender, *subject, *green_bps, *intensity_g_per_kwh),
            GreenTx::Require { job, min_green_bps } => {
                super::require(ex, sender, *job, *min_green_bps)
            }
            GreenTx::Report {
                job,
                power_mw,
                run_ms,
            } => super::report(ex, sender, *job, *power_mw, *run_ms),
        }
    }
}
