//! Pending exit requests of the `vault` module: the [`ExitRequest`] record, its byte layout
//! and the per-owner list stored under `VAULT ‖ 0x01 ‖ owner` (oldest first, at most
//! [`super::MAX_PENDING_REQUESTS`]).

use crate::error::LedgerError;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, Store};
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, Timestamp, amount_str};

/// Sub-prefix of per-owner pending exit requests: `VAULT ‖ 0x01 ‖ owner`.
pub(super) const REQ: u8 = 0x01;

/// A pending exit request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitRequest {
    /// Request id (vault-wide counter).
    pub id: u64,
    /// Shares locked.
    #[serde(with = "amount_str")]
    pub shares: u128,
    /// Assets they were worth at request time (the most the claim pays).
    #[serde(with = "amount_str")]
    pub assets: u128,
    /// Claimable when the block time is ≥ this.
    pub ready_at: Timestamp,
}

pub(super) fn encode_requests(v: &[ExitRequest]) -> Vec<u8> {
    let mut o = Vec::with_capacity(4 + 48 * v.len());
    let n = u32::try_from(v.len()).expect("bounded by MAX_PENDING_REQUESTS");
    o.extend_from_slice(&n.to_be_bytes());
    for r in v {
        o.extend_from_slice(&r.id.to_be_bytes());
        o.extend_from_slice(&r.shares.to_be_bytes());
        o.extend_from_slice(&r.assets.to_be_bytes());
        o.extend_from_slice(&r.ready_at.0.to_be_bytes());
    }
    o
}

pub(super) fn decode_requests(v: &[u8]) -> Result<Vec<ExitRequest>, LedgerError> {
    let mut r = Reader::new(v, "vault requests");
    let n = r.u32()?;
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(ExitRequest {
            id: r.u64()?,
            shares: r.u128()?,
            assets: r.u128()?,
            ready_at: Timestamp(r.u64()?),
        });
    }
    r.finish()?;
    Ok(out)
}

pub(super) fn req_key(owner: &Address) -> [u8; 22] {
    let mut k = [0u8; 22];
    k[0] = keys::VAULT;
    k[1] = REQ;
    k[2..].copy_from_slice(&owner.0);
    k
}

/// Pending exit requests of `owner`, oldest first.
pub fn requests(s: &impl Store, owner: &Address) -> Result<Vec<ExitRequest>, LedgerError> {
    match s.get(&req_key(owner)) {
        Some(v) => decode_requests(v),
        None => Ok(Vec::new()),
    }
}

pub(super) fn put_requests(ex: &mut Exec<'_>, owner: &Address, v: &[ExitRequest]) {
    ex.put(&req_key(owner), (!v.is_empty()).then(|| encode_requests(v)));
}
