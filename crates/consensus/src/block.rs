//! The block consensus orders: [`ChainBlock`], its canonical binary encoding and its digest.
//!
//! A `ChainBlock` is what a proposer builds and validators vote on. It is not the ledger's
//! [`verity_ledger::Block`]: that one carries the post-state root and is made by `apply_block`
//! only once the consensus block is finalized (see the crate doc, "State roots").
//!
//! Encoding (all integers big-endian, fixed width, so it is canonical by construction):
//!
//! ```text
//! parent digest (32) ‖ height (8) ‖ timestamp ms (8) ‖ root height (8) ‖ root (32)
//! ‖ tx count (4) ‖ { tx length (4) ‖ tx JSON } × count
//! ```
//!
//! A transaction travels as the JSON the node's API already uses; decoding re-serialises it
//! and refuses any byte string that is not exactly that serialisation, so
//! `encode(decode(b)) == b` holds (commonware's requirement for blocks).
//! The digest is SHA-256 over the whole encoding.

use bytes::BufMut;
use commonware_codec::{Buf, Decode as _, EncodeSize, Error as CodecError, Read, Write};
use commonware_consensus::{BoundedBlock, Heightable, types::Height};
use commonware_cryptography::{
    Digestible, Hasher,
    sha256::{Digest, Sha256},
};
use verity_ledger::SignedTransaction;
use verity_ledger::market::dispute::MAX_RULING_TX_BYTES;
use verity_primitives::Hash;

/// Fixed bytes before the transactions.
const HEADER_BYTES: usize = 32 + 8 + 8 + 8 + 32 + 4;

/// Bounds applied when decoding a block from the network or disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockLimits {
    /// Most transactions in one block (the genesis `max_block_txs`).
    pub max_txs: usize,
    /// Most bytes of one encoded block.
    pub max_bytes: usize,
}

impl Default for BlockLimits {
    fn default() -> Self {
        Self {
            max_txs: 10_000,
            max_bytes: 8 * 1024 * 1024,
        }
    }
}

/// A block as consensus orders it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBlock {
    parent: Digest,
    height: u64,
    timestamp: u64,
    root_height: u64,
    root: Hash,
    txs: Vec<SignedTransaction>,
    raw: Vec<Vec<u8>>,
}

impl ChainBlock {
    /// Build a block. `root` must be the ledger state root after block `root_height`, a
    /// finalized ancestor (0 = genesis).
    pub fn new(
        parent: Digest,
        height: u64,
        timestamp: u64,
        root_height: u64,
        root: Hash,
        txs: Vec<SignedTransaction>,
    ) -> Self {
        let raw = txs.iter().map(tx_json).collect();
        Self {
            parent,
            height,
            timestamp,
            root_height,
            root,
            txs,
            raw,
        }
    }

    /// The height-0 anchor every validator derives from the genesis alone: no transactions,
    /// parent = SHA-256 of the ledger's genesis hash, root = the genesis state root.
    pub fn genesis(genesis_hash: Hash, genesis_time: u64, genesis_root: Hash) -> Self {
        Self::new(
            Sha256::hash(&[&genesis_hash.0]),
            0,
            genesis_time,
            0,
            genesis_root,
            Vec::new(),
        )
    }

    /// Parent digest.
    pub fn parent_digest(&self) -> Digest {
        self.parent
    }

    /// Height (0 = the genesis anchor).
    pub fn number(&self) -> u64 {
        self.height
    }

    /// Block time, milliseconds since the Unix epoch.
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// Height of the finalized ancestor whose post-state root this block commits to.
    pub fn root_height(&self) -> u64 {
        self.root_height
    }

    /// The ledger state root after block [`Self::root_height`].
    pub fn root(&self) -> Hash {
        self.root
    }

    /// The transactions, in order.
    pub fn txs(&self) -> &[SignedTransaction] {
        &self.txs
    }

    /// Encoded size of one transaction as it sits in a block.
    pub fn tx_size(tx: &SignedTransaction) -> usize {
        4 + tx_json(tx).len()
    }

    /// Encoded size of a block with no transactions.
    pub const EMPTY_SIZE: usize = HEADER_BYTES;
}

fn tx_json(tx: &SignedTransaction) -> Vec<u8> {
    serde_json::to_vec(tx)
        .expect("serialising a transaction to JSON cannot fail: no maps with non-string keys")
}

impl Write for ChainBlock {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_slice(self.parent.as_ref());
        buf.put_u64(self.height);
        buf.put_u64(self.timestamp);
        buf.put_u64(self.root_height);
        buf.put_slice(&self.root.0);
        buf.put_u32(self.raw.len() as u32);
        for tx in &self.raw {
            buf.put_u32(tx.len() as u32);
            buf.put_slice(tx);
        }
    }
}

impl EncodeSize for ChainBlock {
    fn encode_size(&self) -> usize {
        HEADER_BYTES + self.raw.iter().map(|t| 4 + t.len()).sum::<usize>()
    }
}

fn need(buf: &impl Buf, n: usize) -> Result<(), CodecError> {
    if buf.remaining() < n {
        Err(CodecError::EndOfBuffer)
    } else {
        Ok(())
    }
}

impl Read for ChainBlock {
    type Cfg = BlockLimits;

    fn read_cfg(buf: &mut impl Buf, cfg: &BlockLimits) -> Result<Self, CodecError> {
        need(buf, HEADER_BYTES)?;
        let mut parent = [0u8; 32];
        buf.copy_to_slice(&mut parent);
        let height = buf.get_u64();
        let timestamp = buf.get_u64();
        let root_height = buf.get_u64();
        let mut root = [0u8; 32];
        buf.copy_to_slice(&mut root);
        let count = buf.get_u32() as usize;
        if count > cfg.max_txs {
            return Err(CodecError::InvalidLength(count));
        }
        let mut total = HEADER_BYTES;
        let mut txs = Vec::with_capacity(count);
        let mut raw = Vec::with_capacity(count);
        for _ in 0..count {
            need(buf, 4)?;
            let len = buf.get_u32() as usize;
            total = total.saturating_add(4 + len);
            if len > MAX_RULING_TX_BYTES || total > cfg.max_bytes {
                return Err(CodecError::InvalidLength(len));
            }
            need(buf, len)?;
            let mut bytes = vec![0u8; len];
            buf.copy_to_slice(&mut bytes);
            let tx: SignedTransaction = serde_json::from_slice(&bytes)
                .map_err(|e| CodecError::Wrapped("verity block transaction", Box::new(e)))?;
            if tx_json(&tx) != bytes {
                return Err(CodecError::Invalid(
                    "verity block transaction",
                    "not the canonical JSON of the transaction",
                ));
            }
            txs.push(tx);
            raw.push(bytes);
        }
        Ok(Self {
            parent: Digest::from(parent),
            height,
            timestamp,
            root_height,
            root: Hash(root),
            txs,
            raw,
        })
    }
}

impl Digestible for ChainBlock {
    type Digest = Digest;

    fn digest(&self) -> Digest {
        let mut bytes = Vec::with_capacity(self.encode_size());
        self.write(&mut bytes);
        Sha256::hash(&[&bytes])
    }
}

impl Heightable for ChainBlock {
    fn height(&self) -> Height {
        Height::new(self.height)
    }
}

impl commonware_consensus::Block for ChainBlock {
    fn parent(&self) -> Digest {
        self.parent
    }
}

impl BoundedBlock for ChainBlock {
    fn max_encode_size(cfg: &BlockLimits) -> usize {
        cfg.max_bytes
    }
}

/// Decode a block from bytes with `limits` (the whole input must be one block).
pub fn decode_block(bytes: &[u8], limits: &BlockLimits) -> Result<ChainBlock, CodecError> {
    ChainBlock::decode_cfg(bytes::Bytes::copy_from_slice(bytes), limits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::Encode;
    use verity_ledger::{Payload, Transaction, address_of};
    use verity_primitives::{Address, TokenId};

    fn tx(nonce: u64) -> SignedTransaction {
        let key = verity_ledger::tx::secret_key_from_bytes([7u8; 32]).expect("valid key");
        SignedTransaction::sign(
            Transaction {
                chain_id: 9,
                sender: address_of(&key),
                nonce,
                payload: Payload::Transfer {
                    to: Address([1; 20]),
                    token: TokenId(0),
                    amount: 5,
                },
            },
            &key,
        )
    }

    #[test]
    fn roundtrip_is_canonical_and_digest_covers_every_field() {
        let b = ChainBlock::new(
            Sha256::hash(&[b"p"]),
            3,
            1_000,
            1,
            Hash([4; 32]),
            vec![tx(0), tx(1)],
        );
        let bytes = b.encode();
        assert_eq!(bytes.len(), b.encode_size());
        let back = decode_block(&bytes, &BlockLimits::default()).expect("decodes");
        assert_eq!(back, b);
        assert_eq!(back.encode(), bytes);
        let other = ChainBlock::new(b.parent, 3, 1_001, 1, Hash([4; 32]), vec![tx(0), tx(1)]);
        assert_ne!(other.digest(), b.digest());
        let fewer = ChainBlock::new(b.parent, 3, 1_000, 1, Hash([4; 32]), vec![tx(0)]);
        assert_ne!(fewer.digest(), b.digest());
    }

    #[test]
    fn bounds_and_garbage_are_refused() {
        let b = ChainBlock::new(
            Sha256::hash(&[b"p"]),
            1,
            0,
            0,
            Hash::ZERO,
            vec![tx(0), tx(1)],
        );
        let bytes = b.encode();
        let tight = BlockLimits {
            max_txs: 1,
            max_bytes: 1 << 20,
        };
        assert!(decode_block(&bytes, &tight).is_err());
        let small = BlockLimits {
            max_txs: 10,
            max_bytes: HEADER_BYTES + 10,
        };
        assert!(decode_block(&bytes, &small).is_err());
        assert!(decode_block(&bytes[..bytes.len() - 1], &BlockLimits::default()).is_err());
        let mut extra = bytes.to_vec();
        extra.push(0);
        assert!(decode_block(&extra, &BlockLimits::default()).is_err());
        // Whitespace in the JSON is a different byte string for the same transaction.
        let mut spaced = ChainBlock::new(b.parent, 1, 0, 0, Hash::ZERO, vec![])
            .encode()
            .to_vec();
        let json = format!(" {}", String::from_utf8(tx_json(&tx(0))).expect("utf8"));
        spaced.truncate(HEADER_BYTES - 4);
        spaced.extend_from_slice(&1u32.to_be_bytes());
        spaced.extend_from_slice(&(json.len() as u32).to_be_bytes());
        spaced.extend_from_slice(json.as_bytes());
        assert!(decode_block(&spaced, &BlockLimits::default()).is_err());
    }

    #[test]
    fn genesis_anchor_depends_on_the_chain() {
        let a = ChainBlock::genesis(Hash([1; 32]), 0, Hash([2; 32]));
        let b = ChainBlock::genesis(Hash([3; 32]), 0, Hash([2; 32]));
        assert_ne!(a.digest(), b.digest());
        assert_eq!(a.number(), 0);
    }
}
