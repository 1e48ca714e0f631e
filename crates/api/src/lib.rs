//! verity-api: the node's HTTP API as a contract — request/response types ([`types`]), the route
//! list and its OpenAPI 3 document ([`routes`], [`openapi`]), stable error codes ([`codes`]) and a
//! typed blocking client ([`ApiClient`]). The server lives in verity-node; clients (CLI, agents)
//! depend only on this crate.

pub mod agent; // issue 7: agent messaging
pub mod assets; // issue 6: GPU assets, financing, green
pub mod capacity; // issue 6: capacity tokens, capacity AMM, positions
pub mod client;
pub mod codes;
pub mod economy; // issue 5: vault, vesting, governance, savings policy
pub mod market; // issue 4: content store, jobs, disputes
pub mod markets; // issue 5: amm pools and router quotes
pub mod openapi;
pub mod report; // issue 8: savings history for verity report savings
pub mod routes;
pub mod savings; // issue 5: oracle, TBILL, AID
pub mod types;
pub mod validators; // issue 7: validator sets, p2p keys

pub use client::{ApiClient, ApiError, EventStream};
pub use types::*;

/// Default address a node serves on and clients point at.
pub const DEFAULT_NODE_URL: &str = "http://127.0.0.1:8645";
