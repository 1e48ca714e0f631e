//! `verity calc …`: pure, offline calculators (no node needed). Shared command group: the amm
//! formulas (`amm-out`, `amm-in`, issue 5 markets) live here; other engineers add their own
//! variants (`tbill`, `ve-power`) to [`CalcCommand`] and [`run`].

use clap::Subcommand;
use serde_json::json;
use verity_ledger::amm::math;

use super::Ctx;

/// Subcommands of `verity calc`.
#[derive(Subcommand, Debug)]
pub enum CalcCommand {
    /// Uniswap V2 getAmountOut: what selling AMOUNT_IN into a pool pays out (base units).
    AmmOut {
        /// Amount sold, base units.
        #[arg(long)]
        amount_in: u128,
        /// Reserve of the token sold, base units.
        #[arg(long)]
        reserve_in: u128,
        /// Reserve of the token bought, base units.
        #[arg(long)]
        reserve_out: u128,
        /// Pool fee in basis points (30 = 0.30%).
        #[arg(long, default_value_t = math::DEFAULT_FEE_BPS)]
        fee_bps: u16,
    },
    /// Uniswap V2 getAmountIn: the least input that buys AMOUNT_OUT (base units, rounded up).
    AmmIn {
        /// Amount bought, base units.
        #[arg(long)]
        amount_out: u128,
        /// Reserve of the token sold, base units.
        #[arg(long)]
        reserve_in: u128,
        /// Reserve of the token bought, base units.
        #[arg(long)]
        reserve_out: u128,
        /// Pool fee in basis points (30 = 0.30%).
        #[arg(long, default_value_t = math::DEFAULT_FEE_BPS)]
        fee_bps: u16,
    },
    // --- treasury (issue 5) ---
    /// T-bill price per 100 from a discount rate (actual/360) and the investment rate
    /// (bond-equivalent yield; simple for ≤ 182 days, TreasuryDirect's quadratic beyond).
    Tbill {
        /// Discount rate in percent, e.g. 4.975.
        #[arg(long)]
        discount_rate: String,
        /// Days to maturity (1..=366).
        #[arg(long)]
        days: u32,
        /// Use a 366-day year (the year after issue contains 29 February).
        #[arg(long)]
        leap_year: bool,
    },
    // --- governance (issue 5) ---
    /// Vote-escrow power of locking AMOUNT VTY for LOCK_DAYS (Curve: whole weeks, ≤ 4 years,
    /// power = amount / MAXTIME × lock seconds, decaying linearly).
    VePower {
        /// Decimal VTY, e.g. 1000.
        #[arg(long)]
        amount: String,
        /// Lock length in days (≤ 1460).
        #[arg(long)]
        lock_days: u64,
    },
}

fn check_fee(fee_bps: u16) -> anyhow::Result<()> {
    if fee_bps > math::MAX_FEE_BPS {
        anyhow::bail!(
            "--fee-bps {fee_bps} is out of range: use 0 to {} (30 = 0.30%)",
            math::MAX_FEE_BPS
        );
    }
    Ok(())
}

/// Run `verity calc …`.
pub fn run(ctx: &Ctx, cmd: CalcCommand) -> anyhow::Result<()> {
    match cmd {
        CalcCommand::AmmOut {
            amount_in,
            reserve_in,
            reserve_out,
            fee_bps,
        } => {
            check_fee(fee_bps)?;
            let out = math::get_amount_out(amount_in, reserve_in, reserve_out, fee_bps)?;
            ctx.emit(
                json!({
                    "amount_in": amount_in.to_string(),
                    "reserve_in": reserve_in.to_string(),
                    "reserve_out": reserve_out.to_string(),
                    "fee_bps": fee_bps,
                    "amount_out": out.to_string(),
                }),
                || format!("amount out: {out} (selling {amount_in} into {reserve_in}/{reserve_out} at {fee_bps} bps)"),
            )
        }
        CalcCommand::AmmIn {
            amount_out,
            reserve_in,
            reserve_out,
            fee_bps,
        } => {
            check_fee(fee_bps)?;
            let need = math::get_amount_in(amount_out, reserve_in, reserve_out, fee_bps)?;
            ctx.emit(
                json!({
                    "amount_out": amount_out.to_string(),
                    "reserve_in": reserve_in.to_string(),
                    "reserve_out": reserve_out.to_string(),
                    "fee_bps": fee_bps,
                    "amount_in": need.to_string(),
                }),
                || format!("amount in: {need} (to buy {amount_out} from {reserve_in}/{reserve_out} at {fee_bps} bps)"),
            )
        }
        CalcCommand::Tbill {
            discount_rate,
            days,
            leap_year,
        } => super::tbill::calc(ctx, &discount_rate, days, leap_year),
        CalcCommand::VePower { amount, lock_days } => {
            super::economy::calc_ve_power(ctx, &amount, lock_days)
        }
    }
}
