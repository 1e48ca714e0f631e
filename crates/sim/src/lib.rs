//! `verity-sim`: a seeded, deterministic multi-agent simulation of the **real** Verity ledger
//! (signed transactions through [`verity_ledger::apply_block`], no network, no HTTP), and the
//! economics report it produces (Markdown + PNG charts).
//!
//! - [`config`]: what a run simulates ([`SimConfig`]) and its stated assumptions.
//! - [`rng`]: the one seeded random source ([`SimRng`], ChaCha8 + pure-Rust `libm`).
//! - [`world`]: the chain driver: genesis, keys, nonces, signing, one block per simulated hour.
//! - [`market`]: job lifecycles (post, bid, match, commit, attest, challenge, settle) and the
//!   dispute play with synthetic traces ([`trace`]).
//! - [`keepers`]: the reference-price walk, AMM arbitrage, the T-bill yield oracle, NAV accrual,
//!   buy-and-burn, savers and the vault's financing revenue.
//! - [`run`]: the simulation loop ([`simulate`]) with a daily invariant check.
//! - [`report`]: the [`Report`] (JSON-serialisable) and its Markdown.
//! - [`metrics`]: daily returns, volatility, max drawdown — shared with `verity report savings`.
//! - [`chart`]: plotters line charts (PNG/SVG) — shared with `verity report savings`.
//!
//! **Determinism.** The seed drives a ChaCha8 RNG; maps are `BTreeMap`; no clock is read;
//! floats use only `+ − × ÷ √` and `libm`. Same seed and configuration → the same ledger
//! blocks, the same report bytes and the same PNG bytes.

pub mod chart;
pub mod config;
pub mod financing;
pub mod keepers;
pub mod market;
pub mod metrics;
pub mod report;
pub mod rng;
pub mod run;
pub mod trace;
pub mod world;

pub use config::SimConfig;
pub use report::Report;
pub use rng::SimRng;
pub use run::{Progress, simulate, write_outputs};

/// Everything that can go wrong in a simulation or a chart.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration is out of range.
    #[error("invalid simulation setting: {0}")]
    Config(String),
    /// The ledger refused a genesis or a block (a simulator bug or a ledger bug).
    #[error("ledger: {0}")]
    Ledger(#[from] verity_ledger::LedgerError),
    /// A transaction failed admission (a simulator bug: bad nonce or key).
    #[error("admission: {0}")]
    Admission(#[from] verity_ledger::AdmissionError),
    /// A ledger invariant failed at the end of a simulated day.
    #[error("invariant broken at the end of day {day}: {error}")]
    Invariant {
        /// Simulated day (1-based).
        day: u32,
        /// What the ledger reported.
        error: verity_ledger::LedgerError,
    },
    /// Writing outputs failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Drawing a chart failed.
    #[error("chart {path}: {message}")]
    Chart {
        /// The file.
        path: String,
        /// What plotters said.
        message: String,
    },
}
