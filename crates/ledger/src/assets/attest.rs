//! Attestations of GPU assets by staked validators and challenges that refute them (rules in
//! the [module doc](super)).
//!
//! **Who attests.** A staked validator: a genesis validator or an actor registered with kind
//! `validator`, with bonded stake > 0 at the time of the attestation.
//!
//! **Slash arithmetic.** Each attester of a refuted claim loses
//! ⌊(bonded + unbonding) × `attest_slash_bps` / 10 000⌋ (through `staking::slash_to`, bonded
//! first); ⌊slashed × `challenge_reward_bps` / 10 000⌋ of it goes to the challenger, the rest is
//! burned.

use super::{AssetEvent, AssetStatus, emit, err, get_json, load, params, put_json, save};
use crate::error::LedgerError;
use crate::identity::ActorKind;
use crate::market::JobStatus;
use crate::state::{Exec, State, Store, keys};
use serde::{Deserialize, Serialize};
use verity_primitives::math::{Rounding, checked_add, mul_div};
use verity_primitives::{Address, Timestamp};

/// Most attesters one claim records.
pub const MAX_ATTESTERS: usize = 32;

/// What a claim says about an asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClaimKind {
    /// The device exists with the registered specs.
    Existence,
    /// The device is operating (it runs the jobs bound to it).
    Operation,
    /// The device passed benchmark job `job`.
    Performance {
        /// The benchmark job.
        job: u64,
    },
}

impl ClaimKind {
    /// EIP-712 encoding: (kind code, job) with kind 0 existence, 1 operation, 2 performance.
    pub fn code(self) -> (u8, u64) {
        match self {
            ClaimKind::Existence => (0, 0),
            ClaimKind::Operation => (1, 0),
            ClaimKind::Performance { job } => (2, job),
        }
    }
}

/// A claim and its attesters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// Asset id.
    pub asset: u64,
    /// Index among the asset's claims.
    pub index: u32,
    /// What is claimed.
    pub kind: ClaimKind,
    /// Distinct validators that attested it, in order.
    pub attesters: Vec<Address>,
    /// When the first attestation was made.
    pub created: Timestamp,
    /// When it reached `min_attesters`.
    pub confirmed_at: Option<Timestamp>,
    /// The evidence job that refuted it.
    pub refuted: Option<u64>,
}

fn k_claim(asset: u64, index: u32) -> Vec<u8> {
    let mut k = vec![super::PREFIX, b'c'];
    k.extend_from_slice(&asset.to_be_bytes());
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// Claim `index` of `asset`.
pub fn claim(s: &impl Store, asset: u64, index: u32) -> Result<Option<Claim>, LedgerError> {
    get_json(s, &k_claim(asset, index), "asset claim")
}

/// Every claim of `asset`, by index.
pub fn claims(s: &impl Store, asset: u64) -> Result<Vec<Claim>, LedgerError> {
    let mut out = Vec::new();
    let mut i = 0u32;
    while let Some(c) = claim(s, asset, i)? {
        out.push(c);
        i = i
            .checked_add(1)
            .ok_or(verity_primitives::MathError::Overflow)?;
    }
    Ok(out)
}

/// Every claim of every asset (for views over a committed state).
pub fn all_claims(s: &State) -> Result<Vec<Claim>, LedgerError> {
    let mut out = Vec::new();
    for (k, v) in s.scan(super::PREFIX) {
        if k.len() == 14 && k[1] == b'c' {
            out.push(
                serde_json::from_slice(v)
                    .map_err(|e| LedgerError::Corrupt(format!("asset claim: {e}")))?,
            );
        }
    }
    Ok(out)
}

/// True when `a` is a staked validator (see the module doc).
pub fn is_staked_validator(s: &impl Store, a: &Address) -> Result<bool, LedgerError> {
    let listed = s.get(&keys::addr_key(keys::VALIDATOR, a)).is_some()
        || crate::identity::actor(s, a)?.is_some_and(|x| x.kind == ActorKind::Validator);
    Ok(listed && crate::staking::stake_record(s, a)?.bonded > 0)
}

/// `AttestAsset` handler.
pub(crate) fn attest(
    ex: &mut Exec<'_>,
    sender: &Address,
    asset: u64,
    kind: ClaimKind,
) -> Result<(), LedgerError> {
    let mut a = load(ex, asset)?;
    if !is_staked_validator(ex, sender)? {
        return Err(err(format!(
            "{sender} is not a staked validator; only they attest assets"
        )));
    }
    if let ClaimKind::Performance { job } = kind
        && crate::market::job(ex, job)?.is_none()
    {
        return Err(err(format!("no benchmark job {job}")));
    }
    let min = params(ex)?.min_attesters;
    // The open (unrefuted) claim of this kind, or a new one.
    let mut found = None;
    for c in claims(ex, asset)? {
        if c.kind == kind && c.refuted.is_none() {
            found = Some(c);
        }
    }
    let mut c = match found {
        Some(c) => c,
        None => {
            let index = a.claims;
            a.claims = index
                .checked_add(1)
                .ok_or(verity_primitives::MathError::Overflow)?;
            Claim {
                asset,
                index,
                kind,
                attesters: Vec::new(),
                created: ex.now,
                confirmed_at: None,
                refuted: None,
            }
        }
    };
    if c.attesters.contains(sender) {
        return Err(err(format!(
            "{sender} already attested claim {} of asset {asset}",
            c.index
        )));
    }
    if c.attesters.len() >= MAX_ATTESTERS {
        return Err(err(format!(
            "claim {} of asset {asset} has {MAX_ATTESTERS} attesters already",
            c.index
        )));
    }
    c.attesters.push(*sender);
    let count = c.attesters.len() as u32;
    let confirmed = c.confirmed_at.is_none() && count >= min;
    if confirmed {
        c.confirmed_at = Some(ex.now);
    }
    put_json(ex, &k_claim(asset, c.index), &c);
    emit(
        ex,
        AssetEvent::Attested {
            asset,
            claim: c.index,
            attester: *sender,
            count,
            confirmed,
        },
    );
    let revive = matches!(
        (kind, a.status),
        (ClaimKind::Existence, AssetStatus::Pending)
            | (ClaimKind::Operation, AssetStatus::Suspended)
    );
    if confirmed && revive {
        a.status = AssetStatus::Active;
        emit(
            ex,
            AssetEvent::StatusChanged {
                asset,
                status: a.status,
            },
        );
    }
    save(ex, &a);
    Ok(())
}

/// `ChallengeAttestation` handler: refute claim `index` of `asset` with evidence job `job`.
pub(crate) fn challenge(
    ex: &mut Exec<'_>,
    sender: &Address,
    asset: u64,
    index: u32,
    job: u64,
) -> Result<(), LedgerError> {
    let mut a = load(ex, asset)?;
    let mut c = claim(ex, asset, index)?
        .ok_or_else(|| err(format!("asset {asset} has no claim {index}")))?;
    if c.refuted.is_some() {
        return Err(err(format!(
            "claim {index} of asset {asset} is already refuted"
        )));
    }
    let j = crate::market::job(ex, job)?.ok_or_else(|| err(format!("no job {job}")))?;
    let provider = j
        .provider
        .ok_or_else(|| err(format!("job {job} never had a provider; it is no evidence")))?;
    let bound = super::binding(ex, job, &provider)?;
    let Some(b) = bound.filter(|b| b.asset == asset) else {
        return Err(err(format!("job {job} did not run on asset {asset}")));
    };
    if !matches!(j.status, JobStatus::Slashed | JobStatus::Expired) {
        return Err(err(format!(
            "job {job} is {:?}; evidence must be a job that was slashed or expired",
            j.status
        )));
    }
    match c.kind {
        ClaimKind::Existence => {
            return Err(err("existence claims cannot be refuted with job evidence"));
        }
        ClaimKind::Operation => {
            if b.at < c.created {
                return Err(err(format!(
                    "job {job} was bound before claim {index} was made; it says nothing about it"
                )));
            }
        }
        ClaimKind::Performance { job: bench } => {
            if bench != job {
                return Err(err(format!(
                    "claim {index} is about benchmark job {bench}, not job {job}"
                )));
            }
        }
    }
    let p = params(ex)?;
    let (mut slashed, mut reward) = (0u128, 0u128);
    for v in &c.attesters {
        let total = crate::staking::stake_record(ex, v)?.total()?;
        let amount = mul_div(
            total,
            u128::from(p.attest_slash_bps),
            10_000,
            Rounding::Down,
        )?;
        if amount == 0 {
            continue;
        }
        let (s, paid) = crate::staking::slash_to(
            ex,
            v,
            amount,
            Some(sender),
            p.challenge_reward_bps,
            "assets: false attestation",
        )?;
        slashed = checked_add(slashed, s)?;
        reward = checked_add(reward, paid)?;
    }
    c.refuted = Some(job);
    put_json(ex, &k_claim(asset, index), &c);
    emit(
        ex,
        AssetEvent::ClaimRefuted {
            asset,
            claim: index,
            job,
            challenger: *sender,
            slashed,
            reward,
        },
    );
    if a.status == AssetStatus::Active {
        a.status = AssetStatus::Suspended;
        save(ex, &a);
        emit(
            ex,
            AssetEvent::StatusChanged {
                asset,
                status: a.status,
            },
        );
    }
    Ok(())
}
