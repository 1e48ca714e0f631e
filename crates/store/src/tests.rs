//! Store tests: genesis and block commits survive a reopen; the state rebuilt from disk has the
//! recorded root; truncated, garbled, empty and foreign files are clear errors naming the file;
//! blocks that do not extend the head and tampered state are refused.

use super::*;
use verity_ledger::tx::secret_key_from_bytes;
use verity_ledger::{
    BlockInput, Payload, SecretKey, SignedTransaction, Transaction, address_of, apply_block,
};
use verity_primitives::{Timestamp, TokenId};

fn key(i: u8) -> SecretKey {
    secret_key_from_bytes([i + 1; 32]).expect("a small constant is a valid secret key")
}

fn setup() -> (tempfile::TempDir, Genesis, Vec<SecretKey>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let keys: Vec<SecretKey> = (0..3).map(key).collect();
    let addrs: Vec<Address> = keys.iter().map(address_of).collect();
    (dir, Genesis::dev(&addrs), keys)
}

/// The first token the account holds.
fn funded_token(state: &State, who: Address) -> TokenId {
    state
        .account(who)
        .balances
        .first()
        .expect("dev accounts are funded")
        .token
}

/// Apply one block of `n` transfers from key 0 to key 1 on `state`; returns the block pieces.
fn make_block(
    state: &mut State,
    head: &Head,
    keys: &[SecretKey],
    n: u64,
) -> (Block, Vec<Receipt>, Vec<WriteOp>) {
    let from = address_of(&keys[0]);
    let to = address_of(&keys[1]);
    let token = funded_token(state, from);
    let start = state.nonce(from);
    let txs: Vec<SignedTransaction> = (0..n)
        .map(|i| {
            let tx = Transaction {
                chain_id: state.chain_id(),
                sender: from,
                nonce: start + i,
                payload: Payload::Transfer {
                    to,
                    token,
                    amount: 1 + u128::from(i),
                },
            };
            SignedTransaction::sign(tx, &keys[0])
        })
        .collect();
    let input = BlockInput {
        height: head.height + 1,
        timestamp: Timestamp(head.timestamp + 1000),
        parent_hash: head.block_hash,
        txs,
    };
    let out = apply_block(state, &input).expect("valid block applies");
    (
        Block {
            header: out.header,
            txs: input.txs,
        },
        out.receipts,
        out.write_set,
    )
}

#[test]
fn genesis_and_blocks_survive_reopen() {
    let (dir, genesis, keys) = setup();
    let path = dir.path().join("chain.redb");
    let mut state = State::from_genesis(&genesis).expect("dev genesis is valid");
    let mut hashes = Vec::new();
    {
        let store = Store::open(&path).expect("create");
        assert_eq!(store.head().expect("read"), None);
        let mut head = store.init_genesis(&genesis, &state).expect("init");
        assert_eq!(head.height, 0);
        assert_eq!(
            store.stored_genesis_hash().expect("read"),
            Some(genesis_hash(&genesis).expect("hash"))
        );
        assert!(matches!(
            store.init_genesis(&genesis, &state),
            Err(StoreError::AlreadyInitialised { .. })
        ));
        for _ in 0..3 {
            let (block, receipts, ws) = make_block(&mut state, &head, &keys, 4);
            hashes.extend(receipts.iter().map(|r| r.tx_hash));
            head = store.commit_block(&block, &receipts, &ws).expect("commit");
            assert_eq!(head.state_root, state.root());
        }
    }
    let store = Store::open(&path).expect("reopen");
    let head = store.head().expect("read").expect("head stored");
    assert_eq!(head.height, 3);
    let rebuilt = store.load_state().expect("rebuild");
    assert_eq!(rebuilt.root(), state.root());
    assert_eq!(rebuilt.height(), 3);
    assert_eq!(rebuilt.nonce(address_of(&keys[0])), 12);
    assert_eq!(store.stored_genesis().expect("read"), Some(genesis.clone()));
    let b2 = store.block(2).expect("read").expect("block 2 stored");
    assert_eq!(b2.header.height, 2);
    assert_eq!(store.height_of(&b2.header.hash()).expect("read"), Some(2));
    assert_eq!(store.block(4).expect("read"), None);
    for h in &hashes {
        let r = store.receipt(h).expect("read").expect("receipt stored");
        assert_eq!(&r.tx_hash, h);
    }
    assert_eq!(store.receipt(&Hash::ZERO).expect("read"), None);
    // Both the sender and the recipient index every transfer, newest first.
    for who in [address_of(&keys[0]), address_of(&keys[1])] {
        let txs = store.account_txs(&who, 100).expect("read");
        assert_eq!(txs.len(), 12);
        assert_eq!(txs.first(), hashes.last());
    }
    assert_eq!(
        store.account_txs(&address_of(&keys[2]), 100).expect("read"),
        vec![]
    );
    assert_eq!(
        store
            .account_txs(&address_of(&keys[0]), 5)
            .expect("read")
            .len(),
        5
    );
}

#[test]
fn block_that_does_not_extend_head_is_refused() {
    let (dir, genesis, keys) = setup();
    let store = Store::open(dir.path().join("c.redb")).expect("create");
    let mut state = State::from_genesis(&genesis).expect("valid");
    let head = store.init_genesis(&genesis, &state).expect("init");
    let (mut block, receipts, ws) = make_block(&mut state, &head, &keys, 1);
    block.header.height = 5;
    assert!(matches!(
        store.commit_block(&block, &receipts, &ws),
        Err(StoreError::NotNext { head: 0, height: 5 })
    ));
    assert_eq!(store.head().expect("read"), Some(head));
}

fn store_with_blocks(path: &std::path::Path) {
    let (_dir, genesis, keys) = setup();
    let store = Store::open(path).expect("create");
    let mut state = State::from_genesis(&genesis).expect("valid");
    let mut head = store.init_genesis(&genesis, &state).expect("init");
    for _ in 0..5 {
        let (block, receipts, ws) = make_block(&mut state, &head, &keys, 20);
        head = store.commit_block(&block, &receipts, &ws).expect("commit");
    }
}

fn assert_corrupt_names_file(result: Result<Store, StoreError>, path: &std::path::Path) {
    match result {
        Err(e @ StoreError::Corrupt { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains(&path.display().to_string()),
                "message does not name the file: {msg}"
            );
        }
        Err(other) => panic!("expected Corrupt, got {other}"),
        Ok(_) => panic!("a damaged file opened without error"),
    }
}

#[test]
fn truncated_file_is_a_clear_error_and_not_reset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("chain.redb");
    store_with_blocks(&path);
    let len = std::fs::metadata(&path).expect("exists").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    file.set_len(len / 2).expect("truncate");
    drop(file);
    assert_corrupt_names_file(Store::open(&path), &path);
    // Not reset: the file is still the truncated one.
    assert_eq!(std::fs::metadata(&path).expect("exists").len(), len / 2);
}

#[test]
fn garbled_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("chain.redb");
    store_with_blocks(&path);
    let mut bytes = std::fs::read(&path).expect("read");
    // Overwrite the header and a stretch of pages.
    let end = bytes.len().min(64 * 1024);
    for (i, b) in bytes[..end].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31) ^ 0x5a;
    }
    std::fs::write(&path, &bytes).expect("write");
    assert_corrupt_names_file(Store::open(&path), &path);
}

#[test]
fn garbled_pages_after_the_header_are_detected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("chain.redb");
    store_with_blocks(&path);
    let mut bytes = std::fs::read(&path).expect("read");
    // Keep the super-header, garble everything after the first pages.
    let start = 8 * 1024;
    for (i, b) in bytes[start..].iter_mut().enumerate() {
        *b ^= (i as u8) | 1;
    }
    std::fs::write(&path, &bytes).expect("write");
    match Store::open(&path) {
        Err(e) => assert!(e.to_string().contains(&path.display().to_string()), "{e}"),
        Ok(store) => {
            // If the engine fell back to an older consistent commit, reading must still not
            // yield a state that disagrees with its head.
            if let Ok(Some(_)) = store.head() {
                let r = store.load_state();
                assert!(r.is_err(), "garbled data loaded silently");
            }
        }
    }
}

#[test]
fn empty_and_foreign_files_are_clear_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty.redb");
    std::fs::write(&empty, b"").expect("write");
    assert_corrupt_names_file(Store::open(&empty), &empty);
    let foreign = dir.path().join("notes.redb");
    std::fs::write(&foreign, vec![b'x'; 10_000]).expect("write");
    assert_corrupt_names_file(Store::open(&foreign), &foreign);
}

#[test]
fn tampered_state_fails_the_root_check() {
    let (dir, genesis, keys) = setup();
    let path = dir.path().join("chain.redb");
    {
        let store = Store::open(&path).expect("create");
        let mut state = State::from_genesis(&genesis).expect("valid");
        let head = store.init_genesis(&genesis, &state).expect("init");
        let (block, receipts, ws) = make_block(&mut state, &head, &keys, 2);
        store.commit_block(&block, &receipts, &ws).expect("commit");
        // Change one state value behind the ledger's back.
        let wtx = store.db.begin_write().expect("write");
        {
            let mut st = wtx.open_table(STATE).expect("table");
            let (k, v) = {
                let (k, v) = st
                    .iter()
                    .expect("iter")
                    .last()
                    .expect("non-empty")
                    .expect("read");
                (k.value().to_vec(), v.value().to_vec())
            };
            let mut v2 = v.clone();
            if let Some(last) = v2.last_mut() {
                *last ^= 1;
            } else {
                v2.push(1);
            }
            st.insert(k.as_slice(), v2.as_slice()).expect("insert");
        }
        wtx.commit().expect("commit");
    }
    let store = Store::open(&path).expect("reopen: the file itself is sound");
    let err = store
        .load_state()
        .expect_err("tampered state must not load");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
}

#[test]
fn second_open_of_the_same_file_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("chain.redb");
    let _first = Store::open(&path).expect("create");
    assert!(matches!(Store::open(&path), Err(StoreError::Locked { .. })));
}
