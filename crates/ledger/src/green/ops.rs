//! The handlers of the green transactions and the settlement hook (rules in the
//! [module doc](super)): `AttestEnergy`, `RequireGreen`, `ReportEnergy`, [`on_settle`].

use super::{
    ENERGY_FEED, EnergyAttestation, GreenEvent, IndexEntry, JobEnergy, MAX_INTENSITY, Subject,
    applicable, emit, err, index_entry, job_energy, k_att, k_index, k_job, params, sci,
};
use crate::assets::put_json;
use crate::error::LedgerError;
use crate::state::Exec;
use verity_primitives::Address;
use verity_primitives::math::{Rounding, checked_add, mul_div};

/// `AttestEnergy` handler (reporters of the `ENERGY` oracle feed).
pub(crate) fn attest(
    ex: &mut Exec<'_>,
    sender: &Address,
    subject: Subject,
    green_bps: u32,
    intensity: u32,
) -> Result<(), LedgerError> {
    let feed = crate::oracle::feed(ex, ENERGY_FEED)
        .map_err(|_| err("no ENERGY oracle feed is configured; nobody may attest energy"))?;
    if !feed.reporters.iter().any(|r| r.reporter == *sender) {
        return Err(err(format!(
            "{sender} is not a reporter of the ENERGY feed"
        )));
    }
    if green_bps > 10_000 || intensity > MAX_INTENSITY {
        return Err(err(format!(
            "green share must be ≤ 10000 bps and intensity ≤ {MAX_INTENSITY} gCO2e/kWh"
        )));
    }
    if let Subject::Asset(id) = subject {
        crate::assets::load(ex, id)?;
    }
    let a = EnergyAttestation {
        subject,
        green_bps,
        intensity_g_per_kwh: intensity,
        reporter: *sender,
        at: ex.now,
    };
    put_json(ex, &k_att(&subject), &a);
    emit(
        ex,
        GreenEvent::Attested {
            subject,
            green_bps,
            intensity_g_per_kwh: intensity,
            reporter: *sender,
        },
    );
    Ok(())
}

/// `RequireGreen` handler (the buyer, open job without bids).
pub(crate) fn require(
    ex: &mut Exec<'_>,
    sender: &Address,
    job: u64,
    min_green_bps: u32,
) -> Result<(), LedgerError> {
    let j = crate::market::job(ex, job)?.ok_or_else(|| err(format!("no job {job}")))?;
    if j.buyer != *sender {
        return Err(err(format!(
            "only the buyer of job {job} sets its green requirement"
        )));
    }
    if j.status != crate::market::JobStatus::Open || !j.bids.is_empty() {
        return Err(err(format!(
            "job {job} already has bids or is not open; set the requirement right after posting"
        )));
    }
    if min_green_bps > 10_000 {
        return Err(err("the green share is at most 10000 bps"));
    }
    put_json(ex, &k_job(b'r', job), &min_green_bps);
    emit(ex, GreenEvent::Required { job, min_green_bps });
    Ok(())
}

/// `ReportEnergy` handler (the job's provider, after its commit, before settlement).
pub(crate) fn report(
    ex: &mut Exec<'_>,
    sender: &Address,
    job: u64,
    power_mw: u64,
    run_ms: u64,
) -> Result<(), LedgerError> {
    use crate::market::JobStatus;
    let j = crate::market::job(ex, job)?.ok_or_else(|| err(format!("no job {job}")))?;
    if j.provider != Some(*sender) {
        return Err(err(format!("only job {job}'s provider reports its energy")));
    }
    let Some(c) = j.commit.as_ref() else {
        return Err(err(format!("job {job} is not committed yet")));
    };
    if !matches!(j.status, JobStatus::Committed | JobStatus::Disputed) {
        return Err(err(format!(
            "job {job} is {:?}; report after the commit and before settlement",
            j.status
        )));
    }
    if job_energy(ex, job)?.is_some() {
        return Err(err(format!("job {job}'s energy is already reported")));
    }
    let wall = c.at.0.saturating_sub(j.bid_close.0);
    if run_ms == 0 || run_ms > wall {
        return Err(err(format!(
            "run time must be in 1..={wall} ms (commit time − bid close)"
        )));
    }
    let asset = crate::assets::binding(ex, job, sender)?.map(|b| b.asset);
    let spec = match asset {
        Some(id) => Some(crate::assets::load(ex, id)?.spec),
        None => None,
    };
    let max_power = spec
        .as_ref()
        .map_or(params(ex)?.max_unbound_power_mw, |s| s.max_power_mw);
    if power_mw == 0 || power_mw > max_power {
        return Err(err(format!(
            "power must be in 1..={max_power} mW (the device's rated power)"
        )));
    }
    let att = applicable(ex, job, sender)?.ok_or_else(|| {
        err(format!(
            "no energy attestation for {sender} or its asset; an ENERGY reporter must attest first"
        ))
    })?;
    let (embodied, lifetime) = spec
        .as_ref()
        .map_or((0, 0), |s| (s.embodied_gco2e, s.lifetime_hours));
    let figures = sci(
        power_mw,
        run_ms,
        att.intensity_g_per_kwh,
        embodied,
        lifetime,
    )?;
    let rec = JobEnergy {
        job,
        provider: *sender,
        asset,
        power_mw,
        run_ms,
        intensity_g_per_kwh: att.intensity_g_per_kwh,
        green_bps: att.green_bps,
        sci: figures,
        token: None,
        price: 0,
        epoch: None,
    };
    put_json(ex, &k_job(b'j', job), &rec);
    emit(
        ex,
        GreenEvent::Reported {
            job,
            energy_mwh: figures.energy_mwh,
            sci_mg: figures.sci_mg,
            green_bps: att.green_bps,
        },
    );
    Ok(())
}

/// Settlement hook: add a reported job to its epoch's index accumulator.
pub(crate) fn on_settle(ex: &mut Exec<'_>, j: &crate::market::Job) -> Result<(), LedgerError> {
    let Some(mut rec) = job_energy(ex, j.id)? else {
        return Ok(());
    };
    let p = params(ex)?;
    let epoch = ex.now.0 / p.epoch_ms.max(1);
    let token = j.terms.token;
    let g = u128::from(rec.green_bps);
    let green_ms = mul_div(u128::from(rec.run_ms), g, 10_000, Rounding::Down)?;
    let green_value = mul_div(j.price, g, 10_000, Rounding::Down)?;
    let mut e = index_entry(ex, epoch, token)?.unwrap_or(IndexEntry {
        epoch,
        token,
        ..IndexEntry::default()
    });
    e.jobs = e
        .jobs
        .checked_add(1)
        .ok_or(verity_primitives::MathError::Overflow)?;
    e.gpu_ms = checked_add(e.gpu_ms, u128::from(rec.run_ms))?;
    e.green_ms = checked_add(e.green_ms, green_ms)?;
    e.green_value = checked_add(e.green_value, green_value)?;
    put_json(ex, &k_index(epoch, token), &e);
    rec.token = Some(token);
    rec.price = j.price;
    rec.epoch = Some(epoch);
    put_json(ex, &k_job(b'j', j.id), &rec);
    emit(
        ex,
        GreenEvent::Indexed {
            job: j.id,
            epoch,
            token,
            green_ms,
        },
    );
    Ok(())
}
