//! Auto-savings: a per-account policy ([`SetSavingsPolicy`](crate::Payload::SetSavingsPolicy):
//! target token, share of each incoming payment to convert in bps, max slippage in bps, minimum
//! batch) and [`apply_auto_savings`], which the market settlement calls when it pays a
//! provider.
//!
//! **What happens to a payment of `amount` of `token`:** `share = ⌊amount × share_bps /
//! 10 000⌋` is added to the account's waiting dust for that token; if the total is below
//! `min_batch` it waits ([`Event::SavingsSkipped`] `below_min_batch`). Otherwise the router
//! quotes selling it (capped at the account's balance) for the target. The slippage bound is
//! computed from the quote: the quote's output must be ≥ `⌈ideal × (10 000 − max_slippage_bps)
//! / 10 000⌉`, where `ideal` is each route's amount at the pools' current marginal prices after
//! the pool fee (no price impact). On success the swap is executed with that bound as the
//! minimum output ([`Event::SavingsConverted`]) and the dust is cleared. When there is no route
//! or the bound fails, nothing is converted: the payment stays in the received token, the
//! amount waits as dust for the next payment, and [`Event::SavingsSkipped`] says why
//! (`no_route: …` or `slippage: …`).
//!
//! Dust is bookkeeping only: the tokens never leave the account until converted.

#[cfg(test)]
mod tests;

use crate::amm;
use crate::error::LedgerError;
use crate::receipt::Event;
use crate::router;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, State, Store};
use crate::tokens;
use serde::{Deserialize, Serialize};
use verity_primitives::math::{Rounding, checked_add, mul_div};
use verity_primitives::{Address, TokenId, amount_str};

/// Most distinct tokens with waiting dust per account.
pub const MAX_DUST_TOKENS: usize = 16;

/// An account's policy and its waiting dust.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavingsPolicy {
    /// Token to save into.
    pub target: TokenId,
    /// Share of each payment to convert, bps.
    pub share_bps: u32,
    /// Most slippage below the ideal output, bps.
    pub max_slippage_bps: u32,
    /// Convert only once this much is pending.
    #[serde(with = "amount_str")]
    pub min_batch: u128,
    /// Waiting amounts per received token.
    pub dust: Vec<Dust>,
}

/// An amount waiting for the batch minimum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dust {
    /// Received token.
    pub token: TokenId,
    /// Base units waiting.
    #[serde(with = "amount_str")]
    pub amount: u128,
}

impl SavingsPolicy {
    fn encode(&self) -> Vec<u8> {
        let mut o = Vec::with_capacity(32 + 20 * self.dust.len());
        o.extend_from_slice(&self.target.0.to_be_bytes());
        o.extend_from_slice(&self.share_bps.to_be_bytes());
        o.extend_from_slice(&self.max_slippage_bps.to_be_bytes());
        o.extend_from_slice(&self.min_batch.to_be_bytes());
        let n = u32::try_from(self.dust.len()).expect("bounded by MAX_DUST_TOKENS");
        o.extend_from_slice(&n.to_be_bytes());
        for d in &self.dust {
            o.extend_from_slice(&d.token.0.to_be_bytes());
            o.extend_from_slice(&d.amount.to_be_bytes());
        }
        o
    }
    fn decode(v: &[u8]) -> Result<SavingsPolicy, LedgerError> {
        let mut r = Reader::new(v, "savings policy");
        let mut p = SavingsPolicy {
            target: TokenId(r.u32()?),
            share_bps: r.u32()?,
            max_slippage_bps: r.u32()?,
            min_batch: r.u128()?,
            dust: Vec::new(),
        };
        for _ in 0..r.u32()? {
            p.dust.push(Dust {
                token: TokenId(r.u32()?),
                amount: r.u128()?,
            });
        }
        r.finish()?;
        Ok(p)
    }

    /// Dust waiting in `token`.
    pub fn dust_of(&self, token: TokenId) -> u128 {
        self.dust
            .iter()
            .find(|d| d.token == token)
            .map_or(0, |d| d.amount)
    }

    fn set_dust(&mut self, token: TokenId, amount: u128) -> Result<(), LedgerError> {
        self.dust.retain(|d| d.token != token);
        if amount > 0 {
            if self.dust.len() >= MAX_DUST_TOKENS {
                return Err(LedgerError::Savings(format!(
                    "dust is already waiting in {MAX_DUST_TOKENS} tokens"
                )));
            }
            self.dust.push(Dust { token, amount });
            self.dust.sort_by_key(|d| d.token);
        }
        Ok(())
    }
}

fn key(a: &Address) -> [u8; 21] {
    keys::addr_key(keys::SAVINGS, a)
}

/// The policy of `a`, if any.
pub fn policy(s: &impl Store, a: &Address) -> Result<Option<SavingsPolicy>, LedgerError> {
    s.get(&key(a)).map(SavingsPolicy::decode).transpose()
}

fn put_policy(ex: &mut Exec<'_>, a: &Address, p: Option<&SavingsPolicy>) {
    ex.put(&key(a), p.map(SavingsPolicy::encode));
}

/// `SetSavingsPolicy` handler: `share_bps` 0 removes the policy (and forgets the dust).
pub(crate) fn set_policy(
    ex: &mut Exec<'_>,
    sender: &Address,
    target: TokenId,
    share_bps: u32,
    max_slippage_bps: u32,
    min_batch: u128,
) -> Result<(), LedgerError> {
    tokens::token_info(ex, target)?;
    if share_bps > 10_000 {
        return Err(LedgerError::Savings(format!(
            "share_bps {share_bps} > 10000"
        )));
    }
    if max_slippage_bps > 10_000 {
        return Err(LedgerError::Savings(format!(
            "max_slippage_bps {max_slippage_bps} > 10000"
        )));
    }
    if share_bps == 0 {
        put_policy(ex, sender, None);
    } else {
        let dust = policy(ex, sender)?.map(|p| p.dust).unwrap_or_default();
        put_policy(
            ex,
            sender,
            Some(&SavingsPolicy {
                target,
                share_bps,
                max_slippage_bps,
                min_batch,
                dust,
            }),
        );
    }
    ex.emit(Event::SavingsPolicySet {
        account: *sender,
        target,
        share_bps,
        max_slippage_bps,
        min_batch,
    });
    Ok(())
}

/// Output of the quote's routes at the pools' current marginal prices after fees (no price
/// impact): per hop `a × reserve_out × (10 000 − fee) / (reserve_in × 10 000)`, rounded down.
pub fn ideal_output(s: &impl Store, q: &router::Quote) -> Result<u128, LedgerError> {
    let mut total = 0u128;
    for r in &q.routes {
        let mut a = r.amount_in;
        for (i, pid) in r.pools.iter().enumerate() {
            let p = amm::pool(s, *pid)?;
            let (ri, ro) = p.reserves_for(r.path[i]).ok_or_else(|| {
                LedgerError::Invariant("a quoted route names a pool without its token".into())
            })?;
            let fee_keep = 10_000u128 - u128::from(p.fee_bps);
            let num = mul_div(a, ro, ri, Rounding::Down)?;
            a = mul_div(num, fee_keep, 10_000, Rounding::Down)?;
        }
        total = checked_add(total, a)?;
    }
    Ok(total)
}

/// Apply `account`'s policy to a payment of `amount_received` of `token` that has just been
/// credited to it (see the module docs). Never fails for want of a route or liquidity — that is
/// reported by an event and the payment stays as it is; errors only on corrupt state.
pub fn apply_auto_savings(
    ex: &mut Exec<'_>,
    account: &Address,
    token: TokenId,
    amount_received: u128,
) -> Result<(), LedgerError> {
    let Some(mut p) = policy(ex, account)? else {
        return Ok(());
    };
    if token == p.target || amount_received == 0 {
        return Ok(());
    }
    let share = mul_div(
        amount_received,
        u128::from(p.share_bps),
        10_000,
        Rounding::Down,
    )?;
    let pending = checked_add(p.dust_of(token), share)?;
    if pending == 0 {
        return Ok(());
    }
    let skip = |ex: &mut Exec<'_>, p: &mut SavingsPolicy, reason: String| {
        p.set_dust(token, pending)?;
        put_policy(ex, account, Some(p));
        ex.emit(Event::SavingsSkipped {
            account: *account,
            token,
            amount: pending,
            reason,
        });
        Ok(())
    };
    if pending < p.min_batch {
        return skip(ex, &mut p, "below_min_batch".into());
    }
    let amount_in = pending.min(tokens::balance(ex, account, token)?);
    if amount_in == 0 {
        return skip(ex, &mut p, "no_balance".into());
    }
    let q = match router::quote(ex, token, p.target, amount_in) {
        Ok(q) => q,
        Err(e) => return skip(ex, &mut p, format!("no_route: {e}")),
    };
    let ideal = ideal_output(ex, &q)?;
    let min_out = mul_div(
        ideal,
        u128::from(10_000 - p.max_slippage_bps.min(10_000)),
        10_000,
        Rounding::Up,
    )?;
    if q.total_out < min_out {
        let why = format!(
            "slippage: quote {} is below {min_out} ({} bps under the ideal {ideal})",
            q.total_out, p.max_slippage_bps
        );
        return skip(ex, &mut p, why);
    }
    // The quote above was taken on this very state, so execution gives exactly `total_out`
    // and cannot fail the bound; balances were checked.
    let done = router::execute_routed(ex, account, token, p.target, amount_in, min_out)?;
    p.set_dust(token, 0)?;
    put_policy(ex, account, Some(&p));
    ex.emit(Event::SavingsConverted {
        account: *account,
        from: token,
        to: p.target,
        amount_in: done.amount_in_used(),
        amount_out: done.total_out,
    });
    Ok(())
}

/// `GET /v1/savings/{address}`: the policy (if any).
pub fn view(s: &State, a: Address) -> Result<Option<SavingsPolicy>, LedgerError> {
    policy(s, &a)
}

/// One auto-savings policy set at genesis (TOML `[[savings]]`), as if the account had sent
/// `SetSavingsPolicy` in the first block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisPolicy {
    /// The account.
    pub address: Address,
    /// Symbol of the token to save into (e.g. `TBILL`).
    pub target: String,
    /// Share of each incoming payment to convert, bps (1–10 000).
    pub share_bps: u32,
    /// Most slippage below the ideal output, bps (default 100 = 1%).
    #[serde(default = "default_slippage")]
    pub max_slippage_bps: u32,
    /// Convert only once this much is pending (base units of the received token; default 0).
    #[serde(default, with = "amount_str")]
    pub min_batch: u128,
}

fn default_slippage() -> u32 {
    100
}

/// Store the genesis policies (ids: symbol → token id). An account may appear once.
pub(crate) fn init_genesis(
    ex: &mut Exec<'_>,
    policies: &[GenesisPolicy],
    ids: &std::collections::BTreeMap<String, TokenId>,
) -> Result<(), LedgerError> {
    let mut seen = std::collections::BTreeSet::new();
    for g in policies {
        let err = |m: String| LedgerError::Genesis(format!("savings policy of {}: {m}", g.address));
        if !seen.insert(g.address) {
            return Err(err("the account appears twice".into()));
        }
        let target = *ids
            .get(&g.target)
            .ok_or_else(|| err(format!("target {:?} is not a defined token", g.target)))?;
        if g.share_bps == 0 || g.share_bps > 10_000 {
            return Err(err(format!(
                "share_bps {} must be in 1..=10000",
                g.share_bps
            )));
        }
        if g.max_slippage_bps > 10_000 {
            return Err(err(format!(
                "max_slippage_bps {} > 10000",
                g.max_slippage_bps
            )));
        }
        put_policy(
            ex,
            &g.address,
            Some(&SavingsPolicy {
                target,
                share_bps: g.share_bps,
                max_slippage_bps: g.max_slippage_bps,
                min_batch: g.min_batch,
                dust: Vec::new(),
            }),
        );
    }
    Ok(())
}

/// The devnet providers' policy: half of every payment into TBILL, at most 3% slippage, no
/// batch minimum (`verity devnet` gives it to its provider agents' accounts).
pub fn dev_policy(address: Address) -> GenesisPolicy {
    GenesisPolicy {
        address,
        target: "TBILL".into(),
        share_bps: 5_000,
        max_slippage_bps: 300,
        min_batch: 0,
    }
}
