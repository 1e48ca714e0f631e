//! Typed client calls for the validator routes (issue 7); see [`crate::validators`].

use super::{ApiClient, ApiError};
use crate::routes::fill;
use crate::validators::{P2P_KEY, P2pKeyResponse, VALIDATORS, ValidatorsResponse};
use verity_primitives::Address;

impl ApiClient {
    /// `GET /v1/validators[?epoch=E]`: an epoch's validator set (default the current one).
    pub fn validators(&self, epoch: Option<u64>) -> Result<ValidatorsResponse, ApiError> {
        match epoch {
            Some(e) => self.get(&format!("{VALIDATORS}?epoch={e}")),
            None => self.get(VALIDATORS),
        }
    }

    /// `GET /v1/p2p/{address}`: the address's registered p2p key.
    pub fn p2p_key(&self, address: &Address) -> Result<P2pKeyResponse, ApiError> {
        self.get(&fill(P2P_KEY, &[&address.to_string()]))
    }
}
