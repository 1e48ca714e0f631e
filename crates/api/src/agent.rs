//! API types of agent messaging (issue 7): `POST /v1/agent/send` (a direct, encrypted message to
//! the agent registered as a ledger address), `GET /v1/agent/recv` (take the messages waiting for
//! this node's agent, oldest first) and `GET /v1/agent/peers` (the registered peers this node
//! knows). Client methods in `client/agent.rs`; server in the node's `http/agent.rs`.

use serde::{Deserialize, Serialize};
use verity_primitives::Address;

/// `POST /v1/agent/send`.
pub const AGENT_SEND: &str = "/v1/agent/send";
/// `GET /v1/agent/recv?max=N`.
pub const AGENT_RECV: &str = "/v1/agent/recv";
/// `GET /v1/agent/peers`.
pub const AGENT_PEERS: &str = "/v1/agent/peers";

/// Body of `POST /v1/agent/send`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSendRequest {
    /// The recipient's ledger address (it must have a registered p2p key).
    pub to: Address,
    /// The message text (UTF-8; send binary as hex or base64 text).
    pub body: String,
}

/// Answer of `POST /v1/agent/send`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSendResponse {
    /// This node's agent address (the sender).
    pub from: Address,
    /// The recipient.
    pub to: Address,
    /// The message's sequence number towards `to` (delivered in this order).
    pub seq: u64,
}

/// One received message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentMessageView {
    /// The sender's ledger address (authenticated by its registered p2p key).
    pub from: Address,
    /// The sender's sequence number towards this node.
    pub seq: u64,
    /// The message text (lossy UTF-8).
    pub body: String,
}

/// Answer of `GET /v1/agent/recv`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRecvResponse {
    /// This node's agent address.
    pub address: Address,
    /// Messages taken from the inbox, oldest first.
    pub messages: Vec<AgentMessageView>,
}

/// One registered peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentPeer {
    /// Its ledger address.
    pub address: Address,
    /// Its p2p public key, 0x-hex.
    pub p2p_key: String,
    /// Where it listens, when known.
    pub socket: Option<String>,
    /// True for this node itself.
    pub is_self: bool,
    /// Messages to it not yet acknowledged.
    pub unacked: usize,
}

/// Answer of `GET /v1/agent/peers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentPeersResponse {
    /// This node's agent address, if its p2p key is registered.
    pub address: Option<Address>,
    /// This node's p2p public key, 0x-hex.
    pub p2p_key: String,
    /// The registered peers.
    pub peers: Vec<AgentPeer>,
}
