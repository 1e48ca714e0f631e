//! verity-agent: the marketplace's autonomous parties, talking to a node only through its HTTP
//! API ([`verity_api::ApiClient`]).
//!
//! - [`provider`]: registers, bonds stake, bids on open jobs by a [`Pricing`] policy, runs them
//!   in `ree`, publishes outputs, trace and checkpoints ([`work`]), commits, answers every
//!   dispute round from its own trace ([`game`]) and settles after the challenge window.
//! - [`verifier`]: re-runs sampled steps of committed jobs from the provider's published
//!   checkpoints, attests when they match, otherwise challenges and plays the game to the end.
//! - [`asset`]: the provider's GPU asset (register, financing, job binding) and energy reports.
//! - [`buyer`]: uploads a job's spec and data and posts it.
//! - [`fault`]: **a fault injector for tests and demos only**.
//!
//! The loops ([`provider::run`], [`verifier::run`]) poll the node every `poll_interval`, never
//! panic on what the node or a blob holds, retry with backoff while the node is down, and report
//! everything through an `on_event` callback as [`AgentEvent`]s. They return when `stop` is set.

pub mod asset;
pub mod buyer;
pub mod chain;
pub mod config;
pub mod error;
pub mod event;
pub mod fault;
pub mod game;
pub mod provider;
pub mod verifier;
pub mod work;

pub use config::{Capacity, Pricing, ProviderConfig, VerifierConfig};
pub use error::AgentError;
pub use event::AgentEvent;
pub use fault::FaultInjection;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use verity_ledger::{ActorKind, Payload};

use crate::chain::{Link, backoff, sleep_unless_stopped};

/// Register the actor record of `kind` unless the account has one; bond up to `target`.
pub(crate) fn setup(
    link: &Link,
    kind: ActorKind,
    metadata: &str,
    target: u128,
    on_event: &mut dyn FnMut(&AgentEvent),
) -> Result<(), AgentError> {
    let acct = link.client().account(&link.address())?;
    if acct.actor.is_none() {
        link.send(
            "RegisterActor",
            Payload::RegisterActor {
                kind,
                metadata: metadata.to_string(),
            },
        )?;
        on_event(&AgentEvent::Registered {
            address: link.address(),
            kind: format!("{kind:?}"),
        });
    }
    let bonded = acct.stake.bonded;
    if bonded < target {
        let amount = target - bonded;
        link.send("Bond", Payload::Bond { amount })?;
        on_event(&AgentEvent::Bonded {
            amount,
            bonded: target,
        });
    }
    Ok(())
}

/// An event sink.
pub(crate) type Sink<'a> = &'a mut dyn FnMut(&AgentEvent);

/// One pass of an agent loop (setup or tick), reporting into a sink.
pub(crate) type Pass<'a> = &'a mut dyn FnMut(Sink<'_>) -> Result<(), AgentError>;

/// The loop shared by the agents: `setup` until it succeeds once, then `tick` every `poll`;
/// while the node is unreachable, back off and report [`AgentEvent::NodeDown`]; other errors
/// become [`AgentEvent::Warning`]s. Returns when `stop` is set.
pub(crate) fn drive(
    poll: Duration,
    stop: &Arc<AtomicBool>,
    on_event: &mut dyn FnMut(&AgentEvent),
    setup: Pass<'_>,
    tick: Pass<'_>,
) {
    let mut ready = false;
    let mut failures = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let r = if ready {
            tick(on_event)
        } else {
            setup(on_event).map(|()| ready = true)
        };
        let wait = match r {
            Ok(()) => {
                failures = 0;
                poll
            }
            Err(e) if e.is_transport() || matches!(e, AgentError::NoReceipt { .. }) => {
                let d = backoff(poll, failures);
                failures = failures.saturating_add(1);
                on_event(&AgentEvent::NodeDown {
                    error: e.to_string(),
                    retry_ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
                });
                d
            }
            Err(e) => {
                failures = 0;
                // A failed setup (e.g. too little balance to bond) is reported once; the agent
                // goes on and the ledger refuses what it cannot do.
                ready = true;
                on_event(&AgentEvent::Warning {
                    job: None,
                    message: e.to_string(),
                });
                poll
            }
        };
        sleep_unless_stopped(wait, stop);
    }
}
