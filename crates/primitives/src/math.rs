//! Exact checked arithmetic on `u128` base units. Overflow is an error, never a wrap;
//! [`mul_div`] computes `a * b / c` exactly through a 256-bit intermediate and rounds in the
//! direction the caller names (protocol-favouring rounding is the caller's choice).

use crate::MathError;
use alloy_primitives::U256;

/// Rounding direction for [`mul_div`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Round toward zero (floor).
    Down,
    /// Round away from zero (ceiling).
    Up,
}

/// `a + b`, or [`MathError::Overflow`].
pub fn checked_add(a: u128, b: u128) -> Result<u128, MathError> {
    a.checked_add(b).ok_or(MathError::Overflow)
}

/// `a - b`, or [`MathError::Underflow`] when `b > a`.
pub fn checked_sub(a: u128, b: u128) -> Result<u128, MathError> {
    a.checked_sub(b).ok_or(MathError::Underflow)
}

/// `a * b`, or [`MathError::Overflow`].
pub fn checked_mul(a: u128, b: u128) -> Result<u128, MathError> {
    a.checked_mul(b).ok_or(MathError::Overflow)
}

/// `a * b / c` computed exactly in 256 bits, rounded per `rounding`.
///
/// Errors: [`MathError::DivisionByZero`] when `c == 0`, [`MathError::Overflow`] when the rounded
/// result exceeds `u128::MAX`.
pub fn mul_div(a: u128, b: u128, c: u128, rounding: Rounding) -> Result<u128, MathError> {
    if c == 0 {
        return Err(MathError::DivisionByZero);
    }
    let prod = U256::from(a) * U256::from(b); // < 2^256: cannot overflow
    let c256 = U256::from(c);
    let (q, r) = prod.div_rem(c256);
    let q = if rounding == Rounding::Up && !r.is_zero() {
        q + U256::from(1u8) // q < 2^256 - 1 because c >= 1 and r > 0 implies c >= 2
    } else {
        q
    };
    u128::try_from(q).map_err(|_| MathError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigUint;
    use proptest::prelude::*;

    fn oracle(a: u128, b: u128, c: u128, r: Rounding) -> Option<u128> {
        let (a, b, c) = (BigUint::from(a), BigUint::from(b), BigUint::from(c));
        let p = a * b;
        let mut q = &p / &c;
        if r == Rounding::Up && (&p % &c) != BigUint::from(0u8) {
            q += 1u8;
        }
        u128::try_from(q).ok()
    }

    #[test]
    fn basic_cases() {
        assert_eq!(mul_div(10, 10, 3, Rounding::Down), Ok(33));
        assert_eq!(mul_div(10, 10, 3, Rounding::Up), Ok(34));
        assert_eq!(mul_div(9, 3, 3, Rounding::Up), Ok(9));
        assert_eq!(
            mul_div(1, 1, 0, Rounding::Down),
            Err(MathError::DivisionByZero)
        );
        assert_eq!(
            mul_div(u128::MAX, u128::MAX, u128::MAX, Rounding::Up),
            Ok(u128::MAX)
        );
        assert_eq!(
            mul_div(u128::MAX, 2, 1, Rounding::Down),
            Err(MathError::Overflow)
        );
        // Rounding up can itself overflow.
        assert_eq!(
            mul_div(u128::MAX, 3, 2, Rounding::Down),
            Err(MathError::Overflow)
        );
        assert_eq!(checked_add(u128::MAX, 1), Err(MathError::Overflow));
        assert_eq!(checked_sub(1, 2), Err(MathError::Underflow));
        assert_eq!(checked_mul(u128::MAX, 2), Err(MathError::Overflow));
        assert_eq!(checked_mul(3, 4), Ok(12));
    }

    fn big_u128() -> impl Strategy<Value = u128> {
        prop_oneof![
            any::<u128>(),
            0u128..1000,
            (u128::MAX - 1000)..=u128::MAX,
            any::<u64>().prop_map(u128::from)
        ]
    }

    proptest! {
        #[test]
        fn mul_div_matches_biguint(a in big_u128(), b in big_u128(), c in big_u128()) {
            for r in [Rounding::Down, Rounding::Up] {
                let got = mul_div(a, b, c, r);
                if c == 0 {
                    prop_assert_eq!(got, Err(MathError::DivisionByZero));
                } else {
                    match oracle(a, b, c, r) {
                        Some(q) => prop_assert_eq!(got, Ok(q)),
                        None => prop_assert_eq!(got, Err(MathError::Overflow)),
                    }
                }
            }
        }

        #[test]
        fn up_is_down_or_down_plus_one(a in any::<u64>(), b in any::<u64>(), c in 1u128..u128::MAX) {
            let (a, b) = (u128::from(a), u128::from(b));
            let d = mul_div(a, b, c, Rounding::Down).expect("fits: a*b < 2^128");
            let u = mul_div(a, b, c, Rounding::Up).expect("fits");
            let exact = a * b % c == 0;
            prop_assert_eq!(u, if exact { d } else { d + 1 });
        }
    }
}
