//! verity-store: the node's durable record on an embedded redb database.
//!
//! One file holds everything: blocks by height, block hash → height, receipts by tx hash, an
//! index of tx hashes by account, the ledger state (the key-value write sets applied, block after
//! block) and a meta table (format version, chain id, genesis and its hash, the head: last height,
//! block hash and state root).
//!
//! A block, its receipts, its state write set, the index entries and the new head are written in
//! ONE redb write transaction with immediate durability (fsync before `commit` returns): that is
//! the acknowledgement point. After a crash redb rolls back to the last complete commit, so the
//! store is always at a block boundary. On start-up [`Store::load_state`] rebuilds the ledger state
//! from the stored entries and checks its root against the head's state root.
//!
//! A file that is not a sound redb database (truncated, garbled) is an error naming the file — it
//! is never reset. Blocks and receipts are stored as JSON (the ledger's serde forms, so anything
//! that is serialisable for the API is storable with no second encoding to keep in step).

mod error;
mod tables;

pub use error::StoreError;

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use serde::{Deserialize, Serialize};
use verity_ledger::{Block, Genesis, Receipt, State};
use verity_primitives::{Address, Hash};

use tables::{ACCOUNT_TXS, BLOCK_HASHES, BLOCKS, META, RECEIPTS, STATE};

/// Version of the on-disk layout; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// The last durable block (height 0 is the genesis state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Height of the last committed block; 0 before the first block.
    pub height: u64,
    /// Hash of that block; the genesis hash at height 0.
    pub block_hash: Hash,
    /// State root after that block.
    pub state_root: Hash,
    /// Timestamp (ms) of that block; the genesis time at height 0.
    pub timestamp: u64,
}

/// One state key-value change: `None` deletes the key.
pub type WriteOp = (Vec<u8>, Option<Vec<u8>>);

/// The durable store.
#[derive(Debug)]
pub struct Store {
    db: Database,
    path: PathBuf,
}

/// The hash that names a genesis: keccak-256 of its canonical JSON.
pub fn genesis_hash(genesis: &Genesis) -> Result<Hash, StoreError> {
    let bytes = serde_json::to_vec(genesis).map_err(StoreError::encode)?;
    Ok(Hash::keccak(&bytes))
}

impl Store {
    /// Open the database file at `path`, creating it (and its folder) if it does not exist. An
    /// existing file must be a sound redb database: a truncated or garbled file is
    /// [`StoreError::Corrupt`] naming the file, never a silent reset.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let exists = path.exists();
        if exists {
            let len = std::fs::metadata(&path)
                .map_err(|e| StoreError::io(&path, e))?
                .len();
            if len == 0 {
                return Err(StoreError::Corrupt {
                    path,
                    reason: "the file is empty (truncated?)".into(),
                });
            }
        } else if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        }
        let mut builder = Database::builder();
        // Verify every page checksum on open: an altered file fails with an error instead of
        // being trusted (redb documents that a plain open of such a file may panic).
        builder.set_check_integrity_on_open(true);
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if exists {
                builder.open(&path)
            } else {
                builder.create(&path)
            }
        }));
        let db = match opened {
            Ok(Ok(db)) => db,
            Ok(Err(redb::DatabaseError::DatabaseAlreadyOpen)) => {
                return Err(StoreError::Locked { path });
            }
            Ok(Err(e)) => {
                return Err(StoreError::Corrupt {
                    path,
                    reason: e.to_string(),
                });
            }
            Err(_) => {
                return Err(StoreError::Corrupt {
                    path,
                    reason: "the database engine could not read the file".into(),
                });
            }
        };
        let store = Self { db, path };
        store.check_format()?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn check_format(&self) -> Result<(), StoreError> {
        let Some(bytes) = self.meta(tables::K_FORMAT)? else {
            return Ok(());
        };
        let got = <[u8; 4]>::try_from(bytes.as_slice())
            .map(u32::from_le_bytes)
            .map_err(|_| self.corrupt("meta format version is not 4 bytes"))?;
        if got != FORMAT_VERSION {
            return Err(StoreError::FormatVersion {
                path: self.path.clone(),
                found: got,
                expected: FORMAT_VERSION,
            });
        }
        Ok(())
    }

    fn corrupt(&self, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            reason: reason.into(),
        }
    }

    fn db_err(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError::Database {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let rtx = self.db.begin_read().map_err(|e| self.db_err(e))?;
        let table = match rtx.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.db_err(e)),
        };
        let value = table.get(key).map_err(|e| self.db_err(e))?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    /// The stored genesis hash, or `None` for a fresh store.
    pub fn stored_genesis_hash(&self) -> Result<Option<Hash>, StoreError> {
        self.meta(tables::K_GENESIS_HASH)?
            .map(|b| {
                <[u8; 32]>::try_from(b.as_slice())
                    .map(Hash)
                    .map_err(|_| self.corrupt("meta genesis hash is not 32 bytes"))
            })
            .transpose()
    }

    /// The genesis this store was started with, or `None` for a fresh store.
    pub fn stored_genesis(&self) -> Result<Option<Genesis>, StoreError> {
        self.meta(tables::K_GENESIS)?
            .map(|b| {
                serde_json::from_slice(&b)
                    .map_err(|e| self.corrupt(format!("stored genesis does not decode: {e}")))
            })
            .transpose()
    }

    /// The last durable block, or `None` for a fresh store.
    pub fn head(&self) -> Result<Option<Head>, StoreError> {
        self.meta(tables::K_HEAD)?
            .map(|b| {
                serde_json::from_slice(&b)
                    .map_err(|e| self.corrupt(format!("stored head does not decode: {e}")))
            })
            .transpose()
    }

    /// Open the chain this store holds, for every block producer (the node's core, the consensus
    /// engine's chain): on a fresh store build the state from `genesis` (validated) and record it;
    /// otherwise check `genesis` is the stored one ([`StoreError::GenesisMismatch`]) and recover
    /// the state of the last durable block. Returns that state and its head.
    pub fn open_chain(&self, genesis: &Genesis) -> Result<(State, Head), StoreError> {
        let given = genesis_hash(genesis)?;
        match self.stored_genesis_hash()? {
            None => {
                genesis.validate()?;
                let state = State::from_genesis(genesis)?;
                let head = self.init_genesis(genesis, &state)?;
                Ok((state, head))
            }
            Some(stored) if stored != given => Err(StoreError::GenesisMismatch {
                path: self.path.clone(),
                stored,
                given,
            }),
            Some(_) => {
                let state = self.load_state()?;
                let head = self.head()?.ok_or_else(|| StoreError::NotInitialised {
                    path: self.path.clone(),
                })?;
                Ok((state, head))
            }
        }
    }

    /// Record the genesis and its state on a fresh store (one durable transaction). Fails with
    /// [`StoreError::AlreadyInitialised`] if a genesis is already stored.
    pub fn init_genesis(&self, genesis: &Genesis, state: &State) -> Result<Head, StoreError> {
        if self.stored_genesis_hash()?.is_some() {
            return Err(StoreError::AlreadyInitialised {
                path: self.path.clone(),
            });
        }
        let hash = genesis_hash(genesis)?;
        let head = Head {
            height: 0,
            block_hash: hash,
            state_root: state.root(),
            timestamp: genesis.genesis_time.0,
        };
        let genesis_json = serde_json::to_vec(genesis).map_err(StoreError::encode)?;
        let head_json = serde_json::to_vec(&head).map_err(StoreError::encode)?;
        let wtx = self.db.begin_write().map_err(|e| self.db_err(e))?;
        {
            let mut meta = wtx.open_table(META).map_err(|e| self.db_err(e))?;
            let mut st = wtx.open_table(STATE).map_err(|e| self.db_err(e))?;
            // Create every table so readers never meet a missing one.
            wtx.open_table(BLOCKS).map_err(|e| self.db_err(e))?;
            wtx.open_table(BLOCK_HASHES).map_err(|e| self.db_err(e))?;
            wtx.open_table(RECEIPTS).map_err(|e| self.db_err(e))?;
            wtx.open_table(ACCOUNT_TXS).map_err(|e| self.db_err(e))?;
            for (k, v) in state.entries() {
                st.insert(k, v).map_err(|e| self.db_err(e))?;
            }
            let put = |meta: &mut redb::Table<&str, &[u8]>, k: &str, v: &[u8]| {
                meta.insert(k, v).map(|_| ()).map_err(|e| self.db_err(e))
            };
            put(&mut meta, tables::K_FORMAT, &FORMAT_VERSION.to_le_bytes())?;
            put(
                &mut meta,
                tables::K_CHAIN_ID,
                &genesis.chain_id.to_le_bytes(),
            )?;
            put(&mut meta, tables::K_GENESIS_HASH, &hash.0)?;
            put(&mut meta, tables::K_GENESIS, &genesis_json)?;
            put(&mut meta, tables::K_HEAD, &head_json)?;
        }
        wtx.commit().map_err(|e| self.db_err(e))?;
        Ok(head)
    }

    /// Persist one block with its receipts and state write set in ONE durable transaction; when
    /// this returns `Ok` the block survives a crash. The block must extend the stored head.
    pub fn commit_block(
        &self,
        block: &Block,
        receipts: &[Receipt],
        write_set: &[WriteOp],
    ) -> Result<Head, StoreError> {
        let prev = self.head()?.ok_or_else(|| StoreError::NotInitialised {
            path: self.path.clone(),
        })?;
        let header = &block.header;
        if header.height != prev.height + 1 || header.parent_hash != prev.block_hash {
            return Err(StoreError::NotNext {
                head: prev.height,
                height: header.height,
            });
        }
        let block_hash = header.hash();
        let head = Head {
            height: header.height,
            block_hash,
            state_root: header.state_root,
            timestamp: header.timestamp.0,
        };
        let block_json = serde_json::to_vec(block).map_err(StoreError::encode)?;
        let head_json = serde_json::to_vec(&head).map_err(StoreError::encode)?;
        let wtx = self.db.begin_write().map_err(|e| self.db_err(e))?;
        {
            let mut blocks = wtx.open_table(BLOCKS).map_err(|e| self.db_err(e))?;
            blocks
                .insert(header.height, block_json.as_slice())
                .map_err(|e| self.db_err(e))?;
            let mut hashes = wtx.open_table(BLOCK_HASHES).map_err(|e| self.db_err(e))?;
            hashes
                .insert(block_hash.0.as_slice(), header.height)
                .map_err(|e| self.db_err(e))?;
            let mut rcpts = wtx.open_table(RECEIPTS).map_err(|e| self.db_err(e))?;
            let mut index = wtx.open_table(ACCOUNT_TXS).map_err(|e| self.db_err(e))?;
            for receipt in receipts {
                let json = serde_json::to_vec(receipt).map_err(StoreError::encode)?;
                rcpts
                    .insert(receipt.tx_hash.0.as_slice(), json.as_slice())
                    .map_err(|e| self.db_err(e))?;
                for account in tables::accounts_of(receipt) {
                    index
                        .insert(
                            (account.0.as_slice(), receipt.height, receipt.index),
                            receipt.tx_hash.0.as_slice(),
                        )
                        .map_err(|e| self.db_err(e))?;
                }
            }
            let mut st = wtx.open_table(STATE).map_err(|e| self.db_err(e))?;
            for (k, v) in write_set {
                match v {
                    Some(v) => st.insert(k.as_slice(), v.as_slice()).map(|_| ()),
                    None => st.remove(k.as_slice()).map(|_| ()),
                }
                .map_err(|e| self.db_err(e))?;
            }
            let mut meta = wtx.open_table(META).map_err(|e| self.db_err(e))?;
            meta.insert(tables::K_HEAD, head_json.as_slice())
                .map_err(|e| self.db_err(e))?;
        }
        // Durability::Immediate is redb's default: commit returns after the fsync.
        wtx.commit().map_err(|e| self.db_err(e))?;
        Ok(head)
    }

    /// Rebuild the ledger state from the stored entries and check that its root equals the
    /// head's state root (a mismatch is [`StoreError::RootMismatch`]).
    pub fn load_state(&self) -> Result<State, StoreError> {
        let head = self.head()?.ok_or_else(|| StoreError::NotInitialised {
            path: self.path.clone(),
        })?;
        let rtx = self.db.begin_read().map_err(|e| self.db_err(e))?;
        let table = rtx.open_table(STATE).map_err(|e| self.db_err(e))?;
        let mut entries = Vec::with_capacity(table.len().map_err(|e| self.db_err(e))? as usize);
        for item in table.iter().map_err(|e| self.db_err(e))? {
            let (k, v) = item.map_err(|e| self.db_err(e))?;
            entries.push((k.value().to_vec(), v.value().to_vec()));
        }
        let state = State::from_entries(entries)
            .map_err(|e| self.corrupt(format!("stored state does not decode: {e}")))?;
        if state.height() != head.height {
            return Err(self.corrupt(format!(
                "stored state is at height {}, the head at {}",
                state.height(),
                head.height
            )));
        }
        if state.root() != head.state_root {
            return Err(StoreError::RootMismatch {
                path: self.path.clone(),
                height: head.height,
                stored: head.state_root,
                rebuilt: state.root(),
            });
        }
        Ok(state)
    }

    /// The block at `height`, if committed.
    pub fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        let rtx = self.db.begin_read().map_err(|e| self.db_err(e))?;
        let table = match rtx.open_table(BLOCKS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.db_err(e)),
        };
        let Some(v) = table.get(height).map_err(|e| self.db_err(e))? else {
            return Ok(None);
        };
        serde_json::from_slice(v.value())
            .map(Some)
            .map_err(|e| self.corrupt(format!("block {height} does not decode: {e}")))
    }

    /// The height of the block with this hash, if committed.
    pub fn height_of(&self, block_hash: &Hash) -> Result<Option<u64>, StoreError> {
        let rtx = self.db.begin_read().map_err(|e| self.db_err(e))?;
        let table = match rtx.open_table(BLOCK_HASHES) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.db_err(e)),
        };
        Ok(table
            .get(block_hash.0.as_slice())
            .map_err(|e| self.db_err(e))?
            .map(|v| v.value()))
    }

    /// The receipt of a committed transaction.
    pub fn receipt(&self, tx_hash: &Hash) -> Result<Option<Receipt>, StoreError> {
        let rtx = self.db.begin_read().map_err(|e| self.db_err(e))?;
        let table = match rtx.open_table(RECEIPTS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.db_err(e)),
        };
        let Some(v) = table
            .get(tx_hash.0.as_slice())
            .map_err(|e| self.db_err(e))?
        else {
            return Ok(None);
        };
        serde_json::from_slice(v.value())
            .map(Some)
            .map_err(|e| self.corrupt(format!("receipt {tx_hash} does not decode: {e}")))
    }

    /// The most recent `limit` transactions that touched `account` (sent, or named in an event),
    /// newest first.
    pub fn account_txs(&self, account: &Address, limit: usize) -> Result<Vec<Hash>, StoreError> {
        let rtx = self.db.begin_read().map_err(|e| self.db_err(e))?;
        let table = match rtx.open_table(ACCOUNT_TXS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(self.db_err(e)),
        };
        let lo = (account.0.as_slice(), 0u64, 0u32);
        let hi = (account.0.as_slice(), u64::MAX, u32::MAX);
        let mut out = Vec::new();
        for item in table.range(lo..=hi).map_err(|e| self.db_err(e))?.rev() {
            if out.len() >= limit {
                break;
            }
            let (_, v) = item.map_err(|e| self.db_err(e))?;
            let bytes = <[u8; 32]>::try_from(v.value())
                .map_err(|_| self.corrupt("account index value is not a 32-byte hash"))?;
            out.push(Hash(bytes));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
