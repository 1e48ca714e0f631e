//! The chain driver: the simulated accounts ([`Accounts`], devnet keys), the genesis built
//! from [`Genesis::dev`], and [`World`], which signs transactions with those keys, admits them
//! like a mempool would ([`check_admission`]) and seals one block per simulated hour with
//! [`apply_block`].

use crate::SimError;
use crate::config::SimConfig;
use std::collections::BTreeMap;
use verity_ledger::genesis::{self, GenesisBalance};
use verity_ledger::{
    Address, BlockInput, Genesis, Hash, Payload, Receipt, SecretKey, SignedTransaction, State,
    Timestamp, TokenId, Transaction, TxStatus, apply_block, check_admission,
};

/// One simulated hour of block time, ms.
pub const HOUR_MS: u64 = 3_600_000;
/// One whole VTY.
pub const VTY_ONE: u128 = genesis::VTY;
/// One whole USDC (6 decimals).
pub const USDC_ONE: u128 = 1_000_000;
/// Extra VTY the arbitrageur starts with (out of the community-sale share).
pub const ARB_VTY: u128 = 100_000_000 * VTY_ONE;
/// Extra USDC the arbitrageur starts with.
pub const ARB_USDC: u128 = 20_000_000 * USDC_ONE;
/// Extra VTY each buyer starts with (out of the community-sale share).
pub const BUYER_VTY: u128 = 20_000_000 * VTY_ONE;
/// Extra USDC the financier (the GPU operator whose deal pays the vault) starts with.
pub const FINANCIER_USDC: u128 = 5_000_000 * USDC_ONE;
/// VTY each provider and verifier bonds at the start.
pub const AGENT_STAKE: u128 = 200_000 * VTY_ONE;

/// Who plays which part (all devnet keys: `dev_secret(i)` in the order listed, plus the named
/// `oracle` reporter).
#[derive(Clone, Debug)]
pub struct Accounts {
    /// Staked verifiers; the first is the genesis validator (dev account 0).
    pub verifiers: Vec<Address>,
    /// Providers.
    pub providers: Vec<Address>,
    /// Buyers.
    pub buyers: Vec<Address>,
    /// Vault savers.
    pub savers: Vec<Address>,
    /// Runs the permissionless chores (close bidding, settle, timeouts, NAV, buyback).
    pub keeper: Address,
    /// Trades the pools back to the reference prices.
    pub arbitrageur: Address,
    /// The GPU operator: owns the financed asset, runs the AID-paid jobs (see `financing`).
    pub financier: Address,
    /// The T-bill yield reporter (devnet key `oracle`).
    pub oracle: Address,
}

impl Accounts {
    /// Staked agents that verify when drawn: verifiers, then providers.
    pub fn stakers(&self) -> impl Iterator<Item = &Address> {
        self.verifiers.iter().chain(self.providers.iter())
    }
}

/// Token ids of the devnet tokens the simulation uses.
#[derive(Clone, Copy, Debug)]
pub struct Tokens {
    /// The reward/staking token.
    pub vty: TokenId,
    /// USD stablecoin.
    pub usdc: TokenId,
    /// The T-bill fund share.
    pub tbill: TokenId,
    /// The synthetic dollar.
    pub aid: TokenId,
}

impl Tokens {
    fn resolve(s: &State) -> Result<Tokens, SimError> {
        let id = |sym: &str| {
            s.token_by_symbol(sym)
                .map(|(t, _)| t)
                .ok_or_else(|| SimError::Config(format!("the devnet genesis has no {sym}")))
        };
        Ok(Tokens {
            vty: id("VTY")?,
            usdc: id("USDC")?,
            tbill: id("TBILL")?,
            aid: id("AID")?,
        })
    }
}

/// The chain plus the keys that sign for every simulated account.
pub struct World {
    /// Token ids.
    pub tokens: Tokens,
    /// The ledger state after the last sealed block.
    pub state: State,
    /// The roles.
    pub accounts: Accounts,
    keys: BTreeMap<Address, SecretKey>,
    nonces: BTreeMap<Address, u64>,
    pending: Vec<SignedTransaction>,
    parent: Hash,
    /// Transactions sealed so far.
    pub tx_count: u64,
    /// Failed receipts by payload type: (count, first error).
    pub failures: BTreeMap<String, (u64, String)>,
}

impl World {
    /// The genesis and keys for `cfg`.
    pub fn new(cfg: &SimConfig) -> Result<World, SimError> {
        let v = cfg.verifiers.max(1) as usize;
        let p = cfg.providers as usize;
        let b = cfg.buyers as usize;
        let s = cfg.savers as usize;
        let n = v + p + b + s + 3;
        let n32 = u32::try_from(n).map_err(|_| SimError::Config("too many accounts".into()))?;
        let dev = genesis::dev_accounts(n32);
        let addrs: Vec<Address> = dev.iter().map(|(_, a)| *a).collect();
        let mut keys: BTreeMap<Address, SecretKey> = dev.iter().map(|(k, a)| (*a, *k)).collect();
        let oracle_key = genesis::dev_secret_named(verity_ledger::oracle::DEV_REPORTER);
        let oracle = verity_ledger::address_of(&oracle_key);
        keys.insert(oracle, oracle_key);
        let mut at = 0;
        let mut take = |k: usize| {
            let out = addrs[at..at + k].to_vec();
            at += k;
            out
        };
        let verifiers = take(v);
        let providers = take(p);
        let buyers = take(b);
        let savers = take(s);
        let rest = take(3);
        let accounts = Accounts {
            verifiers,
            providers,
            buyers,
            savers,
            keeper: rest[0],
            arbitrageur: rest[1],
            financier: rest[2],
            oracle,
        };
        let g = sim_genesis(&addrs, &accounts)?;
        let state = State::from_genesis(&g)?;
        Ok(World {
            tokens: Tokens::resolve(&state)?,
            state,
            accounts,
            keys,
            nonces: BTreeMap::new(),
            pending: Vec::new(),
            parent: Hash::ZERO,
            tx_count: 0,
            failures: BTreeMap::new(),
        })
    }

    /// Block time of the next block (one hour after the last).
    pub fn next_time(&self) -> Timestamp {
        Timestamp(self.state.time().0 + HOUR_MS)
    }

    /// Height of the next block.
    pub fn next_height(&self) -> u64 {
        self.state.height() + 1
    }

    /// Sign `payload` from `from` with its devnet key, admit it and queue it for the next block.
    pub fn send(&mut self, from: Address, payload: Payload) -> Result<(), SimError> {
        let key = *self
            .keys
            .get(&from)
            .ok_or_else(|| SimError::Config(format!("no simulated key for {from}")))?;
        let next = self.nonces.entry(from).or_insert(0);
        let tx = Transaction {
            chain_id: self.state.chain_id(),
            sender: from,
            nonce: *next,
            payload,
        };
        let signed = SignedTransaction::sign(tx, &key);
        check_admission(&self.state, &signed)?;
        *next += 1;
        self.pending.push(signed);
        Ok(())
    }

    /// Execute the queued transactions as the next block (one hour later); returns its receipts.
    pub fn seal(&mut self) -> Result<Vec<Receipt>, SimError> {
        let block = BlockInput {
            height: self.next_height(),
            timestamp: self.next_time(),
            parent_hash: self.parent,
            txs: std::mem::take(&mut self.pending),
        };
        let out = apply_block(&mut self.state, &block)?;
        self.parent = out.header.hash();
        self.tx_count += block.txs.len() as u64;
        for (r, tx) in out.receipts.iter().zip(&block.txs) {
            if let TxStatus::Failed { error } = &r.status {
                let e = self
                    .failures
                    .entry(tx.tx.payload.type_name().to_string())
                    .or_insert((0, error.clone()));
                e.0 += 1;
            }
        }
        Ok(out.receipts)
    }
}

/// The devnet genesis for these accounts, with the arbitrageur, buyers and financier funded
/// (VTY out of the community-sale balance, so the supply is unchanged; USDC under its cap).
fn sim_genesis(addrs: &[Address], a: &Accounts) -> Result<Genesis, SimError> {
    let mut g = Genesis::dev(addrs);
    let sale = genesis::dev_address_named("community-sale");
    let extra_vty = ARB_VTY
        + BUYER_VTY * a.buyers.len() as u128
        + crate::financing::KEEPER_LOCK_VTY
        + AGENT_STAKE;
    let entry = g
        .balances
        .iter_mut()
        .find(|b| b.address == sale && b.token == "VTY")
        .ok_or_else(|| SimError::Config("the devnet genesis has no community-sale VTY".into()))?;
    entry.amount = entry.amount.checked_sub(extra_vty).ok_or_else(|| {
        SimError::Config("too many buyers for the community-sale VTY balance".into())
    })?;
    let mut add = |who: Address, token: &str, amount: u128| {
        if let Some(b) = g
            .balances
            .iter_mut()
            .find(|b| b.address == who && b.token == token)
        {
            b.amount += amount;
        } else {
            g.balances.push(GenesisBalance {
                address: who,
                token: token.into(),
                amount,
            });
        }
    };
    add(a.arbitrageur, "VTY", ARB_VTY);
    add(a.arbitrageur, "USDC", ARB_USDC);
    add(a.financier, "USDC", FINANCIER_USDC);
    add(a.financier, "VTY", AGENT_STAKE);
    add(a.keeper, "VTY", crate::financing::KEEPER_LOCK_VTY);
    for b in &a.buyers {
        add(*b, "VTY", BUYER_VTY);
        add(*b, "USDC", crate::financing::BUYER_AID_USDC);
    }
    Ok(g)
}

/// Text of a failed receipt, if it failed.
pub fn failure(r: &Receipt) -> Option<&str> {
    match &r.status {
        TxStatus::Failed { error } => Some(error),
        _ => None,
    }
}
