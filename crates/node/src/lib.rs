//! verity-node: the Verity daemon.
//!
//! - [`core`]: the runtime-free core — [`mempool`] + sequencing + execution + durable commit —
//!   driven by whoever owns it (the HTTP edge here; a simulated runtime in a later issue).
//! - [`run`](mod@run) / `http`: the async edge — tokio + axum on one port, a dedicated sequencer
//!   thread, server-sent events, Prometheus [`metrics`], clean shutdown on SIGINT/SIGTERM.
//!
//! Entry points for the CLI: [`run()`] (foreground until a signal) and [`start`] (background,
//! returns a [`RunningNode`] with its bound address).

pub mod bft; // issue 7: the node as the BFT engine's chain
pub mod core;
pub mod error;
mod http;
pub mod mempool;
pub mod metrics;
pub mod run;
pub mod validator; // issue 7: validator mode's p2p network

pub use crate::core::{CommittedBlock, CoreConfig, NodeCore, TxLookup, VerifiedTx};
pub use bft::NodeChain;
pub use error::{NodeError, SubmitError};
pub use mempool::{Mempool, MempoolConfig, MempoolError};
pub use run::{DB_FILE, NodeConfig, RunningNode, open_core, run, start};
pub use validator::P2pNodeConfig;
