//! Genesis: the TOML file that defines a chain (chain id, genesis time, parameters, tokens,
//! balances, validators), its validation, the initial [`State`], and the built-in devnet
//! genesis [`Genesis::dev`] with deterministic dev keys ([`dev_secret`]).
//!
//! ```toml
//! chain_id = 1337
//! genesis_time = 1767225600000          # ms since the Unix epoch
//! [params]                              # every field optional (defaults shown by Params::default)
//! unbonding_delay_ms = 604800000
//! staking_token = 0                     # token id (genesis order); VTY is usually 0
//! [[tokens]]
//! symbol = "VTY"
//! decimals = 18
//! cap = "10000000000000000000000000000"  # optional, default uncapped; amounts are strings
//! # mint_authority = "0x…"               # optional; none = fixed supply
//! [[balances]]
//! address = "0x…"
//! token = "VTY"                         # by symbol
//! amount = "1000000000000000000"
//! [[validators]]
//! address = "0x…"                       # the stake is bonded out of its genesis balance
//! stake = "100000000000000000000000"
//! p2p_key = "0x…"                       # optional ed25519 public key (32 bytes), issue 7
//! [consensus]                           # optional, defaults shown (issue 7)
//! epoch_length = 100                    # blocks per epoch
//! max_validators = 100
//! double_sign_slash_bps = 500
//! ```
//!
//! Token supply at genesis = Σ genesis balances of that token.

use crate::error::LedgerError;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, State};
use crate::tokens::{self, TokenInfo};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use verity_primitives::{Address, Hash, Timestamp, TokenId, amount_str, math};

/// Chain parameters (changed later only through governance).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// How long unbonding stake stays locked (and slashable), in ms.
    pub unbonding_delay_ms: u64,
    /// Most transactions a block may hold.
    pub max_block_txs: u32,
    /// Longest actor metadata, in bytes.
    pub max_metadata_bytes: u32,
    /// Most pending unbonding entries per staker.
    pub max_unbondings: u32,
    /// The token that is bonded as stake.
    pub staking_token: TokenId,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            unbonding_delay_ms: 7 * 24 * 3600 * 1000,
            max_block_txs: 10_000,
            max_metadata_bytes: 1024,
            max_unbondings: 16,
            staking_token: TokenId(0),
        }
    }
}

impl Params {
    /// Layout: unbonding_delay_ms u64 ‖ max_block_txs u32 ‖ max_metadata_bytes u32 ‖
    /// max_unbondings u32 ‖ staking_token u32.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        out.extend_from_slice(&self.unbonding_delay_ms.to_be_bytes());
        out.extend_from_slice(&self.max_block_txs.to_be_bytes());
        out.extend_from_slice(&self.max_metadata_bytes.to_be_bytes());
        out.extend_from_slice(&self.max_unbondings.to_be_bytes());
        out.extend_from_slice(&self.staking_token.0.to_be_bytes());
        out
    }

    /// Inverse of [`Params::encode`].
    pub fn decode(v: &[u8]) -> Result<Params, LedgerError> {
        let mut r = Reader::new(v, "params");
        let p = Params {
            unbonding_delay_ms: r.u64()?,
            max_block_txs: r.u32()?,
            max_metadata_bytes: r.u32()?,
            max_unbondings: r.u32()?,
            staking_token: TokenId(r.u32()?),
        };
        r.finish()?;
        Ok(p)
    }
}

fn uncapped() -> u128 {
    u128::MAX
}

/// A token defined at genesis (ids are assigned in this order from 0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisToken {
    /// Ticker (1–16 ASCII letters/digits, unique).
    pub symbol: String,
    /// Decimals (≤ 36).
    pub decimals: u8,
    /// Max supply in base units (default: uncapped).
    #[serde(default = "uncapped", with = "amount_str")]
    pub cap: u128,
    /// Who may mint (default: nobody).
    #[serde(default)]
    pub mint_authority: Option<Address>,
}

/// An initial balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisBalance {
    /// Holder.
    pub address: Address,
    /// Token symbol.
    pub token: String,
    /// Base units (> 0).
    #[serde(with = "amount_str")]
    pub amount: u128,
}

/// A genesis validator; its stake is bonded out of its genesis balance of the staking token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    /// Validator.
    pub address: Address,
    /// Bonded stake in base units (> 0).
    #[serde(with = "amount_str")]
    pub stake: u128,
    /// Its ed25519 p2p / consensus public key (`p2p_key = "0x…"`, 32 bytes), registered at
    /// genesis; validators without one join the set only after `RegisterP2pKey` (issue 7).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::validators::hex::bytes32_opt"
    )]
    pub p2p_key: Option<[u8; 32]>,
}

/// A chain's genesis definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Chain id (EIP-712 `chainId`).
    pub chain_id: u64,
    /// Genesis time, ms since the Unix epoch.
    pub genesis_time: Timestamp,
    /// Parameters.
    #[serde(default)]
    pub params: Params,
    /// Tokens in id order.
    pub tokens: Vec<GenesisToken>,
    /// Initial balances.
    #[serde(default)]
    pub balances: Vec<GenesisBalance>,
    /// Initial validators.
    #[serde(default)]
    pub validators: Vec<GenesisValidator>,
    // --- oracle, treasury, dollar (issue 5) ---
    /// Oracle feeds (`[[oracle]]`): name, reporters, staleness bound, optional first value.
    #[serde(default)]
    pub oracle: Vec<crate::oracle::GenesisFeed>,
    /// The TBILL fund (`[treasury]`), if the chain has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treasury: Option<crate::treasury::GenesisTreasury>,
    /// AID (`[dollar]`), if the chain has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dollar: Option<crate::dollar::GenesisDollar>,
    // --- end oracle, treasury, dollar ---
    // --- vault, vesting, governance, burn (issue 5) ---
    /// The sAID vault (`[vault]`), if the chain has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault: Option<crate::vault::VaultGenesis>,
    /// Vesting schedules (`[[vesting]]`); their totals are minted to the vesting account.
    #[serde(default)]
    pub vesting: Vec<crate::vesting::VestingGenesis>,
    /// Governance (`[governance]`), if the chain has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governance: Option<crate::governance::GovGenesis>,
    /// Buy-and-burn (`[burn]`), if the chain has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn: Option<crate::burn::BurnGenesis>,
    // --- end vault, vesting, governance, burn ---
    // --- amm (issue 5) ---
    /// Genesis pools and their liquidity provider (`[amm]`), if any; applied last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amm: Option<crate::amm::genesis::AmmGenesis>,
    // --- market (issue 4) ---
    /// Market and dispute parameters (`[market]`, every field optional); absent = defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<crate::market::MarketParams>,
    // --- savings (issue 5) ---
    /// Auto-savings policies set at genesis (`[[savings]]`), applied after the pools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub savings: Vec<crate::savings::GenesisPolicy>,
    // --- validators (issue 7) ---
    /// Consensus parameters (`[consensus]`: epoch_length, max_validators,
    /// double_sign_slash_bps; every field optional); absent = defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consensus: Option<crate::validators::ConsensusParams>,
    // --- assets, green, capacity (issue 6) ---
    /// GPU-asset parameters (`[assets]`: min_attesters, attest_slash_bps,
    /// challenge_reward_bps, vault_manager; every field optional); absent = defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets: Option<crate::assets::AssetParams>,
    /// Green parameters (`[green]`: epoch_ms, max_unbound_power_mw); absent = defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub green: Option<crate::green::GreenParams>,
    /// Capacity parameters (`[capacity]`: stake_per_gpu_hour, max_horizon_ms); absent = defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<crate::capacity::CapacityParams>,
}

/// Chain id of the built-in devnet.
pub const DEV_CHAIN_ID: u64 = 1337;
/// Genesis time of the built-in devnet (2026-01-01T00:00:00Z).
pub const DEV_GENESIS_TIME: u64 = 1_767_225_600_000;
/// One whole VTY in base units.
pub const VTY: u128 = 1_000_000_000_000_000_000;
/// VTY total supply: 10,000,000,000 × 10^18.
pub const VTY_SUPPLY: u128 = 10_000_000_000 * VTY;
/// Community treasury share: 40.4%.
pub const VTY_COMMUNITY_TREASURY: u128 = VTY_SUPPLY / 1000 * 404;
/// Investors' share: 29.6%.
pub const VTY_INVESTORS: u128 = VTY_SUPPLY / 1000 * 296;
/// Team share: 25%.
pub const VTY_TEAM: u128 = VTY_SUPPLY / 1000 * 250;
/// Community sale and other: 5%.
pub const VTY_COMMUNITY_SALE: u128 = VTY_SUPPLY / 1000 * 50;
/// VTY each devnet account receives (taken from the community sale share).
pub const DEV_VTY_EACH: u128 = 1_000_000 * VTY;
/// USDC/USDT each devnet account receives (6 decimals: 1,000,000 dollars).
pub const DEV_STABLE_EACH: u128 = 1_000_000 * 1_000_000;
/// VTY the first devnet account bonds as the genesis validator.
pub const DEV_VALIDATOR_STAKE: u128 = 100_000 * VTY;
/// Cap of the devnet stablecoins (one trillion dollars).
pub const DEV_STABLE_CAP: u128 = 1_000_000_000_000 * 1_000_000;

const _: () =
    assert!(VTY_COMMUNITY_TREASURY + VTY_INVESTORS + VTY_TEAM + VTY_COMMUNITY_SALE == VTY_SUPPLY);

/// Devnet secret key for a name: `keccak256("verity-devnet-" ‖ name)`. Dev account `i` uses
/// the decimal name `i` (`keccak256("verity-devnet-0")`, …); the bridge uses `bridge`; the VTY
/// allocation holders use `community-treasury`, `investors`, `team`, `community-sale`.
/// **Public test keys — never use them for anything of value.**
pub fn dev_secret_named(name: &str) -> secp256k1::SecretKey {
    let h = Hash::keccak(format!("verity-devnet-{name}").as_bytes());
    secp256k1::SecretKey::from_secret_bytes(h.0)
        .expect("a keccak output is a valid secp256k1 key with overwhelming probability; checked by tests for the names used")
}

/// Secret key of devnet account `i` (see [`dev_secret_named`]).
pub fn dev_secret(i: u32) -> secp256k1::SecretKey {
    dev_secret_named(&i.to_string())
}

/// The first `n` devnet accounts as (secret key, address).
pub fn dev_accounts(n: u32) -> Vec<(secp256k1::SecretKey, Address)> {
    (0..n)
        .map(|i| {
            let k = dev_secret(i);
            (k, crate::tx::address_of(&k))
        })
        .collect()
}

/// Address of a named devnet key.
pub fn dev_address_named(name: &str) -> Address {
    crate::tx::address_of(&dev_secret_named(name))
}

impl Genesis {
    /// Parse TOML; errors name the offending field, line and column.
    pub fn from_toml_str(s: &str) -> Result<Genesis, LedgerError> {
        let g: Genesis = toml::from_str(s).map_err(|e| LedgerError::Genesis(e.to_string()))?;
        g.validate()?;
        Ok(g)
    }

    /// Serialise as TOML.
    pub fn to_toml_string(&self) -> String {
        toml::to_string(self).expect("a genesis always serialises to TOML")
    }

    /// The built-in devnet genesis: chain id [`DEV_CHAIN_ID`]; VTY (id 0, 18 decimals, fixed
    /// supply 10^10 × 10^18, no mint authority) split community treasury 40.4%, investors
    /// 29.6%, team 25%, community sale & other 5% (from which each dev account gets
    /// [`DEV_VTY_EACH`]); USDC (id 1) and USDT (id 2), 6 decimals, minted by the `bridge` dev
    /// key, each dev account holding [`DEV_STABLE_EACH`]; the first account is the genesis
    /// validator with [`DEV_VALIDATOR_STAKE`] bonded.
    pub fn dev(accounts: &[Address]) -> Genesis {
        let bridge = dev_address_named("bridge");
        // issue 5: community treasury, investors and team vest (crate::vesting::dev_schedules).
        let mut balances = Vec::new();
        let dev_total = DEV_VTY_EACH * accounts.len() as u128;
        let sale = VTY_COMMUNITY_SALE.saturating_sub(dev_total);
        // --- amm (issue 5): the genesis liquidity provider's VTY comes out of the sale ---
        let sale = sale.saturating_sub(crate::amm::genesis::DEV_LP_VTY);
        balances.push(GenesisBalance {
            address: crate::amm::genesis::dev_provider(),
            token: "VTY".into(),
            amount: crate::amm::genesis::DEV_LP_VTY,
        });
        balances.push(GenesisBalance {
            address: crate::amm::genesis::dev_provider(),
            token: "USDC".into(),
            amount: crate::amm::genesis::DEV_LP_USDC,
        });
        balances.push(GenesisBalance {
            address: dev_address_named("community-sale"),
            token: "VTY".into(),
            amount: sale,
        });
        for a in accounts {
            for (token, amount) in [
                ("VTY", DEV_VTY_EACH),
                ("USDC", DEV_STABLE_EACH),
                ("USDT", DEV_STABLE_EACH),
            ] {
                balances.push(GenesisBalance {
                    address: *a,
                    token: token.into(),
                    amount,
                });
            }
        }
        let stable = |symbol: &str| GenesisToken {
            symbol: symbol.into(),
            decimals: 6,
            cap: DEV_STABLE_CAP,
            mint_authority: Some(bridge),
        };
        Genesis {
            chain_id: DEV_CHAIN_ID,
            genesis_time: Timestamp(DEV_GENESIS_TIME),
            params: Params::default(),
            tokens: vec![
                GenesisToken {
                    symbol: "VTY".into(),
                    decimals: 18,
                    cap: VTY_SUPPLY,
                    mint_authority: None,
                },
                stable("USDC"),
                stable("USDT"),
                crate::treasury::dev_token(),
                crate::dollar::dev_token(),
                crate::vault::dev_share_token(), // issue 5: sAID
            ],
            balances,
            validators: accounts
                .first()
                .map(|a| GenesisValidator {
                    address: *a,
                    stake: DEV_VALIDATOR_STAKE,
                    p2p_key: None,
                })
                .into_iter()
                .collect(),
            // --- oracle, treasury, dollar (issue 5) ---
            oracle: crate::oracle::dev_feeds(),
            treasury: Some(crate::treasury::dev_genesis()),
            dollar: Some(crate::dollar::dev_genesis()),
            // --- vault, vesting, governance, burn (issue 5) ---
            vault: Some(crate::vault::VaultGenesis::default()),
            vesting: crate::vesting::dev_schedules(),
            governance: Some(crate::governance::GovGenesis::default()),
            burn: Some(crate::burn::BurnGenesis::default()),
            amm: Some(crate::amm::genesis::dev()), // amm (issue 5)
            market: Some(crate::market::MarketParams::DEFAULT), // market (issue 4)
            savings: Vec::new(), // savings (issue 5): `verity devnet` adds its providers' policies
            consensus: None,     // validators (issue 7): defaults
            // issue 6: one dev validator attests alone (M = 1) and also manages the vault's
            // financing; 10-minute green index epochs so the index moves during a demo.
            assets: Some(crate::assets::AssetParams {
                min_attesters: 1,
                vault_manager: accounts.first().copied(),
                ..crate::assets::AssetParams::DEFAULT
            }),
            green: Some(crate::green::GreenParams {
                epoch_ms: 600_000,
                ..crate::green::GreenParams::DEFAULT
            }),
            capacity: Some(crate::capacity::CapacityParams::DEFAULT),
        }
    }

    /// Check the definition; errors say which entry is wrong.
    pub fn validate(&self) -> Result<(), LedgerError> {
        let err = |m: String| Err(LedgerError::Genesis(m));
        if self.chain_id == 0 {
            return err("chain_id must be non-zero".into());
        }
        if self.tokens.is_empty() {
            return err("tokens: at least one token is required".into());
        }
        let mut symbols = BTreeMap::new();
        for (i, t) in self.tokens.iter().enumerate() {
            if t.symbol.is_empty()
                || t.symbol.len() > 16
                || !t.symbol.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return err(format!(
                    "tokens[{i}].symbol {:?}: use 1-16 ASCII letters or digits",
                    t.symbol
                ));
            }
            if t.decimals > 36 {
                return err(format!("tokens[{i}].decimals {} > 36", t.decimals));
            }
            if symbols.insert(t.symbol.clone(), i).is_some() {
                return err(format!(
                    "tokens[{i}].symbol {:?} is defined twice",
                    t.symbol
                ));
            }
        }
        let mut sums = vec![0u128; self.tokens.len()];
        let mut seen = BTreeSet::new();
        for (i, b) in self.balances.iter().enumerate() {
            let Some(&t) = symbols.get(&b.token) else {
                return err(format!(
                    "balances[{i}].token {:?} is not a defined token",
                    b.token
                ));
            };
            if b.amount == 0 {
                return err(format!("balances[{i}].amount must be greater than zero"));
            }
            if !seen.insert((b.address, t)) {
                return err(format!(
                    "balances[{i}]: {} already has a {} balance",
                    b.address, b.token
                ));
            }
            sums[t] = math::checked_add(sums[t], b.amount).map_err(|_| {
                LedgerError::Genesis(format!("balances: total {} overflows", b.token))
            })?;
        }
        for (i, t) in self.tokens.iter().enumerate() {
            if sums[i] > t.cap {
                return err(format!(
                    "tokens[{i}] {}: genesis balances {} exceed the cap {}",
                    t.symbol, sums[i], t.cap
                ));
            }
        }
        let st = self.params.staking_token.0 as usize;
        let Some(stake_token) = self.tokens.get(st) else {
            return err(format!(
                "params.staking_token {st} is not a token id (there are {} tokens)",
                self.tokens.len()
            ));
        };
        if self.params.max_block_txs == 0 || self.params.max_unbondings == 0 {
            return err("params.max_block_txs and params.max_unbondings must be positive".into());
        }
        if let Some(m) = &self.market {
            m.validate().map_err(LedgerError::Genesis)?; // market (issue 4)
        }
        crate::validators::validate_genesis(self)?; // validators (issue 7)
        // --- assets, green, capacity (issue 6) ---
        if let Some(p) = &self.assets {
            p.validate().map_err(LedgerError::Genesis)?;
        }
        if let Some(p) = &self.green {
            p.validate().map_err(LedgerError::Genesis)?;
        }
        if let Some(p) = &self.capacity {
            p.validate().map_err(LedgerError::Genesis)?;
        }
        let mut vals = BTreeSet::new();
        for (i, v) in self.validators.iter().enumerate() {
            if v.stake == 0 {
                return err(format!("validators[{i}].stake must be greater than zero"));
            }
            if !vals.insert(v.address) {
                return err(format!("validators[{i}]: {} is listed twice", v.address));
            }
            let bal = self
                .balances
                .iter()
                .find(|b| b.address == v.address && b.token == stake_token.symbol)
                .map_or(0, |b| b.amount);
            if bal < v.stake {
                return err(format!(
                    "validators[{i}]: stake {} exceeds its genesis {} balance {bal}",
                    v.stake, stake_token.symbol
                ));
            }
        }
        Ok(())
    }
}

/// Build the genesis state (height 0).
pub(crate) fn build_state(g: &Genesis) -> Result<State, LedgerError> {
    g.validate()?;
    let mut state = State::empty(g.chain_id, g.params.clone());
    let ws = {
        let mut ex = Exec::new(&state, 0, g.genesis_time);
        ex.put(keys::META_CHAIN_ID, Some(g.chain_id.to_be_bytes().to_vec()));
        ex.put(keys::META_HEIGHT, Some(0u64.to_be_bytes().to_vec()));
        ex.put(
            keys::META_TIME,
            Some(g.genesis_time.0.to_be_bytes().to_vec()),
        );
        ex.put(keys::META_PARAMS, Some(g.params.encode()));
        let mut ids = BTreeMap::new();
        for (i, t) in g.tokens.iter().enumerate() {
            let id = TokenId(
                u32::try_from(i).map_err(|_| LedgerError::Genesis("too many tokens".into()))?,
            );
            ids.insert(t.symbol.clone(), id);
            let info = TokenInfo {
                symbol: t.symbol.clone(),
                decimals: t.decimals,
                supply: 0,
                cap: t.cap,
                mint_authority: t.mint_authority,
            };
            tokens::set_token_info(&mut ex, id, &info);
        }
        for b in &g.balances {
            let id = *ids
                .get(&b.token)
                .ok_or_else(|| LedgerError::UnknownSymbol(b.token.clone()))?;
            tokens::mint_unchecked(&mut ex, id, &b.address, b.amount)?;
        }
        let module = crate::staking::staking_account();
        for v in &g.validators {
            tokens::move_balance(
                &mut ex,
                &v.address,
                &module,
                g.params.staking_token,
                v.stake,
            )?;
            crate::staking::genesis_bond(&mut ex, &v.address, v.stake)?;
        }
        // validators (issue 7): p2p keys, consensus parameters, the set of epoch 0
        crate::validators::init_genesis(&mut ex, g)?;
        // --- oracle, treasury, dollar (issue 5): feeds, then the fund, then AID ---
        crate::oracle::apply_genesis(&mut ex, &g.oracle)?;
        if let Some(t) = &g.treasury {
            crate::treasury::apply_genesis(&mut ex, t, &ids)?;
        }
        if let Some(d) = &g.dollar {
            crate::dollar::apply_genesis(&mut ex, d, &ids)?;
        }
        // --- vault, vesting, governance, burn (issue 5) ---
        crate::vesting::init_genesis(&mut ex, &g.vesting, &ids, g.genesis_time)?;
        if let Some(v) = &g.vault {
            crate::vault::init_genesis(&mut ex, v, &ids)?;
        }
        if let Some(gv) = &g.governance {
            crate::governance::init_genesis(&mut ex, gv, &ids)?;
        }
        if let Some(b) = &g.burn {
            crate::burn::init_genesis(&mut ex, b, &ids)?;
        }
        // --- market (issue 4) ---
        if let Some(m) = &g.market {
            crate::market::params::init_genesis(&mut ex, m)?;
        }
        // --- amm (issue 5): genesis pools last, after every module is configured ---
        if let Some(a) = &g.amm {
            crate::amm::genesis::apply_genesis(&mut ex, a, &ids)?;
        }
        // --- savings (issue 5) ---
        crate::savings::init_genesis(&mut ex, &g.savings, &ids)?;
        // --- assets, green, capacity (issue 6) ---
        if let Some(p) = &g.assets {
            crate::assets::params::init_genesis(&mut ex, p)?;
        }
        if let Some(p) = &g.green {
            crate::green::init_genesis(&mut ex, p)?;
        }
        if let Some(p) = &g.capacity {
            crate::capacity::init_genesis(&mut ex, p)?;
        }
        ex.into_write_set()
    };
    state.commit(&ws)?;
    state.check_invariants()?;
    Ok(state)
}

#[cfg(test)]
#[path = "genesis_tests.rs"]
mod tests;
