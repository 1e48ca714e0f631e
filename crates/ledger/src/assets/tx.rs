//! The assets module's transactions ([`AssetTx`], carried by `Payload::Assets`): JSON, EIP-712
//! primary types (one per variant, named like its JSON tag, first fields `address sender,
//! uint64 nonce` as every payload) and dispatch.

use super::{AssetSpec, ClaimKind};
use crate::error::LedgerError;
use crate::state::Exec;
use alloy_sol_types::SolStruct;
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, Hash, amount_str};

/// An assets/financing transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssetTx {
    /// Register a GPU asset; the sender becomes owner and operator.
    #[serde(rename = "RegisterAsset")]
    Register(AssetSpec),
    /// Transfer ownership (owner or approved).
    #[serde(rename = "TransferAsset")]
    Transfer {
        /// Asset id.
        asset: u64,
        /// New owner.
        to: Address,
    },
    /// Approve `spender` to transfer the asset (zero address clears).
    #[serde(rename = "ApproveAsset")]
    Approve {
        /// Asset id.
        asset: u64,
        /// Approved address.
        spender: Address,
    },
    /// Name a new operator (owner; no live deal).
    #[serde(rename = "SetAssetOperator")]
    SetOperator {
        /// Asset id.
        asset: u64,
        /// New operator.
        operator: Address,
    },
    /// Attest a claim about an asset (staked validators).
    #[serde(rename = "AttestAsset")]
    Attest {
        /// Asset id.
        asset: u64,
        /// The claim.
        claim: ClaimKind,
    },
    /// Refute a claim with evidence job `job`.
    #[serde(rename = "ChallengeAttestation")]
    Challenge {
        /// Asset id.
        asset: u64,
        /// Claim index.
        claim: u32,
        /// Evidence job.
        job: u64,
    },
    /// Bind the sender's asset to a job it bid on or won.
    #[serde(rename = "BindJobAsset")]
    BindJob {
        /// Job id.
        job: u64,
        /// Asset id.
        asset: u64,
    },
    /// Propose vault financing of an asset (its operator).
    #[serde(rename = "ProposeFinancing")]
    ProposeFinancing {
        /// Asset id.
        asset: u64,
        /// AID principal.
        #[serde(with = "amount_str")]
        principal: u128,
        /// Financier share of job revenue, bps.
        share_bps: u32,
        /// Term, ms.
        term_ms: u64,
    },
    /// Approve and fund a proposed deal (the vault manager).
    #[serde(rename = "ApproveFinancing")]
    ApproveFinancing {
        /// Deal id.
        deal: u64,
    },
    /// Repay principal (anyone).
    #[serde(rename = "RepayFinancing")]
    RepayFinancing {
        /// Deal id.
        deal: u64,
        /// AID.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Default a deal after its term (anyone).
    #[serde(rename = "DefaultFinancing")]
    DefaultFinancing {
        /// Deal id.
        deal: u64,
    },
}

/// EIP-712 struct definitions of [`AssetTx`].
pub mod eip712 {
    #![allow(missing_docs)]
    alloy_sol_types::sol! {
        struct RegisterAsset { address sender; uint64 nonce; string model; uint64 memory_mb; bytes32 serial_hash; string location; uint64 max_power_mw; uint64 embodied_gco2e; uint64 lifetime_hours; }
        struct TransferAsset { address sender; uint64 nonce; uint64 asset; address to; }
        struct ApproveAsset { address sender; uint64 nonce; uint64 asset; address spender; }
        struct SetAssetOperator { address sender; uint64 nonce; uint64 asset; address operator; }
        struct AttestAsset { address sender; uint64 nonce; uint64 asset; uint8 kind; uint64 job; }
        struct ChallengeAttestation { address sender; uint64 nonce; uint64 asset; uint32 claim; uint64 job; }
        struct BindJobAsset { address sender; uint64 nonce; uint64 job; uint64 asset; }
        struct ProposeFinancing { address sender; uint64 nonce; uint64 asset; uint128 principal; uint32 share_bps; uint64 term_ms; }
        struct ApproveFinancing { address sender; uint64 nonce; uint64 deal; }
        struct RepayFinancing { address sender; uint64 nonce; uint64 deal; uint128 amount; }
        struct DefaultFinancing { address sender; uint64 nonce; uint64 deal; }
    }
}

fn a(x: &Address) -> alloy_primitives::Address {
    alloy_primitives::Address::from(x.0)
}

fn b32(h: &Hash) -> alloy_primitives::FixedBytes<32> {
    h.0.into()
}

impl AssetTx {
    /// The EIP-712 primary type name (also the JSON tag).
    pub fn type_name(&self) -> &'static str {
        match self {
            AssetTx::Register(_) => "RegisterAsset",
            AssetTx::Transfer { .. } => "TransferAsset",
            AssetTx::Approve { .. } => "ApproveAsset",
            AssetTx::SetOperator { .. } => "SetAssetOperator",
            AssetTx::Attest { .. } => "AttestAsset",
            AssetTx::Challenge { .. } => "ChallengeAttestation",
            AssetTx::BindJob { .. } => "BindJobAsset",
            AssetTx::ProposeFinancing { .. } => "ProposeFinancing",
            AssetTx::ApproveFinancing { .. } => "ApproveFinancing",
            AssetTx::RepayFinancing { .. } => "RepayFinancing",
            AssetTx::DefaultFinancing { .. } => "DefaultFinancing",
        }
    }

    /// The EIP-712 struct hash with `sender` and `nonce`.
    pub fn struct_hash(&self, sender: &Address, nonce: u64) -> Hash {
        let sender = a(sender);
        let h = match self {
            AssetTx::Register(s) => eip712::RegisterAsset {
                sender,
                nonce,
                model: s.model.clone(),
                memory_mb: s.memory_mb,
                serial_hash: b32(&s.serial_hash),
                location: s.location.clone(),
                max_power_mw: s.max_power_mw,
                embodied_gco2e: s.embodied_gco2e,
                lifetime_hours: s.lifetime_hours,
            }
            .eip712_hash_struct(),
            AssetTx::Transfer { asset, to } => eip712::TransferAsset {
                sender,
                nonce,
                asset: *asset,
                to: a(to),
            }
            .eip712_hash_struct(),
            AssetTx::Approve { asset, spender } => eip712::ApproveAsset {
                sender,
                nonce,
                asset: *asset,
                spender: a(spender),
            }
            .eip712_hash_struct(),
            AssetTx::SetOperator { asset, operator } => eip712::SetAssetOperator {
                sender,
                nonce,
                asset: *asset,
                operator: a(operator),
            }
            .eip712_hash_struct(),
            AssetTx::Attest { asset, claim } => {
                let (kind, job) = claim.code();
                eip712::AttestAsset {
                    sender,
                    nonce,
                    asset: *asset,
                    kind,
                    job,
                }
                .eip712_hash_struct()
            }
            AssetTx::Challenge { asset, claim, job } => eip712::ChallengeAttestation {
                sender,
                nonce,
                asset: *asset,
                claim: *claim,
                job: *job,
            }
            .eip712_hash_struct(),
            AssetTx::BindJob { job, asset } => eip712::BindJobAsset {
                sender,
                nonce,
                job: *job,
                asset: *asset,
            }
            .eip712_hash_struct(),
            AssetTx::ProposeFinancing {
                asset,
                principal,
                share_bps,
                term_ms,
            } => eip712::ProposeFinancing {
                sender,
                nonce,
                asset: *asset,
                principal: *principal,
                share_bps: *share_bps,
                term_ms: *term_ms,
            }
            .eip712_hash_struct(),
            AssetTx::ApproveFinancing { deal } => eip712::ApproveFinancing {
                sender,
                nonce,
                deal: *deal,
            }
            .eip712_hash_struct(),
            AssetTx::RepayFinancing { deal, amount } => eip712::RepayFinancing {
                sender,
                nonce,
                deal: *deal,
                amount: *amount,
            }
            .eip712_hash_struct(),
            AssetTx::DefaultFinancing { deal } => eip712::DefaultFinancing {
                sender,
                nonce,
                deal: *deal,
            }
            .eip712_hash_struct(),
        };
        Hash(h.0)
    }

    /// Execute inside the transaction overlay.
    pub(crate) fn apply(&self, ex: &mut Exec<'_>, sender: &Address) -> Result<(), LedgerError> {
        match self {
            AssetTx::Register(spec) => super::register(ex, sender, spec),
            AssetTx::Transfer { asset, to } => super::transfer(ex, sender, *asset, to),
            AssetTx::Approve { asset, spender } => super::approve(ex, sender, *asset, spender),
            AssetTx::SetOperator { asset, operator } => {
                super::set_operator(ex, sender, *asset, operator)
            }
            AssetTx::Attest { asset, claim } => super::attest::attest(ex, sender, *asset, *claim),
            AssetTx::Challenge { asset, claim, job } => {
                super::attest::challenge(ex, sender, *asset, *claim, *job)
            }
            AssetTx::BindJob { job, asset } => super::bind_job(ex, sender, *job, *asset),
            AssetTx::ProposeFinancing {
                asset,
                principal,
                share_bps,
                term_ms,
            } => super::finance::propose(ex, sender, *asset, *principal, *share_bps, *term_ms),
            AssetTx::ApproveFinancing { deal } => {
                super::finance::approve_by_manager(ex, sender, *deal)
            }
            AssetTx::RepayFinancing { deal, amount } => {
                super::finance::repay(ex, sender, *deal, *amount)
            }
            AssetTx::DefaultFinancing { deal } => super::finance::default(ex, *deal),
        }
    }
}
