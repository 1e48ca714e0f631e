//! HTTP handler of the report routes (issue 8): `GET /v1/report/savings/{address}`.
//!
//! The ledger keeps only current state, so a history is rebuilt by **replaying** the stored
//! chain: the stored genesis, then every stored block through `apply_block` on a scratch state
//! (each block's state root is checked against the stored header, so a replay that diverged is
//! an error, never a wrong chart). The position is sampled after the last block of every day.
//! Payments come from `JobSettled` events to the address (in the job's token), conversions from
//! its `SavingsConverted` events; prices from the state at the day's end (see
//! [`verity_api::report::TokenPrice`]). Cost: one replay of the chain per request, off the
//! async runtime and without the core's lock — fine for a devnet or a report, not for a hot
//! path (a long-lived node would cache the samples; not done).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use verity_api::report::{
    SAVINGS_REPORT, SavingsDay, SavingsHistoryResponse, TokenAmount, TokenPrice,
};
use verity_ledger::treasury::accrual::{DAY_MS, WAD};
use verity_ledger::{BlockInput, Event, State as LedgerState, amm, market, treasury};
use verity_primitives::math::{Rounding, mul_div};
use verity_primitives::{Address, TokenId};
use verity_store::Store;

use super::{ApiErr, ApiResult, parse_address};
use crate::run::Shared;

/// Add the routes to the router.
pub(super) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    r.route(SAVINGS_REPORT, get(get_savings_report))
}

async fn get_savings_report(
    State(shared): State<Arc<Shared>>,
    Path(address): Path<String>,
) -> ApiResult<SavingsHistoryResponse> {
    let a = parse_address(&address)?;
    let store = shared.store.clone();
    let out = tokio::task::spawn_blocking(move || savings_history(&store, a))
        .await
        .map_err(ApiErr::internal)?;
    Ok(axum::Json(out.map_err(ApiErr::internal)?))
}

#[derive(Default)]
struct Sums {
    received: BTreeMap<TokenId, u128>,
    converted_in: BTreeMap<TokenId, u128>,
    converted_out: BTreeMap<TokenId, u128>,
}

fn add(m: &mut BTreeMap<TokenId, u128>, t: TokenId, x: u128) {
    let e = m.entry(t).or_insert(0);
    *e = e.saturating_add(x);
}

/// USD per whole token, 1e18 fixed point (0 when unpriced).
fn usd_price(s: &LedgerState, t: TokenId) -> u128 {
    let Some(info) = s.token(t) else { return 0 };
    if matches!(info.symbol.as_str(), "USDC" | "USDT" | "AID") {
        return WAD;
    }
    if let Ok(f) = treasury::fund(s)
        && f.share_token == t
    {
        return treasury::view(s).map_or(f.nav, |v| v.nav_now);
    }
    for quote in ["AID", "USDC"] {
        let Some((q, qi)) = s.token_by_symbol(quote) else {
            continue;
        };
        let Ok(Some(id)) = amm::pool_for(s, t, q) else {
            continue;
        };
        let Ok(p) = amm::pool(s, id) else { continue };
        let (rt, rq) = if p.token0 == t {
            (p.reserve0, p.reserve1)
        } else {
            (p.reserve1, p.reserve0)
        };
        let scale = |d: u8| 10u128.checked_pow(u32::from(d));
        let (Some(st), Some(sq)) = (scale(info.decimals), scale(qi.decimals)) else {
            continue;
        };
        if rt == 0 {
            continue;
        }
        if let Ok(p) =
            mul_div(rq, WAD, rt, Rounding::Down).and_then(|x| mul_div(x, st, sq, Rounding::Down))
        {
            return p;
        }
    }
    0
}

fn sample(s: &LedgerState, day: u64, sums: &Sums) -> SavingsDay {
    let list = |m: &BTreeMap<TokenId, u128>| -> Vec<TokenAmount> {
        m.iter()
            .map(|(t, a)| {
                let info = s.token(*t);
                TokenAmount {
                    symbol: info.as_ref().map(|i| i.symbol.clone()).unwrap_or_default(),
                    decimals: info.map_or(0, |i| i.decimals),
                    amount: *a,
                }
            })
            .collect()
    };
    let tokens: BTreeSet<TokenId> = sums
        .received
        .keys()
        .chain(sums.converted_out.keys())
        .copied()
        .collect();
    SavingsDay {
        day,
        time: s.time(),
        received: list(&sums.received),
        converted_in: list(&sums.converted_in),
        converted_out: list(&sums.converted_out),
        prices: tokens
            .into_iter()
            .map(|t| TokenPrice {
                symbol: s.token(t).map(|i| i.symbol).unwrap_or_default(),
                usd: usd_price(s, t),
            })
            .collect(),
    }
}

/// Replay the stored chain and sample `addr`'s savings after each day's last block.
pub(crate) fn savings_history(
    store: &Store,
    addr: Address,
) -> Result<SavingsHistoryResponse, String> {
    let g = store
        .stored_genesis()
        .map_err(|e| e.to_string())?
        .ok_or("the store holds no genesis")?;
    let head = store
        .head()
        .map_err(|e| e.to_string())?
        .map_or(0, |h| h.height);
    let mut state = LedgerState::from_genesis(&g).map_err(|e| e.to_string())?;
    let t0 = g.genesis_time.0;
    let mut sums = Sums::default();
    let mut days = Vec::new();
    let mut current: Option<u64> = None;
    for h in 1..=head {
        let b = store
            .block(h)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("block {h} is missing from the store"))?;
        let day = b.header.timestamp.0.saturating_sub(t0) / DAY_MS;
        if let Some(d) = current
            && d != day
        {
            days.push(sample(&state, d, &sums));
        }
        current = Some(day);
        let input = BlockInput {
            height: b.header.height,
            timestamp: b.header.timestamp,
            parent_hash: b.header.parent_hash,
            txs: b.txs,
        };
        let out = verity_ledger::apply_block(&mut state, &input)
            .map_err(|e| format!("replaying block {h}: {e}"))?;
        if out.header.state_root != b.header.state_root {
            return Err(format!(
                "replaying block {h} gave state root {} but the store has {}",
                out.header.state_root, b.header.state_root
            ));
        }
        for r in &out.receipts {
            for e in &r.events {
                match e {
                    Event::JobSettled {
                        job,
                        provider,
                        paid,
                        ..
                    } if *provider == addr => {
                        if let Ok(Some(j)) = market::job(&state, *job) {
                            add(&mut sums.received, j.terms.token, *paid);
                        }
                    }
                    Event::SavingsConverted {
                        account,
                        from,
                        to,
                        amount_in,
                        amount_out,
                    } if *account == addr => {
                        add(&mut sums.converted_in, *from, *amount_in);
                        add(&mut sums.converted_out, *to, *amount_out);
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some(d) = current {
        days.push(sample(&state, d, &sums));
    }
    Ok(SavingsHistoryResponse {
        address: addr,
        height: head,
        days,
    })
}
