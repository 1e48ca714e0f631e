//! Market and dispute end to end through `apply_block`, with real `ree` traces: an honest job
//! settles and pays exactly price − fee; a faulted trace loses its dispute with exact slashing
//! and payouts; a silent side loses on timeout; an expired job refunds; bad input fails with
//! nothing changed; and a seeded campaign of games (`VERITY_DISPUTE_GAMES`, default 200) in
//! which the honest side always wins in the predicted number of rounds.

mod market_common;

use market_common::*;
use verity_ledger::market::dispute::{self, Dispute, Phase, Winner};
use verity_ledger::market::{self, JobStatus, MarketParams};
use verity_ledger::{Hash, Payload};
use verity_ree::trace::Trace;

const P: MarketParams = MarketParams::DEFAULT;

fn fee_of(price: u128) -> u128 {
    (price * u128::from(P.fee_bps)).div_ceil(10_000)
}

fn the_dispute(c: &Chain, id: u64) -> Dispute {
    dispute::dispute(&c.state, id)
        .expect("reads")
        .expect("exists")
}

/// Play bisection rounds until the ruling phase, both sides answering from their traces.
fn bisect_to_rule(c: &mut Chain, id: u64, p: &Trace, ch: &Trace) {
    loop {
        let d = the_dispute(c, id);
        if d.phase != Phase::Steps && d.phase != Phase::Leaves {
            return;
        }
        c.ok(provider(), move_of(&d, p));
        c.ok(challenger(), move_of(&d, ch));
    }
}

#[test]
fn honest_job_settles_and_pays_exactly_price_minus_fee() {
    let job = Job::tiny(4);
    let mut c = Chain::new();
    assign(&mut c, 0, provider(), 10_000, 800);
    let j = market::job(&c.state, 0).expect("reads").expect("exists");
    assert_eq!(j.status, JobStatus::Assigned);
    assert_eq!(j.locked, 1_600);
    assert_eq!(market::locked(&c.state, &provider()).expect("reads"), 1_600);
    // Locked collateral cannot be unbonded.
    c.fail(provider(), Payload::Unbond { amount: 9_000 });
    c.ok(
        provider(),
        Payload::Commit {
            job: 0,
            result: commit_of(&job.honest.trace),
        },
    );
    // Too early.
    c.fail(buyer(), Payload::Settle { job: 0 });
    c.send_at(1_000, buyer(), Payload::Settle { job: 0 });
    let j = market::job(&c.state, 0).expect("reads").expect("exists");
    assert_eq!(j.status, JobStatus::Settled);
    let fee = fee_of(800);
    assert_eq!(fee, 20);
    assert_eq!(c.bal(provider(), USDC), START + 800 - fee);
    assert_eq!(c.bal(verity_ledger::burn::fee_account(), USDC), fee);
    assert_eq!(c.bal(buyer(), USDC), START - 800);
    assert_eq!(c.bal(market::market_account(), USDC), 0);
    assert_eq!(market::locked(&c.state, &provider()).expect("reads"), 0);
    assert_eq!(market::reputation(&c.state, &provider()).expect("reads"), 1);
}

#[test]
fn reverse_auction_lowest_price_then_reputation_then_earliest() {
    let mut c = Chain::new();
    c.ok(buyer(), Payload::PostJob(terms(1_000, 1_000)));
    for (who, price) in [(provider(), 700), (provider2(), 600), (challenger(), 600)] {
        c.ok(who, Payload::Bond { amount: 5_000 });
        c.ok(who, Payload::Bid { job: 0, price });
    }
    // Bids above max price, twice, or by the buyer fail.
    c.fail(
        addr(5),
        Payload::Bid {
            job: 0,
            price: 1_001,
        },
    );
    c.fail(provider(), Payload::Bid { job: 0, price: 500 });
    c.fail(buyer(), Payload::Bid { job: 0, price: 500 });
    c.fail(buyer(), Payload::CloseBidding { job: 0 });
    c.send_at(200, addr(6), Payload::CloseBidding { job: 0 });
    let j = market::job(&c.state, 0).expect("reads").expect("exists");
    // 600 twice, equal reputation: the earlier bid (provider2) wins.
    assert_eq!((j.provider, j.price), (Some(provider2()), 600));
    // Cancel after assignment fails.
    c.fail(buyer(), Payload::Cancel { job: 0 });
}

#[test]
fn expired_job_refunds_and_slashes_a_little() {
    let mut c = Chain::new();
    assign(&mut c, 0, provider(), 10_000, 800);
    c.fail(buyer(), Payload::Expire { job: 0 });
    let before_vty = c.state.stake(provider()).bonded;
    c.send_at(10_000, addr(6), Payload::Expire { job: 0 });
    let j = market::job(&c.state, 0).expect("reads").expect("exists");
    assert_eq!(j.status, JobStatus::Expired);
    assert_eq!(c.bal(buyer(), USDC), START);
    let slash = (1_600u128 * u128::from(P.expire_slash_bps)).div_ceil(10_000);
    assert_eq!(c.state.stake(provider()).bonded, before_vty - slash);
    assert_eq!(
        market::reputation(&c.state, &provider()).expect("reads"),
        -1
    );
    // An open job without bids cancels.
    c.ok(buyer(), Payload::PostJob(terms(10, 10)));
    c.fail(provider(), Payload::Cancel { job: 1 });
    c.ok(buyer(), Payload::Cancel { job: 1 });
    assert_eq!(c.bal(buyer(), USDC), START);
}

fn committed_with(c: &mut Chain, trace: &Trace) {
    assign(c, 0, provider(), 10_000, 800);
    c.ok(
        provider(),
        Payload::Commit {
            job: 0,
            result: commit_of(trace),
        },
    );
    c.ok(challenger(), Payload::Bond { amount: 1_000 });
}

#[test]
fn cheating_provider_loses_the_dispute_with_exact_amounts() {
    let job = Job::tiny(4);
    let ops = job.op_leaves();
    let (step, leaf) = (2u64, ops[ops.len() / 2]);
    let cheat = job.faulted(step, leaf, 1);
    let honest = job.honest.trace.clone();
    let mut c = Chain::new();
    committed_with(&mut c, &cheat);
    let bond = 300;
    c.ok(
        challenger(),
        Payload::Challenge {
            job: 0,
            trace_root: Hash(honest.root()),
            bond,
        },
    );
    bisect_to_rule(&mut c, 0, &cheat, &honest);
    let d = the_dispute(&c, 0);
    assert_eq!((d.step, d.lo), (step, leaf as u64));
    let vty_c = c.bal(challenger(), VTY);
    let stake_p = c.state.stake(provider()).bonded;
    let ev = |own: &Trace| serde_json::to_string(&job.evidence(own, step, leaf)).expect("json");
    c.ok(
        provider(),
        Payload::Rule {
            dispute: 0,
            evidence: ev(&cheat),
        },
    );
    c.ok(
        challenger(),
        Payload::Rule {
            dispute: 0,
            evidence: ev(&honest),
        },
    );
    let d = the_dispute(&c, 0);
    let o = d.outcome.expect("ruled");
    assert_eq!(o.winner, Winner::Challenger);
    let slashed = 1_600u128;
    let paid = slashed * u128::from(P.winner_share_bps) / 10_000;
    assert_eq!(
        (o.slashed, o.paid, o.burned),
        (slashed, paid, slashed - paid)
    );
    assert_eq!(c.bal(challenger(), VTY), vty_c + bond + paid);
    assert_eq!(c.state.stake(provider()).bonded, stake_p - slashed);
    assert_eq!(c.bal(buyer(), USDC), START);
    assert_eq!(
        market::reputation(&c.state, &provider()).expect("reads"),
        -5
    );
    let j = market::job(&c.state, 0).expect("reads").expect("exists");
    assert_eq!(j.status, JobStatus::Slashed);
    let expected = dispute::depth(4, step) + dispute::depth(d.leaves, leaf as u64) + 1;
    assert_eq!(d.rounds, expected);
    assert!(d.rounds <= dispute::ceil_log2(4) + dispute::ceil_log2(d.leaves) + 1);
}

#[test]
fn bad_input_fails_and_changes_nothing() {
    let job = Job::tiny(4);
    let ops = job.op_leaves();
    let (step, leaf) = (1u64, ops[0]);
    let cheat = job.faulted(step, leaf, 0);
    let honest = job.honest.trace.clone();
    let mut c = Chain::new();
    assign(&mut c, 0, provider(), 10_000, 800);
    // A commit for someone else's job.
    c.fail(
        provider2(),
        Payload::Commit {
            job: 0,
            result: commit_of(&honest),
        },
    );
    c.ok(
        provider(),
        Payload::Commit {
            job: 0,
            result: commit_of(&cheat),
        },
    );
    c.ok(challenger(), Payload::Bond { amount: 1_000 });
    let root = c.state.root();
    let _ = root;
    // A challenge without bond, with the provider's own root, by an unstaked account.
    let job_before = market::job(&c.state, 0).expect("reads");
    c.fail(
        challenger(),
        Payload::Challenge {
            job: 0,
            trace_root: Hash(honest.root()),
            bond: 0,
        },
    );
    c.fail(
        challenger(),
        Payload::Challenge {
            job: 0,
            trace_root: Hash(cheat.root()),
            bond: 10,
        },
    );
    c.fail(
        addr(6),
        Payload::Challenge {
            job: 0,
            trace_root: Hash(honest.root()),
            bond: 10,
        },
    );
    assert_eq!(market::job(&c.state, 0).expect("reads"), job_before);
    assert_eq!(c.bal(challenger(), VTY), START - 1_000);
    c.ok(
        challenger(),
        Payload::Challenge {
            job: 0,
            trace_root: Hash(honest.root()),
            bond: 10,
        },
    );
    // A round out of turn (twice), children that do not hash to the node, a non-party.
    let d = the_dispute(&c, 0);
    c.ok(provider(), move_of(&d, &cheat));
    let after_one = the_dispute(&c, 0);
    c.fail(provider(), move_of(&d, &cheat));
    c.fail(addr(5), move_of(&d, &honest));
    c.fail(challenger(), move_of(&d, &cheat));
    assert_eq!(the_dispute(&c, 0), after_one);
    c.ok(challenger(), move_of(&d, &honest));
    // Rule before the ruling phase.
    let ev = job.evidence(&honest, step, leaf);
    c.fail(
        challenger(),
        Payload::Rule {
            dispute: 0,
            evidence: serde_json::to_string(&ev).expect("json"),
        },
    );
    bisect_to_rule(&mut c, 0, &cheat, &honest);
    // Inputs that do not match the committed leaves.
    let mut bad = ev.clone();
    let mut bytes = hex::decode(&bad.inputs[0].data).expect("hex");
    bytes[0] ^= 1;
    bad.inputs[0].data = hex::encode(bytes);
    let before = the_dispute(&c, 0);
    let e = c.fail(
        challenger(),
        Payload::Rule {
            dispute: 0,
            evidence: serde_json::to_string(&bad).expect("json"),
        },
    );
    assert!(e.contains("does not match"), "{e}");
    assert_eq!(the_dispute(&c, 0), before);
    c.ok(
        challenger(),
        Payload::Rule {
            dispute: 0,
            evidence: serde_json::to_string(&ev).expect("json"),
        },
    );
    // The cheat stays silent: anyone claims the timeout after the deadline.
    c.fail(addr(6), Payload::ClaimTimeout { dispute: 0 });
    for _ in 0..P.round_blocks {
        c.send(
            addr(6),
            Payload::Transfer {
                to: addr(6),
                token: USDC,
                amount: 1,
            },
        );
    }
    c.ok(addr(6), Payload::ClaimTimeout { dispute: 0 });
    let o = the_dispute(&c, 0).outcome.expect("ruled");
    assert_eq!(
        (o.winner, o.reason.as_str()),
        (Winner::Challenger, "timeout")
    );
}

#[test]
fn silent_challenger_loses_its_bond_on_timeout() {
    let job = Job::tiny(4);
    let honest = job.honest.trace.clone();
    let ops = job.op_leaves();
    let cheat = job.faulted(3, ops[1], 2);
    let mut c = Chain::new();
    committed_with(&mut c, &honest);
    c.ok(
        challenger(),
        Payload::Challenge {
            job: 0,
            trace_root: Hash(cheat.root()),
            bond: 301,
        },
    );
    let d = the_dispute(&c, 0);
    c.ok(provider(), move_of(&d, &honest));
    let vty_p = c.bal(provider(), VTY);
    for _ in 0..=P.round_blocks {
        c.send(
            addr(6),
            Payload::Transfer {
                to: addr(6),
                token: USDC,
                amount: 1,
            },
        );
    }
    c.ok(addr(5), Payload::ClaimTimeout { dispute: 0 });
    let o = the_dispute(&c, 0).outcome.expect("ruled");
    assert_eq!(o.winner, Winner::Provider);
    let paid = 301 * u128::from(P.winner_share_bps) / 10_000;
    assert_eq!((o.slashed, o.paid, o.burned), (0, paid, 301 - paid));
    assert_eq!(c.bal(provider(), VTY), vty_p + paid);
    // The commit stands and settles after its window.
    c.send_at(1_000, buyer(), Payload::Settle { job: 0 });
    let j = market::job(&c.state, 0).expect("reads").expect("exists");
    assert_eq!(j.status, JobStatus::Settled);
}

/// splitmix64.
fn mix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
fn campaign_honest_side_always_wins_in_the_predicted_rounds() {
    let games: u64 = std::env::var("VERITY_DISPUTE_GAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let steps = 5u64;
    let job = Job::tiny(steps);
    let honest = job.honest.trace.clone();
    let ops = job.op_leaves();
    let leaves = honest.layout.len() as u64;
    let mut seed = 0x5eed_u64;
    let mut by_winner = [0u32; 2];
    for g in 0..games {
        let step = mix(&mut seed) % steps;
        let leaf = ops[(mix(&mut seed) % ops.len() as u64) as usize];
        let cheater_is_provider = mix(&mut seed).is_multiple_of(2);
        let cheater_answers = mix(&mut seed).is_multiple_of(2);
        let cheat = job.faulted(step, leaf, (mix(&mut seed) % 4) as usize);
        let (p_trace, c_trace) = if cheater_is_provider {
            (&cheat, &honest)
        } else {
            (&honest, &cheat)
        };
        let mut c = Chain::new();
        committed_with(&mut c, p_trace);
        c.ok(
            challenger(),
            Payload::Challenge {
                job: 0,
                trace_root: Hash(c_trace.root()),
                bond: 100,
            },
        );
        bisect_to_rule(&mut c, 0, p_trace, c_trace);
        let d = the_dispute(&c, 0);
        assert_eq!((d.step, d.lo), (step, leaf as u64), "game {g}");
        let (honest_side, cheat_side) = if cheater_is_provider {
            (challenger(), provider())
        } else {
            (provider(), challenger())
        };
        let ev = serde_json::to_string(&job.evidence(&honest, step, leaf)).expect("json");
        c.ok(
            honest_side,
            Payload::Rule {
                dispute: 0,
                evidence: ev,
            },
        );
        if cheater_answers {
            // The cheat's best evidence: the agreed inputs (its own proofs); replay refutes it.
            let ev = serde_json::to_string(&job.evidence(&cheat, step, leaf)).expect("json");
            c.ok(
                cheat_side,
                Payload::Rule {
                    dispute: 0,
                    evidence: ev,
                },
            );
        } else {
            for _ in 0..=P.round_blocks {
                c.send(
                    addr(6),
                    Payload::Transfer {
                        to: addr(6),
                        token: USDC,
                        amount: 1,
                    },
                );
            }
            c.ok(addr(6), Payload::ClaimTimeout { dispute: 0 });
        }
        let d = the_dispute(&c, 0);
        let o = d.outcome.clone().expect("ruled");
        let want = if cheater_is_provider {
            Winner::Challenger
        } else {
            Winner::Provider
        };
        assert_eq!(o.winner, want, "game {g}: step {step} leaf {leaf}");
        by_winner[usize::from(cheater_is_provider)] += 1;
        let rounds = dispute::depth(steps, step) + dispute::depth(leaves, leaf as u64) + 1;
        assert_eq!(d.rounds, rounds, "game {g}");
        assert!(d.rounds <= dispute::ceil_log2(steps) + dispute::ceil_log2(leaves) + 1);
    }
    assert!(games < 4 || (by_winner[0] > 0 && by_winner[1] > 0));
}
