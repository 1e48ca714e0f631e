//! Typed client calls for the assets, financing and green routes; see [`crate::assets`].

use super::{ApiClient, ApiError};
use crate::assets::{
    ASSET, ASSETS, AssetResponse, AssetsResponse, GREEN, GREEN_JOB, GreenJobResponse, GreenResponse,
};
use crate::routes::fill;

impl ApiClient {
    /// `GET /v1/assets`.
    pub fn assets(&self) -> Result<AssetsResponse, ApiError> {
        self.get(ASSETS)
    }

    /// `GET /v1/assets/{id}`.
    pub fn asset(&self, id: u64) -> Result<AssetResponse, ApiError> {
        self.get(&fill(ASSET, &[&id.to_string()]))
    }

    /// `GET /v1/green`.
    pub fn green(&self) -> Result<GreenResponse, ApiError> {
        self.get(GREEN)
    }

    /// `GET /v1/green/jobs/{job}`.
    pub fn green_job(&self, job: u64) -> Result<GreenJobResponse, ApiError> {
        self.get(&fill(GREEN_JOB, &[&job.to_string()]))
    }
}
