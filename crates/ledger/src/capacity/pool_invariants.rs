//! The capacity AMM's invariants: the pool account holds exactly the recorded reserves, and LP
//! shares add up to `total_lp − MINIMUM_LIQUIDITY`; plus the pool listing they scan.

use super::pool::{MINIMUM_LIQUIDITY, Pool, pool_account};
use crate::error::LedgerError;
use crate::state::State;
use crate::tokens;
use std::collections::BTreeMap;
use verity_primitives::TokenId;
use verity_primitives::math;

/// Every pool, in token order.
pub fn pools(s: &State) -> Result<Vec<Pool>, LedgerError> {
    let mut out = Vec::new();
    for (k, v) in s.scan(super::PREFIX) {
        if k.len() == 6 && k[1] == b'p' {
            out.push(
                serde_json::from_slice(v)
                    .map_err(|e| LedgerError::Corrupt(format!("capacity pool: {e}")))?,
            );
        }
    }
    Ok(out)
}

/// The pool account holds exactly the reserves; LP shares add up to `total_lp − MINIMUM_LIQUIDITY`.
pub(crate) fn check_invariants(s: &State) -> Result<(), LedgerError> {
    let bad = |m: String| Err(LedgerError::Invariant(format!("capacity pool: {m}")));
    let acct = pool_account();
    let mut quote: BTreeMap<TokenId, u128> = BTreeMap::new();
    let mut lps: BTreeMap<TokenId, u128> = BTreeMap::new();
    for (k, v) in s.scan(super::PREFIX) {
        if k.len() == 26 && k[1] == b'q' {
            let t = TokenId(u32::from_be_bytes([k[2], k[3], k[4], k[5]]));
            let e = lps.entry(t).or_insert(0);
            *e = math::checked_add(*e, crate::state::keys::decode_u128(v, "LP shares")?)?;
        }
    }
    for p in pools(s)? {
        let have = tokens::balance(s, &acct, p.token)?;
        if have != p.reserve_capacity {
            return bad(format!(
                "holds {have} of token {} but records {}",
                p.token, p.reserve_capacity
            ));
        }
        let e = quote.entry(p.quote).or_insert(0);
        *e = math::checked_add(*e, p.reserve_quote)?;
        let sum = lps.remove(&p.token).unwrap_or(0);
        if math::checked_add(sum, MINIMUM_LIQUIDITY)? != p.total_lp {
            return bad(format!(
                "LP shares of {} add up to {sum}, total {}",
                p.token, p.total_lp
            ));
        }
    }
    if let Some((t, _)) = lps.into_iter().next() {
        return bad(format!("LP shares of token {t} without a pool"));
    }
    for (t, want) in quote {
        let have = tokens::balance(s, &acct, t)?;
        if have != want {
            return bad(format!(
                "holds {have} of token {t} but the reserves sum to {want}"
            ));
        }
    }
    Ok(())
}
