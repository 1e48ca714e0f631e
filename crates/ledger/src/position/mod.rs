//! The `position` module (issue 6): the revenue right of an assigned job as a transferable,
//! non-fungible token (ERC-721-like; the token id is the job id).
//!
//! A position exists from the moment a job is assigned; its first holder is the assigned
//! provider, and nothing is stored until the first transfer (`0x82 ‖ job u64` → holder, kept
//! only while the holder is not the provider). `TransferPosition` (the current holder, while the
//! job is assigned, committed or disputed) moves it; the job's execution is untouched — the
//! provider still commits and answers disputes. At settlement the market pays the job's price
//! minus fee to [`payee`] (and runs the payee's auto-savings policy), not to the provider.
//! If the provider loses a dispute or misses its deadline, the position pays nothing.
//!
//! **Invariant** ([`check_invariants`]): every stored position names a job that has a provider,
//! and a holder different from it.

use crate::error::LedgerError;
use crate::market::{self, JobStatus};
use crate::receipt::Event;
use crate::state::{Exec, State, Store};
use alloy_sol_types::SolStruct;
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, Hash, TokenId, amount_str};

/// Prefix of position keys: `0x82 ‖ job u64` → holder address(20).
pub const PREFIX: u8 = 0x82;

fn key(job: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = PREFIX;
    k[1..].copy_from_slice(&job.to_be_bytes());
    k
}

fn err(m: impl Into<String>) -> LedgerError {
    LedgerError::Position(m.into())
}

/// A position transaction (carried by `Payload::Position`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PositionTx {
    /// Give job `job`'s revenue right to `to` (the current holder).
    TransferPosition {
        /// Job id (= position id).
        job: u64,
        /// New holder.
        to: Address,
    },
}

/// EIP-712 structs of [`PositionTx`].
pub mod eip712 {
    #![allow(missing_docs)]
    alloy_sol_types::sol! {
        struct TransferPosition { address sender; uint64 nonce; uint64 job; address to; }
    }
}

impl PositionTx {
    /// EIP-712 primary type name (= the JSON tag).
    pub fn type_name(&self) -> &'static str {
        match self {
            PositionTx::TransferPosition { .. } => "TransferPosition",
        }
    }

    /// EIP-712 `hashStruct` of this payload sent by `sender` with `nonce`.
    pub fn struct_hash(&self, sender: alloy_primitives::Address, nonce: u64) -> Hash {
        let h = match self {
            PositionTx::TransferPosition { job, to } => eip712::TransferPosition {
                sender,
                nonce,
                job: *job,
                to: alloy_primitives::Address::from(to.0),
            }
            .eip712_hash_struct(),
        };
        Hash(h.0)
    }
}

/// What the position module did (inside `Event::Position`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PositionEvent {
    /// A position changed hands.
    Transferred {
        /// Job id.
        job: u64,
        /// Old holder.
        from: Address,
        /// New holder.
        to: Address,
    },
}

/// A position as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionView {
    /// Job id (= position id).
    pub job: u64,
    /// Assigned provider (who executes).
    pub provider: Address,
    /// Who is paid at settlement.
    pub holder: Address,
    /// The job's status.
    pub status: JobStatus,
    /// Payment token.
    pub token: TokenId,
    /// The job's price (what settlement pays, before the fee).
    #[serde(with = "amount_str")]
    pub price: u128,
}

fn stored(s: &impl Store, job: u64) -> Result<Option<Address>, LedgerError> {
    match s.get(&key(job)) {
        None => Ok(None),
        Some(v) => {
            let b: [u8; 20] = v
                .try_into()
                .map_err(|_| LedgerError::Corrupt(format!("position {job}")))?;
            Ok(Some(Address(b)))
        }
    }
}

/// Who receives job `job`'s settlement: the position's holder, or `provider` when it was never
/// transferred. The market's `Settle` calls this.
pub fn payee(s: &impl Store, job: u64, provider: &Address) -> Result<Address, LedgerError> {
    Ok(stored(s, job)?.unwrap_or(*provider))
}

/// The position of job `job` (`None` while the job has no provider).
pub fn position(s: &impl Store, job: u64) -> Result<Option<PositionView>, LedgerError> {
    let Some(j) = market::job(s, job)? else {
        return Err(err(format!("no job {job}")));
    };
    let Some(provider) = j.provider else {
        return Ok(None);
    };
    Ok(Some(PositionView {
        job,
        provider,
        holder: payee(s, job, &provider)?,
        status: j.status,
        token: j.terms.token,
        price: j.price,
    }))
}

/// Dispatch a position transaction.
pub(crate) fn dispatch(
    ex: &mut Exec<'_>,
    sender: &Address,
    tx: &PositionTx,
) -> Result<(), LedgerError> {
    match tx {
        PositionTx::TransferPosition { job, to } => transfer(ex, sender, *job, to),
    }
}

/// `TransferPosition` handler.
pub(crate) fn transfer(
    ex: &mut Exec<'_>,
    sender: &Address,
    job: u64,
    to: &Address,
) -> Result<(), LedgerError> {
    let j = market::load(ex, job)?;
    let Some(provider) = j.provider else {
        return Err(err(format!(
            "job {job} has no provider yet, so no position"
        )));
    };
    if !matches!(
        j.status,
        JobStatus::Assigned | JobStatus::Committed | JobStatus::Disputed
    ) {
        return Err(err(format!(
            "job {job} is {:?}; only an unfinished job's position moves",
            j.status
        )));
    }
    let holder = payee(ex, job, &provider)?;
    if holder != *sender {
        return Err(err(format!("{sender} does not hold job {job}'s position")));
    }
    if *to == holder {
        return Err(err("the new holder is the current holder"));
    }
    if *to == Address([0u8; 20]) {
        return Err(err("cannot give a position to the zero address"));
    }
    ex.put(&key(job), (*to != provider).then(|| to.0.to_vec()));
    ex.emit(Event::Position(PositionEvent::Transferred {
        job,
        from: holder,
        to: *to,
    }));
    Ok(())
}

/// Every transferred position: (job, holder), in job order.
pub fn transferred(s: &State) -> Result<Vec<(u64, Address)>, LedgerError> {
    let mut out = Vec::new();
    for (k, v) in s.scan(PREFIX) {
        if k.len() != 9 || v.len() != 20 {
            return Err(LedgerError::Corrupt("position entry".into()));
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&k[1..]);
        let mut a = [0u8; 20];
        a.copy_from_slice(v);
        out.push((u64::from_be_bytes(id), Address(a)));
    }
    Ok(out)
}

/// The invariant in the module doc.
pub(crate) fn check_invariants(s: &State) -> Result<(), LedgerError> {
    for (job, holder) in transferred(s)? {
        let provider = market::job(s, job)?.and_then(|j| j.provider);
        match provider {
            None => {
                return Err(LedgerError::Invariant(format!(
                    "position {job} exists but the job has no provider"
                )));
            }
            Some(p) if p == holder => {
                return Err(LedgerError::Invariant(format!(
                    "position {job} stores its own provider as holder"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
