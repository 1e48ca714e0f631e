//! The marketplace agents: buyers post jobs priced in VTY from a USD budget per GPU-hour;
//! providers bid their USD cost at the current VTY price, run what they win and commit a
//! trace root (a cheater sometimes commits a wrong one); drawn verifiers attest an honest
//! commit or challenge a wrong one; the keeper closes bidding, settles and claims timeouts.
//!
//! **Disputes.** Both sides bisect the step hashes of their [`SynthTrace`]s for real (every move
//! is checked by the ledger against its committed root). Once the first wrong step is found the
//! cheater abandons the game — it cannot win the one-op replay at the referee — so the
//! challenger's next move goes unanswered and the keeper's `ClaimTimeout` rules for the
//! challenger: the cheater's collateral is slashed, the challenger is paid its share, the buyer
//! refunded. A cheat on a job not drawn for a spot check goes unseen and is paid ("fraud
//! missed" in the report).
//!
//! **Financed GPU jobs.** While the vault's financing deal is active (`crate::financing`) buyers
//! also post jobs paid in AID for the financed GPU; only its operator bids on them (at 80% of
//! the buyers' budget rate), binds its asset to each one it wins in the block that commits it,
//! and never cheats. The ledger pays the vault the deal's share of each at `Settle`.
//!
//! **Timeline** (one block an hour): post at T; bids at T+1h (bid window 90 min); match at T+2h;
//! commit at T+3h; attest or challenge at T+4h; settle at T+6h (challenge window 3 h).

use crate::SimError;
use crate::config::SimConfig;
use crate::rng::SimRng;
use crate::trace::SynthTrace;
use crate::world::{HOUR_MS, VTY_ONE, World};
use std::collections::{BTreeMap, BTreeSet};
use verity_ledger::assets::AssetTx;
use verity_ledger::market::dispute::{self, Phase};
use verity_ledger::market::{self, JobStatus, JobTerms};
use verity_ledger::{Address, Event, Hash, Payload, Receipt, TokenId};

/// Most jobs a provider runs at once.
pub const PROVIDER_CAPACITY: usize = 3;
/// Bond a verifier posts with a challenge, whole VTY.
pub const CHALLENGE_BOND_VTY: u128 = 1_000;

/// What the simulator knows about a job (kept after it ends, for the report).
#[derive(Clone, Debug)]
pub struct JobFacts {
    /// GPU-hours the job takes.
    pub gpu_hours: u32,
    /// The provider committed a wrong trace root.
    pub cheated: bool,
    /// The committed trace (honest or faulted), once committed.
    pub trace: Option<SynthTrace>,
    /// Verifiers that attested.
    pub attested: BTreeSet<Address>,
    /// A challenge was sent.
    pub challenged: bool,
    /// Close-bidding was sent.
    pub close_sent: bool,
    /// Bids were sent.
    pub bids_sent: bool,
    /// Paid in AID, for the financed GPU.
    pub financed: bool,
}

/// The marketplace agents' memory.
pub struct Market {
    rng: SimRng,
    /// Each provider's cost per GPU-hour, USD.
    pub provider_cost: Vec<f64>,
    /// Jobs by id.
    pub facts: BTreeMap<u64, JobFacts>,
    live: BTreeSet<u64>,
    posted: Vec<(Address, u128, u32, bool)>,
}

fn terms(cfg: &SimConfig, n: u64, token: TokenId, max_price: u128) -> JobTerms {
    JobTerms {
        spec_hash: Hash::keccak(&[b"verity-sim/spec".as_slice(), &n.to_be_bytes()].concat()),
        data_hashes: Vec::new(),
        token,
        max_price,
        escrow: max_price,
        device_class: "gpu".into(),
        min_cores: 1,
        min_memory_mb: 1024,
        spot_check_bps: cfg.spot_check_bps,
        challenge_window_ms: 3 * HOUR_MS,
        bid_window_ms: 3 * HOUR_MS / 2,
        deadline_ms: 12 * HOUR_MS,
    }
}

/// Whole VTY (f64) → base units (saturating; the simulator's amounts are far below the cap).
pub fn vty_units(x: f64) -> u128 {
    (x * VTY_ONE as f64) as u128
}

impl Market {
    /// Fresh agents; provider costs are drawn once around the buyers' budget.
    pub fn new(cfg: &SimConfig) -> Market {
        let mut rng = SimRng::new(cfg.seed, 3);
        let provider_cost = (0..cfg.providers)
            .map(|_| cfg.usd_per_gpu_hour * (0.75 + 0.2 * rng.uniform()))
            .collect();
        Market {
            rng,
            provider_cost,
            facts: BTreeMap::new(),
            live: BTreeSet::new(),
            posted: Vec::new(),
        }
    }

    /// Buyers post this hour's jobs (Poisson arrivals) at VTY price `vty_usd`; with `financed`
    /// (a deal is active) also the financed GPU's jobs, paid in AID.
    pub fn post(
        &mut self,
        cfg: &SimConfig,
        w: &mut World,
        vty_usd: f64,
        financed: bool,
    ) -> Result<(), SimError> {
        let n = self.rng.poisson(cfg.jobs_per_hour);
        for _ in 0..n {
            let buyer = w.accounts.buyers[self.rng.below(w.accounts.buyers.len() as u64) as usize];
            let gpu_hours = 1 + self.rng.below(8) as u32;
            let budget =
                f64::from(gpu_hours) * cfg.usd_per_gpu_hour * (1.05 + 0.3 * self.rng.uniform());
            let max_price = vty_units(budget / vty_usd);
            if max_price == 0 || w.state.balance(buyer, w.tokens.vty) < max_price {
                continue;
            }
            let seq = self.posted.len() as u64 + self.facts.len() as u64;
            let t = terms(cfg, seq, w.tokens.vty, max_price);
            w.send(buyer, Payload::PostJob(t))?;
            self.posted.push((buyer, max_price, gpu_hours, false));
        }
        if financed {
            for _ in 0..self.rng.poisson(cfg.financed_jobs_per_hour) {
                let buyer =
                    w.accounts.buyers[self.rng.below(w.accounts.buyers.len() as u64) as usize];
                let gpu_hours = 1 + self.rng.below(8) as u32;
                let budget =
                    f64::from(gpu_hours) * cfg.usd_per_gpu_hour * (1.05 + 0.3 * self.rng.uniform());
                let max_price = vty_units(budget); // AID has 18 decimals, like VTY; $1 each
                if max_price == 0 || w.state.balance(buyer, w.tokens.aid) < max_price {
                    continue;
                }
                let seq = self.posted.len() as u64 + self.facts.len() as u64;
                let t = terms(cfg, seq, w.tokens.aid, max_price);
                w.send(buyer, Payload::PostJob(t))?;
                self.posted.push((buyer, max_price, gpu_hours, true));
            }
        }
        Ok(())
    }

    /// Learn the ids of posted jobs and drop finished ones, from a block's receipts.
    pub fn observe(&mut self, receipts: &[Receipt]) {
        for r in receipts {
            for e in &r.events {
                match e {
                    Event::JobPosted {
                        job,
                        buyer,
                        max_price,
                        ..
                    } => {
                        if let Some(i) = self
                            .posted
                            .iter()
                            .position(|(b, m, _, _)| b == buyer && m == max_price)
                        {
                            let (_, _, gpu_hours, financed) = self.posted.remove(i);
                            self.facts.insert(
                                *job,
                                JobFacts {
                                    gpu_hours,
                                    cheated: false,
                                    trace: None,
                                    attested: BTreeSet::new(),
                                    challenged: false,
                                    close_sent: false,
                                    bids_sent: false,
                                    financed,
                                },
                            );
                            self.live.insert(*job);
                        }
                    }
                    Event::JobSettled { job, .. }
                    | Event::JobExpired { job, .. }
                    | Event::JobCancelled { job, .. } => {
                        self.live.remove(job);
                    }
                    Event::DisputeRuled { job, winner, .. } if winner != "Provider" => {
                        self.live.remove(job);
                    }
                    _ => {}
                }
            }
        }
        // Posts that failed never get an event; they are dropped at the block's end.
        self.posted.clear();
    }

    /// Jobs still running.
    pub fn live_jobs(&self) -> usize {
        self.live.len()
    }

    /// Every agent's move on every live job for the next block; `asset` is the financed GPU
    /// while its deal is active.
    pub fn act(
        &mut self,
        cfg: &SimConfig,
        w: &mut World,
        vty_usd: f64,
        asset: Option<u64>,
    ) -> Result<(), SimError> {
        let now = w.next_time();
        let height = w.next_height();
        let keeper = w.accounts.keeper;
        let stakers: BTreeSet<Address> = w.accounts.stakers().copied().collect();
        let mut jobs = Vec::new();
        for id in &self.live {
            if let Some(j) = market::job(&w.state, *id)? {
                jobs.push(j);
            }
        }
        let mut busy: BTreeMap<Address, usize> = BTreeMap::new();
        for j in &jobs {
            if let (Some(p), true) = (j.provider, j.status.is_live()) {
                *busy.entry(p).or_insert(0) += 1;
            }
        }
        let factor = market::params(&w.state)?.collateral_factor_bps;
        for j in jobs {
            let Some(facts) = self.facts.get_mut(&j.id) else {
                continue;
            };
            match j.status {
                JobStatus::Open if now < j.bid_close => {
                    if facts.bids_sent {
                        continue;
                    }
                    facts.bids_sent = true;
                    let gpu = f64::from(facts.gpu_hours);
                    if facts.financed {
                        let op = w.accounts.financier;
                        let price =
                            vty_units(gpu * cfg.usd_per_gpu_hour * 0.8).min(j.terms.max_price);
                        let need = market::collateral(price, factor)?;
                        let free = w
                            .state
                            .stake(op)
                            .bonded
                            .saturating_sub(market::locked(&w.state, &op)?);
                        if asset.is_some() && price > 0 && free >= need {
                            w.send(op, Payload::Bid { job: j.id, price })?;
                        }
                        continue;
                    }
                    for (i, p) in w.accounts.providers.clone().iter().enumerate() {
                        if busy.get(p).copied().unwrap_or(0) >= PROVIDER_CAPACITY {
                            continue;
                        }
                        let ask = gpu * self.provider_cost[i] * (1.0 + 0.1 * self.rng.uniform());
                        let price = vty_units(ask / vty_usd).min(j.terms.max_price);
                        let need = market::collateral(price, factor)?;
                        let free = w
                            .state
                            .stake(*p)
                            .bonded
                            .saturating_sub(market::locked(&w.state, p)?);
                        if price == 0 || free < need {
                            continue;
                        }
                        w.send(*p, Payload::Bid { job: j.id, price })?;
                    }
                }
                JobStatus::Open => {
                    if !j.bids.is_empty() && !facts.close_sent {
                        facts.close_sent = true;
                        w.send(keeper, Payload::CloseBidding { job: j.id })?;
                    } else if j.bids.is_empty() && now > j.deadline {
                        w.send(keeper, Payload::Expire { job: j.id })?;
                    }
                }
                JobStatus::Assigned => {
                    if facts.trace.is_some() {
                        continue;
                    }
                    let Some(p) = j.provider else { continue };
                    if facts.financed {
                        if let Some(a) = asset {
                            w.send(
                                p,
                                Payload::Assets(AssetTx::BindJob {
                                    job: j.id,
                                    asset: a,
                                }),
                            )?;
                        }
                        let trace = SynthTrace::honest(j.id);
                        w.send(
                            p,
                            Payload::Commit {
                                job: j.id,
                                result: trace.commit_args(j.id),
                            },
                        )?;
                        facts.trace = Some(trace);
                        continue;
                    }
                    let idx = w.accounts.providers.iter().position(|x| *x == p);
                    let cheater = idx.is_some_and(|i| {
                        cfg.cheater_every > 0 && (i as u32 + 1).is_multiple_of(cfg.cheater_every)
                    });
                    let trace = if cheater && self.rng.chance(cfg.cheat_probability) {
                        facts.cheated = true;
                        let step = self.rng.below(crate::trace::STEPS);
                        let leaf = 1 + self.rng.below(crate::trace::LEAVES - 1);
                        SynthTrace::faulted(j.id, step, leaf)
                    } else {
                        SynthTrace::honest(j.id)
                    };
                    w.send(
                        p,
                        Payload::Commit {
                            job: j.id,
                            result: trace.commit_args(j.id),
                        },
                    )?;
                    facts.trace = Some(trace);
                }
                JobStatus::Committed => {
                    let Some(end) = market::challenge_end(&j) else {
                        continue;
                    };
                    if now >= end {
                        w.send(keeper, Payload::Settle { job: j.id })?;
                        continue;
                    }
                    let Some(sel) = &j.selection else { continue };
                    if !sel.checked {
                        continue;
                    }
                    let honest = SynthTrace::honest(j.id);
                    let wrong = j
                        .commit
                        .as_ref()
                        .is_some_and(|c| c.trace_root.0 != honest.root);
                    for v in &sel.verifiers {
                        if !stakers.contains(v) {
                            continue;
                        }
                        if wrong {
                            if !facts.challenged {
                                facts.challenged = true;
                                w.send(
                                    *v,
                                    Payload::Challenge {
                                        job: j.id,
                                        trace_root: Hash(honest.root),
                                        bond: CHALLENGE_BOND_VTY * VTY_ONE,
                                    },
                                )?;
                            }
                        } else if facts.attested.insert(*v) {
                            w.send(*v, Payload::Attest { job: j.id })?;
                        }
                    }
                }
                JobStatus::Disputed => {
                    let Some(did) = j.disputes.last() else {
                        continue;
                    };
                    let Some(d) = dispute::dispute(&w.state, *did)? else {
                        continue;
                    };
                    if height > d.deadline {
                        w.send(keeper, Payload::ClaimTimeout { dispute: d.id })?;
                        continue;
                    }
                    let honest = SynthTrace::honest(j.id);
                    if d.moves[1].is_none()
                        && let Some(m) = honest.move_for(&d)
                    {
                        w.send(d.challenger, m)?;
                    }
                    // The provider answers during the step bisection only (module doc).
                    if d.phase == Phase::Steps
                        && d.moves[0].is_none()
                        && let Some(m) = facts.trace.as_ref().and_then(|t| t.move_for(&d))
                    {
                        w.send(d.provider, m)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}
