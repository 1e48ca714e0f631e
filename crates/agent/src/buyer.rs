//! The buyer side (`verity job submit`, the devnet buyer): upload a job's spec and data to the
//! node's content store, then post the job with escrow. The spec is parsed first so a bad spec
//! fails here, not on every provider.

use verity_api::ApiClient;
use verity_ledger::market::JobTerms;
use verity_ledger::{Event, Payload, SecretKey, TokenId};
use verity_ree::spec::JobSpec;

use crate::AgentError;
use crate::chain::Link;

/// What the buyer offers for a job (everything of [`JobTerms`] but the content hashes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobOffer {
    /// Payment token.
    pub token: TokenId,
    /// Most the buyer pays.
    pub max_price: u128,
    /// Escrow deposited now (≥ max price).
    pub escrow: u128,
    /// Required device class (`cpu`).
    pub device_class: String,
    /// Least cores.
    pub min_cores: u32,
    /// Least memory, MiB.
    pub min_memory_mb: u64,
    /// Spot-check probability, bps.
    pub spot_check_bps: u32,
    /// Challenge window after the commit, ms.
    pub challenge_window_ms: u64,
    /// Bid window after posting, ms.
    pub bid_window_ms: u64,
    /// Commit deadline after posting, ms.
    pub deadline_ms: u64,
}

impl JobOffer {
    /// An offer paying up to `max_price` of `token` with escrow = max price, a cpu with 1 core
    /// and 256 MiB, spot-check 10%, bid window 2 s, challenge window 10 s, deadline 5 min.
    pub fn new(token: TokenId, max_price: u128) -> JobOffer {
        JobOffer {
            token,
            max_price,
            escrow: max_price,
            device_class: "cpu".into(),
            min_cores: 1,
            min_memory_mb: 256,
            spot_check_bps: 1_000,
            challenge_window_ms: 10_000,
            bid_window_ms: 2_000,
            deadline_ms: 300_000,
        }
    }
}

/// Upload `spec` and `data` (in order; a `ree` job reads the first) and send `PostJob` signed
/// by `key`; returns the new job's id.
pub fn submit_job(
    client: &ApiClient,
    key: &SecretKey,
    spec: &[u8],
    data: &[Vec<u8>],
    offer: &JobOffer,
) -> Result<u64, AgentError> {
    let text = std::str::from_utf8(spec)
        .map_err(|_| AgentError::Config("the job spec is not UTF-8 TOML".into()))?;
    JobSpec::from_toml(text).map_err(|e| AgentError::Config(format!("the job spec: {e}")))?;
    if data.is_empty() {
        return Err(AgentError::Config(
            "a job needs its data file (the spec's [data] path is replaced by it)".into(),
        ));
    }
    let spec_hash = client.put_blob(spec)?;
    let mut data_hashes = Vec::with_capacity(data.len());
    for d in data {
        data_hashes.push(client.put_blob(d)?);
    }
    let terms = JobTerms {
        spec_hash,
        data_hashes,
        token: offer.token,
        max_price: offer.max_price,
        escrow: offer.escrow,
        device_class: offer.device_class.clone(),
        min_cores: offer.min_cores,
        min_memory_mb: offer.min_memory_mb,
        spot_check_bps: offer.spot_check_bps,
        challenge_window_ms: offer.challenge_window_ms,
        bid_window_ms: offer.bid_window_ms,
        deadline_ms: offer.deadline_ms,
    };
    let link = Link::new(client.base_url(), *key);
    let r = link.send("PostJob", Payload::PostJob(terms))?;
    r.events
        .iter()
        .find_map(|e| match e {
            Event::JobPosted { job, .. } => Some(*job),
            _ => None,
        })
        .ok_or_else(|| AgentError::TxFailed {
            what: "PostJob".into(),
            error: "the receipt has no JobPosted event".into(),
        })
}
