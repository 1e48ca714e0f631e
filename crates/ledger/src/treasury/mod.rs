//! The `treasury` module: TBILL, a tokenized T-bill fund share. Its NAV per share starts at
//! 1.00 (1e18 fixed point) and accrues with **daily compounding** from the oracle's annual
//! yield feed ([`accrual`], Ondo USDY's method): price accretion, never rebasing.
//!
//! - `Subscribe {asset, amount}` (asset ∈ the fund's accepted assets, e.g. USDC or AID):
//!   the asset moves into the treasury module account and
//!   `shares = value18(amount) × 1e18 / NAV` are minted (rounded down), where
//!   `value18` converts the asset's decimals to 18 exactly (`× 10^(18 − decimals)`).
//! - `Redeem {shares, asset}`: burns the shares and pays `shares × NAV / 1e18` (rounded down)
//!   converted back to the asset's decimals (rounded down) from the module account's holdings
//!   of that asset; more than it holds fails cleanly ([`LedgerError::InsufficientHoldings`]).
//! - `AccrueNav` (anyone): accrues NAV for every whole day elapsed since the last accrual.
//!   Subscribe and Redeem accrue first, lazily. No minimum amount (but an amount that converts
//!   to zero shares or zero payout is refused, so nobody pays for nothing).
//!
//! **Accrual.** `days = ⌊(now − last_accrual) / 1 day⌋`; `NAV ← accrual::accrue(NAV, yield,
//! days)`; `last_accrual += days × 1 day` (the part of a day carries over). The yield used for
//! all elapsed days is the feed's median at accrual time, so a keeper calling `AccrueNav` daily
//! makes it exactly per-day. Every treasury action needs a fresh yield feed: with a stale feed
//! it fails with "stale oracle" (the fund never prices with an outdated yield). Yields are
//! ≥ 0 by type, so NAV never falls.
//!
//! The fund's holdings are what subscribers paid in (the real-world T-bills behind the share
//! are off-ledger in this model); TBILL's mint authority is the treasury module account.
//! State: the fund record under `0x21 ‖ "fund"`.

pub mod accrual;
pub mod tbill;

use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, State, Store};
use crate::tokens;
use accrual::{DAY_MS, WAD};
use serde::{Deserialize, Serialize};
use verity_primitives::math::{self, Rounding, mul_div};
use verity_primitives::{Address, Hash, Timestamp, TokenId, amount_str};

/// The account holding the fund's assets (no key exists for it): the last 20 bytes of
/// keccak256("verity/module/treasury").
pub fn treasury_account() -> Address {
    module_address("verity/module/treasury")
}

pub(crate) fn module_address(name: &str) -> Address {
    let h = Hash::keccak(name.as_bytes());
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.0[12..]);
    Address(a)
}

/// The fund record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fund {
    /// The share token (TBILL).
    pub share_token: TokenId,
    /// Assets accepted for subscription and redemption, in id order.
    pub assets: Vec<TokenId>,
    /// NAV per share, 1e18 fixed point (1.00 = 1e18).
    #[serde(with = "amount_str")]
    pub nav: u128,
    /// Time up to which NAV has accrued (advances by whole days).
    pub last_accrual: Timestamp,
    /// The oracle feed giving the annual yield.
    pub yield_feed: String,
}

impl Fund {
    /// Layout: share u32 ‖ nav u128 ‖ last u64 ‖ n u32 ‖ n × asset u32 ‖ yield_feed.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&self.share_token.0.to_be_bytes());
        out.extend_from_slice(&self.nav.to_be_bytes());
        out.extend_from_slice(&self.last_accrual.0.to_be_bytes());
        let n = u32::try_from(self.assets.len()).expect("a handful of assets");
        out.extend_from_slice(&n.to_be_bytes());
        for a in &self.assets {
            out.extend_from_slice(&a.0.to_be_bytes());
        }
        keys::put_string(&mut out, &self.yield_feed);
        out
    }

    /// Inverse of [`Fund::encode`].
    pub fn decode(v: &[u8]) -> Result<Fund, LedgerError> {
        let mut r = Reader::new(v, "treasury fund");
        let share_token = TokenId(r.u32()?);
        let nav = r.u128()?;
        let last_accrual = Timestamp(r.u64()?);
        let n = r.u32()?;
        let mut assets = Vec::new();
        for _ in 0..n {
            assets.push(TokenId(r.u32()?));
        }
        let yield_feed = r.string()?;
        r.finish()?;
        Ok(Fund {
            share_token,
            assets,
            nav,
            last_accrual,
            yield_feed,
        })
    }
}

/// The fund record (error if the chain has no treasury).
pub fn fund(s: &impl Store) -> Result<Fund, LedgerError> {
    match s.get(keys::TREASURY_FUND) {
        Some(v) => Fund::decode(v),
        None => Err(LedgerError::ModuleDisabled("treasury")),
    }
}

fn put_fund(ex: &mut Exec<'_>, f: &Fund) {
    ex.put(keys::TREASURY_FUND, Some(f.encode()));
}

/// `amount` of a token with `decimals` in 18-decimal value units (exact).
pub(crate) fn to_value18(amount: u128, decimals: u8) -> Result<u128, LedgerError> {
    if decimals > 18 {
        return Err(LedgerError::Genesis(format!(
            "tokens with {decimals} decimals (> 18) cannot be valued"
        )));
    }
    Ok(math::checked_mul(
        amount,
        10u128.pow(u32::from(18 - decimals)),
    )?)
}

/// 18-decimal `value` in base units of a token with `decimals` (rounded down).
pub(crate) fn from_value18(value: u128, decimals: u8) -> Result<u128, LedgerError> {
    if decimals > 18 {
        return Err(LedgerError::Genesis(format!(
            "tokens with {decimals} decimals (> 18) cannot be valued"
        )));
    }
    Ok(value / 10u128.pow(u32::from(18 - decimals)))
}

/// Accrue NAV up to the block time (reads the yield feed; fails if it is stale) and return
/// the fund with the new NAV. Emits [`Event::NavAccrued`] when at least one day accrued.
pub(crate) fn accrue(ex: &mut Exec<'_>) -> Result<Fund, LedgerError> {
    let mut f = fund(ex)?;
    let apy = crate::oracle::read(ex, &f.yield_feed, ex.now)?;
    let elapsed = ex.now.0.saturating_sub(f.last_accrual.0);
    let days = elapsed / DAY_MS;
    if days > 0 {
        let nav = accrual::accrue(f.nav, apy, days).map_err(|_| LedgerError::YieldOutOfRange {
            feed: f.yield_feed.clone(),
            value: apy,
        })?;
        f.nav = nav;
        f.last_accrual = Timestamp(f.last_accrual.0 + days * DAY_MS);
        put_fund(ex, &f);
        ex.emit(Event::NavAccrued {
            nav,
            days,
            annual_yield: apy,
        });
    }
    Ok(f)
}

/// `AccrueNav` handler (anyone).
pub(crate) fn accrue_nav(ex: &mut Exec<'_>, _sender: &Address) -> Result<(), LedgerError> {
    accrue(ex).map(|_| ())
}

fn require_asset(f: &Fund, asset: TokenId) -> Result<(), LedgerError> {
    if f.assets.contains(&asset) {
        Ok(())
    } else {
        Err(LedgerError::UnsupportedAsset {
            module: "treasury",
            token: asset,
        })
    }
}

/// Shares minted for `value18` at `nav` (rounded down).
pub fn shares_for_value(value18: u128, nav: u128) -> Result<u128, LedgerError> {
    Ok(mul_div(value18, WAD, nav, Rounding::Down)?)
}

/// 18-decimal value of `shares` at `nav` (rounded down).
pub fn value_of_shares(shares: u128, nav: u128) -> Result<u128, LedgerError> {
    Ok(mul_div(shares, nav, WAD, Rounding::Down)?)
}

/// `Subscribe` handler.
pub(crate) fn subscribe(
    ex: &mut Exec<'_>,
    sender: &Address,
    asset: TokenId,
    amount: u128,
) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let f = accrue(ex)?;
    require_asset(&f, asset)?;
    let info = tokens::token_info(ex, asset)?;
    let value = to_value18(amount, info.decimals)?;
    let shares = shares_for_value(value, f.nav)?;
    if shares == 0 {
        return Err(LedgerError::AmountTooSmall);
    }
    tokens::move_balance(ex, sender, &treasury_account(), asset, amount)?;
    tokens::mint_unchecked(ex, f.share_token, sender, shares)?;
    ex.emit(Event::TbillSubscribed {
        account: *sender,
        asset,
        amount,
        shares,
        nav: f.nav,
    });
    Ok(())
}

/// `Redeem` handler.
pub(crate) fn redeem(
    ex: &mut Exec<'_>,
    sender: &Address,
    shares: u128,
    asset: TokenId,
) -> Result<(), LedgerError> {
    if shares == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let f = accrue(ex)?;
    require_asset(&f, asset)?;
    let info = tokens::token_info(ex, asset)?;
    let value = value_of_shares(shares, f.nav)?;
    let amount = from_value18(value, info.decimals)?;
    if amount == 0 {
        return Err(LedgerError::AmountTooSmall);
    }
    let held = tokens::balance(ex, &treasury_account(), asset)?;
    if held < amount {
        return Err(LedgerError::InsufficientHoldings {
            token: asset,
            held,
            need: amount,
        });
    }
    tokens::burn_from(ex, sender, f.share_token, shares)?;
    tokens::move_balance(ex, &treasury_account(), sender, asset, amount)?;
    ex.emit(Event::TbillRedeemed {
        account: *sender,
        asset,
        shares,
        amount,
        nav: f.nav,
    });
    Ok(())
}

/// One holding of the fund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    /// Token.
    pub token: TokenId,
    /// Its symbol.
    pub symbol: String,
    /// Base units held by the treasury module account.
    #[serde(with = "amount_str")]
    pub amount: u128,
}

/// What `GET /v1/tbill` shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TbillView {
    /// The fund record (stored NAV and last accrual).
    pub fund: Fund,
    /// NAV as of the state's time including days not yet accrued on the ledger (equals what
    /// the next treasury action would use); the stored NAV when the yield feed is stale.
    #[serde(with = "amount_str")]
    pub nav_now: u128,
    /// The yield feed's median (1e18 fixed point), `None` when stale.
    #[serde(default, with = "opt_u128")]
    pub annual_yield: Option<u128>,
    /// True when the yield feed is stale (treasury actions fail until a fresh report).
    pub stale: bool,
    /// TBILL supply.
    #[serde(with = "amount_str")]
    pub supply: u128,
    /// Holdings of the accepted assets.
    pub holdings: Vec<Holding>,
    /// The treasury module account.
    pub account: Address,
}

mod opt_u128 {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &Option<u128>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => s.serialize_some(&x.to_string()),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u128>, D::Error> {
        let o: Option<String> = Option::deserialize(d)?;
        o.map(|t| t.parse::<u128>().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// The fund as the API shows it (at the state's time).
pub fn view(state: &State) -> Result<TbillView, LedgerError> {
    let f = fund(state)?;
    let now = state.time();
    let apy = crate::oracle::read(state, &f.yield_feed, now).ok();
    let days = now.0.saturating_sub(f.last_accrual.0) / DAY_MS;
    let nav_now = match apy {
        Some(y) => accrual::accrue(f.nav, y, days).unwrap_or(f.nav),
        None => f.nav,
    };
    let supply = tokens::token_info(state, f.share_token)?.supply;
    let account = treasury_account();
    let holdings = f
        .assets
        .iter()
        .map(|t| Holding {
            token: *t,
            symbol: state.token(*t).map(|i| i.symbol).unwrap_or_default(),
            amount: state.balance(account, *t),
        })
        .collect();
    Ok(TbillView {
        fund: f,
        nav_now,
        annual_yield: apy,
        stale: apy.is_none(),
        supply,
        holdings,
        account,
    })
}

/// Genesis definition of the fund (`[treasury]` in the genesis TOML).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisTreasury {
    /// Symbol of the share token; its mint authority must be [`treasury_account`].
    pub share_token: String,
    /// Symbols of the accepted assets (≤ 18 decimals each).
    pub assets: Vec<String>,
    /// Name of the annual-yield oracle feed (must be defined in `[oracle]`).
    #[serde(default = "default_feed")]
    pub yield_feed: String,
}

fn default_feed() -> String {
    crate::oracle::TBILL_YIELD.to_string()
}

/// Write the fund record at genesis (NAV 1.00, last accrual = genesis time).
pub(crate) fn apply_genesis(
    ex: &mut Exec<'_>,
    g: &GenesisTreasury,
    ids: &std::collections::BTreeMap<String, TokenId>,
) -> Result<(), LedgerError> {
    let id = |s: &str| {
        ids.get(s).copied().ok_or_else(|| {
            LedgerError::Genesis(format!("treasury: token {s:?} is not a defined token"))
        })
    };
    let share_token = id(&g.share_token)?;
    let info = tokens::token_info(ex, share_token)?;
    if info.mint_authority != Some(treasury_account()) {
        return Err(LedgerError::Genesis(format!(
            "treasury: token {} must have mint_authority = {} (the treasury module account)",
            g.share_token,
            treasury_account()
        )));
    }
    let mut assets = Vec::new();
    for a in &g.assets {
        let t = id(a)?;
        if t == share_token || assets.contains(&t) {
            return Err(LedgerError::Genesis(format!(
                "treasury: asset {a} is the share token or listed twice"
            )));
        }
        if tokens::token_info(ex, t)?.decimals > 18 {
            return Err(LedgerError::Genesis(format!(
                "treasury: asset {a} has more than 18 decimals"
            )));
        }
        assets.push(t);
    }
    assets.sort();
    crate::oracle::feed(ex, &g.yield_feed).map_err(|_| {
        LedgerError::Genesis(format!(
            "treasury: yield feed {} is not defined in [oracle]",
            g.yield_feed
        ))
    })?;
    let f = Fund {
        share_token,
        assets,
        nav: WAD,
        last_accrual: ex.now,
        yield_feed: g.yield_feed.clone(),
    };
    put_fund(ex, &f);
    Ok(())
}

/// The devnet's TBILL token (18 decimals, uncapped, minted only by the treasury module).
pub fn dev_token() -> crate::genesis::GenesisToken {
    crate::genesis::GenesisToken {
        symbol: "TBILL".into(),
        decimals: 18,
        cap: u128::MAX,
        mint_authority: Some(treasury_account()),
    }
}

/// The devnet's fund: TBILL bought with USDC or AID, yield from `TBILL_YIELD`.
pub fn dev_genesis() -> GenesisTreasury {
    GenesisTreasury {
        share_token: "TBILL".into(),
        assets: vec!["USDC".into(), "AID".into()],
        yield_feed: default_feed(),
    }
}

/// Invariant: NAV ≥ 1.00 (it starts there and never falls).
pub(crate) fn check_invariants(state: &State) -> Result<(), LedgerError> {
    if let Ok(f) = fund(state)
        && f.nav < WAD
    {
        return Err(LedgerError::Invariant(format!(
            "treasury NAV {} fell below 1.00",
            f.nav
        )));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;
