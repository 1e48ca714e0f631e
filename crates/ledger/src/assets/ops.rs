//! The handlers of the asset record itself (rules in the [module doc](super)): `RegisterAsset`,
//! `TransferAsset`, `ApproveAsset`, `SetAssetOperator` and `BindJobAsset`.

use super::{
    Asset, AssetEvent, AssetSpec, AssetStatus, Binding, DealStatus, K_COUNT, MAX_LOCATION,
    MAX_MODEL, binding, emit, err, finance, k_binding, k_serial, load, next_counter, put_json,
    save,
};
use crate::error::LedgerError;
use crate::state::{Exec, Store};
use verity_primitives::{Address, Hash};

fn check_spec(s: &AssetSpec) -> Result<(), LedgerError> {
    if s.model.is_empty() || s.model.len() > MAX_MODEL {
        return Err(err(format!("model must be 1..={MAX_MODEL} bytes")));
    }
    if s.location.len() > MAX_LOCATION {
        return Err(err(format!(
            "location must be at most {MAX_LOCATION} bytes"
        )));
    }
    if s.memory_mb == 0 || s.max_power_mw == 0 || s.lifetime_hours == 0 {
        return Err(err("memory, rated power and lifetime must be positive"));
    }
    if s.serial_hash == Hash::ZERO {
        return Err(err("the serial hash must not be zero"));
    }
    Ok(())
}

/// `RegisterAsset` handler.
pub(crate) fn register(
    ex: &mut Exec<'_>,
    sender: &Address,
    spec: &AssetSpec,
) -> Result<(), LedgerError> {
    check_spec(spec)?;
    if ex.get(&k_serial(&spec.serial_hash)).is_some() {
        return Err(err("an asset with this serial hash is already registered"));
    }
    let id = next_counter(ex, K_COUNT, "asset count")?;
    ex.put(
        &k_serial(&spec.serial_hash),
        Some(id.to_be_bytes().to_vec()),
    );
    let a = Asset {
        id,
        spec: spec.clone(),
        owner: *sender,
        operator: *sender,
        approved: None,
        status: AssetStatus::Pending,
        registered_at: ex.now,
        claims: 0,
        deal: None,
    };
    save(ex, &a);
    emit(
        ex,
        AssetEvent::Registered {
            asset: id,
            owner: *sender,
            model: spec.model.clone(),
        },
    );
    Ok(())
}

/// `TransferAsset` handler (owner or approved; clears the approval).
pub(crate) fn transfer(
    ex: &mut Exec<'_>,
    sender: &Address,
    id: u64,
    to: &Address,
) -> Result<(), LedgerError> {
    let mut a = load(ex, id)?;
    if a.owner != *sender && a.approved != Some(*sender) {
        return Err(err(format!(
            "{sender} is neither the owner of asset {id} nor approved"
        )));
    }
    if *to == Address::ZERO {
        return Err(err("cannot transfer an asset to the zero address"));
    }
    let from = a.owner;
    a.owner = *to;
    a.approved = None;
    save(ex, &a);
    emit(
        ex,
        AssetEvent::Transferred {
            asset: id,
            from,
            to: *to,
        },
    );
    Ok(())
}

/// `ApproveAsset` handler (owner; the zero address clears).
pub(crate) fn approve(
    ex: &mut Exec<'_>,
    sender: &Address,
    id: u64,
    spender: &Address,
) -> Result<(), LedgerError> {
    let mut a = load(ex, id)?;
    if a.owner != *sender {
        return Err(err(format!(
            "only the owner may approve transfers of asset {id}"
        )));
    }
    a.approved = (*spender != Address::ZERO).then_some(*spender);
    save(ex, &a);
    emit(
        ex,
        AssetEvent::Approved {
            asset: id,
            spender: a.approved,
        },
    );
    Ok(())
}

/// `SetAssetOperator` handler (owner; refused while a deal is live).
pub(crate) fn set_operator(
    ex: &mut Exec<'_>,
    sender: &Address,
    id: u64,
    operator: &Address,
) -> Result<(), LedgerError> {
    let mut a = load(ex, id)?;
    if a.owner != *sender {
        return Err(err(format!(
            "only the owner may set the operator of asset {id}"
        )));
    }
    if *operator == Address::ZERO {
        return Err(err("the operator must not be the zero address"));
    }
    if let Some(d) = a.deal {
        return Err(err(format!(
            "asset {id} has live financing deal {d}; repay it first"
        )));
    }
    a.operator = *operator;
    save(ex, &a);
    emit(
        ex,
        AssetEvent::OperatorSet {
            asset: id,
            operator: *operator,
        },
    );
    Ok(())
}

/// `BindJobAsset` handler: the operator binds its asset to a job it bid on (still open) or won
/// (assigned, not yet committed). A financed asset only serves jobs paid in the vault's asset.
pub(crate) fn bind_job(
    ex: &mut Exec<'_>,
    sender: &Address,
    job: u64,
    id: u64,
) -> Result<(), LedgerError> {
    use crate::market::JobStatus;
    let a = load(ex, id)?;
    if a.operator != *sender {
        return Err(err(format!(
            "only the operator of asset {id} may bind it to a job"
        )));
    }
    if a.status != AssetStatus::Active {
        return Err(err(format!(
            "asset {id} is {:?}; only active assets run jobs",
            a.status
        )));
    }
    let j = crate::market::job(ex, job)?.ok_or_else(|| err(format!("no job {job}")))?;
    let ok = match j.status {
        JobStatus::Open => j.bids.iter().any(|b| b.provider == *sender),
        JobStatus::Assigned => j.provider == Some(*sender),
        _ => false,
    };
    if !ok {
        return Err(err(format!(
            "job {job} is {:?}; bind an asset after bidding and before committing",
            j.status
        )));
    }
    if binding(ex, job, sender)?.is_some() {
        return Err(err(format!("{sender} already bound an asset to job {job}")));
    }
    if let Some(d) = a.deal {
        let deal = finance::load_deal(ex, d)?;
        let vault_asset = crate::vault::vault_state(ex)?.asset;
        if deal.status == DealStatus::Active && j.terms.token != vault_asset {
            return Err(err(format!(
                "asset {id} is financed by the vault: it serves only jobs paid in token {}",
                vault_asset.0
            )));
        }
    }
    put_json(
        ex,
        &k_binding(job, sender),
        &Binding {
            asset: id,
            at: ex.now,
        },
    );
    emit(
        ex,
        AssetEvent::JobBound {
            job,
            asset: id,
            provider: *sender,
        },
    );
    Ok(())
}
