//! `apply_block_prehashed` (the admitting node's path, transaction hashes from admission) must
//! give exactly what `apply_block` (the path of a block received from a peer or replayed from
//! the store, which hashes every transaction itself) gives: same header, receipts, write set
//! and state. Bad hash lists are refused and leave the state unchanged.

use verity_ledger::bench::{bench_account, bench_blocks, bench_genesis};
use verity_ledger::execute::apply_block_prehashed;
use verity_ledger::genesis::{Genesis, dev_accounts};
use verity_ledger::{
    BlockInput, LedgerError, Payload, SignedTransaction, State, Transaction, apply_block,
};
use verity_primitives::{Hash, Timestamp, TokenId};

fn hashes(b: &BlockInput) -> Vec<Hash> {
    b.txs.iter().map(SignedTransaction::hash).collect()
}

#[test]
fn prehashed_equals_hashing_path_and_a_peer_replays_it() {
    let genesis = State::from_genesis(&bench_genesis(50)).expect("genesis");
    let mut blocks = bench_blocks(&genesis, 600, 50, 150);
    // Failing transactions too: an oversized transfer and a mint without authority.
    let extra = [
        Payload::Transfer {
            to: bench_account(1),
            token: TokenId(0),
            amount: u128::MAX,
        },
        Payload::Mint {
            token: TokenId(0),
            to: bench_account(2),
            amount: 5,
        },
    ];
    let sender = bench_account(49);
    let first_nonce = blocks
        .iter()
        .flat_map(|b| b.txs.iter())
        .filter(|t| t.tx.sender == sender)
        .count() as u64;
    let last = blocks.last_mut().expect("blocks");
    let n_ok = last.txs.len();
    for (nonce, payload) in (first_nonce..).zip(extra) {
        last.txs.push(SignedTransaction {
            tx: Transaction {
                chain_id: genesis.chain_id(),
                sender,
                nonce,
                payload,
            },
            signature: last.txs[0].signature,
        });
    }

    let mut own = genesis.clone();
    let mut peer = genesis.clone();
    let mut last_receipts = Vec::new();
    for b in &blocks {
        let a = apply_block_prehashed(&mut own, b, &hashes(b)).expect("own block");
        let p = apply_block(&mut peer, b).expect("peer block");
        assert_eq!(a, p, "block {}", b.height);
        assert_eq!(own.root(), peer.root());
        assert_eq!(a.header.state_root, own.root());
        last_receipts = a.receipts;
    }
    assert!(last_receipts[..n_ok].iter().all(|r| r.is_success()));
    assert_eq!(last_receipts.len(), n_ok + 2);
    assert!(last_receipts[n_ok..].iter().all(|r| !r.is_success()));
}

#[test]
fn wrong_hash_lists_are_refused_and_leave_the_state_unchanged() {
    let genesis = State::from_genesis(&bench_genesis(20)).expect("genesis");
    let blocks = bench_blocks(&genesis, 40, 20, 40);
    let b = &blocks[0];
    let mut s = genesis.clone();
    let mut short = hashes(b);
    short.pop();
    let e = apply_block_prehashed(&mut s, b, &short).expect_err("short list refused");
    assert!(matches!(e, LedgerError::InvalidBlock(_)), "{e}");
    assert_eq!(s.root(), genesis.root());
    assert_eq!(s.height(), 0);
    if cfg!(debug_assertions) {
        // Debug builds recompute every hash and refuse a wrong one.
        let mut wrong = hashes(b);
        wrong[7].0[0] ^= 1;
        let e = apply_block_prehashed(&mut s, b, &wrong).expect_err("wrong hash refused");
        assert!(matches!(e, LedgerError::InvalidBlock(_)), "{e}");
        assert_eq!(s.root(), genesis.root());
    }
    apply_block_prehashed(&mut s, b, &hashes(b)).expect("right hashes apply");
    assert_eq!(s.height(), 1);
}

#[test]
fn signed_dev_transactions_hash_the_same_on_both_paths() {
    let keys = dev_accounts(3);
    let addrs: Vec<_> = keys.iter().map(|k| k.1).collect();
    let genesis = State::from_genesis(&Genesis::dev(&addrs)).expect("dev genesis");
    let txs: Vec<SignedTransaction> = (0..3u64)
        .map(|n| {
            SignedTransaction::sign(
                Transaction {
                    chain_id: genesis.chain_id(),
                    sender: addrs[0],
                    nonce: n,
                    payload: Payload::Transfer {
                        to: addrs[1],
                        token: TokenId(0),
                        amount: 1 + u128::from(n),
                    },
                },
                &keys[0].0,
            )
        })
        .collect();
    // Admission's hash (the one recovery used) is what the node passes in.
    let admitted: Vec<Hash> = txs
        .iter()
        .map(|t| t.verify_and_hash().expect("valid signature"))
        .collect();
    let block = BlockInput {
        height: 1,
        timestamp: Timestamp(genesis.time().0 + 500),
        parent_hash: Hash::ZERO,
        txs,
    };
    let mut a = genesis.clone();
    let mut b = genesis.clone();
    let own = apply_block_prehashed(&mut a, &block, &admitted).expect("own");
    let peer = apply_block(&mut b, &block).expect("peer");
    assert_eq!(own, peer);
    for (r, h) in own.receipts.iter().zip(&admitted) {
        assert_eq!(r.tx_hash, *h);
    }
}
