//! Read views of the green module for the API (`GET /v1/green`, `GET /v1/green/jobs/{job}`).

use super::{EnergyAttestation, GreenParams, IndexEntry, JobEnergy};
use crate::error::LedgerError;
use crate::state::State;
use serde::{Deserialize, Serialize};

/// One epoch's index row: the accumulator and the price of a green GPU-hour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexRow {
    /// The accumulator.
    #[serde(flatten)]
    pub entry: IndexEntry,
    /// Volume-weighted price of a green GPU-hour, token base units (decimal string; absent
    /// while no green GPU-ms were sold).
    pub price_per_green_hour: Option<String>,
}

/// Attestations, parameters and the green compute index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GreenView {
    /// Parameters in force.
    pub params: GreenParams,
    /// Latest attestation per subject.
    pub attestations: Vec<EnergyAttestation>,
    /// Index rows by (epoch, token).
    pub index: Vec<IndexRow>,
}

/// A job's green requirement and energy report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobGreenView {
    /// Job id.
    pub job: u64,
    /// Minimum green share it requires, bps (0 = none).
    pub required_green_bps: u32,
    /// Its energy and carbon, once reported.
    pub energy: Option<JobEnergy>,
}

/// The [`GreenView`].
pub fn view(s: &State) -> Result<GreenView, LedgerError> {
    let index = super::index_entries(s)?
        .into_iter()
        .map(|entry| IndexRow {
            price_per_green_hour: entry.index().map(|v| v.to_string()),
            entry,
        })
        .collect();
    Ok(GreenView {
        params: super::params(s)?,
        attestations: super::attestations(s)?,
        index,
    })
}

/// The [`JobGreenView`] of `job` (`None` when there is no such job).
pub fn job_view(s: &State, job: u64) -> Result<Option<JobGreenView>, LedgerError> {
    if crate::market::job(s, job)?.is_none() {
        return Ok(None);
    }
    Ok(Some(JobGreenView {
        job,
        required_green_bps: super::required(s, job)?,
        energy: super::job_energy(s, job)?,
    }))
}
