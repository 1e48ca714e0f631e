//! Read views the dashboard (issue 8) needs and no older route gives, each built from the
//! committed ledger state in one lock of the core:
//!
//! - `GET /v1/network`: head, validators, job and dispute counts, and the protocol token's burn
//!   (supply at genesis − supply now, the community treasury and the fee account waiting for a
//!   buyback);
//! - `GET /v1/providers/{address}`: one provider's jobs by status, earned (gross price of its
//!   settled jobs) and paid (price − the market fee at the current `fee_bps`), stake slashed in
//!   lost disputes, reputation, TBILL savings and its USD value at the NAV, and every payment
//!   still pending with the reason it waits;
//! - `GET /v1/dashboard/jobs?limit=N`: the newest jobs as rows: status, price, verification draw,
//!   dispute rounds and ruling, energy and carbon where reported.
//!
//! Amounts are decimal strings of base units (as everywhere in the API), with symbol and decimals
//! beside them so a browser can format them without another request.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use verity_ledger::market::{self, JobStatus, dispute};
use verity_ledger::treasury::accrual::WAD;
use verity_ledger::{LedgerError, State as LedgerState, TokenId, burn, green, staking, treasury};
use verity_primitives::math::{Rounding, mul_div};
use verity_primitives::{Address, Hash};

use super::{ApiErr, ApiResult, parse_address, with_core};
use crate::run::Shared;

/// `GET /v1/network`.
pub(crate) const NETWORK: &str = "/v1/network";
/// `GET /v1/providers/{address}`.
pub(crate) const PROVIDER: &str = "/v1/providers/{address}";
/// `GET /v1/dashboard/jobs?limit=N`.
pub(crate) const JOB_ROWS: &str = "/v1/dashboard/jobs";

/// Largest `limit` of `GET /v1/dashboard/jobs`.
const MAX_ROWS: usize = 200;

/// Add the overview routes.
pub(super) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    r.route(NETWORK, get(get_network))
        .route(PROVIDER, get(get_provider))
        .route(JOB_ROWS, get(get_job_rows))
}

/// An amount of a token, formatted-ready.
#[derive(Clone, Debug, Serialize)]
struct Amount {
    symbol: String,
    decimals: u8,
    amount: String,
}

fn amount(s: &LedgerState, t: TokenId, a: u128) -> Amount {
    let info = s.token(t);
    Amount {
        symbol: info.as_ref().map(|i| i.symbol.clone()).unwrap_or_default(),
        decimals: info.map_or(0, |i| i.decimals),
        amount: a.to_string(),
    }
}

fn internal(e: LedgerError) -> ApiErr {
    ApiErr::internal(e)
}

// ---------- network ----------

#[derive(Serialize)]
struct Burn {
    /// The protocol token.
    token: Amount,
    /// Its supply at genesis.
    genesis_supply: String,
    /// Burned since genesis (buybacks and dispute burns): genesis supply − supply now.
    burned: String,
    /// Community treasury address and its balance of the protocol token.
    treasury: Address,
    treasury_balance: String,
    /// Fees waiting in the fee account for the next buyback, per token.
    fees_waiting: Vec<Amount>,
}

#[derive(Serialize)]
struct Network {
    chain_id: u64,
    height: u64,
    block_hash: Hash,
    state_root: Hash,
    timestamp: u64,
    mempool_size: usize,
    validators: Vec<staking::ValidatorInfo>,
    jobs: u64,
    disputes: usize,
    burn: Option<Burn>,
}

/// Supply of each token at genesis, per genesis hash (a node serves one chain; tests run many).
fn genesis_supply(shared: &Shared, genesis_hash: Hash, t: TokenId) -> Result<u128, ApiErr> {
    static CACHE: OnceLock<Mutex<BTreeMap<(Hash, u32), u128>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(BTreeMap::new()));
    if let Some(v) = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&(genesis_hash, t.0))
    {
        return Ok(*v);
    }
    let g = shared
        .store
        .stored_genesis()
        .map_err(ApiErr::internal)?
        .ok_or_else(|| ApiErr::internal("the store holds no genesis"))?;
    let s0 = LedgerState::from_genesis(&g).map_err(ApiErr::internal)?;
    let v = s0.token(t).map_or(0, |i| i.supply);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert((genesis_hash, t.0), v);
    Ok(v)
}

async fn get_network(State(shared): State<Arc<Shared>>) -> ApiResult<Network> {
    let (mut net, burn_token, genesis_hash) =
        with_core(&shared, |core| -> Result<_, LedgerError> {
            let s = core.state();
            let head = core.head();
            let cfg = burn::config(s).ok();
            let net = Network {
                chain_id: core.chain_id(),
                height: head.height,
                block_hash: head.block_hash,
                state_root: head.state_root,
                timestamp: head.timestamp,
                mempool_size: core.mempool_len(),
                validators: staking::validators(s),
                jobs: market::job_count(s)?,
                disputes: dispute::disputes(s)?.len(),
                burn: None,
            };
            let burn = cfg.map(|c| {
                let supply = s.token(c.token).map_or(0, |i| i.supply);
                let fees = s
                    .account(burn::fee_account())
                    .balances
                    .iter()
                    .filter(|b| b.amount > 0)
                    .map(|b| amount(s, b.token, b.amount))
                    .collect::<Vec<_>>();
                (
                    c.token,
                    amount(s, c.token, supply),
                    c.treasury,
                    s.balance(c.treasury, c.token),
                    fees,
                )
            });
            Ok((net, burn, core.genesis_hash()))
        })
        .await?
        .map_err(internal)?;
    if let Some((t, supply, treasury, treasury_balance, fees)) = burn_token {
        let s = shared.clone();
        let g = tokio::task::spawn_blocking(move || genesis_supply(&s, genesis_hash, t))
            .await
            .map_err(ApiErr::internal)??;
        let now: u128 = supply.amount.parse().unwrap_or(0);
        net.burn = Some(Burn {
            genesis_supply: g.to_string(),
            burned: g.saturating_sub(now).to_string(),
            token: supply,
            treasury,
            treasury_balance: treasury_balance.to_string(),
            fees_waiting: fees,
        });
    }
    Ok(axum::Json(net))
}

// ---------- provider ----------

#[derive(Serialize, Default)]
struct JobCounts {
    won: u64,
    running: u64,
    committed: u64,
    disputed: u64,
    settled: u64,
    slashed: u64,
    expired: u64,
}

#[derive(Serialize)]
struct Pending {
    job: u64,
    status: JobStatus,
    amount: Amount,
    reason: String,
}

#[derive(Serialize)]
struct Savings {
    /// TBILL held.
    balance: Amount,
    /// NAV now, USD per TBILL, 1e18 fixed point.
    nav: String,
    /// Value of the balance in USD, 1e18 fixed point.
    value_usd: String,
    /// The auto-savings policy: target symbol and share converted, bps.
    policy_target: Option<String>,
    policy_share_bps: Option<u32>,
}

#[derive(Serialize)]
struct Provider {
    address: Address,
    height: u64,
    time: u64,
    actor: Option<String>,
    reputation: i64,
    bonded: Amount,
    locked: Amount,
    jobs: JobCounts,
    earned: Vec<Amount>,
    paid: Vec<Amount>,
    slashed: Amount,
    disputes_lost: u64,
    savings: Option<Savings>,
    pending: Vec<Pending>,
}

fn pending_reason(s: &LedgerState, j: &market::Job) -> String {
    let now = s.time().0;
    match j.status {
        JobStatus::Assigned => format!(
            "running: the provider must commit within {} s",
            j.deadline.0.saturating_sub(now) / 1000
        ),
        JobStatus::Committed => match market::challenge_end(j) {
            Some(end) if end.0 > now => format!(
                "challenge window open for {} s more{}",
                (end.0 - now).div_ceil(1000),
                match &j.selection {
                    Some(sel) if sel.checked => format!(
                        "; spot-checked by {} verifier(s), {} attested",
                        sel.verifiers.len(),
                        sel.attested.len()
                    ),
                    _ => String::new(),
                }
            ),
            _ => "challenge window closed: waiting for a Settle transaction".into(),
        },
        JobStatus::Disputed => {
            let d = j
                .disputes
                .last()
                .and_then(|id| dispute::dispute(s, *id).ok().flatten());
            match d {
                Some(d) => format!(
                    "disputed: game {} in phase {:?} after {} round(s); paid only if the provider wins",
                    d.id, d.phase, d.rounds
                ),
                None => "disputed".into(),
            }
        }
        _ => String::new(),
    }
}

fn provider_view(s: &LedgerState, a: Address) -> Result<Provider, LedgerError> {
    let fee_bps = market::params(s)?.fee_bps;
    let staking_token = s.params().staking_token;
    let mut counts = JobCounts::default();
    let mut earned: BTreeMap<TokenId, u128> = BTreeMap::new();
    let mut paid: BTreeMap<TokenId, u128> = BTreeMap::new();
    let mut pending = Vec::new();
    for j in market::jobs(s)? {
        if j.provider != Some(a) {
            continue;
        }
        counts.won += 1;
        match j.status {
            JobStatus::Assigned => counts.running += 1,
            JobStatus::Committed => counts.committed += 1,
            JobStatus::Disputed => counts.disputed += 1,
            JobStatus::Settled => {
                counts.settled += 1;
                let fee = mul_div(j.price, u128::from(fee_bps), 10_000, Rounding::Up)?;
                let e = earned.entry(j.terms.token).or_insert(0);
                *e = e.saturating_add(j.price);
                let p = paid.entry(j.terms.token).or_insert(0);
                *p = p.saturating_add(j.price.saturating_sub(fee));
            }
            JobStatus::Slashed => counts.slashed += 1,
            JobStatus::Expired => counts.expired += 1,
            JobStatus::Open | JobStatus::Cancelled => {}
        }
        if matches!(
            j.status,
            JobStatus::Assigned | JobStatus::Committed | JobStatus::Disputed
        ) {
            pending.push(Pending {
                job: j.id,
                status: j.status,
                amount: amount(s, j.terms.token, j.price),
                reason: pending_reason(s, &j),
            });
        }
    }
    let mut slashed = 0u128;
    let mut lost = 0u64;
    for d in dispute::disputes(s)? {
        if d.provider == a
            && let Some(o) = &d.outcome
            && o.winner == dispute::Winner::Challenger
        {
            slashed = slashed.saturating_add(o.slashed);
            lost += 1;
        }
    }
    let savings = match treasury::view(s) {
        Ok(v) => {
            let bal = s.balance(a, v.fund.share_token);
            let policy = verity_ledger::savings::view(s, a).ok().flatten();
            Some(Savings {
                balance: amount(s, v.fund.share_token, bal),
                nav: v.nav_now.to_string(),
                value_usd: mul_div(bal, v.nav_now, WAD, Rounding::Down)?.to_string(),
                policy_target: policy
                    .as_ref()
                    .and_then(|p| s.token(p.target).map(|i| i.symbol)),
                policy_share_bps: policy.map(|p| p.share_bps),
            })
        }
        Err(_) => None,
    };
    let list = |m: BTreeMap<TokenId, u128>| m.into_iter().map(|(t, x)| amount(s, t, x)).collect();
    Ok(Provider {
        address: a,
        height: s.height(),
        time: s.time().0,
        actor: s.actor(a).map(|x| format!("{:?}", x.kind).to_lowercase()),
        reputation: market::reputation(s, &a)?,
        bonded: amount(s, staking_token, s.stake(a).bonded),
        locked: amount(s, staking_token, market::locked(s, &a)?),
        jobs: counts,
        earned: list(earned),
        paid: list(paid),
        slashed: amount(s, staking_token, slashed),
        disputes_lost: lost,
        savings,
        pending,
    })
}

async fn get_provider(
    State(shared): State<Arc<Shared>>,
    Path(address): Path<String>,
) -> ApiResult<Provider> {
    let a = parse_address(&address)?;
    let v = with_core(&shared, move |core| provider_view(core.state(), a)).await?;
    Ok(axum::Json(v.map_err(internal)?))
}

// ---------- job rows ----------

#[derive(Deserialize)]
struct RowsQuery {
    limit: Option<usize>,
}

#[derive(Serialize)]
struct DisputeRow {
    id: u64,
    phase: dispute::Phase,
    rounds: u32,
    winner: Option<dispute::Winner>,
    reason: Option<String>,
}

#[derive(Serialize)]
struct GreenRow {
    required_green_bps: u32,
    green_bps: Option<u32>,
    energy_mwh: Option<String>,
    sci_mg: Option<String>,
}

#[derive(Serialize)]
struct JobRow {
    id: u64,
    status: JobStatus,
    buyer: Address,
    provider: Option<Address>,
    price: Amount,
    max_price: Amount,
    bids: usize,
    steps: Option<u64>,
    /// Verification: drawn for a spot check, verifiers drawn, verifiers that attested.
    checked: Option<bool>,
    verifiers: usize,
    attested: usize,
    disputes: Vec<DisputeRow>,
    green: Option<GreenRow>,
}

#[derive(Serialize)]
struct JobRows {
    height: u64,
    total: u64,
    jobs: Vec<JobRow>,
}

fn job_rows(s: &LedgerState, limit: usize) -> Result<JobRows, LedgerError> {
    let jobs = market::jobs(s)?;
    let total = jobs.len() as u64;
    let mut rows = Vec::new();
    for j in jobs.into_iter().rev().take(limit) {
        let disputes = j
            .disputes
            .iter()
            .filter_map(|id| dispute::dispute(s, *id).ok().flatten())
            .map(|d| DisputeRow {
                id: d.id,
                phase: d.phase,
                rounds: d.rounds,
                winner: d.outcome.as_ref().map(|o| o.winner),
                reason: d.outcome.map(|o| o.reason),
            })
            .collect();
        let green = green::view::job_view(s, j.id)
            .ok()
            .flatten()
            .map(|g| GreenRow {
                required_green_bps: g.required_green_bps,
                green_bps: g.energy.as_ref().map(|e| e.green_bps),
                energy_mwh: g.energy.as_ref().map(|e| e.sci.energy_mwh.to_string()),
                sci_mg: g.energy.as_ref().map(|e| e.sci.sci_mg.to_string()),
            });
        let sel = j.selection.as_ref();
        rows.push(JobRow {
            id: j.id,
            status: j.status,
            buyer: j.buyer,
            provider: j.provider,
            price: amount(s, j.terms.token, j.price),
            max_price: amount(s, j.terms.token, j.terms.max_price),
            bids: j.bids.len(),
            steps: j.commit.as_ref().map(|c| c.steps),
            checked: sel.map(|x| x.checked),
            verifiers: sel.map_or(0, |x| x.verifiers.len()),
            attested: sel.map_or(0, |x| x.attested.len()),
            disputes,
            green,
        });
    }
    Ok(JobRows {
        height: s.height(),
        total,
        jobs: rows,
    })
}

async fn get_job_rows(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<RowsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<JobRows> {
    let Query(q) = query.map_err(|e| ApiErr::bad(format!("{e}; use ?limit=N")))?;
    let limit = q.limit.unwrap_or(20).min(MAX_ROWS);
    let v = with_core(&shared, move |core| job_rows(core.state(), limit)).await?;
    Ok(axum::Json(v.map_err(internal)?))
}
