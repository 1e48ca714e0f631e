//! Double-sign evidence: simplex reports a validator's two conflicting notarize (or finalize)
//! votes for one view; [`EvidenceReporter`] encodes them as [`DoubleSignEvidence`] (the
//! contract's encoding: tag byte 0 = `ConflictingNotarize`, 1 = `ConflictingFinalize`, then the
//! commonware-codec encoding with the ed25519 scheme and SHA-256 digests) and hands the bytes
//! to [`Chain::report_double_sign`], once per (signer, epoch, view, kind), while forwarding all
//! activity to the inner reporter (marshal's wrapper).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use bytes::BufMut;
use commonware_actor::Feedback;
use commonware_codec::{
    Decode as _, Encode, EncodeSize, Error as CodecError, Read, ReadExt as _, Write,
};
use commonware_consensus::{
    Epochable as _, Reporter, Viewable as _,
    simplex::types::{Activity, Attributable as _, ConflictingFinalize, ConflictingNotarize},
};
use commonware_cryptography::sha256::Digest;

use crate::app::Scheme;
use crate::chain::Chain;
use crate::error::ConsensusError;

/// Two conflicting votes by one validator in one view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DoubleSignEvidence {
    /// Two notarize votes for different proposals (tag 0).
    Notarize(ConflictingNotarize<Scheme, Digest>),
    /// Two finalize votes for different proposals (tag 1).
    Finalize(ConflictingFinalize<Scheme, Digest>),
}

impl DoubleSignEvidence {
    /// Epoch of the votes.
    pub fn epoch(&self) -> u64 {
        match self {
            Self::Notarize(c) => c.epoch().get(),
            Self::Finalize(c) => c.epoch().get(),
        }
    }

    /// View of the votes.
    pub fn view(&self) -> u64 {
        match self {
            Self::Notarize(c) => c.view().get(),
            Self::Finalize(c) => c.view().get(),
        }
    }

    /// Index of the signer in the epoch's participant set.
    pub fn signer(&self) -> u32 {
        match self {
            Self::Notarize(c) => c.signer().get(),
            Self::Finalize(c) => c.signer().get(),
        }
    }

    /// Decode (the whole input must be one piece of evidence).
    pub fn decode(bytes: &[u8]) -> Result<Self, ConsensusError> {
        Self::decode_cfg(bytes::Bytes::copy_from_slice(bytes), &())
            .map_err(|e| ConsensusError::Evidence(e.to_string()))
    }
}

impl Write for DoubleSignEvidence {
    fn write(&self, buf: &mut impl BufMut) {
        match self {
            Self::Notarize(c) => {
                buf.put_u8(0);
                c.write(buf);
            }
            Self::Finalize(c) => {
                buf.put_u8(1);
                c.write(buf);
            }
        }
    }
}

impl EncodeSize for DoubleSignEvidence {
    fn encode_size(&self) -> usize {
        1 + match self {
            Self::Notarize(c) => c.encode_size(),
            Self::Finalize(c) => c.encode_size(),
        }
    }
}

impl Read for DoubleSignEvidence {
    type Cfg = ();

    fn read_cfg(buf: &mut impl commonware_codec::Buf, _: &()) -> Result<Self, CodecError> {
        match u8::read(buf)? {
            0 => Ok(Self::Notarize(ConflictingNotarize::read(buf)?)),
            1 => Ok(Self::Finalize(ConflictingFinalize::read(buf)?)),
            t => Err(CodecError::InvalidEnum(t)),
        }
    }
}

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
                self.chain.report_double_sign(e.encode().to_vec());
            }
        }
        self.inner.report(activity)
    }
}
