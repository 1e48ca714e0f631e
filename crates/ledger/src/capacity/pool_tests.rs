//! Capacity AMM tests: prices converge to par as expiry nears (spot and the average price of a
//! fixed trade), trades and deposits at or after expiry are refused while withdrawals work,
//! swaps both ways honour their limit and deadline, a round trip never profits the trader,
//! and liquidity comes back pro rata.

use super::pool::{self, Pool};
use super::tests::{BUYER, Fx, H, PROV, TRADER};
use super::*;
use crate::genesis::VTY;
use crate::treasury::testkit::{err, ok};
use crate::tx::Payload;

const AID: u128 = 1_000_000_000_000_000_000;
const PAR: u128 = 2 * AID;
const DAY: u64 = 86_400_000;

/// A slot 31 days out with a pool of 100 h and 150 AID (fee `fee_bps`) opened now by PROV.
fn setup(fee_bps: u32) -> Fx {
    let mut f = Fx::new();
    f.start = (f.k.time / SLOT_MS + 31 * 24) * SLOT_MS;
    f.bond(PROV, 10_000 * VTY);
    ok(&f.mint(PROV, 500 * H));
    let usdc = f.usdc();
    for i in [PROV, TRADER] {
        ok(&f.k.send(
            i,
            Payload::MintAid {
                collateral: usdc,
                amount: 10_000 * 1_000_000,
            },
        ));
    }
    f.give(PROV, TRADER, 100 * H);
    let token = f.token();
    ok(&f.cap(
        PROV,
        CapacityTx::CreateCapacityPool {
            token,
            par_price: PAR,
            scalar_root: 20 * AID,
            initial_anchor: AID / 100 * 105,
            fee_bps,
            capacity: 100 * H,
            quote: 150 * AID,
        },
    ));
    f
}

fn the_pool(f: &Fx) -> Pool {
    pool::pool(&f.k.state, f.token())
        .expect("reads")
        .expect("pool")
}

fn aid(f: &Fx, i: usize) -> u128 {
    let t = crate::dollar::config(&f.k.state).expect("dollar").aid;
    f.k.state.balance(f.k.addr(i), t)
}

#[test]
fn prices_converge_to_par_as_expiry_nears() {
    let f = setup(0);
    let p = the_pool(&f);
    let expiry = p.expiry.0;
    let mut last_gap = u128::MAX;
    let mut last_impact = u128::MAX;
    for tau in [30 * DAY, 7 * DAY, DAY, SLOT_MS, 60_000, 1_000] {
        let now = Timestamp(expiry - tau);
        let spot = pool::spot_price(&p, now).expect("spot");
        assert!(spot <= PAR, "a token never trades above par");
        let gap = PAR - spot;
        assert!(gap < last_gap, "τ {tau}: gap {gap} not below {last_gap}");
        last_gap = gap;
        // The average price of a 10 h buy approaches the spot price (the curve flattens).
        let cost = pool::quote(&p, now, true, 10 * H).expect("quote");
        let impact = cost - spot * 10;
        assert!(
            impact <= last_impact,
            "τ {tau}: impact {impact} above {last_impact}"
        );
        last_impact = impact;
    }
    assert!(
        last_gap < PAR / 10_000,
        "1 s before expiry the spot is within 0.01% of par"
    );
    // At expiry there is no price.
    assert!(pool::spot_price(&p, Timestamp(expiry)).is_err());
}

#[test]
fn trades_at_or_after_expiry_are_refused_but_withdrawals_work() {
    let mut f = setup(30);
    let token = f.token();
    let swap = |buy| CapacityTx::SwapCapacity {
        token,
        buy,
        capacity: H,
        limit: if buy { u128::MAX } else { 0 },
        deadline: u64::MAX,
    };
    // One millisecond before expiry still trades.
    f.at(0);
    f.k.time -= 2; // the next block is at start − 1
    ok(&f.cap(TRADER, swap(true)));
    // At expiry (and after): refused both ways, deposits too.
    assert!(err(&f.cap(TRADER, swap(true))).contains("closed at expiry"));
    assert!(err(&f.cap(TRADER, swap(false))).contains("closed at expiry"));
    let add = CapacityTx::AddCapacityLiquidity {
        token,
        capacity_max: H,
        quote_max: AID,
        min_lp: 0,
        deadline: u64::MAX,
    };
    assert!(err(&f.cap(TRADER, add)).contains("closed at expiry"));
    // After the slot, expiry burns the pool's tokens; the LP still gets its AID back.
    f.at(SLOT_MS);
    ok(&f.expire());
    let p = the_pool(&f);
    assert_eq!(p.reserve_capacity, 0);
    let lp = pool::lp_balance(&f.k.state, token, &f.k.addr(PROV)).expect("lp");
    let before = aid(&f, PROV);
    ok(&f.cap(
        PROV,
        CapacityTx::RemoveCapacityLiquidity {
            token,
            lp,
            min_capacity: 0,
            min_quote: 1,
            deadline: u64::MAX,
        },
    ));
    assert!(aid(&f, PROV) > before);
}

#[test]
fn swaps_honour_limits_and_deadlines_and_round_trips_lose() {
    let mut f = setup(30);
    let token = f.token();
    let p = the_pool(&f);
    let now = Timestamp(f.k.time + 1);
    let cost = pool::quote(&p, now, true, 10 * H).expect("quote");
    let swap = |buy, limit, deadline| CapacityTx::SwapCapacity {
        token,
        buy,
        capacity: 10 * H,
        limit,
        deadline,
    };
    assert!(err(&f.cap(TRADER, swap(true, cost - 1, u64::MAX))).contains("above the limit"));
    let t = f.k.time;
    assert!(err(&f.cap(TRADER, swap(true, cost, t))).contains("deadline"));
    let a0 = aid(&f, TRADER);
    let c0 = f.k.state.balance(f.k.addr(TRADER), token);
    // Quote and execution agree (same block time as quoted).
    let now = Timestamp(f.k.time + 1);
    let cost = pool::quote(&the_pool(&f), now, true, 10 * H).expect("quote");
    ok(&f.cap(TRADER, swap(true, cost, u64::MAX)));
    assert_eq!(aid(&f, TRADER), a0 - cost);
    assert_eq!(f.k.state.balance(f.k.addr(TRADER), token), c0 + 10 * H);
    // Sell back the same amount: less AID than paid.
    let now = Timestamp(f.k.time + 1);
    let back = pool::quote(&the_pool(&f), now, false, 10 * H).expect("quote");
    assert!(back < cost);
    assert!(err(&f.cap(TRADER, swap(false, back + 1, u64::MAX))).contains("below the limit"));
    let now = Timestamp(f.k.time + 1);
    let back = pool::quote(&the_pool(&f), now, false, 10 * H).expect("quote");
    ok(&f.cap(TRADER, swap(false, back, u64::MAX)));
    assert_eq!(aid(&f, TRADER), a0 - cost + back);
    // Buying more than the pool holds or past 96% tokens is refused.
    let huge = CapacityTx::SwapCapacity {
        token,
        buy: true,
        capacity: 200 * H,
        limit: u128::MAX,
        deadline: u64::MAX,
    };
    assert!(err(&f.cap(TRADER, huge)).contains("capacity"));
    let dump = CapacityTx::SwapCapacity {
        token,
        buy: false,
        capacity: 100 * H,
        limit: 0,
        deadline: u64::MAX,
    };
    assert!(err(&f.cap(TRADER, dump)).contains("capacity"));
}

#[test]
fn liquidity_is_added_and_removed_pro_rata() {
    let mut f = setup(30);
    let token = f.token();
    let p = the_pool(&f);
    ok(&f.cap(
        TRADER,
        CapacityTx::AddCapacityLiquidity {
            token,
            capacity_max: 10 * H,
            quote_max: 1_000 * AID,
            min_lp: 1,
            deadline: u64::MAX,
        },
    ));
    let q = the_pool(&f);
    // Token side binds: exactly 10 h in, AID in the pool's proportion (rounded up).
    assert_eq!(q.reserve_capacity, p.reserve_capacity + 10 * H);
    let lp = pool::lp_balance(&f.k.state, token, &f.k.addr(TRADER)).expect("lp");
    assert_eq!(lp, q.total_lp - p.total_lp);
    let quote_in = q.reserve_quote - p.reserve_quote;
    assert!(quote_in * 10 >= 150 * AID && quote_in * 10 <= 150 * AID + 10);
    // Too little for the asked minimum; a late deadline.
    let add = |min_lp, deadline| CapacityTx::AddCapacityLiquidity {
        token,
        capacity_max: H,
        quote_max: 1_000 * AID,
        min_lp,
        deadline,
    };
    assert!(err(&f.cap(TRADER, add(u128::MAX, u64::MAX))).contains("LP shares"));
    let t = f.k.time;
    assert!(err(&f.cap(TRADER, add(1, t))).contains("deadline"));
    // Withdraw all: at most what went in (rounding keeps the remainder in the pool).
    let c0 = f.k.state.balance(f.k.addr(TRADER), token);
    ok(&f.cap(
        TRADER,
        CapacityTx::RemoveCapacityLiquidity {
            token,
            lp,
            min_capacity: 0,
            min_quote: 0,
            deadline: u64::MAX,
        },
    ));
    let got = f.k.state.balance(f.k.addr(TRADER), token) - c0;
    assert!(got <= 10 * H && got + 1 >= 10 * H, "{got}");
    let r = f.cap(
        BUYER,
        CapacityTx::RemoveCapacityLiquidity {
            token,
            lp: 1,
            min_capacity: 0,
            min_quote: 0,
            deadline: u64::MAX,
        },
    );
    assert!(err(&r).contains("LP shares"));
}

#[test]
fn pool_creation_is_checked() {
    let mut f = setup(30);
    let token = f.token();
    let create = |anchor, root| CapacityTx::CreateCapacityPool {
        token,
        par_price: PAR,
        scalar_root: root,
        initial_anchor: anchor,
        fee_bps: 0,
        capacity: H,
        quote: AID,
    };
    assert!(err(&f.cap(PROV, create(AID, AID))).contains("already has a pool"));
    // A second slot: anchor below 1 and a zero scalar are refused.
    let start = f.start + SLOT_MS;
    ok(&f.cap(
        PROV,
        CapacityTx::MintCapacity {
            device_class: "H100".into(),
            slot_start: start,
            amount: 10 * H,
        },
    ));
    let t2 = token_of(&f.k.state, "H100", Timestamp(start))
        .expect("reads")
        .expect("slot");
    let create2 = |anchor, root| CapacityTx::CreateCapacityPool {
        token: t2,
        par_price: PAR,
        scalar_root: root,
        initial_anchor: anchor,
        fee_bps: 0,
        capacity: H,
        quote: AID,
    };
    assert!(err(&f.cap(PROV, create2(AID - 1, AID))).contains("anchor"));
    assert!(err(&f.cap(PROV, create2(AID, 0))).contains("scalar"));
    ok(&f.cap(PROV, create2(AID / 100 * 102, 20 * AID)));
}
