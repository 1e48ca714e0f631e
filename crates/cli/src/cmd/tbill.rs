//! `verity tbill subscribe|redeem|nav` (the TBILL fund share whose NAV accrues daily from the
//! oracle's T-bill yield) and `verity oracle report|show` (authorised reporters post feed values).

use clap::Subcommand;
use serde_json::json;
use verity_ledger::Payload;
use verity_ledger::treasury::tbill::{format_e18, parse_e18};

use super::Ctx;
use super::amount::{format_amount, parse_amount};
use super::chain::{self, SendOpts};
use super::keystore::Keystore;
use super::signer::SignerArgs;

/// Subcommands of `verity tbill`.
#[derive(Subcommand, Debug)]
pub enum TbillCmd {
    /// Buy TBILL shares at NAV with USDC or AID.
    Subscribe {
        #[command(flatten)]
        signer: SignerArgs,
        /// Decimal amount of the asset paid, e.g. 100.
        #[arg(long)]
        amount: String,
        /// Asset paid: USDC or AID.
        #[arg(long, default_value = "USDC")]
        asset: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Redeem TBILL shares at NAV for USDC or AID.
    Redeem {
        #[command(flatten)]
        signer: SignerArgs,
        /// Decimal number of shares, e.g. 10.5.
        #[arg(long)]
        shares: String,
        /// Asset to receive: USDC or AID.
        #[arg(long, default_value = "USDC")]
        asset: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Show NAV, yield, supply and holdings (`GET /v1/tbill`).
    Nav,
    /// Accrue the NAV up to now on the ledger (anyone may).
    Accrue {
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        opts: SendOpts,
    },
}

/// Subcommands of `verity oracle`.
#[derive(Subcommand, Debug)]
pub enum OracleCmd {
    /// Post a value to a feed (authorised reporters only).
    Report {
        #[command(flatten)]
        signer: SignerArgs,
        /// Feed name.
        #[arg(long, default_value = "TBILL_YIELD")]
        feed: String,
        /// Value as a percentage for yields (4.5 = 4.5% a year) or a USD price for price feeds;
        /// stored as 1e18 fixed point (a yield as a fraction: 4.5% = 0.045).
        #[arg(long)]
        value: String,
        /// Treat VALUE as a plain number (price) rather than a percentage.
        #[arg(long)]
        price: bool,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Show a feed: reporters, latest reports, median, staleness.
    Show {
        /// Feed name.
        #[arg(default_value = "TBILL_YIELD")]
        feed: String,
    },
}

/// Run `verity tbill …`.
pub fn run(ctx: &Ctx, cmd: TbillCmd) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    let (signer, payload, opts) = match cmd {
        TbillCmd::Nav => return nav(ctx),
        TbillCmd::Subscribe {
            signer,
            amount,
            asset,
            opts,
        } => {
            let t = chain::token_by_symbol(&client, &asset)?;
            let amount = parse_amount(&amount, t.info.decimals)?;
            (
                signer,
                Payload::Subscribe {
                    asset: t.id,
                    amount,
                },
                opts,
            )
        }
        TbillCmd::Redeem {
            signer,
            shares,
            asset,
            opts,
        } => {
            let t = chain::token_by_symbol(&client, &asset)?;
            let share = chain::token_by_symbol(&client, "TBILL")?;
            let shares = parse_amount(&shares, share.info.decimals)?;
            (
                signer,
                Payload::Redeem {
                    shares,
                    asset: t.id,
                },
                opts,
            )
        }
        TbillCmd::Accrue { signer, opts } => (signer, Payload::AccrueNav, opts),
    };
    super::send::sign_send_report(ctx, &signer, payload, &opts)
}

fn pct(v: u128) -> String {
    format_e18(v.saturating_mul(100), 4)
}

fn nav(ctx: &Ctx) -> anyhow::Result<()> {
    let v = chain::client(ctx).tbill()?;
    let value = serde_json::to_value(&v)?;
    ctx.emit(value, || {
        let mut s = format!(
            "TBILL NAV {} (stored {} at {} ms)\nyield: {}\nsupply: {} TBILL\nholdings:",
            format_e18(v.nav_now, 6),
            format_e18(v.fund.nav, 6),
            v.fund.last_accrual.0,
            match v.annual_yield {
                Some(y) => format!("{}% a year", pct(y)),
                None => "STALE (treasury actions fail until a reporter posts)".into(),
            },
            format_amount(v.supply, 18),
        );
        for h in &v.holdings {
            s.push_str(&format!(
                "\n  {} (id {}): {} base units",
                h.symbol, h.token, h.amount
            ));
        }
        s
    })
}

/// Run `verity oracle …`.
pub fn run_oracle(ctx: &Ctx, cmd: OracleCmd) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    match cmd {
        OracleCmd::Show { feed } => {
            let v = client.oracle(&feed)?;
            let value = serde_json::to_value(&v)?;
            ctx.emit(value, || {
                let mut s = format!(
                    "{}: median {} ({} fresh of {} reporters, max age {} ms){}",
                    v.feed.name,
                    v.median.map_or("none".into(), |m| format_e18(m, 6)),
                    v.fresh_reports,
                    v.feed.reporters.len(),
                    v.feed.max_age_ms,
                    if v.stale { " STALE" } else { "" }
                );
                for r in &v.feed.reporters {
                    s.push_str(&format!(
                        "\n  {} {} at {} ms",
                        r.reporter,
                        r.value.map_or("-".into(), |x| format_e18(x, 6)),
                        r.at.0
                    ));
                }
                s
            })
        }
        OracleCmd::Report {
            signer,
            feed,
            value,
            price,
            opts,
        } => {
            let v = parse_e18(&value).map_err(|e| anyhow::anyhow!("--value: {e}"))?;
            let v = if price { v } else { v / 100 };
            let key = signer.load(&Keystore::new(ctx.keystore_dir()))?;
            let sent = chain::sign_and_send(
                &client,
                &key,
                Payload::ReportPrice { feed, value: v },
                &opts,
            )?;
            super::send::report(ctx, &sent)
        }
    }
}

/// `verity calc tbill`: price and investment rate from a discount rate (offline).
pub fn calc(ctx: &Ctx, discount_rate: &str, days: u32, leap_year: bool) -> anyhow::Result<()> {
    let d = parse_e18(discount_rate).map_err(|e| anyhow::anyhow!("--discount-rate: {e}"))?;
    let q = verity_ledger::treasury::tbill::quote(d, days, leap_year)?;
    ctx.emit(
        json!({
            "discount_rate_pct": format_e18(q.discount_rate_e18, 6),
            "days": q.days,
            "year_days": q.year_days,
            "price_per_100": format_e18(q.price_e18, 6),
            "investment_rate_pct": format_e18(q.investment_rate_e18, 3),
            "method": q.method,
            "price_per_100_e18": q.price_e18.to_string(),
            "investment_rate_pct_e18": q.investment_rate_e18.to_string(),
        }),
        || {
            format!(
                "{days}-day bill at a {}% discount rate: price {} per 100, investment rate {}% ({}, {}-day year)",
                format_e18(q.discount_rate_e18, 3),
                format_e18(q.price_e18, 6),
                format_e18(q.investment_rate_e18, 3),
                q.method,
                q.year_days
            )
        },
    )
}
