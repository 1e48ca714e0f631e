//! Genesis pools (`[amm]` in the genesis TOML): a liquidity provider whose genesis balances
//! seed each pool (it receives the LP shares; the 1000 locked shares go to [`super::DEAD`]),
//! optionally after converting some of its balance into AID / TBILL through the dollar and
//! treasury modules exactly as a `MintAid` / `Subscribe` transaction would. Applied last in
//! genesis, so every other module is configured first. Nothing is created from nothing: pool
//! reserves are moved out of the provider's balance.
//!
//! ```toml
//! [amm]
//! provider = "0x…"
//! [[amm.convert]]                # optional, in order
//! kind = "MintAid"               # or "Subscribe" (TBILL)
//! asset = "USDC"
//! amount = "2000000000000"
//! [[amm.pools]]
//! token_a = "VTY"
//! token_b = "AID"
//! fee_bps = 30                   # optional, default 30
//! amount_a = "20000000000000000000000000"
//! amount_b = "1000000000000000000000000"
//! ```

use super::{DEFAULT_FEE_BPS, PoolId};
use crate::error::LedgerError;
use crate::state::Exec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use verity_primitives::{Address, Timestamp, TokenId, amount_str};

/// How the provider converts part of its balance before seeding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConvertKind {
    /// Mint AID against `asset` (the dollar module's `MintAid`).
    MintAid,
    /// Subscribe to TBILL with `asset` (the treasury module's `Subscribe`).
    Subscribe,
}

/// One conversion of the provider's balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisConvert {
    /// Which module action.
    pub kind: ConvertKind,
    /// Symbol of the asset paid.
    pub asset: String,
    /// Base units of `asset`.
    #[serde(with = "amount_str")]
    pub amount: u128,
}

/// One genesis pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisPool {
    /// Symbol of one token.
    pub token_a: String,
    /// Symbol of the other token.
    pub token_b: String,
    /// Fee in bps (default 30).
    #[serde(default = "default_fee")]
    pub fee_bps: u16,
    /// Initial reserve of `token_a` (base units).
    #[serde(with = "amount_str")]
    pub amount_a: u128,
    /// Initial reserve of `token_b` (base units).
    #[serde(with = "amount_str")]
    pub amount_b: u128,
}

fn default_fee() -> u16 {
    DEFAULT_FEE_BPS
}

/// The `[amm]` genesis section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmmGenesis {
    /// Whose balances seed the pools (receives the LP shares).
    pub provider: Address,
    /// Conversions applied first, in order.
    #[serde(default)]
    pub convert: Vec<GenesisConvert>,
    /// Pools, created in order (ids 0, 1, …).
    #[serde(default)]
    pub pools: Vec<GenesisPool>,
}

/// The devnet liquidity provider: dev key `liquidity`.
pub fn dev_provider() -> Address {
    crate::genesis::dev_address_named("liquidity")
}

/// VTY the devnet provider needs (taken from the community-sale share).
pub const DEV_LP_VTY: u128 = 20_000_000 * crate::genesis::VTY;
/// USDC the devnet provider needs (6 decimals): 2M → AID, 1M → TBILL, 2M for pool sides.
pub const DEV_LP_USDC: u128 = 5_000_000 * 1_000_000;

/// The devnet pools: VTY/AID (20M VTY : 1M AID, VTY = $0.05), AID/USDC (1M : 1M) and
/// USDC/TBILL (1M : 1M at NAV 1.00), all 0.30%, seeded by [`dev_provider`] after minting 2M
/// AID and subscribing 1M TBILL with USDC.
pub fn dev() -> AmmGenesis {
    const E18: u128 = 1_000_000_000_000_000_000;
    const M: u128 = 1_000_000;
    let pool = |a: &str, b: &str, amount_a: u128, amount_b: u128| GenesisPool {
        token_a: a.into(),
        token_b: b.into(),
        fee_bps: DEFAULT_FEE_BPS,
        amount_a,
        amount_b,
    };
    AmmGenesis {
        provider: dev_provider(),
        convert: vec![
            GenesisConvert {
                kind: ConvertKind::MintAid,
                asset: "USDC".into(),
                amount: 2 * M * M,
            },
            GenesisConvert {
                kind: ConvertKind::Subscribe,
                asset: "USDC".into(),
                amount: M * M,
            },
        ],
        pools: vec![
            pool("VTY", "AID", DEV_LP_VTY, M * E18),
            pool("AID", "USDC", M * E18, M * M),
            pool("USDC", "TBILL", M * M, M * E18),
        ],
    }
}

/// Apply `[amm]` at genesis (ids: symbol → token id).
pub(crate) fn apply_genesis(
    ex: &mut Exec<'_>,
    g: &AmmGenesis,
    ids: &BTreeMap<String, TokenId>,
) -> Result<Vec<PoolId>, LedgerError> {
    let id = |s: &str, what: &str| {
        ids.get(s).copied().ok_or_else(|| {
            LedgerError::Genesis(format!("amm.{what}: {s:?} is not a defined token"))
        })
    };
    for (i, c) in g.convert.iter().enumerate() {
        let asset = id(&c.asset, "convert")?;
        let r = match c.kind {
            ConvertKind::MintAid => crate::dollar::mint(ex, &g.provider, asset, c.amount),
            ConvertKind::Subscribe => crate::treasury::subscribe(ex, &g.provider, asset, c.amount),
        };
        r.map_err(|e| LedgerError::Genesis(format!("amm.convert[{i}]: {e}")))?;
    }
    let mut out = Vec::new();
    let far = Timestamp(u64::MAX);
    for (i, p) in g.pools.iter().enumerate() {
        let ctx = |e: LedgerError| LedgerError::Genesis(format!("amm.pools[{i}]: {e}"));
        let a = id(&p.token_a, "pools.token_a")?;
        let b = id(&p.token_b, "pools.token_b")?;
        let pid = super::create_pool(ex, &g.provider, a, b, p.fee_bps).map_err(ctx)?;
        let (a0, a1) = if a < b {
            (p.amount_a, p.amount_b)
        } else {
            (p.amount_b, p.amount_a)
        };
        super::add_liquidity(ex, &g.provider, pid, a0, a1, a0, a1, far).map_err(ctx)?;
        out.push(pid);
    }
    Ok(out)
}
