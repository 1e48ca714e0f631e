//! Capacity token tests on a dev chain (every block checks every ledger invariant): minting
//! beyond locked stake is refused, redemption works only in the slot, expiry burns every
//! leftover token, an unserved redemption is slashed exactly, a served one is not; slot labels
//! round-trip. The AMM's tests are in `pool_tests`.

use super::*;
use crate::genesis::VTY;
use crate::market::{CommitArgs, JobTerms};
use crate::receipt::Receipt;
use crate::treasury::testkit::{Kit, err, ok};
use crate::tx::Payload;

/// Provider, buyer, second provider, trader (account 0, the genesis validator, is not used).
pub(super) const PROV: usize = 1;
pub(super) const BUYER: usize = 2;
pub(super) const PROV2: usize = 3;
pub(super) const TRADER: usize = 4;
pub(super) const H: u128 = ONE_HOUR;

/// A dev chain plus the slot under test (starts 2 days after genesis).
pub(super) struct Fx {
    pub k: Kit,
    pub start: u64,
}

impl Fx {
    pub fn new() -> Fx {
        let k = Kit::dev(5);
        let start = (k.time / SLOT_MS + 48) * SLOT_MS;
        Fx { k, start }
    }
    pub fn usdc(&self) -> TokenId {
        self.k.token("USDC")
    }
    pub fn cap(&mut self, i: usize, tx: CapacityTx) -> Receipt {
        self.k.send(i, Payload::Capacity(tx))
    }
    pub fn mint(&mut self, i: usize, amount: u128) -> Receipt {
        let start = self.start;
        self.cap(
            i,
            CapacityTx::MintCapacity {
                device_class: "H100".into(),
                slot_start: start,
                amount,
            },
        )
    }
    pub fn token(&self) -> TokenId {
        token_of(&self.k.state, "H100", Timestamp(self.start))
            .expect("index reads")
            .expect("slot exists")
    }
    pub fn slot(&self) -> Slot {
        load(&self.k.state, self.token()).expect("slot")
    }
    pub fn bond(&mut self, i: usize, amount: u128) {
        ok(&self.k.send(i, Payload::Bond { amount }));
    }
    pub fn give(&mut self, from: usize, to: usize, amount: u128) {
        let (t, to) = (self.token(), self.k.addr(to));
        ok(&self.k.send(
            from,
            Payload::Transfer {
                to,
                token: t,
                amount,
            },
        ));
    }
    /// Move the clock to `start + offset_ms`.
    pub fn at(&mut self, offset_ms: u64) {
        let target = self.start + offset_ms;
        assert!(target >= self.k.time, "clock only moves forward");
        self.k.time = target;
    }
    /// Post an H100 job (id returned) whose deadline is `deadline_ms` after now.
    pub fn post(&mut self, deadline_ms: u64) -> u64 {
        let id = crate::market::job_count(&self.k.state).expect("count");
        let usdc = self.usdc();
        ok(&self.k.send(
            BUYER,
            Payload::PostJob(JobTerms {
                spec_hash: Hash::keccak(b"spec"),
                data_hashes: vec![],
                token: usdc,
                max_price: 1_000,
                escrow: 1_500,
                device_class: "H100".into(),
                min_cores: 1,
                min_memory_mb: 1,
                spot_check_bps: 0,
                challenge_window_ms: 1_000,
                bid_window_ms: 100,
                deadline_ms,
            }),
        ));
        id
    }
    pub fn commit(&mut self, i: usize, job: u64) -> Receipt {
        self.k.send(
            i,
            Payload::Commit {
                job,
                result: CommitArgs {
                    output_hash: Hash::keccak(b"out"),
                    trace_root: Hash::keccak(b"trace"),
                    steps: 2,
                    ops_per_step: 2,
                    receipt_version: 1,
                },
            },
        )
    }
    pub fn redeem(&mut self, job: u64, amount: u128) -> Receipt {
        let token = self.token();
        self.cap(BUYER, CapacityTx::RedeemCapacity { job, token, amount })
    }
    pub fn expire(&mut self) -> Receipt {
        let token = self.token();
        self.cap(TRADER, CapacityTx::ExpireSlot { token })
    }
    pub fn bonded(&self, i: usize) -> u128 {
        self.k.state.stake(self.k.addr(i)).bonded
    }
}

#[test]
fn minting_beyond_free_stake_is_refused() {
    let mut f = Fx::new();
    assert_eq!(f.bonded(PROV), 0);
    // No stake at all.
    assert!(err(&f.mint(PROV, H)).contains("stake"));
    f.bond(PROV, 100 * VTY);
    // 10 VTY per GPU-hour: exactly 10 hours fit.
    ok(&f.mint(PROV, 10 * H));
    let a = f.k.addr(PROV);
    assert_eq!(locked(&f.k.state, &a).expect("reads"), 100 * VTY);
    assert_eq!(f.k.state.balance(a, f.token()), 10 * H);
    let e = err(&f.mint(PROV, 1));
    assert!(e.contains("stake"), "{e}");
    // Locked stake cannot be unbonded.
    assert!(err(&f.k.send(PROV, Payload::Unbond { amount: 1 })).contains("stake"));
    // More stake, more tokens; a fraction of an hour locks the rounded-up share.
    f.bond(PROV, 10_000_000_000_000);
    ok(&f.mint(PROV, 1));
    assert_eq!(
        locked(&f.k.state, &a).expect("reads"),
        100 * VTY + 10_000_000_000_000
    );
    // A second provider mints into the same (pooled) token.
    f.bond(PROV2, 20 * VTY);
    ok(&f.mint(PROV2, 2 * H));
    let s = f.slot();
    assert_eq!(s.minted, 12 * H + 1);
    assert_eq!(s.backings.len(), 2);
    assert_eq!(s.symbol, format!("H100-{}", hour_label(Timestamp(f.start))));
}

#[test]
fn mint_rejects_bad_slots() {
    let mut f = Fx::new();
    f.bond(PROV, 100 * VTY);
    let now = f.k.time;
    let past = (now / SLOT_MS) * SLOT_MS;
    for (class, start) in [
        ("H100", past),                         // already begun
        ("H100", f.start + 1),                  // not a whole hour
        ("H-100", f.start),                     // bad class
        ("", f.start),                          // empty class
        ("H100", f.start + 500 * 24 * SLOT_MS), // beyond the horizon
    ] {
        let r = f.cap(
            PROV,
            CapacityTx::MintCapacity {
                device_class: class.into(),
                slot_start: start,
                amount: H,
            },
        );
        assert!(err(&r).contains("capacity"), "{class} {start}: {r:?}");
    }
}

#[test]
fn redemption_works_only_during_the_slot() {
    let mut f = Fx::new();
    f.bond(PROV, 100 * VTY);
    ok(&f.mint(PROV, 5 * H));
    f.give(PROV, BUYER, 3 * H);
    // Before the slot.
    let early = f.post(1_000);
    assert!(err(&f.redeem(early, H)).contains("only during its slot"));
    // In the slot: assigned to the provider at price 0, tokens burned.
    f.at(1_000);
    let job = f.post(30 * 60_000);
    ok(&f.redeem(job, H));
    let j = crate::market::job(&f.k.state, job)
        .expect("reads")
        .expect("job");
    assert_eq!(j.provider, Some(f.k.addr(PROV)));
    assert_eq!(j.status, crate::market::JobStatus::Assigned);
    assert_eq!(j.price, 0);
    assert_eq!(f.k.state.balance(f.k.addr(BUYER), f.token()), 2 * H);
    assert_eq!(f.slot().redeemed, H);
    // The same job twice, a deadline past the slot's end, a non-buyer: refused.
    assert!(err(&f.redeem(job, H)).contains("not open"));
    let late = f.post(2 * SLOT_MS);
    assert!(err(&f.redeem(late, H)).contains("after the slot's end"));
    let other = f.post(60_000);
    let token = f.token();
    let r = f.cap(
        TRADER,
        CapacityTx::RedeemCapacity {
            job: other,
            token,
            amount: H,
        },
    );
    assert!(err(&r).contains("buyer"));
    // After the slot.
    f.at(SLOT_MS);
    assert!(err(&f.redeem(other, H)).contains("only during its slot"));
}

#[test]
fn served_slot_releases_stake_and_expiry_burns_leftovers() {
    let mut f = Fx::new();
    f.bond(PROV, 100 * VTY);
    ok(&f.mint(PROV, 5 * H));
    f.give(PROV, BUYER, 2 * H);
    f.give(PROV, TRADER, H);
    f.at(0);
    let job = f.post(30 * 60_000);
    ok(&f.redeem(job, H));
    ok(&f.commit(PROV, job));
    // Too early to expire.
    assert!(err(&f.expire()).contains("runs until"));
    f.at(SLOT_MS);
    let before = f.bonded(PROV);
    let r = f.expire();
    ok(&r);
    let t = f.token();
    assert_eq!(f.bonded(PROV), before, "a served slot is not slashed");
    assert_eq!(locked(&f.k.state, &f.k.addr(PROV)).expect("reads"), 0);
    // 5 minted, 1 redeemed: the other 4 (provider 2, buyer 1, trader 1) are burned.
    assert_eq!(f.k.state.token(t).expect("token").supply, 0);
    for i in 0..5 {
        assert_eq!(f.k.state.balance(f.k.addr(i), t), 0);
    }
    assert!(r.events.iter().any(|e| matches!(
        e,
        Event::Capacity(CapacityEvent::SlotExpired { burned, slashed: 0, released, .. })
            if *burned == 4 * H && *released == 50 * VTY
    )));
    assert!(err(&f.expire()).contains("already expired"));
    // The stake is free again.
    ok(&f.k.send(PROV, Payload::Unbond { amount: 100 * VTY }));
    // The job settles with price 0: the buyer's escrow comes back whole.
    let usdc = f.usdc();
    let b0 = f.k.state.balance(f.k.addr(BUYER), usdc);
    ok(&f.k.send(TRADER, Payload::Settle { job }));
    assert_eq!(f.k.state.balance(f.k.addr(BUYER), usdc), b0 + 1_500);
}

#[test]
fn an_unserved_slot_slashes_exactly_the_redeemed_share() {
    let mut f = Fx::new();
    f.bond(PROV, 100 * VTY);
    f.bond(PROV2, 100 * VTY);
    ok(&f.mint(PROV, 4 * H));
    ok(&f.mint(PROV2, 2 * H));
    f.give(PROV, BUYER, 3 * H);
    f.at(0);
    // Most unredeemed tokens wins: PROV (4h vs 2h) takes the first job; then both have 2h
    // left and the tie goes to the lower address.
    let j1 = f.post(30 * 60_000);
    ok(&f.redeem(j1, 2 * H));
    let j2 = f.post(30 * 60_000);
    ok(&f.redeem(j2, H / 2));
    let p1 = crate::market::job(&f.k.state, j1)
        .expect("r")
        .expect("j")
        .provider;
    let p2 = crate::market::job(&f.k.state, j2)
        .expect("r")
        .expect("j")
        .provider;
    assert_eq!(p1, Some(f.k.addr(PROV)));
    let (a, b) = (f.k.addr(PROV), f.k.addr(PROV2));
    assert_eq!(p2, Some(a.min(b)));
    // Nobody commits j1; j2 is served if it went to PROV2, else also unserved.
    let p2i = if p2 == Some(a) { PROV } else { PROV2 };
    ok(&f.commit(p2i, j2));
    f.at(SLOT_MS);
    let (b1, b2) = (f.bonded(PROV), f.bonded(PROV2));
    ok(&f.expire());
    assert_eq!(
        b1 - f.bonded(PROV),
        stake_for(&f.k.state, 2 * H).expect("fits")
    );
    assert_eq!(b2, f.bonded(PROV2), "the served provider keeps its stake");
    assert_eq!(locked(&f.k.state, &a).expect("reads"), 0);
    assert_eq!(locked(&f.k.state, &b).expect("reads"), 0);
}

#[test]
fn redemption_needs_matching_class_and_enough_backing() {
    let mut f = Fx::new();
    f.bond(PROV, 100 * VTY);
    ok(&f.mint(PROV, 2 * H));
    f.give(PROV, BUYER, 2 * H);
    f.bond(PROV2, 100 * VTY);
    ok(&f.mint(PROV2, H));
    f.give(PROV2, BUYER, H);
    f.at(0);
    let job = f.post(60_000);
    // 3h in total but no single provider has 3h: refused.
    assert!(err(&f.redeem(job, 3 * H)).contains("unredeemed"));
    // A cpu job cannot redeem H100 time.
    let usdc = f.usdc();
    let mut t = crate::market::job(&f.k.state, job)
        .expect("r")
        .expect("j")
        .terms;
    t.device_class = "cpu".into();
    t.token = usdc;
    ok(&f.k.send(BUYER, Payload::PostJob(t)));
    assert!(err(&f.redeem(job + 1, H)).contains("device class"));
    // Without the tokens: the balance check refuses.
    ok(&f.redeem(job, 2 * H));
    f.give(BUYER, TRADER, H);
    let j3 = f.post(60_000);
    let e = err(&f.redeem(j3, H));
    assert!(e.contains("insufficient") || e.contains("balance"), "{e}");
}

#[test]
fn hour_labels_round_trip() {
    for (label, ms) in [
        ("1970-01-01T00", 0u64),
        ("2026-01-01T00", 1_767_225_600_000),
        ("2028-02-29T23", 1_835_478_000_000),
        ("2026-12-01T10", 1_796_119_200_000),
    ] {
        assert_eq!(parse_hour(label).expect("parses"), Timestamp(ms), "{label}");
        assert_eq!(hour_label(Timestamp(ms)), label);
    }
    for bad in [
        "2026-02-29T10",
        "2026-13-01T00",
        "2026-1-01T00",
        "2026-01-01T24",
        "x",
    ] {
        assert!(parse_hour(bad).is_err(), "{bad}");
    }
    let (c, t) = parse_symbol("H100-2026-12-01T10").expect("parses");
    assert_eq!((c.as_str(), t), ("H100", Timestamp(1_796_119_200_000)));
    assert!(parse_symbol("H100").is_err());
}
