//! `verity vault deposit|mint|request-withdraw|claim|show` (sAID), `verity vesting show|claim`,
//! `verity gov lock|add|extend|withdraw|propose|vote|execute|show` (vote escrow and
//! parameter proposals), `verity savings set|show` (auto-savings policy), `verity buyback`
//! and the offline `verity calc ve-power`. Every command honours `--json`.

use clap::Subcommand;
use serde_json::json;
use verity_ledger::Payload;
use verity_ledger::governance::ve::{MAXTIME, WEEK, slope_of};

use super::Ctx;
use super::amount::{format_amount, parse_amount};
use super::chain::{self, SendOpts};
use super::signer::SignerArgs;

/// Subcommands of `verity vault`.
#[derive(Subcommand, Debug)]
pub enum VaultCmd {
    /// Deposit AID, receive sAID (rounded down).
    Deposit {
        #[command(flatten)]
        signer: SignerArgs,
        /// Decimal AID, e.g. 100.
        #[arg(long)]
        amount: String,
        /// Least sAID to accept (decimal); default 0.
        #[arg(long, default_value = "0")]
        min_shares: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Request an exit: lock sAID now, claim AID after the cooldown. Give --amount (AID) or
    /// --shares (sAID).
    RequestWithdraw {
        #[command(flatten)]
        signer: SignerArgs,
        /// Decimal AID to withdraw (locks the shares worth it, rounded up).
        #[arg(long, conflicts_with = "shares", required_unless_present = "shares")]
        amount: Option<String>,
        /// Decimal sAID to redeem.
        #[arg(long)]
        shares: Option<String>,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Claim every exit request whose cooldown is over.
    Claim {
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Show the vault (`GET /v1/vault`) and, with an address, a position.
    Show {
        /// Address or key name.
        address: Option<String>,
    },
}

/// Subcommands of `verity vesting`.
#[derive(Subcommand, Debug)]
pub enum VestingCmd {
    /// Show an address's schedules with vested and claimable amounts.
    Show {
        /// Address or key name.
        address: String,
    },
    /// Release everything vested to the signer.
    Claim {
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        opts: SendOpts,
    },
}

/// Subcommands of `verity gov`.
#[derive(Subcommand, Debug)]
pub enum GovCmd {
    /// Lock VTY for ve power until now + DAYS (rounded down to a week; at most 4 years).
    Lock {
        #[command(flatten)]
        signer: SignerArgs,
        /// Decimal VTY.
        #[arg(long)]
        amount: String,
        /// Lock length in days.
        #[arg(long)]
        days: u64,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Add VTY to an unexpired lock.
    Add {
        #[command(flatten)]
        signer: SignerArgs,
        /// Decimal VTY.
        #[arg(long)]
        amount: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Extend an unexpired lock to now + DAYS.
    Extend {
        #[command(flatten)]
        signer: SignerArgs,
        /// New lock length from now, in days.
        #[arg(long)]
        days: u64,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Withdraw an expired lock.
    Withdraw {
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Propose setting a governable parameter (see `verity gov show` for the list).
    Propose {
        #[command(flatten)]
        signer: SignerArgs,
        /// Parameter name, e.g. vault_cooldown_ms.
        #[arg(long)]
        param: String,
        /// New value (decimal integer).
        #[arg(long)]
        value: String,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Vote on a proposal with your ve power at its snapshot.
    Vote {
        #[command(flatten)]
        signer: SignerArgs,
        /// Proposal id.
        #[arg(long)]
        proposal: u64,
        /// Vote against (default: for).
        #[arg(long)]
        against: bool,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Apply a passed proposal after its timelock (anyone).
    Execute {
        #[command(flatten)]
        signer: SignerArgs,
        /// Proposal id.
        #[arg(long)]
        proposal: u64,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Show governance (`GET /v1/gov`) and, with an address, its lock and power.
    Show {
        /// Address or key name.
        address: Option<String>,
    },
}

/// Subcommands of `verity savings`.
#[derive(Subcommand, Debug)]
pub enum SavingsCmd {
    /// Set the signer's auto-savings policy (`--share-bps 0` removes it).
    Set {
        #[command(flatten)]
        signer: SignerArgs,
        /// Token to save into, e.g. TBILL.
        #[arg(long, default_value = "TBILL")]
        target: String,
        /// Share of each payment to convert, bps (5000 = half).
        #[arg(long)]
        share_bps: u32,
        /// Most slippage below the ideal output, bps.
        #[arg(long, default_value_t = 100)]
        max_slippage_bps: u32,
        /// Convert only once this much (base units of the received token) is pending.
        #[arg(long, default_value_t = 0)]
        min_batch: u128,
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Show an account's policy and waiting dust.
    Show {
        /// Address or key name.
        address: String,
    },
}

/// Arguments of `verity buyback`.
#[derive(clap::Args, Debug)]
pub struct BuybackArgs {
    #[command(flatten)]
    signer: SignerArgs,
    /// Fee token to sell for VTY, e.g. USDC.
    #[arg(long)]
    token: String,
    #[command(flatten)]
    opts: SendOpts,
}

fn send(ctx: &Ctx, signer: &SignerArgs, payload: Payload, opts: &SendOpts) -> anyhow::Result<()> {
    super::send::sign_send_report(ctx, signer, payload, opts)
}

fn decimals_of(ctx: &Ctx, symbol: &str) -> anyhow::Result<(verity_primitives::TokenId, u8)> {
    let t = chain::token_by_symbol(&chain::client(ctx), symbol)?;
    Ok((t.id, t.info.decimals))
}

/// Unix seconds now, from the node's latest block (the ledger's only clock).
fn chain_now_s(ctx: &Ctx) -> anyhow::Result<u64> {
    let st = chain::client(ctx).status()?;
    Ok(st.timestamp / 1000)
}

/// Run `verity vault …`.
pub fn run_vault(ctx: &Ctx, cmd: VaultCmd) -> anyhow::Result<()> {
    match cmd {
        VaultCmd::Deposit {
            signer,
            amount,
            min_shares,
            opts,
        } => {
            let (_, d) = decimals_of(ctx, "AID")?;
            let (_, sd) = decimals_of(ctx, "sAID")?;
            let payload = Payload::VaultDeposit {
                assets: parse_amount(&amount, d)?,
                min_shares: parse_amount(&min_shares, sd)?,
            };
            send(ctx, &signer, payload, &opts)
        }
        VaultCmd::RequestWithdraw {
            signer,
            amount,
            shares,
            opts,
        } => {
            let payload = match (amount, shares) {
                (Some(a), _) => Payload::VaultRequestWithdraw {
                    assets: parse_amount(&a, decimals_of(ctx, "AID")?.1)?,
                },
                (None, Some(s)) => Payload::VaultRequestRedeem {
                    shares: parse_amount(&s, decimals_of(ctx, "sAID")?.1)?,
                },
                (None, None) => anyhow::bail!("give --amount (AID) or --shares (sAID)"),
            };
            send(ctx, &signer, payload, &opts)
        }
        VaultCmd::Claim { signer, opts } => send(ctx, &signer, Payload::VaultClaim, &opts),
        VaultCmd::Show { address } => {
            let client = chain::client(ctx);
            let v = client.vault()?;
            let pos = match address {
                Some(a) => Some(client.vault_position(&chain::resolve_address(ctx, &a)?)?),
                None => None,
            };
            let value = json!({ "vault": v, "position": pos });
            ctx.emit(value, || {
                let mut s = format!(
                    "sAID vault: total assets {} AID (idle {}, deployed {}, accrued {})\n\
                     supply {} sAID, 1 sAID = {} AID, cooldown {} h, losses {}",
                    format_amount(v.total_assets, 18),
                    format_amount(v.idle, 18),
                    format_amount(v.deployed, 18),
                    format_amount(v.accrued, 18),
                    format_amount(v.total_supply, v.share_decimals),
                    format_amount(v.share_price, 18),
                    v.cooldown_ms / 3_600_000,
                    format_amount(v.losses, 18),
                );
                if let Some(p) = &pos {
                    s.push_str(&format!(
                        "\n{}: {} sAID worth {} AID; {} pending exit(s)",
                        p.owner,
                        format_amount(p.shares, v.share_decimals),
                        format_amount(p.assets, 18),
                        p.requests.len()
                    ));
                    for r in &p.requests {
                        s.push_str(&format!(
                            "\n  #{}: {} sAID, at most {} AID, claimable at {} ms",
                            r.id,
                            format_amount(r.shares, v.share_decimals),
                            format_amount(r.assets, 18),
                            r.ready_at.0
                        ));
                    }
                }
                s
            })
        }
    }
}

/// Run `verity vesting …`.
pub fn run_vesting(ctx: &Ctx, cmd: VestingCmd) -> anyhow::Result<()> {
    match cmd {
        VestingCmd::Claim { signer, opts } => send(ctx, &signer, Payload::ClaimVested, &opts),
        VestingCmd::Show { address } => {
            let a = chain::resolve_address(ctx, &address)?;
            let v = chain::client(ctx).vesting(&a)?;
            let value = serde_json::to_value(&v)?;
            ctx.emit(value, || {
                if v.schedules.is_empty() {
                    return format!("{a}: no vesting schedule");
                }
                let mut s = format!("{a}:");
                for x in &v.schedules {
                    s.push_str(&format!(
                        "\n  {} (token {}): total {}, vested {}, claimed {}, claimable {}",
                        x.schedule.label,
                        x.schedule.token,
                        format_amount(x.schedule.total, 18),
                        format_amount(x.vested, 18),
                        format_amount(x.schedule.claimed, 18),
                        format_amount(x.claimable, 18),
                    ));
                }
                s
            })
        }
    }
}

/// Run `verity gov …`.
pub fn run_gov(ctx: &Ctx, cmd: GovCmd) -> anyhow::Result<()> {
    match cmd {
        GovCmd::Lock {
            signer,
            amount,
            days,
            opts,
        } => {
            let unlock_time = chain_now_s(ctx)?.saturating_add(days.saturating_mul(86_400));
            let payload = Payload::CreateLock {
                amount: parse_amount(&amount, decimals_of(ctx, "VTY")?.1)?,
                unlock_time,
            };
            send(ctx, &signer, payload, &opts)
        }
        GovCmd::Add {
            signer,
            amount,
            opts,
        } => {
            let payload = Payload::IncreaseAmount {
                amount: parse_amount(&amount, decimals_of(ctx, "VTY")?.1)?,
            };
            send(ctx, &signer, payload, &opts)
        }
        GovCmd::Extend { signer, days, opts } => {
            let unlock_time = chain_now_s(ctx)?.saturating_add(days.saturating_mul(86_400));
            send(
                ctx,
                &signer,
                Payload::IncreaseUnlockTime { unlock_time },
                &opts,
            )
        }
        GovCmd::Withdraw { signer, opts } => send(ctx, &signer, Payload::WithdrawLock, &opts),
        GovCmd::Propose {
            signer,
            param,
            value,
            opts,
        } => send(ctx, &signer, Payload::Propose { param, value }, &opts),
        GovCmd::Vote {
            signer,
            proposal,
            against,
            opts,
        } => send(
            ctx,
            &signer,
            Payload::Vote {
                proposal,
                support: !against,
            },
            &opts,
        ),
        GovCmd::Execute {
            signer,
            proposal,
            opts,
        } => send(ctx, &signer, Payload::ExecuteProposal { proposal }, &opts),
        GovCmd::Show { address } => {
            let client = chain::client(ctx);
            let g = client.gov()?;
            let acct = match address {
                Some(a) => Some(client.gov_account(&chain::resolve_address(ctx, &a)?)?),
                None => None,
            };
            let value = json!({ "gov": g, "account": acct });
            ctx.emit(value, || {
                let mut s = format!(
                    "ve power {} (locked {} VTY); quorum {} bps, voting {} h, timelock {} h\n\
                     governable: {}",
                    format_amount(g.total_power, 18),
                    format_amount(g.total_locked, 18),
                    g.config.quorum_bps,
                    g.config.voting_period_ms / 3_600_000,
                    g.config.timelock_ms / 3_600_000,
                    g.params.join(", ")
                );
                for p in &g.proposals {
                    s.push_str(&format!(
                        "\n  #{} {} = {} [{}] yes {} no {} quorum {}",
                        p.proposal.id,
                        p.proposal.param,
                        p.proposal.value,
                        p.status,
                        format_amount(p.proposal.yes, 18),
                        format_amount(p.proposal.no, 18),
                        format_amount(p.proposal.quorum, 18),
                    ));
                }
                if let Some(a) = &acct {
                    s.push_str(&format!(
                        "\n{}: locked {} VTY until {} s, power {}",
                        a.owner,
                        format_amount(a.lock.amount, 18),
                        a.lock.end,
                        format_amount(a.power, 18)
                    ));
                }
                s
            })
        }
    }
}

/// Run `verity savings …`.
pub fn run_savings(ctx: &Ctx, cmd: SavingsCmd) -> anyhow::Result<()> {
    match cmd {
        SavingsCmd::Set {
            signer,
            target,
            share_bps,
            max_slippage_bps,
            min_batch,
            opts,
        } => {
            let (target_token, _) = decimals_of(ctx, &target)?;
            let payload = Payload::SetSavingsPolicy {
                target_token,
                share_bps,
                max_slippage_bps,
                min_batch,
            };
            send(ctx, &signer, payload, &opts)
        }
        SavingsCmd::Show { address } => {
            let a = chain::resolve_address(ctx, &address)?;
            let v = chain::client(ctx).savings(&a)?;
            let value = serde_json::to_value(&v)?;
            ctx.emit(value, || match &v.policy {
                None => format!("{a}: no auto-savings policy"),
                Some(p) => {
                    let mut s = format!(
                        "{a}: save {} bps of each payment into token {} (max slippage {} bps, \
                         min batch {})",
                        p.share_bps, p.target, p.max_slippage_bps, p.min_batch
                    );
                    for d in &p.dust {
                        s.push_str(&format!("\n  waiting: {} of token {}", d.amount, d.token));
                    }
                    s
                }
            })
        }
    }
}

/// Run `verity buyback`.
pub fn run_buyback(ctx: &Ctx, a: BuybackArgs) -> anyhow::Result<()> {
    let (token, _) = decimals_of(ctx, &a.token)?;
    send(ctx, &a.signer, Payload::ExecuteBuyback { token }, &a.opts)
}

/// `verity calc ve-power`: Curve's power of a lock of AMOUNT VTY for DAYS, starting on a week
/// boundary (offline): unlock rounded down to whole weeks, at most 4 years;
/// `slope = amount / MAXTIME` (floor), `power = slope × lock seconds`.
pub fn calc_ve_power(ctx: &Ctx, amount: &str, lock_days: u64) -> anyhow::Result<()> {
    let units = parse_amount(amount, 18)?;
    let asked = lock_days.saturating_mul(86_400);
    if asked > MAXTIME {
        anyhow::bail!("--lock-days {lock_days} is more than 4 years (1460 days)");
    }
    let lock_s = asked / WEEK * WEEK;
    let slope = slope_of(units);
    let power = slope.saturating_mul(u128::from(lock_s));
    ctx.emit(
        json!({
            "amount": units.to_string(),
            "lock_days": lock_days,
            "lock_seconds": lock_s,
            "weeks": lock_s / WEEK,
            "slope": slope.to_string(),
            "power": power.to_string(),
            "power_vty": format_amount(power, 18),
            "max_time_seconds": MAXTIME,
        }),
        || {
            format!(
                "ve power {} (slope {} per second × {} s = {} whole weeks); decays linearly to 0 at unlock",
                format_amount(power, 18),
                slope,
                lock_s,
                lock_s / WEEK
            )
        },
    )
}
