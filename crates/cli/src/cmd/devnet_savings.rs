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

/// The dev genesis for `addresses` plus the `ENERGY` feed of the `energy` dev key (issue 6);
/// with `agents`, plus the provider agents' savings policies.
pub fn dev_genesis(addresses: &[Address], agents: bool) -> Genesis {
    let mut g = Genesis::dev(addresses);
    // issue 6: the `energy` dev key may attest energy (in both modes).
    g.oracle.push(verity_ledger::green::dev_energy_feed());
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

/// How often the devnet's `oracle` dev key re-posts the T-bill yield.
pub const YIELD_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The devnet's T-bill yield at report `k`: 4.50% a year with a small fixed wiggle
/// (4.50%, 4.52%, 4.50%, 4.48%, …), in the oracle's 1e18 fixed point — a demo feed, not data.
pub fn devnet_yield(k: u64) -> u128 {
    const BASE: u128 = 45_000_000_000_000_000; // 4.50%
    const BP: u128 = 100_000_000_000_000; // 0.01%
    match k % 4 {
        1 => BASE + 2 * BP,
        3 => BASE - 2 * BP,
        _ => BASE,
    }
}

/// The devnet's yield reporter (issue 5 item 12): every [`YIELD_EVERY`] the `oracle` dev key
/// posts `TBILL_YIELD` ([`devnet_yield`]) and then accrues the NAV, so the feed stays fresh and
/// the NAV visibly moves while the devnet runs. A failed send is printed and retried next time.
pub fn yield_reporter(url: &str, json: bool, stop: &std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use verity_ledger::Payload;
    let out = super::Printer::new(json, Some("oracle"));
    let link =
        verity_agent::chain::Link::new(url, verity_ledger::genesis::dev_secret_named("oracle"));
    let mut k = 0u64;
    while super::nap(YIELD_EVERY, stop) {
        let value = devnet_yield(k);
        k += 1;
        let report = Payload::ReportPrice {
            feed: verity_ledger::oracle::TBILL_YIELD.to_string(),
            value,
        };
        let sent = link
            .send("ReportPrice", report)
            .and_then(|_| link.send("AccrueNav", Payload::AccrueNav));
        let pct = format!(
            "{}.{:02}%",
            value / 10_000_000_000_000_000,
            (value / 100_000_000_000_000) % 100
        );
        let line = match (&sent, json) {
            (Ok(_), true) => serde_json::json!({"agent": "oracle", "event": "YieldReported",
                "feed": verity_ledger::oracle::TBILL_YIELD, "value": value.to_string(), "pct": pct})
            .to_string(),
            (Ok(_), false) => format!("[oracle] T-bill yield {pct} reported, NAV accrued"),
            (Err(e), true) => serde_json::json!({"agent": "oracle", "event": "Warning",
                "message": format!("yield report failed: {e}")})
            .to_string(),
            (Err(e), false) => {
                format!("[oracle] yield report failed (retrying in {YIELD_EVERY:?}): {e}")
            }
        };
        out.print_line(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::devnet_yield;

    #[test]
    fn the_devnet_yield_wiggles_around_four_and_a_half_percent() {
        let got: Vec<u128> = (0..5).map(devnet_yield).collect();
        let pct = |bp: u128| bp * 100_000_000_000_000;
        assert_eq!(got, vec![pct(450), pct(452), pct(450), pct(448), pct(450)]);
    }
}
