//! The primitives crate's error types: parsing errors ([`PrimitivesError`]) and arithmetic
//! errors ([`MathError`]).

/// Errors parsing primitive values from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrimitivesError {
    /// The address text is not `0x` followed by 40 hex digits.
    #[error("invalid address {0:?}: expected 0x followed by 40 hex digits")]
    InvalidAddress(String),
    /// The address is mixed-case but its EIP-55 checksum does not match.
    #[error("address {got:?} has a wrong EIP-55 checksum (expected {expected}); check for a typo")]
    BadChecksum {
        /// The text given.
        got: String,
        /// The correctly checksummed form of the same bytes.
        expected: String,
    },
    /// The hash text is not `0x` followed by 64 hex digits.
    #[error("invalid hash {0:?}: expected 0x followed by 64 hex digits")]
    InvalidHash(String),
    /// The amount text is not a decimal unsigned integer that fits in 128 bits.
    #[error("invalid amount {0:?}: expected a decimal integer of base units up to 2^128-1")]
    InvalidAmount(String),
}

/// Errors from checked amount arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MathError {
    /// The result exceeds `u128::MAX`.
    #[error("arithmetic overflow")]
    Overflow,
    /// The result would be negative.
    #[error("arithmetic underflow (result would be negative)")]
    Underflow,
    /// Division by zero.
    #[error("division by zero")]
    DivisionByZero,
}
