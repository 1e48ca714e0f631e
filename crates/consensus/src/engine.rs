//! The BFT validator: Commonware simplex (ed25519, [`CONSENSUS_NAMESPACE`]) for agreement,
//! marshal for ordered finalized-block delivery and backfill, one simplex engine per epoch.
//!
//! [`run_validator`] wires, on any runtime implementing Commonware's traits (the tokio runtime
//! in the node, the deterministic one in tests):
//!
//! - the broadcast buffer (channel [`channels::BROADCAST`]) and marshal's resolver
//!   ([`channels::BACKFILL`]); marshal's archives under `partition_prefix`;
//! - marshal's `Inline` wrapper around [`App`] as simplex's automaton and relay, and
//!   [`EvidenceReporter`] around it as simplex's reporter;
//! - the finalizer task ([`crate::finalizer`]) applying finalized blocks to the [`Chain`];
//! - the epoch loop: the three simplex channels are multiplexed by epoch; for epoch `e` it
//!   builds the scheme from the ledger's validator set of `e`, registers it with marshal's
//!   provider and starts a simplex engine whose genesis is the last block of epoch `e−1` (the
//!   chain's genesis anchor for epoch 0); when the finalizer applies that epoch's last block it
//!   stops the engine and starts the next.

use std::collections::BTreeMap;
use std::num::{NonZeroU16, NonZeroU64, NonZeroUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use commonware_broadcast::buffered;
use commonware_consensus::{
    marshal::{
        self,
        core::Actor as MarshalActor,
        resolver::p2p as marshal_resolver,
        standard::{Inline, Standard},
    },
    simplex::{self, elector::RoundRobin},
    types::{Epoch, FixedEpocher, ViewDelta},
};
use commonware_cryptography::{
    Digested, Digestible as _, Signer as _,
    certificate::{Provider, Scoped, Verifier as _},
    ed25519,
    sha256::{Digest, Sha256},
};
use commonware_p2p::{Blocker, Receiver, Sender, utils::mux::Muxer};
use commonware_parallel::Sequential;
use commonware_runtime::{Clock, Metrics, Spawner, Storage, buffer::paged::CacheRef};
use commonware_storage::archive::immutable;
use commonware_utils::{NZDuration, ordered::Set};
use futures::StreamExt as _;
use futures::channel::mpsc;
use rand_core::CryptoRng;
use tracing::{info, warn};
use verity_ledger::validators::CONSENSUS_NAMESPACE;

use crate::app::{App, AppConfig, Scheme};
use crate::block::{BlockLimits, ChainBlock};
use crate::chain::Chain;

use crate::error::ConsensusError;
use crate::evidence::EvidenceReporter;
use crate::finalizer::{self, EpochChange, FinalizerMailbox};

/// How one validator runs.
#[derive(Clone, Debug)]
pub struct ValidatorConfig {
    /// The validator's ed25519 key: its p2p identity and its consensus signing key.
    pub signer: ed25519::PrivateKey,
    /// Prefix of every storage partition (marshal archives, simplex journals).
    pub partition_prefix: String,
    /// Proposing and verifying.
    pub app: AppConfig,
    /// A leader that has not proposed by then is skipped.
    pub leader_timeout: Duration,
    /// A notarized proposal not certified by then is skipped.
    pub certification_timeout: Duration,
    /// How often a stuck view's nullify vote is re-sent.
    pub timeout_retry: Duration,
    /// Fetch timeout of simplex's and marshal's resolvers.
    pub fetch_timeout: Duration,
    /// Actor mailbox sizes.
    pub mailbox_size: usize,
}

impl ValidatorConfig {
    /// Defaults for a LAN/loopback network.
    pub fn new(signer: ed25519::PrivateKey, partition_prefix: impl Into<String>) -> Self {
        Self {
            signer,
            partition_prefix: partition_prefix.into(),
            app: AppConfig::default(),
            leader_timeout: Duration::from_secs(1),
            certification_timeout: Duration::from_secs(2),
            timeout_retry: Duration::from_secs(5),
            fetch_timeout: Duration::from_secs(1),
            mailbox_size: 1024,
        }
    }
}

/// The (sender, receiver) pairs of the consensus channels ([`crate::channels`]).
#[derive(Debug)]
pub struct ConsensusChannels<S, R> {
    /// [`channels::VOTES`].
    pub votes: (S, R),
    /// [`channels::CERTIFICATES`].
    pub certificates: (S, R),
    /// [`channels::RESOLVER`].
    pub resolver: (S, R),
    /// [`channels::BROADCAST`].
    pub broadcast: (S, R),
    /// [`channels::BACKFILL`].
    pub backfill: (S, R),
}

/// The largest message a consensus channel carries with `participants` validators and block
/// bounds `limits`: give the p2p network at least this `max_message_size`.
pub fn max_message_size(participants: u32, limits: &BlockLimits) -> usize {
    marshal::max_payload_size::<Standard<ChainBlock>, Scheme>(participants, limits)
}

/// Epoch → (its scheme, the flag stored beside it), keyed by epoch number.
type SchemeTable = BTreeMap<u64, (Arc<Scheme>, bool)>;

/// Epoch → scheme, shared by marshal (to check certificates) and the epoch loop.
#[derive(Clone, Debug, Default)]
pub struct EpochSchemes {
    inner: Arc<Mutex<SchemeTable>>,
}

impl EpochSchemes {
    /// Register the scheme of `epoch`; `signer` when this node signs in it.
    pub fn register(&self, epoch: u64, scheme: Scheme, signer: bool) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(epoch, (Arc::new(scheme), signer));
    }
}

impl Provider for EpochSchemes {
    type Scope = Epoch;
    type Scheme = Scheme;

    fn scoped(&self, scope: Epoch) -> Option<Scoped<Scheme>> {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&scope.get()).map(|(s, signer)| {
            if *signer {
                Scoped::scheme(s.clone())
            } else {
                Scoped::verifier(s.clone())
            }
        })
    }
}

/// A head that has not moved for this long asks peers for its epoch's last finalized block.
const CATCH_UP_AFTER: Duration = Duration::from_secs(2);
const PAGE_SIZE: NonZeroU16 = NonZeroU16::new(1024).expect("non-zero");
const PAGE_CACHE: NonZeroUsize = NonZeroUsize::new(64).expect("non-zero");
const WRITE_BUFFER: NonZeroUsize = NonZeroUsize::new(1024 * 1024).expect("non-zero");
const ITEMS_PER_SECTION: NonZeroU64 = NonZeroU64::new(256).expect("non-zero");

fn archive_config<C>(prefix: &str, name: &str, page: &CacheRef, codec: C) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{prefix}-{name}-metadata"),
        freezer_table_partition: format!("{prefix}-{name}-freezer-table"),
        freezer_table_initial_size: 64,
        freezer_table_resize_frequency: 10,
        freezer_table_resize_chunk_size: 10,
        freezer_key_partition: format!("{prefix}-{name}-freezer-key"),
        freezer_key_page_cache: page.clone(),
        freezer_value_partition: format!("{prefix}-{name}-freezer-value"),
        freezer_value_target_size: 1024 * 1024,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-{name}-ordinal"),
        items_per_section: ITEMS_PER_SECTION,
        codec_config: codec,
        replay_buffer: WRITE_BUFFER,
        freezer_key_write_buffer: WRITE_BUFFER,
        freezer_value_write_buffer: WRITE_BUFFER,
        ordinal_write_buffer: WRITE_BUFFER,
    }
}

/// The scheme of one epoch for this node (a signer when it is in the set).
fn epoch_scheme(me: &ed25519::PrivateKey, participants: Set<ed25519::PublicKey>) -> (Scheme, bool) {
    match Scheme::signer(CONSENSUS_NAMESPACE, participants.clone(), me.clone()) {
        Some(s) => (s, true),
        None => (Scheme::verifier(CONSENSUS_NAMESPACE, participants), false),
    }
}

/// Run a validator until its context stops (or the chain halts). See the module doc.
#[allow(clippy::too_many_arguments)]
pub async fn run_validator<E, C, S, R, P, B>(
    context: E,
    config: ValidatorConfig,
    channels: ConsensusChannels<S, R>,
    chain: C,
    peers: P,
    blocker: B,
) -> Result<(), ConsensusError>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    C: Chain,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
    P: commonware_p2p::Provider<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
{
    let me = config.signer.public_key();
    let prefix = config.partition_prefix.clone();
    let mailbox = NonZeroUsize::new(config.mailbox_size.max(1)).expect("max(1) is non-zero");
    let limits = config.app.limits;
    let page = CacheRef::new(PAGE_SIZE, PAGE_CACHE);
    let fetch_timeout = commonware_utils::NonZeroDuration::new(config.fetch_timeout)
        .unwrap_or(NZDuration!(Duration::from_secs(1)));

    let head = chain.head();
    let epoch_length = chain
        .with_state(|s| verity_ledger::validators::consensus_params(s).map(|p| p.epoch_length))?;
    if epoch_length < 2 {
        return Err(ConsensusError::Config(format!(
            "consensus.epoch_length must be at least 2 blocks for the BFT engine (is {epoch_length})"
        )));
    }
    let genesis = genesis_block(&chain)?;
    let epocher = FixedEpocher::new(NonZeroU64::new(epoch_length).expect("checked above"));
    let start_epoch = (head.height + 1) / epoch_length;
    let schemes = EpochSchemes::default();
    let start_set = chain.with_state(|s| finalizer::participants(s, start_epoch))?;
    let (scheme, signer) = epoch_scheme(&config.signer, start_set);
    schemes.register(start_epoch, scheme, signer);

    // Marshal: resolver, broadcast buffer, archives, actor.
    let resolver = marshal_resolver::init(
        context.child("marshal_resolver"),
        marshal_resolver::Config {
            public_key: me.clone(),
            peer_provider: peers.clone(),
            blocker: blocker.clone(),
            mailbox_size: mailbox,
            fetch_timeout,
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        channels.backfill,
    );
    let (broadcast_engine, buffer) = buffered::Engine::new(
        context.child("broadcast"),
        buffered::Config {
            public_key: me.clone(),
            mailbox_size: mailbox,
            deque_size: 16,
            priority: false,
            codec_config: limits,
            peer_provider: peers.clone(),
            strategy: Sequential,
        },
    );
    broadcast_engine.start(channels.broadcast);
    let finalizations = immutable::Archive::init(
        context.child("finalizations_by_height"),
        archive_config(
            &prefix,
            "finalizations",
            &page,
            Scheme::certificate_codec_config_unbounded(),
        ),
    )
    .await
    .map_err(|e| ConsensusError::Config(format!("opening the finalizations archive: {e}")))?;
    let blocks = immutable::Archive::init(
        context.child("finalized_blocks"),
        archive_config(&prefix, "blocks", &page, limits),
    )
    .await
    .map_err(|e| ConsensusError::Config(format!("opening the blocks archive: {e}")))?;
    let (actor, marshal, _floor) = MarshalActor::init(
        context.child("marshal"),
        finalizations,
        blocks,
        marshal::Config {
            provider: schemes.clone(),
            epocher: epocher.clone(),
            start: marshal::Start::Genesis(genesis.clone()),
            partition_prefix: format!("{prefix}-marshal"),
            mailbox_size: mailbox,
            view_retention: ViewDelta::new(10),
            prunable_items_per_section: NonZeroU64::new(10).expect("non-zero"),
            page_cache: page.clone(),
            replay_buffer: WRITE_BUFFER,
            key_write_buffer: WRITE_BUFFER,
            value_write_buffer: WRITE_BUFFER,
            block_codec_config: limits,
            max_repair: NonZeroUsize::new(16).expect("non-zero"),
            max_pending_acks: NonZeroUsize::new(16).expect("non-zero"),
            strategy: Sequential,
        },
    )
    .await;
    let (updates_tx, updates_rx) = mpsc::unbounded();
    actor.start(FinalizerMailbox(updates_tx), buffer, resolver);

    // Catch-up across epoch boundaries: simplex only carries the current epoch's messages, so a
    // validator that was down while its epoch ended hears nothing that would make marshal
    // backfill the rest of that epoch. When its head stalls it asks the epoch's validators for
    // the finalized last block of its epoch (verifiable with the scheme it has); marshal fetches
    // it and its missing ancestors, the finalizer applies them, the epoch changes, and so on.
    {
        let marshal = marshal.clone();
        let chain = chain.clone();
        let me = me.clone();
        context.child("catch_up").spawn(move |ctx| async move {
            let mut last = chain.head().height;
            loop {
                ctx.sleep(CATCH_UP_AFTER).await;
                let head = chain.head().height;
                if head != last {
                    last = head;
                    continue;
                }
                let epoch = (head + 1) / epoch_length;
                let boundary = (epoch + 1) * epoch_length - 1;
                let Ok(set) = chain.with_state(|s| finalizer::participants(s, epoch)) else {
                    continue;
                };
                let targets: Vec<ed25519::PublicKey> =
                    set.iter().filter(|p| **p != me).cloned().collect();
                if let Ok(targets) = commonware_utils::vec::NonEmptyVec::try_from(targets) {
                    marshal.hint_finalized(
                        commonware_consensus::types::Height::new(boundary),
                        targets,
                    );
                }
            }
        });
    }

    let (epochs_tx, mut epochs_rx) = mpsc::unbounded();
    let fin_chain = chain.clone();
    context
        .child("finalizer")
        .spawn(move |_| finalizer::run(fin_chain, epoch_length, updates_rx, epochs_tx));

    let app = Inline::new(
        context.child("inline"),
        App::new(chain.clone(), config.app),
        marshal.clone(),
        epocher.clone(),
    );
    let reporter = EvidenceReporter::new(app.clone(), chain.clone());

    let (mux, mut votes) = Muxer::new(
        context.child("vote_mux"),
        channels.votes.0,
        channels.votes.1,
    );
    mux.start();
    let (mux, mut certs) = Muxer::new(
        context.child("cert_mux"),
        channels.certificates.0,
        channels.certificates.1,
    );
    mux.start();
    let (mux, mut res) = Muxer::new(
        context.child("resolver_mux"),
        channels.resolver.0,
        channels.resolver.1,
    );
    mux.start();

    // The genesis payload of the start epoch: the chain's anchor, or the previous boundary.
    let mut floor_digest = if start_epoch == 0 {
        genesis.digest()
    } else {
        let boundary = start_epoch * epoch_length - 1;
        match marshal
            .get_block(commonware_consensus::types::Height::new(boundary))
            .await
        {
            Some(b) => b.digest(),
            None => {
                return Err(ConsensusError::Config(format!(
                    "the boundary block {boundary} of epoch {} is not in marshal's archive",
                    start_epoch - 1
                )));
            }
        }
    };
    let mut epoch = start_epoch;
    loop {
        let scheme = schemes
            .scoped(Epoch::new(epoch))
            .and_then(Scoped::into_scheme)
            .map(|s| s.as_ref().clone())
            .or_else(|| {
                // A verify-only epoch: this node observes (it is not in the set).
                let map = schemes.inner.lock().unwrap_or_else(|e| e.into_inner());
                map.get(&epoch).map(|(s, _)| s.as_ref().clone())
            })
            .ok_or_else(|| ConsensusError::Config(format!("no scheme for epoch {epoch}")))?;
        let engine = simplex::Engine::new(
            context.child("simplex").with_attribute("epoch", epoch),
            simplex::Config {
                scheme,
                elector: RoundRobin::<Sha256>::default(),
                blocker: blocker.clone(),
                automaton: app.clone(),
                relay: app.clone(),
                reporter: reporter.clone(),
                strategy: Sequential,
                partition: format!("{prefix}-simplex-{epoch}"),
                mailbox_size: mailbox,
                epoch: Epoch::new(epoch),
                floor: simplex::Floor::Genesis(floor_digest),
                replay_buffer: WRITE_BUFFER,
                write_buffer: WRITE_BUFFER,
                page_cache: page.clone(),
                leader_timeout: config.leader_timeout,
                certification_timeout: config.certification_timeout,
                timeout_retry: config.timeout_retry,
                view_retention: ViewDelta::new(10),
                skip: simplex::SkipPolicy::Disabled,
                fetch_timeout,
                fetch_retry_delay: Duration::from_millis(100),
                forward: simplex::ForwardPolicy::Disabled,
                track_historical_votes: true,
            },
        );
        let (Ok(v), Ok(c), Ok(r)) = (
            votes.register(epoch).await,
            certs.register(epoch).await,
            res.register(epoch).await,
        ) else {
            return Err(ConsensusError::Config(format!(
                "the consensus channels closed before epoch {epoch}"
            )));
        };
        let handle = engine.start(v, c, r);
        info!(epoch, "entered epoch");
        let Some(change) = epochs_rx.next().await else {
            handle.abort();
            warn!("finalizer stopped; validator halts");
            return Ok(());
        };
        let EpochChange {
            epoch: next,
            participants,
            boundary,
        } = change;
        let (scheme, signer) = epoch_scheme(&config.signer, participants);
        schemes.register(next, scheme, signer);
        handle.abort();
        epoch = next;
        floor_digest = boundary;
    }
}

/// The height-0 block every validator of this chain starts from.
pub fn genesis_block<C: Chain>(chain: &C) -> Result<Digested<ChainBlock>, ConsensusError> {
    let g = chain.genesis();
    let block = ChainBlock::genesis(g.block_hash, g.timestamp, g.state_root);
    let digest = block.digest();
    Ok(Digested::precomputed(block, digest))
}

/// A digest for logs.
pub fn short(d: &Digest) -> String {
    d.to_string().chars().take(12).collect()
}
