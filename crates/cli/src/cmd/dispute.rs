//! `verity dispute show ID` and `verity dispute list`: the ledger's bisection games as people
//! read them — phase, rounds so far, whose move it is, the deadline height, and the ruling.

use anyhow::Context;
use clap::Subcommand;
use verity_ledger::market::dispute::{Dispute, Phase};

use super::Ctx;
use super::chain;

/// Disputes.
#[derive(Debug, Subcommand)]
pub enum DisputeCmd {
    /// One dispute: phase, rounds, whose turn, deadline, ruling.
    Show {
        /// Dispute id.
        id: u64,
    },
    /// Every dispute (one line each).
    List {
        /// Skip this many.
        #[arg(long)]
        offset: Option<usize>,
        /// At most this many (default 100).
        #[arg(long)]
        limit: Option<usize>,
    },
}

/// Run a `dispute` subcommand.
pub fn run(ctx: &Ctx, cmd: DisputeCmd) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    match cmd {
        DisputeCmd::Show { id } => {
            let d = client
                .dispute(id)
                .with_context(|| format!("cannot read dispute {id}"))?;
            let height = client.status().map(|s| s.height).ok();
            let mut value = serde_json::to_value(&d)?;
            if let Some(obj) = value.as_object_mut() {
                obj.insert("waiting_for".into(), serde_json::json!(waiting_for(&d)));
            }
            ctx.emit(value, || dispute_text(&d, height))
        }
        DisputeCmd::List { offset, limit } => {
            let page = client
                .disputes(offset, limit)
                .context("cannot list disputes")?;
            let value = serde_json::to_value(&page)?;
            ctx.emit(value, || {
                let mut out = format!(
                    "{} dispute(s) at height {} (showing {})",
                    page.total,
                    page.height,
                    page.disputes.len()
                );
                for d in &page.disputes {
                    out.push_str(&format!("\n  #{:<4} {}", d.id, summary(d)));
                }
                out
            })
        }
    }
}

/// Which sides still owe a move this round: `provider`, `challenger` (empty once ruled).
pub fn waiting_for(d: &Dispute) -> Vec<&'static str> {
    let owes = |i: usize| match d.phase {
        Phase::Steps | Phase::Leaves => d.moves[i].is_none(),
        Phase::Rule => d.verdicts[i].is_none(),
        Phase::Done => false,
    };
    let mut w = Vec::new();
    if owes(0) {
        w.push("provider");
    }
    if owes(1) {
        w.push("challenger");
    }
    w
}

/// One line: job, phase, rounds, ruling.
pub fn summary(d: &Dispute) -> String {
    let state = match &d.outcome {
        Some(o) => format!(
            "ruled {:?} by {} after {} rounds (slashed {}, paid {}, burned {})",
            o.winner, o.reason, d.rounds, o.slashed, o.paid, o.burned
        ),
        None => format!(
            "{:?} · {} round(s) so far · waiting for {} · deadline height {}",
            d.phase,
            d.rounds,
            waiting_for(d).join(" and "),
            d.deadline
        ),
    };
    format!("job {} · {state}", d.job)
}

fn dispute_text(d: &Dispute, height: Option<u64>) -> String {
    let mut out = format!(
        "dispute {} on job {}\n  provider   {} (root {})\n  challenger {} (root {}), bond {} base units\n  \
         trace: {} steps × {} leaves",
        d.id, d.job, d.provider, d.roots[0], d.challenger, d.roots[1], d.bond, d.steps, d.leaves
    );
    match d.phase {
        Phase::Steps => out.push_str(&format!(
            "\n  phase: bisecting steps {}..{}",
            d.lo,
            d.lo + d.size
        )),
        Phase::Leaves => out.push_str(&format!(
            "\n  phase: first differing step is {}; bisecting its leaves {}..{}",
            d.step,
            d.lo,
            d.lo + d.size
        )),
        Phase::Rule => out.push_str(&format!(
            "\n  phase: ruling on step {} leaf {} (both sides submit the op's inputs; the ledger replays it)",
            d.step, d.lo
        )),
        Phase::Done => {}
    }
    out.push_str(&format!("\n  rounds so far: {}", d.rounds));
    match &d.outcome {
        Some(o) => out.push_str(&format!(
            "\n  ruling: {:?} wins ({}); provider stake slashed {}, paid to the winner {}, burned {}",
            o.winner, o.reason, o.slashed, o.paid, o.burned
        )),
        None => {
            let left = height.map_or_else(String::new, |h| {
                format!(" ({} block(s) from now)", d.deadline.saturating_sub(h))
            });
            out.push_str(&format!(
                "\n  waiting for: {}\n  deadline: height {}{left}; a side that misses it loses (anyone may then claim the timeout)",
                waiting_for(d).join(" and "),
                d.deadline
            ));
        }
    }
    out
}
