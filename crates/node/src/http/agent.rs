//! Agent messaging routes (issue 7): `POST /v1/agent/send`, `GET /v1/agent/recv`,
//! `GET /v1/agent/peers`, over the node's p2p service (validator mode). Without a p2p network
//! they answer 503 with a hint to start the node with `--p2p`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use serde::Deserialize;
use verity_api::agent::{
    AGENT_PEERS, AGENT_RECV, AGENT_SEND, AgentMessageView, AgentPeer, AgentPeersResponse,
    AgentRecvResponse, AgentSendRequest, AgentSendResponse,
};
use verity_api::codes;
use verity_p2p::{P2pError, P2pHandle};

use super::{ApiErr, ApiResult};
use crate::run::Shared;

/// Register the agent routes.
pub(crate) fn routes(router: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    router
        .route(AGENT_SEND, post(send))
        .route(AGENT_RECV, get(recv))
        .route(AGENT_PEERS, get(peers))
}

fn p2p(shared: &Shared) -> Result<P2pHandle, ApiErr> {
    shared.p2p.get().cloned().ok_or_else(|| {
        ApiErr::new(
            503,
            codes::BAD_REQUEST,
            "this node runs without a p2p network: start it with --p2p ADDR --peers FILE",
        )
    })
}

fn p2p_err(e: P2pError) -> ApiErr {
    match e {
        P2pError::UnknownRecipient(_) => ApiErr::new(404, codes::NOT_FOUND, e.to_string()),
        P2pError::NotRegistered(_) | P2pError::TooLarge { .. } => ApiErr::bad(e.to_string()),
        _ => ApiErr::new(503, codes::INTERNAL, e.to_string()),
    }
}

async fn send(
    State(shared): State<Arc<Shared>>,
    body: axum::body::Bytes,
) -> ApiResult<AgentSendResponse> {
    let req: AgentSendRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiErr::new(400, codes::MALFORMED_JSON, format!("bad send request: {e}")))?;
    let p2p = p2p(&shared)?;
    let seq = p2p
        .send_message(req.to, req.body.as_bytes())
        .map_err(p2p_err)?;
    let from = p2p
        .local_address()
        .ok_or_else(|| p2p_err(P2pError::NotRegistered(hex_key(&p2p))))?;
    Ok(axum::Json(AgentSendResponse {
        from,
        to: req.to,
        seq,
    }))
}

fn hex_key(p2p: &P2pHandle) -> String {
    let k = p2p.local_key();
    let mut s = String::with_capacity(66);
    s.push_str("0x");
    for b in k {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[derive(Debug, Deserialize)]
struct RecvQuery {
    max: Option<usize>,
}

async fn recv(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<RecvQuery>,
) -> ApiResult<AgentRecvResponse> {
    let p2p = p2p(&shared)?;
    let address = p2p
        .local_address()
        .ok_or_else(|| p2p_err(P2pError::NotRegistered(hex_key(&p2p))))?;
    let messages = p2p
        .recv_messages(q.max.unwrap_or(100).clamp(1, 10_000))
        .map_err(p2p_err)?
        .into_iter()
        .map(|m| AgentMessageView {
            from: m.from,
            seq: m.seq,
            body: String::from_utf8_lossy(&m.body).into_owned(),
        })
        .collect();
    Ok(axum::Json(AgentRecvResponse { address, messages }))
}

async fn peers(State(shared): State<Arc<Shared>>) -> ApiResult<AgentPeersResponse> {
    let p2p = p2p(&shared)?;
    let me = p2p.local_key();
    let peers = p2p
        .peers()
        .into_iter()
        .map(|e| AgentPeer {
            address: e.address,
            p2p_key: format!(
                "0x{}",
                e.key.iter().map(|b| format!("{b:02x}")).collect::<String>()
            ),
            socket: e.socket.map(|s| s.to_string()),
            is_self: e.key == me,
            unacked: p2p.unacked(&e.address),
        })
        .collect();
    Ok(axum::Json(AgentPeersResponse {
        address: p2p.local_address(),
        p2p_key: hex_key(&p2p),
        peers,
    }))
}
