//! Typed client calls for the vault, vesting, governance and savings routes; see
//! [`crate::economy`].

use super::{ApiClient, ApiError};
use crate::economy::{
    GOV, GOV_ACCOUNT, GovAccountResponse, GovResponse, SAVINGS, SavingsResponse, VAULT,
    VAULT_POSITION, VESTING, VaultPositionResponse, VaultResponse, VestingResponse,
};
use crate::routes::fill;
use verity_primitives::Address;

impl ApiClient {
    /// `GET /v1/vault`.
    pub fn vault(&self) -> Result<VaultResponse, ApiError> {
        self.get(VAULT)
    }

    /// `GET /v1/vault/{address}`.
    pub fn vault_position(&self, address: &Address) -> Result<VaultPositionResponse, ApiError> {
        self.get(&fill(VAULT_POSITION, &[&address.to_string()]))
    }

    /// `GET /v1/vesting/{address}`.
    pub fn vesting(&self, address: &Address) -> Result<VestingResponse, ApiError> {
        self.get(&fill(VESTING, &[&address.to_string()]))
    }

    /// `GET /v1/gov`.
    pub fn gov(&self) -> Result<GovResponse, ApiError> {
        self.get(GOV)
    }

    /// `GET /v1/gov/{address}`.
    pub fn gov_account(&self, address: &Address) -> Result<GovAccountResponse, ApiError> {
        self.get(&fill(GOV_ACCOUNT, &[&address.to_string()]))
    }

    /// `GET /v1/savings/{address}`.
    pub fn savings(&self, address: &Address) -> Result<SavingsResponse, ApiError> {
        self.get(&fill(SAVINGS, &[&address.to_string()]))
    }
}
