//! The holder-facing flows of the `vault` module: enter with [`deposit`] / [`mint`], exit with
//! [`request_redeem`] / [`request_withdraw`] then [`claim`] after the cooldown, and the
//! ERC-4626 limits [`max_withdraw`] / [`max_redeem`] that respect the AID actually free to pay
//! exits (idle AID minus what pending requests already reserve).

use super::requests::{ExitRequest, put_requests, requests};
use super::{
    MAX_PENDING_REQUESTS, VaultState, idle, put_state, totals_of, vault_account, vault_state,
};
use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::{Exec, Store};
use crate::tokens;
use verity_primitives::Address;
use verity_primitives::math::{Rounding, checked_add, checked_sub, mul_div};

/// Deposit handler: `assets` AID in, `previewDeposit(assets)` sAID (rounded down) out;
/// fails if that is zero or below `min_shares`.
pub(crate) fn deposit(
    ex: &mut Exec<'_>,
    sender: &Address,
    assets: u128,
    min_shares: u128,
) -> Result<(), LedgerError> {
    if assets == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let st = vault_state(ex)?;
    let t = totals_of(ex, &st)?;
    if assets > t.max_deposit() {
        return Err(LedgerError::VaultLimit(format!(
            "deposit of {assets} exceeds maxDeposit {}",
            t.max_deposit()
        )));
    }
    let shares = t.preview_deposit(assets)?;
    if shares == 0 {
        return Err(LedgerError::VaultLimit(format!(
            "a deposit of {assets} would mint zero shares; deposit more"
        )));
    }
    if shares < min_shares {
        return Err(LedgerError::InsufficientOutput {
            out: shares,
            min: min_shares,
        });
    }
    enter(ex, sender, &st, assets, shares)
}

/// Mint handler: `shares` sAID out for `previewMint(shares)` AID (rounded up); fails if that
/// exceeds `max_assets`.
pub(crate) fn mint(
    ex: &mut Exec<'_>,
    sender: &Address,
    shares: u128,
    max_assets: u128,
) -> Result<(), LedgerError> {
    if shares == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let st = vault_state(ex)?;
    let t = totals_of(ex, &st)?;
    if shares > t.max_mint() {
        return Err(LedgerError::VaultLimit(format!(
            "mint of {shares} exceeds maxMint {}",
            t.max_mint()
        )));
    }
    let assets = t.preview_mint(shares)?;
    if assets > max_assets {
        return Err(LedgerError::ExcessiveInput {
            input: assets,
            max: max_assets,
        });
    }
    enter(ex, sender, &st, assets, shares)
}

fn enter(
    ex: &mut Exec<'_>,
    sender: &Address,
    st: &VaultState,
    assets: u128,
    shares: u128,
) -> Result<(), LedgerError> {
    tokens::move_balance(ex, sender, &vault_account(), st.asset, assets)?;
    tokens::mint_unchecked(ex, st.share, sender, shares)?;
    ex.emit(Event::VaultDeposit {
        owner: *sender,
        assets,
        shares,
    });
    Ok(())
}

/// Request-redeem handler: lock `shares` now; claimable after the cooldown.
pub(crate) fn request_redeem(
    ex: &mut Exec<'_>,
    sender: &Address,
    shares: u128,
) -> Result<(), LedgerError> {
    if shares == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let st = vault_state(ex)?;
    let t = totals_of(ex, &st)?;
    let assets = t.preview_redeem(shares)?;
    lock_request(ex, sender, st, shares, assets)
}

/// Request-withdraw handler: lock `previewWithdraw(assets)` shares (rounded up) now; the
/// claim pays at most `assets`.
pub(crate) fn request_withdraw(
    ex: &mut Exec<'_>,
    sender: &Address,
    assets: u128,
) -> Result<(), LedgerError> {
    if assets == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let st = vault_state(ex)?;
    let t = totals_of(ex, &st)?;
    let shares = t.preview_withdraw(assets)?;
    lock_request(ex, sender, st, shares, assets)
}

fn lock_request(
    ex: &mut Exec<'_>,
    sender: &Address,
    mut st: VaultState,
    shares: u128,
    assets: u128,
) -> Result<(), LedgerError> {
    let mut reqs = requests(ex, sender)?;
    if reqs.len() >= MAX_PENDING_REQUESTS {
        return Err(LedgerError::VaultLimit(format!(
            "{MAX_PENDING_REQUESTS} exit requests are already pending; claim first"
        )));
    }
    tokens::move_balance(ex, sender, &vault_account(), st.share, shares)?;
    let ready_at = ex
        .now
        .checked_add_ms(st.cooldown_ms)
        .ok_or(verity_primitives::MathError::Overflow)?;
    st.reserved = checked_add(st.reserved, assets)?;
    let id = st.next_request;
    st.next_request = id
        .checked_add(1)
        .ok_or(verity_primitives::MathError::Overflow)?;
    reqs.push(ExitRequest {
        id,
        shares,
        assets,
        ready_at,
    });
    put_requests(ex, sender, &reqs);
    put_state(ex, &st);
    ex.emit(Event::VaultExitRequested {
        owner: *sender,
        id,
        shares,
        assets,
        ready_at,
    });
    Ok(())
}

/// Claim handler: settle every request of the sender whose cooldown is over, oldest first;
/// each pays min(assets at request, `previewRedeem(shares)` now) and burns its shares.
pub(crate) fn claim(ex: &mut Exec<'_>, sender: &Address) -> Result<(), LedgerError> {
    let mut st = vault_state(ex)?;
    let reqs = requests(ex, sender)?;
    if reqs.is_empty() {
        return Err(LedgerError::NothingToClaim("no pending vault exit request"));
    }
    let now = ex.now;
    let (ready, waiting): (Vec<_>, Vec<_>) = reqs.into_iter().partition(|r| r.ready_at <= now);
    if ready.is_empty() {
        let first = waiting.iter().map(|r| r.ready_at).min().unwrap_or(now);
        return Err(LedgerError::NotYetClaimable { ready_at: first });
    }
    for r in &ready {
        let t = totals_of(ex, &st)?;
        let now_value = t.preview_redeem(r.shares)?;
        let pay = now_value.min(r.assets);
        let have = idle(ex, &st)?;
        if pay > have {
            return Err(LedgerError::VaultIlliquid {
                available: have,
                needed: pay,
            });
        }
        tokens::burn_from(ex, &vault_account(), st.share, r.shares)?;
        if pay > 0 {
            tokens::move_balance(ex, &vault_account(), sender, st.asset, pay)?;
        }
        st.reserved = checked_sub(st.reserved, r.assets)?;
        ex.emit(Event::VaultExitClaimed {
            owner: *sender,
            id: r.id,
            shares: r.shares,
            assets: pay,
        });
    }
    put_requests(ex, sender, &waiting);
    put_state(ex, &st);
    Ok(())
}

/// `maxWithdraw(owner)`: the most assets `owner` can ask for with [`request_withdraw`] and be
/// sure to claim after the cooldown = min(`previewRedeem(free shares)`, free idle AID). The
/// request is then accepted (its `previewWithdraw` ≤ the owner's shares) and its claim is
/// covered by AID no other request has reserved.
pub fn max_withdraw(s: &impl Store, owner: &Address) -> Result<u128, LedgerError> {
    let st = vault_state(s)?;
    let t = totals_of(s, &st)?;
    let shares = tokens::balance(s, owner, st.share)?;
    Ok(t.preview_redeem(shares)?.min(super::free_idle(s, &st)?))
}

/// `maxRedeem(owner)`: the most shares `owner` can lock with [`request_redeem`] and be sure to
/// claim = min(free shares, the largest `s` with `previewRedeem(s)` ≤ free idle AID).
/// `previewRedeem(s) = ⌊s·A/S⌋ ≤ f ⇔ s·A < (f+1)·S ⇔ s ≤ ⌈(f+1)·S/A⌉ − 1` (A, S with the
/// virtual asset and shares).
pub fn max_redeem(s: &impl Store, owner: &Address) -> Result<u128, LedgerError> {
    let st = vault_state(s)?;
    let t = totals_of(s, &st)?;
    let shares = tokens::balance(s, owner, st.share)?;
    let free = super::free_idle(s, &st)?;
    let by_liquidity = match free.checked_add(1) {
        None => u128::MAX,
        Some(f1) => {
            let virt = 10u128
                .checked_pow(u32::from(t.offset))
                .ok_or(verity_primitives::MathError::Overflow)?;
            let sv = checked_add(t.supply, virt)?;
            let av = checked_add(t.assets, 1)?;
            // Overflow means the bound is beyond any balance.
            match mul_div(f1, sv, av, Rounding::Up) {
                Ok(c) => c - 1,
                Err(_) => u128::MAX,
            }
        }
    };
    Ok(shares.min(by_liquidity))
}
