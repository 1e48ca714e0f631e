//! Finalized blocks into the ledger: marshal delivers every finalized [`ChainBlock`] in height
//! order (at least once); the finalizer filters its transactions with
//! [`executable_txs`], commits it through [`Chain::commit`] (the same `apply_block` the dev
//! sequencer uses) and only then acknowledges it, so marshal redelivers anything not durably
//! applied after a crash. A block at or below the chain's head is a redelivery and is only
//! acknowledged. After the last block of an epoch it reads the next epoch's validator set from
//! the state that block produced and tells the orchestrator to switch engines.

use commonware_actor::Feedback;
use commonware_consensus::{Reporter, marshal::Update};
use commonware_cryptography::{Digestible as _, ed25519, sha256::Digest};
use commonware_utils::{Acknowledgement as _, ordered::Set};
use futures::StreamExt as _;
use futures::channel::mpsc;
use tracing::{error, info};

use crate::block::ChainBlock;
use crate::chain::{Chain, executable_txs, next_input};
use crate::error::ConsensusError;

/// Marshal's reporter: hands updates to the finalizer task (never blocks marshal).
#[derive(Clone, Debug)]
pub struct FinalizerMailbox(pub(crate) mpsc::UnboundedSender<Update<ChainBlock>>);

impl Reporter for FinalizerMailbox {
    type Activity = Update<ChainBlock>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        match self.0.unbounded_send(activity) {
            Ok(()) => Feedback::Ok,
            Err(_) => Feedback::Closed,
        }
    }
}

/// The switch to a new epoch, sent when its boundary block is applied.
#[derive(Clone, Debug)]
pub struct EpochChange {
    /// The new epoch.
    pub epoch: u64,
    /// Its participants (sorted p2p keys).
    pub participants: Set<ed25519::PublicKey>,
    /// Digest of the last block of the previous epoch (the new engine's genesis payload).
    pub boundary: Digest,
}

/// The participant set of `epoch` as simplex takes it, from the ledger's validator set.
pub fn participants(
    state: &verity_ledger::State,
    epoch: u64,
) -> Result<Set<ed25519::PublicKey>, ConsensusError> {
    let set = verity_ledger::validators::validator_set(state, epoch)?;
    let mut keys = Vec::with_capacity(set.len());
    for v in &set {
        keys.push(verity_ledger::validators::public_key(&v.p2p_key)?);
    }
    let n = keys.len();
    let keys = Set::from_iter_dedup(keys);
    if keys.len() != n || n == 0 {
        return Err(ConsensusError::ValidatorSet {
            epoch,
            reason: format!("{n} entries, {} distinct keys", keys.len()),
        });
    }
    Ok(keys)
}

/// Run until marshal stops: apply finalized blocks, announce epoch changes.
pub(crate) async fn run<C: Chain>(
    chain: C,
    epoch_length: u64,
    mut updates: mpsc::UnboundedReceiver<Update<ChainBlock>>,
    epochs: mpsc::UnboundedSender<EpochChange>,
) {
    while let Some(update) = updates.next().await {
        let Update::Block(block, ack) = update else {
            continue;
        };
        let b = block.inner();
        let head = chain.head();
        if b.number() <= head.height {
            ack.acknowledge();
            continue;
        }
        if b.number() != head.height + 1 {
            error!(
                height = b.number(),
                head = head.height,
                "finalized block does not follow the chain's head; halting"
            );
            return;
        }
        let txs = chain.with_state(|s| executable_txs(s, b.txs()));
        let dropped = b.txs().len() - txs.len();
        let input = next_input(&head, b.timestamp(), txs);
        match chain.commit(input) {
            Ok(new) => {
                info!(
                    height = new.height,
                    root = %new.state_root,
                    dropped,
                    "finalized block applied"
                );
            }
            Err(e) => {
                // Not acknowledged: marshal stops, and redelivers after a restart.
                error!("{e}; halting");
                return;
            }
        }
        if b.number() % epoch_length == epoch_length - 1 {
            let next = b.number() / epoch_length + 1;
            match chain.with_state(|s| participants(s, next)) {
                Ok(participants) => {
                    let _ = epochs.unbounded_send(EpochChange {
                        epoch: next,
                        participants,
                        boundary: block.digest(),
                    });
                }
                Err(e) => {
                    error!("no validator set for epoch {next}: {e}; halting");
                    return;
                }
            }
        }
        ack.acknowledge();
    }
}
