//! Verity primitives shared by every crate: [`Address`] (20 bytes, EIP-55 text), [`Hash`]
//! (32 bytes, 0x-hex text), [`TokenId`], [`Timestamp`] (ms), [`Amount`] with exact checked
//! arithmetic in [`math`], the serde helper [`amount_str`] and the crate's error types.
//!
//! JSON forms: addresses as EIP-55 strings, hashes as 0x-hex strings, `u128` amounts as decimal
//! strings (JSON numbers lose precision above 2^53), `u64`/`u32` as numbers.

mod address;
pub mod amount_str;
mod error;
mod hash;
pub mod math;

pub use address::Address;
pub use error::{MathError, PrimitivesError};
pub use hash::Hash;

use serde::{Deserialize, Serialize};

/// An amount in a token's base units (e.g. 10^-18 VTY, 10^-6 USDC).
pub type Amount = u128;

/// A token's id, assigned in genesis order starting from 0. Serialises as a JSON number.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct TokenId(pub u32);

impl std::fmt::Display for TokenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Milliseconds since the Unix epoch. The ledger only ever sees a block's timestamp.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The timestamp `ms` milliseconds later, or `None` on overflow.
    pub fn checked_add_ms(self, ms: u64) -> Option<Timestamp> {
        self.0.checked_add(ms).map(Timestamp)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Keccak-256 of `data`.
pub fn keccak256(data: &[u8]) -> Hash {
    Hash(alloy_primitives::keccak256(data).0)
}
