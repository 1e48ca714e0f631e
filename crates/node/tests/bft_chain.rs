//! The node's commit path in validator mode (`NodeCore::commit_input`, which `NodeChain::commit`
//! calls for every finalized block) and the consensus crate's reference `LedgerChain` produce the
//! same heads — block hash, state root, timestamp — from the same genesis and the same finalized
//! blocks, including transactions a stale proposer repeated (dropped by `executable_txs`).

use verity_consensus::{Chain, ChainHead, LedgerChain, executable_txs, next_input};
use verity_ledger::genesis::{Genesis, dev_accounts};
use verity_ledger::{Payload, SignedTransaction, TokenId, Transaction};
use verity_node::{CoreConfig, NodeCore};
use verity_store::Store;

fn transfer(i: usize, nonce: u64, amount: u128) -> SignedTransaction {
    let accounts = dev_accounts(3);
    let (k, from) = accounts[i];
    SignedTransaction::sign(
        Transaction {
            chain_id: 1337,
            sender: from,
            nonce,
            payload: Payload::Transfer {
                to: accounts[(i + 1) % 3].1,
                token: TokenId(0),
                amount,
            },
        },
        &k,
    )
}

#[test]
fn node_commit_matches_ledger_chain_block_for_block() {
    let dir = tempfile::tempdir().unwrap();
    let addrs: Vec<_> = dev_accounts(3).iter().map(|a| a.1).collect();
    let genesis = Genesis::dev(&addrs);
    let reference = LedgerChain::open(Store::open(dir.path().join("a.redb")).unwrap(), &genesis)
        .expect("ledger chain");
    let mut core = NodeCore::open(
        Store::open(dir.path().join("b.redb")).unwrap(),
        &genesis,
        CoreConfig::from_genesis(&genesis),
    )
    .expect("node core");
    let head = |core: &NodeCore| ChainHead::from(core.head());
    assert_eq!(head(&core), reference.head(), "same genesis head");

    let blocks: Vec<Vec<SignedTransaction>> = vec![
        vec![transfer(0, 0, 5), transfer(1, 0, 7), transfer(0, 1, 9)],
        // A repeat of an executed tx and a nonce gap: both dropped by executable_txs.
        vec![transfer(0, 1, 9), transfer(2, 0, 1), transfer(1, 5, 1)],
        vec![],
        vec![transfer(2, 1, 3), transfer(0, 2, 4)],
    ];
    for (i, txs) in blocks.into_iter().enumerate() {
        let txs = reference.with_state(|s| executable_txs(s, &txs));
        let input = next_input(&reference.head(), 1_800_000_000_000 + i as u64 * 500, txs);
        let expected = reference.commit(input.clone()).expect("reference commit");
        core.commit_input(input).expect("node commit");
        assert_eq!(head(&core), expected, "block {}", i + 1);
        assert_eq!(core.state().root(), expected.state_root);
    }
    assert_eq!(core.head().height, 4);
}
