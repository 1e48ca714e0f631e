//! Every route the node serves, as (method, path template, summary). The server builds its router
//! from the same paths, and the OpenAPI document lists exactly these; tests check both.

/// One route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template in OpenAPI form (`{param}`), which is also axum 0.8's form.
    pub path: &'static str,
    /// One-line description.
    pub summary: &'static str,
}

/// Submit one signed transaction.
pub const SUBMIT_TX: &str = "/v1/tx";
/// Submit many signed transactions in one request.
pub const SUBMIT_TXS: &str = "/v1/txs";
/// A transaction's status and receipt.
pub const TX: &str = "/v1/tx/{hash}";
/// An account.
pub const ACCOUNT: &str = "/v1/accounts/{address}";
/// The token registry.
pub const TOKENS: &str = "/v1/tokens";
/// A block by height or `latest`.
pub const BLOCK: &str = "/v1/blocks/{height}";
/// Node and chain status.
pub const STATUS: &str = "/v1/status";
/// A balance with its state proof.
pub const PROOF: &str = "/v1/proof/{address}/{token}";
/// Server-sent events.
pub const EVENTS: &str = "/v1/events";
/// This API's OpenAPI document.
pub const OPENAPI: &str = "/v1/openapi.json";
/// Prometheus metrics.
pub const METRICS: &str = "/metrics";

/// All routes.
pub const ROUTES: &[Route] = &[
    Route {
        method: "POST",
        path: SUBMIT_TX,
        summary: "Submit one EIP-712 signed transaction to the mempool",
    },
    Route {
        method: "POST",
        path: SUBMIT_TXS,
        summary: "Submit a JSON array of signed transactions; one result per transaction",
    },
    Route {
        method: "GET",
        path: TX,
        summary: "Transaction status; the receipt once its block is durable (404 while pending or unknown; ?wait_ms=N long-polls)",
    },
    Route {
        method: "GET",
        path: ACCOUNT,
        summary: "Account nonce, balances, actor, stake and recent transactions",
    },
    Route {
        method: "GET",
        path: TOKENS,
        summary: "Token registry: symbol, decimals, supply, cap, mint authority",
    },
    Route {
        method: "GET",
        path: BLOCK,
        summary: "Block by height, or `latest`",
    },
    Route {
        method: "GET",
        path: STATUS,
        summary: "Chain id, height, block hash, state root, mempool size",
    },
    Route {
        method: "GET",
        path: PROOF,
        summary: "Balance of a token (symbol or id) with a proof against the latest state root",
    },
    Route {
        method: "GET",
        path: EVENTS,
        summary: "Server-sent events: one `block` per durable block, one `event` per receipt event",
    },
    Route {
        method: "GET",
        path: OPENAPI,
        summary: "This OpenAPI 3 document",
    },
    Route {
        method: "GET",
        path: METRICS,
        summary: "Prometheus text metrics",
    },
    // --- amm + router (issue 5) ---
    Route {
        method: "GET",
        path: crate::markets::POOLS,
        summary: "Every amm pool: tokens, fee, reserves, LP supply, price accumulators",
    },
    Route {
        method: "GET",
        path: crate::markets::POOL,
        summary: "One amm pool",
    },
    Route {
        method: "GET",
        path: crate::markets::QUOTE,
        summary: "Best route/split to sell `amount` of `from` for `to` (router quote)",
    },
    // --- oracle, treasury, dollar (issue 5) ---
    Route {
        method: "GET",
        path: crate::savings::TBILL,
        summary: "TBILL fund: NAV (stored and as of now), annual yield, supply, holdings",
    },
    Route {
        method: "GET",
        path: crate::savings::AID,
        summary: "AID: supply, reserves per collateral, latest proof-of-reserves root and epoch",
    },
    Route {
        method: "GET",
        path: crate::savings::AID_PROOF,
        summary: "Inclusion proof of an AID holder in the latest proof-of-reserves snapshot",
    },
    Route {
        method: "GET",
        path: crate::savings::ORACLE,
        summary: "Oracle feed: reporters, latest reports, median, staleness",
    },
    // --- vault, vesting, governance, savings (issue 5) ---
    Route {
        method: "GET",
        path: crate::economy::VAULT,
        summary: "sAID vault: total assets (idle + deployed + accrued), supply, share price, cooldown",
    },
    Route {
        method: "GET",
        path: crate::economy::VAULT_POSITION,
        summary: "A holder's sAID shares, their value, maxWithdraw/maxRedeem, pending exits",
    },
    Route {
        method: "GET",
        path: crate::economy::VESTING,
        summary: "Vesting schedules of an address with vested and claimable amounts",
    },
    Route {
        method: "GET",
        path: crate::economy::GOV,
        summary: "Governance: config, total ve power, governable parameters, proposals",
    },
    Route {
        method: "GET",
        path: crate::economy::GOV_ACCOUNT,
        summary: "An account's vote-escrow lock and power now",
    },
    Route {
        method: "GET",
        path: crate::economy::SAVINGS,
        summary: "An account's auto-savings policy and waiting dust",
    },
    // --- capacity, capacity AMM, positions (issue 6) ---
    Route {
        method: "GET",
        path: crate::capacity::CAPACITY,
        summary: "GPU-hour capacity slots: backings, redemptions, supply and time-aware pool prices",
    },
    Route {
        method: "GET",
        path: crate::capacity::CAPACITY_SLOT,
        summary: "One capacity slot by token id with its pool",
    },
    Route {
        method: "GET",
        path: crate::capacity::POSITION,
        summary: "The position NFT of an assigned job: who is paid at settlement",
    },
    // --- validators (issue 7) ---
    Route {
        method: "GET",
        path: crate::validators::VALIDATORS,
        summary: "An epoch's validator set (?epoch=E, default the current epoch): address, p2p key, stake, sorted by key",
    },
    Route {
        method: "GET",
        path: crate::validators::P2P_KEY,
        summary: "An account's registered ed25519 p2p key and whether it is in the current validator set",
    },
    // --- reports (issue 8) ---
    Route {
        method: "GET",
        path: crate::report::SAVINGS_REPORT,
        summary: "An account's daily savings history (paid, converted, prices) replayed from the chain",
    },
    // --- dashboard views (issue 8; served by the node's http/overview.rs) ---
    Route {
        method: "GET",
        path: "/v1/network",
        summary: "Head, validators, job and dispute counts, protocol-token burn, fees waiting for buyback",
    },
    Route {
        method: "GET",
        path: "/v1/providers/{address}",
        summary: "A provider: jobs by status, earned, paid, slashed, reputation, TBILL savings, pending payments and why",
    },
    Route {
        method: "GET",
        path: "/v1/dashboard/jobs",
        summary: "Newest jobs as rows (?limit=N, default 20, max 200): status, price, verification, dispute rounds, energy and carbon",
    },
    // --- assets, financing, green (issue 6) ---
    Route {
        method: "GET",
        path: crate::assets::ASSETS,
        summary: "GPU assets, financing deals, attestation parameters, vault capital deployed",
    },
    Route {
        method: "GET",
        path: crate::assets::ASSET,
        summary: "One GPU asset with its attested claims, deals and energy attestation",
    },
    Route {
        method: "GET",
        path: crate::assets::GREEN,
        summary: "Energy attestations and the green compute index (price of a green GPU-hour) per epoch",
    },
    Route {
        method: "GET",
        path: crate::assets::GREEN_JOB,
        summary: "A job's green requirement, energy (mWh) and carbon (SCI, mgCO2e)",
    },
    // --- marketplace (issue 4) ---
    Route {
        method: "PUT",
        path: crate::market::BLOB,
        summary: "Store a blob; the path is the blake3 of the body (400 on mismatch, 413 over the limit)",
    },
    Route {
        method: "GET",
        path: crate::market::BLOB,
        summary: "A stored blob's bytes (404 when absent)",
    },
    Route {
        method: "GET",
        path: crate::market::JOBS,
        summary: "Marketplace jobs, filtered by status/provider/buyer, paginated",
    },
    Route {
        method: "GET",
        path: crate::market::JOB,
        summary: "One job: terms, bids, winner, commit, disputes",
    },
    Route {
        method: "GET",
        path: crate::market::DISPUTES,
        summary: "Disputes, paginated",
    },
    Route {
        method: "GET",
        path: crate::market::DISPUTE,
        summary: "One dispute: phase, range, rounds, deadline, ruling",
    },
];

/// Fill a path template: `fill(TX, &[hash])` → `/v1/tx/0x…`.
pub fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut args = args.iter();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        out.push_str(args.next().copied().unwrap_or_default());
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_params_in_order() {
        assert_eq!(fill(PROOF, &["0xab", "VTY"]), "/v1/proof/0xab/VTY");
        assert_eq!(fill(STATUS, &[]), "/v1/status");
    }

    #[test]
    fn routes_are_unique() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(a.method != b.method || a.path != b.path, "{a:?} twice");
            }
        }
    }
}
