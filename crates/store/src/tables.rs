//! The redb table definitions and meta keys of the store's layout, and which accounts a receipt
//! is indexed under.

use redb::TableDefinition;
use verity_ledger::{Event, Receipt};
use verity_primitives::Address;

/// Meta: format version, chain id, genesis, genesis hash, head.
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Block height → block (JSON).
pub(crate) const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
/// Block hash → height.
pub(crate) const BLOCK_HASHES: TableDefinition<&[u8], u64> = TableDefinition::new("block_hashes");
/// Tx hash → receipt (JSON).
pub(crate) const RECEIPTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("receipts");
/// (account, height, index) → tx hash.
pub(crate) const ACCOUNT_TXS: TableDefinition<(&[u8], u64, u32), &[u8]> =
    TableDefinition::new("account_txs");
/// Ledger state key → value.
pub(crate) const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");

pub(crate) const K_FORMAT: &str = "format_version";
pub(crate) const K_CHAIN_ID: &str = "chain_id";
pub(crate) const K_GENESIS: &str = "genesis";
pub(crate) const K_GENESIS_HASH: &str = "genesis_hash";
pub(crate) const K_HEAD: &str = "head";

/// The accounts a receipt is indexed under: its sender and every account its events credit.
pub(crate) fn accounts_of(receipt: &Receipt) -> Vec<Address> {
    let mut out = vec![receipt.sender];
    for event in &receipt.events {
        match event {
            Event::Transfer { from, to, .. } => {
                out.push(*from);
                out.push(*to);
            }
            Event::Mint { to, .. } => out.push(*to),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}
