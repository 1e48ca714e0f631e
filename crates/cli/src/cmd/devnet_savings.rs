//! The savings side of `verity devnet` (issue 5): the dev genesis plus an auto-savings policy
//! for each provider agent's account (`provider-1`, `provider-2` and the cheater, dev accounts
//! #2–#4), so what they earn on the marketplace is routed into TBILL at settlement: half of
//! every payment, at most 3% slippage, no batch minimum
//! ([`verity_ledger::savings::dev_policy`]). The genesis pools (VTY/AID, AID/USDC, USDC/TBILL)
//! give the route, and the genesis `TBILL_YIELD` report of the `oracle` dev key makes the NAV
//! accrue with block time.
//!
//! The policies are part of the genesis only when the agents run (`--agents all`, also what
//! `--write-genesis` writes); with `--agents none` the dev accounts are plain, as scripts and
//! tests driving those accounts themselves expect. The genesis therefore differs between the
//! two modes: reuse a data dir only with the same `--agents`.
//!
//! Declared inside `devnet.rs` (`#[path]`), so it reads that command's account numbers.

use verity_ledger::{Address, Genesis};

/// The dev genesis for `addresses`; with `agents`, plus the provider agents' savings policies.
pub fn dev_genesis(addresses: &[Address], agents: bool) -> Genesis {
    let mut g = Genesis::dev(addresses);
    if !agents {
        return g;
    }
    for i in [super::PROVIDER_1, super::PROVIDER_2, super::CHEATER] {
        if let Some(a) = addresses.get(i as usize) {
            g.savings.push(verity_ledger::savings::dev_policy(*a));
        }
    }
    g
}
