//! The world around the market: the VTY reference price, the arbitrageur that trades the AMM
//! pools back to reference prices, the T-bill yield reporter, the NAV keeper, buy-and-burn,
//! and the savers of the sAID vault.
//!
//! **VTY price.** A reference price follows a driftless log random walk, one step an hour with
//! standard deviation `vty_volatility / √8760`. It reaches the ledger only through the AMM:
//! every hour the arbitrageur trades the VTY/AID pool toward it (and the AID/USDC pool toward
//! par, the USDC/TBILL pool toward the fund's NAV) when the gap is wider than the pool fee.
//! Values in the report use the *pool* price (what the ledger would pay), AID counted at $1.
//!
//! **T-bill yield.** Once a day the `oracle` key reports `TBILL_YIELD`: a mean-reverting walk
//! `y ← y + 0.05 (y₀ − y) + σ z`, clamped to [0, 20%]; the keeper then sends `AccrueNav`.
//!
//! **Burn.** Once a day the keeper sends `ExecuteBuyback` for VTY and for AID when the fee
//! account holds them (VTY fees are already in VTY; AID fees of the financed GPU jobs are swapped
//! to VTY along the router: 70% burned, the rest to the treasury and the caller).
//!
//! **Vault.** Savers mint AID with USDC and deposit it into the sAID vault on random days. Its
//! revenue comes from the financed GPU through the ledger's financing flow (`crate::financing`).

use crate::SimError;
use crate::config::SimConfig;
use crate::rng::SimRng;
use crate::world::{USDC_ONE, World};
use verity_ledger::{Payload, Timestamp, TokenId, amm, burn, oracle, treasury};

/// 1e18 as f64.
pub const E18: f64 = 1e18;

/// The keepers' state.
pub struct Keepers {
    price_rng: SimRng,
    day_rng: SimRng,
    /// VTY reference price, USD.
    pub ref_price: f64,
    /// Annual T-bill yield last reported.
    pub tbill_yield: f64,
}

impl Keepers {
    /// Start at the devnet pool's price and the configured yield.
    pub fn new(cfg: &SimConfig, w: &World) -> Result<Keepers, SimError> {
        Ok(Keepers {
            price_rng: SimRng::new(cfg.seed, 1),
            day_rng: SimRng::new(cfg.seed, 2),
            ref_price: vty_pool_price(w)?,
            tbill_yield: cfg.tbill_yield,
        })
    }

    /// Setup transactions (first block): inventories for the arbitrageur and the financier.
    pub fn setup(&self, w: &mut World) -> Result<(), SimError> {
        let t = w.tokens;
        let arb = w.accounts.arbitrageur;
        w.send(
            arb,
            Payload::MintAid {
                collateral: t.usdc,
                amount: 10_000_000 * USDC_ONE,
            },
        )?;
        w.send(
            arb,
            Payload::Subscribe {
                asset: t.usdc,
                amount: 2_000_000 * USDC_ONE,
            },
        )?;
        let fin = w.accounts.financier;
        w.send(
            fin,
            Payload::MintAid {
                collateral: t.usdc,
                amount: 2_000_000 * USDC_ONE,
            },
        )?;
        Ok(())
    }

    /// One hour: step the reference price, then arbitrage the pools.
    pub fn hour(&mut self, cfg: &SimConfig, w: &mut World) -> Result<(), SimError> {
        let sd = cfg.vty_volatility / libm::sqrt(8760.0);
        self.ref_price *= libm::exp(sd * self.price_rng.normal());
        let t = w.tokens;
        let nav = treasury::view(&w.state)?.nav_now as f64 / E18;
        arbitrage(w, t.vty, t.aid, self.ref_price)?;
        // USDC is token0 (6 decimals) against AID / TBILL (18 decimals).
        arbitrage(w, t.usdc, t.aid, 1e12)?;
        arbitrage(w, t.usdc, t.tbill, 1e12 / nav)?;
        Ok(())
    }

    /// End of a day: yield report, NAV accrual, buyback, savers.
    pub fn end_of_day(&mut self, cfg: &SimConfig, w: &mut World) -> Result<(), SimError> {
        let t = w.tokens;
        let y0 = cfg.tbill_yield;
        self.tbill_yield = (self.tbill_yield
            + 0.05 * (y0 - self.tbill_yield)
            + cfg.tbill_yield_daily_sd * self.day_rng.normal())
        .clamp(0.0, 0.2);
        w.send(
            w.accounts.oracle,
            Payload::ReportPrice {
                feed: oracle::TBILL_YIELD.to_string(),
                value: (self.tbill_yield * E18) as u128,
            },
        )?;
        let keeper = w.accounts.keeper;
        w.send(keeper, Payload::AccrueNav)?;
        for token in [t.vty, t.aid] {
            if w.state.balance(burn::fee_account(), token) > 0 {
                w.send(keeper, Payload::ExecuteBuyback { token })?;
            }
        }
        for s in w.accounts.savers.clone() {
            if !self.day_rng.chance(0.5) {
                continue;
            }
            let dollars = (500.0 + 4_500.0 * self.day_rng.uniform()).floor() as u128;
            let usdc = dollars * USDC_ONE;
            if w.state.balance(s, t.usdc) < usdc {
                continue;
            }
            w.send(
                s,
                Payload::MintAid {
                    collateral: t.usdc,
                    amount: usdc,
                },
            )?;
            w.send(
                s,
                Payload::VaultDeposit {
                    assets: dollars * 1_000_000_000_000_000_000,
                    min_shares: 0,
                },
            )?;
        }
        Ok(())
    }
}

/// Price of one VTY in AID (≈ USD) at the VTY/AID pool's reserves.
pub fn vty_pool_price(w: &World) -> Result<f64, SimError> {
    let t = w.tokens;
    let id = amm::pool_for(&w.state, t.vty, t.aid)?
        .ok_or_else(|| SimError::Config("the devnet has no VTY/AID pool".into()))?;
    let p = amm::pool(&w.state, id)?;
    // Both 18 decimals; token0 is the lower id.
    let (rv, ra) = if p.token0 == t.vty {
        (p.reserve0, p.reserve1)
    } else {
        (p.reserve1, p.reserve0)
    };
    Ok(ra as f64 / rv as f64)
}

/// Trade the pool of (`a`, `b`) so that `reserve_b / reserve_a` (base units) moves to
/// `target`, when the gap is wider than the fee. Constant product: the reserve sold into grows
/// to `√(k / target)` (selling `a`) or `√(k · target)` (selling `b`), grossed up by the fee.
pub fn arbitrage(w: &mut World, a: TokenId, b: TokenId, target: f64) -> Result<(), SimError> {
    let Some(id) = amm::pool_for(&w.state, a, b)? else {
        return Ok(());
    };
    let p = amm::pool(&w.state, id)?;
    let (ra, rb) = if p.token0 == a {
        (p.reserve0, p.reserve1)
    } else {
        (p.reserve1, p.reserve0)
    };
    if ra == 0 || rb == 0 || !(target.is_finite() && target > 0.0) {
        return Ok(());
    }
    let (x, y) = (ra as f64, rb as f64);
    let fee = f64::from(p.fee_bps) / 10_000.0;
    let cur = y / x;
    if (cur / target - 1.0).abs() <= fee {
        return Ok(());
    }
    let k = x * y;
    let (sell, buy, amount) = if cur > target {
        (a, b, (libm::sqrt(k / target) - x) / (1.0 - fee))
    } else {
        (b, a, (libm::sqrt(k * target) - y) / (1.0 - fee))
    };
    let arb = w.accounts.arbitrageur;
    let amount = (amount.max(0.0) as u128).min(w.state.balance(arb, sell));
    if amount == 0 {
        return Ok(());
    }
    let deadline = Timestamp(w.next_time().0 + crate::world::HOUR_MS);
    w.send(
        arb,
        Payload::SwapExactIn {
            path: vec![sell, buy],
            amount_in: amount,
            min_out: 0,
            deadline,
        },
    )
}
