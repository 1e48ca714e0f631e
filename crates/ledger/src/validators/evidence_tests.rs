//! Tests of `ReportDoubleSign` with real simplex votes: ed25519 schemes over the epoch's
//! validator set sign two different proposals at one round.

use super::evidence::{DoubleSign, TAG_FINALIZE, TAG_NOTARIZE};
use super::tests::{empty_block, kit, p2p, pk, stake_of};
use super::*;
use crate::treasury::testkit::{Kit, err, non_nonce_entries, ok};
use crate::tx::Payload;
use commonware_codec::Encode;
use commonware_consensus::simplex::scheme::ed25519::Scheme;
use commonware_consensus::simplex::types::{
    ConflictingFinalize, ConflictingNotarize, Finalize, Notarize, Proposal,
};
use commonware_consensus::types::{Epoch, Round, View};
use commonware_cryptography::Signer as _;
use commonware_cryptography::sha256::Digest;
use commonware_utils::ordered::Set;

/// The simplex signing scheme of test key `signer` over the participants `keys` (test key
/// indices), as a validator's consensus engine would build it.
fn scheme(keys: &[u64], signer: u64) -> Scheme {
    let participants = Set::try_from(
        keys.iter()
            .map(|&i| p2p(i).public_key())
            .collect::<Vec<_>>(),
    )
    .expect("distinct keys");
    Scheme::signer(CONSENSUS_NAMESPACE, participants, p2p(signer)).expect("signer is a member")
}

fn proposal(epoch: u64, view: u64, payload: u8) -> Proposal<Digest> {
    Proposal::new(
        Round::new(Epoch::new(epoch), View::new(view)),
        View::new(view.saturating_sub(1)),
        Digest([payload; 32]),
    )
}

fn notarize(s: &Scheme, epoch: u64, view: u64, payload: u8) -> Notarize<Scheme, Digest> {
    Notarize::sign(s, proposal(epoch, view, payload)).expect("a signer scheme signs")
}

fn finalize(s: &Scheme, epoch: u64, view: u64, payload: u8) -> Finalize<Scheme, Digest> {
    Finalize::sign(s, proposal(epoch, view, payload)).expect("a signer scheme signs")
}

fn notarize_evidence(s: &Scheme, epoch: u64, view: u64) -> Vec<u8> {
    DoubleSign::Notarize(ConflictingNotarize::new(
        notarize(s, epoch, view, 1),
        notarize(s, epoch, view, 2),
    ))
    .encode_evidence()
}

/// A chain whose genesis validators 0..4 all carry keys 0..4 (epochs of 10 blocks, 5% slash).
fn chain() -> (Kit, Vec<u64>) {
    (kit(5, 4, &[0, 1, 2, 3], 10), vec![0, 1, 2, 3])
}

fn report(k: &mut Kit, evidence: Vec<u8>) -> crate::Receipt {
    k.send(4, Payload::ReportDoubleSign { evidence })
}

#[test]
fn a_double_signer_is_slashed_exactly_once() {
    let (mut k, keys) = chain();
    let bad = 2usize;
    let s = scheme(&keys, bad as u64);
    let stake = stake_of(bad);
    let supply = k.state.token(k.token("VTY")).expect("vty").supply;
    let ev = notarize_evidence(&s, 0, 5);
    let r = report(&mut k, ev.clone());
    ok(&r);
    let amount = stake * 500 / 10_000;
    assert!(r.events.contains(&Event::DoubleSignSlashed {
        validator: k.addr(bad),
        epoch: 0,
        view: 5,
        amount,
    }));
    assert_eq!(k.state.stake(k.addr(bad)).bonded, stake - amount);
    assert_eq!(
        k.state.token(k.token("VTY")).expect("vty").supply,
        supply - amount,
        "slashed stake is burned"
    );
    // The same evidence again, the other conflict type, and another pair at the same view all
    // fail and change nothing.
    let before = non_nonce_entries(&k.state);
    let again = err(&report(&mut k, ev));
    assert!(again.contains("already slashed"), "{again}");
    let fin = DoubleSign::Finalize(ConflictingFinalize::new(
        finalize(&s, 0, 5, 3),
        finalize(&s, 0, 5, 4),
    ))
    .encode_evidence();
    assert!(err(&report(&mut k, fin)).contains("already slashed"));
    let other = DoubleSign::Notarize(ConflictingNotarize::new(
        notarize(&s, 0, 5, 7),
        notarize(&s, 0, 5, 8),
    ))
    .encode_evidence();
    assert!(err(&report(&mut k, other)).contains("already slashed"));
    assert_eq!(non_nonce_entries(&k.state), before);
    // Another view is another offence.
    ok(&report(&mut k, notarize_evidence(&s, 0, 6)));
    let left = stake - amount;
    assert_eq!(
        k.state.stake(k.addr(bad)).bonded,
        left - left * 500 / 10_000
    );
}

#[test]
fn conflicting_finalizes_slash_too() {
    let (mut k, keys) = chain();
    let s = scheme(&keys, 0);
    let ev = DoubleSign::Finalize(ConflictingFinalize::new(
        finalize(&s, 0, 9, 1),
        finalize(&s, 0, 9, 2),
    ))
    .encode_evidence();
    assert_eq!(ev[0], TAG_FINALIZE);
    let r = report(&mut k, ev);
    ok(&r);
    assert_eq!(
        k.state.stake(k.addr(0)).bonded,
        stake_of(0) - stake_of(0) / 20
    );
}

#[test]
fn bad_evidence_is_refused_and_changes_nothing() {
    let (mut k, keys) = chain();
    let before = non_nonce_entries(&k.state);
    // Signed by a non-validator: a scheme whose set holds an outsider (key 9) instead of 3.
    let outsider = scheme(&[0, 1, 2, 9], 9);
    let e = err(&report(&mut k, notarize_evidence(&outsider, 0, 5)));
    assert!(
        e.contains("does not verify") || e.contains("not a member"),
        "{e}"
    );
    // One bad signature: flip a byte inside the second vote's signature (the last 64 bytes).
    let s = scheme(&keys, 1);
    let mut ev = notarize_evidence(&s, 0, 5);
    let n = ev.len();
    ev[n - 50] ^= 0x01;
    assert!(err(&report(&mut k, ev)).contains("does not verify"));
    // Different views: not a conflict (the decoder refuses it).
    let mut two_views = vec![TAG_NOTARIZE];
    two_views.extend_from_slice(&notarize(&s, 0, 5, 1).encode());
    two_views.extend_from_slice(&notarize(&s, 0, 6, 2).encode());
    assert!(err(&report(&mut k, two_views)).contains("not a conflicting notarize"));
    // The same proposal twice: not a conflict.
    let mut same = vec![TAG_NOTARIZE];
    same.extend_from_slice(&notarize(&s, 0, 5, 1).encode());
    same.extend_from_slice(&notarize(&s, 0, 5, 1).encode());
    assert!(err(&report(&mut k, same)).contains("not a conflicting notarize"));
    // An epoch whose set is not known.
    let e = err(&report(&mut k, notarize_evidence(&s, 3, 5)));
    assert!(e.contains("epoch 3 is not known"), "{e}");
    // Garbage, unknown tag, trailing bytes, empty.
    assert!(err(&report(&mut k, vec![7, 1, 2])).contains("unknown tag"));
    let mut trailing = notarize_evidence(&s, 0, 5);
    trailing.push(0);
    assert!(err(&report(&mut k, trailing)).contains("not a conflicting notarize"));
    assert!(err(&report(&mut k, Vec::new())).contains("empty"));
    assert_eq!(non_nonce_entries(&k.state), before);
}

#[test]
fn evidence_is_checked_against_its_own_epoch() {
    // Validator 3 leaves (unbonds everything) in epoch 0; its epoch-0 votes are still
    // punishable; in epoch 1 it is no longer a member.
    let (mut k, keys) = chain();
    ok(&k.send(
        3,
        Payload::Unbond {
            amount: stake_of(3),
        },
    ));
    while k.state.height() < 9 {
        empty_block(&mut k);
    }
    let set1 = validator_set(&k.state, 1).expect("epoch 1");
    assert!(set1.iter().all(|e| e.address != k.addr(3)));
    let s = scheme(&keys, 3);
    let r = report(&mut k, notarize_evidence(&s, 0, 2));
    ok(&r);
    // Slashed out of its unbonding stake.
    let unbonding: u128 = k
        .state
        .stake(k.addr(3))
        .unbonding
        .iter()
        .map(|e| e.amount)
        .sum();
    assert_eq!(unbonding, stake_of(3) - stake_of(3) / 20);
    // Its epoch-0 participant index signing an epoch-1 round maps to another key: refused.
    let e = err(&report(&mut k, notarize_evidence(&s, 1, 2)));
    assert!(
        e.contains("does not verify") || e.contains("not a member"),
        "{e}"
    );
    assert_eq!(pk(3), key_bytes(&p2p(3).public_key()));
}

#[test]
fn evidence_round_trips_through_the_codec() {
    let s = scheme(&[0, 1, 2], 1);
    let ds = DoubleSign::Notarize(ConflictingNotarize::new(
        notarize(&s, 4, 11, 1),
        notarize(&s, 4, 11, 2),
    ));
    let bytes = ds.encode_evidence();
    let back = DoubleSign::decode_evidence(&bytes).expect("decodes");
    assert_eq!(back, ds);
    // The signer index is key 1's place in the key-sorted participant set.
    let mut sorted = [pk(0), pk(1), pk(2)];
    sorted.sort();
    let index = sorted.iter().position(|k| *k == pk(1)).expect("present") as u32;
    assert_eq!((back.epoch(), back.view(), back.signer()), (4, 11, index));
}
