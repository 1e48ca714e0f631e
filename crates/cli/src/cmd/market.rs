//! `verity pool create|add|remove|list`, `verity swap`, `verity quote` (issue 5 markets): thin
//! commands over the node API (`/v1/pools`, `/v1/quote`) and the amm/router payloads. Amounts
//! are decimal token units (`1.5`) unless a flag says base units; slippage bounds are computed
//! from the node's quote (`--slippage-bps`, default 50 = 0.5%); deadlines are the local clock
//! plus `--deadline-secs` (the ledger compares them with the block time).

use anyhow::Context;
use clap::{Args, Subcommand};
use verity_api::ApiClient;
use verity_api::markets::QuoteResponse;
use verity_ledger::{Payload, Timestamp, TokenId};

use super::Ctx;
use super::amount::{format_amount, parse_amount};
use super::chain::{self, SendOpts};
use super::keystore::Keystore;
use super::signer::SignerArgs;

/// Slippage and deadline flags of trading commands.
#[derive(Args, Debug, Clone)]
pub struct TradeOpts {
    /// Most slippage accepted against the quote, in basis points (50 = 0.5%).
    #[arg(long, default_value_t = 50)]
    pub slippage_bps: u16,
    /// The transaction expires this many seconds from now (by block time).
    #[arg(long, default_value_t = 600)]
    pub deadline_secs: u64,
}

impl TradeOpts {
    fn deadline(&self) -> anyhow::Result<Timestamp> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the system clock is before 1970")?;
        let ms = u64::try_from(now.as_millis()).context("clock out of range")?;
        Ok(Timestamp(
            ms.saturating_add(self.deadline_secs.saturating_mul(1000)),
        ))
    }
    fn min_of(&self, amount: u128) -> anyhow::Result<u128> {
        if self.slippage_bps > 10_000 {
            anyhow::bail!("--slippage-bps must be at most 10000");
        }
        Ok(verity_primitives::math::mul_div(
            amount,
            u128::from(10_000 - self.slippage_bps),
            10_000,
            verity_primitives::math::Rounding::Down,
        )?)
    }
}

/// Subcommands of `verity pool`.
#[derive(Subcommand, Debug)]
pub enum PoolCmd {
    /// Create the pool of a token pair.
    Create {
        #[command(flatten)]
        signer: SignerArgs,
        /// One token (symbol).
        #[arg(long)]
        token_a: String,
        /// The other token (symbol).
        #[arg(long)]
        token_b: String,
        /// Fee in basis points (30 = 0.30%, at most 1000).
        #[arg(long, default_value_t = 30)]
        fee_bps: u16,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Deposit both tokens at the pool's ratio (amounts are maxima; minima from --slippage-bps).
    Add {
        #[command(flatten)]
        signer: SignerArgs,
        /// Pool id (see `verity pool list`).
        #[arg(long)]
        pool: u32,
        /// Most token0 to deposit (decimal units).
        #[arg(long)]
        amount0: String,
        /// Most token1 to deposit (decimal units).
        #[arg(long)]
        amount1: String,
        #[command(flatten)]
        trade: TradeOpts,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Burn LP shares for both tokens.
    Remove {
        #[command(flatten)]
        signer: SignerArgs,
        /// Pool id.
        #[arg(long)]
        pool: u32,
        /// LP shares to burn, base units.
        #[arg(long)]
        liquidity: u128,
        #[command(flatten)]
        trade: TradeOpts,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// List every pool.
    List,
}

/// `verity quote`: the router's best route/split.
#[derive(Args, Debug)]
pub struct QuoteArgs {
    /// Token sold (symbol).
    #[arg(long)]
    pub sell: String,
    /// Token bought (symbol).
    #[arg(long)]
    pub buy: String,
    /// Amount sold (decimal units).
    #[arg(long)]
    pub amount: String,
}

/// `verity swap`: sell along the router's best route (or an explicit `--path`).
#[derive(Args, Debug)]
pub struct SwapArgs {
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Token sold (symbol).
    #[arg(long)]
    pub sell: String,
    /// Token bought (symbol).
    #[arg(long)]
    pub buy: String,
    /// Amount sold (decimal units).
    #[arg(long)]
    pub amount: String,
    /// Swap exact-in along this path of symbols (`VTY,AID,USDC`) instead of the router.
    #[arg(long, value_delimiter = ',')]
    pub path: Vec<String>,
    #[command(flatten)]
    pub trade: TradeOpts,
    #[command(flatten)]
    pub opts: SendOpts,
}

fn quote_of(
    client: &ApiClient,
    sell: &str,
    buy: &str,
    amount: &str,
) -> anyhow::Result<(QuoteResponse, u8, u8)> {
    let s = chain::token_by_symbol(client, sell)?;
    let b = chain::token_by_symbol(client, buy)?;
    let units = parse_amount(amount, s.info.decimals)?;
    let q = client
        .quote(&s.info.symbol, &b.info.symbol, units)
        .context("the node could not quote this swap")?;
    Ok((q, s.info.decimals, b.info.decimals))
}

fn quote_text(q: &QuoteResponse, d_in: u8, d_out: u8) -> String {
    let mut out = format!(
        "{} {} -> {} {} via {} route(s) (height {})",
        format_amount(q.quote.amount_in, d_in),
        q.from_symbol,
        format_amount(q.quote.total_out, d_out),
        q.to_symbol,
        q.quote.routes.len(),
        q.height
    );
    for r in &q.quote.routes {
        let path: Vec<String> = r.path.iter().map(|t| t.0.to_string()).collect();
        out += &format!(
            "\n  {} in -> {} out, tokens [{}], pools {:?}",
            format_amount(r.amount_in, d_in),
            format_amount(r.amount_out, d_out),
            path.join(" > "),
            r.pools
        );
    }
    out
}

/// Run `verity quote`.
pub fn run_quote(ctx: &Ctx, a: QuoteArgs) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    let (q, d_in, d_out) = quote_of(&client, &a.sell, &a.buy, &a.amount)?;
    let text = quote_text(&q, d_in, d_out);
    ctx.emit(serde_json::to_value(&q)?, || text)
}

/// Run `verity swap`.
pub fn run_swap(ctx: &Ctx, a: SwapArgs) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    let ks = Keystore::new(ctx.keystore_dir());
    let deadline = a.trade.deadline()?;
    let payload = if a.path.is_empty() {
        let (q, _, _) = quote_of(&client, &a.sell, &a.buy, &a.amount)?;
        Payload::SwapRouted {
            from: q.quote.from,
            to: q.quote.to,
            amount_in: q.quote.amount_in,
            min_out: a.trade.min_of(q.quote.total_out)?,
            deadline,
        }
    } else {
        let mut path = Vec::new();
        for s in &a.path {
            path.push(chain::token_by_symbol(&client, s)?);
        }
        if !path
            .first()
            .is_some_and(|t| t.info.symbol.eq_ignore_ascii_case(&a.sell))
            || !path
                .last()
                .is_some_and(|t| t.info.symbol.eq_ignore_ascii_case(&a.buy))
        {
            anyhow::bail!("--path must start with --sell and end with --buy");
        }
        let first = path.first().context("empty --path")?;
        let amount_in = parse_amount(&a.amount, first.info.decimals)?;
        // Min out from the direct quote of the exact path, computed locally from pool reserves.
        let pools = client.pools()?.pools;
        let mut out = amount_in;
        for w in path.windows(2) {
            let p = pools
                .iter()
                .find(|p| {
                    (p.pool.token0 == w[0].id && p.pool.token1 == w[1].id)
                        || (p.pool.token0 == w[1].id && p.pool.token1 == w[0].id)
                })
                .with_context(|| {
                    format!("no pool for {} and {}", w[0].info.symbol, w[1].info.symbol)
                })?;
            let (ri, ro) = if p.pool.token0 == w[0].id {
                (p.pool.reserve0, p.pool.reserve1)
            } else {
                (p.pool.reserve1, p.pool.reserve0)
            };
            out = verity_ledger::amm::get_amount_out(out, ri, ro, p.pool.fee_bps)?;
        }
        Payload::SwapExactIn {
            path: path.iter().map(|t| t.id).collect::<Vec<TokenId>>(),
            amount_in,
            min_out: a.trade.min_of(out)?,
            deadline,
        }
    };
    let key = a.signer.load(&ks)?;
    let sent = chain::sign_and_send(&client, &key, payload, &a.opts)?;
    super::send::report(ctx, &sent)
}

/// Run `verity pool …`.
pub fn run_pool(ctx: &Ctx, cmd: PoolCmd) -> anyhow::Result<()> {
    let client = chain::client(ctx);
    let ks = Keystore::new(ctx.keystore_dir());
    let (signer, payload, opts) = match cmd {
        PoolCmd::List => {
            let r = client.pools()?;
            let mut text = format!("{} pool(s) at height {}", r.pools.len(), r.height);
            for p in &r.pools {
                text += &format!(
                    "\n  #{} {}/{} fee {} bps reserves {} / {} LP supply {}",
                    p.pool.id,
                    p.symbol0,
                    p.symbol1,
                    p.pool.fee_bps,
                    p.pool.reserve0,
                    p.pool.reserve1,
                    p.pool.total_supply
                );
            }
            return ctx.emit(serde_json::to_value(&r)?, || text);
        }
        PoolCmd::Create {
            signer,
            token_a,
            token_b,
            fee_bps,
            opts,
        } => {
            let a = chain::token_by_symbol(&client, &token_a)?;
            let b = chain::token_by_symbol(&client, &token_b)?;
            (
                signer,
                Payload::CreatePool {
                    token_a: a.id,
                    token_b: b.id,
                    fee_bps,
                },
                opts,
            )
        }
        PoolCmd::Add {
            signer,
            pool,
            amount0,
            amount1,
            trade,
            opts,
        } => {
            let p = client.pool(pool)?;
            let t0 = chain::token_by_symbol(&client, &p.symbol0)?;
            let t1 = chain::token_by_symbol(&client, &p.symbol1)?;
            let a = parse_amount(&amount0, t0.info.decimals)?;
            let b = parse_amount(&amount1, t1.info.decimals)?;
            // Minima: the amounts the pool's ratio would take, less the slippage allowance.
            let (ea, eb) = if p.pool.reserve0 == 0 || p.pool.reserve1 == 0 {
                (a, b)
            } else {
                let b_opt = verity_ledger::amm::math::quote(a, p.pool.reserve0, p.pool.reserve1)?;
                if b_opt <= b {
                    (a, b_opt)
                } else {
                    (
                        verity_ledger::amm::math::quote(b, p.pool.reserve1, p.pool.reserve0)?,
                        b,
                    )
                }
            };
            (
                signer,
                Payload::AddLiquidity {
                    pool,
                    amount_a_desired: a,
                    amount_b_desired: b,
                    amount_a_min: trade.min_of(ea)?,
                    amount_b_min: trade.min_of(eb)?,
                    deadline: trade.deadline()?,
                },
                opts,
            )
        }
        PoolCmd::Remove {
            signer,
            pool,
            liquidity,
            trade,
            opts,
        } => {
            let p = client.pool(pool)?;
            let share = |r: u128| {
                verity_primitives::math::mul_div(
                    liquidity,
                    r,
                    p.pool.total_supply.max(1),
                    verity_primitives::math::Rounding::Down,
                )
            };
            (
                signer,
                Payload::RemoveLiquidity {
                    pool,
                    liquidity,
                    amount_a_min: trade.min_of(share(p.pool.reserve0)?)?,
                    amount_b_min: trade.min_of(share(p.pool.reserve1)?)?,
                    deadline: trade.deadline()?,
                },
                opts,
            )
        }
    };
    let key = signer.load(&ks)?;
    let sent = chain::sign_and_send(&client, &key, payload, &opts)?;
    super::send::report(ctx, &sent)
}
