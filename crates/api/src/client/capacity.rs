//! Typed client calls for the capacity and position routes; see [`crate::capacity`].

use super::{ApiClient, ApiError};
use crate::capacity::{
    CAPACITY, CAPACITY_SLOT, CapacityResponse, CapacitySlotResponse, POSITION, PositionResponse,
};
use crate::routes::fill;

impl ApiClient {
    /// `GET /v1/capacity`.
    pub fn capacity(&self) -> Result<CapacityResponse, ApiError> {
        self.get(CAPACITY)
    }

    /// `GET /v1/capacity/{token}`.
    pub fn capacity_slot(&self, token: u32) -> Result<CapacitySlotResponse, ApiError> {
        self.get(&fill(CAPACITY_SLOT, &[&token.to_string()]))
    }

    /// `GET /v1/positions/{job}`.
    pub fn position(&self, job: u64) -> Result<PositionResponse, ApiError> {
        self.get(&fill(POSITION, &[&job.to_string()]))
    }
}
