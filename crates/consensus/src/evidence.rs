//! Double-sign evidence: simplex reports a validator's two conflicting notarize (or finalize)
//! votes for one view; [`EvidenceReporter`] encodes them with the ledger's [`DoubleSignEvidence`] (the
//! contract's encoding: tag byte 0 = `ConflictingNotarize`, 1 = `ConflictingFinalize`, then the
//! commonware-codec encoding with the ed25519 scheme and SHA-256 digests) and hands the bytes
//! to [`Chain::report_double_sign`], once per (signer, epoch, view, kind), while forwarding all
//! activity to the inner reporter (marshal's wrapper).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use commonware_actor::Feedback;
use commonware_consensus::{Reporter, simplex::types::Activity};
use commonware_cryptography::sha256::Digest;

use crate::app::Scheme;
use crate::chain::Chain;

/// Two conflicting votes by one validator in one view: the ledger's own evidence type, so the
/// bytes this reporter submits are exactly what `ReportDoubleSign` decodes.
pub use verity_ledger::validators::evidence::DoubleSign as DoubleSignEvidence;

/// Offences already reported: (signer index, epoch, view, kind).
type SeenOffences = BTreeSet<(u32, u64, u64, u8)>;

/// Forwards simplex activity to `inner` and reports conflicting votes to the chain.
#[derive(Clone, Debug)]
pub struct EvidenceReporter<R, C> {
    inner: R,
    chain: C,
    seen: Arc<Mutex<SeenOffences>>,
}

impl<R, C> EvidenceReporter<R, C> {
    /// Wrap `inner`.
    pub fn new(inner: R, chain: C) -> Self {
        Self {
            inner,
            chain,
            seen: Arc::default(),
        }
    }
}

impl<R, C> Reporter for EvidenceReporter<R, C>
where
    R: Reporter<Activity = Activity<Scheme, Digest>>,
    C: Chain,
{
    type Activity = Activity<Scheme, Digest>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        let evidence = match &activity {
            Activity::ConflictingNotarize(c) => Some(DoubleSignEvidence::Notarize(c.clone())),
            Activity::ConflictingFinalize(c) => Some(DoubleSignEvidence::Finalize(c.clone())),
            _ => None,
        };
        if let Some(e) = evidence {
            let kind = matches!(e, DoubleSignEvidence::Finalize(_)) as u8;
            let key = (e.signer(), e.epoch(), e.view(), kind);
            let fresh = self
                .seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key);
            if fresh {
                tracing::warn!(
                    signer = key.0,
                    epoch = key.1,
                    view = key.2,
                    "validator double-signed; reporting"
                );
                self.chain.report_double_sign(e.encode_evidence());
            }
        }
        self.inner.report(activity)
    }
}
