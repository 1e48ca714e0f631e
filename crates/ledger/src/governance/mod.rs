//! The `governance` module: vote-escrow locks ([`ve`], Curve's `VotingEscrow` semantics) and
//! proposals that change allow-listed parameters ([`params`]).
//!
//! **Proposal lifecycle.** `Propose {param, value}` (the value is bound-checked at once; the
//! proposer needs ve power ≥ `proposal_threshold`) takes a **snapshot** one second before the
//! proposal's block time, so locks made in the same second cannot vote, and stores the total
//! ve power at the snapshot. `Vote {proposal, support}` counts the voter's ve power at the
//! snapshot (once per voter) until `voting_ends` = creation + `voting_period_ms`. A proposal
//! **passes** when yes + no ≥ ⌈total × quorum_bps / 10 000⌉ and yes > no. `ExecuteProposal`
//! (anyone) applies a passed proposal once the block time is ≥ `voting_ends + timelock_ms`.

#[cfg(test)]
mod oracle_tests;
pub mod params;
#[cfg(test)]
mod tests;
pub mod ve;

use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, State, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use verity_primitives::math::{Rounding, checked_add, mul_div};
use verity_primitives::{Address, Timestamp, TokenId, amount_str};

/// Longest parameter value accepted in a proposal, in bytes.
pub const MAX_VALUE_LEN: usize = 128;

/// The account holding all ve-locked tokens:
/// the last 20 bytes of keccak256("verity/module/governance").
pub fn governance_account() -> Address {
    crate::vault::module_address("verity/module/governance")
}

/// Governance settings in genesis (TOML `[governance]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GovGenesis {
    /// Symbol of the token locked for ve power.
    pub token: String,
    /// Voting period, ms.
    pub voting_period_ms: u64,
    /// Quorum, bps of total ve power at the snapshot.
    pub quorum_bps: u32,
    /// Delay after voting ends before execution, ms.
    pub timelock_ms: u64,
    /// ve power required to propose.
    #[serde(with = "amount_str")]
    pub proposal_threshold: u128,
}

impl Default for GovGenesis {
    fn default() -> Self {
        GovGenesis {
            token: "VTY".into(),
            voting_period_ms: 3 * 24 * 3600 * 1000,
            quorum_bps: 400,
            timelock_ms: 2 * 24 * 3600 * 1000,
            proposal_threshold: 1,
        }
    }
}

/// Stored governance configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovConfig {
    /// Locked token.
    pub token: TokenId,
    /// Voting period, ms.
    pub voting_period_ms: u64,
    /// Quorum, bps.
    pub quorum_bps: u32,
    /// Timelock, ms.
    pub timelock_ms: u64,
    /// ve power needed to propose.
    #[serde(with = "amount_str")]
    pub proposal_threshold: u128,
    /// Id of the next proposal.
    pub next_proposal: u64,
}

const K_CONFIG: &[u8] = &[keys::GOVERNANCE, 0x00];

impl GovConfig {
    fn encode(&self) -> Vec<u8> {
        let mut o = Vec::with_capacity(48);
        o.extend_from_slice(&self.token.0.to_be_bytes());
        o.extend_from_slice(&self.voting_period_ms.to_be_bytes());
        o.extend_from_slice(&self.quorum_bps.to_be_bytes());
        o.extend_from_slice(&self.timelock_ms.to_be_bytes());
        o.extend_from_slice(&self.proposal_threshold.to_be_bytes());
        o.extend_from_slice(&self.next_proposal.to_be_bytes());
        o
    }
    fn decode(v: &[u8]) -> Result<GovConfig, LedgerError> {
        let mut r = Reader::new(v, "governance config");
        let c = GovConfig {
            token: TokenId(r.u32()?),
            voting_period_ms: r.u64()?,
            quorum_bps: r.u32()?,
            timelock_ms: r.u64()?,
            proposal_threshold: r.u128()?,
            next_proposal: r.u64()?,
        };
        r.finish()?;
        Ok(c)
    }
}

/// The governance configuration.
pub fn config(s: &impl Store) -> Result<GovConfig, LedgerError> {
    s.get(K_CONFIG)
        .map(GovConfig::decode)
        .unwrap_or(Err(LedgerError::NotConfigured("governance")))
}

pub(crate) fn put_config(ex: &mut Exec<'_>, c: &GovConfig) {
    ex.put(K_CONFIG, Some(c.encode()));
}

/// Store the genesis configuration.
pub(crate) fn init_genesis(
    ex: &mut Exec<'_>,
    g: &GovGenesis,
    ids: &BTreeMap<String, TokenId>,
) -> Result<(), LedgerError> {
    let token = *ids.get(&g.token).ok_or_else(|| {
        LedgerError::Genesis(format!("governance: token {:?} is not defined", g.token))
    })?;
    if g.quorum_bps == 0 || g.quorum_bps > 10_000 {
        return Err(LedgerError::Genesis(format!(
            "governance: quorum_bps {} must be in 1..=10000",
            g.quorum_bps
        )));
    }
    put_config(
        ex,
        &GovConfig {
            token,
            voting_period_ms: g.voting_period_ms,
            quorum_bps: g.quorum_bps,
            timelock_ms: g.timelock_ms,
            proposal_threshold: g.proposal_threshold,
            next_proposal: 0,
        },
    );
    Ok(())
}

/// A proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Id.
    pub id: u64,
    /// Who proposed.
    pub proposer: Address,
    /// Parameter name.
    pub param: String,
    /// New value (decimal).
    pub value: String,
    /// Snapshot time, seconds.
    pub snapshot: u64,
    /// Total ve power at the snapshot.
    #[serde(with = "amount_str")]
    pub total_power: u128,
    /// Voting closes at this block time.
    pub voting_ends: Timestamp,
    /// Executable from this block time (if passed).
    pub executable_at: Timestamp,
    /// ve power for.
    #[serde(with = "amount_str")]
    pub yes: u128,
    /// ve power against.
    #[serde(with = "amount_str")]
    pub no: u128,
    /// Quorum in ve power (⌈total × quorum_bps / 10 000⌉).
    #[serde(with = "amount_str")]
    pub quorum: u128,
    /// Applied.
    pub executed: bool,
}

impl Proposal {
    /// Quorum reached and more yes than no.
    pub fn passed(&self) -> bool {
        self.total_power > 0
            && self.yes.saturating_add(self.no) >= self.quorum
            && self.yes > self.no
    }

    fn encode(&self) -> Vec<u8> {
        let mut o = Vec::with_capacity(160);
        o.extend_from_slice(&self.id.to_be_bytes());
        o.extend_from_slice(&self.proposer.0);
        keys::put_string(&mut o, &self.param);
        keys::put_string(&mut o, &self.value);
        o.extend_from_slice(&self.snapshot.to_be_bytes());
        o.extend_from_slice(&self.total_power.to_be_bytes());
        o.extend_from_slice(&self.voting_ends.0.to_be_bytes());
        o.extend_from_slice(&self.executable_at.0.to_be_bytes());
        o.extend_from_slice(&self.yes.to_be_bytes());
        o.extend_from_slice(&self.no.to_be_bytes());
        o.extend_from_slice(&self.quorum.to_be_bytes());
        o.push(u8::from(self.executed));
        o
    }
    fn decode(v: &[u8]) -> Result<Proposal, LedgerError> {
        let mut r = Reader::new(v, "proposal");
        let p = Proposal {
            id: r.u64()?,
            proposer: r.address()?,
            param: r.string()?,
            value: r.string()?,
            snapshot: r.u64()?,
            total_power: r.u128()?,
            voting_ends: Timestamp(r.u64()?),
            executable_at: Timestamp(r.u64()?),
            yes: r.u128()?,
            no: r.u128()?,
            quorum: r.u128()?,
            executed: r.u8()? != 0,
        };
        r.finish()?;
        Ok(p)
    }
}

fn k_proposal(id: u64) -> Vec<u8> {
    let mut k = vec![keys::GOVERNANCE, 0x10];
    k.extend_from_slice(&id.to_be_bytes());
    k
}
fn k_vote(id: u64, voter: &Address) -> Vec<u8> {
    let mut k = vec![keys::GOVERNANCE, 0x11];
    k.extend_from_slice(&id.to_be_bytes());
    k.extend_from_slice(&voter.0);
    k
}

/// Proposal `id`.
pub fn proposal(s: &impl Store, id: u64) -> Result<Proposal, LedgerError> {
    s.get(&k_proposal(id))
        .map(Proposal::decode)
        .unwrap_or_else(|| Err(LedgerError::Governance(format!("no proposal {id}"))))
}

fn put_proposal(ex: &mut Exec<'_>, p: &Proposal) {
    ex.put(&k_proposal(p.id), Some(p.encode()));
}

/// `Propose` handler.
pub(crate) fn propose(
    ex: &mut Exec<'_>,
    sender: &Address,
    param: &str,
    value: &str,
) -> Result<(), LedgerError> {
    if value.len() > MAX_VALUE_LEN {
        return Err(LedgerError::Governance(format!(
            "value longer than {MAX_VALUE_LEN} bytes"
        )));
    }
    params::validate_in(ex, param, value)?;
    let mut c = config(ex)?;
    let snapshot = ve::now_s(ex).saturating_sub(1);
    let power = ve::balance_at(ex, sender, snapshot)?;
    if power < c.proposal_threshold {
        return Err(LedgerError::Governance(format!(
            "proposer ve power {power} is below the threshold {}",
            c.proposal_threshold
        )));
    }
    let total_power = ve::supply_at(ex, snapshot)?;
    let quorum = mul_div(total_power, u128::from(c.quorum_bps), 10_000, Rounding::Up)?;
    let voting_ends = ex
        .now
        .checked_add_ms(c.voting_period_ms)
        .ok_or(verity_primitives::MathError::Overflow)?;
    let executable_at = voting_ends
        .checked_add_ms(c.timelock_ms)
        .ok_or(verity_primitives::MathError::Overflow)?;
    let id = c.next_proposal;
    c.next_proposal = id
        .checked_add(1)
        .ok_or(verity_primitives::MathError::Overflow)?;
    put_config(ex, &c);
    let p = Proposal {
        id,
        proposer: *sender,
        param: param.to_string(),
        value: value.to_string(),
        snapshot,
        total_power,
        voting_ends,
        executable_at,
        yes: 0,
        no: 0,
        quorum,
        executed: false,
    };
    put_proposal(ex, &p);
    ex.emit(Event::ProposalCreated {
        id,
        proposer: *sender,
        param: p.param,
        value: p.value,
        voting_ends,
        total_power,
    });
    Ok(())
}

/// `Vote` handler.
pub(crate) fn vote(
    ex: &mut Exec<'_>,
    sender: &Address,
    id: u64,
    support: bool,
) -> Result<(), LedgerError> {
    let mut p = proposal(ex, id)?;
    if ex.now >= p.voting_ends {
        return Err(LedgerError::Governance(format!(
            "voting on proposal {id} ended at {}",
            p.voting_ends.0
        )));
    }
    let vk = k_vote(id, sender);
    if ex.get(&vk).is_some() {
        return Err(LedgerError::Governance(format!(
            "{sender} already voted on proposal {id}"
        )));
    }
    let power = ve::balance_at(ex, sender, p.snapshot)?;
    if power == 0 {
        return Err(LedgerError::Governance(format!(
            "{sender} had no ve power at the snapshot of proposal {id}"
        )));
    }
    if support {
        p.yes = checked_add(p.yes, power)?;
    } else {
        p.no = checked_add(p.no, power)?;
    }
    ex.put(&vk, Some(power.to_be_bytes().to_vec()));
    put_proposal(ex, &p);
    ex.emit(Event::Voted {
        id,
        voter: *sender,
        support,
        power,
    });
    Ok(())
}

/// `ExecuteProposal` handler (anyone).
pub(crate) fn execute(ex: &mut Exec<'_>, id: u64) -> Result<(), LedgerError> {
    let mut p = proposal(ex, id)?;
    if p.executed {
        return Err(LedgerError::Governance(format!(
            "proposal {id} was already executed"
        )));
    }
    if ex.now < p.voting_ends {
        return Err(LedgerError::Governance(format!(
            "proposal {id} is still being voted on (until {})",
            p.voting_ends.0
        )));
    }
    if !p.passed() {
        return Err(LedgerError::Governance(format!(
            "proposal {id} did not pass: yes {} no {} quorum {}",
            p.yes, p.no, p.quorum
        )));
    }
    if ex.now < p.executable_at {
        return Err(LedgerError::Governance(format!(
            "proposal {id} is timelocked until {}",
            p.executable_at.0
        )));
    }
    params::apply(ex, &p.param, &p.value)?;
    p.executed = true;
    put_proposal(ex, &p);
    ex.emit(Event::ProposalExecuted {
        id,
        param: p.param,
        value: p.value,
    });
    Ok(())
}

/// A proposal with its status at the state's time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalView {
    /// The proposal.
    #[serde(flatten)]
    pub proposal: Proposal,
    /// `active`, `defeated`, `timelocked`, `executable` or `executed`.
    pub status: String,
}

/// Governance overview as `GET /v1/gov` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovView {
    /// Configuration.
    pub config: GovConfig,
    /// Total ve power now.
    #[serde(with = "amount_str")]
    pub total_power: u128,
    /// Total tokens locked.
    #[serde(with = "amount_str")]
    pub total_locked: u128,
    /// Governable parameters.
    pub params: Vec<String>,
    /// All proposals, newest first (at most 100).
    pub proposals: Vec<ProposalView>,
}

/// Status of `p` at `now`.
pub fn status(p: &Proposal, now: Timestamp) -> &'static str {
    if p.executed {
        "executed"
    } else if now < p.voting_ends {
        "active"
    } else if !p.passed() {
        "defeated"
    } else if now < p.executable_at {
        "timelocked"
    } else {
        "executable"
    }
}

/// The overview.
pub fn view(s: &State) -> Result<GovView, LedgerError> {
    let c = config(s)?;
    let now = s.time();
    let mut proposals = Vec::new();
    for id in (0..c.next_proposal).rev().take(100) {
        let p = proposal(s, id)?;
        proposals.push(ProposalView {
            status: status(&p, now).to_string(),
            proposal: p,
        });
    }
    Ok(GovView {
        total_power: ve::supply_at(s, now.0 / 1000)?,
        total_locked: s.balance(governance_account(), c.token),
        params: params::ALLOWED.iter().map(|s| s.to_string()).collect(),
        proposals,
        config: c,
    })
}

/// One account's lock and power as `GET /v1/gov/{address}` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VeView {
    /// Account.
    pub owner: Address,
    /// Its lock.
    pub lock: ve::Lock,
    /// ve power now.
    #[serde(with = "amount_str")]
    pub power: u128,
}

/// An account's lock and power now.
pub fn ve_view(s: &State, owner: Address) -> Result<VeView, LedgerError> {
    Ok(VeView {
        owner,
        lock: ve::locked(s, &owner)?,
        power: ve::balance_at(s, &owner, s.time().0 / 1000)?,
    })
}

/// The governance account holds at least Σ locked amounts.
pub(crate) fn check_invariants(state: &State) -> Result<(), LedgerError> {
    let Ok(c) = config(state) else {
        return Ok(());
    };
    let mut total = 0u128;
    for (k, v) in state.scan(keys::GOVERNANCE) {
        if k.len() == 22 && k[1] == 0x01 {
            let mut r = Reader::new(v, "ve lock");
            total = checked_add(total, r.u128()?)?;
        }
    }
    let held = state.balance(governance_account(), c.token);
    if held < total {
        return Err(LedgerError::Invariant(format!(
            "governance: holds {held} but locks total {total}"
        )));
    }
    Ok(())
}
