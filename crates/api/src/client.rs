//! A typed, blocking client for the node's HTTP API (ureq: plain HTTP, keep-alive, no TLS).
//! Every method maps to one route; a 4xx/5xx becomes [`ApiError::Http`] carrying the server's
//! message and code. Cheap to clone (shares the connection pool), usable from many threads.

use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use verity_ledger::SignedTransaction;
use verity_primitives::{Address, Hash};

use crate::routes::{self, fill};
use crate::types::*;

mod agent;
mod assets; // issue 6: assets, financing, green
mod capacity; // issue 6: capacity tokens, capacity AMM, positions
mod economy; // issue 5: vault, vesting, governance, savings policy calls
mod market; // issue 4: blobs, jobs, disputes
mod markets; // issue 5: pools and quotes
mod report; // issue 8: savings history
mod savings; // issue 5: oracle, TBILL, AID calls
mod validators; // issue 7: validator sets, p2p keys // issue 7: agent messaging

/// What a client call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The node answered with an error status.
    #[error("node answered {status}: {message} ({code})")]
    Http {
        /// HTTP status.
        status: u16,
        /// The server's `code`.
        code: String,
        /// The server's `error` message.
        message: String,
    },
    /// The node could not be reached or the connection broke.
    #[error("cannot reach the node at {url}: {reason}")]
    Transport {
        /// The URL asked.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The answer was not what this client expects.
    #[error("unexpected answer from {url}: {reason}")]
    Decode {
        /// The URL asked.
        url: String,
        /// What did not decode.
        reason: String,
    },
}

impl ApiError {
    /// The server's error code, if the node answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Http { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Which block to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockRef {
    /// The last durable block.
    Latest,
    /// The block at this height.
    Height(u64),
}

/// The API client.
#[derive(Debug, Clone)]
pub struct ApiClient {
    base: String,
    agent: ureq::Agent,
}

type Resp = ureq::http::Response<ureq::Body>;

impl ApiClient {
    /// A client for the node at `base_url` (e.g. `http://127.0.0.1:8645`).
    pub fn new(base_url: &str) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_idle_connections_per_host(64)
            .timeout_connect(Some(Duration::from_secs(5)))
            .build();
        Self {
            base: base_url.trim_end_matches('/').to_string(),
            agent: config.into(),
        }
    }

    /// The node URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn transport(url: &str, e: ureq::Error) -> ApiError {
        ApiError::Transport {
            url: url.to_string(),
            reason: e.to_string(),
        }
    }

    fn decode<T: DeserializeOwned>(url: &str, resp: &mut Resp) -> Result<T, ApiError> {
        let text = resp
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| Self::transport(url, e))?;
        serde_json::from_str(&text).map_err(|e| ApiError::Decode {
            url: url.to_string(),
            reason: format!("{e}; body: {}", truncate(&text)),
        })
    }

    /// Turn a non-2xx answer into [`ApiError::Http`] with the server's message.
    fn error_of(url: &str, resp: &mut Resp) -> ApiError {
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => ApiError::Http {
                status,
                code: body.code,
                message: body.error,
            },
            Err(_) => ApiError::Http {
                status,
                code: String::new(),
                message: if text.is_empty() {
                    format!("HTTP {status} from {url}")
                } else {
                    truncate(&text)
                },
            },
        }
    }

    /// The answer to a request sent to `url`: a transport failure becomes
    /// [`ApiError::Transport`], a non-2xx answer [`ApiError::Http`] with the server's message.
    fn checked(url: &str, sent: Result<Resp, ureq::Error>) -> Result<Resp, ApiError> {
        let mut resp = sent.map_err(|e| Self::transport(url, e))?;
        if !resp.status().is_success() {
            return Err(Self::error_of(url, &mut resp));
        }
        Ok(resp)
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let url = self.url(path);
        let mut resp = Self::checked(&url, self.agent.get(&url).call())?;
        Self::decode(&url, &mut resp)
    }

    fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        let url = self.url(path);
        let mut resp = Self::checked(&url, self.agent.post(&url).send_json(body))?;
        Self::decode(&url, &mut resp)
    }

    /// `POST /v1/tx`: admit a signed transaction; returns its hash. Admission is not durability:
    /// wait with [`ApiClient::tx`] for the receipt.
    pub fn submit_tx(&self, tx: &SignedTransaction) -> Result<Hash, ApiError> {
        let r: SubmitResponse = self.post(routes::SUBMIT_TX, tx)?;
        Ok(r.hash)
    }

    /// `POST /v1/tx` with a raw body (for tools and tests that send hand-made JSON).
    pub fn submit_raw(&self, body: &[u8]) -> Result<Hash, ApiError> {
        let url = self.url(routes::SUBMIT_TX);
        let mut resp = Self::checked(
            &url,
            self.agent
                .post(&url)
                .header("content-type", "application/json")
                .send(body),
        )?;
        let r: SubmitResponse = Self::decode(&url, &mut resp)?;
        Ok(r.hash)
    }

    /// `POST /v1/txs`: admit many transactions in one request; one result each, in order.
    pub fn submit_txs(&self, txs: &[SignedTransaction]) -> Result<BatchResponse, ApiError> {
        self.post(routes::SUBMIT_TXS, &txs)
    }

    /// `GET /v1/tx/{hash}`: the status, and the receipt once durable. With `wait`, the node holds
    /// the request until the receipt is durable or the wait (capped by the node) runs out.
    pub fn tx(&self, hash: &Hash, wait: Option<Duration>) -> Result<TxResponse, ApiError> {
        let mut path = fill(routes::TX, &[&hash.to_string()]);
        if let Some(w) = wait {
            path.push_str(&format!("?wait_ms={}", w.as_millis()));
        }
        let url = self.url(&path);
        let mut resp = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| Self::transport(&url, e))?;
        // 404 carries a TxResponse with status pending/unknown.
        if resp.status().is_success() || resp.status().as_u16() == 404 {
            let text = resp
                .body_mut()
                .read_to_string()
                .map_err(|e| Self::transport(&url, e))?;
            if let Ok(r) = serde_json::from_str::<TxResponse>(&text) {
                return Ok(r);
            }
            return match serde_json::from_str::<ErrorBody>(&text) {
                Ok(body) => Err(ApiError::Http {
                    status: 404,
                    code: body.code,
                    message: body.error,
                }),
                Err(e) => Err(ApiError::Decode {
                    url,
                    reason: format!("{e}; body: {}", truncate(&text)),
                }),
            };
        }
        Err(Self::error_of(&url, &mut resp))
    }

    /// `GET /v1/accounts/{address}`.
    pub fn account(&self, address: &Address) -> Result<AccountResponse, ApiError> {
        self.get(&fill(routes::ACCOUNT, &[&address.to_string()]))
    }

    /// `GET /v1/tokens`.
    pub fn tokens(&self) -> Result<TokensResponse, ApiError> {
        self.get(routes::TOKENS)
    }

    /// `GET /v1/blocks/{height}` or `/v1/blocks/latest`.
    pub fn block(&self, which: BlockRef) -> Result<BlockResponse, ApiError> {
        let h = match which {
            BlockRef::Latest => "latest".to_string(),
            BlockRef::Height(h) => h.to_string(),
        };
        self.get(&fill(routes::BLOCK, &[&h]))
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> Result<StatusResponse, ApiError> {
        self.get(routes::STATUS)
    }

    /// `GET /v1/proof/{address}/{token}`; `token` is a symbol (`VTY`) or a numeric id.
    pub fn proof(&self, address: &Address, token: &str) -> Result<ProofResponse, ApiError> {
        self.get(&fill(routes::PROOF, &[&address.to_string(), token]))
    }

    /// `GET /v1/openapi.json`.
    pub fn openapi(&self) -> Result<serde_json::Value, ApiError> {
        self.get(routes::OPENAPI)
    }

    /// `GET /metrics` as Prometheus text.
    pub fn metrics(&self) -> Result<String, ApiError> {
        let url = self.url(routes::METRICS);
        let mut resp = Self::checked(&url, self.agent.get(&url).call())?;
        resp.body_mut()
            .read_to_string()
            .map_err(|e| Self::transport(&url, e))
    }

    /// `GET /v1/events`: a blocking iterator over the server-sent events.
    pub fn events(&self) -> Result<EventStream, ApiError> {
        let url = self.url(routes::EVENTS);
        let resp = Self::checked(&url, self.agent.get(&url).call())?;
        let reader = resp.into_body().into_with_config().limit(u64::MAX).reader();
        Ok(EventStream {
            url,
            lines: BufReader::new(Box::new(reader)),
        })
    }
}

/// Server-sent events from `GET /v1/events`, decoded; ends when the node closes the stream.
pub struct EventStream {
    url: String,
    lines: BufReader<Box<dyn Read + Send>>,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("url", &self.url)
            .finish()
    }
}

impl Iterator for EventStream {
    type Item = Result<StreamEvent, ApiError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut data = String::new();
        loop {
            let mut line = String::new();
            match self.lines.read_line(&mut line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    return Some(Err(ApiError::Transport {
                        url: self.url.clone(),
                        reason: e.to_string(),
                    }));
                }
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if data.is_empty() {
                    continue; // keep-alive comment block or stray blank line
                }
                return Some(serde_json::from_str(&data).map_err(|e| ApiError::Decode {
                    url: self.url.clone(),
                    reason: format!("{e}; data: {}", truncate(&data)),
                }));
            }
            if let Some(d) = line.strip_prefix("data:") {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(d.strip_prefix(' ').unwrap_or(d));
            }
        }
    }
}

fn truncate(s: &str) -> String {
    const MAX: usize = 300;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
