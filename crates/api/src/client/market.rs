//! Typed client calls for the marketplace routes (issue 4): the content store (`put_blob`,
//! `get_blob`, which checks the blake3 of what it receives) and the job/dispute views; see
//! [`crate::market`].

use super::{ApiClient, ApiError};
use crate::market::{
    BLOB, BlobPutResponse, DISPUTE, DISPUTES, DisputeResponse, DisputesResponse, JOB, JOBS,
    JobFilter, JobResponse, JobsResponse, blob_hash,
};
use crate::routes::fill;
use verity_primitives::Hash;

/// Largest blob the client reads back, bytes.
const MAX_BLOB_READ: u64 = 1 << 32;

impl ApiClient {
    /// `PUT /v1/blobs/{blake3}`: store `bytes`; returns their blake3 (the key).
    pub fn put_blob(&self, bytes: &[u8]) -> Result<Hash, ApiError> {
        let hash = blob_hash(bytes);
        let url = self.url(&fill(BLOB, &[&hash.to_string()]));
        let mut resp = Self::checked(
            &url,
            self.agent
                .put(&url)
                .header("content-type", "application/octet-stream")
                .send(bytes),
        )?;
        let r: BlobPutResponse = Self::decode(&url, &mut resp)?;
        if r.hash != hash {
            return Err(ApiError::Decode {
                url,
                reason: format!(
                    "node stored the blob as {} but its blake3 is {hash}",
                    r.hash
                ),
            });
        }
        Ok(hash)
    }

    /// `GET /v1/blobs/{hash}`: the bytes, after checking their blake3 equals `hash`.
    pub fn get_blob(&self, hash: &Hash) -> Result<Vec<u8>, ApiError> {
        let url = self.url(&fill(BLOB, &[&hash.to_string()]));
        let mut resp = Self::checked(&url, self.agent.get(&url).call())?;
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_BLOB_READ)
            .read_to_vec()
            .map_err(|e| Self::transport(&url, e))?;
        let got = blob_hash(&bytes);
        if got != *hash {
            return Err(ApiError::Decode {
                url,
                reason: format!("blob content hashes to {got}, not the requested {hash}"),
            });
        }
        Ok(bytes)
    }

    /// `GET /v1/jobs` with filters and paging.
    pub fn jobs(&self, filter: &JobFilter) -> Result<JobsResponse, ApiError> {
        self.get(&format!("{JOBS}{}", filter.query()))
    }

    /// `GET /v1/jobs/{id}`.
    pub fn job(&self, id: u64) -> Result<JobResponse, ApiError> {
        self.get(&fill(JOB, &[&id.to_string()]))
    }

    /// `GET /v1/disputes?offset=&limit=`.
    pub fn disputes(
        &self,
        offset: Option<usize>,
        limit: Option<usize>,
    ) -> Result<DisputesResponse, ApiError> {
        let mut q = Vec::new();
        if let Some(o) = offset {
            q.push(format!("offset={o}"));
        }
        if let Some(l) = limit {
            q.push(format!("limit={l}"));
        }
        let q = if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        };
        self.get(&format!("{DISPUTES}{q}"))
    }

    /// `GET /v1/disputes/{id}`.
    pub fn dispute(&self, id: u64) -> Result<DisputeResponse, ApiError> {
        self.get(&fill(DISPUTE, &[&id.to_string()]))
    }
}
