//! HTTP handlers of the marketplace routes (issue 4): the content store
//! (`PUT`/`GET`/`HEAD /v1/blobs/{blake3}`) and the job/dispute read views (`GET /v1/jobs`,
//! `/v1/jobs/{id}`, `/v1/disputes`, `/v1/disputes/{id}`).
//!
//! Blobs live on disk in `<data dir>/blobs/<hex of blake3>`, never in RAM between requests: a put
//! checks the body's blake3 against the path, writes a unique temp file in the same folder,
//! fsyncs it, renames it over the final name and fsyncs the folder, so a crash leaves either the
//! whole blob or none (stray temp files are ignored). Putting an existing blob is a no-op.

use std::io::Write;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use verity_api::codes;
use verity_api::market::{
    BLOB, BlobPutResponse, DEFAULT_PAGE, DISPUTE, DISPUTES, DisputeResponse, DisputesResponse, JOB,
    JOBS, JobResponse, JobsResponse, MAX_PAGE, blob_hash,
};
use verity_ledger::market::{self, JobStatus, dispute};
use verity_primitives::{Address, Hash};

use super::{ApiErr, ApiResult, body_error, with_core};
use crate::run::Shared;

/// Folder of the content store inside the node's data dir.
pub(crate) const BLOB_DIR: &str = "blobs";

/// Add the marketplace routes; `max_blob` is the body limit of `PUT /v1/blobs/{hash}` only.
pub(super) fn routes(r: Router<Arc<Shared>>, max_blob: usize) -> Router<Arc<Shared>> {
    r.route(
        BLOB,
        get(get_blob)
            .put(put_blob)
            .layer(DefaultBodyLimit::max(max_blob)),
    )
    .route(JOBS, get(get_jobs))
    .route(JOB, get(get_job))
    .route(DISPUTES, get(get_disputes))
    .route(DISPUTE, get(get_dispute))
}

fn parse_blob_hash(s: &str) -> Result<Hash, ApiErr> {
    s.parse().map_err(|e| {
        ApiErr::new(
            400,
            codes::BAD_REQUEST,
            format!("bad blob hash {s:?} (want 0x + 64 hex of the blake3): {e}"),
        )
    })
}

fn blob_path(dir: &FsPath, h: &Hash) -> PathBuf {
    dir.join(hex_of(h))
}

fn hex_of(h: &Hash) -> String {
    h.to_string().trim_start_matches("0x").to_string()
}

fn io_err(what: &str, e: std::io::Error) -> ApiErr {
    ApiErr::new(500, codes::INTERNAL, format!("content store: {what}: {e}"))
}

/// Write `bytes` as blob `h` crash-safely; false when it was already there.
pub(crate) fn store_blob(dir: &FsPath, h: &Hash, bytes: &[u8]) -> Result<bool, ApiErr> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let target = blob_path(dir, h);
    if target.exists() {
        return Ok(false);
    }
    std::fs::create_dir_all(dir).map_err(|e| io_err("creating the folder", e))?;
    let tmp = dir.join(format!(
        ".tmp-{}-{}-{}",
        hex_of(h),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &target)?;
        // Make the rename itself durable.
        std::fs::File::open(dir)?.sync_all()
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_err("writing a blob", e));
    }
    Ok(true)
}

async fn put_blob(
    State(shared): State<Arc<Shared>>,
    Path(hash): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<BlobPutResponse> {
    let want = parse_blob_hash(&hash)?;
    let body = body.map_err(body_error)?;
    let dir = shared.blob_dir.clone();
    let r = tokio::task::spawn_blocking(move || {
        let got = blob_hash(&body);
        if got != want {
            return Err(ApiErr::new(
                400,
                codes::BAD_REQUEST,
                format!("blob hash mismatch: the path names {want} but the body's blake3 is {got}"),
            ));
        }
        let created = store_blob(&dir, &want, &body)?;
        Ok(BlobPutResponse {
            hash: want,
            size: body.len() as u64,
            created,
        })
    })
    .await
    .map_err(ApiErr::internal)??;
    Ok(axum::Json(r))
}

async fn get_blob(
    State(shared): State<Arc<Shared>>,
    Path(hash): Path<String>,
) -> Result<Response, ApiErr> {
    let h = parse_blob_hash(&hash)?;
    let path = blob_path(&shared.blob_dir, &h);
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .map_err(ApiErr::internal)?;
    match bytes {
        Ok(b) => Ok((
            [(header::CONTENT_TYPE, "application/octet-stream")],
            Bytes::from(b),
        )
            .into_response()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ApiErr::new(
            404,
            codes::NOT_FOUND,
            format!("no blob {h} in the content store"),
        )),
        Err(e) => Err(io_err("reading a blob", e)),
    }
}

/// Query of `GET /v1/jobs`.
#[derive(Debug, Deserialize)]
struct JobsQuery {
    status: Option<String>,
    provider: Option<String>,
    buyer: Option<String>,
    offset: Option<usize>,
    limit: Option<usize>,
}

fn parse_status(s: &str) -> Result<JobStatus, ApiErr> {
    const ALL: [JobStatus; 8] = [
        JobStatus::Open,
        JobStatus::Assigned,
        JobStatus::Committed,
        JobStatus::Disputed,
        JobStatus::Settled,
        JobStatus::Expired,
        JobStatus::Cancelled,
        JobStatus::Slashed,
    ];
    ALL.into_iter()
        .find(|st| format!("{st:?}").eq_ignore_ascii_case(s))
        .ok_or_else(|| {
            ApiErr::new(
                400,
                codes::BAD_REQUEST,
                format!("unknown job status {s:?}; one of {ALL:?}"),
            )
        })
}

fn parse_addr(what: &str, s: &str) -> Result<Address, ApiErr> {
    s.parse()
        .map_err(|e| ApiErr::new(400, codes::BAD_REQUEST, format!("bad {what} {s:?}: {e}")))
}

fn page(offset: Option<usize>, limit: Option<usize>) -> Result<(usize, usize), ApiErr> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiErr::new(
            400,
            codes::BAD_REQUEST,
            format!("limit {limit} out of range 1..={MAX_PAGE}"),
        ));
    }
    Ok((offset.unwrap_or(0), limit))
}

/// A query string that does not parse: 400 with the extractor's reason, as the core routes say it.
fn bad_query(e: axum::extract::rejection::QueryRejection) -> ApiErr {
    ApiErr::bad(format!("bad query: {}", e.body_text()))
}

fn ledger_err(e: verity_ledger::LedgerError) -> ApiErr {
    ApiErr::new(500, codes::INTERNAL, e.to_string())
}

async fn get_jobs(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<JobsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<JobsResponse> {
    let Query(q) = query.map_err(bad_query)?;
    let status = q.status.as_deref().map(parse_status).transpose()?;
    let provider = q
        .provider
        .as_deref()
        .map(|s| parse_addr("provider", s))
        .transpose()?;
    let buyer = q
        .buyer
        .as_deref()
        .map(|s| parse_addr("buyer", s))
        .transpose()?;
    let (offset, limit) = page(q.offset, q.limit)?;
    let v = with_core(&shared, move |core| {
        let s = core.state();
        market::jobs(s).map(|all| {
            let matching: Vec<JobResponse> = all
                .into_iter()
                .filter(|j| status.is_none_or(|st| j.status == st))
                .filter(|j| provider.is_none_or(|p| j.provider == Some(p)))
                .filter(|j| buyer.is_none_or(|b| j.buyer == b))
                .collect();
            JobsResponse {
                height: s.height(),
                total: matching.len(),
                jobs: matching.into_iter().skip(offset).take(limit).collect(),
            }
        })
    })
    .await?;
    Ok(axum::Json(v.map_err(ledger_err)?))
}

fn parse_id(what: &str, s: &str) -> Result<u64, ApiErr> {
    s.parse().map_err(|_| {
        ApiErr::new(
            400,
            codes::BAD_REQUEST,
            format!("{what} id {s:?} is not a number"),
        )
    })
}

async fn get_job(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<JobResponse> {
    let id = parse_id("job", &id)?;
    let v = with_core(&shared, move |core| market::job(core.state(), id)).await?;
    match v.map_err(ledger_err)? {
        Some(j) => Ok(axum::Json(j)),
        None => Err(ApiErr::new(404, codes::NOT_FOUND, format!("no job {id}"))),
    }
}

/// Query of `GET /v1/disputes`.
#[derive(Debug, Deserialize)]
struct PageQuery {
    offset: Option<usize>,
    limit: Option<usize>,
}

async fn get_disputes(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<DisputesResponse> {
    let Query(q) = query.map_err(bad_query)?;
    let (offset, limit) = page(q.offset, q.limit)?;
    let v = with_core(&shared, move |core| {
        let s = core.state();
        dispute::disputes(s).map(|all| DisputesResponse {
            height: s.height(),
            total: all.len(),
            disputes: all.into_iter().skip(offset).take(limit).collect(),
        })
    })
    .await?;
    Ok(axum::Json(v.map_err(ledger_err)?))
}

async fn get_dispute(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<DisputeResponse> {
    let id = parse_id("dispute", &id)?;
    let v = with_core(&shared, move |core| dispute::dispute(core.state(), id)).await?;
    match v.map_err(ledger_err)? {
        Some(d) => Ok(axum::Json(d)),
        None => Err(ApiErr::new(
            404,
            codes::NOT_FOUND,
            format!("no dispute {id}"),
        )),
    }
}
