//! The `oracle` module: named feeds (e.g. `TBILL_YIELD`, `PRICE_VTY`), each with a set of
//! authorised reporters fixed at genesis (changed later only through governance: the
//! `oracle_add_reporter`, `oracle_remove_reporter` and `oracle_max_age_ms` parameters of
//! [`crate::governance::params`]), the latest report of each reporter, and a staleness bound.
//!
//! **Units.** Every feed value is an unsigned integer in **1e18 fixed point**: a yield is the
//! annual rate as a fraction (5.00% a year = `50_000_000_000_000_000`), a price is US dollars
//! per whole token (1.25 USD = `1_250_000_000_000_000_000`). Negative values cannot be
//! expressed, so a yield is always ≥ 0.
//!
//! **Median.** The feed value is the median of the latest report of every reporter whose report
//! is fresh (block time − report time ≤ `max_age_ms`). For an even count it is the **lower
//! middle** value (sorted ascending, index `(n − 1) / 2`), so the value is always one that a
//! reporter actually reported and no rounding is involved. With no fresh report the feed is
//! stale and [`read`] fails with [`LedgerError::StaleOracle`]; callers surface that error.
//!
//! State: one record per feed under `0x20 ‖ name` (see [`crate::state::keys`]).

use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, State, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use verity_primitives::{Address, Timestamp};

/// Name of the annual T-bill yield feed.
pub const TBILL_YIELD: &str = "TBILL_YIELD";
/// Longest feed name, in bytes.
pub const MAX_FEED_NAME: usize = 32;
/// Most reporters per feed.
pub const MAX_REPORTERS: usize = 32;
/// Default staleness bound: 2 days.
pub const DEFAULT_MAX_AGE_MS: u64 = 2 * 24 * 3600 * 1000;

/// One reporter of a feed and its latest report (if any).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReporterSlot {
    /// The authorised reporter.
    pub reporter: Address,
    /// Its latest value (1e18 fixed point); `None` before its first report.
    #[serde(default, with = "opt_amount")]
    pub value: Option<u128>,
    /// When it reported (block timestamp).
    pub at: Timestamp,
}

/// A feed: reporters, their latest reports, the staleness bound.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feed {
    /// Feed name.
    pub name: String,
    /// A report older than this (ms) no longer counts.
    pub max_age_ms: u64,
    /// Reporters in address order.
    pub reporters: Vec<ReporterSlot>,
}

/// Serde for `Option<u128>` as an optional decimal string.
mod opt_amount {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &Option<u128>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => s.serialize_some(&x.to_string()),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u128>, D::Error> {
        let o: Option<String> = Option::deserialize(d)?;
        o.map(|t| t.parse::<u128>().map_err(serde::de::Error::custom))
            .transpose()
    }
}

impl Feed {
    /// Layout: max_age u64 ‖ n u32 ‖ n × (reporter(20) ‖ has u8 ‖ value u128 ‖ at u64) ‖ name.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + 45 * self.reporters.len());
        out.extend_from_slice(&self.max_age_ms.to_be_bytes());
        let n = u32::try_from(self.reporters.len()).expect("bounded by MAX_REPORTERS");
        out.extend_from_slice(&n.to_be_bytes());
        for r in &self.reporters {
            out.extend_from_slice(&r.reporter.0);
            out.push(u8::from(r.value.is_some()));
            out.extend_from_slice(&r.value.unwrap_or(0).to_be_bytes());
            out.extend_from_slice(&r.at.0.to_be_bytes());
        }
        keys::put_string(&mut out, &self.name);
        out
    }

    /// Inverse of [`Feed::encode`].
    pub fn decode(v: &[u8]) -> Result<Feed, LedgerError> {
        let mut r = Reader::new(v, "oracle feed");
        let max_age_ms = r.u64()?;
        let n = r.u32()?;
        let mut reporters = Vec::new();
        for _ in 0..n {
            let reporter = r.address()?;
            let has = r.u8()?;
            let value = r.u128()?;
            let at = Timestamp(r.u64()?);
            reporters.push(ReporterSlot {
                reporter,
                value: (has == 1).then_some(value),
                at,
            });
        }
        let name = r.string()?;
        r.finish()?;
        Ok(Feed {
            name,
            max_age_ms,
            reporters,
        })
    }

    /// The fresh values at `now` (reports no older than `max_age_ms`), ascending.
    pub fn fresh_values(&self, now: Timestamp) -> Vec<u128> {
        let mut v: Vec<u128> = self
            .reporters
            .iter()
            .filter_map(|s| {
                let v = s.value?;
                let age = now.0.saturating_sub(s.at.0);
                (age <= self.max_age_ms).then_some(v)
            })
            .collect();
        v.sort_unstable();
        v
    }

    /// The median of the fresh reports at `now` (lower middle for an even count), if any.
    pub fn median(&self, now: Timestamp) -> Option<u128> {
        let v = self.fresh_values(now);
        if v.is_empty() {
            None
        } else {
            Some(v[(v.len() - 1) / 2])
        }
    }
}

/// What the API shows for a feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedView {
    /// The feed with every reporter's latest report.
    pub feed: Feed,
    /// Median of the fresh reports at the state's time (`None` = stale).
    #[serde(default, with = "opt_amount")]
    pub median: Option<u128>,
    /// True when no fresh report exists (reading the feed would fail).
    pub stale: bool,
    /// Number of fresh reports.
    pub fresh_reports: u32,
}

fn check_name(name: &str) -> Result<(), LedgerError> {
    if name.is_empty()
        || name.len() > MAX_FEED_NAME
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(LedgerError::BadFeedName(name.to_string()));
    }
    Ok(())
}

/// The stored feed `name`.
pub fn feed(s: &impl Store, name: &str) -> Result<Feed, LedgerError> {
    match s.get(&keys::oracle_feed_key(name)) {
        Some(v) => Feed::decode(v),
        None => Err(LedgerError::UnknownFeed(name.to_string())),
    }
}

/// The feed value at `now`: median of the fresh reports, or [`LedgerError::StaleOracle`].
pub fn read(s: &impl Store, name: &str, now: Timestamp) -> Result<u128, LedgerError> {
    let f = feed(s, name)?;
    f.median(now).ok_or_else(|| LedgerError::StaleOracle {
        feed: name.to_string(),
        max_age_ms: f.max_age_ms,
    })
}

/// Create or replace feed `name` with `reporters` (deduplicated, address order) and the
/// staleness bound. Existing reports of reporters that stay are kept. For genesis and, later,
/// governance.
pub(crate) fn set_feed(
    ex: &mut Exec<'_>,
    name: &str,
    reporters: &[Address],
    max_age_ms: u64,
) -> Result<(), LedgerError> {
    check_name(name)?;
    let set: BTreeSet<Address> = reporters.iter().copied().collect();
    if set.is_empty() || set.len() > MAX_REPORTERS {
        return Err(LedgerError::Genesis(format!(
            "oracle feed {name}: needs 1 to {MAX_REPORTERS} distinct reporters"
        )));
    }
    if max_age_ms == 0 {
        return Err(LedgerError::Genesis(format!(
            "oracle feed {name}: max_age_ms must be positive"
        )));
    }
    let old = feed(ex, name).ok();
    let slots = set
        .into_iter()
        .map(|a| {
            old.as_ref()
                .and_then(|f| f.reporters.iter().find(|s| s.reporter == a).cloned())
                .unwrap_or(ReporterSlot {
                    reporter: a,
                    value: None,
                    at: Timestamp(0),
                })
        })
        .collect();
    let f = Feed {
        name: name.to_string(),
        max_age_ms,
        reporters: slots,
    };
    ex.put(&keys::oracle_feed_key(name), Some(f.encode()));
    Ok(())
}

/// Governance: add `reporter` to feed `name` (it starts without a report). Fails when the feed
/// is unknown, the address already reports it or the feed already has [`MAX_REPORTERS`].
pub(crate) fn add_reporter(
    ex: &mut Exec<'_>,
    name: &str,
    reporter: Address,
) -> Result<(), LedgerError> {
    let mut f = feed(ex, name)?;
    check_reporter_change(&f, reporter, true)?;
    let at = f.reporters.partition_point(|s| s.reporter < reporter);
    f.reporters.insert(
        at,
        ReporterSlot {
            reporter,
            value: None,
            at: Timestamp(0),
        },
    );
    ex.put(&keys::oracle_feed_key(name), Some(f.encode()));
    Ok(())
}

/// Governance: remove `reporter` (and its latest report) from feed `name`. Fails when the feed
/// is unknown, the address is not a reporter of it or it is the feed's last reporter.
pub(crate) fn remove_reporter(
    ex: &mut Exec<'_>,
    name: &str,
    reporter: Address,
) -> Result<(), LedgerError> {
    let mut f = feed(ex, name)?;
    check_reporter_change(&f, reporter, false)?;
    f.reporters.retain(|s| s.reporter != reporter);
    ex.put(&keys::oracle_feed_key(name), Some(f.encode()));
    Ok(())
}

/// Governance: set the staleness bound of feed `name` (ms, positive).
pub(crate) fn set_max_age(
    ex: &mut Exec<'_>,
    name: &str,
    max_age_ms: u64,
) -> Result<(), LedgerError> {
    let mut f = feed(ex, name)?;
    if max_age_ms == 0 {
        return Err(LedgerError::Governance(format!(
            "oracle feed {name}: max_age_ms must be positive"
        )));
    }
    f.max_age_ms = max_age_ms;
    ex.put(&keys::oracle_feed_key(name), Some(f.encode()));
    Ok(())
}

/// Whether adding (`add`) or removing `reporter` is possible on `f` (a proposal is checked with
/// this when it is made and again when it is executed).
pub fn check_reporter_change(f: &Feed, reporter: Address, add: bool) -> Result<(), LedgerError> {
    let present = f.reporters.iter().any(|s| s.reporter == reporter);
    let name = &f.name;
    if add && present {
        return Err(LedgerError::Governance(format!(
            "{reporter} already reports oracle feed {name}"
        )));
    }
    if add && f.reporters.len() >= MAX_REPORTERS {
        return Err(LedgerError::Governance(format!(
            "oracle feed {name} already has {MAX_REPORTERS} reporters"
        )));
    }
    if !add && !present {
        return Err(LedgerError::Governance(format!(
            "{reporter} is not a reporter of oracle feed {name}"
        )));
    }
    if !add && f.reporters.len() == 1 {
        return Err(LedgerError::Governance(format!(
            "{reporter} is the last reporter of oracle feed {name}; add another first"
        )));
    }
    Ok(())
}

/// Record `value` for `reporter` at the block time (no authority check beyond membership).
pub(crate) fn record(
    ex: &mut Exec<'_>,
    reporter: &Address,
    name: &str,
    value: u128,
) -> Result<(), LedgerError> {
    let mut f = feed(ex, name)?;
    let now = ex.now;
    let slot = f
        .reporters
        .iter_mut()
        .find(|s| s.reporter == *reporter)
        .ok_or_else(|| LedgerError::NotReporter {
            feed: name.to_string(),
            sender: *reporter,
        })?;
    slot.value = Some(value);
    slot.at = now;
    ex.put(&keys::oracle_feed_key(name), Some(f.encode()));
    Ok(())
}

/// `ReportPrice` handler: only an authorised reporter of the feed; emits
/// [`Event::OracleReported`] with the new median.
pub(crate) fn report(
    ex: &mut Exec<'_>,
    sender: &Address,
    name: &str,
    value: u128,
) -> Result<(), LedgerError> {
    check_name(name)?;
    record(ex, sender, name, value)?;
    let median = feed(ex, name)?
        .median(ex.now)
        .expect("the report just recorded is fresh");
    ex.emit(Event::OracleReported {
        feed: name.to_string(),
        reporter: *sender,
        value,
        median,
    });
    Ok(())
}

/// Every feed with its median at the state's time.
pub fn views(state: &State) -> Vec<FeedView> {
    let mut out = Vec::new();
    for (k, v) in state.scan(keys::ORACLE) {
        if k.len() > 1
            && let Ok(f) = Feed::decode(v)
        {
            out.push(view_of(f, state.time()));
        }
    }
    out
}

/// The view of feed `name` at the state's time.
pub fn view(state: &State, name: &str) -> Result<FeedView, LedgerError> {
    Ok(view_of(feed(state, name)?, state.time()))
}

fn view_of(feed: Feed, now: Timestamp) -> FeedView {
    let fresh = feed.fresh_values(now);
    let median = feed.median(now);
    FeedView {
        stale: median.is_none(),
        median,
        fresh_reports: u32::try_from(fresh.len()).expect("bounded by MAX_REPORTERS"),
        feed,
    }
}

/// Genesis definition of one feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisFeed {
    /// Feed name (1–32 ASCII letters, digits or `_`).
    pub name: String,
    /// Authorised reporters.
    pub reporters: Vec<Address>,
    /// Staleness bound in ms (default 2 days).
    #[serde(default = "default_max_age")]
    pub max_age_ms: u64,
    /// Optional first value (1e18 fixed point), recorded for the first reporter (in address
    /// order) at genesis time.
    #[serde(default, with = "opt_amount")]
    pub initial: Option<u128>,
}

fn default_max_age() -> u64 {
    DEFAULT_MAX_AGE_MS
}

/// Write the genesis feeds.
pub(crate) fn apply_genesis(ex: &mut Exec<'_>, feeds: &[GenesisFeed]) -> Result<(), LedgerError> {
    let mut names = BTreeSet::new();
    for f in feeds {
        if !names.insert(f.name.clone()) {
            return Err(LedgerError::Genesis(format!(
                "oracle feed {} is defined twice",
                f.name
            )));
        }
        set_feed(ex, &f.name, &f.reporters, f.max_age_ms)?;
        if let Some(v) = f.initial {
            let first = *f
                .reporters
                .iter()
                .min()
                .expect("set_feed checked there is at least one reporter");
            record(ex, &first, &f.name, v)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;

/// The devnet yield reporter's key name (see [`crate::genesis::dev_secret_named`]).
pub const DEV_REPORTER: &str = "oracle";
/// The devnet's initial annual T-bill yield: 4.50%.
pub const DEV_INITIAL_YIELD: u128 = 45_000_000_000_000_000;
/// The devnet's staleness bound: 400 days, so the genesis report keeps the fund usable on a
/// devnet started months after its fixed genesis time without a running reporter (a real
/// chain should use hours; a reporter posting refreshes the feed either way).
pub const DEV_MAX_AGE_MS: u64 = 400 * 24 * 3600 * 1000;

/// The devnet's feeds: `TBILL_YIELD` reported by the `oracle` dev key, starting at 4.50%.
pub fn dev_feeds() -> Vec<GenesisFeed> {
    vec![GenesisFeed {
        name: TBILL_YIELD.to_string(),
        reporters: vec![crate::genesis::dev_address_named(DEV_REPORTER)],
        max_age_ms: DEV_MAX_AGE_MS,
        initial: Some(DEV_INITIAL_YIELD),
    }]
}
