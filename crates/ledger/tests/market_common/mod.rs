//! Shared helpers of the market/dispute tests: a one-tx-per-block chain driver with the
//! invariants checked after every block, and real `ree` traces (honest and faulted) of a tiny
//! MLP job with the evidence a party hands the referee.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use verity_ledger::bench::bench_genesis;
use verity_ledger::genesis::{GenesisBalance, GenesisToken};
use verity_ledger::market::dispute::{Evidence, InputSource, TensorBytes};
use verity_ledger::market::{CommitArgs, JobTerms};
use verity_ledger::tx::{Signature65, SignedTransaction, Transaction};
use verity_ledger::{
    Address, BlockInput, Hash, Payload, Receipt, State, Timestamp, TokenId, apply_block,
};
use verity_ree::replay::replay_op_outputs;
use verity_ree::runner::{RunOptions, RunOutput, run_spec_file};
use verity_ree::trace::{InputRef, LeafInfo, Trace};
use verity_ree::train::recorder::BitFlip;

/// Staking token.
pub const VTY: TokenId = TokenId(0);
/// Payment token.
pub const USDC: TokenId = TokenId(1);

/// Named test accounts.
pub fn addr(n: u8) -> Address {
    Address([n; 20])
}
/// The buyer.
pub fn buyer() -> Address {
    addr(1)
}
/// The provider.
pub fn provider() -> Address {
    addr(2)
}
/// The challenger / verifier.
pub fn challenger() -> Address {
    addr(3)
}
/// A second provider.
pub fn provider2() -> Address {
    addr(4)
}

/// Initial balance of every account in both tokens.
pub const START: u128 = 1_000_000_000;

/// A chain driven one transaction per block.
pub struct Chain {
    /// The state.
    pub state: State,
    nonces: std::collections::BTreeMap<Address, u64>,
    /// Block time of the last block (ms).
    pub now: u64,
    /// CPU (wall) time spent inside `apply_block` so far (read by the dispute bench only).
    pub apply_time: std::time::Duration,
}

impl Chain {
    /// Fresh chain: VTY (staking) and USDC, accounts 1..=6 funded with [`START`] of each.
    pub fn new() -> Chain {
        Chain::build(None)
    }

    /// [`Chain::new`] with a genesis `[market]` section.
    pub fn with_market(p: verity_ledger::market::MarketParams) -> Chain {
        Chain::build(Some(p))
    }

    fn build(market: Option<verity_ledger::market::MarketParams>) -> Chain {
        let mut g = bench_genesis(2);
        g.market = market;
        g.tokens = vec![
            GenesisToken {
                symbol: "VTY".into(),
                decimals: 18,
                cap: u128::MAX,
                mint_authority: None,
            },
            GenesisToken {
                symbol: "USDC".into(),
                decimals: 6,
                cap: u128::MAX,
                mint_authority: None,
            },
        ];
        g.balances = (1..=6u8)
            .flat_map(|i| {
                ["VTY", "USDC"].map(|t| GenesisBalance {
                    address: addr(i),
                    token: t.into(),
                    amount: START,
                })
            })
            .collect();
        let state = State::from_genesis(&g).expect("genesis");
        Chain {
            state,
            nonces: Default::default(),
            now: 0,
            apply_time: std::time::Duration::ZERO,
        }
    }

    /// Apply one block with `payload` from `sender`, `dt` ms after the last one; checks every
    /// invariant afterwards.
    pub fn send_at(&mut self, dt: u64, sender: Address, payload: Payload) -> Receipt {
        let n = self.nonces.entry(sender).or_insert(0);
        let tx = Transaction {
            chain_id: self.state.chain_id(),
            sender,
            nonce: *n,
            payload,
        };
        *n += 1;
        self.now += dt;
        let block = BlockInput {
            height: self.state.height() + 1,
            timestamp: Timestamp(self.now),
            parent_hash: Hash::ZERO,
            txs: vec![SignedTransaction {
                tx,
                signature: Signature65([0u8; 65]),
            }],
        };
        // Benchmarks read this; tests never assert on it.
        #[allow(clippy::disallowed_types, clippy::disallowed_methods)]
        let t0 = std::time::Instant::now();
        let out = apply_block(&mut self.state, &block).expect("block applies");
        self.apply_time += t0.elapsed();
        self.state.check_invariants().expect("invariants hold");
        out.receipts.into_iter().next().expect("one receipt")
    }

    /// [`Chain::send_at`] 1 ms later.
    pub fn send(&mut self, sender: Address, payload: Payload) -> Receipt {
        self.send_at(1, sender, payload)
    }

    /// Send and require success.
    pub fn ok(&mut self, sender: Address, payload: Payload) -> Receipt {
        let r = self.send(sender, payload.clone());
        assert!(r.is_success(), "{payload:?} failed: {:?}", r.status);
        r
    }

    /// Send and require failure; returns the error text.
    pub fn fail(&mut self, sender: Address, payload: Payload) -> String {
        let r = self.send(sender, payload.clone());
        match r.status {
            verity_ledger::TxStatus::Failed { error } => error,
            _ => panic!("{payload:?} unexpectedly succeeded"),
        }
    }

    /// Balance.
    pub fn bal(&self, a: Address, t: TokenId) -> u128 {
        self.state.balance(a, t)
    }
}

impl Default for Chain {
    fn default() -> Self {
        Chain::new()
    }
}

/// Terms of a small job.
pub fn terms(max_price: u128, escrow: u128) -> JobTerms {
    JobTerms {
        spec_hash: Hash::keccak(b"spec"),
        data_hashes: vec![Hash::keccak(b"wine")],
        token: USDC,
        max_price,
        escrow,
        device_class: "cpu".into(),
        min_cores: 1,
        min_memory_mb: 256,
        spot_check_bps: 1_000,
        challenge_window_ms: 1_000,
        bid_window_ms: 100,
        deadline_ms: 10_000,
    }
}

/// Post a job (id `job`), bid `price` by `who` after bonding `stake`, close bidding.
pub fn assign(c: &mut Chain, job: u64, who: Address, stake: u128, price: u128) {
    c.ok(buyer(), Payload::PostJob(terms(1_000, 1_500)));
    if stake > 0 {
        c.ok(who, Payload::Bond { amount: stake });
    }
    c.ok(who, Payload::Bid { job, price });
    c.send_at(
        200,
        buyer(),
        Payload::Transfer {
            to: buyer(),
            token: USDC,
            amount: 1,
        },
    );
    c.ok(who, Payload::CloseBidding { job });
}

/// A commit of `trace`.
pub fn commit_of(trace: &Trace) -> CommitArgs {
    CommitArgs {
        output_hash: Hash::keccak(b"outputs"),
        trace_root: Hash(trace.root()),
        steps: trace.steps.len() as u64,
        ops_per_step: trace.layout.len() as u64,
        receipt_version: 1,
    }
}

/// A folder with the wine data and a tiny MLP spec.
pub struct Job {
    _dir: tempfile::TempDir,
    /// The spec file.
    pub spec: PathBuf,
    /// Its honest run.
    pub honest: RunOutput,
}

impl Job {
    /// `steps` steps of a [11, 4, 1] MLP on wine-quality.
    pub fn tiny(steps: u64) -> Job {
        Job::mlp(steps, "[11, 4, 1]", 8)
    }

    /// `steps` steps of an MLP with `layers` (TOML list) and `batch` on wine-quality.
    pub fn mlp(steps: u64, layers: &str, batch: u32) -> Job {
        let dir = tempfile::tempdir().expect("temp dir");
        let wine = verity_ree::data::builtin::export("winequality").expect("built in");
        std::fs::write(dir.path().join("wine.csv"), wine.csv).expect("write wine.csv");
        let text = format!(
            "[model]\nkind = \"mlp\"\nlayers = {layers}\nactivation = \"relu\"\n[data]\npath = \"wine.csv\"\nformat = \"csv\"\ntarget = \"quality\"\n[train]\noptimizer = \"sgd\"\nlr = 0.01\nbatch_size = {batch}\nsteps = {steps}\nseed = 7\ncheckpoint_every = 0\n"
        );
        let spec = dir.path().join("job.toml");
        std::fs::write(&spec, text).expect("write spec");
        let honest = run(&spec, &RunOptions::default());
        Job {
            _dir: dir,
            spec,
            honest,
        }
    }

    /// The op leaves of a step.
    pub fn op_leaves(&self) -> Vec<usize> {
        self.honest
            .trace
            .layout
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(l, LeafInfo::Op(_)))
            .map(|(i, _)| i)
            .collect()
    }

    /// A run with one bit flipped in the first output of op leaf `leaf` at `step`.
    pub fn faulted(&self, step: u64, leaf: usize, element: usize) -> Trace {
        run(
            &self.spec,
            &RunOptions {
                fault: Some(BitFlip {
                    step,
                    leaf,
                    element,
                    bit: 3,
                }),
                ..RunOptions::default()
            },
        )
        .trace
    }

    /// The referee evidence for op leaf `leaf` of `step`: honest inputs, with Merkle proofs
    /// built from `own` (the submitter's trace).
    pub fn evidence(&self, own: &Trace, step: u64, leaf: usize) -> Evidence {
        let cap = self.capture(step, leaf);
        let LeafInfo::Op(rec) = &self.honest.trace.layout[leaf] else {
            panic!("leaf {leaf} is not an op")
        };
        let mut sources = Vec::new();
        for r in &rec.inputs {
            match *r {
                InputRef::Input(n) => {
                    let LeafInfo::Input(name) = &self.honest.trace.layout[n] else {
                        panic!("input ref to a non-input leaf")
                    };
                    sources.push(InputSource::Input {
                        leaf: n as u64,
                        name: name.clone(),
                        proof: own.prove_leaf(step as usize, n).expect("in range"),
                    });
                }
                InputRef::Op(n, k) => {
                    let src = self.capture(step, n);
                    let outs = replay_op_outputs(&src.op, &src.inputs, &src.input_hashes)
                        .expect("replays");
                    sources.push(InputSource::Op {
                        leaf: n as u64,
                        desc: hex::encode(verity_ree::replay::op_descriptor_bytes(&src.op)),
                        inputs: src.input_hashes.iter().map(|h| Hash(*h)).collect(),
                        outputs: outs.iter().map(|h| Hash(*h)).collect(),
                        output: k as u32,
                        proof: own.prove_leaf(step as usize, n).expect("in range"),
                    });
                }
            }
        }
        Evidence {
            op: cap.op.clone(),
            inputs: cap
                .inputs
                .iter()
                .map(|t| TensorBytes {
                    shape: t.shape().to_vec(),
                    data: hex::encode(t.to_le_bytes()),
                })
                .collect(),
            sources,
        }
    }

    fn capture(&self, step: u64, leaf: usize) -> verity_ree::train::recorder::CapturedOp {
        run(
            &self.spec,
            &RunOptions {
                capture: Some((step, leaf)),
                until: Some(step + 1),
                ..RunOptions::default()
            },
        )
        .captured
        .expect("captured")
    }
}

fn run(spec: &Path, opts: &RunOptions) -> RunOutput {
    run_spec_file(spec, opts, &mut |_, _, _| {}).expect("job runs")
}

/// The children a party sends for its current node in dispute `d` (from its own trace).
pub fn move_of(d: &verity_ledger::market::dispute::Dispute, own: &Trace) -> Payload {
    use verity_ledger::market::dispute::{Phase, children};
    let level: Vec<[u8; 32]> = match d.phase {
        Phase::Steps => own.step_hashes(),
        _ => own.steps[d.step as usize].leaves.clone(),
    };
    let (l, r) = children(&level, d.lo, d.size).expect("in range");
    Payload::Bisect {
        dispute: d.id,
        left: Hash(l),
        right: Hash(r),
    }
}
