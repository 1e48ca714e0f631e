//! State key layout and value encoding: every key is a one-byte module prefix followed by
//! fixed-width fields; every value is a small fixed-layout big-endian record (our own encoding,
//! chosen over a general format because it is tiny, canonical and fast).
//!
//! | prefix | key | value |
//! | --- | --- | --- |
//! | `0x00` meta | `0x00 ‖ name` | chain id u64 / height u64 / time u64 / params |
//! | `0x01` nonce | `0x01 ‖ address(20)` | u64 (absent = 0) |
//! | `0x02` token | `0x02 ‖ token u32` | [`TokenInfo`](crate::tokens::TokenInfo) record |
//! | `0x03` balance | `0x03 ‖ address(20) ‖ token u32` | u128 (absent = 0; zero deletes) |
//! | `0x04` actor | `0x04 ‖ address(20)` | kind u8 ‖ registered height u64 ‖ metadata |
//! | `0x05` stake | `0x05 ‖ address(20)` | bonded u128 ‖ n u32 ‖ n × (amount u128 ‖ release u64) |
//! | `0x06` validator | `0x06 ‖ address(20)` | empty (membership of the genesis validator set) |
//!
//! All integers are big-endian. Strings are UTF-8, length-prefixed (u32) where not last.

use crate::error::LedgerError;
use verity_primitives::{Address, TokenId};

/// Prefix of chain metadata keys.
pub const META: u8 = 0x00;
/// Prefix of nonce keys.
pub const NONCE: u8 = 0x01;
/// Prefix of token registry keys.
pub const TOKEN: u8 = 0x02;
/// Prefix of balance keys.
pub const BALANCE: u8 = 0x03;
/// Prefix of actor keys.
pub const ACTOR: u8 = 0x04;
/// Prefix of stake keys.
pub const STAKE: u8 = 0x05;
/// Prefix of genesis validator keys.
pub const VALIDATOR: u8 = 0x06;

// --- amm (issue 5) ---
/// Prefix of amm pools: `0x40 ‖ pool u32` → [`Pool`](crate::amm::Pool) record.
pub const AMM_POOL: u8 = 0x40;
/// Prefix of amm LP shares: `0x41 ‖ pool u32 ‖ address(20)` → u128 (absent = 0).
pub const AMM_LP: u8 = 0x41;
/// Prefix of the amm pair index: `0x42 ‖ token0 u32 ‖ token1 u32` → pool u32.
pub const AMM_PAIR: u8 = 0x42;
/// Prefix of amm TWAP observations: `0x43 ‖ pool u32` → n × (seconds u64 ‖ 2 × u256).
pub const AMM_OBS: u8 = 0x43;
/// Key of the amm pool count: `0x44` → u32.
pub const AMM_META: u8 = 0x44;
// --- oracle, treasury, dollar (issue 5) ---
/// Prefix of oracle feeds: `0x70 ‖ name` → [`Feed`](crate::oracle::Feed) record.
pub const ORACLE: u8 = 0x70;
/// Prefix of the treasury module: `0x71 ‖ "fund"` → [`Fund`](crate::treasury::Fund).
pub const TREASURY: u8 = 0x71;
/// Key of the treasury fund record.
pub const TREASURY_FUND: &[u8] = b"\x71fund";
/// Prefix of the dollar module (config, epoch, snapshots, latest leaves).
pub const DOLLAR: u8 = 0x72;
/// Key of the dollar config.
pub const DOLLAR_CONFIG: &[u8] = b"\x72cfg";
/// Key of the latest proof-of-reserves epoch (u64).
pub const DOLLAR_EPOCH: &[u8] = b"\x72epoch";
/// Key of the latest snapshot's leaves: n u32 ‖ n × (address(20) ‖ balance u128).
pub const DOLLAR_LEAVES: &[u8] = b"\x72leaves";

/// `0x70 ‖ name`: an oracle feed.
pub fn oracle_feed_key(name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(ORACLE);
    k.extend_from_slice(name.as_bytes());
    k
}

/// `0x72 ‖ "por" ‖ epoch u64`: a proof-of-reserves snapshot (JSON of
/// [`PorSnapshot`](crate::dollar::por::PorSnapshot)).
pub fn dollar_por_key(epoch: u64) -> Vec<u8> {
    let mut k = b"\x72por".to_vec();
    k.extend_from_slice(&epoch.to_be_bytes());
    k
}
// --- end oracle, treasury, dollar ---

// --- vault, vesting, governance, burn, savings (issue 5) ---
/// Prefix of the vault: `0x50 0x00` record, `0x50 0x01 ‖ owner` pending exit requests.
pub const VAULT: u8 = 0x50;
/// Prefix of vesting schedules: `0x51 ‖ beneficiary` → list of schedules.
pub const VESTING: u8 = 0x51;
/// Prefix of governance: config, ve locks and points, slope changes, proposals, votes.
pub const GOVERNANCE: u8 = 0x52;
/// Prefix of the burn (buyback) module: `0x53 0x00` config.
pub const BURN: u8 = 0x53;
/// Prefix of auto-savings policies: `0x54 ‖ account` → policy and dust.
pub const SAVINGS: u8 = 0x54;
// --- end vault, vesting, governance, burn, savings ---

// --- market/dispute (issue 4) ---
/// Prefix of the market: jobs, job count, locked stake, reputation (see [`crate::market`]).
pub const MARKET: u8 = crate::market::PREFIX;
/// Prefix of disputes (see [`crate::market::dispute`]).
pub const DISPUTE: u8 = crate::market::dispute::PREFIX;
// --- end market/dispute ---

/// Key of the chain id.
pub const META_CHAIN_ID: &[u8] = b"\x00chain_id";
/// Key of the last applied block height.
pub const META_HEIGHT: &[u8] = b"\x00height";
/// Key of the last applied block timestamp.
pub const META_TIME: &[u8] = b"\x00time";
/// Key of the chain parameters.
pub const META_PARAMS: &[u8] = b"\x00params";

/// A balance key is 25 bytes; built on the stack.
pub type BalanceKey = [u8; 25];

/// `0x01 ‖ address`.
pub fn nonce_key(a: &Address) -> [u8; 21] {
    addr_key(NONCE, a)
}

/// `prefix ‖ address`.
pub fn addr_key(prefix: u8, a: &Address) -> [u8; 21] {
    let mut k = [0u8; 21];
    k[0] = prefix;
    k[1..].copy_from_slice(&a.0);
    k
}

/// `0x03 ‖ address ‖ token`.
pub fn balance_key(a: &Address, t: TokenId) -> BalanceKey {
    let mut k = [0u8; 25];
    k[0] = BALANCE;
    k[1..21].copy_from_slice(&a.0);
    k[21..].copy_from_slice(&t.0.to_be_bytes());
    k
}

/// `0x02 ‖ token`.
pub fn token_key(t: TokenId) -> [u8; 5] {
    let mut k = [0u8; 5];
    k[0] = TOKEN;
    k[1..].copy_from_slice(&t.0.to_be_bytes());
    k
}

/// Split a balance key into (address, token).
pub fn parse_balance_key(k: &[u8]) -> Option<(Address, TokenId)> {
    if k.len() != 25 || k[0] != BALANCE {
        return None;
    }
    let mut a = [0u8; 20];
    a.copy_from_slice(&k[1..21]);
    let mut t = [0u8; 4];
    t.copy_from_slice(&k[21..]);
    Some((Address(a), TokenId(u32::from_be_bytes(t))))
}

/// The address in a `prefix ‖ address` key.
pub fn parse_addr_key(k: &[u8]) -> Option<Address> {
    if k.len() != 21 {
        return None;
    }
    let mut a = [0u8; 20];
    a.copy_from_slice(&k[1..]);
    Some(Address(a))
}

/// A cursor decoding a fixed-layout value; errors name what was being decoded.
pub struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Start decoding `buf` as a `what`.
    pub fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, what }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], LedgerError> {
        if self.buf.len() < n {
            return Err(LedgerError::Corrupt(format!(
                "{} value truncated",
                self.what
            )));
        }
        let (h, t) = self.buf.split_at(n);
        self.buf = t;
        Ok(h)
    }
    /// A u8.
    pub fn u8(&mut self) -> Result<u8, LedgerError> {
        Ok(self.take(1)?[0])
    }
    /// A big-endian u32.
    pub fn u32(&mut self) -> Result<u32, LedgerError> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_be_bytes(b))
    }
    /// A big-endian u64.
    pub fn u64(&mut self) -> Result<u64, LedgerError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(b))
    }
    /// A big-endian u128.
    pub fn u128(&mut self) -> Result<u128, LedgerError> {
        let mut b = [0u8; 16];
        b.copy_from_slice(self.take(16)?);
        Ok(u128::from_be_bytes(b))
    }
    /// An address.
    pub fn address(&mut self) -> Result<Address, LedgerError> {
        let mut b = [0u8; 20];
        b.copy_from_slice(self.take(20)?);
        Ok(Address(b))
    }
    /// A u32-length-prefixed UTF-8 string.
    pub fn string(&mut self) -> Result<String, LedgerError> {
        let n = self.u32()? as usize;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec())
            .map_err(|_| LedgerError::Corrupt(format!("{} string is not UTF-8", self.what)))
    }
    /// Require that everything was consumed.
    pub fn finish(self) -> Result<(), LedgerError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(LedgerError::Corrupt(format!(
                "{} value has trailing bytes",
                self.what
            )))
        }
    }
}

/// Append a u32-length-prefixed string.
pub fn put_string(out: &mut Vec<u8>, s: &str) {
    let n = u32::try_from(s.len()).expect("strings in state are bounded far below 4 GiB");
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Decode a u64 value.
pub fn decode_u64(v: &[u8], what: &'static str) -> Result<u64, LedgerError> {
    let mut r = Reader::new(v, what);
    let x = r.u64()?;
    r.finish()?;
    Ok(x)
}

/// Decode a u128 value.
pub fn decode_u128(v: &[u8], what: &'static str) -> Result<u128, LedgerError> {
    let mut r = Reader::new(v, what);
    let x = r.u128()?;
    r.finish()?;
    Ok(x)
}
