//! API types of the reports (issue 8): `GET /v1/report/savings/{address}`, a provider's daily
//! savings history replayed from the node's stored blocks — what it was paid for jobs, what
//! its auto-savings policy converted, and the USD prices to value both. `verity report savings`
//! turns it into held-vs-converted value paths, volatility, drawdown and a chart. Client method
//! in `client/report.rs`; server in the node's `http/report.rs`.

use serde::{Deserialize, Serialize};
use verity_primitives::{Address, Timestamp, amount_str};

/// `GET /v1/report/savings/{address}`: the address's savings history, one entry per day.
pub const SAVINGS_REPORT: &str = "/v1/report/savings/{address}";

/// An amount of one token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenAmount {
    /// Token symbol.
    pub symbol: String,
    /// Token decimals.
    pub decimals: u8,
    /// Base units.
    #[serde(with = "amount_str")]
    pub amount: u128,
}

/// A token's USD price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPrice {
    /// Token symbol.
    pub symbol: String,
    /// USD per whole token, 1e18 fixed point (AID, USDC, USDT = 1; TBILL = NAV; others from
    /// their pool against AID or USDC; 0 when unpriced).
    #[serde(with = "amount_str")]
    pub usd: u128,
}

/// The address's position at the end of one day (the state after that day's last block).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavingsDay {
    /// Whole days since genesis.
    pub day: u64,
    /// Time of the day's last block.
    pub time: Timestamp,
    /// Σ paid to the address by settled jobs so far, per token.
    pub received: Vec<TokenAmount>,
    /// Σ of those tokens its auto-savings converted so far (sold), per token.
    pub converted_in: Vec<TokenAmount>,
    /// Σ bought by those conversions so far, per target token.
    pub converted_out: Vec<TokenAmount>,
    /// Prices of every token named above, at the day's end.
    pub prices: Vec<TokenPrice>,
}

/// Body of `GET /v1/report/savings/{address}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavingsHistoryResponse {
    /// The address.
    pub address: Address,
    /// Height replayed to.
    pub height: u64,
    /// One entry per day that has a block, in order.
    pub days: Vec<SavingsDay>,
}
