//! Double-sign evidence (`ReportDoubleSign`): decode, verify against the epoch's validator
//! set, slash once.
//!
//! **Encoding.** `evidence` = one tag byte ‖ the commonware-codec encoding of simplex's
//! conflict type with the ed25519 scheme and sha256 digests: tag [`TAG_NOTARIZE`] (0) =
//! `ConflictingNotarize`, tag [`TAG_FINALIZE`] (1) = `ConflictingFinalize`. Both carry two votes
//! of one signer at one round (epoch, view) for different proposals; the decoder refuses
//! anything else (different signers, rounds, or equal proposals) and trailing bytes.
//!
//! **Verification.** Both signatures are checked by simplex's own ed25519 verifier built over
//! the p2p keys of the validator set of the evidence's epoch (read from state; an unknown epoch
//! is refused) under [`CONSENSUS_NAMESPACE`](super::CONSENSUS_NAMESPACE), with the sequential
//! strategy and a ChaCha rng seeded from the keccak of the evidence (no ambient randomness).
//!
//! **Slashing.** The signer's current stake (bonded + unbonding, both slashable) ×
//! `double_sign_slash_bps` / 10 000, rounded down as the staking module rounds, through
//! `staking::slash` (burned). At most once per (signer, epoch, view): a second report for it —
//! the same pair again, the other conflict type, or another pair — fails. Events: `Slashed`
//! (staking) and `DoubleSignSlashed`.

use super::{CONSENSUS_NAMESPACE, ValidatorEntry};
use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::Exec;
use commonware_codec::{DecodeExt, Encode};
use commonware_consensus::simplex::scheme::ed25519::Scheme;
use commonware_consensus::simplex::types::{
    Attributable, ConflictingFinalize, ConflictingNotarize,
};
use commonware_consensus::{Epochable, Viewable};
use commonware_cryptography::sha256::Digest;
use commonware_parallel::Sequential;
use commonware_utils::ordered::Set;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use verity_primitives::{Address, Hash, math};

/// Tag of a `ConflictingNotarize` evidence.
pub const TAG_NOTARIZE: u8 = 0;
/// Tag of a `ConflictingFinalize` evidence.
pub const TAG_FINALIZE: u8 = 1;
/// Longest evidence accepted (two ed25519 votes are about 230 bytes).
pub const MAX_EVIDENCE_BYTES: usize = 1024;

/// Simplex conflict evidence with the ed25519 scheme and sha256 digests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DoubleSign {
    /// Two notarize votes at one round for different proposals.
    Notarize(ConflictingNotarize<Scheme, Digest>),
    /// Two finalize votes at one round for different proposals.
    Finalize(ConflictingFinalize<Scheme, Digest>),
}

impl DoubleSign {
    /// Tag byte ‖ codec encoding (what `ReportDoubleSign.evidence` carries).
    pub fn encode_evidence(&self) -> Vec<u8> {
        let (tag, body) = match self {
            DoubleSign::Notarize(c) => (TAG_NOTARIZE, c.encode()),
            DoubleSign::Finalize(c) => (TAG_FINALIZE, c.encode()),
        };
        let mut out = Vec::with_capacity(1 + body.len());
        out.push(tag);
        out.extend_from_slice(&body);
        out
    }

    /// Inverse of [`DoubleSign::encode_evidence`]; refuses unknown tags, malformed or
    /// non-conflicting votes and trailing bytes.
    pub fn decode_evidence(bytes: &[u8]) -> Result<DoubleSign, LedgerError> {
        let bad = |m: String| LedgerError::Validators(format!("double-sign evidence: {m}"));
        if bytes.len() > MAX_EVIDENCE_BYTES {
            return Err(bad(format!(
                "{} bytes exceed the limit of {MAX_EVIDENCE_BYTES}",
                bytes.len()
            )));
        }
        let Some((&tag, body)) = bytes.split_first() else {
            return Err(bad("empty".into()));
        };
        match tag {
            TAG_NOTARIZE => ConflictingNotarize::decode(commonware_codec::Copying(body))
                .map(DoubleSign::Notarize)
                .map_err(|e| bad(format!("not a conflicting notarize pair: {e}"))),
            TAG_FINALIZE => ConflictingFinalize::decode(commonware_codec::Copying(body))
                .map(DoubleSign::Finalize)
                .map_err(|e| bad(format!("not a conflicting finalize pair: {e}"))),
            t => Err(bad(format!(
                "unknown tag {t} (0 = conflicting notarize, 1 = conflicting finalize)"
            ))),
        }
    }

    /// The epoch of both votes.
    pub fn epoch(&self) -> u64 {
        match self {
            DoubleSign::Notarize(c) => c.epoch().get(),
            DoubleSign::Finalize(c) => c.epoch().get(),
        }
    }

    /// The view of both votes.
    pub fn view(&self) -> u64 {
        match self {
            DoubleSign::Notarize(c) => c.view().get(),
            DoubleSign::Finalize(c) => c.view().get(),
        }
    }

    /// The signer's index in the epoch's participant set.
    pub fn signer(&self) -> u32 {
        match self {
            DoubleSign::Notarize(c) => c.signer().get(),
            DoubleSign::Finalize(c) => c.signer().get(),
        }
    }

    /// Verify both signatures against `set` (the validator set of [`DoubleSign::epoch`]) and
    /// return the signer's entry. `seed` seeds the (unused for ed25519, but required) rng.
    pub fn verify(
        &self,
        set: &[ValidatorEntry],
        seed: [u8; 32],
    ) -> Result<ValidatorEntry, LedgerError> {
        let bad = |m: String| LedgerError::Validators(format!("double-sign evidence: {m}"));
        let keys = set
            .iter()
            .map(|e| super::public_key(&e.p2p_key))
            .collect::<Result<Vec<_>, _>>()?;
        let participants = Set::try_from(keys)
            .map_err(|e| bad(format!("the epoch's validator set has duplicate keys: {e}")))?;
        let signer = self.signer();
        let key = participants.get(signer as usize).cloned().ok_or_else(|| {
            bad(format!(
                "signer {signer} is not a member of epoch {}'s set of {} validators",
                self.epoch(),
                set.len()
            ))
        })?;
        let scheme = Scheme::verifier(CONSENSUS_NAMESPACE, participants);
        let mut rng = ChaCha20Rng::from_seed(seed);
        let ok = match self {
            DoubleSign::Notarize(c) => c.verify(&mut rng, &scheme, &Sequential),
            DoubleSign::Finalize(c) => c.verify(&mut rng, &scheme, &Sequential),
        };
        if !ok {
            return Err(bad(format!(
                "a signature does not verify for validator {signer} of epoch {}",
                self.epoch()
            )));
        }
        let raw = super::key_bytes(&key);
        set.iter()
            .find(|e| e.p2p_key == raw)
            .cloned()
            .ok_or_else(|| bad("signer key not in the set".into()))
    }
}

/// `ReportDoubleSign` handler (anyone may report).
pub(crate) fn report(
    ex: &mut Exec<'_>,
    _reporter: &Address,
    evidence: &[u8],
) -> Result<(), LedgerError> {
    let ds = DoubleSign::decode_evidence(evidence)?;
    let (epoch, view) = (ds.epoch(), ds.view());
    let set = super::validator_set_in(ex, epoch)?;
    let entry = ds.verify(&set, Hash::keccak(evidence).0)?;
    let who = entry.address;
    if super::already_slashed(ex, &who, epoch, view) {
        return Err(LedgerError::Validators(format!(
            "{who} was already slashed for double signing at epoch {epoch}, view {view}"
        )));
    }
    let bps = super::consensus_params(ex)?.double_sign_slash_bps;
    let stake = crate::staking::stake_record(ex, &who)?.total()?;
    let amount = math::mul_div(stake, u128::from(bps), 10_000, math::Rounding::Down)?;
    let slashed = crate::staking::slash(ex, &who, amount, "double sign")?;
    super::mark_slashed(ex, &who, epoch, view);
    ex.emit(Event::DoubleSignSlashed {
        validator: who,
        epoch,
        view,
        amount: slashed,
    });
    Ok(())
}
