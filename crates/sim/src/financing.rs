//! The sAID vault's revenue through the ledger's real financing flow (issue 6's `assets`
//! module), step by step as signed transactions:
//!
//! 1. **Setup block.** The GPU operator (`financier` account) registers one GPU asset and bonds
//!    stake; the second verifier registers as a `validator` actor (with the genesis validator
//!    that makes the two staked validators `min_attesters` asks for); the keeper locks VTY for
//!    vote-escrow power; buyers mint AID with USDC to pay for GPU jobs.
//! 2. **Attestation.** Both validators attest the asset's existence: it becomes active.
//! 3. **Governance.** The keeper proposes `vault_manager = keeper`, votes for it and executes it
//!    after the voting period and timelock (the dev genesis: 3 + 2 days).
//! 4. **Deal.** Once the manager is set and the vault holds `financing_principal_aid` idle AID,
//!    the operator proposes a deal (that principal, `financing_share_bps`, a two-year term) and
//!    the manager approves it: the vault deploys the principal to the operator.
//! 5. **Revenue.** While the deal is active buyers post GPU jobs paid in AID
//!    (`financed_jobs_per_hour`); only the operator bids on them, binds its asset to each job it
//!    wins before committing, and at every `Settle` the ledger pays the vault the financier share
//!    — so the sAID share price rises by exactly what the financed GPU earned the vault.
//!
//! Every step reads the ledger state to decide, so a step that failed is retried the next hour.

use crate::SimError;
use crate::config::SimConfig;
use crate::world::{AGENT_STAKE, USDC_ONE, World};
use verity_ledger::assets::AssetSpec;
use verity_ledger::assets::{self, AssetStatus, AssetTx, ClaimKind, DealStatus};
use verity_ledger::{ActorKind, Hash, Payload, governance, vault};

/// One year, ms.
const YEAR_MS: u64 = 365 * 24 * 3_600_000;
/// USDC each buyer turns into AID at the start, to pay for GPU jobs.
pub const BUYER_AID_USDC: u128 = 1_000_000 * USDC_ONE;
/// VTY the keeper locks for governance power.
pub const KEEPER_LOCK_VTY: u128 = 1_000_000 * crate::world::VTY_ONE;

/// Where the financing flow stands.
#[derive(Default)]
pub struct Financing {
    attest_sent: bool,
    proposal_sent: bool,
    vote_sent: bool,
    execute_sent: bool,
    deal_proposed: bool,
    approve_sent: bool,
}

impl Financing {
    /// Setup transactions (first block).
    pub fn setup(&self, w: &mut World) -> Result<(), SimError> {
        let a = w.accounts.clone();
        let t = w.tokens;
        let unlock = (w.next_time().0 + 2 * YEAR_MS) / 1000;
        w.send(
            a.keeper,
            Payload::CreateLock {
                amount: KEEPER_LOCK_VTY,
                unlock_time: unlock,
            },
        )?;
        w.send(
            a.financier,
            Payload::Bond {
                amount: AGENT_STAKE,
            },
        )?;
        w.send(
            a.financier,
            Payload::Assets(AssetTx::Register(AssetSpec {
                model: "H100-SXM5-80GB".into(),
                memory_mb: 81_920,
                serial_hash: Hash::keccak(b"verity-sim/gpu-0"),
                location: "sim".into(),
                max_power_mw: 700_000,
                embodied_gco2e: 150_000,
                lifetime_hours: 43_800,
            })),
        )?;
        if let Some(v) = a.verifiers.get(1) {
            w.send(
                *v,
                Payload::RegisterActor {
                    kind: ActorKind::Validator,
                    metadata: "verity-sim verifier".into(),
                },
            )?;
        }
        for b in &a.buyers {
            w.send(
                *b,
                Payload::MintAid {
                    collateral: t.usdc,
                    amount: BUYER_AID_USDC,
                },
            )?;
        }
        Ok(())
    }

    /// The operator's asset, if registered.
    pub fn asset(w: &World) -> Result<Option<assets::Asset>, SimError> {
        let op = w.accounts.financier;
        Ok(assets::assets(&w.state)?
            .into_iter()
            .find(|x| x.operator == op))
    }

    /// The active deal's id, if any.
    pub fn active_deal(w: &World) -> Result<Option<u64>, SimError> {
        let Some(asset) = Self::asset(w)? else {
            return Ok(None);
        };
        Ok(assets::finance::deals(&w.state)?
            .into_iter()
            .find(|d| d.asset == asset.id && d.status == DealStatus::Active)
            .map(|d| d.id))
    }

    /// One hour's step of the flow (module doc).
    pub fn hour(&mut self, cfg: &SimConfig, w: &mut World) -> Result<(), SimError> {
        let a = w.accounts.clone();
        let Some(asset) = Self::asset(w)? else {
            return Ok(());
        };
        if asset.status == AssetStatus::Pending && !self.attest_sent && a.verifiers.len() >= 2 {
            self.attest_sent = true;
            for v in &a.verifiers[..2] {
                w.send(
                    *v,
                    Payload::Assets(AssetTx::Attest {
                        asset: asset.id,
                        claim: ClaimKind::Existence,
                    }),
                )?;
            }
        }
        let manager = assets::params(&w.state)?.vault_manager;
        if manager != Some(a.keeper) {
            self.governance(w)?;
            return Ok(());
        }
        if asset.status != AssetStatus::Active {
            return Ok(());
        }
        let deals = assets::finance::deals(&w.state)?;
        let proposed = deals
            .iter()
            .find(|d| d.asset == asset.id && d.status == DealStatus::Proposed);
        if let Some(d) = proposed {
            if !self.approve_sent {
                self.approve_sent = true;
                w.send(
                    a.keeper,
                    Payload::Assets(AssetTx::ApproveFinancing { deal: d.id }),
                )?;
            }
            return Ok(());
        }
        let principal = u128::from(cfg.financing_principal_aid) * 1_000_000_000_000_000_000;
        let live = deals
            .iter()
            .any(|d| d.asset == asset.id && d.status.is_live());
        if !live && !self.deal_proposed && vault::view(&w.state)?.idle >= principal {
            self.deal_proposed = true;
            w.send(
                a.financier,
                Payload::Assets(AssetTx::ProposeFinancing {
                    asset: asset.id,
                    principal,
                    share_bps: cfg.financing_share_bps,
                    term_ms: 2 * YEAR_MS,
                }),
            )?;
        }
        Ok(())
    }

    /// Propose, vote and execute `vault_manager = keeper`.
    fn governance(&mut self, w: &mut World) -> Result<(), SimError> {
        let keeper = w.accounts.keeper;
        if !self.proposal_sent {
            self.proposal_sent = true;
            return w.send(
                keeper,
                Payload::Propose {
                    param: "vault_manager".into(),
                    value: keeper.to_string(),
                },
            );
        }
        let now = w.next_time();
        let view = governance::view(&w.state)?;
        let Some(p) = view
            .proposals
            .iter()
            .find(|p| p.proposal.param == "vault_manager" && p.proposal.proposer == keeper)
        else {
            return Ok(());
        };
        if !self.vote_sent {
            self.vote_sent = true;
            return w.send(
                keeper,
                Payload::Vote {
                    proposal: p.proposal.id,
                    support: true,
                },
            );
        }
        if !self.execute_sent && now >= p.proposal.executable_at {
            self.execute_sent = true;
            w.send(
                keeper,
                Payload::ExecuteProposal {
                    proposal: p.proposal.id,
                },
            )?;
        }
        Ok(())
    }
}
