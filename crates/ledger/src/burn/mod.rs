//! The `burn` module: protocol fees accumulate in the fee account ([`fee_account`]); the
//! buyback converts them to the protocol token (VTY) and splits what was bought: `burn_bps`
//! burned (supply falls), `caller_bps` to the transaction's sender, the rest to the community
//! treasury. Rounding: caller and burn shares round down, the treasury takes the remainder, so
//! burned + treasury + caller = bought exactly (see [`buyback`] for the swap and its bound).

pub mod buyback;
#[cfg(test)]
mod buyback_tests;

use crate::error::LedgerError;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use verity_primitives::math::{Rounding, mul_div};
use verity_primitives::{Address, TokenId};

/// The account protocol fees are paid into (market and dollar fees):
/// the last 20 bytes of keccak256("verity/module/fees").
pub fn fee_account() -> Address {
    crate::vault::module_address("verity/module/fees")
}

/// Buyback settings in genesis (TOML `[burn]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BurnGenesis {
    /// Symbol of the token bought and burned.
    pub token: String,
    /// Receives the treasury share (default: the devnet community-treasury key).
    pub treasury: Option<Address>,
    /// Share burned, bps.
    pub burn_bps: u32,
    /// Share paid to the buyback's sender, bps.
    pub caller_bps: u32,
    /// Most the fill may be below the TWAP-implied output, bps.
    pub max_deviation_bps: u32,
}

impl Default for BurnGenesis {
    fn default() -> Self {
        BurnGenesis {
            token: "VTY".into(),
            treasury: None,
            burn_bps: 7_000,
            caller_bps: 100,
            max_deviation_bps: 500,
        }
    }
}

/// Stored buyback configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurnConfig {
    /// The protocol token.
    pub token: TokenId,
    /// Treasury receiving the remainder.
    pub treasury: Address,
    /// Burned share, bps.
    pub burn_bps: u32,
    /// Sender's share, bps.
    pub caller_bps: u32,
    /// Max deviation below the TWAP-implied output, bps.
    pub max_deviation_bps: u32,
}

const K_CONFIG: &[u8] = &[keys::BURN, 0x00];

impl BurnConfig {
    /// burn + caller ≤ 10 000 bps; deviation in 1..=5 000.
    pub fn check(&self) -> Result<(), String> {
        if u64::from(self.burn_bps) + u64::from(self.caller_bps) > 10_000 {
            return Err(format!(
                "burn_bps {} + caller_bps {} exceed 10000",
                self.burn_bps, self.caller_bps
            ));
        }
        if self.max_deviation_bps == 0 || self.max_deviation_bps > 5_000 {
            return Err(format!(
                "max_deviation_bps {} must be in 1..=5000",
                self.max_deviation_bps
            ));
        }
        Ok(())
    }

    /// Split `bought` into (burned, treasury, caller): caller and burn round down, the treasury
    /// takes the remainder, so the three add up to `bought` exactly.
    pub fn split(&self, bought: u128) -> Result<(u128, u128, u128), LedgerError> {
        let caller = mul_div(bought, u128::from(self.caller_bps), 10_000, Rounding::Down)?;
        let burned = mul_div(bought, u128::from(self.burn_bps), 10_000, Rounding::Down)?;
        let treasury = bought - caller - burned; // caller + burned ≤ bought as bps sum ≤ 10 000
        Ok((burned, treasury, caller))
    }

    fn encode(&self) -> Vec<u8> {
        let mut o = Vec::with_capacity(36);
        o.extend_from_slice(&self.token.0.to_be_bytes());
        o.extend_from_slice(&self.treasury.0);
        o.extend_from_slice(&self.burn_bps.to_be_bytes());
        o.extend_from_slice(&self.caller_bps.to_be_bytes());
        o.extend_from_slice(&self.max_deviation_bps.to_be_bytes());
        o
    }
    fn decode(v: &[u8]) -> Result<BurnConfig, LedgerError> {
        let mut r = Reader::new(v, "burn config");
        let c = BurnConfig {
            token: TokenId(r.u32()?),
            treasury: r.address()?,
            burn_bps: r.u32()?,
            caller_bps: r.u32()?,
            max_deviation_bps: r.u32()?,
        };
        r.finish()?;
        Ok(c)
    }
}

/// The buyback configuration.
pub fn config(s: &impl Store) -> Result<BurnConfig, LedgerError> {
    s.get(K_CONFIG)
        .map(BurnConfig::decode)
        .unwrap_or(Err(LedgerError::NotConfigured("burn")))
}

pub(crate) fn put_config(ex: &mut Exec<'_>, c: &BurnConfig) {
    ex.put(K_CONFIG, Some(c.encode()));
}

/// Store the genesis configuration.
pub(crate) fn init_genesis(
    ex: &mut Exec<'_>,
    g: &BurnGenesis,
    ids: &BTreeMap<String, TokenId>,
) -> Result<(), LedgerError> {
    let token = *ids
        .get(&g.token)
        .ok_or_else(|| LedgerError::Genesis(format!("burn: token {:?} is not defined", g.token)))?;
    let c = BurnConfig {
        token,
        treasury: g
            .treasury
            .unwrap_or_else(|| crate::genesis::dev_address_named("community-treasury")),
        burn_bps: g.burn_bps,
        caller_bps: g.caller_bps,
        max_deviation_bps: g.max_deviation_bps,
    };
    c.check()
        .map_err(|e| LedgerError::Genesis(format!("burn: {e}")))?;
    put_config(ex, &c);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn split_adds_up_exactly(bought in 0u128..u128::MAX / 10_001, burn in 0u32..=10_000, caller in 0u32..=10_000) {
            prop_assume!(burn + caller <= 10_000);
            let c = BurnConfig { token: TokenId(0), treasury: Address([0; 20]), burn_bps: burn, caller_bps: caller, max_deviation_bps: 500 };
            let (b, t, k) = c.split(bought).expect("in range");
            prop_assert_eq!(b + t + k, bought);
            prop_assert!(b * 10_000 <= bought * u128::from(burn));
        }
    }

    #[test]
    fn default_split_is_70_29_1() {
        let c = BurnConfig {
            token: TokenId(0),
            treasury: Address([0; 20]),
            burn_bps: 7_000,
            caller_bps: 100,
            max_deviation_bps: 500,
        };
        assert_eq!(c.split(1_000_000), Ok((700_000, 290_000, 10_000)));
        assert_eq!(c.split(999), Ok((699, 291, 9)));
    }
}
