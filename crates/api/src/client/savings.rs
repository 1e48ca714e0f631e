//! Typed client calls for the savings-rail routes (oracle, TBILL, AID); see [`crate::savings`].

use super::{ApiClient, ApiError};
use crate::routes::fill;
use crate::savings::{
    AID, AID_PROOF, AidProofResponse, AidResponse, ORACLE, OracleResponse, TBILL, TbillResponse,
};
use verity_primitives::Address;

impl ApiClient {
    /// `GET /v1/tbill`.
    pub fn tbill(&self) -> Result<TbillResponse, ApiError> {
        self.get(TBILL)
    }

    /// `GET /v1/aid`.
    pub fn aid(&self) -> Result<AidResponse, ApiError> {
        self.get(AID)
    }

    /// `GET /v1/aid/proof/{address}`.
    pub fn aid_proof(&self, address: &Address) -> Result<AidProofResponse, ApiError> {
        self.get(&fill(AID_PROOF, &[&address.to_string()]))
    }

    /// `GET /v1/oracle/{feed}`.
    pub fn oracle(&self, feed: &str) -> Result<OracleResponse, ApiError> {
        self.get(&fill(ORACLE, &[feed]))
    }
}
