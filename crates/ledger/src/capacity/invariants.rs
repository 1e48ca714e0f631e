//! The capacity module's invariants (see the module doc of [`super`]): per slot, backings add
//! up to the slot's totals, supply stays within minted − redeemed (0 once expired), each live
//! backing locks exactly its formula, and each provider's lock is the sum of its backings'.

use super::{PREFIX, pool, slots, stake_for};
use crate::error::LedgerError;
use crate::state::State;
use crate::tokens;
use std::collections::BTreeMap;
use verity_primitives::Address;
use verity_primitives::math;

/// The invariants in the module doc.
pub(crate) fn check_invariants(s: &State) -> Result<(), LedgerError> {
    let bad = |m: String| Err(LedgerError::Invariant(format!("capacity: {m}")));
    let mut locks: BTreeMap<Address, u128> = BTreeMap::new();
    for sl in slots(s)? {
        let (mut m, mut r) = (0u128, 0u128);
        for b in &sl.backings {
            m = math::checked_add(m, b.minted)?;
            r = math::checked_add(r, b.redeemed)?;
            if b.redeemed > b.minted {
                return bad(format!(
                    "{} redeemed more than it minted in {}",
                    b.provider, sl.symbol
                ));
            }
            let want = if sl.expired {
                0
            } else {
                stake_for(s, b.minted)?
            };
            if b.locked != want {
                return bad(format!(
                    "{} locks {} in {}, expected {want}",
                    b.provider, b.locked, sl.symbol
                ));
            }
            let e = locks.entry(b.provider).or_insert(0);
            *e = math::checked_add(*e, b.locked)?;
        }
        let rs = sl
            .redemptions
            .iter()
            .try_fold(0u128, |acc, x| math::checked_add(acc, x.amount))?;
        if m != sl.minted || r != sl.redeemed || rs != sl.redeemed {
            return bad(format!("{} totals do not match its backings", sl.symbol));
        }
        let supply = tokens::token_info(s, sl.token)?.supply;
        let cap = if sl.expired {
            0
        } else {
            sl.minted - sl.redeemed
        };
        if supply > cap {
            return bad(format!("{} supply {supply} above {cap}", sl.symbol));
        }
    }
    for (k, v) in s.scan(PREFIX) {
        if k.len() == 22 && k[1] == b'l' {
            let mut a = [0u8; 20];
            a.copy_from_slice(&k[2..]);
            let a = Address(a);
            let have = crate::state::keys::decode_u128(v, "capacity locked stake")?;
            let want = locks.remove(&a).unwrap_or(0);
            if have != want {
                return bad(format!("{a} has {have} locked, its backings lock {want}"));
            }
        }
    }
    if let Some((a, l)) = locks.into_iter().find(|(_, l)| *l > 0) {
        return bad(format!("{a}'s backings lock {l} but no lock is recorded"));
    }
    pool::check_invariants(s)
}
