//! Typed client calls for the markets routes (pools, quote); see [`crate::markets`].

use super::{ApiClient, ApiError};
use crate::markets::{POOL, POOLS, PoolResponse, PoolsResponse, QUOTE, QuoteResponse};
use crate::routes::fill;

impl ApiClient {
    /// `GET /v1/pools`.
    pub fn pools(&self) -> Result<PoolsResponse, ApiError> {
        self.get(POOLS)
    }

    /// `GET /v1/pools/{id}`.
    pub fn pool(&self, id: u32) -> Result<PoolResponse, ApiError> {
        self.get(&fill(POOL, &[&id.to_string()]))
    }

    /// `GET /v1/quote?from=…&to=…&amount=…` (tokens by symbol or numeric id, amount in base
    /// units).
    pub fn quote(&self, from: &str, to: &str, amount: u128) -> Result<QuoteResponse, ApiError> {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        };
        self.get(&format!(
            "{QUOTE}?from={}&to={}&amount={amount}",
            enc(from),
            enc(to)
        ))
    }
}
