//! The `dispute` game (issue 4): refereed delegation over a committed `ree` trace.
//!
//! **Opening.** While a job is `Committed` and its challenge window runs, anyone with bonded
//! stake (not the provider) sends `Challenge {job, trace_root, bond}`: its own trace root (≠ the
//! provider's) and a bond ≥ `min_challenge_bond` of the staking token, held by the market
//! account. The job becomes `Disputed`.
//!
//! **Bisection** descends both parties' Merkle trees (the `ree` construction: a node over `m`
//! leaves has a left child over the first 2^(⌈log2 m⌉−1) leaves and a right child over the
//! rest; a leaf node is `blake3(0x00 ‖ leaf)`, an inner node `blake3(0x01 ‖ l ‖ r)`). A
//! **round** is one `Bisect {dispute, left, right}` from *each* party: its two children of its
//! current node (for a child covering one leaf, the raw leaf value). The ledger checks each
//! against the sender's own node, so every claim is bound to its committed root. Once both
//! moved: if the left children differ the game goes left, otherwise right. Going right only when
//! the left halves are equal means every leaf before the one finally reached is agreed. Phase 1
//! runs over the step hashes under the trace roots and ends at the first differing step; phase 2
//! runs over that step's leaves (under each side's step hash) and ends at the first differing
//! leaf. Sending twice in a round, or a non-party sending, is "out of turn" (receipt error).
//! Rounds of a phase = the depth of the reached leaf (≤ ⌈log2 n⌉, equal when n is a power of
//! two or the leaf lies in the power-of-two left part), so total rounds ≤ ⌈log2 steps⌉ +
//! ⌈log2 leaves⌉ + 1 (the ruling round).
//!
//! **Ruling.** At the disputed leaf each party sends `Rule {dispute, evidence}` (JSON
//! [`Evidence`]): the op descriptor, its input tensors, and for each input a proof that its hash
//! is fixed by an earlier, agreed leaf of the same step (an input leaf `input_leaf(name, hash)`,
//! or output `k` of an op leaf revealed as `op_leaf(desc, ins, outs)`), each with a Merkle proof
//! under the sender's step hash. Evidence whose proofs fail is refused (receipt error; the party
//! may resend before the deadline). The ledger then runs [`verity_ree::replay::replay_op`]: a
//! party is *right* when the replayed leaf equals its own disputed leaf. After both sent (or the
//! deadline passed, `ClaimTimeout`): right/wrong → that side wins; both wrong → both lose;
//! both right (only possible with different op descriptors, which the ledger cannot yet check
//! against the job spec) → the commit stands.
//!
//! **Deadlines.** Every round (and the ruling) must be finished within `round_blocks` blocks
//! of the previous one; after that anyone may `ClaimTimeout`: a side that did not move loses
//! (both silent → both lose). Every game ends in exactly one `DisputeRuled` event.
//!
//! **Payouts.** Provider loses: its locked collateral is slashed; `winner_share_bps` of it goes
//! to the challenger, the rest is burned; the bond is returned; the buyer gets the whole escrow
//! back; reputation −5. Challenger loses: `winner_share_bps` of its bond goes to the provider,
//! the rest is burned; the job returns to `Committed` (settles once its window is over). Both
//! lose: collateral and bond are burned, the escrow refunded.
//!
//! **Sizes.** `Rule` carries tensors, so it may be up to [`MAX_RULING_TX_BYTES`] (the general
//! limit is [`crate::MAX_TX_BYTES`]).

use super::{JobStatus, add_reputation, load, market_account, params, save, unlock};
use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::{Exec, State, Store};
use crate::{staking, tokens};
use serde::{Deserialize, Serialize};
use verity_primitives::math::{Rounding, mul_div};
use verity_primitives::{Address, Hash, amount_str};
use verity_ree::trace::{Hash32, Proof, input_leaf, merkle, op_leaf};

/// Largest accepted `Rule` transaction (JSON bytes): it carries one op's input tensors.
pub const MAX_RULING_TX_BYTES: usize = 4 * 1024 * 1024;

/// Key prefix of disputes: `0x61 'd' ‖ id u64` → JSON, `0x61 'n'` → count.
pub const PREFIX: u8 = 0x61;

/// Which part of the game runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Bisecting step hashes.
    Steps,
    /// Bisecting the leaves of the first differing step.
    Leaves,
    /// Waiting for both sides' evidence at the disputed leaf.
    Rule,
    /// Ruled.
    Done,
}

/// Who won.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Winner {
    /// The provider's commit stands.
    Provider,
    /// The challenger proved the provider wrong.
    Challenger,
    /// Both were wrong (or both silent).
    Neither,
}

/// A ruling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Winner.
    pub winner: Winner,
    /// Why (`replay`, `timeout`).
    pub reason: String,
    /// Stake slashed from the provider.
    #[serde(with = "amount_str")]
    pub slashed: u128,
    /// Paid to the winner out of the loser's stake or bond.
    #[serde(with = "amount_str")]
    pub paid: u128,
    /// Burned (stake and bond).
    #[serde(with = "amount_str")]
    pub burned: u128,
}

/// A dispute as stored and served. Index 0 of each pair is the provider, 1 the challenger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    /// Id.
    pub id: u64,
    /// Job.
    pub job: u64,
    /// Provider.
    pub provider: Address,
    /// Challenger.
    pub challenger: Address,
    /// Challenger's bond (staking token).
    #[serde(with = "amount_str")]
    pub bond: u128,
    /// Both trace roots.
    pub roots: [Hash; 2],
    /// Steps in the trace.
    pub steps: u64,
    /// Leaves per step.
    pub leaves: u64,
    /// Phase.
    pub phase: Phase,
    /// First index of the current range (steps or leaves).
    pub lo: u64,
    /// Size of the current range.
    pub size: u64,
    /// Each side's current node.
    pub node: [Hash; 2],
    /// The first differing step (phase ≥ Leaves).
    pub step: u64,
    /// Each side's hash of that step.
    pub step_hash: [Hash; 2],
    /// Each side's disputed leaf (phase Rule).
    pub leaf_value: [Hash; 2],
    /// This round's moves.
    pub moves: [Option<(Hash, Hash)>; 2],
    /// Ruling evidence results (`Some(true)` = its replay matched its own leaf).
    pub verdicts: [Option<bool>; 2],
    /// Height by which the current round must finish.
    pub deadline: u64,
    /// Rounds completed (bisection rounds, then +1 for the ruling).
    pub rounds: u32,
    /// The ruling.
    pub outcome: Option<Outcome>,
}

/// Input tensor bytes in evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorBytes {
    /// Shape.
    pub shape: Vec<usize>,
    /// Hex of the little-endian element bytes.
    pub data: String,
}

/// Where an input's hash is fixed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputSource {
    /// Input leaf `leaf` = `input_leaf(name, hash)`.
    Input {
        /// Leaf index in the step.
        leaf: u64,
        /// Tensor name.
        name: String,
        /// Proof under the sender's step hash.
        proof: Proof,
    },
    /// Output `output` of the op at leaf `leaf` = `op_leaf(desc, inputs, outputs)`.
    Op {
        /// Leaf index in the step.
        leaf: u64,
        /// Hex of the op's descriptor bytes.
        desc: String,
        /// Its input hashes.
        inputs: Vec<Hash>,
        /// Its output hashes.
        outputs: Vec<Hash>,
        /// Which output.
        output: u32,
        /// Proof under the sender's step hash.
        proof: Proof,
    },
}

/// A party's evidence at the disputed leaf.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The op.
    pub op: verity_ree::Op,
    /// Its inputs.
    pub inputs: Vec<TensorBytes>,
    /// Where each input's hash comes from.
    pub sources: Vec<InputSource>,
}

fn derr(m: impl Into<String>) -> LedgerError {
    LedgerError::Dispute(m.into())
}

fn key(id: u64) -> Vec<u8> {
    let mut k = vec![PREFIX, b'd'];
    k.extend_from_slice(&id.to_be_bytes());
    k
}
const COUNT_KEY: &[u8] = &[PREFIX, b'n'];

/// Read dispute `id`.
pub fn dispute(s: &impl Store, id: u64) -> Result<Option<Dispute>, LedgerError> {
    match s.get(&key(id)) {
        None => Ok(None),
        Some(v) => serde_json::from_slice(v)
            .map(Some)
            .map_err(|e| LedgerError::Corrupt(format!("dispute {id}: {e}"))),
    }
}

fn save_d(ex: &mut Exec<'_>, d: &Dispute) {
    ex.put(
        &key(d.id),
        Some(serde_json::to_vec(d).expect("a dispute always serialises")),
    );
}

/// Every dispute in id order (read view for the API).
pub fn disputes(s: &State) -> Result<Vec<Dispute>, LedgerError> {
    s.scan(PREFIX)
        .filter(|(k, _)| k.len() == 10 && k[1] == b'd')
        .map(|(_, v)| {
            serde_json::from_slice(v).map_err(|e| LedgerError::Corrupt(format!("dispute: {e}")))
        })
        .collect()
}

/// `blake3(0x00 ‖ leaf)`, the `ree` Merkle leaf node.
pub fn leaf_node(x: &Hash32) -> Hash32 {
    let mut h = blake3::Hasher::new();
    h.update(&[0x00]);
    h.update(x);
    *h.finalize().as_bytes()
}

/// `blake3(0x01 ‖ l ‖ r)`, the `ree` Merkle inner node.
pub fn inner_node(l: &Hash32, r: &Hash32) -> Hash32 {
    let mut h = blake3::Hasher::new();
    h.update(&[0x01]);
    h.update(l);
    h.update(r);
    *h.finalize().as_bytes()
}

/// Leaves under the left child of a node over `m ≥ 2` leaves.
pub fn left_size(m: u64) -> u64 {
    let mut p = 1u64;
    while p.saturating_mul(2) < m {
        p *= 2;
    }
    p
}

/// Rounds needed to reach leaf `i` of a tree over `n` leaves (its depth).
pub fn depth(n: u64, i: u64) -> u32 {
    let (mut lo, mut size, mut d) = (0u64, n, 0u32);
    while size > 1 {
        let l = left_size(size);
        if i < lo + l {
            size = l;
        } else {
            lo += l;
            size -= l;
        }
        d += 1;
    }
    d
}

/// ⌈log2 n⌉.
pub fn ceil_log2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// The children a party sends for its current node: for a child over one leaf, the raw leaf.
pub fn children(level: &[Hash32], lo: u64, size: u64) -> Option<(Hash32, Hash32)> {
    let l = left_size(size);
    let sub = |a: u64, m: u64| -> Option<Hash32> {
        let s = level.get(usize::try_from(a).ok()?..usize::try_from(a + m).ok()?)?;
        Some(if m == 1 { s[0] } else { merkle::root(s) })
    };
    Some((sub(lo, l)?, sub(lo + l, size - l)?))
}

fn side(d: &Dispute, sender: &Address) -> Result<usize, LedgerError> {
    if *sender == d.provider {
        Ok(0)
    } else if *sender == d.challenger {
        Ok(1)
    } else {
        Err(derr(format!("{sender} is not a party to dispute {}", d.id)))
    }
}

fn load_d(s: &impl Store, id: u64) -> Result<Dispute, LedgerError> {
    dispute(s, id)?.ok_or_else(|| derr(format!("no dispute {id}")))
}

/// `Challenge` handler.
pub(crate) fn challenge(
    ex: &mut Exec<'_>,
    sender: &Address,
    job_id: u64,
    root: Hash,
    bond: u128,
) -> Result<(), LedgerError> {
    let p = params(ex)?;
    let mut j = load(ex, job_id)?;
    if j.status != JobStatus::Committed {
        return Err(derr(format!(
            "job {job_id} is {:?}, not committed",
            j.status
        )));
    }
    let c = j
        .commit
        .clone()
        .ok_or_else(|| derr("committed job without commit"))?;
    let end = super::challenge_end(&j).ok_or_else(|| derr("challenge window overflows"))?;
    if ex.now >= end {
        return Err(derr(format!(
            "job {job_id}'s challenge window closed at {end}"
        )));
    }
    let provider = j
        .provider
        .ok_or_else(|| derr("committed job without provider"))?;
    if *sender == provider {
        return Err(derr("the provider cannot challenge itself"));
    }
    if bond < p.min_challenge_bond.max(1) {
        return Err(derr(format!(
            "a challenge needs a bond of at least {}",
            p.min_challenge_bond.max(1)
        )));
    }
    if staking::stake_record(ex, sender)?.bonded == 0 {
        return Err(derr("only staked accounts may challenge"));
    }
    if root == c.trace_root {
        return Err(derr("the challenger's root equals the provider's"));
    }
    let st = ex.state().params().staking_token;
    tokens::move_balance(ex, sender, &market_account(), st, bond)?;
    let id = match ex.get(COUNT_KEY) {
        None => 0,
        Some(v) => crate::state::keys::decode_u64(v, "dispute count")?,
    };
    ex.put(COUNT_KEY, Some((id + 1).to_be_bytes().to_vec()));
    let d = Dispute {
        id,
        job: job_id,
        provider,
        challenger: *sender,
        bond,
        roots: [c.trace_root, root],
        steps: c.steps,
        leaves: c.ops_per_step,
        phase: Phase::Steps,
        lo: 0,
        size: c.steps,
        node: [c.trace_root, root],
        step: 0,
        step_hash: [Hash::ZERO; 2],
        leaf_value: [Hash::ZERO; 2],
        moves: [None, None],
        verdicts: [None, None],
        deadline: ex.height.saturating_add(p.round_blocks),
        rounds: 0,
        outcome: None,
    };
    save_d(ex, &d);
    j.status = JobStatus::Disputed;
    j.disputes.push(id);
    save(ex, &j);
    ex.emit(Event::DisputeOpened {
        dispute: id,
        job: job_id,
        challenger: *sender,
        bond,
    });
    Ok(())
}

/// `Bisect` handler.
pub(crate) fn bisect(
    ex: &mut Exec<'_>,
    sender: &Address,
    id: u64,
    left: Hash,
    right: Hash,
) -> Result<(), LedgerError> {
    let mut d = load_d(ex, id)?;
    let s = side(&d, sender)?;
    if !matches!(d.phase, Phase::Steps | Phase::Leaves) {
        return Err(derr(format!(
            "dispute {id} is not bisecting (phase {:?})",
            d.phase
        )));
    }
    if ex.height > d.deadline {
        return Err(derr(format!(
            "dispute {id}'s round deadline {} passed",
            d.deadline
        )));
    }
    if d.moves[s].is_some() {
        return Err(derr(format!(
            "out of turn: already moved in round {}",
            d.rounds + 1
        )));
    }
    let l = left_size(d.size);
    let wrap = |x: &Hash, m: u64| if m == 1 { leaf_node(&x.0) } else { x.0 };
    if inner_node(&wrap(&left, l), &wrap(&right, d.size - l)) != d.node[s].0 {
        return Err(derr("these children do not hash to your current node"));
    }
    d.moves[s] = Some((left, right));
    if let [Some(p), Some(c)] = d.moves {
        let go_left = p.0 != c.0;
        let (lo, size, nodes) = if go_left {
            (d.lo, l, [p.0, c.0])
        } else {
            (d.lo + l, d.size - l, [p.1, c.1])
        };
        d.moves = [None, None];
        d.rounds += 1;
        d.deadline = ex.height.saturating_add(params(ex)?.round_blocks);
        if size > 1 {
            d.lo = lo;
            d.size = size;
            d.node = nodes;
        } else if d.phase == Phase::Steps {
            d.step = lo;
            d.step_hash = nodes;
            d.phase = Phase::Leaves;
            d.lo = 0;
            d.size = d.leaves;
            d.node = nodes;
        } else {
            d.lo = lo;
            d.size = 1;
            d.leaf_value = nodes;
            d.phase = Phase::Rule;
        }
        ex.emit(Event::DisputeRound {
            dispute: id,
            round: d.rounds,
            phase: format!("{:?}", d.phase),
            step: if d.phase == Phase::Steps {
                d.lo
            } else {
                d.step
            },
            lo: d.lo,
            size: d.size,
        });
    }
    save_d(ex, &d);
    Ok(())
}

fn hex_hash(h: &Hash) -> Hash32 {
    h.0
}

/// Check `ev` against the agreed leaves before the disputed one; on success return whether the
/// replay reproduces the sender's own leaf.
pub fn judge(d: &Dispute, s: usize, ev: &Evidence) -> Result<bool, LedgerError> {
    if ev.inputs.len() != ev.sources.len() {
        return Err(derr("one source per input is needed"));
    }
    let step_hash = d.step_hash[s].0;
    let at = d.lo;
    let mut tensors = Vec::with_capacity(ev.inputs.len());
    let mut hashes = Vec::with_capacity(ev.inputs.len());
    for (i, (tb, src)) in ev.inputs.iter().zip(&ev.sources).enumerate() {
        let bytes = hex::decode(&tb.data).map_err(|e| derr(format!("input {i}: {e}")))?;
        let t = verity_ree::Tensor::from_le_bytes(tb.shape.clone(), &bytes)
            .map_err(|e| derr(format!("input {i}: {e}")))?;
        let th = t.hash();
        let (leaf, value, proof) = match src {
            InputSource::Input { leaf, name, proof } => (*leaf, input_leaf(name, &th), proof),
            InputSource::Op {
                leaf,
                desc,
                inputs,
                outputs,
                output,
                proof,
            } => {
                let k = *output as usize;
                if outputs.get(k).map(hex_hash) != Some(th) {
                    return Err(derr(format!(
                        "input {i} does not match output {k} of leaf {leaf}"
                    )));
                }
                let desc = hex::decode(desc).map_err(|e| derr(format!("input {i}: {e}")))?;
                let ins: Vec<Hash32> = inputs.iter().map(hex_hash).collect();
                let outs: Vec<Hash32> = outputs.iter().map(hex_hash).collect();
                (*leaf, op_leaf(&desc, &ins, &outs), proof)
            }
        };
        let ok = leaf < at
            && proof.index as u64 == leaf
            && proof.leaf_count as u64 == d.leaves
            && merkle::verify(&step_hash, &value, proof);
        if !ok {
            return Err(derr(format!(
                "input {i} does not match an agreed leaf before leaf {at} of step {}",
                d.step
            )));
        }
        tensors.push(t);
        hashes.push(th);
    }
    Ok(
        match verity_ree::replay::replay_op(&ev.op, &tensors, &hashes) {
            Ok(leaf) => leaf == d.leaf_value[s].0,
            Err(_) => false,
        },
    )
}

/// `Rule` handler: a party's evidence at the disputed leaf.
pub(crate) fn rule(
    ex: &mut Exec<'_>,
    sender: &Address,
    id: u64,
    evidence: &str,
) -> Result<(), LedgerError> {
    let mut d = load_d(ex, id)?;
    let s = side(&d, sender)?;
    if d.phase != Phase::Rule {
        return Err(derr(format!(
            "dispute {id} is not at its ruling (phase {:?})",
            d.phase
        )));
    }
    if ex.height > d.deadline {
        return Err(derr(format!(
            "dispute {id}'s ruling deadline {} passed",
            d.deadline
        )));
    }
    if d.verdicts[s].is_some() {
        return Err(derr("out of turn: evidence already submitted"));
    }
    let ev: Evidence =
        serde_json::from_str(evidence).map_err(|e| derr(format!("evidence is not valid: {e}")))?;
    d.verdicts[s] = Some(judge(&d, s, &ev)?);
    if let [Some(p), Some(c)] = d.verdicts {
        d.rounds += 1;
        let w = match (p, c) {
            (true, false) | (true, true) => Winner::Provider,
            (false, true) => Winner::Challenger,
            (false, false) => Winner::Neither,
        };
        finish(ex, &mut d, w, "replay")?;
    }
    save_d(ex, &d);
    Ok(())
}

/// `ClaimTimeout` handler (anyone, after the round deadline).
pub(crate) fn claim_timeout(ex: &mut Exec<'_>, id: u64) -> Result<(), LedgerError> {
    let mut d = load_d(ex, id)?;
    if d.phase == Phase::Done {
        return Err(derr(format!("dispute {id} is already ruled")));
    }
    if ex.height <= d.deadline {
        return Err(derr(format!(
            "dispute {id}'s deadline is block {} (now {})",
            d.deadline, ex.height
        )));
    }
    let moved = if d.phase == Phase::Rule {
        [d.verdicts[0].is_some(), d.verdicts[1].is_some()]
    } else {
        [d.moves[0].is_some(), d.moves[1].is_some()]
    };
    let right = if d.phase == Phase::Rule {
        [d.verdicts[0] == Some(true), d.verdicts[1] == Some(true)]
    } else {
        moved
    };
    let w = match right {
        [true, false] => Winner::Provider,
        [false, true] => Winner::Challenger,
        [false, false] => Winner::Neither,
        [true, true] => Winner::Provider,
    };
    if d.phase == Phase::Rule {
        d.rounds += 1;
    }
    finish(ex, &mut d, w, "timeout")?;
    save_d(ex, &d);
    Ok(())
}

fn finish(ex: &mut Exec<'_>, d: &mut Dispute, w: Winner, reason: &str) -> Result<(), LedgerError> {
    let p = params(ex)?;
    let share = |x: u128| mul_div(x, u128::from(p.winner_share_bps), 10_000, Rounding::Down);
    let mut j = load(ex, d.job)?;
    let m = market_account();
    let st = ex.state().params().staking_token;
    let (mut slashed, mut paid, mut burned) = (0u128, 0u128, 0u128);
    if matches!(w, Winner::Challenger | Winner::Neither) {
        let to = (w == Winner::Challenger).then_some(d.challenger);
        let pay_bps = if to.is_some() { p.winner_share_bps } else { 0 };
        let (s, pd) = staking::slash_to(
            ex,
            &d.provider,
            j.locked,
            to.as_ref(),
            pay_bps,
            "dispute: provider lost",
        )?;
        slashed = s;
        paid += pd;
        burned += s - pd;
        unlock(ex, &d.provider, j.locked)?;
        tokens::move_balance(ex, &m, &j.buyer, j.terms.token, j.terms.escrow)?;
        add_reputation(ex, &d.provider, -5)?;
        super::verify::penalise_attesters(ex, &j)?;
        j.status = JobStatus::Slashed;
    } else {
        j.status = JobStatus::Committed;
    }
    match w {
        Winner::Challenger => tokens::move_balance(ex, &m, &d.challenger, st, d.bond)?,
        Winner::Provider => {
            let to_provider = share(d.bond)?;
            if to_provider > 0 {
                tokens::move_balance(ex, &m, &d.provider, st, to_provider)?;
            }
            let rest = d.bond - to_provider;
            if rest > 0 {
                tokens::burn_from(ex, &m, st, rest)?;
            }
            paid += to_provider;
            burned += rest;
        }
        Winner::Neither => {
            tokens::burn_from(ex, &m, st, d.bond)?;
            burned += d.bond;
        }
    }
    save(ex, &j);
    d.phase = Phase::Done;
    d.moves = [None, None];
    let o = Outcome {
        winner: w,
        reason: reason.to_string(),
        slashed,
        paid,
        burned,
    };
    ex.emit(Event::DisputeRuled {
        dispute: d.id,
        job: d.job,
        winner: format!("{w:?}"),
        reason: reason.to_string(),
        rounds: d.rounds,
        slashed,
        paid,
        burned,
    });
    d.outcome = Some(o);
    Ok(())
}
