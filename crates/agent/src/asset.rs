//! The provider's GPU asset and energy reports (issue 6).
//!
//! With an [`AssetPlan`] in its config the provider, on each tick until the asset is settled:
//! finds its asset on chain by serial hash (`GET /v1/assets`) or registers it (`RegisterAsset`);
//! once validators confirmed it (status `Active`) and the plan asks for financing, proposes a
//! vault financing deal (`ProposeFinancing`) once. Every job it bids on while the asset is
//! active is bound to it (`BindJobAsset`), so the job carries the asset's id and, under an
//! active deal, the financier share of its payment goes to the vault at settlement.
//!
//! With a mean power set ([`crate::ProviderConfig::power_mw`]) the provider reports every job
//! it committed (`ReportEnergy`): that power and the measured run time, capped at the wall time
//! the ledger allows (commit time − bid close). The ledger computes kWh and SCI from the
//! asset's (or the provider's) energy attestation.

use verity_ledger::assets::{AssetSpec, AssetStatus, AssetTx};
use verity_ledger::green::{GreenEvent, GreenTx};
use verity_ledger::market::Job;
use verity_ledger::{Event, Payload};

use crate::chain::Link;
use crate::{AgentError, AgentEvent};

/// Vault financing the provider asks for its asset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinancingPlan {
    /// AID principal, base units.
    pub principal: u128,
    /// Financier share of each job payment, bps.
    pub share_bps: u32,
    /// Term, ms.
    pub term_ms: u64,
}

/// The GPU asset a provider runs its jobs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetPlan {
    /// The device as registered.
    pub spec: AssetSpec,
    /// Financing to propose once the asset is active (none: run unfinanced).
    pub financing: Option<FinancingPlan>,
}

/// What the provider knows of its asset.
#[derive(Clone, Debug, Default)]
pub(crate) struct AssetState {
    /// Its id once registered.
    pub id: Option<u64>,
    /// Last status seen.
    pub status: Option<AssetStatus>,
    /// Financing proposed (or not needed).
    pub financed: bool,
    /// Registration sent, waiting to see the record.
    pub registering: bool,
}

impl AssetState {
    /// The asset to bind jobs to: known and active.
    pub fn active(&self) -> Option<u64> {
        (self.status == Some(AssetStatus::Active))
            .then_some(self.id)
            .flatten()
    }

    /// Nothing left to do but bind jobs.
    fn settled(&self) -> bool {
        self.status == Some(AssetStatus::Active) && self.financed
    }

    /// One step towards a registered, active and (if planned) financed asset.
    pub fn advance(
        &mut self,
        link: &Link,
        plan: &AssetPlan,
        ev: &mut dyn FnMut(&AgentEvent),
    ) -> Result<(), AgentError> {
        if self.settled() {
            return Ok(());
        }
        let all = link.client().assets()?;
        let me = link.address();
        let Some(a) = all
            .assets
            .iter()
            .find(|a| a.spec.serial_hash == plan.spec.serial_hash && a.operator == me)
        else {
            if !self.registering {
                link.send(
                    "RegisterAsset",
                    Payload::Assets(AssetTx::Register(plan.spec.clone())),
                )?;
                self.registering = true;
                ev(&AgentEvent::AssetRegistered {
                    model: plan.spec.model.clone(),
                });
            }
            return Ok(());
        };
        if self.status != Some(a.status) {
            ev(&AgentEvent::AssetReady {
                asset: a.id,
                status: format!("{:?}", a.status),
            });
        }
        self.id = Some(a.id);
        self.status = Some(a.status);
        if a.status != AssetStatus::Active {
            return Ok(());
        }
        match &plan.financing {
            None => self.financed = true,
            Some(_) if a.deal.is_some() => self.financed = true,
            Some(f) => {
                link.send(
                    "ProposeFinancing",
                    Payload::Assets(AssetTx::ProposeFinancing {
                        asset: a.id,
                        principal: f.principal,
                        share_bps: f.share_bps,
                        term_ms: f.term_ms,
                    }),
                )?;
                self.financed = true;
                ev(&AgentEvent::FinancingProposed {
                    asset: a.id,
                    principal: f.principal,
                    share_bps: f.share_bps,
                });
            }
        }
        Ok(())
    }
}

/// Bind `job` (just bid on) to the active asset, if any. A refusal (e.g. a financed asset and a
/// job not paid in the vault's asset) is reported and the job runs unbound.
pub(crate) fn bind(
    link: &Link,
    state: &AssetState,
    job: u64,
    ev: &mut dyn FnMut(&AgentEvent),
) -> Result<(), AgentError> {
    let Some(asset) = state.active() else {
        return Ok(());
    };
    match link.send(
        &format!("BindJobAsset of job {job}"),
        Payload::Assets(AssetTx::BindJob { job, asset }),
    ) {
        Ok(_) => {
            ev(&AgentEvent::AssetBound { job, asset });
            Ok(())
        }
        Err(e) if e.is_transport() => Err(e),
        Err(e) => {
            ev(&AgentEvent::Warning {
                job: Some(job),
                message: format!("job runs without its asset: {e}"),
            });
            Ok(())
        }
    }
}

/// The run time to report for `j` (committed): the measured `run_ms`, within the ledger's
/// bound 1..=(commit time − bid close); `None` without a commit or with no wall time.
pub fn reported_run_ms(j: &Job, run_ms: u64) -> Option<u64> {
    let c = j.commit.as_ref()?;
    clamp_run_ms(j.bid_close.0, c.at.0, run_ms)
}

/// [`reported_run_ms`] on plain numbers (ms).
pub fn clamp_run_ms(bid_close: u64, commit_at: u64, run_ms: u64) -> Option<u64> {
    let wall = commit_at.saturating_sub(bid_close);
    (wall > 0).then(|| run_ms.clamp(1, wall))
}

/// Report the energy of committed job `j`: `power_mw` for the measured `run_ms`.
pub(crate) fn report_energy(
    link: &Link,
    j: &Job,
    power_mw: u64,
    run_ms: u64,
    ev: &mut dyn FnMut(&AgentEvent),
) -> Result<(), AgentError> {
    let Some(run_ms) = reported_run_ms(j, run_ms) else {
        return Err(AgentError::BadJob {
            job: j.id,
            reason: "committed in the block its bidding closed; no run time to report".into(),
        });
    };
    let r = link.send(
        &format!("ReportEnergy of job {}", j.id),
        Payload::Green(GreenTx::Report {
            job: j.id,
            power_mw,
            run_ms,
        }),
    )?;
    for e in &r.events {
        if let Event::Green(GreenEvent::Reported {
            job,
            energy_mwh,
            sci_mg,
            green_bps,
        }) = e
        {
            ev(&AgentEvent::EnergyReported {
                job: *job,
                energy_mwh: *energy_mwh,
                sci_mg: *sci_mg,
                green_bps: *green_bps,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_time_is_clamped_to_the_ledger_bound() {
        assert_eq!(clamp_run_ms(1_000, 5_000, 2_500), Some(2_500));
        assert_eq!(clamp_run_ms(1_000, 5_000, 9_000), Some(4_000));
        assert_eq!(clamp_run_ms(1_000, 5_000, 0), Some(1));
        assert_eq!(clamp_run_ms(5_000, 5_000, 10), None);
        assert_eq!(clamp_run_ms(6_000, 5_000, 10), None);
    }
}
