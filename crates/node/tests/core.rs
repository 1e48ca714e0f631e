//! Node core tests (no HTTP, no runtime): admission, mempool ordering and bounds, block sealing,
//! receipts visible only after commit, restart recovery and genesis mismatch.

use verity_ledger::tx::secret_key_from_bytes;
use verity_ledger::{
    AdmissionError, Genesis, Payload, SecretKey, SignedTransaction, Transaction, TxStatus,
    address_of,
};
use verity_node::{
    CoreConfig, MempoolConfig, MempoolError, NodeCore, NodeError, SubmitError, TxLookup,
};
use verity_primitives::{Address, Timestamp, TokenId};
use verity_store::{Store, StoreError};

struct Fixture {
    dir: tempfile::TempDir,
    genesis: Genesis,
    keys: Vec<SecretKey>,
}

impl Fixture {
    fn new() -> Self {
        let keys: Vec<SecretKey> = (1..=3u8)
            .map(|i| secret_key_from_bytes([i; 32]).expect("small constants are valid keys"))
            .collect();
        let addrs: Vec<Address> = keys.iter().map(address_of).collect();
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            genesis: Genesis::dev(&addrs),
            keys,
        }
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("chain.redb")
    }

    fn open(&self, config: CoreConfig) -> NodeCore {
        NodeCore::open(
            Store::open(self.path()).expect("store opens"),
            &self.genesis,
            config,
        )
        .expect("core opens")
    }

    fn addr(&self, i: usize) -> Address {
        address_of(&self.keys[i])
    }

    fn transfer(
        &self,
        core: &NodeCore,
        from: usize,
        nonce: u64,
        amount: u128,
    ) -> SignedTransaction {
        let token = token_of(core, self.addr(from));
        let tx = Transaction {
            chain_id: core.chain_id(),
            sender: self.addr(from),
            nonce,
            payload: Payload::Transfer {
                to: self.addr(2),
                token,
                amount,
            },
        };
        SignedTransaction::sign(tx, &self.keys[from])
    }
}

fn token_of(core: &NodeCore, who: Address) -> TokenId {
    core.state()
        .account(who)
        .balances
        .first()
        .expect("dev account is funded")
        .token
}

fn config(max_block_txs: usize) -> CoreConfig {
    CoreConfig {
        max_block_txs,
        mempool: MempoolConfig::default(),
    }
}

#[test]
fn out_of_order_nonces_are_sealed_in_nonce_order_and_receipts_appear_only_after_commit() {
    let f = Fixture::new();
    let mut core = f.open(config(100));
    let txs: Vec<SignedTransaction> = [2u64, 0, 1]
        .iter()
        .map(|n| f.transfer(&core, 0, *n, 5))
        .collect();
    let hashes: Vec<_> = txs
        .iter()
        .map(|t| core.submit(t.clone()).expect("admitted"))
        .collect();
    for h in &hashes {
        assert_eq!(core.lookup(h).expect("lookup"), TxLookup::Pending);
        assert_eq!(
            core.store().receipt(h).expect("read"),
            None,
            "no receipt before commit"
        );
    }
    let block = core
        .seal_block(Timestamp(1_000_000))
        .expect("seal")
        .expect("a block");
    let nonces: Vec<u64> = block.block.txs.iter().map(|t| t.tx.nonce).collect();
    assert_eq!(nonces, vec![0, 1, 2]);
    assert_eq!(block.block.header.height, 1);
    assert_eq!(core.head().height, 1);
    assert_eq!(core.mempool_len(), 0);
    for h in &hashes {
        match core.lookup(h).expect("lookup") {
            TxLookup::Committed(r) => assert_eq!(r.status, TxStatus::Success),
            other => panic!("expected committed, got {other:?}"),
        }
    }
    assert_eq!(core.state().nonce(f.addr(0)), 3);
    assert!(
        core.seal_block(Timestamp(1_000_500))
            .expect("seal")
            .is_none(),
        "no empty blocks"
    );
}

#[test]
fn admission_refusals() {
    let f = Fixture::new();
    let mut core = f.open(config(100));
    let tx = f.transfer(&core, 0, 0, 1);
    core.submit(tx.clone()).expect("admitted");
    assert!(matches!(
        core.submit(tx.clone()),
        Err(SubmitError::Mempool(MempoolError::Duplicate))
    ));
    let same_nonce = f.transfer(&core, 0, 0, 2);
    assert!(matches!(
        core.submit(same_nonce),
        Err(SubmitError::Mempool(MempoolError::NonceTaken { nonce: 0 }))
    ));
    // Wrong chain id (re-signed so the signature itself is fine).
    let mut other_chain = f.transfer(&core, 1, 0, 1).tx;
    other_chain.chain_id += 1;
    let other_chain = SignedTransaction::sign(other_chain, &f.keys[1]);
    assert!(matches!(
        core.submit(other_chain),
        Err(SubmitError::Admission(AdmissionError::WrongChainId { .. }))
    ));
    // A signature by someone else than the sender.
    let forged = SignedTransaction::sign(f.transfer(&core, 1, 0, 1).tx, &f.keys[0]);
    assert!(matches!(
        core.submit(forged),
        Err(SubmitError::Admission(_))
    ));
    // After the block, the nonce is stale.
    core.seal_block(Timestamp(1)).expect("seal").expect("block");
    let replay = f.transfer(&core, 0, 0, 3);
    assert!(matches!(
        core.submit(replay),
        Err(SubmitError::Admission(AdmissionError::StaleNonce { .. }))
    ));
    let (status, code) = core.submit(tx).expect_err("replay").status_and_code();
    assert_eq!((status, code), (400, verity_api::codes::STALE_NONCE));
}

#[test]
fn mempool_bounds_are_enforced() {
    let f = Fixture::new();
    let cfg = CoreConfig {
        max_block_txs: 100,
        mempool: MempoolConfig {
            max_total: 5,
            max_per_sender: 3,
            max_nonce_gap: 10,
        },
    };
    let mut core = f.open(cfg);
    for n in 0..3 {
        core.submit(f.transfer(&core, 0, n, 1))
            .expect("within bounds");
    }
    let over = f.transfer(&core, 0, 3, 1);
    assert!(matches!(
        core.submit(over),
        Err(SubmitError::Mempool(MempoolError::SenderFull { max: 3 }))
    ));
    let far = f.transfer(&core, 1, 11, 1);
    assert!(matches!(
        core.submit(far),
        Err(SubmitError::Mempool(MempoolError::NonceGap { .. }))
    ));
    core.submit(f.transfer(&core, 1, 0, 1)).expect("ok");
    core.submit(f.transfer(&core, 1, 1, 1)).expect("ok");
    let full = f.transfer(&core, 1, 2, 1);
    let err = core.submit(full).expect_err("full");
    assert!(matches!(
        err,
        SubmitError::Mempool(MempoolError::Full { max: 5 })
    ));
    assert_eq!(err.status_and_code().0, 503);
}

#[test]
fn blocks_are_capped_at_max_block_txs_and_gaps_wait() {
    let f = Fixture::new();
    let mut core = f.open(config(3));
    for n in 0..7 {
        core.submit(f.transfer(&core, 0, n, 1)).expect("admitted");
    }
    core.submit(f.transfer(&core, 1, 1, 1))
        .expect("future nonce admitted");
    assert_eq!(core.ready_txs(), 3);
    let sizes: Vec<usize> = (0..4)
        .filter_map(|i| core.seal_block(Timestamp(10 + i)).expect("seal"))
        .map(|b| b.block.txs.len())
        .collect();
    assert_eq!(sizes, vec![3, 3, 1]);
    assert_eq!(core.mempool_len(), 1, "the gapped tx waits");
    core.submit(f.transfer(&core, 1, 0, 1))
        .expect("fills the gap");
    let b = core
        .seal_block(Timestamp(20))
        .expect("seal")
        .expect("block");
    assert_eq!(b.block.txs.len(), 2);
    assert_eq!(core.mempool_len(), 0);
}

#[test]
fn block_time_never_goes_back() {
    let f = Fixture::new();
    let mut core = f.open(config(10));
    core.submit(f.transfer(&core, 0, 0, 1)).expect("ok");
    let t1 = core
        .seal_block(Timestamp(5_000_000_000_000))
        .expect("seal")
        .expect("block")
        .block
        .header
        .timestamp;
    core.submit(f.transfer(&core, 0, 1, 1)).expect("ok");
    let t2 = core
        .seal_block(Timestamp(1))
        .expect("seal")
        .expect("block")
        .block
        .header
        .timestamp;
    assert!(t2 >= t1, "{t2:?} < {t1:?}");
}

#[test]
fn restart_recovers_the_last_durable_block() {
    let f = Fixture::new();
    let (root, height, tx_hash) = {
        let mut core = f.open(config(4));
        let mut last = None;
        for n in 0..10 {
            last = Some(core.submit(f.transfer(&core, 0, n, 7)).expect("ok"));
        }
        while core.seal_block(Timestamp(100)).expect("seal").is_some() {}
        // A pending tx that is never committed is not durable and is gone after restart.
        core.submit(f.transfer(&core, 1, 0, 1)).expect("ok");
        (
            core.state().root(),
            core.head().height,
            last.expect("submitted"),
        )
    };
    let core = f.open(config(4));
    assert_eq!(core.head().height, height);
    assert_eq!(core.state().root(), root);
    assert_eq!(core.head().state_root, root);
    assert_eq!(core.state().nonce(f.addr(0)), 10);
    assert_eq!(core.state().nonce(f.addr(1)), 0);
    assert_eq!(core.mempool_len(), 0);
    assert!(matches!(
        core.lookup(&tx_hash).expect("lookup"),
        TxLookup::Committed(_)
    ));
    drop(core);
    // Resuming without a genesis uses the stored one.
    let core = NodeCore::open_existing(Store::open(f.path()).expect("open"), |_| config(4))
        .expect("resume");
    assert_eq!(core.state().root(), root);
}

#[test]
fn a_different_genesis_on_restart_is_refused() {
    let f = Fixture::new();
    drop(f.open(config(4)));
    let other = Genesis::dev(&[f.addr(0)]);
    let err = NodeCore::open(Store::open(f.path()).expect("open"), &other, config(4))
        .expect_err("mismatch");
    assert!(
        matches!(err, NodeError::Store(StoreError::GenesisMismatch { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("another chain"), "{err}");
}
