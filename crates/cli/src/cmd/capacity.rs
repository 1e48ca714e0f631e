//! `verity capacity mint|redeem|expire|list|show|swap|pool`: GPU-hour capacity tokens and their
//! time-aware AMM (issue 6). Amounts of capacity are given in GPU-hours (6 decimals, e.g.
//! `2.5`), AID amounts in AID (18 decimals); a slot is `YYYY-MM-DDTHH` (UTC) and a capacity
//! token is named by its symbol (`H100-2026-12-01T10`) or its numeric id.

use clap::Subcommand;
use verity_ledger::Payload;
use verity_ledger::capacity::pool::PoolView;
use verity_ledger::capacity::view::SlotView;
use verity_ledger::capacity::{CapacityTx, DECIMALS, hour_label, parse_hour};
use verity_primitives::{Timestamp, TokenId};

use super::Ctx;
use super::amount::{format_amount, parse_amount};
use super::chain::{self, SendOpts};
use super::signer::SignerArgs;

/// Decimals of AID and of fixed-point curve parameters.
const WAD_DECIMALS: u8 = 18;

/// Subcommands of `verity capacity pool`.
#[derive(Subcommand, Debug)]
pub enum PoolCmd {
    /// Open a slot's (token, AID) pool with a first deposit.
    Create {
        #[command(flatten)]
        signer: SignerArgs,
        /// Capacity token: symbol or id.
        #[arg(long)]
        token: String,
        /// AID a whole GPU-hour is worth at expiry (the slot start), e.g. 2.
        #[arg(long)]
        par: String,
        /// Pendle scalarRoot (curve steepness), e.g. 20.
        #[arg(long, default_value = "20")]
        scalar_root: String,
        /// Pendle initialAnchor (≥ 1), e.g. 1.05.
        #[arg(long, default_value = "1.05")]
        anchor: String,
        /// Fee on the AID side, bps.
        #[arg(long, default_value_t = 30)]
        fee_bps: u32,
        /// GPU-hours deposited.
        #[arg(long)]
        hours: String,
        /// AID deposited.
        #[arg(long)]
        aid: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Deposit up to the given amounts in the pool's proportion.
    Add {
        #[command(flatten)]
        signer: SignerArgs,
        /// Capacity token: symbol or id.
        #[arg(long)]
        token: String,
        /// Most GPU-hours.
        #[arg(long)]
        hours: String,
        /// Most AID.
        #[arg(long)]
        aid: String,
        /// Least LP shares (base units).
        #[arg(long, default_value_t = 1)]
        min_lp: u128,
        /// Refuse after this many seconds of block time from now.
        #[arg(long, default_value_t = 600)]
        deadline_secs: u64,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Burn LP shares for the pro-rata reserves (also after expiry).
    Remove {
        #[command(flatten)]
        signer: SignerArgs,
        /// Capacity token: symbol or id.
        #[arg(long)]
        token: String,
        /// LP shares (base units).
        #[arg(long)]
        lp: u128,
        /// Refuse after this many seconds of block time from now.
        #[arg(long, default_value_t = 600)]
        deadline_secs: u64,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// A slot's pool: reserves, spot price, implied rate.
    Show {
        /// Capacity token: symbol or id.
        token: String,
    },
}

/// Subcommands of `verity capacity`.
#[derive(Subcommand, Debug)]
pub enum CapacityCmd {
    /// Mint capacity tokens for a future slot, backed by free bonded stake.
    Mint {
        #[command(flatten)]
        signer: SignerArgs,
        /// Device class, e.g. H100 (letters and digits).
        #[arg(long)]
        class: String,
        /// Slot start hour, YYYY-MM-DDTHH (UTC).
        #[arg(long)]
        slot: String,
        /// GPU-hours, e.g. 8 or 0.5.
        #[arg(long)]
        hours: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Redeem tokens for your open job during its slot (assigns the job to a backing provider).
    Redeem {
        #[command(flatten)]
        signer: SignerArgs,
        /// Job id (you are its buyer).
        #[arg(long)]
        job: u64,
        /// Capacity token: symbol or id.
        #[arg(long)]
        token: String,
        /// GPU-hours.
        #[arg(long)]
        hours: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// After a slot: burn leftovers, slash unserved redemptions, release stake (anyone).
    Expire {
        #[command(flatten)]
        signer: SignerArgs,
        /// Capacity token: symbol or id.
        #[arg(long)]
        token: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Every slot: supply, backings, redemptions, pool price.
    List,
    /// One slot in detail.
    Show {
        /// Capacity token: symbol or id.
        token: String,
    },
    /// Buy or sell exactly `--hours` of a slot against AID before it starts.
    Swap {
        #[command(flatten)]
        signer: SignerArgs,
        /// Capacity token: symbol or id.
        #[arg(long)]
        token: String,
        /// Sell tokens (default: buy).
        #[arg(long)]
        sell: bool,
        /// GPU-hours.
        #[arg(long)]
        hours: String,
        /// Buy: most AID paid. Sell: least AID received.
        #[arg(long)]
        limit: String,
        /// Refuse after this many seconds of block time from now.
        #[arg(long, default_value_t = 600)]
        deadline_secs: u64,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// The capacity AMM: create, add, remove, show.
    #[command(subcommand)]
    Pool(PoolCmd),
}

/// A capacity token given as its id or its symbol.
fn token(ctx: &Ctx, text: &str) -> anyhow::Result<TokenId> {
    if let Ok(id) = text.parse::<u32>() {
        return Ok(TokenId(id));
    }
    Ok(chain::token_by_symbol(&chain::client(ctx), text)?.id)
}

fn hours(text: &str) -> anyhow::Result<u128> {
    parse_amount(text, DECIMALS)
}

fn wad(text: &str) -> anyhow::Result<u128> {
    parse_amount(text, WAD_DECIMALS)
}

/// Block-time deadline `secs` from the node's latest block.
fn deadline(ctx: &Ctx, secs: u64) -> anyhow::Result<u64> {
    let now = chain::client(ctx).capacity()?.now;
    Ok(now.saturating_add(secs.saturating_mul(1000)))
}

/// Run `verity capacity …`.
pub fn run(ctx: &Ctx, cmd: CapacityCmd) -> anyhow::Result<()> {
    let (signer, tx, opts) = match cmd {
        CapacityCmd::List => return list(ctx),
        CapacityCmd::Show { token: t } => return show(ctx, token(ctx, &t)?),
        CapacityCmd::Pool(PoolCmd::Show { token: t }) => return show(ctx, token(ctx, &t)?),
        CapacityCmd::Mint {
            signer,
            class,
            slot,
            hours: h,
            opts,
        } => {
            let start: Timestamp = parse_hour(&slot)?;
            let tx = CapacityTx::MintCapacity {
                device_class: class,
                slot_start: start.0,
                amount: hours(&h)?,
            };
            (signer, tx, opts)
        }
        CapacityCmd::Redeem {
            signer,
            job,
            token: t,
            hours: h,
            opts,
        } => {
            let tx = CapacityTx::RedeemCapacity {
                job,
                token: token(ctx, &t)?,
                amount: hours(&h)?,
            };
            (signer, tx, opts)
        }
        CapacityCmd::Expire {
            signer,
            token: t,
            opts,
        } => (
            signer,
            CapacityTx::ExpireSlot {
                token: token(ctx, &t)?,
            },
            opts,
        ),
        CapacityCmd::Swap {
            signer,
            token: t,
            sell,
            hours: h,
            limit,
            deadline_secs,
            opts,
        } => {
            let tx = CapacityTx::SwapCapacity {
                token: token(ctx, &t)?,
                buy: !sell,
                capacity: hours(&h)?,
                limit: wad(&limit)?,
                deadline: deadline(ctx, deadline_secs)?,
            };
            (signer, tx, opts)
        }
        CapacityCmd::Pool(PoolCmd::Create {
            signer,
            token: t,
            par,
            scalar_root,
            anchor,
            fee_bps,
            hours: h,
            aid,
            opts,
        }) => {
            let tx = CapacityTx::CreateCapacityPool {
                token: token(ctx, &t)?,
                par_price: wad(&par)?,
                scalar_root: wad(&scalar_root)?,
                initial_anchor: wad(&anchor)?,
                fee_bps,
                capacity: hours(&h)?,
                quote: wad(&aid)?,
            };
            (signer, tx, opts)
        }
        CapacityCmd::Pool(PoolCmd::Add {
            signer,
            token: t,
            hours: h,
            aid,
            min_lp,
            deadline_secs,
            opts,
        }) => {
            let tx = CapacityTx::AddCapacityLiquidity {
                token: token(ctx, &t)?,
                capacity_max: hours(&h)?,
                quote_max: wad(&aid)?,
                min_lp,
                deadline: deadline(ctx, deadline_secs)?,
            };
            (signer, tx, opts)
        }
        CapacityCmd::Pool(PoolCmd::Remove {
            signer,
            token: t,
            lp,
            deadline_secs,
            opts,
        }) => {
            let tx = CapacityTx::RemoveCapacityLiquidity {
                token: token(ctx, &t)?,
                lp,
                min_capacity: 0,
                min_quote: 0,
                deadline: deadline(ctx, deadline_secs)?,
            };
            (signer, tx, opts)
        }
    };
    super::send::sign_send_report(ctx, &signer, Payload::Capacity(tx), &opts)
}

fn pool_text(p: &PoolView) -> String {
    let price = p
        .spot_price
        .map(|x| format!("{} AID/h", format_amount(x, WAD_DECIMALS)))
        .unwrap_or_else(|| "closed".into());
    format!(
        "pool: {} h + {} AID, par {} AID/h, spot {price}, fee {} bps, LP {}",
        format_amount(p.pool.reserve_capacity, DECIMALS),
        format_amount(p.pool.reserve_quote, WAD_DECIMALS),
        format_amount(p.pool.par_price, WAD_DECIMALS),
        p.pool.fee_bps,
        p.pool.total_lp
    )
}

fn slot_line(v: &SlotView) -> String {
    let s = &v.slot;
    let mut out = format!(
        "{} (token {}): {} {}, minted {} h, redeemed {} h, supply {} h, {} provider(s){}",
        s.symbol,
        s.token.0,
        s.device_class,
        hour_label(s.start),
        format_amount(s.minted, DECIMALS),
        format_amount(s.redeemed, DECIMALS),
        format_amount(v.supply, DECIMALS),
        s.backings.len(),
        if s.expired { ", EXPIRED" } else { "" }
    );
    if let Some(p) = &v.pool {
        out.push_str("\n  ");
        out.push_str(&pool_text(p));
    }
    out
}

fn list(ctx: &Ctx) -> anyhow::Result<()> {
    let v = chain::client(ctx).capacity()?;
    ctx.emit(serde_json::to_value(&v)?, || {
        if v.slots.is_empty() {
            return "no capacity slots yet (verity capacity mint)".into();
        }
        v.slots.iter().map(slot_line).collect::<Vec<_>>().join("\n")
    })
}

fn show(ctx: &Ctx, t: TokenId) -> anyhow::Result<()> {
    let v = chain::client(ctx).capacity_slot(t.0)?;
    ctx.emit(serde_json::to_value(&v)?, || {
        let mut s = slot_line(&v);
        for b in &v.slot.backings {
            s.push_str(&format!(
                "\n  backing {}: minted {} h, redeemed {} h, stake locked {}",
                b.provider,
                format_amount(b.minted, DECIMALS),
                format_amount(b.redeemed, DECIMALS),
                b.locked
            ));
        }
        for r in &v.slot.redemptions {
            s.push_str(&format!(
                "\n  job {} -> {}: {} h",
                r.job,
                r.provider,
                format_amount(r.amount, DECIMALS)
            ));
        }
        s
    })
}
