//! Shared harness of the deterministic cluster tests: a genesis with N ed25519 validators, a
//! simulated p2p network, validators started as supervised tasks (abort = crash; storage, both
//! the runtime's and the redb ledger store, survives), transfer load, and agreement checks.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use commonware_cryptography::{Signer as _, ed25519};
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_runtime::{Clock, Handle, Quota, Spawner, Supervisor as _, deterministic};
use commonware_utils::{NZU32, NZUsize, probability};
use verity_consensus::{
    BlockLimits, Chain, ConsensusChannels, LedgerChain, ValidatorConfig, channels,
    max_message_size, run_validator,
};
use verity_ledger::genesis::{DEV_VALIDATOR_STAKE, GenesisValidator, dev_accounts};
use verity_ledger::validators::{ConsensusParams, key_bytes};
use verity_ledger::{Genesis, Payload, SecretKey, SignedTransaction, Transaction};
use verity_primitives::{Address, Hash, TokenId};
use verity_store::Store;

/// Log to stderr when `RUST_LOG` is set (e.g. `RUST_LOG=verity_consensus=debug`).
pub fn init_logs() {
    if std::env::var("RUST_LOG").is_ok() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
}

/// Per-peer channel rate in the simulation (high: it is not what these tests measure).
pub const QUOTA: Quota = Quota::per_second(NZU32!(100_000));

/// A fast, reliable link.
pub fn link() -> Link {
    Link {
        latency: Duration::from_millis(10),
        jitter: Duration::from_millis(2),
        success_rate: probability!(1.0),
    }
}

/// Seeds to run: `VERITY_CONSENSUS_SEEDS=N` runs seeds 0..N (default: `default` seeds).
pub fn seeds(default: u64) -> Vec<u64> {
    let n = std::env::var("VERITY_CONSENSUS_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    (0..n).collect()
}

/// The ed25519 key of validator `i`.
pub fn validator_key(i: usize) -> ed25519::PrivateKey {
    ed25519::PrivateKey::from_seed(1_000 + i as u64)
}

/// A dev genesis whose first `validators` accounts are validators with registered p2p keys.
/// Accounts `0..accounts` are funded; returns the genesis and the account keys.
pub fn genesis(validators: usize, accounts: usize, epoch_length: u64) -> (Genesis, Vec<SecretKey>) {
    let accts = dev_accounts(accounts.max(validators) as u32);
    let addrs: Vec<Address> = accts.iter().map(|(_, a)| *a).collect();
    let mut g = Genesis::dev(&addrs);
    g.validators = (0..validators)
        .map(|i| GenesisValidator {
            address: addrs[i],
            stake: DEV_VALIDATOR_STAKE,
            p2p_key: Some(key_bytes(&validator_key(i).public_key())),
        })
        .collect();
    g.consensus = Some(ConsensusParams {
        epoch_length,
        ..ConsensusParams::default()
    });
    (g, accts.into_iter().map(|(k, _)| k).collect())
}

/// A transfer of 1 base unit of token 0 from `key` with `nonce`.
pub fn transfer(chain_id: u64, key: &SecretKey, nonce: u64) -> SignedTransaction {
    let sender = verity_ledger::address_of(key);
    SignedTransaction::sign(
        Transaction {
            chain_id,
            sender,
            nonce,
            payload: Payload::Transfer {
                to: Address([0xee; 20]),
                token: TokenId(0),
                amount: 1,
            },
        },
        key,
    )
}

/// The simulated network with `peers` registered as the tracked set.
pub async fn network(
    context: &deterministic::Context,
    peers: &[ed25519::PublicKey],
) -> Oracle<ed25519::PublicKey, deterministic::Context> {
    let (net, oracle) = Network::new_with_peers(
        context.child("network"),
        simulated::Config {
            max_size: max_message_size(peers.len().max(8) as u32, &BlockLimits::default()) as u32,
            max_peers_per_set: NZUsize!(peers.len().max(8)),
            disconnect_on_block: true,
            tracked_peer_sets: NZUsize!(3),
        },
        peers.iter().cloned(),
    )
    .await;
    net.start();
    oracle
}

/// Link every pair of `peers` both ways.
pub async fn link_all(
    oracle: &Oracle<ed25519::PublicKey, deterministic::Context>,
    peers: &[ed25519::PublicKey],
) {
    for a in peers {
        for b in peers {
            if a != b {
                let _ = oracle.add_link(a.clone(), b.clone(), link()).await;
            }
        }
    }
}

/// Remove the links between the two groups (both ways).
pub async fn cut(
    oracle: &Oracle<ed25519::PublicKey, deterministic::Context>,
    left: &[ed25519::PublicKey],
    right: &[ed25519::PublicKey],
) {
    for a in left {
        for b in right {
            let _ = oracle.remove_link(a.clone(), b.clone()).await;
            let _ = oracle.remove_link(b.clone(), a.clone()).await;
        }
    }
}

/// Open the ledger chain of a validator in `dir`.
pub fn open_chain(dir: &Path, genesis: &Genesis) -> LedgerChain {
    let store = Store::open(dir.join("chain.redb")).expect("open store");
    LedgerChain::open(store, genesis).expect("open chain")
}

/// Start validator `key` over `chain` as a supervised task (abort it to crash the validator).
pub async fn start(
    context: &deterministic::Context,
    oracle: &Oracle<ed25519::PublicKey, deterministic::Context>,
    key: ed25519::PrivateKey,
    chain: LedgerChain,
    name: &str,
) -> Handle<()> {
    init_logs();
    let pk = key.public_key();
    let control = oracle.control(pk.clone());
    let mut regs = Vec::new();
    for ch in channels::ALL {
        regs.push(control.register(ch, QUOTA).await.expect("register channel"));
    }
    let mut regs = regs.into_iter();
    let mut next = || regs.next().expect("five channels");
    let channels = ConsensusChannels {
        votes: next(),
        certificates: next(),
        resolver: next(),
        broadcast: next(),
        backfill: next(),
    };
    let mut config = ValidatorConfig::new(key, name.to_string());
    config.app.empty_block_delay = Duration::from_millis(200);
    let peers = oracle.manager();
    let blocker = oracle.control(pk);
    context
        .child("validator")
        .with_attribute("name", name.to_string())
        .spawn(move |ctx| async move {
            if let Err(e) = run_validator(ctx, config, channels, chain, peers, blocker).await {
                panic!("validator stopped: {e}");
            }
        })
}

/// A running cluster: validator `i` has key `keys[i]`, its chain in `chains[i]` (stored in the
/// `i`-th data dir) and its task in `handles[i]`.
pub struct Cluster {
    /// Validator signing keys.
    pub keys: Vec<ed25519::PrivateKey>,
    /// Their public keys, in the same order.
    pub pks: Vec<ed25519::PublicKey>,
    /// The simulated network's oracle (to cut links, restart validators).
    pub oracle: Oracle<ed25519::PublicKey, deterministic::Context>,
    /// Each validator's ledger chain.
    pub chains: Vec<LedgerChain>,
    /// Each validator's task (abort to crash it).
    pub handles: Vec<Handle<()>>,
}

/// Start one validator per data dir in `dirs` (keys `validator_key(0..)`, names `v0..`) on a
/// fully linked simulated network.
pub async fn start_cluster(
    context: &deterministic::Context,
    dirs: &[PathBuf],
    genesis: &Genesis,
) -> Cluster {
    let keys: Vec<_> = (0..dirs.len()).map(validator_key).collect();
    let pks: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
    let oracle = network(context, &pks).await;
    link_all(&oracle, &pks).await;
    let chains: Vec<_> = dirs.iter().map(|d| open_chain(d, genesis)).collect();
    let mut handles = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        handles.push(
            start(
                context,
                &oracle,
                key.clone(),
                chains[i].clone(),
                &format!("v{i}"),
            )
            .await,
        );
    }
    Cluster {
        keys,
        pks,
        oracle,
        chains,
        handles,
    }
}

/// Wait (simulated time) until every chain is at `height` or more.
pub async fn wait_height(context: &deterministic::Context, chains: &[&LedgerChain], height: u64) {
    loop {
        if chains.iter().all(|c| c.head().height >= height) {
            return;
        }
        context.sleep(Duration::from_millis(50)).await;
    }
}

/// (height, ledger block hash, state root) of blocks 1..=upto in `chain`'s store.
pub fn history(chain: &LedgerChain, upto: u64) -> Vec<(u64, Hash, Hash)> {
    let store = chain.store();
    (1..=upto)
        .map(|h| {
            let b = store.block(h).expect("read block").expect("block exists");
            (h, b.header.hash(), b.header.state_root)
        })
        .collect()
}

/// Every chain holds the same blocks 1..=upto.
pub fn assert_agree(chains: &[&LedgerChain], upto: u64) -> Vec<(u64, Hash, Hash)> {
    let first = history(chains[0], upto);
    for (i, c) in chains.iter().enumerate().skip(1) {
        assert_eq!(
            history(c, upto),
            first,
            "validator {i} diverges from validator 0"
        );
    }
    first
}

/// Fresh data dirs for `n` validators.
pub fn dirs(n: usize) -> (tempfile::TempDir, Vec<PathBuf>) {
    let root = tempfile::tempdir().expect("tempdir");
    let dirs = (0..n)
        .map(|i| {
            let d = root.path().join(format!("v{i}"));
            std::fs::create_dir_all(&d).expect("mkdir");
            d
        })
        .collect();
    (root, dirs)
}
