//! Typed client calls for agent messaging (issue 7); see [`crate::agent`].

use super::{ApiClient, ApiError};
use crate::agent::{
    AGENT_PEERS, AGENT_RECV, AGENT_SEND, AgentPeersResponse, AgentRecvResponse, AgentSendRequest,
    AgentSendResponse,
};
use verity_primitives::Address;

impl ApiClient {
    /// `POST /v1/agent/send`: a direct message to the agent registered as `to`.
    pub fn agent_send(&self, to: Address, body: &str) -> Result<AgentSendResponse, ApiError> {
        self.post(
            AGENT_SEND,
            &AgentSendRequest {
                to,
                body: body.to_string(),
            },
        )
    }

    /// `GET /v1/agent/recv?max=N`: take up to `max` waiting messages.
    pub fn agent_recv(&self, max: usize) -> Result<AgentRecvResponse, ApiError> {
        self.get(&format!("{AGENT_RECV}?max={max}"))
    }

    /// `GET /v1/agent/peers`.
    pub fn agent_peers(&self) -> Result<AgentPeersResponse, ApiError> {
        self.get(AGENT_PEERS)
    }
}
