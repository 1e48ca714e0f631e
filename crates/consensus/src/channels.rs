//! The p2p channel ids the consensus engine uses on the node's one authenticated network.
//!
//! The contract between the consensus, p2p and node crates reserves ids 0..=9 for consensus;
//! 10 and 11 belong to transaction gossip and agent messages (`verity_p2p`). Every validator
//! registers all five ids below and hands the (sender, receiver) pairs to
//! [`crate::run_validator`] through [`crate::ConsensusChannels`].

/// Simplex votes (notarize, nullify, finalize), multiplexed by epoch.
pub const VOTES: u64 = 0;
/// Simplex certificates (notarizations, nullifications, finalizations), multiplexed by epoch.
pub const CERTIFICATES: u64 = 1;
/// Simplex's resolver (fetching missing certificates), multiplexed by epoch.
pub const RESOLVER: u64 = 2;
/// Marshal's block broadcast (proposals go to every validator whole).
pub const BROADCAST: u64 = 3;
/// Marshal's backfill (a node that was down fetches finalized blocks and certificates).
pub const BACKFILL: u64 = 4;

/// All consensus channel ids, in registration order.
pub const ALL: [u64; 5] = [VOTES, CERTIFICATES, RESOLVER, BROADCAST, BACKFILL];
