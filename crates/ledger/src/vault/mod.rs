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
//! - **Total assets** = idle AID (the vault account's AID balance, donations included) + capital
//!   deployed + revenue accrued but not yet received. Issue 6 drives the last two through
//!   [`deploy_capital`], [`return_capital`], [`record_revenue`] and [`record_loss`] — the only
//!   way the share price can fall, and it emits [`Event::VaultLoss`].
//!
//! Invariants ([`check_invariants`]): the vault account's sAID balance = Σ shares locked in
//! pending requests; the share price never falls except on a recorded loss (property tests in
//! `tests.rs` drive random operation sequences and compare prices exactly).

pub mod math;
#[cfg(test)]
pub(crate) mod tests;
mod view;

pub use view::{VaultPosition, VaultView, position, view};

use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, State, Store};
use crate::tokens;
use math::Totals;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use verity_primitives::math::{checked_add, checked_sub};
use verity_primitives::{Address, Hash, Timestamp, TokenId, amount_str};

/// Key of the vault's configuration and accounting record.
const STATE_KEY: &[u8] = &[keys::VAULT, 0x00];
/// Sub-prefix of per-owner pending exit requests: `VAULT ‖ 0x01 ‖ owner`.
const REQ: u8 = 0x01;
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
        };
        r.finish()?;
        Ok(s)
    }
}

/// A pending exit request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitRequest {
    /// Request id (vault-wide counter).
    pub id: u64,
    /// Shares locked.
    #[serde(with = "amount_str")]
    pub shares: u128,
    /// Assets they were worth at request time (the most the claim pays).
    #[serde(with = "amount_str")]
    pub assets: u128,
    /// Claimable when the block time is ≥ this.
    pub ready_at: Timestamp,
}

fn encode_requests(v: &[ExitRequest]) -> Vec<u8> {
    let mut o = Vec::with_capacity(4 + 48 * v.len());
    let n = u32::try_from(v.len()).expect("bounded by MAX_PENDING_REQUESTS");
    o.extend_from_slice(&n.to_be_bytes());
    for r in v {
        o.extend_from_slice(&r.id.to_be_bytes());
        o.extend_from_slice(&r.shares.to_be_bytes());
        o.extend_from_slice(&r.assets.to_be_bytes());
        o.extend_from_slice(&r.ready_at.0.to_be_bytes());
    }
    o
}

fn decode_requests(v: &[u8]) -> Result<Vec<ExitRequest>, LedgerError> {
    let mut r = Reader::new(v, "vault requests");
    let n = r.u32()?;
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(ExitRequest {
            id: r.u64()?,
            shares: r.u128()?,
            assets: r.u128()?,
            ready_at: Timestamp(r.u64()?),
        });
    }
    r.finish()?;
    Ok(out)
}

fn req_key(owner: &Address) -> [u8; 22] {
    let mut k = [0u8; 22];
    k[0] = keys::VAULT;
    k[1] = REQ;
    k[2..].copy_from_slice(&owner.0);
    k
}

/// Pending exit requests of `owner`, oldest first.
pub fn requests(s: &impl Store, owner: &Address) -> Result<Vec<ExitRequest>, LedgerError> {
    match s.get(&req_key(owner)) {
        Some(v) => decode_requests(v),
        None => Ok(Vec::new()),
    }
}

fn put_requests(ex: &mut Exec<'_>, owner: &Address, v: &[ExitRequest]) {
    ex.put(&req_key(owner), (!v.is_empty()).then(|| encode_requests(v)));
}

/// The vault record, or an error when the chain has no vault.
pub fn vault_state(s: &impl Store) -> Result<VaultState, LedgerError> {
    match s.get(STATE_KEY) {
        Some(v) => VaultState::decode(v),
        None => Err(LedgerError::NotConfigured("vault")),
    }
}

fn put_state(ex: &mut Exec<'_>, st: &VaultState) {
    ex.put(STATE_KEY, Some(st.encode()));
}

/// Idle AID held by the vault account.
fn idle(s: &impl Store, st: &VaultState) -> Result<u128, LedgerError> {
    tokens::balance(s, &vault_account(), st.asset)
}

/// The totals every conversion uses: total assets = idle + deployed + accrued; supply = the
/// share token's supply (locked request shares included).
pub fn totals(s: &impl Store) -> Result<Totals, LedgerError> {
    let st = vault_state(s)?;
    totals_of(s, &st)
}

fn totals_of(s: &impl Store, st: &VaultState) -> Result<Totals, LedgerError> {
    let assets = checked_add(checked_add(idle(s, st)?, st.deployed)?, st.accrued)?;
    let supply = tokens::token_info(s, st.share)?.supply;
    Ok(Totals {
        assets,
        supply,
        offset: st.offset,
    })
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
        },
    );
    Ok(())
}

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
    let st = vault_state(ex)?;
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
        ex.emit(Event::VaultExitClaimed {
            owner: *sender,
            id: r.id,
            shares: r.shares,
            assets: pay,
        });
    }
    put_requests(ex, sender, &waiting);
    Ok(())
}

/// Move `amount` idle AID to `to` as deployed capital (issue 6: financing GPU assets). Total
/// assets are unchanged (idle falls, deployed rises).
pub fn deploy_capital(ex: &mut Exec<'_>, to: &Address, amount: u128) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let mut st = vault_state(ex)?;
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
    for (k, v) in state.scan(keys::VAULT) {
        if k.len() == 22 && k[1] == REQ {
            let reqs = decode_requests(v)?;
            if reqs.is_empty() || reqs.len() > MAX_PENDING_REQUESTS {
                return Err(LedgerError::Invariant(format!(
                    "vault: {} requests stored for one owner",
                    reqs.len()
                )));
            }
            for r in reqs {
                locked = checked_add(locked, r.shares)?;
            }
        }
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
