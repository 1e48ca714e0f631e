//! The `assets` module (issue 6): GPU assets as unique, transferable on-ledger records, attested
//! by staked validators, bound to the jobs they run, and financed by the sAID vault
//! ([`finance`]).
//!
//! **Asset.** `RegisterAsset` stores an [`AssetSpec`] (model, memory, serial hash, location,
//! rated power, embodied carbon, lifetime) under the next id (from 0); the sender becomes its
//! **owner** and **operator**. Ownership moves like an ERC-721 token: `TransferAsset` by the owner
//! or its approved address (`ApproveAsset`, the zero address clears; a transfer clears the
//! approval). The owner may name another operator (`SetAssetOperator`) unless a financing deal is
//! live (the deal's money went to the operator of record). Serial hashes are unique.
//!
//! **Attestation** ([`attest`]): claims of existence, operation or performance (the asset passed
//! benchmark job J) become **confirmed** once `min_attesters` distinct staked validators sent
//! `AttestAsset` for the same claim. A confirmed existence claim makes a pending asset active;
//! only active assets run jobs or take financing. `ChallengeAttestation` with evidence — a job
//! bound to this asset that ended `Slashed` (lost a dispute) or `Expired` (never committed) —
//! refutes an operation claim (evidence job bound after the claim was made) or a performance
//! claim (evidence = its benchmark job): every attester of that claim, and only them, loses
//! `attest_slash_bps` of its bonded + unbonding stake (`challenge_reward_bps` of that to the
//! challenger, the rest burned) and the asset is suspended until a new operation claim is
//! confirmed. Existence claims cannot be refuted by job evidence.
//!
//! **Jobs on an asset.** The asset's operator binds it to a job it bid on or won
//! (`BindJobAsset`, before the commit); the winning provider's binding is the job's asset, so its
//! revenue is known: at `Settle` the market calls [`settle_hook`], which splits the provider's
//! payment under a live financing deal and feeds the green index.
//!
//! **Keys** (prefix [`PREFIX`] `0x84`): `'a' ‖ id u64` asset (JSON), `'n'` next asset id u64,
//! `'s' ‖ serial hash` asset id u64, `'c' ‖ asset u64 ‖ index u32` claim (JSON),
//! `'b' ‖ job u64 ‖ provider` binding (JSON), `'d' ‖ id u64` deal (JSON), `'m'` next deal id,
//! `'p'` parameters (JSON; absent = [`AssetParams::DEFAULT`]).
//!
//! **Invariants** ([`check_invariants`]): the asset count matches the records; every asset's
//! claim count matches its stored claims and no claim has more attesters than the limit; a live
//! deal named by an asset names that asset back; deal accounting (see [`finance`]).

pub mod attest;
pub mod finance;
pub mod gov;
mod ops;
pub mod params;
#[cfg(test)]
mod props;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_gov;
mod tx;
pub mod view;

pub use attest::{Claim, ClaimKind};
pub use finance::{Deal, DealStatus};
pub use tx::AssetTx;

pub(crate) use ops::{approve, bind_job, register, set_operator, transfer};

use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::{Exec, State, Store, keys};
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, Hash, Timestamp};

/// Key prefix of the assets module.
pub const PREFIX: u8 = 0x84;
/// Most bytes of a model name.
pub const MAX_MODEL: usize = 64;
/// Most bytes of a location.
pub const MAX_LOCATION: usize = 64;

/// What a registration states about the device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetSpec {
    /// Model, e.g. `H100-SXM5-80GB`.
    pub model: String,
    /// Device memory, MiB.
    pub memory_mb: u64,
    /// Hash of the serial number (the serial itself stays private).
    pub serial_hash: Hash,
    /// Location (site, region or grid zone).
    pub location: String,
    /// Rated maximum board power, milliwatts (bounds the energy a job may report).
    pub max_power_mw: u64,
    /// Embodied (manufacturing) emissions of the device, grams CO2e.
    pub embodied_gco2e: u64,
    /// Expected lifetime, hours (the embodied share of a job is run time / lifetime).
    pub lifetime_hours: u64,
}

/// Where an asset is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssetStatus {
    /// Registered; existence not yet confirmed.
    Pending,
    /// Existence confirmed; runs jobs and takes financing.
    Active,
    /// An operation or performance claim was refuted; a new confirmed operation claim revives it.
    Suspended,
}

/// A GPU asset as stored and served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    /// Id (sequential from 0).
    pub id: u64,
    /// The device.
    pub spec: AssetSpec,
    /// Holder of the token.
    pub owner: Address,
    /// Who runs the device (receives financing, binds jobs).
    pub operator: Address,
    /// Address approved to transfer it (ERC-721 `approve`).
    pub approved: Option<Address>,
    /// Status.
    pub status: AssetStatus,
    /// Registration time.
    pub registered_at: Timestamp,
    /// Number of claims made about it.
    pub claims: u32,
    /// The live (proposed or active) financing deal.
    pub deal: Option<u64>,
}

/// Module parameters (changed through governance; set at genesis by the `[assets]` section,
/// every field optional, see [`params::init_genesis`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssetParams {
    /// Distinct staked validators needed to confirm a claim.
    pub min_attesters: u32,
    /// Share of each false attester's stake slashed, bps.
    pub attest_slash_bps: u32,
    /// Share of each slash paid to the challenger, bps (rest burned).
    pub challenge_reward_bps: u32,
    /// Address that may approve financing deals besides governance.
    pub vault_manager: Option<Address>,
}

impl AssetParams {
    /// Defaults: 2 attesters, 10% slash, half to the challenger, no manager (governance only).
    pub const DEFAULT: AssetParams = AssetParams {
        min_attesters: 2,
        attest_slash_bps: 1_000,
        challenge_reward_bps: 5_000,
        vault_manager: None,
    };
}

/// Events of this module (inside [`Event::Asset`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssetEvent {
    /// An asset was registered.
    Registered {
        /// Asset id.
        asset: u64,
        /// Owner and operator.
        owner: Address,
        /// Model.
        model: String,
    },
    /// Ownership moved.
    Transferred {
        /// Asset id.
        asset: u64,
        /// Old owner.
        from: Address,
        /// New owner.
        to: Address,
    },
    /// A transfer approval was set (`None` cleared).
    Approved {
        /// Asset id.
        asset: u64,
        /// Approved address.
        spender: Option<Address>,
    },
    /// The operator changed.
    OperatorSet {
        /// Asset id.
        asset: u64,
        /// New operator.
        operator: Address,
    },
    /// A validator attested a claim.
    Attested {
        /// Asset id.
        asset: u64,
        /// Claim index.
        claim: u32,
        /// The attester.
        attester: Address,
        /// Attesters so far.
        count: u32,
        /// True when this attestation confirmed the claim.
        confirmed: bool,
    },
    /// The asset's status changed.
    StatusChanged {
        /// Asset id.
        asset: u64,
        /// New status.
        status: AssetStatus,
    },
    /// A claim was refuted and its attesters slashed.
    ClaimRefuted {
        /// Asset id.
        asset: u64,
        /// Claim index.
        claim: u32,
        /// Evidence job.
        job: u64,
        /// Challenger.
        challenger: Address,
        /// Σ slashed over the attesters.
        #[serde(with = "verity_primitives::amount_str")]
        slashed: u128,
        /// Paid to the challenger.
        #[serde(with = "verity_primitives::amount_str")]
        reward: u128,
    },
    /// A job was bound to the asset.
    JobBound {
        /// Job id.
        job: u64,
        /// Asset id.
        asset: u64,
        /// The provider (operator) that bound it.
        provider: Address,
    },
    /// A financing deal event (see [`finance`]).
    Finance(finance::FinanceEvent),
}

// ---- keys ----

fn k_asset(id: u64) -> Vec<u8> {
    let mut k = vec![PREFIX, b'a'];
    k.extend_from_slice(&id.to_be_bytes());
    k
}
const K_COUNT: &[u8] = &[PREFIX, b'n'];
const K_PARAMS: &[u8] = &[PREFIX, b'p'];
fn k_serial(h: &Hash) -> Vec<u8> {
    let mut k = vec![PREFIX, b's'];
    k.extend_from_slice(&h.0);
    k
}
fn k_binding(job: u64, provider: &Address) -> Vec<u8> {
    let mut k = vec![PREFIX, b'b'];
    k.extend_from_slice(&job.to_be_bytes());
    k.extend_from_slice(&provider.0);
    k
}

pub(crate) fn err(m: impl Into<String>) -> LedgerError {
    LedgerError::Assets(m.into())
}

pub(crate) fn get_json<T: serde::de::DeserializeOwned>(
    s: &impl Store,
    key: &[u8],
    what: &str,
) -> Result<Option<T>, LedgerError> {
    match s.get(key) {
        None => Ok(None),
        Some(v) => serde_json::from_slice(v)
            .map(Some)
            .map_err(|e| LedgerError::Corrupt(format!("{what}: {e}"))),
    }
}

pub(crate) fn put_json<T: Serialize>(ex: &mut Exec<'_>, key: &[u8], v: &T) {
    ex.put(
        key,
        Some(serde_json::to_vec(v).expect("module records always serialise")),
    );
}

pub(crate) fn emit(ex: &mut Exec<'_>, e: AssetEvent) {
    ex.emit(Event::Asset(e));
}

pub(crate) fn next_counter(
    ex: &mut Exec<'_>,
    key: &[u8],
    what: &'static str,
) -> Result<u64, LedgerError> {
    let id = match ex.get(key) {
        None => 0,
        Some(v) => keys::decode_u64(v, what)?,
    };
    let next = id
        .checked_add(1)
        .ok_or(verity_primitives::MathError::Overflow)?;
    ex.put(key, Some(next.to_be_bytes().to_vec()));
    Ok(id)
}

/// The module parameters.
pub fn params(s: &impl Store) -> Result<AssetParams, LedgerError> {
    Ok(get_json(s, K_PARAMS, "asset params")?.unwrap_or(AssetParams::DEFAULT))
}

pub(crate) fn put_params(ex: &mut Exec<'_>, p: &AssetParams) {
    put_json(ex, K_PARAMS, p);
}

/// Read asset `id`.
pub fn asset(s: &impl Store, id: u64) -> Result<Option<Asset>, LedgerError> {
    get_json(s, &k_asset(id), "asset")
}

pub(crate) fn load(s: &impl Store, id: u64) -> Result<Asset, LedgerError> {
    asset(s, id)?.ok_or_else(|| err(format!("no asset {id}")))
}

pub(crate) fn save(ex: &mut Exec<'_>, a: &Asset) {
    put_json(ex, &k_asset(a.id), a);
}

/// Number of assets ever registered.
pub fn asset_count(s: &impl Store) -> Result<u64, LedgerError> {
    match s.get(K_COUNT) {
        None => Ok(0),
        Some(v) => keys::decode_u64(v, "asset count"),
    }
}

/// Every asset in id order (API view).
pub fn assets(s: &State) -> Result<Vec<Asset>, LedgerError> {
    let mut out = Vec::new();
    for (k, v) in s.scan(PREFIX) {
        if k.len() == 10 && k[1] == b'a' {
            out.push(
                serde_json::from_slice(v)
                    .map_err(|e| LedgerError::Corrupt(format!("asset: {e}")))?,
            );
        }
    }
    Ok(out)
}

/// A job's binding to an asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// Asset id.
    pub asset: u64,
    /// When it was bound.
    pub at: Timestamp,
}

/// The asset `provider` bound to `job`, if any.
pub fn binding(
    s: &impl Store,
    job: u64,
    provider: &Address,
) -> Result<Option<Binding>, LedgerError> {
    get_json(s, &k_binding(job, provider), "asset binding")
}

/// The asset a job runs on: its assigned provider's binding.
pub fn job_asset(s: &impl Store, job: u64) -> Result<Option<u64>, LedgerError> {
    let Some(j) = crate::market::job(s, job)? else {
        return Ok(None);
    };
    match j.provider {
        Some(p) => Ok(binding(s, job, &p)?.map(|b| b.asset)),
        None => Ok(None),
    }
}

/// The market's settlement hook: records the job's green figures and, when the job ran on an
/// asset with an active financing deal and is paid in the vault's asset, moves the financier
/// share of the provider's payment `paid` (⌈paid × share_bps / 10 000⌉, rounded in the vault's
/// favour) from the market account to the vault. Returns what the provider still receives.
pub(crate) fn settle_hook(
    ex: &mut Exec<'_>,
    j: &crate::market::Job,
    paid: u128,
) -> Result<u128, LedgerError> {
    crate::green::on_settle(ex, j)?;
    finance::split_payment(ex, j, paid)
}

/// The invariants in the module doc.
pub(crate) fn check_invariants(s: &State) -> Result<(), LedgerError> {
    let bad = |m: String| Err(LedgerError::Invariant(format!("assets: {m}")));
    let all = assets(s)?;
    let count = asset_count(s)?;
    if all.len() as u64 != count {
        return bad(format!(
            "{} asset records but the count is {count}",
            all.len()
        ));
    }
    for a in &all {
        let claims = attest::claims(s, a.id)?;
        if claims.len() != a.claims as usize {
            return bad(format!(
                "asset {} counts {} claims but {} are stored",
                a.id,
                a.claims,
                claims.len()
            ));
        }
        for c in &claims {
            if c.attesters.len() > attest::MAX_ATTESTERS {
                return bad(format!(
                    "claim {} of asset {} has too many attesters",
                    c.index, a.id
                ));
            }
            if c.confirmed_at.is_some() && c.attesters.is_empty() {
                return bad(format!(
                    "claim {} of asset {} is confirmed without attesters",
                    c.index, a.id
                ));
            }
        }
        if let Some(d) = a.deal {
            let deal = finance::deal(s, d)?.ok_or_else(|| {
                LedgerError::Invariant(format!("assets: asset {} names missing deal {d}", a.id))
            })?;
            if deal.asset != a.id || !deal.status.is_live() {
                return bad(format!(
                    "asset {} names deal {d} which is not its live deal",
                    a.id
                ));
            }
        }
    }
    finance::check_invariants(s)
}
