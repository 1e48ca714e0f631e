//! Financing GPU assets from the sAID vault.
//!
//! **Lifecycle.** The asset's operator proposes a deal (`ProposeFinancing`: principal in the
//! vault's asset AID, revenue share in bps, term in ms); the asset must be active and have no
//! live deal. The vault manager (a governance parameter, `vault_manager`) approves it
//! (`ApproveFinancing`), or governance does by executing a `finance_approve` proposal whose
//! value is the deal id. Approval moves `principal` idle AID from the vault to the operator
//! (`vault::deploy_capital`: total assets unchanged) and starts the term.
//!
//! **Revenue split.** At every settlement of a job bound to the asset while the deal is active
//! and paid in AID, the provider's payment `paid` (price − fee) is split: the financier share
//! `f = min(paid, ⌈paid × share_bps / 10 000⌉)` (rounded up: the vault's holders are the
//! protocol side) goes from the market account to the vault (`vault::record_revenue` then
//! `vault::return_capital(…, 0, f)`): the vault's total assets rise by exactly `f`. The
//! provider receives `paid − f` through its auto-savings policy. Jobs in other tokens pay no
//! share (a financed asset refuses to bind them).
//!
//! **Repay and default.** `RepayFinancing` (anyone, usually the operator) pays up to the
//! outstanding principal back (`vault::return_capital(…, amount, 0)`: total assets unchanged);
//! at zero outstanding the deal is repaid. After the term, `DefaultFinancing` (anyone) on a deal
//! with principal outstanding writes down exactly that amount (`vault::record_loss`) — the one
//! recorded loss that may lower the share price — and closes the deal.
//!
//! **Invariants.** repaid ≤ principal; a defaulted deal wrote off exactly principal − repaid;
//! Σ outstanding of active deals ≤ the vault's deployed capital.

use super::{AssetEvent, AssetStatus, emit, err, get_json, load, next_counter, params, put_json};
use crate::error::LedgerError;
use crate::state::{Exec, State, Store};
use serde::{Deserialize, Serialize};
use verity_primitives::math::{Rounding, checked_add, checked_sub, mul_div};
use verity_primitives::{Address, Timestamp, amount_str};

/// Where a deal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DealStatus {
    /// Awaiting approval.
    Proposed,
    /// Capital deployed; revenue shared.
    Active,
    /// Principal fully repaid.
    Repaid,
    /// Written down after the term.
    Defaulted,
}

impl DealStatus {
    /// True for proposed and active deals.
    pub fn is_live(self) -> bool {
        matches!(self, DealStatus::Proposed | DealStatus::Active)
    }
}

/// A financing deal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deal {
    /// Id (sequential from 0).
    pub id: u64,
    /// The financed asset.
    pub asset: u64,
    /// The operator who received the principal.
    pub operator: Address,
    /// AID lent.
    #[serde(with = "amount_str")]
    pub principal: u128,
    /// Financier share of each job payment, bps.
    pub share_bps: u32,
    /// Term, ms from approval.
    pub term_ms: u64,
    /// Status.
    pub status: DealStatus,
    /// When it was proposed.
    pub proposed_at: Timestamp,
    /// When it was approved.
    pub start: Option<Timestamp>,
    /// Principal repaid so far.
    #[serde(with = "amount_str")]
    pub repaid: u128,
    /// Σ financier shares paid to the vault.
    #[serde(with = "amount_str")]
    pub revenue: u128,
    /// Principal written down at default.
    #[serde(with = "amount_str")]
    pub written_off: u128,
}

impl Deal {
    /// Principal still owed.
    pub fn outstanding(&self) -> u128 {
        self.principal.saturating_sub(self.repaid)
    }
}

/// Financing events (inside [`AssetEvent::Finance`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FinanceEvent {
    /// A deal was proposed.
    Proposed {
        /// Deal id.
        deal: u64,
        /// Asset id.
        asset: u64,
        /// Principal.
        #[serde(with = "amount_str")]
        principal: u128,
        /// Revenue share, bps.
        share_bps: u32,
        /// Term, ms.
        term_ms: u64,
    },
    /// A deal was approved and funded.
    Approved {
        /// Deal id.
        deal: u64,
        /// Who approved it (the manager, or governance's account).
        by: Address,
        /// The operator paid.
        operator: Address,
        /// Principal.
        #[serde(with = "amount_str")]
        principal: u128,
    },
    /// A job's financier share went to the vault.
    RevenueShared {
        /// Deal id.
        deal: u64,
        /// Job id.
        job: u64,
        /// Financier share.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Principal repaid.
    Repaid {
        /// Deal id.
        deal: u64,
        /// Amount.
        #[serde(with = "amount_str")]
        amount: u128,
        /// Still owed.
        #[serde(with = "amount_str")]
        outstanding: u128,
    },
    /// The deal defaulted; its outstanding principal was written down.
    Defaulted {
        /// Deal id.
        deal: u64,
        /// Written down.
        #[serde(with = "amount_str")]
        written_off: u128,
    },
}

fn k_deal(id: u64) -> Vec<u8> {
    let mut k = vec![super::PREFIX, b'd'];
    k.extend_from_slice(&id.to_be_bytes());
    k
}
const K_DEAL_COUNT: &[u8] = &[super::PREFIX, b'm'];

fn fin(ex: &mut Exec<'_>, e: FinanceEvent) {
    emit(ex, AssetEvent::Finance(e));
}

/// Read deal `id`.
pub fn deal(s: &impl Store, id: u64) -> Result<Option<Deal>, LedgerError> {
    get_json(s, &k_deal(id), "financing deal")
}

pub(crate) fn load_deal(s: &impl Store, id: u64) -> Result<Deal, LedgerError> {
    deal(s, id)?.ok_or_else(|| err(format!("no financing deal {id}")))
}

fn save(ex: &mut Exec<'_>, d: &Deal) {
    put_json(ex, &k_deal(d.id), d);
}

/// Every deal in id order.
pub fn deals(s: &State) -> Result<Vec<Deal>, LedgerError> {
    let mut out = Vec::new();
    for (k, v) in s.scan(super::PREFIX) {
        if k.len() == 10 && k[1] == b'd' {
            out.push(
                serde_json::from_slice(v)
                    .map_err(|e| LedgerError::Corrupt(format!("financing deal: {e}")))?,
            );
        }
    }
    Ok(out)
}

/// `ProposeFinancing` handler (the asset's operator).
pub(crate) fn propose(
    ex: &mut Exec<'_>,
    sender: &Address,
    asset: u64,
    principal: u128,
    share_bps: u32,
    term_ms: u64,
) -> Result<(), LedgerError> {
    let mut a = load(ex, asset)?;
    if a.operator != *sender {
        return Err(err(format!(
            "only the operator of asset {asset} may propose its financing"
        )));
    }
    if a.status != AssetStatus::Active {
        return Err(err(format!(
            "asset {asset} is {:?}; only active assets are financed",
            a.status
        )));
    }
    if let Some(d) = a.deal {
        return Err(err(format!("asset {asset} already has live deal {d}")));
    }
    if principal == 0 || term_ms == 0 || share_bps == 0 || share_bps > 10_000 {
        return Err(err(
            "principal and term must be positive and the share in 1..=10000 bps",
        ));
    }
    crate::vault::vault_state(ex)?;
    let id = next_counter(ex, K_DEAL_COUNT, "deal count")?;
    let d = Deal {
        id,
        asset,
        operator: *sender,
        principal,
        share_bps,
        term_ms,
        status: DealStatus::Proposed,
        proposed_at: ex.now,
        start: None,
        repaid: 0,
        revenue: 0,
        written_off: 0,
    };
    save(ex, &d);
    a.deal = Some(id);
    super::save(ex, &a);
    fin(
        ex,
        FinanceEvent::Proposed {
            deal: id,
            asset,
            principal,
            share_bps,
            term_ms,
        },
    );
    Ok(())
}

/// `ApproveFinancing` handler (the vault manager).
pub(crate) fn approve_by_manager(
    ex: &mut Exec<'_>,
    sender: &Address,
    id: u64,
) -> Result<(), LedgerError> {
    if params(ex)?.vault_manager != Some(*sender) {
        return Err(err(format!(
            "{sender} is not the vault manager; governance may approve with finance_approve"
        )));
    }
    approve(ex, sender, id)
}

/// Approve and fund deal `id` (the manager's transaction or an executed governance proposal).
pub(crate) fn approve(ex: &mut Exec<'_>, by: &Address, id: u64) -> Result<(), LedgerError> {
    let mut d = load_deal(ex, id)?;
    if d.status != DealStatus::Proposed {
        return Err(err(format!("deal {id} is {:?}, not proposed", d.status)));
    }
    let a = load(ex, d.asset)?;
    if a.status != AssetStatus::Active || a.operator != d.operator {
        return Err(err(format!(
            "asset {} is no longer active under the proposing operator",
            d.asset
        )));
    }
    crate::vault::deploy_capital(ex, &d.operator, d.principal)?;
    d.status = DealStatus::Active;
    d.start = Some(ex.now);
    save(ex, &d);
    fin(
        ex,
        FinanceEvent::Approved {
            deal: id,
            by: *by,
            operator: d.operator,
            principal: d.principal,
        },
    );
    Ok(())
}

/// `RepayFinancing` handler (anyone pays).
pub(crate) fn repay(
    ex: &mut Exec<'_>,
    sender: &Address,
    id: u64,
    amount: u128,
) -> Result<(), LedgerError> {
    let mut d = load_deal(ex, id)?;
    if d.status != DealStatus::Active {
        return Err(err(format!("deal {id} is {:?}, not active", d.status)));
    }
    let owed = d.outstanding();
    if amount == 0 || amount > owed {
        return Err(err(format!("repay between 1 and the outstanding {owed}")));
    }
    crate::vault::return_capital(ex, sender, amount, 0)?;
    d.repaid = checked_add(d.repaid, amount)?;
    let outstanding = d.outstanding();
    if outstanding == 0 {
        d.status = DealStatus::Repaid;
        release_asset(ex, d.asset)?;
    }
    save(ex, &d);
    fin(
        ex,
        FinanceEvent::Repaid {
            deal: id,
            amount,
            outstanding,
        },
    );
    Ok(())
}

/// `DefaultFinancing` handler (anyone, after the term).
pub(crate) fn default(ex: &mut Exec<'_>, id: u64) -> Result<(), LedgerError> {
    let mut d = load_deal(ex, id)?;
    if d.status != DealStatus::Active {
        return Err(err(format!("deal {id} is {:?}, not active", d.status)));
    }
    let start = d.start.ok_or_else(|| err("active deal without a start"))?;
    let end = start
        .checked_add_ms(d.term_ms)
        .ok_or(verity_primitives::MathError::Overflow)?;
    if ex.now < end {
        return Err(err(format!(
            "deal {id}'s term runs until {end} (now {})",
            ex.now
        )));
    }
    let owed = d.outstanding();
    crate::vault::record_loss(ex, owed)?;
    d.written_off = owed;
    d.status = DealStatus::Defaulted;
    release_asset(ex, d.asset)?;
    save(ex, &d);
    fin(
        ex,
        FinanceEvent::Defaulted {
            deal: id,
            written_off: owed,
        },
    );
    Ok(())
}

fn release_asset(ex: &mut Exec<'_>, asset: u64) -> Result<(), LedgerError> {
    let mut a = load(ex, asset)?;
    a.deal = None;
    super::save(ex, &a);
    Ok(())
}

/// The revenue split at settlement (module doc); returns what the provider receives.
pub(crate) fn split_payment(
    ex: &mut Exec<'_>,
    j: &crate::market::Job,
    paid: u128,
) -> Result<u128, LedgerError> {
    let Some(provider) = j.provider else {
        return Ok(paid);
    };
    let Some(b) = super::binding(ex, j.id, &provider)? else {
        return Ok(paid);
    };
    let Some(deal_id) = load(ex, b.asset)?.deal else {
        return Ok(paid);
    };
    let mut d = load_deal(ex, deal_id)?;
    let Ok(vault) = crate::vault::vault_state(ex) else {
        return Ok(paid);
    };
    if d.status != DealStatus::Active || j.terms.token != vault.asset {
        return Ok(paid);
    }
    let share = mul_div(paid, u128::from(d.share_bps), 10_000, Rounding::Up)?.min(paid);
    if share == 0 {
        return Ok(paid);
    }
    crate::vault::record_revenue(ex, share)?;
    crate::vault::return_capital(ex, &crate::market::market_account(), 0, share)?;
    d.revenue = checked_add(d.revenue, share)?;
    save(ex, &d);
    fin(
        ex,
        FinanceEvent::RevenueShared {
            deal: deal_id,
            job: j.id,
            amount: share,
        },
    );
    Ok(checked_sub(paid, share)?)
}

/// Deal invariants (module doc).
pub(crate) fn check_invariants(s: &State) -> Result<(), LedgerError> {
    let bad = |m: String| Err(LedgerError::Invariant(format!("financing: {m}")));
    let mut outstanding = 0u128;
    for d in deals(s)? {
        if d.repaid > d.principal {
            return bad(format!("deal {} repaid more than its principal", d.id));
        }
        match d.status {
            DealStatus::Defaulted if d.written_off != d.principal - d.repaid => {
                return bad(format!(
                    "deal {} wrote off {} but owed {}",
                    d.id,
                    d.written_off,
                    d.principal - d.repaid
                ));
            }
            DealStatus::Active => outstanding = checked_add(outstanding, d.outstanding())?,
            DealStatus::Repaid if d.repaid != d.principal => {
                return bad(format!(
                    "deal {} is repaid with principal outstanding",
                    d.id
                ));
            }
            _ => {}
        }
        if d.status.is_live() {
            let a = super::asset(s, d.asset)?;
            if a.and_then(|a| a.deal) != Some(d.id) {
                return bad(format!(
                    "live deal {} is not named by asset {}",
                    d.id, d.asset
                ));
            }
        }
    }
    if let Ok(v) = crate::vault::vault_state(s)
        && outstanding > v.deployed
    {
        return bad(format!(
            "active deals owe {outstanding} but the vault records {} deployed",
            v.deployed
        ));
    }
    Ok(())
}
