//! [`AgentEvent`]: what an agent reports while it works. `Display` gives one line for people
//! ("job 3: committed trace 0xab12… (120 steps)"); `Serialize` gives JSON for `--json`
//! (`{"event":"Committed","job":3,…}`, amounts as decimal strings).

use serde::Serialize;
use verity_primitives::{Address, Hash, amount_str};

/// Something an agent did or saw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event")]
pub enum AgentEvent {
    /// The agent started.
    Started {
        /// `provider` or `verifier`.
        role: String,
        /// Its account.
        address: Address,
    },
    /// The account registered its actor record.
    Registered {
        /// Its account.
        address: Address,
        /// Actor kind (`Provider`, `Agent`).
        kind: String,
    },
    /// Stake bonded up to the target.
    Bonded {
        /// Bonded now.
        #[serde(with = "amount_str")]
        amount: u128,
        /// Bonded in total.
        #[serde(with = "amount_str")]
        bonded: u128,
    },
    /// The node could not be reached; retrying.
    NodeDown {
        /// What failed.
        error: String,
        /// Next try in this many ms.
        retry_ms: u64,
    },
    /// A job was skipped.
    Skipped {
        /// Job id.
        job: u64,
        /// Why.
        reason: String,
    },
    /// A bid was placed.
    Bid {
        /// Job id.
        job: u64,
        /// Price.
        #[serde(with = "amount_str")]
        price: u128,
    },
    /// The job was assigned to this provider.
    Assigned {
        /// Job id.
        job: u64,
        /// Price.
        #[serde(with = "amount_str")]
        price: u128,
    },
    /// Run progress.
    Progress {
        /// Job id.
        job: u64,
        /// Steps done.
        step: u64,
        /// Steps in total.
        steps: u64,
    },
    /// **Test/demo fault injection** is corrupting this run.
    FaultInjected {
        /// Job id.
        job: u64,
        /// Step.
        step: u64,
        /// Leaf index of the corrupted op.
        leaf: u64,
    },
    /// Outputs uploaded to the content store.
    Uploaded {
        /// Job id.
        job: u64,
        /// The output manifest's hash (the committed output hash).
        manifest: Hash,
        /// Blobs uploaded (manifest included).
        blobs: usize,
    },
    /// The result was committed.
    Committed {
        /// Job id.
        job: u64,
        /// Trace root.
        trace_root: Hash,
        /// Steps.
        steps: u64,
    },
    /// The job settled and paid.
    Settled {
        /// Job id.
        job: u64,
        /// Paid to the provider.
        #[serde(with = "amount_str")]
        paid: u128,
        /// Protocol fee.
        #[serde(with = "amount_str")]
        fee: u128,
    },
    /// A verifier re-ran sampled steps.
    Checked {
        /// Job id.
        job: u64,
        /// Steps re-run.
        steps_rerun: u64,
        /// Steps in the job.
        steps: u64,
        /// Whether every re-run step hash matched the commit.
        agree: bool,
    },
    /// A verifier attested a job.
    Attested {
        /// Job id.
        job: u64,
    },
    /// A challenge was opened.
    Challenged {
        /// Job id.
        job: u64,
        /// Dispute id.
        dispute: u64,
        /// Bond.
        #[serde(with = "amount_str")]
        bond: u128,
    },
    /// A bisection move was sent.
    Round {
        /// Dispute id.
        dispute: u64,
        /// Round number (1-based) this move belongs to.
        round: u32,
        /// `Steps` or `Leaves`.
        phase: String,
        /// First index of the range bisected.
        lo: u64,
        /// Size of the range.
        size: u64,
    },
    /// Evidence for the disputed op was sent.
    Evidence {
        /// Dispute id.
        dispute: u64,
        /// Disputed step.
        step: u64,
        /// Disputed leaf.
        leaf: u64,
    },
    /// A timeout was claimed.
    TimeoutClaimed {
        /// Dispute id.
        dispute: u64,
    },
    /// A dispute this agent is a party to was ruled.
    Ruled {
        /// Dispute id.
        dispute: u64,
        /// Job id.
        job: u64,
        /// `Provider`, `Challenger` or `Neither`.
        winner: String,
        /// Whether this agent won.
        won: bool,
        /// Provider stake slashed.
        #[serde(with = "amount_str")]
        slashed: u128,
        /// Paid to the winner.
        #[serde(with = "amount_str")]
        paid: u128,
        /// Rounds played.
        rounds: u32,
    },
    /// The provider registered its GPU asset (issue 6).
    AssetRegistered {
        /// Model.
        model: String,
    },
    /// The provider's asset is known on chain with this id and status.
    AssetReady {
        /// Asset id.
        asset: u64,
        /// Status (`Pending`, `Active`, `Suspended`).
        status: String,
    },
    /// The operator proposed vault financing of its asset.
    FinancingProposed {
        /// Asset id.
        asset: u64,
        /// AID principal.
        #[serde(with = "amount_str")]
        principal: u128,
        /// Financier share of job revenue, bps.
        share_bps: u32,
    },
    /// A job was bound to the provider's asset (its revenue is the asset's).
    AssetBound {
        /// Job id.
        job: u64,
        /// Asset id.
        asset: u64,
    },
    /// The provider reported a job's energy; the ledger computed its carbon (SCI).
    EnergyReported {
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
    /// Something went wrong with one job or call; the agent carries on.
    Warning {
        /// Job id, if one job is concerned.
        job: Option<u64>,
        /// What happened.
        message: String,
    },
}

fn short(h: &Hash) -> String {
    let s = h.to_string();
    format!("{}…", &s[..s.len().min(8)])
}

impl std::fmt::Display for AgentEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use AgentEvent::*;
        match self {
            Started { role, address } => write!(f, "{role} {address} started"),
            Registered { address, kind } => write!(f, "registered {address} as {kind}"),
            Bonded { amount, bonded } => write!(f, "bonded {amount} (now {bonded} bonded)"),
            NodeDown { error, retry_ms } => {
                write!(f, "node unreachable ({error}); retrying in {retry_ms} ms")
            }
            Skipped { job, reason } => write!(f, "job {job}: skipped: {reason}"),
            Bid { job, price } => write!(f, "job {job}: bid {price}"),
            Assigned { job, price } => write!(f, "job {job}: assigned at {price}"),
            Progress { job, step, steps } => write!(f, "job {job}: step {step}/{steps}"),
            FaultInjected { job, step, leaf } => write!(
                f,
                "job {job}: FAULT INJECTION (test): flipping a bit of leaf {leaf} at step {step}"
            ),
            Uploaded {
                job,
                manifest,
                blobs,
            } => write!(
                f,
                "job {job}: uploaded {blobs} blobs, manifest {}",
                short(manifest)
            ),
            Committed {
                job,
                trace_root,
                steps,
            } => write!(
                f,
                "job {job}: committed trace {} ({steps} steps)",
                short(trace_root)
            ),
            AssetRegistered { model } => write!(f, "registered GPU asset {model}"),
            AssetReady { asset, status } => write!(f, "asset {asset} is {status}"),
            FinancingProposed {
                asset,
                principal,
                share_bps,
            } => write!(
                f,
                "asset {asset}: proposed vault financing of {principal} AID base units for {share_bps} bps of revenue"
            ),
            AssetBound { job, asset } => write!(f, "job {job}: runs on asset {asset}"),
            EnergyReported {
                job,
                energy_mwh,
                sci_mg,
                green_bps,
            } => write!(
                f,
                "job {job}: energy {}.{:06} kWh, carbon {}.{:03} gCO2e (SCI), green share {}.{:02}%",
                energy_mwh / 1_000_000,
                energy_mwh % 1_000_000,
                sci_mg / 1_000,
                sci_mg % 1_000,
                green_bps / 100,
                green_bps % 100
            ),
            Settled { job, paid, fee } => write!(f, "job {job}: settled, paid {paid} (fee {fee})"),
            Checked {
                job,
                steps_rerun,
                steps,
                agree,
            } => write!(
                f,
                "job {job}: re-ran {steps_rerun} of {steps} steps: {}",
                if *agree { "agree" } else { "MISMATCH" }
            ),
            Attested { job } => write!(f, "job {job}: attested"),
            Challenged { job, dispute, bond } => {
                write!(f, "job {job}: challenged (dispute {dispute}, bond {bond})")
            }
            Round {
                dispute,
                round,
                phase,
                lo,
                size,
            } => write!(
                f,
                "dispute {dispute}: round {round} ({phase} {lo}..{})",
                lo.saturating_add(*size)
            ),
            Evidence {
                dispute,
                step,
                leaf,
            } => write!(f, "dispute {dispute}: evidence for step {step} leaf {leaf}"),
            TimeoutClaimed { dispute } => write!(f, "dispute {dispute}: timeout claimed"),
            Ruled {
                dispute,
                job,
                winner,
                won,
                slashed,
                paid,
                rounds,
            } => write!(
                f,
                "dispute {dispute} (job {job}): {winner} wins after {rounds} rounds ({}), slashed {slashed}, paid {paid}",
                if *won { "we won" } else { "we lost" }
            ),
            Warning {
                job: Some(j),
                message,
            } => write!(f, "job {j}: warning: {message}"),
            Warning { job: None, message } => write!(f, "warning: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_and_json() {
        let e = AgentEvent::Committed {
            job: 3,
            trace_root: Hash([0xab; 32]),
            steps: 120,
        };
        assert_eq!(
            e.to_string(),
            "job 3: committed trace 0xababab… (120 steps)"
        );
        let j = serde_json::to_value(&e).unwrap();
        assert_eq!(j["event"], "Committed");
        assert_eq!(j["job"], 3);
        let s = AgentEvent::Settled {
            job: 1,
            paid: 975,
            fee: 25,
        };
        assert_eq!(serde_json::to_value(&s).unwrap()["paid"], "975");
        let e = AgentEvent::EnergyReported {
            job: 2,
            energy_mwh: 1_234_567,
            sci_mg: 41_005,
            green_bps: 8_050,
        };
        assert_eq!(
            e.to_string(),
            "job 2: energy 1.234567 kWh, carbon 41.005 gCO2e (SCI), green share 80.50%"
        );
        assert_eq!(serde_json::to_value(&e).unwrap()["sci_mg"], "41005");
        assert!(!s.to_string().contains('\n'));
    }
}
