//! What a run simulates: [`SimConfig`], its defaults (the stated assumptions of every report)
//! and their bounds.

use crate::SimError;
use serde::{Deserialize, Serialize};

/// A simulation's settings. Every field is printed in the report so a reader knows what was
/// assumed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Simulated days (one block per simulated hour, 24 a day).
    pub days: u32,
    /// Providers; even-numbered ones (0, 2, …) set an auto-savings policy into TBILL, odd ones
    /// hold what they earn.
    pub providers: u32,
    /// The seed of every random choice.
    pub seed: u64,
    /// Buyers posting jobs.
    pub buyers: u32,
    /// Staked verifiers besides the providers (every staked agent verifies when drawn).
    pub verifiers: u32,
    /// Savers depositing into the sAID vault.
    pub savers: u32,
    /// Mean jobs posted per simulated hour (Poisson).
    pub jobs_per_hour: f64,
    /// Every `cheater_every`-th provider (index `k·n − 1`) is a cheater; 0 = none.
    pub cheater_every: u32,
    /// Probability a cheater commits a wrong trace root on a job it runs.
    pub cheat_probability: f64,
    /// Spot-check probability buyers ask for, bps.
    pub spot_check_bps: u32,
    /// Annualised volatility of the VTY reference price (log random walk, no drift).
    pub vty_volatility: f64,
    /// Buyers' budget per GPU-hour, USD.
    pub usd_per_gpu_hour: f64,
    /// Share of each payment a saving provider converts, bps.
    pub savings_share_bps: u32,
    /// Starting annual T-bill yield (0.045 = 4.5%).
    pub tbill_yield: f64,
    /// Daily standard deviation of the yield path (0.0002 = 2 bp), mean-reverting to the start.
    pub tbill_yield_daily_sd: f64,
    /// The financing deal's revenue share: the part of each financed GPU job's pay the ledger
    /// sends the sAID vault at settlement, bps (see `financing`).
    pub financing_share_bps: u32,
    /// AID principal the vault lends the GPU operator, whole AID.
    pub financing_principal_aid: u32,
    /// Mean GPU jobs paid in AID posted per simulated hour for the financed GPU while its deal
    /// is active (Poisson).
    pub financed_jobs_per_hour: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            days: 30,
            providers: 5,
            seed: 1,
            buyers: 3,
            verifiers: 2,
            savers: 3,
            jobs_per_hour: 1.5,
            cheater_every: 5,
            cheat_probability: 0.3,
            spot_check_bps: 5_000,
            vty_volatility: 0.8,
            usd_per_gpu_hour: 2.0,
            savings_share_bps: 10_000,
            tbill_yield: 0.045,
            tbill_yield_daily_sd: 0.0002,
            financing_share_bps: 2_000,
            financing_principal_aid: 5_000,
            financed_jobs_per_hour: 0.5,
        }
    }
}

impl SimConfig {
    /// Check every bound; the error names the setting.
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |m: String| Err(SimError::Config(m));
        if self.days == 0 || self.days > 3_660 {
            return bad(format!("days {} must be in 1..=3660", self.days));
        }
        if self.providers < 2 || self.providers > 200 {
            return bad(format!(
                "providers {} must be in 2..=200 (one saving, one holding)",
                self.providers
            ));
        }
        if self.buyers == 0 || self.buyers > 50 || self.savers > 50 || self.verifiers > 50 {
            return bad("buyers must be in 1..=50; savers and verifiers at most 50".into());
        }
        if !(0.0..=50.0).contains(&self.jobs_per_hour) {
            return bad(format!(
                "jobs_per_hour {} must be in 0..=50",
                self.jobs_per_hour
            ));
        }
        if !(0.0..=50.0).contains(&self.financed_jobs_per_hour)
            || self.financing_principal_aid > 100_000_000
        {
            return bad(
                "financed_jobs_per_hour must be in 0..=50 and financing_principal_aid at most 1e8"
                    .into(),
            );
        }
        if !(0.0..=1.0).contains(&self.cheat_probability) {
            return bad("cheat_probability must be in 0..=1".into());
        }
        if self.spot_check_bps > 10_000
            || self.savings_share_bps > 10_000
            || self.financing_share_bps > 10_000
        {
            return bad("bps settings must be at most 10000".into());
        }
        if !(0.0..=5.0).contains(&self.vty_volatility) {
            return bad("vty_volatility must be in 0..=5 (annualised)".into());
        }
        if !(0.01..=1_000.0).contains(&self.usd_per_gpu_hour) {
            return bad("usd_per_gpu_hour must be in 0.01..=1000".into());
        }
        if !(0.0..=0.2).contains(&self.tbill_yield)
            || !(0.0..=0.01).contains(&self.tbill_yield_daily_sd)
        {
            return bad("tbill_yield must be in 0..=0.2 and its daily sd in 0..=0.01".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounds_are_named() {
        SimConfig::default().validate().expect("defaults are valid");
        let e = SimConfig {
            days: 0,
            ..SimConfig::default()
        }
        .validate()
        .expect_err("zero days");
        assert!(e.to_string().contains("days"));
        let e = SimConfig {
            providers: 1,
            ..SimConfig::default()
        }
        .validate()
        .expect_err("one provider");
        assert!(e.to_string().contains("providers"));
    }
}
