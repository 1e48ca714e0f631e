//! The `green` module (issue 6): energy attestations, energy and carbon per job (the Green
//! Software Foundation's SCI), minimum green share for matching, and the green compute index.
//!
//! **Attestations.** `AttestEnergy` by an authorised reporter — a reporter of the oracle feed
//! [`ENERGY_FEED`] (`ENERGY`, set in genesis and changed through governance like every feed) —
//! records for a provider or an asset two separate numbers: the **green share** (bps of its
//! energy covered by certificates, ≤ 10 000) and the location-based **grid intensity**
//! (gCO2e/kWh, ≤ [`MAX_INTENSITY`]). The latest attestation per subject counts.
//!
//! **Per job.** After its `Commit` (and before `Settle`) the provider reports the device's mean
//! power `P` (mW) and run time `t` (ms) with `ReportEnergy`. Bounds: `t` ≤ the wall time the job
//! had (commit time − bid close); `P` ≤ the bound asset's rated `max_power_mw` (or
//! `max_unbound_power_mw` when no asset is bound). With intensity `I` (gCO2e/kWh) and green
//! share `g` from the bound asset's attestation (else the provider's; one must exist):
//!
//! ```text
//! E  [mWh]     = ⌈P · t / 3 600 000⌉
//! O  [mgCO2e]  = ⌈E · I / 1 000⌉                       (mWh · g/kWh = µg)
//! M  [mgCO2e]  = ⌈TE · 1 000 · t / (LT · 3 600 000)⌉    (TE g embodied, LT h lifetime; 0 unbound)
//! SCI [mgCO2e per job] = O + M                          (SCI = (E·I) + M per R, R = one job)
//! ```
//!
//! Every rounding is up (carbon is never under-reported). Certificates do not lower SCI (as the
//! SCI spec says of market-based instruments): `g` is reported beside it, never subtracted.
//!
//! **Matching.** A buyer may require a minimum green share (`RequireGreen`, while the job is open
//! and has no bid yet); at matching the market skips every bidder whose green share for that job
//! (its bound asset's attestation, else its own, else 0) is below it.
//!
//! **Green compute index.** At `Settle` a reported job adds to the accumulator of (epoch =
//! ⌊settle time / `epoch_ms`⌋, payment token): GPU-ms `t`, green GPU-ms ⌊t · g / 10 000⌋ and
//! green value ⌊price · g / 10 000⌋. The index is the volume-weighted price of a green GPU-hour:
//! ⌊Σ green value · 3 600 000 / Σ green GPU-ms⌋ base units of the token (undefined while no green
//! GPU-ms were sold). Weighting each job's hourly price `price/t` by its green hours `t·g` gives
//! exactly Σ price·g / Σ t·g.
//!
//! **Keys** (prefix [`PREFIX`] `0x85`): `'a' ‖ 0 ‖ address` / `'a' ‖ 1 ‖ asset u64` attestation,
//! `'r' ‖ job` required share u32, `'j' ‖ job` job energy record, `'x' ‖ epoch u64 ‖ token u32`
//! index accumulator, `'p'` parameters (all JSON but the u32).
//!
//! **Invariant** ([`check_invariants`]): every accumulator equals the sum over the job records
//! settled into it.

mod ops;
#[cfg(test)]
mod tests;
mod tx;
pub mod view;

pub use tx::GreenTx;

pub(crate) use ops::{attest, on_settle, report, require};

use crate::assets::get_json;
use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::{Exec, State, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use verity_primitives::math::{Rounding, checked_add, checked_mul, mul_div};
use verity_primitives::{Address, Timestamp, TokenId, amount_str};

/// Key prefix of the green module.
pub const PREFIX: u8 = 0x85;
/// The oracle feed whose reporters may attest energy.
pub const ENERGY_FEED: &str = "ENERGY";
/// Highest grid intensity accepted, gCO2e/kWh (coal is about 1 000).
pub const MAX_INTENSITY: u32 = 2_000;
/// Milliseconds per hour.
pub const MS_PER_HOUR: u128 = 3_600_000;

/// Module parameters (set at genesis by the `[green]` section, every field optional:
/// `epoch_ms` ≥ 1 000, `max_unbound_power_mw` ≥ 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GreenParams {
    /// Length of an index epoch, ms.
    pub epoch_ms: u64,
    /// Power bound of jobs run on no registered asset, mW.
    pub max_unbound_power_mw: u64,
}

impl GreenParams {
    /// Defaults: one-day epochs, 1 kW for unregistered devices.
    pub const DEFAULT: GreenParams = GreenParams {
        epoch_ms: 86_400_000,
        max_unbound_power_mw: 1_000_000,
    };
}

/// Who an attestation is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Subject {
    /// A provider account (all its devices).
    Provider(Address),
    /// A registered asset.
    Asset(u64),
}

/// An energy attestation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnergyAttestation {
    /// About whom.
    pub subject: Subject,
    /// Certificate-backed green share, bps.
    pub green_bps: u32,
    /// Location-based grid intensity, gCO2e/kWh.
    pub intensity_g_per_kwh: u32,
    /// The reporter.
    pub reporter: Address,
    /// When.
    pub at: Timestamp,
}

/// Energy and carbon of one job (SCI with R = one job).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sci {
    /// Energy, mWh.
    #[serde(with = "amount_str")]
    pub energy_mwh: u128,
    /// Operational emissions E·I, mgCO2e.
    #[serde(with = "amount_str")]
    pub operational_mg: u128,
    /// Embodied share M, mgCO2e.
    #[serde(with = "amount_str")]
    pub embodied_mg: u128,
    /// SCI = operational + embodied, mgCO2e per job.
    #[serde(with = "amount_str")]
    pub sci_mg: u128,
}

/// The SCI of a job (formula in the module doc): power `power_mw` for `run_ms`, grid intensity
/// `intensity` gCO2e/kWh, embodied `embodied_g` gCO2e over `lifetime_hours` (0 = no embodied
/// share).
pub fn sci(
    power_mw: u64,
    run_ms: u64,
    intensity: u32,
    embodied_g: u64,
    lifetime_hours: u64,
) -> Result<Sci, LedgerError> {
    let energy_mwh = mul_div(
        u128::from(power_mw),
        u128::from(run_ms),
        MS_PER_HOUR,
        Rounding::Up,
    )?;
    let operational_mg = mul_div(energy_mwh, u128::from(intensity), 1_000, Rounding::Up)?;
    let embodied_mg = if lifetime_hours == 0 {
        0
    } else {
        mul_div(
            checked_mul(u128::from(embodied_g), 1_000)?,
            u128::from(run_ms),
            checked_mul(u128::from(lifetime_hours), MS_PER_HOUR)?,
            Rounding::Up,
        )?
    };
    Ok(Sci {
        energy_mwh,
        operational_mg,
        embodied_mg,
        sci_mg: checked_add(operational_mg, embodied_mg)?,
    })
}

/// What a job used and emitted, as reported by its provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobEnergy {
    /// Job id.
    pub job: u64,
    /// The provider that reported.
    pub provider: Address,
    /// The asset it ran on.
    pub asset: Option<u64>,
    /// Mean device power, mW.
    pub power_mw: u64,
    /// Run time, ms.
    pub run_ms: u64,
    /// Grid intensity used, gCO2e/kWh.
    pub intensity_g_per_kwh: u32,
    /// Green share, bps (reported beside SCI, never subtracted).
    pub green_bps: u32,
    /// Energy and carbon.
    pub sci: Sci,
    /// Payment token (set at settlement).
    pub token: Option<TokenId>,
    /// Price paid (set at settlement).
    #[serde(with = "amount_str")]
    pub price: u128,
    /// Index epoch it was settled into.
    pub epoch: Option<u64>,
}

/// One epoch's accumulator and index for a payment token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// Epoch number (settle time / epoch_ms).
    pub epoch: u64,
    /// Payment token.
    pub token: TokenId,
    /// Jobs settled with an energy report.
    pub jobs: u64,
    /// Σ run time, GPU-ms.
    #[serde(with = "amount_str")]
    pub gpu_ms: u128,
    /// Σ green GPU-ms.
    #[serde(with = "amount_str")]
    pub green_ms: u128,
    /// Σ green value (price × green share), token base units.
    #[serde(with = "amount_str")]
    pub green_value: u128,
}

impl IndexEntry {
    /// Price of a green GPU-hour (module doc); `None` while no green GPU-ms were sold.
    pub fn index(&self) -> Option<u128> {
        if self.green_ms == 0 {
            return None;
        }
        mul_div(self.green_value, MS_PER_HOUR, self.green_ms, Rounding::Down).ok()
    }
}

/// Events of this module (inside [`Event::Green`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GreenEvent {
    /// An energy attestation was recorded.
    Attested {
        /// Subject.
        subject: Subject,
        /// Green share, bps.
        green_bps: u32,
        /// Intensity, gCO2e/kWh.
        intensity_g_per_kwh: u32,
        /// Reporter.
        reporter: Address,
    },
    /// A buyer required a minimum green share.
    Required {
        /// Job id.
        job: u64,
        /// Least green share, bps.
        min_green_bps: u32,
    },
    /// A provider reported a job's energy.
    Reported {
        /// Job id.
        job: u64,
        /// Energy, mWh.
        #[serde(with = "amount_str")]
        energy_mwh: u128,
        /// SCI, mgCO2e.
        #[serde(with = "amount_str")]
        sci_mg: u128,
        /// Green share, bps.
        green_bps: u32,
    },
    /// A settled job entered the green index.
    Indexed {
        /// Job id.
        job: u64,
        /// Epoch.
        epoch: u64,
        /// Token.
        token: TokenId,
        /// Green GPU-ms added.
        #[serde(with = "amount_str")]
        green_ms: u128,
    },
}

fn emit(ex: &mut Exec<'_>, e: GreenEvent) {
    ex.emit(Event::Green(e));
}

pub(crate) fn err(m: impl Into<String>) -> LedgerError {
    LedgerError::Green(m.into())
}

fn k_att(s: &Subject) -> Vec<u8> {
    let mut k = vec![PREFIX, b'a'];
    match s {
        Subject::Provider(a) => {
            k.push(0);
            k.extend_from_slice(&a.0);
        }
        Subject::Asset(id) => {
            k.push(1);
            k.extend_from_slice(&id.to_be_bytes());
        }
    }
    k
}
fn k_job(tag: u8, job: u64) -> Vec<u8> {
    let mut k = vec![PREFIX, tag];
    k.extend_from_slice(&job.to_be_bytes());
    k
}
fn k_index(epoch: u64, token: TokenId) -> Vec<u8> {
    let mut k = vec![PREFIX, b'x'];
    k.extend_from_slice(&epoch.to_be_bytes());
    k.extend_from_slice(&token.0.to_be_bytes());
    k
}
const K_PARAMS: &[u8] = &[PREFIX, b'p'];

impl Default for GreenParams {
    fn default() -> Self {
        GreenParams::DEFAULT
    }
}

impl GreenParams {
    /// Check the bounds; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.epoch_ms < 1_000 {
            return Err(format!(
                "green.epoch_ms {} must be at least 1000 (one second)",
                self.epoch_ms
            ));
        }
        if self.max_unbound_power_mw == 0 {
            return Err("green.max_unbound_power_mw must be positive".into());
        }
        Ok(())
    }
}

/// Genesis: validate and store the `[green]` section.
pub(crate) fn init_genesis(ex: &mut Exec<'_>, p: &GreenParams) -> Result<(), LedgerError> {
    p.validate().map_err(LedgerError::Genesis)?;
    crate::assets::put_json(ex, K_PARAMS, p);
    Ok(())
}

/// Name of the devnet's energy oracle dev key (`verity devnet` posts attestations with it).
pub const DEV_ENERGY_REPORTER: &str = "energy";

/// The devnet's `ENERGY` feed: the [`DEV_ENERGY_REPORTER`] key may attest energy (no value).
pub fn dev_energy_feed() -> crate::oracle::GenesisFeed {
    crate::oracle::GenesisFeed {
        name: ENERGY_FEED.to_string(),
        reporters: vec![crate::genesis::dev_address_named(DEV_ENERGY_REPORTER)],
        max_age_ms: 2 * 86_400_000,
        initial: None,
    }
}

/// The module parameters.
pub fn params(s: &impl Store) -> Result<GreenParams, LedgerError> {
    Ok(get_json(s, K_PARAMS, "green params")?.unwrap_or(GreenParams::DEFAULT))
}

/// The latest attestation about `subject`.
pub fn attestation(
    s: &impl Store,
    subject: &Subject,
) -> Result<Option<EnergyAttestation>, LedgerError> {
    get_json(s, &k_att(subject), "energy attestation")
}

/// Every attestation (API view).
pub fn attestations(s: &State) -> Result<Vec<EnergyAttestation>, LedgerError> {
    scan_json(s, b'a', "energy attestation")
}

/// The minimum green share job `job` requires (0 = none).
pub fn required(s: &impl Store, job: u64) -> Result<u32, LedgerError> {
    Ok(get_json(s, &k_job(b'r', job), "green requirement")?.unwrap_or(0))
}

/// The energy record of job `job`.
pub fn job_energy(s: &impl Store, job: u64) -> Result<Option<JobEnergy>, LedgerError> {
    get_json(s, &k_job(b'j', job), "job energy")
}

/// Every job energy record, by job id.
pub fn job_energies(s: &State) -> Result<Vec<JobEnergy>, LedgerError> {
    scan_json(s, b'j', "job energy")
}

/// The index accumulator of (`epoch`, `token`).
pub fn index_entry(
    s: &impl Store,
    epoch: u64,
    token: TokenId,
) -> Result<Option<IndexEntry>, LedgerError> {
    get_json(s, &k_index(epoch, token), "green index")
}

/// Every index accumulator, by (epoch, token).
pub fn index_entries(s: &State) -> Result<Vec<IndexEntry>, LedgerError> {
    scan_json(s, b'x', "green index")
}

fn scan_json<T: serde::de::DeserializeOwned>(
    s: &State,
    tag: u8,
    what: &str,
) -> Result<Vec<T>, LedgerError> {
    let mut out = Vec::new();
    for (k, v) in s.scan(PREFIX) {
        if k.len() > 1 && k[1] == tag {
            out.push(
                serde_json::from_slice(v)
                    .map_err(|e| LedgerError::Corrupt(format!("{what}: {e}")))?,
            );
        }
    }
    Ok(out)
}

/// The attestation that applies to `provider` running `job`: its bound asset's, else its own.
pub fn applicable(
    s: &impl Store,
    job: u64,
    provider: &Address,
) -> Result<Option<EnergyAttestation>, LedgerError> {
    if let Some(b) = crate::assets::binding(s, job, provider)?
        && let Some(a) = attestation(s, &Subject::Asset(b.asset))?
    {
        return Ok(Some(a));
    }
    attestation(s, &Subject::Provider(*provider))
}

/// Matching hook: may `provider` serve `job` under its green requirement?
pub(crate) fn may_serve(s: &impl Store, job: u64, provider: &Address) -> Result<bool, LedgerError> {
    let need = required(s, job)?;
    if need == 0 {
        return Ok(true);
    }
    let have = applicable(s, job, provider)?.map_or(0, |a| a.green_bps);
    Ok(have >= need)
}

/// The invariant in the module doc.
pub(crate) fn check_invariants(s: &State) -> Result<(), LedgerError> {
    let mut want: BTreeMap<(u64, TokenId), IndexEntry> = BTreeMap::new();
    for r in job_energies(s)? {
        let (Some(epoch), Some(token)) = (r.epoch, r.token) else {
            continue;
        };
        let e = want.entry((epoch, token)).or_insert(IndexEntry {
            epoch,
            token,
            ..IndexEntry::default()
        });
        let g = u128::from(r.green_bps);
        e.jobs += 1;
        e.gpu_ms = checked_add(e.gpu_ms, u128::from(r.run_ms))?;
        e.green_ms = checked_add(
            e.green_ms,
            mul_div(u128::from(r.run_ms), g, 10_000, Rounding::Down)?,
        )?;
        e.green_value = checked_add(e.green_value, mul_div(r.price, g, 10_000, Rounding::Down)?)?;
    }
    let have = index_entries(s)?;
    if have.len() != want.len() {
        return Err(LedgerError::Invariant(format!(
            "green: {} index entries but settled jobs fill {}",
            have.len(),
            want.len()
        )));
    }
    for e in have {
        if want.get(&(e.epoch, e.token)) != Some(&e) {
            return Err(LedgerError::Invariant(format!(
                "green: index of epoch {} token {} differs from its jobs",
                e.epoch, e.token.0
            )));
        }
    }
    Ok(())
}
