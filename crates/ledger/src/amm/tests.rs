//! amm tests: Uniswap V2 core's published swap and optimistic test vectors (exact, including
//! the `+1` that must fail the k check), mint/burn/price-accumulator cases of the same suite,
//! add/remove/swap handlers through `apply_block`, and the shared test chain helpers (bad input
//! and property tests are in `tests_input.rs`).

use super::*;
use crate::block::BlockInput;
use crate::execute::apply_block;
use crate::genesis::Genesis;
use crate::receipt::{Receipt, TxStatus};
use crate::tx::{Payload, Signature65, SignedTransaction, Transaction};

/// 10^18.
pub(crate) const E18: u128 = 1_000_000_000_000_000_000;
/// Each test account's balance of every test token.
pub(crate) const FUNDS: u128 = 1_000_000_000 * E18;
/// Genesis time of the test chain (ms).
pub(crate) const T0: u64 = 1_767_225_600_000;

/// Address of test account `i`.
pub(crate) fn user(i: u8) -> Address {
    Address([i + 1; 20])
}

/// A test chain: `n_tokens` tokens (`T0`, `T1`, … with ids 0, 1, …), 3 funded users; txs are
/// applied unsigned (apply_block does not check signatures).
pub(crate) struct TestChain {
    /// The state.
    pub state: State,
    /// Block time of the last block (ms).
    pub time: u64,
}

impl TestChain {
    pub(crate) fn new(n_tokens: u32) -> TestChain {
        let mut toml = format!("chain_id = 99\ngenesis_time = {T0}\n");
        for t in 0..n_tokens {
            toml += &format!("[[tokens]]\nsymbol = \"T{t}\"\ndecimals = 18\n");
        }
        for u in 0..3u8 {
            for t in 0..n_tokens {
                toml += &format!(
                    "[[balances]]\naddress = \"{}\"\ntoken = \"T{t}\"\namount = \"{FUNDS}\"\n",
                    user(u)
                );
            }
        }
        let g = Genesis::from_toml_str(&toml).expect("test genesis");
        TestChain {
            state: State::from_genesis(&g).expect("test state"),
            time: T0,
        }
    }

    /// Apply one block at `time_ms` with `txs` (sender, payload); returns the receipts.
    pub(crate) fn block_at(&mut self, time_ms: u64, txs: Vec<(Address, Payload)>) -> Vec<Receipt> {
        let chain_id = self.state.chain_id();
        let mut nonces: BTreeMap<Address, u64> = BTreeMap::new();
        let txs = txs
            .into_iter()
            .map(|(sender, payload)| {
                let n = nonces.entry(sender).or_insert(self.state.nonce(sender));
                let tx = Transaction {
                    chain_id,
                    sender,
                    nonce: *n,
                    payload,
                };
                *n += 1;
                SignedTransaction {
                    tx,
                    signature: Signature65([0u8; 65]),
                }
            })
            .collect();
        self.time = time_ms;
        let b = BlockInput {
            height: self.state.height() + 1,
            timestamp: Timestamp(time_ms),
            parent_hash: Hash::ZERO,
            txs,
        };
        let out = apply_block(&mut self.state, &b).expect("block applies");
        self.state.check_invariants().expect("invariants hold");
        out.receipts
    }

    /// One transaction in a block 1 s after the previous one; returns its receipt.
    pub(crate) fn tx(&mut self, sender: Address, payload: Payload) -> Receipt {
        let t = self.time + 1000;
        self.block_at(t, vec![(sender, payload)]).remove(0)
    }

    /// A far deadline.
    pub(crate) fn later(&self) -> Timestamp {
        Timestamp(self.time + 3_600_000)
    }

    /// Create a pool of (a, b) with `fee` and seed it with `ra`/`rb` from user 0.
    pub(crate) fn pool_with(&mut self, a: u32, b: u32, fee: u16, ra: u128, rb: u128) -> PoolId {
        let r = self.tx(
            user(0),
            Payload::CreatePool {
                token_a: TokenId(a),
                token_b: TokenId(b),
                fee_bps: fee,
            },
        );
        assert!(r.is_success(), "{r:?}");
        let id = pool_count(&self.state).expect("test value") - 1;
        let p = pool(&self.state, id).expect("test value");
        let (a0, a1) = if p.token0 == TokenId(a) {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let r = self.tx(
            user(0),
            Payload::AddLiquidity {
                pool: id,
                amount_a_desired: a0,
                amount_b_desired: a1,
                amount_a_min: 0,
                amount_b_min: 0,
                deadline: self.later(),
            },
        );
        assert!(r.is_success(), "{r:?}");
        id
    }

    /// All state entries except nonces (to prove a failed tx changed nothing else).
    pub(crate) fn snapshot(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.state
            .entries()
            .filter(|(k, _)| k[0] != keys::NONCE && k[0] != keys::META)
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect()
    }
}

use std::collections::BTreeMap;

pub(crate) fn failed(r: &Receipt) -> String {
    match &r.status {
        TxStatus::Failed { error } => error.clone(),
        TxStatus::Success => panic!("expected a failure, got success: {r:?}"),
    }
}

/// V2 `addLiquidity` helper of the spec: transfer both amounts to the pair and mint.
fn v2_pool(r0: u128, r1: u128) -> (TestChain, PoolId) {
    let mut c = TestChain::new(2);
    let r = c.tx(
        user(0),
        Payload::CreatePool {
            token_a: TokenId(0),
            token_b: TokenId(1),
            fee_bps: 30,
        },
    );
    assert!(r.is_success());
    let state = c.state.clone();
    let mut ex = Exec::new(&state, 99, Timestamp(c.time));
    let acct = pool_account(0);
    tokens::move_balance(&mut ex, &user(0), &acct, TokenId(0), r0).expect("test value");
    tokens::move_balance(&mut ex, &user(0), &acct, TokenId(1), r1).expect("test value");
    pair_mint(&mut ex, 0, &user(0)).expect("test value");
    ex.commit_tx();
    let ws = ex.into_write_set();
    c.state.commit(&ws).expect("test value");
    (c, 0)
}

/// Transfer `amount_in` of token0 to the pair, then `swap(out0, out1)` in one overlay.
fn v2_swap(c: &TestChain, amount_in: u128, out0: u128, out1: u128) -> Result<(), LedgerError> {
    let mut ex = Exec::new(&c.state, 99, Timestamp(c.time));
    tokens::move_balance(&mut ex, &user(0), &pool_account(0), TokenId(0), amount_in)?;
    pair_swap(&mut ex, 0, out0, out1, &user(0), &user(0))
}

#[test]
fn uniswap_v2_swap_test_cases() {
    // test/UniswapV2Pair.spec.ts `swapTestCases`: [swapAmount, token0Amount, token1Amount,
    // expectedOutputAmount]; swap(0, expected + 1) must revert with K, swap(0, expected) pass.
    let cases: [(u128, u128, u128, u128); 7] = [
        (E18, 5 * E18, 10 * E18, 1_662_497_915_624_478_906),
        (E18, 10 * E18, 5 * E18, 453_305_446_940_074_565),
        (2 * E18, 5 * E18, 10 * E18, 2_851_015_155_847_869_602),
        (2 * E18, 10 * E18, 5 * E18, 831_248_957_812_239_453),
        (E18, 10 * E18, 10 * E18, 906_610_893_880_149_131),
        (E18, 100 * E18, 100 * E18, 987_158_034_397_061_298),
        (E18, 1000 * E18, 1000 * E18, 996_006_981_039_903_216),
    ];
    for (i, (swap, r0, r1, expected)) in cases.into_iter().enumerate() {
        assert_eq!(
            get_amount_out(swap, r0, r1, 30).expect("test value"),
            expected,
            "case {i}"
        );
        let (c, _) = v2_pool(r0, r1);
        assert_eq!(
            v2_swap(&c, swap, 0, expected + 1),
            Err(LedgerError::KInvariant),
            "case {i}: +1 must fail the k check"
        );
        v2_swap(&c, swap, 0, expected).unwrap_or_else(|e| panic!("case {i}: {e}"));
    }
}

#[test]
fn uniswap_v2_optimistic_test_cases() {
    // `optimisticTestCases`: [outputAmount, token0Amount, token1Amount, inputAmount]; input and
    // output are both token0 (a flash swap paid back in the same token).
    let cases: [(u128, u128, u128, u128); 4] = [
        (997_000_000_000_000_000, 5 * E18, 10 * E18, E18),
        (997_000_000_000_000_000, 10 * E18, 5 * E18, E18),
        (997_000_000_000_000_000, 5 * E18, 5 * E18, E18),
        (E18, 5 * E18, 5 * E18, 1_003_009_027_081_243_732),
    ];
    for (i, (out, r0, r1, input)) in cases.into_iter().enumerate() {
        let (c, _) = v2_pool(r0, r1);
        assert_eq!(
            v2_swap(&c, input, out + 1, 0),
            Err(LedgerError::KInvariant),
            "case {i}: +1 must fail the k check"
        );
        v2_swap(&c, input, out, 0).unwrap_or_else(|e| panic!("case {i}: {e}"));
    }
}

#[test]
fn uniswap_v2_mint_and_burn() {
    // `mint`: 1 and 4 tokens → liquidity 2 (1000 locked); `burn`: 3/3, all but 1000 back.
    let (c, id) = v2_pool(E18, 4 * E18);
    let p = pool(&c.state, id).expect("test value");
    assert_eq!(p.total_supply, 2 * E18);
    assert_eq!(
        lp_balance(&c.state, id, &user(0)).expect("test value"),
        2 * E18 - 1000
    );
    assert_eq!(lp_balance(&c.state, id, &DEAD).expect("test value"), 1000);
    assert_eq!((p.reserve0, p.reserve1), (E18, 4 * E18));

    let (mut c, id) = v2_pool(3 * E18, 3 * E18);
    let r = c.tx(
        user(0),
        Payload::RemoveLiquidity {
            pool: id,
            liquidity: 3 * E18 - 1000,
            amount_a_min: 3 * E18 - 1000,
            amount_b_min: 3 * E18 - 1000,
            deadline: c.later(),
        },
    );
    assert!(r.is_success(), "{r:?}");
    let p = pool(&c.state, id).expect("test value");
    assert_eq!((p.reserve0, p.reserve1, p.total_supply), (1000, 1000, 1000));
    assert_eq!(c.state.balance(user(0), TokenId(0)), FUNDS - 1000);
    assert_eq!(c.state.balance(user(0), TokenId(1)), FUNDS - 1000);
}

#[test]
fn uniswap_v2_price_cumulative() {
    // `price{0,1}CumulativeLast`: 3/3 liquidity; sync at +1 s; swap 3 in / 1 out at +10 s; sync
    // at +20 s.
    let (c, id) = v2_pool(3 * E18, 3 * E18);
    let t = c.time / 1000;
    let mut state = c.state.clone();
    let step = |state: &mut State, secs: u64, f: &dyn Fn(&mut Exec<'_>)| {
        let s = state.clone();
        let mut ex = Exec::new(&s, 99, Timestamp(secs * 1000));
        f(&mut ex);
        ex.commit_tx();
        let ws = ex.into_write_set();
        state.commit(&ws).expect("test value");
    };
    step(&mut state, t + 1, &|ex| {
        pair_sync(ex, id).expect("test value")
    });
    let initial = (U256::from(1u8) << 112, U256::from(1u8) << 112);
    let p = pool(&state, id).expect("test value");
    assert_eq!((p.price0_cumulative, p.price1_cumulative), initial);
    assert_eq!(p.timestamp_last, t + 1);
    step(&mut state, t + 10, &|ex| {
        tokens::move_balance(ex, &user(0), &pool_account(id), TokenId(0), 3 * E18)
            .expect("test value");
        pair_swap(ex, id, 0, E18, &user(0), &user(0)).expect("test value");
    });
    let p = pool(&state, id).expect("test value");
    let ten = U256::from(10u8);
    assert_eq!(p.price0_cumulative, initial.0 * ten);
    assert_eq!(p.price1_cumulative, initial.1 * ten);
    step(&mut state, t + 20, &|ex| {
        pair_sync(ex, id).expect("test value")
    });
    let p = pool(&state, id).expect("test value");
    // encodePrice(6, 2) = [2·2^112/6, 6·2^112/2].
    let new0 = (U256::from(2 * E18) << 112) / U256::from(6 * E18);
    let new1 = (U256::from(6 * E18) << 112) / U256::from(2 * E18);
    assert_eq!(p.price0_cumulative, initial.0 * ten + new0 * ten);
    assert_eq!(p.price1_cumulative, initial.1 * ten + new1 * ten);
    // TWAP: the first liquidity (at t) stored an observation; the later ones at +1/+10 s are
    // within the 60 s spacing. From t to t + 20: 10 s at 1.0, then 10 s at 1/3.
    let tw = twap::twap(
        &state,
        id,
        Timestamp((t + 1) * 1000),
        Timestamp((t + 20) * 1000),
    )
    .expect("test value");
    assert_eq!(tw.start_s, t);
    assert_eq!(tw.price0, (initial.0 * ten + new0 * ten) / U256::from(20u8));
    assert!(tw.consult(&p, TokenId(1), 3 * E18).expect("test value") > 3 * E18);
    assert!(
        twap::twap(
            &state,
            id,
            Timestamp((t - 1) * 1000),
            Timestamp((t + 20) * 1000)
        )
        .is_err()
    );
}

#[test]
fn exact_in_exact_out_and_multihop_through_handlers() {
    let mut c = TestChain::new(3);
    let p01 = c.pool_with(0, 1, 30, 1000 * E18, 2000 * E18);
    let p12 = c.pool_with(1, 2, 100, 5000 * E18, 500 * E18);
    let before0 = c.state.balance(user(1), TokenId(0));
    let before2 = c.state.balance(user(1), TokenId(2));
    let pools_ = vec![
        pool(&c.state, p01).expect("test value"),
        pool(&c.state, p12).expect("test value"),
    ];
    let path = vec![TokenId(0), TokenId(1), TokenId(2)];
    let expect = amounts_out(&pools_, &path, 10 * E18).expect("test value");
    let r = c.tx(
        user(1),
        Payload::SwapExactIn {
            path: path.clone(),
            amount_in: 10 * E18,
            min_out: expect[2],
            deadline: c.later(),
        },
    );
    assert!(r.is_success(), "{r:?}");
    assert_eq!(r.events.len(), 2);
    assert_eq!(c.state.balance(user(1), TokenId(0)), before0 - 10 * E18);
    assert_eq!(c.state.balance(user(1), TokenId(2)), before2 + expect[2]);
    // Exact out: buy exactly 1 T2 with T0.
    let pools_ = vec![
        pool(&c.state, p01).expect("test value"),
        pool(&c.state, p12).expect("test value"),
    ];
    let need = amounts_in(&pools_, &path, E18).expect("test value");
    let r = c.tx(
        user(1),
        Payload::SwapExactOut {
            path: path.clone(),
            amount_out: E18,
            max_in: need[0],
            deadline: c.later(),
        },
    );
    assert!(r.is_success(), "{r:?}");
    assert_eq!(
        c.state.balance(user(1), TokenId(2)),
        before2 + expect[2] + E18
    );
    assert_eq!(
        c.state.balance(user(1), TokenId(0)),
        before0 - 10 * E18 - need[0]
    );
}

#[test]
fn add_liquidity_uses_the_optimal_ratio_and_minimums() {
    let mut c = TestChain::new(2);
    let id = c.pool_with(0, 1, 30, 100 * E18, 400 * E18);
    // Desired 10/100: b_optimal = 40 ≤ 100 → deposit 10/40.
    let r = c.tx(
        user(1),
        Payload::AddLiquidity {
            pool: id,
            amount_a_desired: 10 * E18,
            amount_b_desired: 100 * E18,
            amount_a_min: 0,
            amount_b_min: 40 * E18,
            deadline: c.later(),
        },
    );
    assert!(r.is_success(), "{r:?}");
    assert_eq!(c.state.balance(user(1), TokenId(1)), FUNDS - 40 * E18);
    // Shares: min(10·S/100, 40·S/400) with S = 200e18 → 20e18.
    assert_eq!(
        lp_balance(&c.state, id, &user(1)).expect("test value"),
        20 * E18
    );
    let snap = c.snapshot();
    let r = c.tx(
        user(1),
        Payload::AddLiquidity {
            pool: id,
            amount_a_desired: 10 * E18,
            amount_b_desired: 100 * E18,
            amount_a_min: 0,
            amount_b_min: 41 * E18,
            deadline: c.later(),
        },
    );
    assert!(failed(&r).contains("amount_b_min"));
    assert_eq!(c.snapshot(), snap);
}
