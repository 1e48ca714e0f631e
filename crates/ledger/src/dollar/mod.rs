//! The `dollar` module: AID, a synthetic dollar (18 decimals) minted 1:1 against accepted
//! collateral held in the dollar module account, with proof of reserves ([`por`]).
//!
//! - **Valuation** (in AID base units): a *stable* collateral (USDC, USDT: 6 decimals) at par,
//!   `amount × 10^(18 − decimals)` exactly; *TBILL* at the treasury NAV,
//!   `shares × NAV / 1e18` rounded down (NAV accrued first, so a stale yield feed fails).
//! - `MintAid {collateral, amount}`: `amount` of collateral moves in; `value − fee` AID is
//!   minted to the sender and `fee = ⌈value × mint_fee_bps / 10⁴⌉` AID to the protocol fee
//!   account (rounded up: favours the protocol). The mint is refused if reserve value would be
//!   below AID supply afterwards ([`LedgerError::ReserveShortfall`]).
//! - `RedeemAid {amount, collateral}`: `fee = ⌈amount × redeem_fee_bps / 10⁴⌉` AID goes to the
//!   fee account, `amount − fee` AID is burned and that value is paid at par in the collateral
//!   (rounded down: stable `net / 10^(18 − decimals)`, TBILL `net × 1e18 / NAV`). More than the
//!   reserve holds fails cleanly.
//! - `SnapshotReserves` (anyone, at most once per `por_min_interval_ms`): starts a new epoch and
//!   stores a [`por::PorSnapshot`] of the **committed state at the end of the previous block**
//!   (all AID holders in address order, reserves per collateral) plus the latest snapshot's
//!   leaves, from which `GET /v1/aid/proof/{address}` builds inclusion proofs.
//!
//! **Invariant** (checked by `State::check_invariants`): reserve value ≥ AID supply.
//! State: `0x22 ‖ "cfg"` config, `0x22 ‖ "epoch"` latest epoch, `0x22 ‖ "por" ‖ epoch u64`
//! snapshots, `0x22 ‖ "leaves"` the latest snapshot's leaves.

pub mod por;

use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, State, Store};
use crate::tokens;
use crate::treasury::{self, from_value18, to_value18};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use verity_primitives::math::{self, Rounding, mul_div};
use verity_primitives::{Address, Timestamp, TokenId, amount_str};

/// The account holding AID's reserves: last 20 bytes of keccak256("verity/module/dollar").
pub fn dollar_account() -> Address {
    treasury::module_address("verity/module/dollar")
}

/// The default protocol fee account: last 20 bytes of keccak256("verity/module/fees").
pub fn default_fee_account() -> Address {
    treasury::module_address("verity/module/fees")
}

/// Most collaterals.
pub const MAX_COLLATERALS: usize = 16;
/// Basis-point denominator.
pub const BPS: u128 = 10_000;

/// How a collateral is valued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CollateralKind {
    /// A dollar stablecoin at par (decimal conversion only).
    Stable,
    /// The treasury's fund share, at NAV.
    Tbill,
}

/// The dollar module's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DollarConfig {
    /// The AID token.
    pub aid: TokenId,
    /// Accepted collaterals in id order.
    pub collaterals: Vec<(TokenId, CollateralKind)>,
    /// Mint fee in basis points (default 0).
    pub mint_fee_bps: u32,
    /// Redeem fee in basis points (default 0).
    pub redeem_fee_bps: u32,
    /// Where fees go.
    pub fee_account: Address,
    /// Least time between two proof-of-reserves snapshots, ms.
    pub por_min_interval_ms: u64,
}

impl DollarConfig {
    /// Layout: aid u32 ‖ mint u32 ‖ redeem u32 ‖ fee(20) ‖ interval u64 ‖ n u32 ‖
    /// n × (token u32 ‖ kind u8).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&self.aid.0.to_be_bytes());
        out.extend_from_slice(&self.mint_fee_bps.to_be_bytes());
        out.extend_from_slice(&self.redeem_fee_bps.to_be_bytes());
        out.extend_from_slice(&self.fee_account.0);
        out.extend_from_slice(&self.por_min_interval_ms.to_be_bytes());
        let n = u32::try_from(self.collaterals.len()).expect("bounded by MAX_COLLATERALS");
        out.extend_from_slice(&n.to_be_bytes());
        for (t, k) in &self.collaterals {
            out.extend_from_slice(&t.0.to_be_bytes());
            out.push(match k {
                CollateralKind::Stable => 0,
                CollateralKind::Tbill => 1,
            });
        }
        out
    }

    /// Inverse of [`DollarConfig::encode`].
    pub fn decode(v: &[u8]) -> Result<DollarConfig, LedgerError> {
        let mut r = Reader::new(v, "dollar config");
        let aid = TokenId(r.u32()?);
        let mint_fee_bps = r.u32()?;
        let redeem_fee_bps = r.u32()?;
        let fee_account = r.address()?;
        let por_min_interval_ms = r.u64()?;
        let n = r.u32()?;
        let mut collaterals = Vec::new();
        for _ in 0..n {
            let t = TokenId(r.u32()?);
            let k = match r.u8()? {
                0 => CollateralKind::Stable,
                1 => CollateralKind::Tbill,
                _ => return Err(LedgerError::Corrupt("collateral kind".into())),
            };
            collaterals.push((t, k));
        }
        r.finish()?;
        Ok(DollarConfig {
            aid,
            collaterals,
            mint_fee_bps,
            redeem_fee_bps,
            fee_account,
            por_min_interval_ms,
        })
    }

    fn kind(&self, t: TokenId) -> Result<CollateralKind, LedgerError> {
        self.collaterals
            .iter()
            .find(|(c, _)| *c == t)
            .map(|(_, k)| *k)
            .ok_or(LedgerError::UnsupportedAsset {
                module: "dollar",
                token: t,
            })
    }
}

/// The config (error if the chain has no dollar module).
pub fn config(s: &impl Store) -> Result<DollarConfig, LedgerError> {
    match s.get(keys::DOLLAR_CONFIG) {
        Some(v) => DollarConfig::decode(v),
        None => Err(LedgerError::ModuleDisabled("dollar")),
    }
}

/// Value in AID base units of `amount` of collateral `t` of `kind`, with TBILL at `nav`.
fn value_of(
    s: &impl Store,
    t: TokenId,
    kind: CollateralKind,
    amount: u128,
    nav: u128,
) -> Result<u128, LedgerError> {
    match kind {
        CollateralKind::Stable => to_value18(amount, tokens::token_info(s, t)?.decimals),
        CollateralKind::Tbill => treasury::value_of_shares(amount, nav),
    }
}

/// The stored NAV (for valuation without a clock), 1.00 if there is no treasury.
fn stored_nav(s: &impl Store) -> Result<u128, LedgerError> {
    match treasury::fund(s) {
        Ok(f) => Ok(f.nav),
        Err(LedgerError::ModuleDisabled(_)) => Ok(treasury::accrual::WAD),
        Err(e) => Err(e),
    }
}

/// Reserves per collateral and their total value, TBILL at the stored NAV.
pub fn reserves(s: &impl Store) -> Result<(Vec<por::ReserveEntry>, u128), LedgerError> {
    let cfg = config(s)?;
    let nav = stored_nav(s)?;
    let acct = dollar_account();
    let mut out = Vec::new();
    let mut total = 0u128;
    for (t, k) in &cfg.collaterals {
        let amount = tokens::balance(s, &acct, *t)?;
        let value = value_of(s, *t, *k, amount, nav)?;
        total = math::checked_add(total, value)?;
        out.push(por::ReserveEntry {
            token: *t,
            symbol: tokens::token_info(s, *t)?.symbol,
            amount,
            value,
        });
    }
    Ok((out, total))
}

fn fee(amount: u128, bps: u32) -> Result<u128, LedgerError> {
    Ok(mul_div(amount, u128::from(bps), BPS, Rounding::Up)?)
}

/// The NAV to use now: accrued (TBILL collateral) or the stored one.
fn nav_for(ex: &mut Exec<'_>, kind: CollateralKind) -> Result<u128, LedgerError> {
    match kind {
        CollateralKind::Tbill => Ok(treasury::accrue(ex)?.nav),
        CollateralKind::Stable => stored_nav(ex),
    }
}

/// `MintAid` handler.
pub(crate) fn mint(
    ex: &mut Exec<'_>,
    sender: &Address,
    collateral: TokenId,
    amount: u128,
) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let cfg = config(ex)?;
    let kind = cfg.kind(collateral)?;
    let nav = nav_for(ex, kind)?;
    let value = value_of(ex, collateral, kind, amount, nav)?;
    let fee = fee(value, cfg.mint_fee_bps)?;
    let out = math::checked_sub(value, fee)?;
    if out == 0 {
        return Err(LedgerError::AmountTooSmall);
    }
    tokens::move_balance(ex, sender, &dollar_account(), collateral, amount)?;
    tokens::mint_unchecked(ex, cfg.aid, sender, out)?;
    if fee > 0 {
        tokens::mint_unchecked(ex, cfg.aid, &cfg.fee_account, fee)?;
    }
    let (_, reserve_value) = reserves(ex)?;
    let supply = tokens::token_info(ex, cfg.aid)?.supply;
    if reserve_value < supply {
        return Err(LedgerError::ReserveShortfall {
            reserve_value,
            supply,
        });
    }
    ex.emit(Event::AidMinted {
        account: *sender,
        collateral,
        collateral_amount: amount,
        aid: out,
        fee,
    });
    Ok(())
}

/// `RedeemAid` handler.
pub(crate) fn redeem(
    ex: &mut Exec<'_>,
    sender: &Address,
    amount: u128,
    collateral: TokenId,
) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let cfg = config(ex)?;
    let kind = cfg.kind(collateral)?;
    let nav = nav_for(ex, kind)?;
    let fee = fee(amount, cfg.redeem_fee_bps)?;
    let net = math::checked_sub(amount, fee)?;
    let payout = match kind {
        CollateralKind::Stable => from_value18(net, tokens::token_info(ex, collateral)?.decimals)?,
        CollateralKind::Tbill => treasury::shares_for_value(net, nav)?,
    };
    if payout == 0 {
        return Err(LedgerError::AmountTooSmall);
    }
    let have = tokens::balance(ex, sender, cfg.aid)?;
    if have < amount {
        return Err(LedgerError::InsufficientBalance {
            token: cfg.aid,
            have,
            need: amount,
        });
    }
    let held = tokens::balance(ex, &dollar_account(), collateral)?;
    if held < payout {
        return Err(LedgerError::InsufficientHoldings {
            token: collateral,
            held,
            need: payout,
        });
    }
    if fee > 0 {
        tokens::move_balance(ex, sender, &cfg.fee_account, cfg.aid, fee)?;
    }
    tokens::burn_from(ex, sender, cfg.aid, net)?;
    tokens::move_balance(ex, &dollar_account(), sender, collateral, payout)?;
    ex.emit(Event::AidRedeemed {
        account: *sender,
        collateral,
        aid: amount,
        fee,
        collateral_amount: payout,
    });
    Ok(())
}

/// The latest epoch (0 = no snapshot yet).
pub fn latest_epoch(s: &impl Store) -> Result<u64, LedgerError> {
    match s.get(keys::DOLLAR_EPOCH) {
        Some(v) => keys::decode_u64(v, "por epoch"),
        None => Ok(0),
    }
}

/// The snapshot of `epoch`.
pub fn snapshot(s: &impl Store, epoch: u64) -> Result<Option<por::PorSnapshot>, LedgerError> {
    match s.get(&keys::dollar_por_key(epoch)) {
        Some(v) => serde_json::from_slice(v)
            .map(Some)
            .map_err(|e| LedgerError::Corrupt(format!("por snapshot: {e}"))),
        None => Ok(None),
    }
}

/// The latest snapshot's leaves (address order).
pub fn latest_leaves(s: &impl Store) -> Result<Vec<(Address, u128)>, LedgerError> {
    let Some(v) = s.get(keys::DOLLAR_LEAVES) else {
        return Ok(Vec::new());
    };
    let mut r = Reader::new(v, "por leaves");
    let n = r.u32()?;
    let mut out = Vec::new();
    for _ in 0..n {
        out.push((r.address()?, r.u128()?));
    }
    r.finish()?;
    Ok(out)
}

/// `SnapshotReserves` handler: a new epoch over the committed state (previous block's end).
pub(crate) fn snapshot_reserves(ex: &mut Exec<'_>, _sender: &Address) -> Result<(), LedgerError> {
    let cfg = config(ex)?;
    let prev_epoch = latest_epoch(ex)?;
    if let Some(prev) = snapshot(ex, prev_epoch)? {
        let next_ok = prev.timestamp.0.saturating_add(cfg.por_min_interval_ms);
        if ex.now.0 < next_ok {
            return Err(LedgerError::SnapshotTooSoon {
                next: Timestamp(next_ok),
            });
        }
        if prev.height == ex.state().height() {
            return Err(LedgerError::SnapshotTooSoon {
                next: Timestamp(next_ok),
            });
        }
    }
    let state = ex.state();
    let mut leaves = Vec::new();
    for (k, v) in state.scan(keys::BALANCE) {
        if let Some((a, t)) = keys::parse_balance_key(k)
            && t == cfg.aid
        {
            leaves.push((a, keys::decode_u128(v, "balance")?));
        }
    }
    let root = por::root(&leaves)?;
    let (reserves, reserve_value) = reserves(state)?;
    let epoch = prev_epoch + 1;
    let snap = por::PorSnapshot {
        epoch,
        height: state.height(),
        timestamp: state.time(),
        root,
        holders: leaves.len() as u64,
        reserves,
        reserve_value,
    };
    let mut enc = Vec::with_capacity(4 + 36 * leaves.len());
    let n = u32::try_from(leaves.len()).map_err(|_| LedgerError::Invariant("holders".into()))?;
    enc.extend_from_slice(&n.to_be_bytes());
    for (a, b) in &leaves {
        enc.extend_from_slice(&a.0);
        enc.extend_from_slice(&b.to_be_bytes());
    }
    ex.put(keys::DOLLAR_LEAVES, Some(enc));
    ex.put(
        &keys::dollar_por_key(epoch),
        Some(serde_json::to_vec(&snap).expect("a snapshot serialises")),
    );
    ex.put(keys::DOLLAR_EPOCH, Some(epoch.to_be_bytes().to_vec()));
    ex.emit(Event::ReservesSnapshot {
        epoch,
        height: snap.height,
        root: snap.root.hash,
        total: snap.root.sum,
        reserve_value,
    });
    Ok(())
}

/// An inclusion proof of `address` in the latest snapshot.
pub fn proof(state: &State, address: &Address) -> Result<por::ReserveProof, LedgerError> {
    let epoch = latest_epoch(state)?;
    let snap = snapshot(state, epoch)?.ok_or(LedgerError::NoSnapshot)?;
    let leaves = latest_leaves(state)?;
    por::prove(&snap, &leaves, address)
}

/// What `GET /v1/aid` shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AidView {
    /// The configuration.
    pub config: DollarConfig,
    /// AID supply.
    #[serde(with = "amount_str")]
    pub supply: u128,
    /// Reserves per collateral (TBILL at the stored NAV).
    pub reserves: Vec<por::ReserveEntry>,
    /// Σ reserve values.
    #[serde(with = "amount_str")]
    pub reserve_value: u128,
    /// The latest proof-of-reserves snapshot, if any.
    pub latest_snapshot: Option<por::PorSnapshot>,
    /// The dollar module account.
    pub account: Address,
}

/// The dollar module as the API shows it.
pub fn view(state: &State) -> Result<AidView, LedgerError> {
    let config = config(state)?;
    let supply = tokens::token_info(state, config.aid)?.supply;
    let (reserves, reserve_value) = reserves(state)?;
    let latest_snapshot = snapshot(state, latest_epoch(state)?)?;
    Ok(AidView {
        config,
        supply,
        reserves,
        reserve_value,
        latest_snapshot,
        account: dollar_account(),
    })
}

/// Genesis definition (`[dollar]` in the genesis TOML).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisDollar {
    /// Symbol of AID; its mint authority must be [`dollar_account`].
    pub token: String,
    /// Symbols of stable collaterals valued at par (≤ 18 decimals).
    pub stable_collaterals: Vec<String>,
    /// Symbol of the treasury share accepted at NAV (optional).
    #[serde(default)]
    pub tbill_collateral: Option<String>,
    /// Mint fee, bps (default 0).
    #[serde(default)]
    pub mint_fee_bps: u32,
    /// Redeem fee, bps (default 0).
    #[serde(default)]
    pub redeem_fee_bps: u32,
    /// Fee account (default [`default_fee_account`]).
    #[serde(default)]
    pub fee_account: Option<Address>,
    /// Least ms between snapshots (default 1 hour).
    #[serde(default = "default_interval")]
    pub por_min_interval_ms: u64,
}

fn default_interval() -> u64 {
    3_600_000
}

/// Write the dollar config at genesis.
pub(crate) fn apply_genesis(
    ex: &mut Exec<'_>,
    g: &GenesisDollar,
    ids: &BTreeMap<String, TokenId>,
) -> Result<(), LedgerError> {
    let id = |s: &str| {
        ids.get(s).copied().ok_or_else(|| {
            LedgerError::Genesis(format!("dollar: token {s:?} is not a defined token"))
        })
    };
    let aid = id(&g.token)?;
    if tokens::token_info(ex, aid)?.mint_authority != Some(dollar_account()) {
        return Err(LedgerError::Genesis(format!(
            "dollar: token {} must have mint_authority = {} (the dollar module account)",
            g.token,
            dollar_account()
        )));
    }
    if g.mint_fee_bps > 10_000 || g.redeem_fee_bps > 10_000 {
        return Err(LedgerError::Genesis("dollar: fees above 10000 bps".into()));
    }
    let mut collaterals = Vec::new();
    for s in &g.stable_collaterals {
        let t = id(s)?;
        if tokens::token_info(ex, t)?.decimals > 18 {
            return Err(LedgerError::Genesis(format!(
                "dollar: collateral {s} has more than 18 decimals"
            )));
        }
        collaterals.push((t, CollateralKind::Stable));
    }
    if let Some(s) = &g.tbill_collateral {
        let t = id(s)?;
        let f = treasury::fund(ex).map_err(|_| {
            LedgerError::Genesis("dollar: tbill_collateral needs a [treasury] section".into())
        })?;
        if f.share_token != t {
            return Err(LedgerError::Genesis(format!(
                "dollar: tbill_collateral {s} is not the treasury's share token"
            )));
        }
        collaterals.push((t, CollateralKind::Tbill));
    }
    collaterals.sort_by_key(|(t, _)| *t);
    if collaterals.windows(2).any(|w| w[0].0 == w[1].0)
        || collaterals.iter().any(|(t, _)| *t == aid)
        || collaterals.len() > MAX_COLLATERALS
    {
        return Err(LedgerError::Genesis(
            "dollar: collaterals must be distinct, not AID itself, at most 16".into(),
        ));
    }
    let cfg = DollarConfig {
        aid,
        collaterals,
        mint_fee_bps: g.mint_fee_bps,
        redeem_fee_bps: g.redeem_fee_bps,
        fee_account: g.fee_account.unwrap_or_else(default_fee_account),
        por_min_interval_ms: g.por_min_interval_ms,
    };
    ex.put(keys::DOLLAR_CONFIG, Some(cfg.encode()));
    Ok(())
}

/// The devnet's AID token (18 decimals, uncapped, minted only by the dollar module).
pub fn dev_token() -> crate::genesis::GenesisToken {
    crate::genesis::GenesisToken {
        symbol: "AID".into(),
        decimals: 18,
        cap: u128::MAX,
        mint_authority: Some(dollar_account()),
    }
}

/// The devnet's AID: USDC and USDT at par, TBILL at NAV, no fees, snapshots hourly.
pub fn dev_genesis() -> GenesisDollar {
    GenesisDollar {
        token: "AID".into(),
        stable_collaterals: vec!["USDC".into(), "USDT".into()],
        tbill_collateral: Some("TBILL".into()),
        mint_fee_bps: 0,
        redeem_fee_bps: 0,
        fee_account: None,
        por_min_interval_ms: default_interval(),
    }
}

/// Invariant: reserve value (TBILL at the stored NAV) ≥ AID supply.
pub(crate) fn check_invariants(state: &State) -> Result<(), LedgerError> {
    let cfg = match config(state) {
        Ok(c) => c,
        Err(LedgerError::ModuleDisabled(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    let supply = tokens::token_info(state, cfg.aid)?.supply;
    let (_, reserve_value) = reserves(state)?;
    if reserve_value < supply {
        return Err(LedgerError::Invariant(format!(
            "AID reserve value {reserve_value} < supply {supply}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
