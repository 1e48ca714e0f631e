//! Agent configuration: [`ProviderConfig`], [`VerifierConfig`] and the provider's [`Pricing`]
//! policy. Amounts are base units (u128) of the token named by the job (prices) or of the
//! staking token (stake, bonds).

use std::path::PathBuf;
use std::time::Duration;

use verity_ledger::{SecretKey, TokenId};

use crate::fault::FaultInjection;

/// How a provider prices a job: `floor = per_step × steps + per_op × steps × ops_per_step`,
/// its bid is `floor × (10 000 + markup_bps) / 10 000` capped at the job's max price. A job
/// whose max price is below the floor, or whose payment token is not accepted, is skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pricing {
    /// Floor per training step (base units of the job's payment token).
    pub per_step: u128,
    /// Floor per op executed (base units of the job's payment token).
    pub per_op: u128,
    /// Markup over the floor, bps.
    pub markup_bps: u32,
    /// Payment tokens accepted; empty accepts any.
    pub tokens: Vec<TokenId>,
}

impl Default for Pricing {
    fn default() -> Self {
        Pricing {
            per_step: 1,
            per_op: 0,
            markup_bps: 0,
            tokens: Vec::new(),
        }
    }
}

impl Pricing {
    /// The floor price of a job of `steps` steps with `ops_per_step` ops each (saturating).
    pub fn floor(&self, steps: u64, ops_per_step: u64) -> u128 {
        let steps = u128::from(steps);
        self.per_step.saturating_mul(steps).saturating_add(
            self.per_op
                .saturating_mul(steps)
                .saturating_mul(u128::from(ops_per_step)),
        )
    }

    /// The bid for that job given its `max_price`, or `None` when the floor is above it (or
    /// zero-priced jobs: the ledger refuses a zero bid).
    pub fn bid(&self, steps: u64, ops_per_step: u64, max_price: u128) -> Option<u128> {
        let floor = self.floor(steps, ops_per_step);
        if floor > max_price {
            return None;
        }
        let marked = floor
            .saturating_mul(10_000 + u128::from(self.markup_bps))
            .div_ceil(10_000);
        Some(marked.min(max_price).max(1))
    }

    /// Whether jobs paying in `token` are accepted.
    pub fn accepts(&self, token: TokenId) -> bool {
        self.tokens.is_empty() || self.tokens.contains(&token)
    }
}

/// What the machine offers (checked against a job's requirements).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capacity {
    /// Device class (`cpu`); a job asking for another class is skipped. Compared
    /// case-insensitively; a job with an empty class accepts any.
    pub device_class: String,
    /// Cores offered.
    pub cores: u32,
    /// Memory offered, MiB.
    pub memory_mb: u64,
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity {
            device_class: "cpu".into(),
            cores: std::thread::available_parallelism()
                .map_or(1, |n| u32::try_from(n.get()).unwrap_or(u32::MAX)),
            memory_mb: 4096,
        }
    }
}

/// A provider agent's settings.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// Node URL (`http://127.0.0.1:8645`).
    pub node_url: String,
    /// The provider's secret key.
    pub key: SecretKey,
    /// Where job files, traces, checkpoints and outputs are kept (`<work_dir>/job-<id>/`).
    pub work_dir: PathBuf,
    /// Compute threads for `ree` (results never depend on it).
    pub threads: usize,
    /// Pricing policy.
    pub pricing: Pricing,
    /// What the machine offers.
    pub capacity: Capacity,
    /// Bond staking tokens until bonded stake reaches this (0: never bond).
    pub stake_target: u128,
    /// How often to poll the node.
    pub poll_interval: Duration,
    /// Checkpoint every this many steps when the spec says 0 (verifiers re-run from them).
    pub checkpoint_every: u64,
    /// Actor metadata registered on first start.
    pub metadata: String,
    /// **Tests and demos only**: corrupt one op output in every job run (see [`crate::fault`]).
    pub fault: Option<FaultInjection>,
    /// The GPU asset its jobs run on, and the financing to ask for it (see [`crate::asset`]).
    pub asset: Option<crate::asset::AssetPlan>,
    /// Mean device power, mW: when set, every committed job's energy is reported with it.
    pub power_mw: Option<u64>,
}

impl ProviderConfig {
    /// Settings with defaults: 1 thread, default pricing and capacity, no stake target, poll
    /// every 200 ms, checkpoints every 10 steps, no fault, no asset, no energy reports.
    pub fn new(node_url: &str, key: SecretKey, work_dir: impl Into<PathBuf>) -> Self {
        ProviderConfig {
            node_url: node_url.to_string(),
            key,
            work_dir: work_dir.into(),
            threads: 1,
            pricing: Pricing::default(),
            capacity: Capacity::default(),
            stake_target: 0,
            poll_interval: Duration::from_millis(200),
            checkpoint_every: 10,
            metadata: "verity provider agent".into(),
            fault: None,
            asset: None,
            power_mw: None,
        }
    }
}

/// A verifier agent's settings.
#[derive(Clone, Debug)]
pub struct VerifierConfig {
    /// Node URL.
    pub node_url: String,
    /// The verifier's secret key.
    pub key: SecretKey,
    /// Where job files and re-run traces are kept.
    pub work_dir: PathBuf,
    /// Compute threads for `ree`.
    pub threads: usize,
    /// Bond staking tokens until bonded stake reaches this (challenging needs stake).
    pub stake_target: u128,
    /// Bond posted with a challenge (staking token).
    pub challenge_bond: u128,
    /// Steps re-run per checked job (0: every step).
    pub sample_steps: u64,
    /// Also check committed jobs the ledger did not select this verifier for.
    pub whistleblower: bool,
    /// How often to poll the node.
    pub poll_interval: Duration,
    /// Actor metadata registered on first start.
    pub metadata: String,
}

impl VerifierConfig {
    /// Settings with defaults: 1 thread, no stake target, bond 1, 4 sampled steps, checks only
    /// jobs it is selected for, poll every 200 ms.
    pub fn new(node_url: &str, key: SecretKey, work_dir: impl Into<PathBuf>) -> Self {
        VerifierConfig {
            node_url: node_url.to_string(),
            key,
            work_dir: work_dir.into(),
            threads: 1,
            stake_target: 0,
            challenge_bond: 1,
            sample_steps: 4,
            whistleblower: false,
            poll_interval: Duration::from_millis(200),
            metadata: "verity verifier agent".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bid_policy() {
        let p = Pricing {
            per_step: 10,
            per_op: 1,
            markup_bps: 1_000,
            tokens: vec![TokenId(1)],
        };
        assert_eq!(p.floor(4, 5), 60);
        assert_eq!(p.bid(4, 5, 1_000), Some(66));
        assert_eq!(p.bid(4, 5, 62), Some(62));
        assert_eq!(p.bid(4, 5, 59), None);
        assert!(p.accepts(TokenId(1)) && !p.accepts(TokenId(2)));
    }

    proptest! {
        #[test]
        fn bid_within_floor_and_max(s in 0u64..1_000_000, o in 0u64..10_000, ps in 0u128..1_000_000,
                                    po in 0u128..1_000, m in 0u32..50_000, max in 1u128..u128::MAX / 4) {
            let p = Pricing { per_step: ps, per_op: po, markup_bps: m, tokens: vec![] };
            match p.bid(s, o, max) {
                Some(b) => prop_assert!(b <= max && b >= p.floor(s, o).max(1).min(max)),
                None => prop_assert!(p.floor(s, o) > max),
            }
        }
    }
}
