//! A self-contained transfer workload for benchmarks (`cargo bench -p verity-ledger`, or a
//! `verity bench ledger` command): applies blocks of pre-signed-free transfers (no signature
//! checks, state root computed per block) and reports throughput.

use crate::block::BlockInput;
use crate::execute::apply_block;
use crate::genesis::{Genesis, GenesisBalance, GenesisToken, Params};
use crate::state::State;
use crate::tx::{Payload, Signature65, SignedTransaction, Transaction};
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, Hash, Timestamp, TokenId};

/// Result of [`bench_transfers`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// Transfers applied.
    pub txs: u64,
    /// Accounts in the state.
    pub accounts: u64,
    /// Transfers per block.
    pub block_size: u64,
    /// Blocks applied.
    pub blocks: u64,
    /// Time spent in `apply_block`, in nanoseconds (measured by the caller-supplied clock).
    pub elapsed_ns: u128,
    /// State root after the run.
    pub final_root: Hash,
}

impl BenchReport {
    /// Transfers per second (integer).
    pub fn tx_per_sec(&self) -> u128 {
        if self.elapsed_ns == 0 {
            return 0;
        }
        u128::from(self.txs) * 1_000_000_000 / self.elapsed_ns
    }
}

/// Address of synthetic bench account `i`.
pub fn bench_account(i: u64) -> Address {
    let h = Hash::keccak(&i.to_be_bytes());
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.0[12..]);
    Address(a)
}

/// A genesis with `n_accounts` synthetic accounts each holding 10^30 base units of token 0.
pub fn bench_genesis(n_accounts: u64) -> Genesis {
    Genesis {
        chain_id: 7,
        genesis_time: Timestamp(0),
        params: Params {
            max_block_txs: u32::MAX,
            ..Params::default()
        },
        tokens: vec![GenesisToken {
            symbol: "BENCH".into(),
            decimals: 18,
            cap: u128::MAX,
            mint_authority: None,
        }],
        balances: (0..n_accounts)
            .map(|i| GenesisBalance {
                address: bench_account(i),
                token: "BENCH".into(),
                amount: 1_000_000_000_000_000_000_000_000_000_000,
            })
            .collect(),
        validators: Vec::new(),
        oracle: Vec::new(),
        treasury: None,
        dollar: None,
        vault: None,
        vesting: Vec::new(),
        governance: None,
        burn: None,
        amm: None,           // amm (issue 5)
        market: None,        // market (issue 4)
        savings: Vec::new(), // savings (issue 5)
        consensus: None,     // validators (issue 7)
        assets: None,        // issue 6: defaults
        green: None,
        capacity: None,
    }
}

/// Build the blocks: `n_tx` transfers among `n_accounts` accounts in blocks of `block_size`,
/// with correct nonces and dummy signatures (apply_block does not check signatures).
pub fn bench_blocks(state: &State, n_tx: u64, n_accounts: u64, block_size: u64) -> Vec<BlockInput> {
    let n_accounts = n_accounts.max(2);
    let block_size = block_size.max(1);
    let mut nonces = vec![0u64; n_accounts as usize];
    let accounts: Vec<Address> = (0..n_accounts).map(bench_account).collect();
    let mut blocks = Vec::new();
    let mut i = 0u64;
    let mut height = state.height();
    // A cheap deterministic mix (splitmix64) picks sender/recipient pairs.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    while i < n_tx {
        let n = block_size.min(n_tx - i);
        let mut txs = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let s = (next() % n_accounts) as usize;
            let r = (next() % n_accounts) as usize;
            let tx = Transaction {
                chain_id: state.chain_id(),
                sender: accounts[s],
                nonce: nonces[s],
                payload: Payload::Transfer {
                    to: accounts[r],
                    token: TokenId(0),
                    amount: 1 + u128::from(next() % 1000),
                },
            };
            nonces[s] += 1;
            txs.push(SignedTransaction {
                tx,
                signature: Signature65([0u8; 65]),
            });
        }
        height += 1;
        blocks.push(BlockInput {
            height,
            timestamp: Timestamp(height * 500),
            parent_hash: Hash::ZERO,
            txs,
        });
        i += n;
    }
    blocks
}

/// Apply `n_tx` transfers in blocks of `block_size` among `n_accounts` accounts; `clock`
/// returns nanoseconds from any fixed origin (the ledger itself never reads a clock).
pub fn bench_transfers(
    n_tx: u64,
    n_accounts: u64,
    block_size: u64,
    clock: &mut dyn FnMut() -> u128,
) -> Result<BenchReport, crate::LedgerError> {
    let mut state = State::from_genesis(&bench_genesis(n_accounts.max(2)))?;
    let blocks = bench_blocks(&state, n_tx, n_accounts, block_size);
    let t0 = clock();
    for b in &blocks {
        apply_block(&mut state, b)?;
    }
    let elapsed_ns = clock().saturating_sub(t0);
    Ok(BenchReport {
        txs: n_tx,
        accounts: n_accounts,
        block_size,
        blocks: blocks.len() as u64,
        elapsed_ns,
        final_root: state.root(),
    })
}
