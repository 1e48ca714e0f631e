//! The provider agent. [`run`] registers the account as a `Provider` (once), bonds stake up to
//! `stake_target`, then every `poll_interval`:
//!
//! 1. **Open jobs** it has not seen: skip those it cannot serve (payment token, device class,
//!    cores, memory, bid window over, bad or missing blobs — each with an
//!    [`AgentEvent::Skipped`] reason); fetch spec and data (hash-checked), run one step to learn
//!    the ops per step, price it with [`crate::Pricing`] and `Bid`.
//! 2. **Jobs it bid on**: once the bid window is over, `CloseBidding` (anyone may; the lowest
//!    bid wins).
//! 3. **Jobs it won**: run the whole job in `ree` (`threads`, progress events), keep outputs,
//!    trace and checkpoints in `<work_dir>/job-<id>/out/`, upload them with a manifest
//!    ([`crate::work`]), and `Commit` (output hash = manifest hash).
//! 4. **Committed jobs**: answer every dispute round from the stored trace ([`crate::game`]),
//!    and `Settle` once the challenge window has passed.
//!
//! 5. **Its GPU asset and energy** (issue 6, [`crate::asset`]): register the configured asset,
//!    propose its financing once active, bind every job it bids on to it, and report each
//!    committed job's energy.
//!
//! Running a job blocks the loop (one job at a time). A fault injection set in the config
//! (tests and demos only) corrupts every job this provider runs.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use verity_api::market::JobFilter;
use verity_ledger::market::{CommitArgs, Job, JobStatus, challenge_end};
use verity_ledger::{ActorKind, Event, Payload};
use verity_primitives::{Address, Hash};
use verity_ree::runner::RunOptions;
use verity_ree::trace::Trace;

use crate::asset::AssetState;
use crate::chain::Link;
use crate::game::{LocalRun, Stalls, advance, ruled_event};
use crate::work::{JobFiles, upload_outputs};
use crate::{AgentError, AgentEvent, ProviderConfig};

/// Run the provider until `stop` is set (see the module doc). Returns an error only for an
/// unusable configuration; everything else is reported through `on_event`.
pub fn run(
    cfg: ProviderConfig,
    stop: Arc<AtomicBool>,
    mut on_event: impl FnMut(&AgentEvent),
) -> Result<(), AgentError> {
    if cfg.threads == 0 {
        return Err(AgentError::Config("threads must be at least 1".into()));
    }
    std::fs::create_dir_all(&cfg.work_dir)
        .map_err(AgentError::io("cannot create", &cfg.work_dir))?;
    let link = Link::new(&cfg.node_url, cfg.key);
    on_event(&AgentEvent::Started {
        role: "provider".into(),
        address: link.address(),
    });
    let mut p = Provider {
        link: link.clone(),
        cfg,
        seen: BTreeSet::new(),
        mine: BTreeMap::new(),
        runs: BTreeMap::new(),
        reported: BTreeSet::new(),
        stalls: Stalls::default(),
        asset: AssetState::default(),
        run_ms: BTreeMap::new(),
        energy_sent: BTreeSet::new(),
    };
    let (metadata, target, poll) = (
        p.cfg.metadata.clone(),
        p.cfg.stake_target,
        p.cfg.poll_interval,
    );
    crate::drive(
        poll,
        &stop,
        &mut on_event,
        &mut |ev| crate::setup(&link, ActorKind::Provider, &metadata, target, ev),
        &mut |ev| p.tick(ev),
    );
    Ok(())
}

struct Provider {
    link: Link,
    cfg: ProviderConfig,
    /// Open jobs already considered.
    seen: BTreeSet<u64>,
    /// Jobs bid on or won, with the bid price.
    mine: BTreeMap<u64, u128>,
    /// Finished local runs of committed jobs.
    runs: BTreeMap<u64, LocalRun>,
    /// Disputes whose ruling was reported.
    reported: BTreeSet<u64>,
    /// When each dispute last changed.
    stalls: Stalls,
    /// Its GPU asset (issue 6).
    asset: AssetState,
    /// Measured run time of each job it ran, ms.
    run_ms: BTreeMap<u64, u64>,
    /// Jobs whose energy was reported (or could not be).
    energy_sent: BTreeSet<u64>,
}

/// Fetch every job matching `filter`, page by page.
pub(crate) fn all_jobs(link: &Link, mut filter: JobFilter) -> Result<Vec<Job>, AgentError> {
    let mut out = Vec::new();
    loop {
        filter.offset = Some(out.len());
        filter.limit = Some(verity_api::market::MAX_PAGE);
        let page = link.client().jobs(&filter)?;
        let n = page.jobs.len();
        out.extend(page.jobs);
        if n == 0 || out.len() >= page.total {
            return Ok(out);
        }
    }
}

/// Per-job errors become events; only an unreachable node stops the tick.
pub(crate) fn per_job(
    r: Result<(), AgentError>,
    job: u64,
    skip: bool,
    on_event: &mut dyn FnMut(&AgentEvent),
) -> Result<(), AgentError> {
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.is_transport() || matches!(e, AgentError::NoReceipt { .. }) => Err(e),
        Err(e) if skip => {
            on_event(&AgentEvent::Skipped {
                job,
                reason: e.to_string(),
            });
            Ok(())
        }
        Err(e) => {
            on_event(&AgentEvent::Warning {
                job: Some(job),
                message: e.to_string(),
            });
            Ok(())
        }
    }
}

impl Provider {
    fn me(&self) -> Address {
        self.link.address()
    }

    fn job_dir(&self, id: u64) -> std::path::PathBuf {
        self.cfg.work_dir.join(format!("job-{id}"))
    }

    fn tick(&mut self, ev: &mut dyn FnMut(&AgentEvent)) -> Result<(), AgentError> {
        let now = self.link.now_ms()?;
        if let Some(plan) = self.cfg.asset.clone() {
            let r = self.asset.advance(&self.link, &plan, ev);
            if let Err(e) = r {
                if e.is_transport() {
                    return Err(e);
                }
                ev(&AgentEvent::Warning {
                    job: None,
                    message: format!("asset: {e}"),
                });
            }
        }
        let open = all_jobs(
            &self.link,
            JobFilter {
                status: Some("Open".into()),
                ..JobFilter::default()
            },
        )?;
        for j in open {
            if !self.seen.contains(&j.id) {
                let r = self.consider(&j, now, ev);
                // Reconsider on the next tick if the node dropped out meanwhile.
                per_job(r, j.id, true, ev)?;
                self.seen.insert(j.id);
            }
        }
        let won = all_jobs(
            &self.link,
            JobFilter {
                provider: Some(self.me()),
                ..JobFilter::default()
            },
        )?;
        for j in won {
            if j.status.is_live() {
                self.mine.entry(j.id).or_insert(j.price);
            }
        }
        let ids: Vec<u64> = self.mine.keys().copied().collect();
        for id in ids {
            let j = self.link.client().job(id)?;
            let r = self.advance_job(&j, now, ev);
            per_job(r, id, false, ev)?;
        }
        Ok(())
    }

    fn consider(
        &mut self,
        j: &Job,
        now: u64,
        ev: &mut dyn FnMut(&AgentEvent),
    ) -> Result<(), AgentError> {
        let t = &j.terms;
        let cap = &self.cfg.capacity;
        let skip = |reason: String| AgentError::BadJob { job: j.id, reason };
        if j.buyer == self.me() {
            return Ok(());
        }
        if !self.cfg.pricing.accepts(t.token) {
            return Err(skip(format!("pays in token {}, not accepted", t.token.0)));
        }
        if !t.device_class.is_empty() && !t.device_class.eq_ignore_ascii_case(&cap.device_class) {
            return Err(skip(format!(
                "needs device class {:?}, this provider is {:?}",
                t.device_class, cap.device_class
            )));
        }
        if t.min_cores > cap.cores || t.min_memory_mb > cap.memory_mb {
            return Err(skip(format!(
                "needs {} cores and {} MiB, this provider offers {} and {}",
                t.min_cores, t.min_memory_mb, cap.cores, cap.memory_mb
            )));
        }
        if now >= j.bid_close.0 {
            return Err(skip("its bid window has closed".into()));
        }
        let files = JobFiles::fetch(self.link.client(), j, &self.job_dir(j.id))?;
        let probe = files.run(
            &RunOptions {
                threads: self.cfg.threads,
                until: Some(1),
                ..RunOptions::default()
            },
            &mut |_, _| {},
        )?;
        let ops = probe.receipt.ops_per_step as u64;
        let steps = files.steps();
        let Some(price) = self.cfg.pricing.bid(steps, ops, t.max_price) else {
            return Err(skip(format!(
                "max price {} is below the floor {} ({steps} steps × {ops} ops)",
                t.max_price,
                self.cfg.pricing.floor(steps, ops)
            )));
        };
        self.link.send(
            &format!("Bid on job {}", j.id),
            Payload::Bid { job: j.id, price },
        )?;
        self.mine.insert(j.id, price);
        ev(&AgentEvent::Bid { job: j.id, price });
        crate::asset::bind(&self.link, &self.asset, j.id, ev)
    }

    fn advance_job(
        &mut self,
        j: &Job,
        now: u64,
        ev: &mut dyn FnMut(&AgentEvent),
    ) -> Result<(), AgentError> {
        let me = self.me();
        let mine = j.provider == Some(me);
        match j.status {
            JobStatus::Open => {
                if !j.bids.iter().any(|b| b.provider == me) {
                    self.mine.remove(&j.id);
                } else if now >= j.bid_close.0 {
                    // Anyone may match; a failure means someone else already did.
                    let _ = self
                        .link
                        .send_receipt(Payload::CloseBidding { job: j.id })?;
                }
            }
            JobStatus::Assigned if mine => {
                ev(&AgentEvent::Assigned {
                    job: j.id,
                    price: j.price,
                });
                let r = self.run_and_commit(j, ev);
                if r.as_ref().is_err_and(|e| !e.is_transport()) {
                    // Do not re-run a job whose run or commit failed for good.
                    self.mine.remove(&j.id);
                }
                r?;
            }
            JobStatus::Committed | JobStatus::Disputed if mine => {
                self.report_rulings(j, ev)?;
                self.report_energy(j, ev)?;
                if j.status == JobStatus::Disputed {
                    let height = self.link.client().status()?.height;
                    let local = self.local(j)?;
                    for d in &j.disputes {
                        let d = self.link.client().dispute(*d)?;
                        advance(&self.link, &d, height, &local, &mut self.stalls, ev)?;
                    }
                } else if challenge_end(j).is_some_and(|end| now >= end.0) {
                    let r = self.link.send_receipt(Payload::Settle { job: j.id })?;
                    for e in &r.events {
                        if let Event::JobSettled { job, paid, fee, .. } = e {
                            ev(&AgentEvent::Settled {
                                job: *job,
                                paid: *paid,
                                fee: *fee,
                            });
                        }
                    }
                }
            }
            _ => {
                if mine {
                    self.report_rulings(j, ev)?;
                }
                self.mine.remove(&j.id);
                self.runs.remove(&j.id);
            }
        }
        Ok(())
    }

    /// Report a committed job's energy once (when a mean power is configured).
    fn report_energy(
        &mut self,
        j: &Job,
        ev: &mut dyn FnMut(&AgentEvent),
    ) -> Result<(), AgentError> {
        let Some(power) = self.cfg.power_mw else {
            return Ok(());
        };
        if !self.energy_sent.insert(j.id) {
            return Ok(());
        }
        // After a restart the run time is unknown: report the whole allowed wall time.
        let run_ms = self.run_ms.get(&j.id).copied().unwrap_or(u64::MAX);
        let r = crate::asset::report_energy(&self.link, j, power, run_ms, ev);
        if r.as_ref().is_err_and(AgentError::is_transport) {
            self.energy_sent.remove(&j.id);
        }
        per_job(r, j.id, false, ev)
    }

    fn report_rulings(
        &mut self,
        j: &Job,
        ev: &mut dyn FnMut(&AgentEvent),
    ) -> Result<(), AgentError> {
        for id in &j.disputes {
            if self.reported.contains(id) {
                continue;
            }
            let d = self.link.client().dispute(*id)?;
            if let Some(e) = ruled_event(&d, &self.me()) {
                ev(&e);
                self.reported.insert(*id);
            }
        }
        Ok(())
    }

    /// The local run of a job this provider committed (reloaded from disk after a restart).
    fn local(&mut self, j: &Job) -> Result<LocalRun, AgentError> {
        if let Some(l) = self.runs.get(&j.id) {
            return Ok(l.clone());
        }
        let dir = self.job_dir(j.id);
        let files = JobFiles::fetch(self.link.client(), j, &dir)?
            .with_checkpoints(self.cfg.checkpoint_every);
        let trace = Trace::read(&dir.join("out").join("trace.json"))
            .map_err(|source| AgentError::Ree { job: j.id, source })?;
        let fault = self
            .cfg
            .fault
            .and_then(|f| f.bit_flip(files.steps(), &trace.layout));
        let l = LocalRun {
            files,
            trace,
            checkpoints: Some(dir.join("out").join("checkpoints")),
            fault,
            threads: self.cfg.threads,
        };
        self.runs.insert(j.id, l.clone());
        Ok(l)
    }

    fn run_and_commit(
        &mut self,
        j: &Job,
        ev: &mut dyn FnMut(&AgentEvent),
    ) -> Result<(), AgentError> {
        let dir = self.job_dir(j.id);
        let files = JobFiles::fetch(self.link.client(), j, &dir)?
            .with_checkpoints(self.cfg.checkpoint_every);
        let steps = files.steps();
        let fault = match self.cfg.fault {
            None => None,
            Some(f) => {
                let probe = files.run(
                    &RunOptions {
                        until: Some(1),
                        ..RunOptions::default()
                    },
                    &mut |_, _| {},
                )?;
                let flip = f.bit_flip(steps, &probe.trace.layout);
                if let Some(b) = flip {
                    ev(&AgentEvent::FaultInjected {
                        job: j.id,
                        step: b.step,
                        leaf: b.leaf as u64,
                    });
                }
                flip
            }
        };
        let out_dir = dir.join("out");
        let every = (steps / 10).max(1);
        let id = j.id;
        let started = std::time::Instant::now();
        let out = files.run(
            &RunOptions {
                threads: self.cfg.threads,
                out_dir: Some(out_dir.clone()),
                fault,
                ..RunOptions::default()
            },
            &mut |done, total| {
                if done % every == 0 || done == total {
                    ev(&AgentEvent::Progress {
                        job: id,
                        step: done,
                        steps: total,
                    });
                }
            },
        )?;
        self.run_ms.insert(
            j.id,
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        let (manifest, blobs) = upload_outputs(self.link.client(), j.id, &out_dir, &out.receipt)?;
        ev(&AgentEvent::Uploaded {
            job: j.id,
            manifest,
            blobs,
        });
        let trace_root = Hash(out.trace.root());
        let result = CommitArgs {
            output_hash: manifest,
            trace_root,
            steps: out.trace.steps.len() as u64,
            ops_per_step: out.trace.layout.len() as u64,
            receipt_version: out.receipt.receipt_version,
        };
        self.link.send(
            &format!("Commit of job {}", j.id),
            Payload::Commit { job: j.id, result },
        )?;
        ev(&AgentEvent::Committed {
            job: j.id,
            trace_root,
            steps: out.trace.steps.len() as u64,
        });
        self.runs.insert(
            j.id,
            LocalRun {
                files,
                trace: out.trace,
                checkpoints: Some(out_dir.join("checkpoints")),
                fault,
                threads: self.cfg.threads,
            },
        );
        Ok(())
    }
}
