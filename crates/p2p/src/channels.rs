//! The channel ids on a node's one p2p network (issue 7 contract): 0..=9 belong to consensus
//! (`verity_consensus::channels` lists the ones it uses), then the two this crate runs.

/// Transaction gossip.
pub const TX_GOSSIP: u64 = 10;
/// Direct agent messages.
pub const AGENT_MESSAGES: u64 = 11;
/// Highest channel id consensus may use.
pub const MAX_CONSENSUS_CHANNEL: u64 = 9;
