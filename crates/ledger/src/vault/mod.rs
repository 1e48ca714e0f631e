//! The `vault` module: sAID, an ERC-4626 vault over AID (see [`math`] for the conversions and
//! their rounding), with ERC-7540-style asynchronous exits.
//!
//! - **Enter** synchronously: [`deposit`] (assets in, shares = `previewDeposit`, rounded down,
//!   with a `min_shares` slippage bound) or [`mint`] (shares out, assets = `previewMint`,
//!   rounded up, with a `max_assets` bound).
//! - **Exit** in two steps: [`request_redeem`] (shares) or [`request_withdraw`] (assets; shares
//!   = `previewWithdraw`, rounded up) moves the shares from the owner into the vault account
//!   *at request time* (they stop being transferable but still count in the supply) and records
//!   the assets they were worth then. After `cooldown_ms` [`claim`] burns them and pays
//!   **min(value at request, value now)** (`previewRedeem` at claim time, rounded down): a holder
//!   who asked to leave neither earns the revenue booked during the cooldown nor escapes a loss
//!   recorded in it; whatever is not paid out stays with the remaining holders. A claim needs
//!   enough idle AID (deployed capital is not liquid).
//! - **Liquidity.** Each request *reserves* the assets it recorded (`reserved` = Σ of them);
//!   the AID free for new exits is idle − reserved. [`max_withdraw`] and [`max_redeem`] never
//!   exceed what that free AID can pay, so an exit requested within them is always claimable
//!   after the cooldown (and [`deploy_capital`] may only deploy free AID). A request beyond
//!   them is still accepted and queued (ERC-7540 style) but its claim waits for capital to
//!   return.
//! - **Total assets** = idle AID (the vault account's AID balance, donations included) + capital
//!   deployed + revenue accrued but not yet received. Issue 6 drives the last two through
//!   [`deploy_capital`], [`return_capital`], [`record_revenue`] and [`record_loss`] — the only
//!   way the share price can fall, and it emits [`Event::VaultLoss`].
//!
//! Files: `requests.rs` (the request records), `flows.rs` (holder flows and `max*`),
//! `capital.rs` (capital outside the vault), `math.rs` (pure ERC-4626 math), `view.rs` (API
//! views).
//!
//! Invariants ([`check_invariants`]): the vault account's sAID balance ≥ Σ shares locked in
//! pending requests; `reserved` = Σ assets of pending requests; the share price never falls except on a recorded loss (property tests in
//! `tests.rs` drive random operation sequences and compare prices exactly).

mod capital;
mod flows;
pub mod math;
mod requests;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_max;
mod view;

pub use capital::{deploy_capital, record_loss, record_revenue, return_capital};
pub(crate) use flows::{claim, deposit, mint, request_redeem, request_withdraw};
pub use flows::{max_redeem, max_withdraw};
pub use requests::{ExitRequest, requests};
pub use view::{VaultPosition, VaultView, position, view};

use crate::error::LedgerError;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, State, Store};
use crate::tokens;
use math::Totals;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use verity_primitives::math::checked_add;
use verity_primitives::{Address, Hash, TokenId, amount_str};

/// Key of the vault's configuration and accounting record.
const STATE_KEY: &[u8] = &[keys::VAULT, 0x00];
/// Most pending exit requests per owner (claim some first).
pub const MAX_PENDING_REQUESTS: usize = 16;

/// The account holding the vault's idle AID and the shares locked in exit requests:
/// the last 20 bytes of keccak256("verity/module/vault").
pub fn vault_account() -> Address {
    module_address("verity/module/vault")
}

/// Deterministic module account: the last 20 bytes of keccak256(`tag`).
pub(crate) fn module_address(tag: &str) -> Address {
    let h = Hash::keccak(tag.as_bytes());
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.0[12..]);
    Address(a)
}

/// The vault as defined in genesis (TOML `[vault]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VaultGenesis {
    /// Symbol of the underlying asset (AID).
    pub asset: String,
    /// Symbol of the share token; it must be defined with the vault account as mint authority.
    pub share: String,
    /// Decimals offset: `10^offset` virtual shares against the donation attack.
    pub offset: u8,
    /// Exit cooldown between request and claim, ms.
    pub cooldown_ms: u64,
}

impl Default for VaultGenesis {
    fn default() -> Self {
        VaultGenesis {
            asset: "AID".into(),
            share: "sAID".into(),
            offset: 6,
            cooldown_ms: 7 * 24 * 3600 * 1000,
        }
    }
}

/// The devnet's sAID token: 18 + 6 decimals (AID's plus the offset, as OpenZeppelin's
/// `decimals()`), uncapped, minted only by the vault account.
pub fn dev_share_token() -> crate::genesis::GenesisToken {
    crate::genesis::GenesisToken {
        symbol: "sAID".into(),
        decimals: 24,
        cap: u128::MAX,
        mint_authority: Some(vault_account()),
    }
}

/// The vault's stored configuration and accounting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultState {
    /// Underlying asset (AID).
    pub asset: TokenId,
    /// Share token (sAID).
    pub share: TokenId,
    /// Decimals offset.
    pub offset: u8,
    /// Exit cooldown, ms (a governance parameter).
    pub cooldown_ms: u64,
    /// AID deployed out of the vault (counted in total assets).
    #[serde(with = "amount_str")]
    pub deployed: u128,
    /// Revenue recorded but not yet received as AID (counted in total assets).
    #[serde(with = "amount_str")]
    pub accrued: u128,
    /// Σ recorded losses (the only events that lowered the share price).
    #[serde(with = "amount_str")]
    pub losses: u128,
    /// Id of the next exit request.
    pub next_request: u64,
    /// AID reserved for pending exit requests (Σ of the assets they recorded).
    #[serde(with = "amount_str")]
    pub reserved: u128,
}

impl VaultState {
    fn encode(&self) -> Vec<u8> {
        let mut o = Vec::with_capacity(80);
        o.extend_from_slice(&self.asset.0.to_be_bytes());
        o.extend_from_slice(&self.share.0.to_be_bytes());
        o.push(self.offset);
        o.extend_from_slice(&self.cooldown_ms.to_be_bytes());
        o.extend_from_slice(&self.deployed.to_be_bytes());
        o.extend_from_slice(&self.accrued.to_be_bytes());
        o.extend_from_slice(&self.losses.to_be_bytes());
        o.extend_from_slice(&self.next_request.to_be_bytes());
        o.extend_from_slice(&self.reserved.to_be_bytes());
        o
    }

    fn decode(v: &[u8]) -> Result<VaultState, LedgerError> {
        let mut r = Reader::new(v, "vault");
        let s = VaultState {
            asset: TokenId(r.u32()?),
            share: TokenId(r.u32()?),
            offset: r.u8()?,
            cooldown_ms: r.u64()?,
            deployed: r.u128()?,
            accrued: r.u128()?,
            losses: r.u128()?,
            next_request: r.u64()?,
            reserved: r.u128()?,
        };
        r.finish()?;
        Ok(s)
    }
}

/// The vault record, or an error when the chain has no vault.
pub fn vault_state(s: &impl Store) -> Result<VaultState, LedgerError> {
    match s.get(STATE_KEY) {
        Some(v) => VaultState::decode(v),
        None => Err(LedgerError::NotConfigured("vault")),
    }
}

pub(super) fn put_state(ex: &mut Exec<'_>, st: &VaultState) {
    ex.put(STATE_KEY, Some(st.encode()));
}

/// Idle AID held by the vault account.
pub(super) fn idle(s: &impl Store, st: &VaultState) -> Result<u128, LedgerError> {
    tokens::balance(s, &vault_account(), st.asset)
}

/// The totals every conversion uses: total assets = idle + deployed + accrued; supply = the
/// share token's supply (locked request shares included).
pub fn totals(s: &impl Store) -> Result<Totals, LedgerError> {
    let st = vault_state(s)?;
    totals_of(s, &st)
}

pub(super) fn totals_of(s: &impl Store, st: &VaultState) -> Result<Totals, LedgerError> {
    let assets = checked_add(checked_add(idle(s, st)?, st.deployed)?, st.accrued)?;
    let supply = tokens::token_info(s, st.share)?.supply;
    Ok(Totals {
        assets,
        supply,
        offset: st.offset,
    })
}

/// Idle AID not reserved for pending exit requests (0 when queued requests exceed idle).
pub fn free_idle(s: &impl Store, st: &VaultState) -> Result<u128, LedgerError> {
    Ok(idle(s, st)?.saturating_sub(st.reserved))
}

/// Set up the vault at genesis: resolve the tokens, check the share token is minted only by
/// the vault account and starts empty, store the record.
pub(crate) fn init_genesis(
    ex: &mut Exec<'_>,
    g: &VaultGenesis,
    ids: &BTreeMap<String, TokenId>,
) -> Result<(), LedgerError> {
    let find = |sym: &str| {
        ids.get(sym)
            .copied()
            .ok_or_else(|| LedgerError::Genesis(format!("vault: token {sym:?} is not defined")))
    };
    let asset = find(&g.asset)?;
    let share = find(&g.share)?;
    if asset == share {
        return Err(LedgerError::Genesis(
            "vault: asset and share must differ".into(),
        ));
    }
    if g.offset > 18 {
        return Err(LedgerError::Genesis(format!(
            "vault: offset {} > 18",
            g.offset
        )));
    }
    let info = tokens::token_info(ex, share)?;
    if info.mint_authority != Some(vault_account()) {
        return Err(LedgerError::Genesis(format!(
            "vault: token {} must have the vault account {} as mint authority",
            g.share,
            vault_account()
        )));
    }
    if info.supply != 0 {
        return Err(LedgerError::Genesis(format!(
            "vault: token {} must start with zero supply",
            g.share
        )));
    }
    put_state(
        ex,
        &VaultState {
            asset,
            share,
            offset: g.offset,
            cooldown_ms: g.cooldown_ms,
            deployed: 0,
            accrued: 0,
            losses: 0,
            next_request: 0,
            reserved: 0,
        },
    );
    Ok(())
}

/// Set the exit cooldown (governance).
pub(crate) fn set_cooldown(ex: &mut Exec<'_>, ms: u64) -> Result<(), LedgerError> {
    let mut st = vault_state(ex)?;
    st.cooldown_ms = ms;
    put_state(ex, &st);
    Ok(())
}

/// The vault account's share balance = Σ shares locked in pending requests; every stored
/// request list is non-empty and within the limit.
pub(crate) fn check_invariants(state: &State) -> Result<(), LedgerError> {
    let Ok(st) = vault_state(state) else {
        return Ok(());
    };
    let mut locked = 0u128;
    let mut reserved = 0u128;
    for (k, v) in state.scan(keys::VAULT) {
        if k.len() == 22 && k[1] == requests::REQ {
            let reqs = requests::decode_requests(v)?;
            if reqs.is_empty() || reqs.len() > MAX_PENDING_REQUESTS {
                return Err(LedgerError::Invariant(format!(
                    "vault: {} requests stored for one owner",
                    reqs.len()
                )));
            }
            for r in reqs {
                locked = checked_add(locked, r.shares)?;
                reserved = checked_add(reserved, r.assets)?;
            }
        }
    }
    if reserved != st.reserved {
        return Err(LedgerError::Invariant(format!(
            "vault: reserves {} but pending requests recorded {reserved}",
            st.reserved
        )));
    }
    // ≥ rather than =: anyone may transfer shares to the vault account (they stay stuck).
    let held = state.balance(vault_account(), st.share);
    if held < locked {
        return Err(LedgerError::Invariant(format!(
            "vault: holds {held} shares but requests lock {locked}"
        )));
    }
    Ok(())
}
