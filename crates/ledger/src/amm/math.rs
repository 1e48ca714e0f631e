//! Uniswap V2's integer formulas, generalised from the fixed 0.3% fee to a per-pool fee in basis
//! points (out of [`BPS`] = 10,000). With `fee_bps = 30` every result is bit-identical to
//! `UniswapV2Library` / `UniswapV2Pair` (their 997/1000 terms are our 9970/10000 terms, i.e. the
//! numerator and denominator are both multiplied by exactly 10, so every floor is the same).
//!
//! All intermediate products are computed in 256 bits ([`U256`]); reserves are bounded by
//! [`MAX_RESERVE`] = 2^112 − 1 exactly as V2's `uint112` reserves, so no product can overflow.
//! Rounding follows V2: outputs round down, required inputs round up (`getAmountIn`'s `+ 1`),
//! LP shares minted round down, amounts returned on burn round down — all in favour of the pool.

use crate::error::LedgerError;
use alloy_primitives::U256;

/// Basis points in one whole (100%).
pub const BPS: u128 = 10_000;
/// The default pool fee: 30 bps = 0.30%, Uniswap V2's fee.
pub const DEFAULT_FEE_BPS: u16 = 30;
/// Highest fee a pool may charge (10%).
pub const MAX_FEE_BPS: u16 = 1_000;
/// LP shares locked forever on a pool's first mint (`MINIMUM_LIQUIDITY` in V2).
pub const MINIMUM_LIQUIDITY: u128 = 1_000;
/// Largest reserve a pool may hold: `uint112` max, as in V2 (keeps UQ112x112 prices exact).
pub const MAX_RESERVE: u128 = (1u128 << 112) - 1;

fn u(x: u128) -> U256 {
    U256::from(x)
}

fn to_u128(x: U256) -> Result<u128, LedgerError> {
    u128::try_from(x).map_err(|_| LedgerError::Math(verity_primitives::MathError::Overflow))
}

/// `getAmountOut`: the most `reserve_out` a swap of `amount_in` can take out (rounded down):
/// `amount_in·(B−f)·R_out / (R_in·B + amount_in·(B−f))` with `B = 10,000`, `f = fee_bps`.
pub fn get_amount_out(
    amount_in: u128,
    reserve_in: u128,
    reserve_out: u128,
    fee_bps: u16,
) -> Result<u128, LedgerError> {
    if amount_in == 0 {
        return Err(LedgerError::InsufficientInputAmount);
    }
    if reserve_in == 0 || reserve_out == 0 {
        return Err(LedgerError::InsufficientLiquidity);
    }
    let with_fee = u(amount_in) * u(BPS - u128::from(fee_bps));
    let numerator = with_fee * u(reserve_out);
    let denominator = u(reserve_in) * u(BPS) + with_fee;
    to_u128(numerator / denominator)
}

/// `getAmountIn`: the least input that takes `amount_out` out (rounded up, with V2's `+ 1`):
/// `R_in·amount_out·B / ((R_out − amount_out)·(B−f)) + 1`.
pub fn get_amount_in(
    amount_out: u128,
    reserve_in: u128,
    reserve_out: u128,
    fee_bps: u16,
) -> Result<u128, LedgerError> {
    if amount_out == 0 {
        return Err(LedgerError::InsufficientOutputAmount);
    }
    if reserve_in == 0 || reserve_out == 0 || amount_out >= reserve_out {
        return Err(LedgerError::InsufficientLiquidity);
    }
    let numerator = u(reserve_in) * u(amount_out) * u(BPS);
    let denominator = u(reserve_out - amount_out) * u(BPS - u128::from(fee_bps));
    to_u128(numerator / denominator + U256::from(1u8))
}

/// `quote` (UniswapV2Library): the amount of B worth `amount_a` of A at the reserves' ratio,
/// rounded down. Used to compute the optimal deposit of [`crate::amm`]'s add-liquidity.
pub fn quote(amount_a: u128, reserve_a: u128, reserve_b: u128) -> Result<u128, LedgerError> {
    if amount_a == 0 {
        return Err(LedgerError::InsufficientAmount("quote of a zero amount"));
    }
    if reserve_a == 0 || reserve_b == 0 {
        return Err(LedgerError::InsufficientLiquidity);
    }
    to_u128(u(amount_a) * u(reserve_b) / u(reserve_a))
}

/// Integer square root rounded down — V2's `Math.sqrt` (Babylonian method).
pub fn sqrt(y: U256) -> U256 {
    if y > U256::from(3u8) {
        let mut z = y;
        let mut x = y / U256::from(2u8) + U256::from(1u8);
        while x < z {
            z = x;
            x = (y / x + x) / U256::from(2u8);
        }
        z
    } else if y != U256::ZERO {
        U256::from(1u8)
    } else {
        U256::ZERO
    }
}

/// The V2 `swap` k check with the fee taken on the input side:
/// `(b0·B − in0·f)·(b1·B − in1·f) ≥ r0·r1·B²`, where `b` are the balances after the swap,
/// `in` the amounts that came in and `r` the reserves before it.
pub fn k_holds(
    balance0: u128,
    balance1: u128,
    amount0_in: u128,
    amount1_in: u128,
    reserve0: u128,
    reserve1: u128,
    fee_bps: u16,
) -> bool {
    let f = u(u128::from(fee_bps));
    // balance ≥ amount_in always (the input is part of the balance), so no underflow.
    let adj0 = u(balance0) * u(BPS) - u(amount0_in) * f;
    let adj1 = u(balance1) * u(BPS) - u(amount1_in) * f;
    // Each factor < 2^112·2^14 = 2^126, so both products stay below 2^252.
    adj0 * adj1 >= u(reserve0) * u(reserve1) * u(BPS * BPS)
}

/// UQ112x112 encoding of `numerator / denominator` (`UQ112x112.encode(n).uqdiv(d)` in V2):
/// `(numerator << 112) / denominator`, rounded down. Requires a non-zero denominator.
pub fn uq112_div(numerator: u128, denominator: u128) -> U256 {
    debug_assert!(denominator != 0);
    (u(numerator) << 112) / u(denominator.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sqrt_small_and_exact_squares() {
        for (y, r) in [
            (0u128, 0u128),
            (1, 1),
            (2, 1),
            (3, 1),
            (4, 2),
            (8, 2),
            (9, 3),
            (10, 3),
        ] {
            assert_eq!(sqrt(u(y)), u(r), "sqrt({y})");
        }
        let big = u(MAX_RESERVE) * u(MAX_RESERVE);
        assert_eq!(sqrt(big), u(MAX_RESERVE));
        assert_eq!(sqrt(big - U256::from(1u8)), u(MAX_RESERVE - 1));
    }

    #[test]
    fn fee_30_matches_v2_997_over_1000() {
        // V2: amountIn*997*R_out / (R_in*1000 + amountIn*997).
        let v2 = |a: u128, ri: u128, ro: u128| {
            (u(a) * u(997) * u(ro)) / (u(ri) * u(1000) + u(a) * u(997))
        };
        for (a, ri, ro) in [
            (1u128, 5u128, 10u128),
            (10_000, 7, 99),
            (123_456_789, 1 << 100, 1 << 90),
        ] {
            assert_eq!(
                u(get_amount_out(a, ri, ro, 30).expect("test value")),
                v2(a, ri, ro)
            );
        }
    }

    #[test]
    fn zero_and_empty_inputs_are_errors() {
        assert_eq!(
            get_amount_out(0, 1, 1, 30),
            Err(LedgerError::InsufficientInputAmount)
        );
        assert_eq!(
            get_amount_out(1, 0, 1, 30),
            Err(LedgerError::InsufficientLiquidity)
        );
        assert_eq!(
            get_amount_in(0, 1, 1, 30),
            Err(LedgerError::InsufficientOutputAmount)
        );
        assert_eq!(
            get_amount_in(5, 10, 5, 30),
            Err(LedgerError::InsufficientLiquidity)
        );
        assert!(quote(0, 1, 1).is_err());
    }

    proptest! {
        /// getAmountIn(getAmountOut) round trip: the input needed for the output a given input
        /// buys never exceeds that input, and one unit less than getAmountIn never suffices.
        #[test]
        fn amount_in_is_the_least_sufficient_input(
            ri in 1_000u128..(1u128 << 100),
            ro in 1_000u128..(1u128 << 100),
            out_frac in 1u128..1_000,
            fee in 0u16..=MAX_FEE_BPS,
        ) {
            let out = (ro / 1_001 * out_frac).max(1);
            prop_assume!(out < ro);
            let need = get_amount_in(out, ri, ro, fee).expect("test value");
            prop_assert!(get_amount_out(need, ri, ro, fee).expect("test value") >= out);
            // The +1 means `need - 1` may or may not suffice (V2 over-charges by at most 1).
            if need > 2 {
                prop_assert!(get_amount_out(need - 2, ri, ro, fee).expect("test value") < out);
            }
            // And the k check accepts exactly that trade.
            prop_assert!(k_holds(ri + need, ro - out, need, 0, ri, ro, fee));
        }
    }
}
