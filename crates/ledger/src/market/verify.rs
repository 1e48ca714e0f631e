//! Verifier selection (issue 4, item 3): which stakers spot-check a commit, their `Attest`
//! transactions, and their share of the protocol fee at `Settle`.
//!
//! **Seed.** At a `Commit`, `seed = keccak("verity/verifiers" ‖ parent hash ‖ height u64 ‖
//! job u64)` (integers big-endian), where parent hash is the hash of the previous block header
//! (`BlockInput::parent_hash`) and height is the including block's. Draw `i` is the first bytes
//! of `keccak(seed ‖ i u64)`.
//!
//! **Spot check.** Draw 0 as a u64 `x` gives `roll = x × 10 000 / 2^64` (in `0..10 000`); the
//! job is checked when `roll < spot_check_bps`, i.e. with probability `spot_check_bps / 10 000`.
//!
//! **Eligible** are accounts whose bonded stake (committed state at the start of the block) is
//! ≥ `min_verifier_stake`, other than the job's buyer and provider, in address order; the
//! weight is the bonded stake. **Draws:** for `i = 1..=k` (`k = verifiers_per_job`, fewer when
//! fewer are eligible), draw `i` as a u128 taken modulo the remaining total weight picks the
//! account whose cumulative weight interval holds it; that account is removed (no
//! replacement). The modulo bias is below total / 2^128, negligible for any real supply.
//!
//! **Attest.** A selected verifier that re-ran the job and agrees sends `Attest {job}` while the
//! job is committed (or disputed) and before its challenge window ends. Anyone else, a second
//! attest, or one after the window is a receipt error. A selected verifier that disagrees
//! challenges as any staker may (the whistleblower path is open to everyone staked).
//!
//! **Pay.** At `Settle` the verifier pool is `fee × verifier_fee_share_bps / 10 000` (rounded
//! down); each attesting selected verifier receives `pool / drawn` (rounded down, `drawn` = the
//! number of verifiers selected), in the job's token; the rest of the fee goes to the fee
//! account. A selected verifier that neither attests nor challenges gets nothing. If the
//! provider is slashed in a dispute, nobody is paid a fee and each verifier that attested the
//! wrong result loses one point of market reputation.
//!
//! **Known limit.** The seed is fixed by the block that includes the commit; a provider that
//! could choose that block (or the sequencer) could retry until unselected. Whistleblower
//! challenges stay open to every staker for the whole window, which is what bounds that.

use super::{Job, JobStatus, challenge_end, err, load, save};
use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::{Exec, keys};
use serde::{Deserialize, Serialize};
use verity_primitives::math::{Rounding, mul_div};
use verity_primitives::{Address, Hash, amount_str};

/// A job's spot-check draw, made at its commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// The seed of the draws.
    pub seed: Hash,
    /// The roll in `0..10 000`; the job is checked when it is below `spot_check_bps`.
    pub roll_bps: u32,
    /// Selected for a spot check.
    pub checked: bool,
    /// Total bonded stake of the eligible accounts.
    #[serde(with = "amount_str")]
    pub eligible_stake: u128,
    /// The drawn verifiers, in draw order (empty when not checked).
    pub verifiers: Vec<Address>,
    /// Those that attested, in order.
    pub attested: Vec<Address>,
}

/// The seed of job `job`'s draws in a block with parent hash `parent` at height `height`.
pub fn seed(parent: &Hash, height: u64, job: u64) -> Hash {
    let mut b = Vec::with_capacity(16 + 32 + 16);
    b.extend_from_slice(b"verity/verifiers");
    b.extend_from_slice(&parent.0);
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&job.to_be_bytes());
    Hash::keccak(&b)
}

fn draw(seed: &Hash, i: u64) -> [u8; 32] {
    let mut b = [0u8; 40];
    b[..32].copy_from_slice(&seed.0);
    b[32..].copy_from_slice(&i.to_be_bytes());
    Hash::keccak(&b).0
}

/// The spot-check roll of `seed` in `0..10 000`.
pub fn roll_bps(seed: &Hash) -> u32 {
    let d = draw(seed, 0);
    let x = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
    let r = (u128::from(x) * 10_000) >> 64;
    u32::try_from(r).expect("below 10 000")
}

/// Draw up to `k` of `candidates` (address, weight > 0; any order) by weight without
/// replacement, from `seed`. Pure: the ledger and agents compute the same answer.
pub fn sample(seed: &Hash, candidates: &[(Address, u128)], k: u32) -> Vec<Address> {
    let mut pool: Vec<(Address, u128)> =
        candidates.iter().copied().filter(|(_, w)| *w > 0).collect();
    pool.sort_by_key(|c| c.0);
    let mut out = Vec::new();
    for i in 1..=u64::from(k) {
        let total = pool.iter().fold(0u128, |t, (_, w)| t.saturating_add(*w));
        if total == 0 {
            break;
        }
        let d = draw(seed, i);
        let x = u128::from_be_bytes(d[..16].try_into().expect("16 bytes")) % total;
        let mut acc = 0u128;
        let mut pick = pool.len() - 1;
        for (n, (_, w)) in pool.iter().enumerate() {
            acc = acc.saturating_add(*w);
            if x < acc {
                pick = n;
                break;
            }
        }
        out.push(pool.remove(pick).0);
    }
    out
}

/// Accounts eligible to verify `j` with their bonded stake, in address order.
pub fn eligible(
    s: &crate::state::State,
    j: &Job,
    min_stake: u128,
) -> Result<Vec<(Address, u128)>, LedgerError> {
    let mut out = Vec::new();
    for (k, v) in s.scan(keys::STAKE) {
        let Some(a) = keys::parse_addr_key(k) else {
            continue;
        };
        if a == j.buyer || Some(a) == j.provider {
            continue;
        }
        let bonded = crate::staking::StakeView::decode(v)?.bonded;
        if bonded >= min_stake && bonded > 0 {
            out.push((a, bonded));
        }
    }
    Ok(out)
}

/// Draw the verifiers of `j` at its commit (in `ex`'s block) and emit `VerifiersSelected`.
pub(crate) fn select(ex: &mut Exec<'_>, j: &mut Job) -> Result<(), LedgerError> {
    let p = super::params(ex)?;
    let seed = seed(&ex.parent_hash, ex.height, j.id);
    let roll = roll_bps(&seed);
    let checked = roll < j.terms.spot_check_bps;
    let cands = eligible(ex.state(), j, p.min_verifier_stake)?;
    let eligible_stake = cands.iter().try_fold(0u128, |t, (_, w)| {
        verity_primitives::math::checked_add(t, *w)
    })?;
    let verifiers = if checked {
        sample(&seed, &cands, p.verifiers_per_job)
    } else {
        Vec::new()
    };
    ex.emit(Event::VerifiersSelected {
        job: j.id,
        seed,
        checked,
        verifiers: verifiers.clone(),
    });
    j.selection = Some(Selection {
        seed,
        roll_bps: roll,
        checked,
        eligible_stake,
        verifiers,
        attested: Vec::new(),
    });
    Ok(())
}

/// `Attest` handler: a selected verifier agrees with the commit.
pub(crate) fn attest(ex: &mut Exec<'_>, sender: &Address, id: u64) -> Result<(), LedgerError> {
    let mut j = load(ex, id)?;
    if !matches!(j.status, JobStatus::Committed | JobStatus::Disputed) {
        return Err(err(format!(
            "job {id} is {:?}; only committed jobs take attestations",
            j.status
        )));
    }
    let end = challenge_end(&j).ok_or_else(|| err("challenge window overflows"))?;
    if ex.now >= end {
        return Err(err(format!(
            "job {id}'s challenge window ended at {end} (now {})",
            ex.now
        )));
    }
    let sel = j
        .selection
        .as_mut()
        .ok_or_else(|| err(format!("job {id} has no verifier selection")))?;
    if !sel.verifiers.contains(sender) {
        return Err(err(format!(
            "{sender} is not a selected verifier of job {id}"
        )));
    }
    if sel.attested.contains(sender) {
        return Err(err(format!("{sender} already attested job {id}")));
    }
    sel.attested.push(*sender);
    save(ex, &j);
    ex.emit(Event::JobAttested {
        job: id,
        verifier: *sender,
    });
    Ok(())
}

/// What each attesting verifier of `j` receives out of `fee`, and who they are.
pub fn verifier_pay(
    j: &Job,
    fee: u128,
    share_bps: u32,
) -> Result<(u128, Vec<Address>), LedgerError> {
    let Some(sel) = &j.selection else {
        return Ok((0, Vec::new()));
    };
    if sel.verifiers.is_empty() || sel.attested.is_empty() {
        return Ok((0, Vec::new()));
    }
    let pool = mul_div(fee, u128::from(share_bps), 10_000, Rounding::Down)?;
    let each = pool / sel.verifiers.len() as u128;
    Ok((each, sel.attested.clone()))
}

/// At a slash: every verifier that attested the wrong result loses one reputation point.
pub(crate) fn penalise_attesters(ex: &mut Exec<'_>, j: &Job) -> Result<(), LedgerError> {
    if let Some(sel) = &j.selection {
        for a in sel.attested.clone() {
            super::add_reputation(ex, &a, -1)?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
