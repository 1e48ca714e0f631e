//! The agent's link to its node: an [`verity_api::ApiClient`] plus the signing key. Signs a
//! payload for the node's chain id and the account's next nonce, submits it, and waits for the
//! durable receipt (one transaction in flight per agent, so the account nonce is always right).
//! Also the backoff used when the node is down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use verity_api::{ApiClient, TxState};
use verity_ledger::{
    Address, Payload, Receipt, SecretKey, SignedTransaction, Transaction, TxStatus,
};

use crate::AgentError;

/// How long to wait for a receipt before giving up (the loop retries later).
pub const RECEIPT_WAIT: Duration = Duration::from_secs(30);

/// A node client that signs as one account.
#[derive(Clone, Debug)]
pub struct Link {
    client: ApiClient,
    key: SecretKey,
    address: Address,
}

impl Link {
    /// A link to the node at `url` signing with `key`.
    pub fn new(url: &str, key: SecretKey) -> Link {
        Link {
            client: ApiClient::new(url),
            address: verity_ledger::address_of(&key),
            key,
        }
    }

    /// The API client.
    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    /// The signing account.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Sign and submit `payload`, wait for its receipt; a failed payload is
    /// [`AgentError::TxFailed`] naming `what`.
    pub fn send(&self, what: &str, payload: Payload) -> Result<Receipt, AgentError> {
        let r = self.send_receipt(payload)?;
        match &r.status {
            TxStatus::Success => Ok(r),
            TxStatus::Failed { error } => Err(AgentError::TxFailed {
                what: what.to_string(),
                error: error.clone(),
            }),
        }
    }

    /// Sign and submit `payload` and return its receipt, successful or not.
    pub fn send_receipt(&self, payload: Payload) -> Result<Receipt, AgentError> {
        let what = payload.type_name().to_string();
        let chain_id = self.client.status()?.chain_id;
        let nonce = self.client.account(&self.address)?.nonce;
        let tx = Transaction {
            chain_id,
            sender: self.address,
            nonce,
            payload,
        };
        let signed = SignedTransaction::sign(tx, &self.key);
        let hash = self.client.submit_tx(&signed)?;
        let start = Instant::now();
        loop {
            let left = RECEIPT_WAIT.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(AgentError::NoReceipt {
                    what,
                    secs: RECEIPT_WAIT.as_secs(),
                });
            }
            let r = self
                .client
                .tx(&hash, Some(left.min(Duration::from_secs(5))))?;
            match (r.status, r.receipt) {
                (TxState::Committed, Some(receipt)) => return Ok(receipt),
                (TxState::Unknown, _) => {
                    return Err(AgentError::TxFailed {
                        what,
                        error: format!("the node no longer knows transaction {hash}"),
                    });
                }
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// The ledger's idea of "now" for deciding whether a window has passed: the later of the
    /// last block's timestamp and this machine's clock (the next block's time is at least
    /// both, since blocks are only made when transactions arrive).
    pub fn now_ms(&self) -> Result<u64, AgentError> {
        let last = self.client.status()?.timestamp;
        Ok(last.max(wall_ms()))
    }
}

/// This machine's clock in ms since the Unix epoch.
pub fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Sleep `d` in small slices, returning early (false) once `stop` is set.
pub fn sleep_unless_stopped(d: Duration, stop: &Arc<AtomicBool>) -> bool {
    let end = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= end {
            return true;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(20)));
    }
    false
}

/// Exponential backoff for an unreachable node: `base × 2^failures`, at most 5 s.
pub fn backoff(base: Duration, failures: u32) -> Duration {
    let b = base.max(Duration::from_millis(50));
    b.saturating_mul(1u32 << failures.min(8))
        .min(Duration::from_secs(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let b = Duration::from_millis(100);
        assert_eq!(backoff(b, 0), b);
        assert_eq!(backoff(b, 2), Duration::from_millis(400));
        assert_eq!(backoff(b, 30), Duration::from_secs(5));
    }

    #[test]
    fn stop_cuts_sleep_short() {
        let stop = Arc::new(AtomicBool::new(true));
        assert!(!sleep_unless_stopped(Duration::from_secs(10), &stop));
    }
}
