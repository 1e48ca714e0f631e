//! The `validators` module (issue 7): who may run consensus, and the punishment for signing two
//! blocks at one height.
//!
//! **P2p keys.** Every validator or agent has an ed25519 key (its p2p identity and its simplex
//! signing key). `RegisterP2pKey { key, proof }`, signed by the account key, maps the sender's
//! address to `key`; `proof` is the p2p key's signature (commonware `Signer::sign`) under the
//! namespace [`P2P_REGISTER_NAMESPACE`] over [`registration_message`] = `chain_id` (u64
//! big-endian) ‖ `address` (20 bytes), so a key can be registered only by whoever holds it, for
//! one address on one chain. A key owned by another address is refused; registering again
//! replaces the sender's key (its old key is freed). Genesis validators may carry a `p2p_key`.
//!
//! **Epochs.** Epoch `e` covers heights `[e·L, (e+1)·L)` with `L = epoch_length`
//! ([`epoch_of`]). The set of epoch 0 is fixed at genesis (genesis validators with a p2p key);
//! the set of epoch `e+1` is snapshotted by `apply_block` at the last block of epoch `e`
//! (`height % L == L − 1`): every validator (genesis validator or actor of kind validator) with
//! bonded stake > 0 and a registered p2p key; the top `max_validators` by bonded stake (ties:
//! lower address first); then sorted by p2p key bytes — the order of simplex's participant set
//! (`commonware_utils::ordered::Set` of ed25519 public keys). If nobody qualifies the previous
//! set carries over (an empty set would halt the chain). [`validator_set`] reads a stored set.
//!
//! **Double signing.** `ReportDoubleSign { evidence }` (anyone): see [`evidence`].
//!
//! **Keys** (prefix [`PREFIX`] `0x90`): `'k' ‖ address` → p2p key (32 bytes); `'o' ‖ key` →
//! owner address (20 bytes); `'e' ‖ epoch u64` → validator set (n u32 ‖ n × (address ‖ key ‖
//! stake u128)); `'c'` → [`ConsensusParams`]; `'d' ‖ address ‖ epoch u64 ‖ view u64` → empty
//! (a slashed double sign).
//!
//! **Invariant** ([`check_invariants`]): the key → owner index is exactly the inverse of the
//! address → key map; every stored set is sorted by key without duplicates and at most
//! `max_validators` long.

pub mod evidence;
#[cfg(test)]
mod evidence_tests;
pub mod hex;
#[cfg(test)]
mod tests;

use crate::error::LedgerError;
use crate::identity::ActorKind;
use crate::receipt::Event;
use crate::state::keys::Reader;
use crate::state::{Exec, State, Store};
use commonware_codec::DecodeExt;
use commonware_cryptography::Verifier as _;
use commonware_cryptography::ed25519;
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, amount_str};

/// Key prefix of the validators module.
pub const PREFIX: u8 = 0x90;
/// Namespace of the proof of possession in `RegisterP2pKey`.
pub const P2P_REGISTER_NAMESPACE: &[u8] = b"verity.p2p.register";
/// Namespace of simplex consensus signatures (votes and certificates).
pub const CONSENSUS_NAMESPACE: &[u8] = b"verity.consensus";
/// Length of an ed25519 signature (the proof of possession).
pub const PROOF_LEN: usize = 64;

/// Consensus parameters (genesis `[consensus]`, every field optional).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsensusParams {
    /// Blocks per epoch (≥ 1); the validator set changes only between epochs.
    pub epoch_length: u64,
    /// Most validators in a set (≥ 1).
    pub max_validators: u32,
    /// Share of a double-signer's stake slashed, bps (≤ 10 000).
    pub double_sign_slash_bps: u32,
}

impl Default for ConsensusParams {
    fn default() -> Self {
        ConsensusParams {
            epoch_length: 100,
            max_validators: 100,
            double_sign_slash_bps: 500,
        }
    }
}

impl ConsensusParams {
    /// Check the bounds; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.epoch_length == 0 {
            return Err("consensus.epoch_length must be at least 1 block".into());
        }
        if self.max_validators == 0 {
            return Err("consensus.max_validators must be at least 1".into());
        }
        if self.double_sign_slash_bps > 10_000 {
            return Err(format!(
                "consensus.double_sign_slash_bps {} exceeds 10000 (100%)",
                self.double_sign_slash_bps
            ));
        }
        Ok(())
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16);
        out.extend_from_slice(&self.epoch_length.to_be_bytes());
        out.extend_from_slice(&self.max_validators.to_be_bytes());
        out.extend_from_slice(&self.double_sign_slash_bps.to_be_bytes());
        out
    }

    fn decode(v: &[u8]) -> Result<Self, LedgerError> {
        let mut r = Reader::new(v, "consensus params");
        let p = ConsensusParams {
            epoch_length: r.u64()?,
            max_validators: r.u32()?,
            double_sign_slash_bps: r.u32()?,
        };
        r.finish()?;
        Ok(p)
    }
}

/// A member of an epoch's validator set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorEntry {
    /// Account address.
    pub address: Address,
    /// Its registered ed25519 p2p / consensus public key (JSON: 0x-hex).
    #[serde(with = "hex::bytes32")]
    pub p2p_key: [u8; 32],
    /// Bonded stake when the set was fixed (base units).
    #[serde(with = "amount_str")]
    pub stake: u128,
}

/// The epoch of block `height` (`height / epoch_length`; `epoch_length` 0 is treated as 1).
pub fn epoch_of(height: u64, epoch_length: u64) -> u64 {
    height / epoch_length.max(1)
}

/// The message a p2p key signs to prove possession: `chain_id` (u64 BE) ‖ `address`.
pub fn registration_message(chain_id: u64, address: &Address) -> [u8; 28] {
    let mut m = [0u8; 28];
    m[..8].copy_from_slice(&chain_id.to_be_bytes());
    m[8..].copy_from_slice(&address.0);
    m
}

/// Sign the proof of possession of `key` for `address` on `chain_id` (what `verity p2p
/// register` sends).
pub fn sign_registration(key: &ed25519::PrivateKey, chain_id: u64, address: &Address) -> [u8; 64] {
    use commonware_cryptography::Signer as _;
    let sig = key.sign(
        P2P_REGISTER_NAMESPACE,
        &registration_message(chain_id, address),
    );
    let mut out = [0u8; 64];
    out.copy_from_slice(sig.as_ref());
    out
}

/// The ed25519 key with this 32-byte seed (what a `p2p.key` file holds, as hex).
pub fn private_key_from_seed(seed: [u8; 32]) -> ed25519::PrivateKey {
    ed25519::PrivateKey::decode(commonware_codec::Copying(&seed[..]))
        .expect("any 32 bytes are an ed25519 seed")
}

/// The `RegisterP2pKey` payload registering `key` for `address` on `chain_id`.
pub fn registration_payload(
    key: &ed25519::PrivateKey,
    chain_id: u64,
    address: &Address,
) -> crate::tx::Payload {
    use commonware_cryptography::Signer as _;
    crate::tx::Payload::RegisterP2pKey {
        key: key_bytes(&key.public_key()),
        proof: sign_registration(key, chain_id, address).to_vec(),
    }
}

/// The raw 32 bytes of an ed25519 public key.
pub fn key_bytes(key: &ed25519::PublicKey) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(key.as_ref());
    out
}

/// Parse 32 bytes as an ed25519 public key (a point on the curve).
pub fn public_key(bytes: &[u8; 32]) -> Result<ed25519::PublicKey, LedgerError> {
    ed25519::PublicKey::decode(commonware_codec::Copying(&bytes[..])).map_err(|e| {
        LedgerError::Validators(format!(
            "0x{} is not an ed25519 public key: {e}",
            ::hex::encode(bytes)
        ))
    })
}

fn reg_key(a: &Address) -> [u8; 22] {
    let mut k = [0u8; 22];
    k[0] = PREFIX;
    k[1] = b'k';
    k[2..].copy_from_slice(&a.0);
    k
}

fn owner_key(key: &[u8; 32]) -> [u8; 34] {
    let mut k = [0u8; 34];
    k[0] = PREFIX;
    k[1] = b'o';
    k[2..].copy_from_slice(key);
    k
}

fn set_key(epoch: u64) -> [u8; 10] {
    let mut k = [0u8; 10];
    k[0] = PREFIX;
    k[1] = b'e';
    k[2..].copy_from_slice(&epoch.to_be_bytes());
    k
}

const PARAMS_KEY: &[u8] = &[PREFIX, b'c'];

fn slashed_key(a: &Address, epoch: u64, view: u64) -> [u8; 38] {
    let mut k = [0u8; 38];
    k[0] = PREFIX;
    k[1] = b'd';
    k[2..22].copy_from_slice(&a.0);
    k[22..30].copy_from_slice(&epoch.to_be_bytes());
    k[30..].copy_from_slice(&view.to_be_bytes());
    k
}

fn decode_key(v: &[u8], what: &'static str) -> Result<[u8; 32], LedgerError> {
    <[u8; 32]>::try_from(v).map_err(|_| LedgerError::Corrupt(format!("{what}: not 32 bytes")))
}

fn decode_addr(v: &[u8]) -> Result<Address, LedgerError> {
    <[u8; 20]>::try_from(v)
        .map(Address)
        .map_err(|_| LedgerError::Corrupt("p2p key owner: not 20 bytes".into()))
}

fn encode_set(set: &[ValidatorEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + set.len() * 68);
    let n = u32::try_from(set.len()).expect("a set holds at most max_validators (u32) entries");
    out.extend_from_slice(&n.to_be_bytes());
    for e in set {
        out.extend_from_slice(&e.address.0);
        out.extend_from_slice(&e.p2p_key);
        out.extend_from_slice(&e.stake.to_be_bytes());
    }
    out
}

fn decode_set(v: &[u8]) -> Result<Vec<ValidatorEntry>, LedgerError> {
    let mut r = Reader::new(v, "validator set");
    let n = r.u32()?;
    let mut out = Vec::new();
    for _ in 0..n {
        let mut address = [0u8; 20];
        for b in address.iter_mut() {
            *b = r.u8()?;
        }
        let mut p2p_key = [0u8; 32];
        for b in p2p_key.iter_mut() {
            *b = r.u8()?;
        }
        let stake = r.u128()?;
        out.push(ValidatorEntry {
            address: Address(address),
            p2p_key,
            stake,
        });
    }
    r.finish()?;
    Ok(out)
}

/// The consensus parameters (defaults when the state predates them).
pub fn consensus_params(s: &impl Store) -> Result<ConsensusParams, LedgerError> {
    match s.get(PARAMS_KEY) {
        Some(v) => ConsensusParams::decode(v),
        None => Ok(ConsensusParams::default()),
    }
}

/// The p2p key registered for `addr`, if any.
pub fn p2p_key(state: &State, addr: &Address) -> Option<[u8; 32]> {
    p2p_key_in(state, addr).ok().flatten()
}

/// [`p2p_key`] on any store (inside a block), failing on a corrupt record.
pub(crate) fn p2p_key_in(s: &impl Store, addr: &Address) -> Result<Option<[u8; 32]>, LedgerError> {
    s.get(&reg_key(addr))
        .map(|v| decode_key(v, "p2p key"))
        .transpose()
}

/// The address that registered p2p key `key`, if any.
pub fn owner_of(state: &State, key: &[u8; 32]) -> Option<Address> {
    state.get(&owner_key(key)).and_then(|v| decode_addr(v).ok())
}

/// Every registered (address, p2p key), sorted by address (the peers a node admits).
pub fn registered_peers(state: &State) -> Vec<(Address, [u8; 32])> {
    let mut out = Vec::new();
    for (k, v) in state.keys_with_prefix(&[PREFIX, b'k']).filter_map(|k| {
        let v = state.get(k)?;
        Some((k, v))
    }) {
        if let (Ok(a), Ok(key)) = (decode_addr(&k[2..]), decode_key(v, "p2p key")) {
            out.push((a, key));
        }
    }
    out
}

/// The validator set of `epoch`, sorted by p2p key. Errors for an epoch whose set is not fixed
/// yet (the set of epoch `e+1` is fixed at the last block of epoch `e`).
pub fn validator_set(state: &State, epoch: u64) -> Result<Vec<ValidatorEntry>, LedgerError> {
    validator_set_in(state, epoch)
}

pub(crate) fn validator_set_in(
    s: &impl Store,
    epoch: u64,
) -> Result<Vec<ValidatorEntry>, LedgerError> {
    match s.get(&set_key(epoch)) {
        Some(v) => decode_set(v),
        None => {
            let height = match s.get(crate::state::keys::META_HEIGHT) {
                Some(v) => crate::state::keys::decode_u64(v, "height")?,
                None => 0,
            };
            let len = consensus_params(s)?.epoch_length;
            Err(LedgerError::Validators(format!(
                "the validator set of epoch {epoch} is not known: the chain is at height {height} \
                 in epoch {} (the set of epoch e+1 is fixed at the last block of epoch e, every \
                 {len} blocks)",
                epoch_of(height, len)
            )))
        }
    }
}

fn is_validator(s: &impl Store, a: &Address) -> Result<bool, LedgerError> {
    if s.get(&crate::state::keys::addr_key(
        crate::state::keys::VALIDATOR,
        a,
    ))
    .is_some()
    {
        return Ok(true);
    }
    Ok(crate::identity::actor(s, a)?.is_some_and(|act| act.kind == ActorKind::Validator))
}

/// Compute the set from the current (block) state: see the module docs.
fn compute_set(ex: &Exec<'_>, max: u32) -> Result<Vec<ValidatorEntry>, LedgerError> {
    let mut cands = Vec::new();
    for k in ex.keys_with_prefix(&[PREFIX, b'k']) {
        let a = decode_addr(&k[2..])?;
        let Some(key) = p2p_key_in(ex, &a)? else {
            continue;
        };
        if !is_validator(ex, &a)? {
            continue;
        }
        let stake = crate::staking::stake_record(ex, &a)?.bonded;
        if stake > 0 {
            cands.push(ValidatorEntry {
                address: a,
                p2p_key: key,
                stake,
            });
        }
    }
    cands.sort_by(|x, y| y.stake.cmp(&x.stake).then(x.address.cmp(&y.address)));
    cands.truncate(max as usize);
    cands.sort_by_key(|e| e.p2p_key);
    Ok(cands)
}

/// Check the genesis consensus section and the genesis validators' p2p keys.
pub(crate) fn validate_genesis(g: &crate::genesis::Genesis) -> Result<(), LedgerError> {
    let err = |m: String| LedgerError::Genesis(m);
    if let Some(c) = &g.consensus {
        c.validate().map_err(err)?;
    }
    let mut seen = std::collections::BTreeMap::new();
    for (i, v) in g.validators.iter().enumerate() {
        let Some(key) = v.p2p_key else { continue };
        public_key(&key).map_err(|e| err(format!("validators[{i}].p2p_key: {e}")))?;
        if let Some(j) = seen.insert(key, i) {
            return Err(err(format!(
                "validators[{i}].p2p_key is the same key as validators[{j}]: every validator needs its own"
            )));
        }
    }
    Ok(())
}

/// Genesis: store the parameters, register the genesis validators' p2p keys and fix the set
/// of epoch 0.
pub(crate) fn init_genesis(
    ex: &mut Exec<'_>,
    g: &crate::genesis::Genesis,
) -> Result<(), LedgerError> {
    let params = g.consensus.unwrap_or_default();
    ex.put(PARAMS_KEY, Some(params.encode()));
    for v in &g.validators {
        if let Some(key) = v.p2p_key {
            ex.put(&reg_key(&v.address), Some(key.to_vec()));
            ex.put(&owner_key(&key), Some(v.address.0.to_vec()));
        }
    }
    let set = compute_set(ex, params.max_validators)?;
    ex.put(&set_key(0), Some(encode_set(&set)));
    Ok(())
}

/// End of block: at the last block of an epoch, fix the next epoch's set.
pub(crate) fn end_block(ex: &mut Exec<'_>) -> Result<(), LedgerError> {
    let params = consensus_params(ex)?;
    let len = params.epoch_length.max(1);
    if ex.height % len != len - 1 {
        return Ok(());
    }
    let epoch = epoch_of(ex.height, len);
    let next = epoch
        .checked_add(1)
        .ok_or_else(|| LedgerError::InvalidBlock("epoch counter overflow".into()))?;
    let mut set = compute_set(ex, params.max_validators)?;
    if set.is_empty() {
        // Nobody qualifies: keep the current set rather than halt the chain.
        set = match validator_set_in(ex, epoch) {
            Ok(s) => s,
            Err(LedgerError::Validators(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
    }
    ex.put(&set_key(next), Some(encode_set(&set)));
    Ok(())
}

/// `RegisterP2pKey` handler.
pub(crate) fn register(
    ex: &mut Exec<'_>,
    sender: &Address,
    key: &[u8; 32],
    proof: &[u8],
) -> Result<(), LedgerError> {
    let bad = |m: String| Err(LedgerError::Validators(m));
    if proof.len() != PROOF_LEN {
        return bad(format!(
            "the proof must be a {PROOF_LEN}-byte ed25519 signature, got {} bytes",
            proof.len()
        ));
    }
    let pk = public_key(key)?;
    let sig = ed25519::Signature::decode(commonware_codec::Copying(proof))
        .map_err(|e| LedgerError::Validators(format!("the proof is not a signature: {e}")))?;
    let msg = registration_message(ex.state().chain_id(), sender);
    if !pk.verify(P2P_REGISTER_NAMESPACE, &msg, &sig) {
        return bad(format!(
            "the proof does not verify: sign chain id {} ‖ address {sender} with the p2p key \
             under the namespace {:?}",
            ex.state().chain_id(),
            String::from_utf8_lossy(P2P_REGISTER_NAMESPACE)
        ));
    }
    if let Some(v) = ex.get(&owner_key(key)) {
        let owner = decode_addr(v)?;
        if owner != *sender {
            return bad(format!(
                "p2p key 0x{} is already registered to {owner}",
                ::hex::encode(key)
            ));
        }
    }
    if let Some(old) = p2p_key_in(ex, sender)?
        && old != *key
    {
        ex.put(&owner_key(&old), None);
    }
    ex.put(&reg_key(sender), Some(key.to_vec()));
    ex.put(&owner_key(key), Some(sender.0.to_vec()));
    ex.emit(Event::P2pKeyRegistered {
        account: *sender,
        key: *key,
    });
    Ok(())
}

/// Was (validator, epoch, view) already slashed?
pub(crate) fn already_slashed(s: &impl Store, a: &Address, epoch: u64, view: u64) -> bool {
    s.get(&slashed_key(a, epoch, view)).is_some()
}

/// Record that (validator, epoch, view) was slashed.
pub(crate) fn mark_slashed(ex: &mut Exec<'_>, a: &Address, epoch: u64, view: u64) {
    ex.put(&slashed_key(a, epoch, view), Some(Vec::new()));
}

/// The module invariant (see the module docs).
pub(crate) fn check_invariants(state: &State) -> Result<(), LedgerError> {
    let inv = |m: String| Err(LedgerError::Invariant(format!("validators: {m}")));
    let peers = registered_peers(state);
    let mut owners = 0usize;
    for k in state.keys_with_prefix(&[PREFIX, b'o']) {
        owners += 1;
        let key = decode_key(&k[2..], "owner index key")?;
        let Some(owner) = owner_of(state, &key) else {
            return inv("an owner record does not decode".into());
        };
        if p2p_key(state, &owner) != Some(key) {
            return inv(format!(
                "key 0x{} names owner {owner}, whose registered key differs",
                ::hex::encode(key)
            ));
        }
    }
    if owners != peers.len() {
        return inv(format!(
            "{} registered addresses but {owners} owner records",
            peers.len()
        ));
    }
    let max = consensus_params(state)?.max_validators as usize;
    for k in state.keys_with_prefix(&[PREFIX, b'e']) {
        let v = state.get(k).expect("a key listed by the state has a value");
        let set = decode_set(v)?;
        if set.len() > max {
            return inv(format!("a set has {} members, more than {max}", set.len()));
        }
        if !set.windows(2).all(|w| w[0].p2p_key < w[1].p2p_key) {
            return inv("a set is not strictly sorted by p2p key".into());
        }
    }
    Ok(())
}
