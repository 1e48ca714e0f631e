//! Market and dispute parameters ([`MarketParams`]): their defaults, their bounds, where they
//! live in state (`0x60 'c'`, JSON) and how they get there — the genesis `[market]` section
//! (every field optional; absent fields and an absent section take [`MarketParams::DEFAULT`]),
//! later changed only by governance (`market_fee_bps`).
//!
//! ```toml
//! [market]
//! fee_bps = 250
//! collateral_factor_bps = 20000
//! expire_slash_bps = 1000
//! winner_share_bps = 5000
//! min_challenge_bond = "1"        # base units of the staking token (a string)
//! round_blocks = 10
//! max_bids = 32
//! max_data_hashes = 16
//! min_verifier_stake = "1"        # least bonded stake to be sampled as a verifier
//! verifiers_per_job = 1           # k, drawn by stake without replacement
//! verifier_fee_share_bps = 2000   # share of the protocol fee for the selected verifiers
//! ```

use super::PREFIX;
use crate::error::LedgerError;
use crate::state::{Exec, Store};
use serde::{Deserialize, Serialize};
use verity_primitives::amount_str;

/// Market and dispute parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketParams {
    /// Protocol fee on the price, bps (250 = 2.5%).
    pub fee_bps: u32,
    /// Collateral a provider locks, bps of the price (20 000 = 2 × price).
    pub collateral_factor_bps: u32,
    /// Share of an assigned provider's collateral burned when it lets the deadline pass, bps.
    pub expire_slash_bps: u32,
    /// Share of the loser's slashed stake / bond paid to the dispute winner, bps; the rest is
    /// burned.
    pub winner_share_bps: u32,
    /// Least bond (staking token) a challenger must post.
    #[serde(with = "amount_str")]
    pub min_challenge_bond: u128,
    /// Blocks each dispute round may take before the silent side loses.
    pub round_blocks: u64,
    /// Most bids a job accepts.
    pub max_bids: usize,
    /// Most data hashes a job names.
    pub max_data_hashes: usize,
    /// Least bonded stake (staking token) an account needs to be sampled as a verifier.
    #[serde(with = "amount_str")]
    pub min_verifier_stake: u128,
    /// Verifiers drawn (by stake, without replacement) for a job selected for a spot check.
    pub verifiers_per_job: u32,
    /// Share of the protocol fee set aside for the selected verifiers, bps; each attesting
    /// verifier gets an equal part (pool / verifiers drawn), the rest stays with the fee account.
    pub verifier_fee_share_bps: u32,
}

impl Default for MarketParams {
    fn default() -> Self {
        MarketParams::DEFAULT
    }
}

/// Most verifiers a job may draw.
pub const MAX_VERIFIERS_PER_JOB: u32 = 16;
/// Most bids / data hashes the parameters may allow.
pub const MAX_LIST_PARAM: usize = 1024;

impl MarketParams {
    /// The defaults.
    pub const DEFAULT: MarketParams = MarketParams {
        fee_bps: 250,
        collateral_factor_bps: 20_000,
        expire_slash_bps: 1_000,
        winner_share_bps: 5_000,
        min_challenge_bond: 1,
        round_blocks: 10,
        max_bids: 32,
        max_data_hashes: 16,
        min_verifier_stake: 1,
        verifiers_per_job: 1,
        verifier_fee_share_bps: 2_000,
    };

    /// Check the bounds; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("fee_bps", self.fee_bps),
            ("expire_slash_bps", self.expire_slash_bps),
            ("winner_share_bps", self.winner_share_bps),
            ("verifier_fee_share_bps", self.verifier_fee_share_bps),
        ] {
            if v > 10_000 {
                return Err(format!("market.{name} {v} is above 10000 bps"));
            }
        }
        if self.collateral_factor_bps == 0 || self.collateral_factor_bps > 1_000_000 {
            return Err(format!(
                "market.collateral_factor_bps {} must be in 1..=1000000",
                self.collateral_factor_bps
            ));
        }
        if self.min_challenge_bond == 0 || self.min_verifier_stake == 0 {
            return Err(
                "market.min_challenge_bond and market.min_verifier_stake must be positive".into(),
            );
        }
        if self.round_blocks == 0 {
            return Err("market.round_blocks must be positive".into());
        }
        if self.max_bids == 0 || self.max_bids > MAX_LIST_PARAM {
            return Err(format!(
                "market.max_bids {} must be in 1..={MAX_LIST_PARAM}",
                self.max_bids
            ));
        }
        if self.max_data_hashes > MAX_LIST_PARAM {
            return Err(format!(
                "market.max_data_hashes {} must be at most {MAX_LIST_PARAM}",
                self.max_data_hashes
            ));
        }
        if self.verifiers_per_job == 0 || self.verifiers_per_job > MAX_VERIFIERS_PER_JOB {
            return Err(format!(
                "market.verifiers_per_job {} must be in 1..={MAX_VERIFIERS_PER_JOB}",
                self.verifiers_per_job
            ));
        }
        Ok(())
    }
}

const KEY: &[u8] = &[PREFIX, b'c'];

/// The parameters in force ([`MarketParams::DEFAULT`] when the chain stored none).
pub fn params(s: &impl Store) -> Result<MarketParams, LedgerError> {
    match s.get(KEY) {
        None => Ok(MarketParams::DEFAULT),
        Some(v) => serde_json::from_slice(v)
            .map_err(|e| LedgerError::Corrupt(format!("market params: {e}"))),
    }
}

/// Store `p` (validated first).
pub(crate) fn put_params(ex: &mut Exec<'_>, p: &MarketParams) -> Result<(), LedgerError> {
    p.validate().map_err(LedgerError::Market)?;
    ex.put(
        KEY,
        Some(serde_json::to_vec(p).expect("market params always serialise")),
    );
    Ok(())
}

/// Genesis: store the `[market]` section.
pub(crate) fn init_genesis(ex: &mut Exec<'_>, p: &MarketParams) -> Result<(), LedgerError> {
    p.validate().map_err(LedgerError::Genesis)?;
    put_params(ex, p)
}
