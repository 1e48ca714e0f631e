//! API types of the sAID vault, vesting, ve-governance and auto-savings (issue 5): route paths
//! (also listed in [`crate::routes::ROUTES`]) and response bodies, which are the ledger's own
//! view types so server and client cannot disagree. Client methods are in
//! `client/economy.rs`.

use serde::{Deserialize, Serialize};
use verity_primitives::Address;

/// `GET /v1/vault`: total assets, idle, deployed, accrued, supply, share price, cooldown.
pub const VAULT: &str = "/v1/vault";
/// `GET /v1/vault/{address}`: a holder's shares, their value, maxWithdraw/maxRedeem, requests.
pub const VAULT_POSITION: &str = "/v1/vault/{address}";
/// `GET /v1/vesting/{address}`: the address's schedules with vested and claimable amounts.
pub const VESTING: &str = "/v1/vesting/{address}";
/// `GET /v1/gov`: configuration, total ve power, governable parameters, proposals.
pub const GOV: &str = "/v1/gov";
/// `GET /v1/gov/{address}`: an account's ve lock and power now.
pub const GOV_ACCOUNT: &str = "/v1/gov/{address}";
/// `GET /v1/savings/{address}`: the account's auto-savings policy and waiting dust.
pub const SAVINGS: &str = "/v1/savings/{address}";

/// Body of `GET /v1/vault`.
pub type VaultResponse = verity_ledger::vault::VaultView;
/// Body of `GET /v1/vault/{address}`.
pub type VaultPositionResponse = verity_ledger::vault::VaultPosition;
/// Body of `GET /v1/gov`.
pub type GovResponse = verity_ledger::governance::GovView;
/// Body of `GET /v1/gov/{address}`.
pub type GovAccountResponse = verity_ledger::governance::VeView;

/// Body of `GET /v1/vesting/{address}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VestingResponse {
    /// The beneficiary.
    pub address: Address,
    /// Its schedules (empty if none).
    pub schedules: Vec<verity_ledger::vesting::ScheduleView>,
}

/// Body of `GET /v1/savings/{address}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavingsResponse {
    /// The account.
    pub address: Address,
    /// Its policy, if it set one.
    pub policy: Option<verity_ledger::savings::SavingsPolicy>,
}

/// Every route of this module.
pub const ROUTES: [&str; 6] = [VAULT, VAULT_POSITION, VESTING, GOV, GOV_ACCOUNT, SAVINGS];

/// True for the routes of this module.
pub fn is_economy_route(path: &str) -> bool {
    ROUTES.contains(&path)
}

/// The OpenAPI `responses` object of one of this module's routes.
pub fn openapi_responses(path: &str) -> serde_json::Value {
    let what = match path {
        VAULT => {
            "VaultView: asset, share, total_assets, idle, deployed, accrued, total_supply, \
             share_price (AID base units per whole share), share_decimals, offset, cooldown_ms, \
             losses"
        }
        VAULT_POSITION => {
            "VaultPosition: owner, shares, assets, max_withdraw, max_redeem, requests[{id, \
             shares, assets, ready_at}]"
        }
        VESTING => {
            "VestingResponse: address, schedules[{label, token, total, claimed, start, tge_bps, \
             cliff_ms, duration_ms, vested, claimable}]"
        }
        GOV => {
            "GovView: config {token, voting_period_ms, quorum_bps, timelock_ms, \
             proposal_threshold, next_proposal}, total_power, total_locked, params[], \
             proposals[{id, proposer, param, value, snapshot, total_power, voting_ends, \
             executable_at, yes, no, quorum, executed, status}]"
        }
        GOV_ACCOUNT => "VeView: owner, lock {amount, end (s)}, power",
        _ => {
            "SavingsResponse: address, policy {target, share_bps, max_slippage_bps, min_batch, \
             dust[{token, amount}]} or null"
        }
    };
    let err = |d: &str| {
        serde_json::json!({ "description": d, "content": { "application/json": {
            "schema": { "$ref": "#/components/schemas/ErrorBody" } } } })
    };
    serde_json::json!({
        "200": { "description": "OK", "content": { "application/json": {
            "schema": { "type": "object", "description": what } } } },
        "400": err("Bad address"),
        "404": err("Module not configured on this chain"),
    })
}
