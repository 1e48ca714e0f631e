//! The Verity ledger: a deterministic state machine, a pure function of (state, block).
//!
//! - [`tx`]: EIP-712 typed transactions ([`Payload`], [`Transaction`], [`SignedTransaction`]),
//!   secp256k1 signing and admission checks.
//! - [`block`], [`receipt`]: block input/header and typed receipts with [`Event`]s.
//! - [`state`]: the authenticated key-value [`State`] (bucketed Merkle root), typed views and balance proofs.
//! - [`genesis`]: TOML genesis and the built-in devnet genesis.
//! - modules [`tokens`], [`identity`], [`staking`]: each owns its keys, handlers and invariants.
//! - [`apply_block`] / [`check_admission`] in [`execute`].
//!
//! Determinism rules (enforced by `clippy.toml` and a source-scanning test): no floats, no
//! `HashMap`/`HashSet`, no clock but the block timestamp, no randomness, no I/O.

// --- amm + router (issue 5) ---
pub mod amm;
pub mod router;
// ---
// --- oracle, treasury, dollar (issue 5) ---
pub mod dollar;
pub mod oracle;
pub mod treasury;
// ---
// --- vault, vesting, governance, burn, savings (issue 5) ---
pub mod burn;
pub mod governance;
pub mod savings;
pub mod vault;
pub mod vesting;
// ---
// --- market/dispute (issue 4) ---
pub mod market;
// ---
// --- assets, green (issue 6) ---
pub mod assets;
pub mod green;
// ---
// --- capacity, position (issue 6) ---
pub mod capacity;
pub mod position;
// ---
pub mod bench;
pub mod block;
mod error;
pub mod execute;
pub mod genesis;
pub mod identity;
pub mod receipt;
pub mod staking;
pub mod state;
pub mod tokens;
pub mod tx;
// --- validators (issue 7) ---
pub mod validators;

#[cfg(test)]
mod proptests;

pub use block::{Block, BlockHeader, BlockInput};
pub use error::{AdmissionError, LedgerError};
pub use execute::{BlockOutcome, apply_block, check_admission};
pub use genesis::{Genesis, Params};
pub use identity::{Actor, ActorKind};
pub use receipt::{Event, Receipt, TxStatus};
pub use staking::{StakeView, UnbondingEntry, ValidatorInfo};
pub use state::{AccountView, BalanceProof, State};
pub use tokens::TokenInfo;
pub use tx::{MAX_TX_BYTES, Payload, Signature65, SignedTransaction, Transaction, address_of};

/// The secp256k1 secret key type used to sign transactions (re-exported so callers need not
/// depend on `secp256k1` directly).
pub use secp256k1::SecretKey;
/// Primitive types re-exported for convenience.
pub use verity_primitives::{Address, Amount, Hash, Timestamp, TokenId};
