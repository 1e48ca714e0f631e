//! Typed client calls for the report routes (issue 8); see [`crate::report`].

use super::{ApiClient, ApiError};
use crate::report::{SAVINGS_REPORT, SavingsHistoryResponse};
use crate::routes::fill;
use verity_primitives::Address;

impl ApiClient {
    /// `GET /v1/report/savings/{address}`: the address's daily savings history.
    pub fn savings_history(&self, address: &Address) -> Result<SavingsHistoryResponse, ApiError> {
        self.get(&fill(SAVINGS_REPORT, &[&address.to_string()]))
    }
}
