//! The HTTP edge (axum 0.8): routes of [`verity_api::routes::ROUTES`], JSON errors
//! (`{"error", "code"}`) for every refusal, body limits, long-poll for receipts, server-sent
//! events and metrics. Handlers never hold the core on the async executor: everything that locks
//! the core, verifies a signature or reads the store runs on the blocking pool.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::Stream;
use serde::Deserialize;
use verity_api::routes;
use verity_api::{
    AccountResponse, BalanceEntry, BatchItem, BatchResponse, BlockResponse, ErrorBody,
    ProofResponse, StatusResponse, SubmitResponse, TokenEntry, TokensResponse, TxResponse, TxState,
    codes,
};
use verity_ledger::SignedTransaction;
use verity_primitives::{Address, Hash, TokenId};

use crate::core::{NodeCore, TxLookup};
use crate::error::SubmitError;
use crate::run::Shared;

mod agent; // issue 7: agent messaging
mod assets; // issue 6: assets, financing, green routes
mod capacity; // issue 6: capacity tokens, capacity AMM, positions
mod economy; // issue 5: vault, vesting, governance, savings policy routes
// issue 4: content store, jobs, disputes
mod dashboard; // issue 8: the web dashboard at `/` (web/ embedded)
mod market;
mod markets; // issue 5: pools and quotes
mod overview; // issue 8: network, provider and job-row views for the dashboard
mod report; // issue 8: savings history (replayed from the store)
mod savings; // issue 5: oracle, TBILL, AID routes
mod validators; // issue 7: validator sets, p2p keys
pub(crate) use market::BLOB_DIR;

/// An API error answer.
#[derive(Debug)]
pub(crate) struct ApiErr {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiErr {
    pub(crate) fn new(status: u16, code: &str, error: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            body: ErrorBody {
                error: error.into(),
                code: code.to_string(),
            },
        }
    }
    fn bad(error: impl Into<String>) -> Self {
        Self::new(400, codes::BAD_REQUEST, error)
    }
    fn not_found(error: impl Into<String>) -> Self {
        Self::new(404, codes::NOT_FOUND, error)
    }
    fn internal(error: impl std::fmt::Display) -> Self {
        Self::new(500, codes::INTERNAL, error.to_string())
    }
}

impl From<SubmitError> for ApiErr {
    fn from(e: SubmitError) -> Self {
        let (status, code) = e.status_and_code();
        Self::new(status, code, e.to_string())
    }
}

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

type ApiResult<T> = Result<axum::Json<T>, ApiErr>;

/// Bodies of `POST /v1/tx` up to this size are read before being refused as too large.
const HARD_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Build the router over the shared node state.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    // Bodies up to HARD_BODY_LIMIT are read in full and refused by size in the handler, so a
    // client that writes its whole body before reading (most do) gets a clean 413 instead of a
    // reset connection; only bodies past that are cut off mid-read.
    let tx_limit = shared.limits.max_tx_body.max(HARD_BODY_LIMIT);
    let batch_limit = shared.limits.max_batch_body;
    // issue 4: content store, jobs, disputes
    let base = market::routes(Router::new(), shared.limits.max_blob_body);
    let base = dashboard::routes(overview::routes(report::routes(base))); // issue 8: reports, dashboard
    let base = assets::routes(base); // issue 6: assets, financing, green
    let base = capacity::routes(base); // issue 6: capacity, positions
    let base = validators::routes(base); // issue 7: validator sets, p2p keys
    let base = agent::routes(base); // issue 7: agent messaging
    markets::routes(savings::routes(economy::routes(base))) // issue 5: markets; oracle, TBILL, AID; vault, vesting, gov, savings
        .route(
            routes::SUBMIT_TX,
            post(submit_tx).layer(DefaultBodyLimit::max(tx_limit)),
        )
        .route(
            routes::SUBMIT_TXS,
            post(submit_txs).layer(DefaultBodyLimit::max(batch_limit)),
        )
        .route(routes::TX, get(get_tx))
        .route(routes::ACCOUNT, get(get_account))
        .route(routes::TOKENS, get(get_tokens))
        .route(routes::BLOCK, get(get_block))
        .route(routes::STATUS, get(get_status))
        .route(routes::PROOF, get(get_proof))
        .route(routes::EVENTS, get(get_events))
        .route(routes::OPENAPI, get(get_openapi))
        .route(routes::METRICS, get(get_metrics))
        .fallback(|| async { ApiErr::not_found("no such route; see GET /v1/openapi.json") })
        .with_state(shared)
}

/// Run `f` with the core locked, on the blocking pool.
async fn with_core<T: Send + 'static>(
    shared: &Arc<Shared>,
    f: impl FnOnce(&mut NodeCore) -> T + Send + 'static,
) -> Result<T, ApiErr> {
    let shared = shared.clone();
    tokio::task::spawn_blocking(move || {
        let mut core = shared.lock_core();
        f(&mut core)
    })
    .await
    .map_err(ApiErr::internal)
}

fn body_error(rejection: BytesRejection) -> ApiErr {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiErr::new(
            413,
            codes::BODY_TOO_LARGE,
            format!("request body too large: {}", rejection.body_text()),
        )
    } else {
        ApiErr::new(
            status.as_u16(),
            codes::MALFORMED_JSON,
            rejection.body_text(),
        )
    }
}

fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiErr> {
    serde_json::from_slice(body).map_err(|e| {
        ApiErr::new(
            400,
            codes::MALFORMED_JSON,
            format!("malformed transaction JSON: {e}"),
        )
    })
}

async fn submit_tx(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<SubmitResponse> {
    let body = body.map_err(body_error)?;
    if body.len() > shared.limits.max_tx_body {
        return Err(ApiErr::new(
            413,
            codes::BODY_TOO_LARGE,
            format!(
                "request body too large: {} bytes, the limit is {}",
                body.len(),
                shared.limits.max_tx_body
            ),
        ));
    }
    let tx: SignedTransaction = parse_json(&body)?;
    let s = shared.clone();
    let result = tokio::task::spawn_blocking(move || s.admit(tx))
        .await
        .map_err(ApiErr::internal)?;
    match result {
        Ok(hash) => Ok(axum::Json(SubmitResponse { hash })),
        Err(e) => Err(e.into()),
    }
}

async fn submit_txs(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<BatchResponse> {
    let body = body.map_err(body_error)?;
    let txs: Vec<SignedTransaction> = parse_json(&body)?;
    let s = shared.clone();
    let results = tokio::task::spawn_blocking(move || s.admit_batch(txs))
        .await
        .map_err(ApiErr::internal)?;
    let mut accepted = 0;
    let results = results
        .into_iter()
        .map(|r| match r {
            Ok(hash) => {
                accepted += 1;
                BatchItem {
                    hash: Some(hash),
                    error: None,
                }
            }
            Err(e) => BatchItem {
                hash: None,
                error: Some(ApiErr::from(e).body),
            },
        })
        .collect();
    Ok(axum::Json(BatchResponse { accepted, results }))
}

fn parse_hash(s: &str) -> Result<Hash, ApiErr> {
    s.parse()
        .map_err(|e| ApiErr::bad(format!("bad transaction hash {s:?}: {e}")))
}

fn parse_address(s: &str) -> Result<Address, ApiErr> {
    s.parse()
        .map_err(|e| ApiErr::bad(format!("bad address {s:?}: {e}")))
}

#[derive(Debug, Deserialize)]
struct WaitQuery {
    wait_ms: Option<u64>,
}

async fn get_tx(
    State(shared): State<Arc<Shared>>,
    Path(hash): Path<String>,
    query: Result<Query<WaitQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let hash = match parse_hash(&hash) {
        Ok(h) => h,
        Err(e) => return e.into_response(),
    };
    let wait_ms = match query {
        Ok(Query(q)) => q.wait_ms.unwrap_or(0),
        Err(e) => return ApiErr::bad(format!("bad query: {}", e.body_text())).into_response(),
    };
    let wait = Duration::from_millis(wait_ms).min(shared.limits.max_wait);
    let deadline = tokio::time::Instant::now() + wait;
    let mut committed = shared.committed.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        let lookup = match with_core(&shared, move |core| core.lookup(&hash)).await {
            Ok(Ok(l)) => l,
            Ok(Err(e)) => return ApiErr::internal(e).into_response(),
            Err(e) => return e.into_response(),
        };
        let (status, receipt) = match lookup {
            TxLookup::Committed(r) => (TxState::Committed, Some(*r)),
            TxLookup::Pending => (TxState::Pending, None),
            TxLookup::Unknown => (TxState::Unknown, None),
        };
        let done = status == TxState::Committed
            || tokio::time::Instant::now() >= deadline
            || *shutdown.borrow();
        if done {
            let code = if status == TxState::Committed {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            return (
                code,
                axum::Json(TxResponse {
                    hash,
                    status,
                    receipt,
                }),
            )
                .into_response();
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {}
            _ = committed.changed() => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn get_account(
    State(shared): State<Arc<Shared>>,
    Path(address): Path<String>,
) -> ApiResult<AccountResponse> {
    let address = parse_address(&address)?;
    let store = shared.store.clone();
    let recent_txs = tokio::task::spawn_blocking(move || store.account_txs(&address, 20))
        .await
        .map_err(ApiErr::internal)?
        .map_err(ApiErr::internal)?;
    let resp = with_core(&shared, move |core| {
        let state = core.state();
        let view = state.account(address);
        let balances = view
            .balances
            .iter()
            .filter_map(|b| {
                state.token(b.token).map(|info| BalanceEntry {
                    token: b.token,
                    symbol: info.symbol,
                    decimals: info.decimals,
                    amount: b.amount,
                })
            })
            .collect();
        AccountResponse {
            address,
            height: core.head().height,
            nonce: view.nonce,
            balances,
            actor: view.actor,
            stake: view.stake,
            recent_txs,
        }
    })
    .await?;
    Ok(axum::Json(resp))
}

async fn get_tokens(State(shared): State<Arc<Shared>>) -> ApiResult<TokensResponse> {
    let resp = with_core(&shared, |core| TokensResponse {
        height: core.head().height,
        tokens: core
            .state()
            .tokens()
            .into_iter()
            .map(|(id, info)| TokenEntry { id, info })
            .collect(),
    })
    .await?;
    Ok(axum::Json(resp))
}

async fn get_block(
    State(shared): State<Arc<Shared>>,
    Path(height): Path<String>,
) -> ApiResult<BlockResponse> {
    let height = if height == "latest" {
        with_core(&shared, |core| core.head().height).await?
    } else {
        height.parse::<u64>().map_err(|_| {
            ApiErr::bad(format!(
                "bad block height {height:?}: expected a number or `latest`"
            ))
        })?
    };
    let store = shared.store.clone();
    let block = tokio::task::spawn_blocking(move || store.block(height))
        .await
        .map_err(ApiErr::internal)?
        .map_err(ApiErr::internal)?
        .ok_or_else(|| ApiErr::not_found(format!("no block at height {height} yet")))?;
    let hash = block.header.hash();
    let tx_hashes = block.txs.iter().map(|t| t.hash()).collect();
    Ok(axum::Json(BlockResponse {
        hash,
        header: block.header,
        tx_hashes,
        txs: block.txs,
    }))
}

async fn get_status(State(shared): State<Arc<Shared>>) -> ApiResult<StatusResponse> {
    let resp = with_core(&shared, |core| {
        let head = core.head();
        StatusResponse {
            chain_id: core.chain_id(),
            genesis_hash: core.genesis_hash(),
            height: head.height,
            block_hash: head.block_hash,
            state_root: head.state_root,
            timestamp: head.timestamp,
            mempool_size: core.mempool_len(),
        }
    })
    .await?;
    Ok(axum::Json(resp))
}

async fn get_proof(
    State(shared): State<Arc<Shared>>,
    Path((address, token)): Path<(String, String)>,
) -> ApiResult<ProofResponse> {
    let address = parse_address(&address)?;
    let resp = with_core(&shared, move |core| -> Result<ProofResponse, ApiErr> {
        let state = core.state();
        let (id, info) = match token.parse::<u32>() {
            Ok(n) => state.token(TokenId(n)).map(|info| (TokenId(n), info)),
            Err(_) => state.token_by_symbol(&token),
        }
        .ok_or_else(|| ApiErr::not_found(format!("unknown token {token:?}; see GET /v1/tokens")))?;
        let proof = state.prove_balance(address, id).map_err(ApiErr::internal)?;
        let head = core.head();
        let balance = proof.verify(head.state_root).map_err(ApiErr::internal)?;
        Ok(ProofResponse {
            address,
            token: id,
            symbol: info.symbol,
            balance,
            height: head.height,
            state_root: head.state_root,
            proof,
        })
    })
    .await??;
    Ok(axum::Json(resp))
}

async fn get_events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = shared.events.subscribe();
    let sd = shared.shutdown.subscribe();
    let stream = futures_util::stream::unfold((rx, sd), |(mut rx, mut sd)| async move {
        use tokio::sync::broadcast::error::RecvError;
        if *sd.borrow() {
            return None;
        }
        tokio::select! {
            _ = sd.changed() => None,
            msg = rx.recv() => match msg {
                Ok(ev) => {
                    let data = serde_json::to_string(&*ev).unwrap_or_default();
                    Some((Ok(SseEvent::default().event(ev.name()).data(data)), (rx, sd)))
                }
                Err(RecvError::Lagged(n)) => Some((Ok(SseEvent::default().comment(format!("lagged: {n} messages dropped"))), (rx, sd))),
                Err(RecvError::Closed) => None,
            },
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn get_openapi() -> impl IntoResponse {
    axum::Json(verity_api::openapi::document())
}

async fn get_metrics(State(shared): State<Arc<Shared>>) -> Result<Response, ApiErr> {
    let len = with_core(&shared, |core| core.mempool_len()).await?;
    shared.metrics.mempool_size.set(len as i64);
    let text = shared.metrics.render();
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
