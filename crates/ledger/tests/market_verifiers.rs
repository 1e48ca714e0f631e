//! Verifier selection, `Attest` and the verifier fee share end to end through `apply_block`:
//! a checked commit draws a staked verifier (never the buyer or provider); a non-selected
//! attest, a second attest and one after the window are receipt errors that change nothing;
//! the fee splits exactly between attesting verifiers and the fee account; a slashed provider
//! costs its attesters reputation; genesis `[market]` params round-trip, are used, and bad
//! values are refused.

mod market_common;

use market_common::*;
use verity_ledger::genesis::Genesis;
use verity_ledger::market::{self, JobStatus, MarketParams, verify};
use verity_ledger::{Event, Hash, Payload};

const P: MarketParams = MarketParams::DEFAULT;

fn job(c: &Chain, id: u64) -> market::Job {
    market::job(&c.state, id).expect("reads").expect("exists")
}

fn commit_args() -> market::CommitArgs {
    market::CommitArgs {
        output_hash: Hash::keccak(b"out"),
        trace_root: Hash::keccak(b"root"),
        steps: 4,
        ops_per_step: 4,
        receipt_version: 1,
    }
}

/// Job 0 assigned to the provider at price 800 and committed, with addr 5 and 6 staked
/// (eligible verifiers) and spot-check probability `spot`.
fn committed(spot: u32) -> (Chain, verify::Selection) {
    let mut c = Chain::new();
    for v in [addr(5), addr(6)] {
        c.ok(v, Payload::Bond { amount: 1_000 });
    }
    let mut t = terms(1_000, 1_500);
    t.spot_check_bps = spot;
    c.ok(buyer(), Payload::PostJob(t));
    c.ok(provider(), Payload::Bond { amount: 10_000 });
    c.ok(provider(), Payload::Bid { job: 0, price: 800 });
    c.send_at(200, addr(6), Payload::CloseBidding { job: 0 });
    let r = c.ok(
        provider(),
        Payload::Commit {
            job: 0,
            result: commit_args(),
        },
    );
    let sel = job(&c, 0).selection.expect("selected at commit");
    assert!(r.events.iter().any(|e| matches!(
        e,
        Event::VerifiersSelected { job: 0, checked, verifiers, .. }
            if *checked == sel.checked && *verifiers == sel.verifiers
    )));
    (c, sel)
}

#[test]
fn checked_commit_draws_a_staker_and_attest_pays_the_fee_share_exactly() {
    let (mut c, sel) = committed(10_000);
    assert!(sel.checked);
    assert_eq!(sel.verifiers.len(), P.verifiers_per_job as usize);
    let v = sel.verifiers[0];
    assert!(v == addr(5) || v == addr(6), "drew {v}");
    assert_eq!(
        sel.eligible_stake, 2_000,
        "buyer and provider are not eligible"
    );
    let other = if v == addr(5) { addr(6) } else { addr(5) };
    // A non-selected staker (and the provider) cannot attest; nothing changes.
    let before = job(&c, 0);
    let e = c.fail(other, Payload::Attest { job: 0 });
    assert!(e.contains("not a selected verifier"), "{e}");
    c.fail(provider(), Payload::Attest { job: 0 });
    assert_eq!(job(&c, 0), before);
    // The selected one attests once.
    let r = c.ok(v, Payload::Attest { job: 0 });
    assert!(matches!(r.events[..], [Event::JobAttested { job: 0, verifier }] if verifier == v));
    let e = c.fail(v, Payload::Attest { job: 0 });
    assert!(e.contains("already attested"), "{e}");
    assert_eq!(job(&c, 0).selection.expect("kept").attested, vec![v]);
    // Settle: fee 20, pool 20 × 20% = 4 to the verifier, 16 to the fee account.
    c.send_at(1_000, buyer(), Payload::Settle { job: 0 });
    assert_eq!(job(&c, 0).status, JobStatus::Settled);
    let fee = (800u128 * u128::from(P.fee_bps)).div_ceil(10_000);
    let pool = fee * u128::from(P.verifier_fee_share_bps) / 10_000;
    assert_eq!((fee, pool), (20, 4));
    assert_eq!(c.bal(v, USDC), START + pool);
    assert_eq!(c.bal(other, USDC), START);
    assert_eq!(c.bal(verity_ledger::burn::fee_account(), USDC), fee - pool);
    assert_eq!(c.bal(provider(), USDC), START + 800 - fee);
    assert_eq!(c.bal(buyer(), USDC), START - 800);
}

#[test]
fn attest_after_the_window_or_unselected_is_refused_and_the_fee_stays_whole() {
    let (mut c, sel) = committed(10_000);
    let v = sel.verifiers[0];
    let before = job(&c, 0);
    let e = c.send_at(1_000, v, Payload::Attest { job: 0 });
    assert!(!e.is_success());
    assert_eq!(job(&c, 0), before);
    c.ok(buyer(), Payload::Settle { job: 0 });
    assert_eq!(c.bal(v, USDC), START, "a silent verifier gets nothing");
    assert_eq!(c.bal(verity_ledger::burn::fee_account(), USDC), 20);
}

#[test]
fn an_unchecked_commit_draws_nobody() {
    let (mut c, sel) = committed(0);
    assert!(!sel.checked && sel.verifiers.is_empty());
    assert!(sel.roll_bps < 10_000);
    c.fail(addr(5), Payload::Attest { job: 0 });
    c.fail(addr(6), Payload::Attest { job: 0 });
}

#[test]
fn a_slashed_provider_costs_its_attesters_reputation_and_pays_them_nothing() {
    let (mut c, sel) = committed(10_000);
    let v = sel.verifiers[0];
    c.ok(v, Payload::Attest { job: 0 });
    // A whistleblower (the buyer is staked too) challenges; the provider stays silent.
    c.ok(buyer(), Payload::Bond { amount: 100 });
    c.ok(
        buyer(),
        Payload::Challenge {
            job: 0,
            trace_root: Hash::keccak(b"other root"),
            bond: 10,
        },
    );
    let d = market::dispute::dispute(&c.state, 0)
        .expect("reads")
        .expect("exists");
    let mv = Payload::Bisect {
        dispute: 0,
        left: Hash::keccak(b"l"),
        right: Hash::keccak(b"r"),
    };
    // The challenger's move must match its root; it cannot, so it also stays silent: both lose.
    let _ = c.send(buyer(), mv);
    for _ in 0..=P.round_blocks {
        c.send(addr(6), Payload::Bond { amount: 1 });
    }
    c.ok(addr(6), Payload::ClaimTimeout { dispute: d.id });
    let j = job(&c, 0);
    assert_eq!(j.status, JobStatus::Slashed);
    assert_eq!(market::reputation(&c.state, &v).expect("reads"), -1);
    assert_eq!(c.bal(v, USDC), START);
    c.fail(v, Payload::Attest { job: 0 });
}

#[test]
fn genesis_market_params_round_trip_are_used_and_bad_values_are_refused() {
    let mut g = Genesis::dev(
        &verity_ledger::genesis::dev_accounts(2)
            .iter()
            .map(|(_, a)| *a)
            .collect::<Vec<_>>(),
    );
    let custom = MarketParams {
        fee_bps: 500,
        verifiers_per_job: 2,
        min_verifier_stake: 7,
        ..P
    };
    g.market = Some(custom);
    let text = g.to_toml_string();
    assert!(text.contains("[market]"), "{text}");
    let back = Genesis::from_toml_str(&text).expect("parses");
    assert_eq!(back.market, Some(custom));
    let s = verity_ledger::State::from_genesis(&back).expect("builds");
    assert_eq!(market::params(&s).expect("reads"), custom);
    // A partial section takes defaults for the rest.
    let partial = text.replace(
        &text[text.find("[market]").expect("section")..],
        "[market]\nfee_bps = 100\n",
    );
    let p = Genesis::from_toml_str(&partial)
        .expect("parses")
        .market
        .expect("set");
    assert_eq!(p, MarketParams { fee_bps: 100, ..P });
    // Bad values name the field.
    for (field, bad) in [
        ("fee_bps", "10001"),
        ("verifier_fee_share_bps", "20000"),
        ("verifiers_per_job", "0"),
        ("round_blocks", "0"),
        ("min_verifier_stake", "\"0\""),
        ("bogus", "1"),
    ] {
        let t = text.replace(
            &text[text.find("[market]").expect("section")..],
            &format!("[market]\n{field} = {bad}\n"),
        );
        let e = Genesis::from_toml_str(&t).expect_err("refused").to_string();
        assert!(e.contains(field), "{field}: {e}");
    }
}

#[test]
fn custom_fee_params_from_genesis_are_charged() {
    let mut c = Chain::with_market(MarketParams {
        fee_bps: 1_000,
        verifier_fee_share_bps: 5_000,
        ..P
    });
    c.ok(addr(5), Payload::Bond { amount: 1_000 });
    let mut t = terms(1_000, 1_000);
    t.spot_check_bps = 10_000;
    c.ok(buyer(), Payload::PostJob(t));
    c.ok(provider(), Payload::Bond { amount: 10_000 });
    c.ok(
        provider(),
        Payload::Bid {
            job: 0,
            price: 1_000,
        },
    );
    c.send_at(200, addr(6), Payload::CloseBidding { job: 0 });
    c.ok(
        provider(),
        Payload::Commit {
            job: 0,
            result: commit_args(),
        },
    );
    assert_eq!(
        job(&c, 0).selection.expect("drawn").verifiers,
        vec![addr(5)]
    );
    c.ok(addr(5), Payload::Attest { job: 0 });
    c.send_at(1_000, buyer(), Payload::Settle { job: 0 });
    // fee 100, half to the one verifier.
    assert_eq!(c.bal(addr(5), USDC), START + 50);
    assert_eq!(c.bal(verity_ledger::burn::fee_account(), USDC), 50);
    assert_eq!(c.bal(provider(), USDC), START + 900);
}

#[test]
fn governance_bounds_market_fee_bps() {
    use verity_ledger::governance::params::{ParamValue, validate};
    assert_eq!(validate("market_fee_bps", "500"), Ok(ParamValue::Int(500)));
    assert!(validate("market_fee_bps", "1001").is_err());
    assert!(validate("market_fee_bps", "-1").is_err());
}
