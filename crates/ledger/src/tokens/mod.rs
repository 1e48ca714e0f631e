//! The `tokens` module: the token registry (symbol, decimals, supply, cap, mint authority) and
//! balances; transfer, mint (mint authority only, up to the cap) and burn (anyone, from their
//! own balance). Invariant: for every token, Σ balances = supply ≤ cap.

use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, State, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use verity_primitives::{Address, TokenId, amount_str, math};

/// A registered token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Ticker, e.g. `VTY`.
    pub symbol: String,
    /// Decimal places of one whole unit.
    pub decimals: u8,
    /// Total supply in base units (= Σ balances).
    #[serde(with = "amount_str")]
    pub supply: u128,
    /// Maximum supply in base units (`u128::MAX` = uncapped).
    #[serde(with = "amount_str")]
    pub cap: u128,
    /// Who may mint (`None`: nobody, fixed supply).
    pub mint_authority: Option<Address>,
}

impl TokenInfo {
    /// Fixed layout: decimals u8 ‖ supply u128 ‖ cap u128 ‖ has_authority u8 ‖ [authority] ‖ symbol.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.push(self.decimals);
        out.extend_from_slice(&self.supply.to_be_bytes());
        out.extend_from_slice(&self.cap.to_be_bytes());
        match self.mint_authority {
            Some(a) => {
                out.push(1);
                out.extend_from_slice(&a.0);
            }
            None => out.push(0),
        }
        keys::put_string(&mut out, &self.symbol);
        out
    }

    /// Inverse of [`TokenInfo::encode`].
    pub fn decode(v: &[u8]) -> Result<TokenInfo, LedgerError> {
        let mut r = Reader::new(v, "token");
        let decimals = r.u8()?;
        let supply = r.u128()?;
        let cap = r.u128()?;
        let mint_authority = match r.u8()? {
            0 => None,
            1 => Some(r.address()?),
            _ => return Err(LedgerError::Corrupt("token authority flag".into())),
        };
        let symbol = r.string()?;
        r.finish()?;
        Ok(TokenInfo {
            symbol,
            decimals,
            supply,
            cap,
            mint_authority,
        })
    }
}

/// Balance of `a` in token `t`.
pub fn balance(s: &impl Store, a: &Address, t: TokenId) -> Result<u128, LedgerError> {
    match s.get(&keys::balance_key(a, t)) {
        Some(v) => keys::decode_u128(v, "balance"),
        None => Ok(0),
    }
}

fn set_balance(ex: &mut Exec<'_>, a: &Address, t: TokenId, v: u128) {
    let k = keys::balance_key(a, t);
    ex.put(&k, (v != 0).then(|| v.to_be_bytes().to_vec()));
}

/// Registry entry of `t`.
pub fn token_info(s: &impl Store, t: TokenId) -> Result<TokenInfo, LedgerError> {
    match s.get(&keys::token_key(t)) {
        Some(v) => TokenInfo::decode(v),
        None => Err(LedgerError::UnknownToken(t)),
    }
}

pub(crate) fn set_token_info(ex: &mut Exec<'_>, t: TokenId, info: &TokenInfo) {
    ex.put(&keys::token_key(t), Some(info.encode()));
}

fn require_token(s: &impl Store, t: TokenId) -> Result<(), LedgerError> {
    if s.get(&keys::token_key(t)).is_some() {
        Ok(())
    } else {
        Err(LedgerError::UnknownToken(t))
    }
}

/// Move `amount` of `t` from `from` to `to` without emitting an event (module use).
pub(crate) fn move_balance(
    ex: &mut Exec<'_>,
    from: &Address,
    to: &Address,
    t: TokenId,
    amount: u128,
) -> Result<(), LedgerError> {
    require_token(ex, t)?;
    let have = balance(ex, from, t)?;
    if have < amount {
        return Err(LedgerError::InsufficientBalance {
            token: t,
            have,
            need: amount,
        });
    }
    set_balance(ex, from, t, have - amount);
    let to_bal = balance(ex, to, t)?;
    set_balance(ex, to, t, math::checked_add(to_bal, amount)?);
    Ok(())
}

/// Transfer handler: move `amount` (> 0) and emit [`Event::Transfer`].
pub(crate) fn transfer(
    ex: &mut Exec<'_>,
    from: &Address,
    to: &Address,
    t: TokenId,
    amount: u128,
) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    move_balance(ex, from, to, t, amount)?;
    ex.emit(Event::Transfer {
        token: t,
        from: *from,
        to: *to,
        amount,
    });
    Ok(())
}

/// Create `amount` of `t` for `to` (no authority check: the caller decides who may).
pub(crate) fn mint_unchecked(
    ex: &mut Exec<'_>,
    t: TokenId,
    to: &Address,
    amount: u128,
) -> Result<(), LedgerError> {
    let mut info = token_info(ex, t)?;
    let supply = math::checked_add(info.supply, amount)?;
    if supply > info.cap {
        return Err(LedgerError::CapExceeded {
            token: t,
            supply: info.supply,
            amount,
            cap: info.cap,
        });
    }
    info.supply = supply;
    set_token_info(ex, t, &info);
    let b = balance(ex, to, t)?;
    set_balance(ex, to, t, math::checked_add(b, amount)?);
    Ok(())
}

/// Mint handler: only the token's mint authority; emits [`Event::Mint`].
pub(crate) fn mint(
    ex: &mut Exec<'_>,
    sender: &Address,
    t: TokenId,
    to: &Address,
    amount: u128,
) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    let info = token_info(ex, t)?;
    if info.mint_authority != Some(*sender) {
        return Err(LedgerError::NotMintAuthority {
            token: t,
            sender: *sender,
        });
    }
    mint_unchecked(ex, t, to, amount)?;
    ex.emit(Event::Mint {
        token: t,
        to: *to,
        amount,
    });
    Ok(())
}

/// Destroy `amount` of `t` held by `from` (no event; module use, e.g. slashing).
pub(crate) fn burn_from(
    ex: &mut Exec<'_>,
    from: &Address,
    t: TokenId,
    amount: u128,
) -> Result<(), LedgerError> {
    let mut info = token_info(ex, t)?;
    let have = balance(ex, from, t)?;
    if have < amount {
        return Err(LedgerError::InsufficientBalance {
            token: t,
            have,
            need: amount,
        });
    }
    set_balance(ex, from, t, have - amount);
    info.supply = math::checked_sub(info.supply, amount)?;
    set_token_info(ex, t, &info);
    Ok(())
}

/// Burn handler: anyone may burn their own balance; emits [`Event::Burn`].
pub(crate) fn burn(
    ex: &mut Exec<'_>,
    sender: &Address,
    t: TokenId,
    amount: u128,
) -> Result<(), LedgerError> {
    if amount == 0 {
        return Err(LedgerError::ZeroAmount);
    }
    burn_from(ex, sender, t, amount)?;
    ex.emit(Event::Burn {
        token: t,
        from: *sender,
        amount,
    });
    Ok(())
}

/// Σ balances = supply ≤ cap for every token; every balance belongs to a registered token.
pub(crate) fn check_invariants(state: &State) -> Result<(), LedgerError> {
    let mut sums: BTreeMap<TokenId, u128> = BTreeMap::new();
    for (k, v) in state.scan(keys::BALANCE) {
        let (_, t) = keys::parse_balance_key(k)
            .ok_or_else(|| LedgerError::Corrupt("malformed balance key".into()))?;
        let b = keys::decode_u128(v, "balance")?;
        if b == 0 {
            return Err(LedgerError::Invariant("a zero balance is stored".into()));
        }
        let e = sums.entry(t).or_insert(0);
        *e = math::checked_add(*e, b)?;
    }
    let tokens = state.tokens();
    for t in sums.keys() {
        if !tokens.iter().any(|(id, _)| id == t) {
            return Err(LedgerError::Invariant(format!(
                "balance of unregistered token {t}"
            )));
        }
    }
    for (t, info) in tokens {
        let sum = sums.get(&t).copied().unwrap_or(0);
        if sum != info.supply {
            return Err(LedgerError::Invariant(format!(
                "token {} ({t}): Σ balances {sum} != supply {}",
                info.symbol, info.supply
            )));
        }
        if info.supply > info.cap {
            return Err(LedgerError::Invariant(format!(
                "token {}: supply {} > cap {}",
                info.symbol, info.supply, info.cap
            )));
        }
    }
    Ok(())
}
