//! Read views of the capacity module for the API: every slot with its live supply and its
//! pool (spot price and implied rate at the state's time).

use super::pool::{self, PoolView};
use super::{CapacityParams, Slot, slot, slots};
use crate::error::LedgerError;
use crate::state::State;
use serde::{Deserialize, Serialize};
use verity_primitives::{TokenId, amount_str};

/// One slot as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotView {
    /// The slot record (backings, redemptions).
    pub slot: Slot,
    /// Tokens in circulation now.
    #[serde(with = "amount_str")]
    pub supply: u128,
    /// Its (token, AID) pool, if any.
    pub pool: Option<PoolView>,
}

/// Body of `GET /v1/capacity`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityView {
    /// Parameters.
    pub params: CapacityParams,
    /// State time the prices are for (ms).
    pub now: u64,
    /// Every slot, in token order.
    pub slots: Vec<SlotView>,
}

fn slot_view(s: &State, sl: Slot) -> Result<SlotView, LedgerError> {
    let supply = crate::tokens::token_info(s, sl.token)?.supply;
    let pool = pool::view(s, sl.token, s.time())?;
    Ok(SlotView {
        slot: sl,
        supply,
        pool,
    })
}

/// Every slot with its supply and pool.
pub fn view(s: &State) -> Result<CapacityView, LedgerError> {
    let mut out = Vec::new();
    for sl in slots(s)? {
        out.push(slot_view(s, sl)?);
    }
    Ok(CapacityView {
        params: super::params(s)?,
        now: s.time().0,
        slots: out,
    })
}

/// One slot by token id (`None` if `t` is not a capacity token).
pub fn slot_detail(s: &State, t: TokenId) -> Result<Option<SlotView>, LedgerError> {
    match slot(s, t)? {
        None => Ok(None),
        Some(sl) => slot_view(s, sl).map(Some),
    }
}
