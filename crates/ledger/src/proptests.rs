//! Property tests over random blocks of transfers, mints, burns, bonds, unbonds, withdraws and
//! slashes (slashing through the end-of-block hook, as a ledger module would): every invariant
//! holds after every block, a failed transaction emits nothing, and replaying the same blocks
//! on a fresh state from the same genesis gives identical receipts, headers and state roots.
//!
//! `VERITY_PROPTEST_CASES` raises the case count (default 48).

use crate::block::BlockInput;
use crate::execute::{BlockOutcome, apply_block_with};
use crate::genesis::{self, Genesis};
use crate::state::{Exec, State};
use crate::tx::{Payload, Signature65, SignedTransaction, Transaction};
use crate::{LedgerError, TxStatus, staking};
use proptest::prelude::*;
use verity_primitives::{Address, Hash, Timestamp, TokenId};

const N_ACCOUNTS: usize = 4;

#[derive(Clone, Debug)]
enum Op {
    Transfer {
        from: usize,
        to: usize,
        token: u32,
        amount: u128,
    },
    Mint {
        by_bridge: bool,
        to: usize,
        token: u32,
        amount: u128,
    },
    Burn {
        from: usize,
        token: u32,
        amount: u128,
    },
    Bond {
        who: usize,
        amount: u128,
    },
    Unbond {
        who: usize,
        amount: u128,
    },
    Withdraw {
        who: usize,
    },
    Slash {
        who: usize,
        amount: u128,
    },
}

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![
        0u128..5,
        1u128..1_000_000,
        1u128..(genesis::DEV_VTY_EACH * 2),
        Just(u128::MAX),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..N_ACCOUNTS;
    prop_oneof![
        4 => (who.clone(), 0..N_ACCOUNTS, 0u32..4, amount())
            .prop_map(|(from, to, token, amount)| Op::Transfer { from, to, token, amount }),
        2 => (any::<bool>(), 0..N_ACCOUNTS, 0u32..3, amount())
            .prop_map(|(by_bridge, to, token, amount)| Op::Mint { by_bridge, to, token, amount }),
        1 => (who.clone(), 0u32..3, amount()).prop_map(|(from, token, amount)| Op::Burn { from, token, amount }),
        2 => (who.clone(), amount()).prop_map(|(who, amount)| Op::Bond { who, amount }),
        2 => (who.clone(), amount()).prop_map(|(who, amount)| Op::Unbond { who, amount }),
        1 => who.clone().prop_map(|who| Op::Withdraw { who }),
        1 => (who, amount()).prop_map(|(who, amount)| Op::Slash { who, amount }),
    ]
}

/// Blocks of (time advance in ms, ops).
fn blocks() -> impl Strategy<Value = Vec<(u64, Vec<Op>)>> {
    prop::collection::vec(
        (
            prop_oneof![Just(1u64), 1u64..3000],
            prop::collection::vec(op(), 0..14),
        ),
        1..7,
    )
}

struct World {
    genesis: Genesis,
    accounts: Vec<Address>,
    bridge: Address,
}

fn world() -> World {
    let accounts: Vec<Address> = genesis::dev_accounts(N_ACCOUNTS as u32)
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    let mut g = Genesis::dev(&accounts);
    g.params.unbonding_delay_ms = 2_000;
    g.params.max_unbondings = 4;
    World {
        genesis: g,
        accounts,
        bridge: genesis::dev_address_named("bridge"),
    }
}

/// Turn ops into block inputs (nonces tracked per sender) plus the per-block slash lists.
fn build(
    w: &World,
    state: &State,
    plan: &[(u64, Vec<Op>)],
) -> Vec<(BlockInput, Vec<(Address, u128)>)> {
    let mut nonces = std::collections::BTreeMap::<Address, u64>::new();
    let mut time = state.time().0;
    let mut out = Vec::new();
    for (h, (dt, ops)) in plan.iter().enumerate() {
        time += dt;
        let mut txs = Vec::new();
        let mut slashes = Vec::new();
        for op in ops {
            let (sender, payload) = match *op {
                Op::Transfer {
                    from,
                    to,
                    token,
                    amount,
                } => (
                    w.accounts[from],
                    Payload::Transfer {
                        to: w.accounts[to],
                        token: TokenId(token),
                        amount,
                    },
                ),
                Op::Mint {
                    by_bridge,
                    to,
                    token,
                    amount,
                } => (
                    if by_bridge { w.bridge } else { w.accounts[to] },
                    Payload::Mint {
                        token: TokenId(token),
                        to: w.accounts[to],
                        amount,
                    },
                ),
                Op::Burn {
                    from,
                    token,
                    amount,
                } => (
                    w.accounts[from],
                    Payload::Burn {
                        token: TokenId(token),
                        amount,
                    },
                ),
                Op::Bond { who, amount } => (w.accounts[who], Payload::Bond { amount }),
                Op::Unbond { who, amount } => (w.accounts[who], Payload::Unbond { amount }),
                Op::Withdraw { who } => (w.accounts[who], Payload::Withdraw),
                Op::Slash { who, amount } => {
                    slashes.push((w.accounts[who], amount));
                    continue;
                }
            };
            let n = nonces.entry(sender).or_insert(0);
            txs.push(SignedTransaction {
                tx: Transaction {
                    chain_id: state.chain_id(),
                    sender,
                    nonce: *n,
                    payload,
                },
                // apply_block does not check signatures (admission does).
                signature: Signature65([0; 65]),
            });
            *n += 1;
        }
        out.push((
            BlockInput {
                height: state.height() + 1 + h as u64,
                timestamp: Timestamp(time),
                parent_hash: Hash::ZERO,
                txs,
            },
            slashes,
        ));
    }
    out
}

fn run(
    state: &mut State,
    block: &BlockInput,
    slashes: &[(Address, u128)],
) -> Result<BlockOutcome, LedgerError> {
    let mut hook = |ex: &mut Exec<'_>| -> Result<(), LedgerError> {
        for (who, amount) in slashes {
            let before = staking::stake_record(ex, who)?.total()?;
            let got = staking::slash(ex, who, *amount, "property test")?;
            assert_eq!(got, (*amount).min(before), "slash takes what it can");
        }
        Ok(())
    };
    apply_block_with(state, block, Some(&mut hook))
}

fn cases() -> u32 {
    std::env::var("VERITY_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_blocks_keep_invariants_and_replay_identically(plan in blocks()) {
        let w = world();
        let mut state = State::from_genesis(&w.genesis).expect("genesis");
        let built = build(&w, &state, &plan);
        let mut outcomes = Vec::new();
        for (block, slashes) in &built {
            let out = run(&mut state, block, slashes).expect("a well-formed block applies");
            state.check_invariants().map_err(|e| TestCaseError::fail(e.to_string()))?;
            for r in &out.receipts {
                if let TxStatus::Failed { .. } = r.status {
                    prop_assert!(r.events.is_empty(), "failed tx emitted events: {r:?}");
                }
            }
            prop_assert_eq!(out.header.state_root, state.root());
            outcomes.push(out);
        }
        // Every sender's nonce advanced by the number of its transactions, failed or not.
        for a in &w.accounts {
            let sent = built.iter().flat_map(|(b, _)| &b.txs).filter(|t| t.tx.sender == *a).count();
            prop_assert_eq!(state.nonce(*a), sent as u64);
        }
        let mut replay = State::from_genesis(&w.genesis).expect("genesis");
        for ((block, slashes), out) in built.iter().zip(&outcomes) {
            let again = run(&mut replay, block, slashes).expect("replay");
            prop_assert_eq!(&again, out);
        }
        prop_assert_eq!(replay.root(), state.root());
        let rebuilt = State::from_entries(state.entries().map(|(k, v)| (k.to_vec(), v.to_vec())))
            .expect("rebuild");
        prop_assert_eq!(rebuilt.root(), state.root());
    }
}
