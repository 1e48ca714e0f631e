//! The authenticated state: the committed key-value entries, held by the Merkle commitment
//! over them ([`tree`]: values in its buckets, keys also in an ordered index for scans), typed
//! read views for the API, balance proofs ([`proof`]) and the block execution overlay
//! ([`overlay`]). Key layout and value encoding are in [`keys`].

pub mod keys;
pub mod overlay;
pub mod proof;
pub mod tree;

pub use overlay::Exec;
pub use proof::BalanceProof;

use crate::error::LedgerError;
use crate::genesis::Params;
use crate::identity::Actor;
use crate::staking::StakeView;
use crate::tokens::TokenInfo;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Bound;
use verity_primitives::{Address, Hash, Timestamp, TokenId, amount_str};

/// A state key held inline (no heap allocation, no pointer to chase on comparison) when it is
/// at most 32 bytes long, as every fixed-layout key is; longer keys spill to the heap.
pub type KeyBuf = smallvec::SmallVec<[u8; 32]>;

/// Read access to raw state entries (committed state or an execution overlay).
pub trait Store {
    /// The value under `key`, if any.
    fn get(&self, key: &[u8]) -> Option<&[u8]>;
}

/// One account as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// The account.
    pub address: Address,
    /// Next expected nonce.
    pub nonce: u64,
    /// Non-zero balances by token.
    pub balances: Vec<BalanceEntry>,
    /// Actor record, if registered.
    pub actor: Option<Actor>,
    /// Bonded and unbonding stake.
    pub stake: StakeView,
}

/// A (token, amount) pair of an [`AccountView`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceEntry {
    /// Token id.
    pub token: TokenId,
    /// Token symbol.
    pub symbol: String,
    /// Base units.
    #[serde(with = "amount_str")]
    pub amount: u128,
}

/// The ledger state after some block (or genesis, height 0).
#[derive(Clone)]
pub struct State {
    tree: tree::TreeStore,
    root: Hash,
    chain_id: u64,
    height: u64,
    time: Timestamp,
    params: Params,
    domain_separator: Hash,
}

/// Point lookups go through the tree's buckets (one blake3 of the key, then a bucket of about
/// one entry); the ordered map serves range scans.
impl Store for State {
    fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.tree.get(tree::bucket_of(key), key)
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("chain_id", &self.chain_id)
            .field("height", &self.height)
            .field("root", &self.root)
            .field("entries", &self.tree.entry_count())
            .finish()
    }
}

impl State {
    /// An empty state (no entries) used as the base for genesis and rebuilds.
    pub(crate) fn empty(chain_id: u64, params: Params) -> State {
        State {
            tree: tree::TreeStore::default(),
            root: Hash::ZERO,
            chain_id,
            height: 0,
            time: Timestamp(0),
            params,
            domain_separator: crate::tx::domain_separator(chain_id),
        }
    }

    /// Build the state from `genesis` (height 0).
    pub fn from_genesis(genesis: &crate::genesis::Genesis) -> Result<State, LedgerError> {
        crate::genesis::build_state(genesis)
    }

    /// Rebuild a state from all its entries (as returned by [`State::entries`]), e.g. from a
    /// store snapshot. Chain id, height, time and parameters are read from the entries; the root
    /// is recomputed (compare it with the stored block header's `state_root`).
    pub fn from_entries(
        entries: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>,
    ) -> Result<State, LedgerError> {
        // Later duplicates win, as in a map built from the same list.
        let kv: BTreeMap<Vec<u8>, Vec<u8>> = entries.into_iter().collect();
        let mut s = State::empty(0, Params::default());
        let root = s
            .tree
            .update(kv.iter().map(|(k, v)| (k.as_slice(), Some(v.as_slice()))))?;
        s.root = root;
        s.reload_meta()?;
        Ok(s)
    }

    fn reload_meta(&mut self) -> Result<(), LedgerError> {
        let need = |k: &[u8], what: &str| {
            self.tree
                .get(tree::bucket_of(k), k)
                .ok_or_else(|| LedgerError::Corrupt(format!("state has no {what} entry")))
        };
        self.chain_id = keys::decode_u64(need(keys::META_CHAIN_ID, "chain id")?, "chain id")?;
        self.height = keys::decode_u64(need(keys::META_HEIGHT, "height")?, "height")?;
        self.time = Timestamp(keys::decode_u64(need(keys::META_TIME, "time")?, "time")?);
        self.params = Params::decode(need(keys::META_PARAMS, "params")?)?;
        self.domain_separator = crate::tx::domain_separator(self.chain_id);
        Ok(())
    }

    /// The value under `key` whose tree bucket is `bucket` (= `tree::bucket_of(key)`, which
    /// the caller already computed).
    pub(crate) fn get_in(&self, bucket: usize, key: &[u8]) -> Option<&[u8]> {
        self.tree.get(bucket, key)
    }

    /// Apply a block's write set (sorted, unique keys) and recompute the root.
    pub(crate) fn commit(
        &mut self,
        write_set: &[(Vec<u8>, Option<Vec<u8>>)],
    ) -> Result<Hash, LedgerError> {
        let root = self
            .tree
            .update(write_set.iter().map(|(k, v)| (k.as_slice(), v.as_deref())))?;
        self.root = root;
        self.reload_meta()?;
        Ok(root)
    }

    /// [`State::commit`] of a block's writes that may still hold no-ops (a key set to the
    /// value it has, a delete of an absent key), each entry's tree bucket known (`buckets[i]`
    /// belongs to `write_set[i]`): the no-ops are removed from `write_set` (what remains is
    /// what the store persists) while the tree applies the rest.
    pub(crate) fn commit_block_writes(
        &mut self,
        write_set: &mut Vec<(Vec<u8>, Option<Vec<u8>>)>,
        buckets: &[usize],
    ) -> Result<Hash, LedgerError> {
        if buckets.len() != write_set.len() {
            return Err(LedgerError::Corrupt(
                "write set and bucket list differ in length".into(),
            ));
        }
        let mut kept = Vec::with_capacity(write_set.len());
        let root = self.tree.update_bucketed_kept(
            buckets
                .iter()
                .zip(write_set.iter())
                .map(|(b, (k, v))| (*b, k.as_slice(), v.as_deref())),
            &mut kept,
        )?;
        let mut kept = kept.into_iter();
        write_set.retain(|_| kept.next().unwrap_or(true));
        self.root = root;
        self.reload_meta()?;
        Ok(root)
    }

    /// The state root (bucketed Merkle tree root over all entries, see [`tree`]).
    pub fn root(&self) -> Hash {
        self.root
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// Height of the last applied block (0 = genesis).
    pub fn height(&self) -> u64 {
        self.height
    }

    /// Timestamp of the last applied block (genesis time at height 0).
    pub fn time(&self) -> Timestamp {
        self.time
    }

    /// Chain parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The EIP-712 domain separator of this chain (cached).
    pub fn domain_separator(&self) -> Hash {
        self.domain_separator
    }

    /// The next nonce `addr` must use.
    pub fn nonce(&self, addr: Address) -> u64 {
        crate::execute::nonce(self, &addr).unwrap_or(0)
    }

    /// Balance of `addr` in `token` (0 if none).
    pub fn balance(&self, addr: Address, token: TokenId) -> u128 {
        crate::tokens::balance(self, &addr, token).unwrap_or(0)
    }

    /// Registry entry of `token`.
    pub fn token(&self, token: TokenId) -> Option<TokenInfo> {
        crate::tokens::token_info(self, token).ok()
    }

    /// All registered tokens in id order.
    pub fn tokens(&self) -> Vec<(TokenId, TokenInfo)> {
        let mut out = Vec::new();
        for (k, v) in self.range(&[keys::TOKEN], &[keys::TOKEN + 1]) {
            if k.len() == 5 {
                let id = TokenId(u32::from_be_bytes([k[1], k[2], k[3], k[4]]));
                if let Ok(info) = TokenInfo::decode(v) {
                    out.push((id, info));
                }
            }
        }
        out
    }

    /// Look a token up by symbol (exact, case-sensitive).
    pub fn token_by_symbol(&self, symbol: &str) -> Option<(TokenId, TokenInfo)> {
        self.tokens().into_iter().find(|(_, t)| t.symbol == symbol)
    }

    /// Actor record of `addr`.
    pub fn actor(&self, addr: Address) -> Option<Actor> {
        crate::identity::actor(self, &addr).ok().flatten()
    }

    /// Stake of `addr`.
    pub fn stake(&self, addr: Address) -> StakeView {
        crate::staking::stake_record(self, &addr)
            .map(|r| r.view())
            .unwrap_or_default()
    }

    /// Everything about one account.
    pub fn account(&self, addr: Address) -> AccountView {
        let mut balances = Vec::new();
        let mut lo = vec![keys::BALANCE];
        lo.extend_from_slice(&addr.0);
        let mut hi = lo.clone();
        hi.extend_from_slice(&[0xff; 5]);
        for (k, v) in self.range(&lo, &hi) {
            if let (Some((_, token)), Ok(amount)) =
                (keys::parse_balance_key(k), keys::decode_u128(v, "balance"))
            {
                let symbol = self.token(token).map(|t| t.symbol).unwrap_or_default();
                balances.push(BalanceEntry {
                    token,
                    symbol,
                    amount,
                });
            }
        }
        AccountView {
            address: addr,
            nonce: self.nonce(addr),
            balances,
            actor: self.actor(addr),
            stake: self.stake(addr),
        }
    }

    /// `addr`'s balance of `token` with a Merkle proof against [`State::root`].
    pub fn prove_balance(
        &self,
        addr: Address,
        token: TokenId,
    ) -> Result<BalanceProof, LedgerError> {
        let key = keys::balance_key(&addr, token);
        let proof = self.tree.prove(&key);
        let balance = match self.get(&key) {
            Some(v) => keys::decode_u128(v, "balance")?,
            None => 0,
        };
        Ok(BalanceProof {
            address: addr,
            token,
            balance,
            state_root: self.root,
            height: self.height,
            proof,
        })
    }

    /// Every (key, value) entry in key order (for store snapshots and [`State::from_entries`]).
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.tree.range(Bound::Unbounded, Bound::Unbounded)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.tree.entry_count()
    }

    /// True when the state has no entries (never after genesis).
    pub fn is_empty(&self) -> bool {
        self.tree.entry_count() == 0
    }

    /// Entries whose key starts with `prefix`, in key order.
    pub(crate) fn scan(&self, prefix: u8) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let hi: Vec<u8> = if prefix == u8::MAX {
            vec![0xff; 64]
        } else {
            vec![prefix + 1]
        };
        self.range(&[prefix], &hi)
    }

    /// Committed keys starting with `prefix`, in key order.
    pub(crate) fn keys_with_prefix<'a>(
        &'a self,
        prefix: &'a [u8],
    ) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.tree
            .keys_from(prefix)
            .take_while(move |k| k.starts_with(prefix))
    }

    /// Entries with `lo <= key < hi`, in key order.
    fn range<'a>(
        &'a self,
        lo: &[u8],
        hi: &[u8],
    ) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + use<'a> {
        self.tree.range(Bound::Included(lo), Bound::Excluded(hi))
    }

    /// Check every module invariant: Σ balances = supply ≤ cap per token; bonded + unbonding =
    /// the staking module's balance of the staking token.
    pub fn check_invariants(&self) -> Result<(), LedgerError> {
        crate::tokens::check_invariants(self)?;
        crate::staking::check_invariants(self)?;
        crate::amm::check_invariants(self)?; // amm (issue 5)
        crate::treasury::check_invariants(self)?; // treasury (issue 5)
        crate::dollar::check_invariants(self)?; // dollar (issue 5)
        crate::vault::check_invariants(self)?; // vault (issue 5)
        crate::vesting::check_invariants(self)?; // vesting (issue 5)
        crate::governance::check_invariants(self)?; // governance (issue 5)
        crate::market::check_invariants(self)?; // market/dispute (issue 4)
        crate::assets::check_invariants(self)?; // assets/financing (issue 6)
        crate::green::check_invariants(self)?; // green (issue 6)
        crate::capacity::check_invariants(self)?; // capacity (issue 6)
        crate::position::check_invariants(self)?; // position (issue 6)
        crate::validators::check_invariants(self)?; // validators (issue 7)
        Ok(())
    }
}
