//! Request and response bodies of the HTTP API, shared by the server (verity-node) and every
//! client (the CLI, agents). JSON forms: addresses EIP-55, hashes 0x-hex, u128 amounts as decimal
//! strings, u64 as numbers.

use serde::{Deserialize, Serialize};
use verity_ledger::{
    Actor, BalanceProof, BlockHeader, Event, Receipt, SignedTransaction, StakeView, TokenInfo,
};
use verity_primitives::{Address, Hash, TokenId};

/// Body of every 4xx/5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong, for people.
    pub error: String,
    /// A stable machine-readable code (see [`crate::codes`]).
    pub code: String,
}

/// Answer to `POST /v1/tx`: the transaction was admitted to the mempool (not yet durable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitResponse {
    /// The transaction hash (its EIP-712 digest).
    pub hash: Hash,
}

/// One entry of the answer to `POST /v1/txs` (batch submit), in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItem {
    /// The hash when admitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<Hash>,
    /// The refusal when not admitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// Answer to `POST /v1/txs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResponse {
    /// How many were admitted.
    pub accepted: usize,
    /// One result per submitted transaction, in order.
    pub results: Vec<BatchItem>,
}

/// Where a transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxState {
    /// In a durable block; the receipt is final.
    Committed,
    /// Admitted, waiting in the mempool.
    Pending,
    /// Not known to this node.
    Unknown,
}

/// Answer to `GET /v1/tx/{hash}` (status 200 when committed, 404 otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxResponse {
    /// The transaction hash asked about.
    pub hash: Hash,
    /// Where it is.
    pub status: TxState,
    /// The receipt, once its block is durable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
}

/// One token balance with its token's symbol and decimals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceEntry {
    /// Token id.
    pub token: TokenId,
    /// Token symbol.
    pub symbol: String,
    /// Token decimals.
    pub decimals: u8,
    /// Balance in base units.
    #[serde(with = "verity_primitives::amount_str")]
    pub amount: u128,
}

/// Answer to `GET /v1/accounts/{address}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountResponse {
    /// The account.
    pub address: Address,
    /// Height of the durable state this was read from.
    pub height: u64,
    /// The next nonce the account must use.
    pub nonce: u64,
    /// Non-zero balances, with symbols.
    pub balances: Vec<BalanceEntry>,
    /// The actor record, if the account registered one.
    pub actor: Option<Actor>,
    /// Bonded and unbonding stake.
    pub stake: StakeView,
    /// Newest transactions that touched the account (sent or received), newest first.
    pub recent_txs: Vec<Hash>,
}

/// One token of `GET /v1/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    /// Token id.
    pub id: TokenId,
    /// Registry data (symbol, decimals, supply, cap, mint authority).
    #[serde(flatten)]
    pub info: TokenInfo,
}

/// Answer to `GET /v1/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensResponse {
    /// Height of the durable state this was read from.
    pub height: u64,
    /// Every token in id order.
    pub tokens: Vec<TokenEntry>,
}

/// Answer to `GET /v1/blocks/{height}` and `GET /v1/blocks/latest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockResponse {
    /// The block hash.
    pub hash: Hash,
    /// The header.
    pub header: BlockHeader,
    /// Hashes of its transactions, in order.
    pub tx_hashes: Vec<Hash>,
    /// Its transactions, in order.
    pub txs: Vec<SignedTransaction>,
}

/// Answer to `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// Chain id (EIP-712 domain).
    pub chain_id: u64,
    /// Hash naming the genesis.
    pub genesis_hash: Hash,
    /// Height of the last durable block (0 = genesis).
    pub height: u64,
    /// Hash of the last durable block (the genesis hash at height 0).
    pub block_hash: Hash,
    /// State root after that block.
    pub state_root: Hash,
    /// Timestamp (ms since the Unix epoch) of that block.
    pub timestamp: u64,
    /// Transactions waiting in the mempool.
    pub mempool_size: usize,
}

/// Answer to `GET /v1/proof/{address}/{token}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProofResponse {
    /// The account.
    pub address: Address,
    /// The token id.
    pub token: TokenId,
    /// The token symbol.
    pub symbol: String,
    /// The balance the proof shows, base units.
    #[serde(with = "verity_primitives::amount_str")]
    pub balance: u128,
    /// Height of the block whose state root the proof is against.
    pub height: u64,
    /// That state root.
    pub state_root: Hash,
    /// The proof; `proof.verify(state_root)` returns `balance`.
    pub proof: BalanceProof,
}

/// One message of `GET /v1/events` (server-sent events; the SSE event name is `block` or
/// `event`, the data is this JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum StreamEvent {
    /// A block became durable.
    Block {
        /// Height.
        height: u64,
        /// Block hash.
        hash: Hash,
        /// State root after it.
        state_root: Hash,
        /// Block timestamp (ms).
        timestamp: u64,
        /// Number of transactions.
        tx_count: usize,
    },
    /// One event of a receipt in a durable block.
    Event {
        /// Block height.
        height: u64,
        /// The transaction.
        tx_hash: Hash,
        /// Position of the transaction in the block.
        index: u32,
        /// The event.
        event: Event,
    },
}

impl StreamEvent {
    /// The SSE event name: `block` or `event`.
    pub fn name(&self) -> &'static str {
        match self {
            StreamEvent::Block { .. } => "block",
            StreamEvent::Event { .. } => "event",
        }
    }
}
