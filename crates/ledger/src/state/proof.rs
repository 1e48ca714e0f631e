//! Balance proofs: a balance with a bucketed-Merkle-tree proof ([`super::tree::Proof`]) against a
//! state root, checkable offline by anyone who trusts the root (e.g. from a block header). A zero
//! balance is proved by exclusion (zero balances are not stored).

use super::keys;
use super::tree::Proof;
use crate::error::LedgerError;
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, Hash, TokenId, amount_str};

/// A balance and its Merkle proof against `state_root`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BalanceProof {
    /// Account.
    pub address: Address,
    /// Token.
    pub token: TokenId,
    /// The claimed balance in base units.
    #[serde(with = "amount_str")]
    pub balance: u128,
    /// The root the proof was made against (informational: verify against a root you trust).
    pub state_root: Hash,
    /// Height of the block whose state root this is.
    pub height: u64,
    /// The Merkle proof (see [`super::tree`] for the construction).
    pub proof: Proof,
}

impl BalanceProof {
    /// Check the proof against `expected_root`; returns the proven balance. Pure and offline.
    pub fn verify(&self, expected_root: Hash) -> Result<u128, LedgerError> {
        let key = keys::balance_key(&self.address, self.token);
        let value = (self.balance != 0).then(|| self.balance.to_be_bytes());
        self.proof
            .verify(expected_root, &key, value.as_ref().map(|v| v.as_slice()))?;
        Ok(self.balance)
    }
}
