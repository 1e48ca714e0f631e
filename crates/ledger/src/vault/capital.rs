//! Capital outside the `vault` (issue 6 drives these): deploy idle AID to finance GPU assets,
//! take principal and revenue back, book revenue and losses. Deploying never touches the AID
//! reserved for pending exit requests, so exits requested within `max*` stay claimable.

use super::{free_idle, put_state, vault_account, vault_state};
use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::Exec;
use crate::tokens;
use verity_primitives::Address;
use verity_primitives::math::{checked_add, checked_sub};

/// Move `amount` idle AID to `to` as deployed capital (issue 6: financing GPU assets). Total
/// assets are unchanged (idle falls, deployed rises). Only idle AID not reserved for pending
/// exit requests can be deployed.
pub fn deploy_capital(ex: &mut Exec<'_>, to: &Address, amount: u128) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let mut st = vault_state(ex)?;
    let free = free_idle(ex, &st)?;
    if amount > free {
        return Err(LedgerError::VaultIlliquid {
            available: free,
            needed: amount,
        });
    }
    tokens::move_balance(ex, &vault_account(), to, st.asset, amount)?;
    st.deployed = checked_add(st.deployed, amount)?;
    put_state(ex, &st);
    ex.emit(Event::VaultCapitalDeployed { to: *to, amount });
    Ok(())
}

/// Receive AID from `from`: `principal` repays deployed capital, `revenue` settles accrued
/// revenue (both must not exceed what is recorded). Total assets are unchanged.
pub fn return_capital(
    ex: &mut Exec<'_>,
    from: &Address,
    principal: u128,
    revenue: u128,
) -> Result<(), LedgerError> {
    let mut st = vault_state(ex)?;
    st.deployed = checked_sub(st.deployed, principal).map_err(|_| {
        LedgerError::VaultLimit(format!(
            "returning {principal} but only {} is deployed",
            st.deployed
        ))
    })?;
    st.accrued = checked_sub(st.accrued, revenue).map_err(|_| {
        LedgerError::VaultLimit(format!(
            "settling {revenue} revenue but only {} is accrued",
            st.accrued
        ))
    })?;
    let total = checked_add(principal, revenue)?;
    if total == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    tokens::move_balance(ex, from, &vault_account(), st.asset, total)?;
    put_state(ex, &st);
    ex.emit(Event::VaultCapitalReturned {
        from: *from,
        principal,
        revenue,
    });
    Ok(())
}

/// Book `amount` of revenue earned by deployed capital (accrued until paid in with
/// [`return_capital`]): the share price rises.
pub fn record_revenue(ex: &mut Exec<'_>, amount: u128) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let mut st = vault_state(ex)?;
    st.accrued = checked_add(st.accrued, amount)?;
    put_state(ex, &st);
    ex.emit(Event::VaultRevenue { amount });
    Ok(())
}

/// Book a loss of `amount` on capital outside the vault (accrued revenue is written off first,
/// then deployed capital). The only way the share price falls; emits [`Event::VaultLoss`].
pub fn record_loss(ex: &mut Exec<'_>, amount: u128) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let mut st = vault_state(ex)?;
    let outside = checked_add(st.accrued, st.deployed)?;
    if amount > outside {
        return Err(LedgerError::VaultLimit(format!(
            "loss {amount} exceeds deployed capital + accrued revenue {outside}"
        )));
    }
    let from_accrued = amount.min(st.accrued);
    st.accrued -= from_accrued;
    st.deployed -= amount - from_accrued;
    st.losses = checked_add(st.losses, amount)?;
    put_state(ex, &st);
    ex.emit(Event::VaultLoss { amount });
    Ok(())
}
