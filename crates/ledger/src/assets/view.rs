//! Read views of the assets module for the API (`GET /v1/assets`, `GET /v1/assets/{id}`).

use super::{Asset, AssetParams, Claim, Deal};
use crate::error::LedgerError;
use crate::green::{EnergyAttestation, Subject};
use crate::state::State;
use serde::{Deserialize, Serialize};
use verity_primitives::amount_str;

/// Every asset and deal with the module parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetsView {
    /// Parameters in force.
    pub params: AssetParams,
    /// Assets in id order.
    pub assets: Vec<Asset>,
    /// Financing deals in id order.
    pub deals: Vec<Deal>,
    /// The vault's deployed capital (Σ outstanding of active deals ≤ this).
    #[serde(with = "amount_str")]
    pub vault_deployed: u128,
}

/// One asset with its claims, deals and energy attestation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetDetail {
    /// The asset.
    pub asset: Asset,
    /// Its claims by index.
    pub claims: Vec<Claim>,
    /// Its deals (any status) in id order.
    pub deals: Vec<Deal>,
    /// Its latest energy attestation.
    pub energy: Option<EnergyAttestation>,
}

/// The [`AssetsView`].
pub fn view(s: &State) -> Result<AssetsView, LedgerError> {
    Ok(AssetsView {
        params: super::params(s)?,
        assets: super::assets(s)?,
        deals: super::finance::deals(s)?,
        vault_deployed: crate::vault::vault_state(s).map_or(0, |v| v.deployed),
    })
}

/// The [`AssetDetail`] of asset `id` (`None` when there is no such asset).
pub fn detail(s: &State, id: u64) -> Result<Option<AssetDetail>, LedgerError> {
    let Some(asset) = super::asset(s, id)? else {
        return Ok(None);
    };
    let deals = super::finance::deals(s)?
        .into_iter()
        .filter(|d| d.asset == id)
        .collect();
    Ok(Some(AssetDetail {
        claims: super::attest::claims(s, id)?,
        deals,
        energy: crate::green::attestation(s, &Subject::Asset(id))?,
        asset,
    }))
}
