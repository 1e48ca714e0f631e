//! Who orders blocks: the single-node dev sequencer (the default) and a BFT engine for many
//! validators on Commonware's simplex consensus with marshal, both feeding the same pure
//! `verity_ledger::apply_block` through [`Chain::commit`].
//!
//! # Pieces
//!
//! - [`Sequencer`] — the trait both producers implement; [`DevSequencer`] is the single-node
//!   policy (seal every `block_time`, or at once when a full block is ready).
//! - [`Chain`] — what a producer needs from the node (applied state, mempool selection,
//!   execute-and-commit, double-sign reports). [`LedgerChain`] implements it over the real
//!   ledger and store; the node implements it over its core.
//! - [`run_validator`] — one BFT validator: simplex (ed25519 scheme, namespace
//!   `verity_ledger::validators::CONSENSUS_NAMESPACE`) + marshal (finalized blocks in order,
//!   backfill for a node that was down), written against Commonware's runtime traits only
//!   (`Spawner`, `Clock`, `Storage`, `Metrics`, p2p `Sender`/`Receiver`), so the same code runs
//!   on tokio in the node and in the deterministic simulator in tests.
//! - [`channels`] — the p2p channel ids the engine uses.
//!
//! # State roots: execute after finalize
//!
//! Consensus agrees on [`ChainBlock`]s (transactions, parent digest, height, timestamp) and every
//! validator executes a block only once it is finalized, in height order, with the same
//! `apply_block`, then commits it durably before acknowledging it to marshal. Same genesis +
//! same finalized blocks ⇒ same state roots. To make divergence visible (and refuse to build on
//! it), each block also commits to the post-state root of a *finalized* ancestor — the newest one
//! its proposer had applied, never older than its parent's commitment. A validator votes for a
//! block only if that root equals the root it computed at that height (waiting until it has
//! applied it, which it will: the height is finalized).
//!
//! Why not speculative execution on a forked state: it needs a copy of the whole state per
//! unfinalized branch (the ledger state is one in-memory tree) and undo on a fork; and
//! committing to the *parent's* post-state would make a proposal wait for the parent's
//! finalization, which simplex may only reach through a descendant — a liveness trap. Execution
//! after finalization keeps the ledger untouched and still detects a divergent validator one
//! block later. A block may repeat a transaction an in-flight ancestor already carries (its
//! proposer did not see that ancestor yet): at execution every validator drops the same
//! non-executable transactions ([`executable_txs`]: wrong chain id or nonce), so blocks stay valid.
//!
//! # Epochs
//!
//! Epoch `e` covers heights `[e·L, (e+1)·L)` (`L` = genesis `consensus.epoch_length`, which the
//! ledger and Commonware's `FixedEpocher` read the same way). The ledger fixes the validator set
//! of epoch `e+1` while applying the last block of epoch `e`; when the finalizer has applied that
//! block, the engine starts a new simplex instance for `e+1` over that set, whose genesis is the
//! boundary block (marshal's `Inline` re-proposes the boundary block in the old epoch instead of
//! building past it). So a bond or a p2p registration takes effect at the next epoch boundary and
//! never inside an epoch.
//!
//! # Double signing
//!
//! Simplex reports conflicting notarize/finalize votes; [`EvidenceReporter`] encodes them as
//! [`DoubleSignEvidence`] and hands them to [`Chain::report_double_sign`], which puts a
//! `ReportDoubleSign` transaction into the local mempool. The ledger verifies and slashes once
//! per (signer, epoch, view).
//!
//! # Example: what the node calls
//!
//! ```no_run
//! use verity_consensus::{
//!     ConsensusChannels, LedgerChain, ValidatorConfig, channels, run_validator,
//! };
//! # async fn example<E, S, R, P, B>(
//! #     context: E, oracle_peers: P, blocker: B, mut register: impl FnMut(u64) -> (S, R),
//! #     chain: LedgerChain, key: commonware_cryptography::ed25519::PrivateKey,
//! # ) -> Result<(), verity_consensus::ConsensusError>
//! # where
//! #     E: commonware_runtime::Clock + rand_core::CryptoRng + commonware_runtime::Spawner
//! #         + commonware_runtime::Storage + commonware_runtime::Metrics,
//! #     S: commonware_p2p::Sender<PublicKey = commonware_cryptography::ed25519::PublicKey>,
//! #     R: commonware_p2p::Receiver<PublicKey = commonware_cryptography::ed25519::PublicKey>,
//! #     P: commonware_p2p::Provider<PublicKey = commonware_cryptography::ed25519::PublicKey>,
//! #     B: commonware_p2p::Blocker<PublicKey = commonware_cryptography::ed25519::PublicKey>,
//! # {
//! // One authenticated network per node; register the consensus channels on it.
//! let channels = ConsensusChannels {
//!     votes: register(channels::VOTES),
//!     certificates: register(channels::CERTIFICATES),
//!     resolver: register(channels::RESOLVER),
//!     broadcast: register(channels::BROADCAST),
//!     backfill: register(channels::BACKFILL),
//! };
//! // `chain` is anything implementing `Chain` (the node: its core behind its lock).
//! let config = ValidatorConfig::new(key, "validator");
//! run_validator(context, config, channels, chain, oracle_peers, blocker).await
//! # }
//! ```

pub mod app;
pub mod block;
pub mod chain;
pub mod channels;
pub mod engine;
mod error;
pub mod evidence;
pub mod finalizer;
pub mod sequencer;

pub use app::{App, AppConfig, Scheme};
pub use block::{BlockLimits, ChainBlock};
pub use chain::{Chain, ChainHead, InFlight, LedgerChain, executable_txs, next_input};
pub use engine::{
    ConsensusChannels, EpochSchemes, ValidatorConfig, genesis_block, max_message_size,
    run_validator,
};
pub use error::ConsensusError;
pub use evidence::{DoubleSignEvidence, EvidenceReporter};
pub use sequencer::{DevSequencer, Produced, Sequencer};
