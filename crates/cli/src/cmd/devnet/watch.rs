//! The devnet's `ledger` line printer: follows `GET /v1/jobs` and `GET /v1/disputes` and prints
//! what the chain recorded — a job assigned, committed, disputed, settled or slashed, each
//! dispute round and the ruling with its amounts — naming the devnet agents by name. Prices
//! are shown in the job's token (AID or VTY), stakes in VTY. When a job settles it adds the
//! job's energy and carbon, the sAID share price and the green index (issue 6,
//! `devnet_assets.rs`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;
use verity_api::ApiClient;
use verity_api::market::JobFilter;
use verity_ledger::Address;
use verity_ledger::genesis::dev_secret;
use verity_ledger::market::dispute::{Dispute, Phase};
use verity_ledger::market::{Job, JobStatus};

use crate::cmd::agents::Printer;
use crate::cmd::amount::format_amount;

/// The devnet agent called by this address, or the address.
fn name(a: &Address) -> String {
    for (i, n) in [
        (1, "buyer"),
        (2, "provider-1"),
        (3, "provider-2"),
        (4, "cheater"),
        (5, "verifier"),
    ] {
        if verity_ledger::address_of(&dev_secret(i)) == *a {
            return n.to_string();
        }
    }
    a.to_string()
}

fn vty(v: u128) -> String {
    format!("{} VTY", format_amount(v, 18))
}

/// A job price in its token (the devnet's are VTY, id 0, and AID; both 18 decimals).
fn priced(v: u128, token: verity_ledger::TokenId) -> String {
    let unit = if token.0 == 0 { "VTY" } else { "AID" };
    format!("{} {unit}", format_amount(v, 18))
}

/// What was last printed about the chain.
#[derive(Default)]
struct Seen {
    jobs: BTreeMap<u64, JobStatus>,
    /// Jobs below this id are finished and no longer polled.
    first_live: usize,
    disputes: BTreeMap<u64, (u32, Phase)>,
    first_open_dispute: usize,
    /// The sAID share price printed last (issue 6).
    share_price: Option<u128>,
}

/// Poll every half second until `stop`, printing each change once.
pub fn run(client: &ApiClient, json_out: bool, stop: &AtomicBool) {
    let out = Printer::new(json_out, Some("ledger"));
    let mut seen = Seen::default();
    while !stop.load(Ordering::Relaxed) {
        // A failed poll (node busy or stopping) is simply retried on the next tick.
        if let Ok(page) = client.jobs(&JobFilter {
            offset: Some(seen.first_live),
            ..JobFilter::default()
        }) {
            for j in &page.jobs {
                if let Some(line) = job_change(&mut seen, j, json_out) {
                    out.print_line(&line);
                    if j.status == JobStatus::Settled {
                        let (lines, price) =
                            super::assets::settled_lines(client, j.id, json_out, seen.share_price);
                        seen.share_price = price.or(seen.share_price);
                        for l in lines {
                            out.print_line(&l);
                        }
                    }
                }
            }
            let done = page.jobs.iter().take_while(|j| !j.status.is_live()).count();
            seen.first_live += done;
        }
        if let Ok(page) = client.disputes(Some(seen.first_open_dispute), None) {
            for d in &page.disputes {
                for line in dispute_change(&mut seen, d, json_out) {
                    out.print_line(&line);
                }
            }
            let done = page
                .disputes
                .iter()
                .take_while(|d| d.outcome.is_some())
                .count();
            seen.first_open_dispute += done;
        }
        for _ in 0..10 {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The line for a job whose status changed since last seen (none for a new open job).
fn job_change(seen: &mut Seen, j: &Job, json_out: bool) -> Option<String> {
    let before = seen.jobs.insert(j.id, j.status);
    if before == Some(j.status) || (before.is_none() && j.status == JobStatus::Open) {
        return None;
    }
    let who = j.provider.as_ref().map_or_else(|| "-".into(), name);
    if json_out {
        return Some(
            json!({"agent": "ledger", "event": "JobStatus", "job": j.id,
                   "status": j.status, "provider": j.provider, "price": j.price.to_string(),
                   "locked": j.locked.to_string()})
            .to_string(),
        );
    }
    let text = match j.status {
        JobStatus::Open => return None,
        JobStatus::Assigned => format!(
            "job {} assigned to {who} at {} ({} of its stake locked)",
            j.id,
            priced(j.price, j.terms.token),
            vty(j.locked)
        ),
        JobStatus::Committed => match &j.commit {
            Some(c) if before == Some(JobStatus::Disputed) => format!(
                "job {}: the challenge failed, {who}'s commit {} stands",
                j.id, c.trace_root
            ),
            Some(c) => format!(
                "job {} committed by {who}: trace {} ({} steps × {} leaves); challenge window open",
                j.id, c.trace_root, c.steps, c.ops_per_step
            ),
            None => format!("job {} committed by {who}", j.id),
        },
        JobStatus::Disputed => format!(
            "job {} DISPUTED (dispute {})",
            j.id,
            j.disputes.last().map_or_else(|| "?".into(), u64::to_string)
        ),
        JobStatus::Settled => format!(
            "job {} settled: {who} paid for {}",
            j.id,
            priced(j.price, j.terms.token)
        ),
        JobStatus::Slashed => format!(
            "job {}: {who} LOST the dispute: stake slashed, escrow refunded to the buyer",
            j.id
        ),
        JobStatus::Expired => format!("job {} expired: escrow refunded", j.id),
        JobStatus::Cancelled => format!("job {} cancelled", j.id),
    };
    Some(format!("[ledger] {text}"))
}

/// Lines for a dispute's new rounds and its ruling.
fn dispute_change(seen: &mut Seen, d: &Dispute, json_out: bool) -> Vec<String> {
    let before = seen.disputes.insert(d.id, (d.rounds, d.phase));
    let mut lines = Vec::new();
    if before == Some((d.rounds, d.phase)) {
        return lines;
    }
    if json_out {
        lines.push(
            json!({"agent": "ledger", "event": "DisputeState", "dispute": d.id, "job": d.job,
                   "phase": d.phase, "rounds": d.rounds, "lo": d.lo, "size": d.size,
                   "step": d.step, "outcome": d.outcome})
            .to_string(),
        );
        return lines;
    }
    if before.is_none() {
        lines.push(format!(
            "[ledger] dispute {} opened on job {}: {} challenges {} over {} steps × {} leaves",
            d.id,
            d.job,
            name(&d.challenger),
            name(&d.provider),
            d.steps,
            d.leaves
        ));
    }
    let where_ = match d.phase {
        Phase::Steps => format!("bisecting steps {}..{}", d.lo, d.lo + d.size),
        Phase::Leaves => format!(
            "first differing step {}, bisecting its leaves {}..{}",
            d.step,
            d.lo,
            d.lo + d.size
        ),
        Phase::Rule => format!(
            "down to one op: step {} leaf {}; the ledger replays it",
            d.step, d.lo
        ),
        Phase::Done => String::new(),
    };
    match &d.outcome {
        None => lines.push(format!(
            "[ledger] dispute {} round {}: {where_}",
            d.id, d.rounds
        )),
        Some(o) => lines.push(format!(
            "[ledger] dispute {} RULED after {} rounds ({}): {:?} wins; {} slashed {}, {} to the winner, {} burned",
            d.id,
            d.rounds,
            o.reason,
            o.winner,
            name(&d.provider),
            vty(o.slashed),
            vty(o.paid),
            vty(o.burned)
        )),
    }
    lines
}
