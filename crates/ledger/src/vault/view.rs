//! Read views of the `vault` module for the API: the vault summary ([`view`], `GET /v1/vault`)
//! and one holder's position with `maxWithdraw`/`maxRedeem` and pending requests ([`position`]).

use super::{ExitRequest, idle, max_redeem, max_withdraw, requests, totals_of, vault_state};
use crate::error::LedgerError;
use crate::state::State;
use crate::tokens;
use serde::{Deserialize, Serialize};
use verity_primitives::math::Rounding;
use verity_primitives::{Address, TokenId, amount_str};

/// The vault as `GET /v1/vault` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultView {
    /// Underlying asset.
    pub asset: TokenId,
    /// Share token.
    pub share: TokenId,
    /// Total assets (idle + deployed + accrued).
    #[serde(with = "amount_str")]
    pub total_assets: u128,
    /// Idle AID in the vault account.
    #[serde(with = "amount_str")]
    pub idle: u128,
    /// Capital deployed.
    #[serde(with = "amount_str")]
    pub deployed: u128,
    /// Revenue accrued, not yet received.
    #[serde(with = "amount_str")]
    pub accrued: u128,
    /// Idle AID reserved for pending exit requests.
    #[serde(default, with = "amount_str")]
    pub reserved: u128,
    /// Share supply (locked request shares included).
    #[serde(with = "amount_str")]
    pub total_supply: u128,
    /// AID base units one whole share (10^share decimals) redeems for (rounded down).
    #[serde(with = "amount_str")]
    pub share_price: u128,
    /// Decimals of the share token.
    pub share_decimals: u8,
    /// Decimals offset (virtual shares = 10^offset).
    pub offset: u8,
    /// Exit cooldown, ms.
    pub cooldown_ms: u64,
    /// Σ recorded losses.
    #[serde(with = "amount_str")]
    pub losses: u128,
}

/// The vault summary.
pub fn view(s: &State) -> Result<VaultView, LedgerError> {
    let st = vault_state(s)?;
    let t = totals_of(s, &st)?;
    let dec = tokens::token_info(s, st.share)?.decimals;
    let one = 10u128
        .checked_pow(u32::from(dec))
        .ok_or(verity_primitives::MathError::Overflow)?;
    Ok(VaultView {
        asset: st.asset,
        share: st.share,
        total_assets: t.assets,
        idle: idle(s, &st)?,
        deployed: st.deployed,
        accrued: st.accrued,
        reserved: st.reserved,
        total_supply: t.supply,
        share_price: t.to_assets(one, Rounding::Down)?,
        share_decimals: dec,
        offset: st.offset,
        cooldown_ms: st.cooldown_ms,
        losses: st.losses,
    })
}

/// One holder's position as `GET /v1/vault/{address}` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultPosition {
    /// Holder.
    pub owner: Address,
    /// Free shares.
    #[serde(with = "amount_str")]
    pub shares: u128,
    /// `previewRedeem(shares)`.
    #[serde(with = "amount_str")]
    pub assets: u128,
    /// `maxWithdraw`: assets a request can ask for and surely claim = min(`previewRedeem`
    /// of the free shares, idle AID not reserved by pending requests).
    #[serde(with = "amount_str")]
    pub max_withdraw: u128,
    /// `maxRedeem`: shares a request can lock and surely claim = min(free shares, the most
    /// shares whose `previewRedeem` fits the unreserved idle AID).
    #[serde(with = "amount_str")]
    pub max_redeem: u128,
    /// Pending exit requests.
    pub requests: Vec<ExitRequest>,
}

/// A holder's position.
pub fn position(s: &State, owner: Address) -> Result<VaultPosition, LedgerError> {
    let st = vault_state(s)?;
    let t = totals_of(s, &st)?;
    let shares = tokens::balance(s, &owner, st.share)?;
    let assets = t.preview_redeem(shares)?;
    Ok(VaultPosition {
        owner,
        shares,
        assets,
        max_withdraw: max_withdraw(s, &owner)?,
        max_redeem: max_redeem(s, &owner)?,
        requests: requests(s, &owner)?,
    })
}
