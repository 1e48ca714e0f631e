//! `ExecuteBuyback {token}` (anyone): sell the fee account's whole `token` balance for the
//! protocol token through [`crate::router`], with a minimum output derived from the amm TWAP:
//! `min_out = ⌈twap_out × (10 000 − max_deviation_bps) / 10 000⌉`, where `twap_out` values
//! each route of the router's quote at the time-weighted average prices of its pools over the
//! last [`TWAP_WINDOW_MS`] (so a pool pushed off its average inside one block cannot make the
//! protocol buy at a bad price — the Inverse 2022 lesson). Then [`BurnConfig::split`]: burned,
//! to the treasury, to the sender.

use super::{BurnConfig, config, fee_account};
use crate::amm::{self, twap};
use crate::error::LedgerError;
use crate::receipt::Event;
use crate::router;
use crate::state::{Exec, Store};
use crate::tokens;
use verity_primitives::math::{Rounding, checked_add, mul_div};
use verity_primitives::{Address, Timestamp, TokenId};

/// The TWAP window the buyback's minimum output is computed over: 30 minutes.
pub const TWAP_WINDOW_MS: u64 = 30 * 60 * 1000;

/// Value of the router quote's routes at TWAP prices (Σ over routes of the output of chaining
/// each pool's TWAP `consult`).
pub fn twap_value(s: &impl Store, q: &router::Quote, now: Timestamp) -> Result<u128, LedgerError> {
    let since = Timestamp(now.0.saturating_sub(TWAP_WINDOW_MS));
    let mut total = 0u128;
    for r in &q.routes {
        let mut a = r.amount_in;
        for (i, pid) in r.pools.iter().enumerate() {
            let p = amm::pool(s, *pid)?;
            let tw = twap::twap(s, *pid, since, now)?;
            a = tw.consult(&p, r.path[i], a)?;
        }
        total = checked_add(total, a)?;
    }
    Ok(total)
}

/// The buyback handler.
pub(crate) fn execute_buyback(
    ex: &mut Exec<'_>,
    sender: &Address,
    token: TokenId,
) -> Result<(), LedgerError> {
    let c: BurnConfig = config(ex)?;
    let fees = fee_account();
    let sold = tokens::balance(ex, &fees, token)?;
    tokens::token_info(ex, token)?;
    if sold == 0 {
        return Err(LedgerError::Buyback(format!(
            "the fee account holds no token {token}"
        )));
    }
    let bought = if token == c.token {
        // Fees already paid in the protocol token: nothing to swap.
        sold
    } else {
        let q = router::quote(ex, token, c.token, sold)?;
        let fair = twap_value(ex, &q, ex.now)?;
        let min_out = mul_div(
            fair,
            u128::from(10_000 - c.max_deviation_bps),
            10_000,
            Rounding::Up,
        )?;
        let done = router::execute_routed(ex, &fees, token, c.token, sold, min_out)?;
        done.total_out
    };
    let (burned, treasury, caller) = c.split(bought)?;
    if burned > 0 {
        tokens::burn_from(ex, &fees, c.token, burned)?;
        ex.emit(Event::Burn {
            token: c.token,
            from: fees,
            amount: burned,
        });
    }
    if treasury > 0 {
        tokens::move_balance(ex, &fees, &c.treasury, c.token, treasury)?;
    }
    if caller > 0 {
        tokens::move_balance(ex, &fees, sender, c.token, caller)?;
    }
    ex.emit(Event::Buyback {
        token,
        sold,
        bought,
        burned,
        treasury,
        caller,
    });
    Ok(())
}
