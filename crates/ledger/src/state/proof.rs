//! Balance proofs: a balance with a jmt `SparseMerkleProof` against a state root, checkable
//! offline by anyone who trusts the root (e.g. from a block header). A zero balance is proved by
//! exclusion (zero balances are not stored).

use super::keys;
use super::tree::{Proof, key_hash};
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
    /// The jmt sparse Merkle proof (SHA-256).
    pub proof: Proof,
}

impl BalanceProof {
    /// Check the proof against `expected_root`; returns the proven balance. Pure and offline.
    pub fn verify(&self, expected_root: Hash) -> Result<u128, LedgerError> {
        let key = keys::balance_key(&self.address, self.token);
        let kh = key_hash(&key);
        let root = jmt::RootHash(expected_root.0);
        let value = (self.balance != 0).then(|| self.balance.to_be_bytes());
        self.proof
            .verify(root, kh, value.as_ref().map(|v| v.as_slice()))
            .map_err(|e| LedgerError::BadProof(e.to_string()))?;
        Ok(self.balance)
    }
}
