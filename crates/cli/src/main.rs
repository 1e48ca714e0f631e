//! `verity`: the one binary users run. Each subcommand lives in its own module under `cmd/`;
//! this file only parses arguments and dispatches. Commands print for people by default and one
//! JSON object with `--json`.

mod cmd;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Verity: verifiable compute that turns into savings.
#[derive(Parser)]
#[command(name = "verity", version, about, propagate_version = true)]
struct Cli {
    /// Print one JSON object instead of human-readable text.
    #[arg(long, global = true)]
    json: bool,
    /// The node's HTTP API.
    #[arg(
        long,
        global = true,
        env = "VERITY_NODE",
        default_value = "http://127.0.0.1:8645"
    )]
    node: String,
    /// Keystore directory (default $VERITY_HOME/keystore or ~/.verity/keystore).
    #[arg(long, global = true, value_name = "DIR")]
    keystore: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run ML jobs locally on the reproducible execution engine.
    #[command(subcommand)]
    Job(cmd::job::JobCmd),
    /// Built-in data sets (list, export as CSV).
    #[command(subcommand)]
    Data(cmd::data::DataCmd),
    /// Manage local keys (Ethereum keystore v3 files).
    #[command(subcommand)]
    Keys(cmd::keys::KeysCmd),
    /// Run a node: `verity node --genesis FILE --data-dir DIR --http ADDR`.
    Node(cmd::node::NodeArgs),
    /// Run a one-node dev chain with funded dev accounts (resumes when started again).
    Devnet(cmd::devnet::DevnetArgs),
    /// Start N validators on loopback as child processes (issue 7): `verity testnet --validators 4`.
    Testnet(cmd::testnet::TestnetArgs),
    /// Show an account's balances.
    Balance(cmd::balance::BalanceArgs),
    /// Send tokens: `verity send --from KEY --to ADDR --amount 1.5 --token VTY`.
    Send(cmd::send::SendArgs),
    /// Bond, unbond or withdraw stake.
    #[command(subcommand)]
    Stake(cmd::stake::StakeCmd),
    /// Register a p2p key, show one, list an epoch's validators (issue 7).
    #[command(subcommand)]
    P2p(cmd::p2p::P2pCmd),
    /// Show a transaction's status and receipt.
    Tx(cmd::tx::TxArgs),
    /// Show the node's height, state root and chain id.
    Status,
    /// Fetch or verify balance proofs against a state root.
    #[command(subcommand)]
    Proof(cmd::proof::ProofCmd),
    /// Throughput benchmarks of the ledger and of a node.
    #[command(subcommand)]
    Bench(cmd::bench::BenchCmd),
    // --- amm + router (issue 5) ---
    /// Offline calculators (amm-out, amm-in, …).
    #[command(subcommand)]
    Calc(cmd::calc::CalcCommand),
    /// Create, fund, drain or list amm pools.
    #[command(subcommand)]
    Pool(cmd::market::PoolCmd),
    /// Swap along the router's best route (or an explicit path).
    Swap(cmd::market::SwapArgs),
    /// Quote the router's best route/split for a swap.
    Quote(cmd::market::QuoteArgs),
    // --- oracle, treasury, dollar (issue 5) ---
    /// The TBILL fund share: subscribe, redeem, NAV.
    #[command(subcommand)]
    Tbill(cmd::tbill::TbillCmd),
    /// AID, the synthetic dollar: mint, redeem, proof of reserves.
    #[command(subcommand)]
    Aid(cmd::aid::AidCmd),
    // --- assets, financing, green (issue 6) ---
    /// GPU assets: register, attest, challenge, bind, transfer, show, list.
    #[command(subcommand)]
    Asset(cmd::asset::AssetCmd),
    /// Vault financing of GPU assets: propose, approve, repay, default, show.
    #[command(subcommand)]
    Finance(cmd::finance::FinanceCmd),
    /// Energy and carbon: attest, require, report, show, index.
    #[command(subcommand)]
    Green(cmd::green::GreenCmd),
    /// GPU-hour capacity tokens: mint, redeem, expire, list, show, swap, pool.
    #[command(subcommand)]
    Capacity(cmd::capacity::CapacityCmd),
    /// Position NFTs (a job's revenue right): show, transfer.
    #[command(subcommand)]
    Position(cmd::position::PositionCmd),
    /// Oracle feeds: report (authorised reporters) and show.
    #[command(subcommand)]
    Oracle(cmd::tbill::OracleCmd),
    // --- vault, vesting, governance, savings, burn (issue 5) ---
    /// The sAID vault: deposit, request-withdraw, claim, show.
    #[command(subcommand)]
    Vault(cmd::economy::VaultCmd),
    /// Vesting schedules: show, claim.
    #[command(subcommand)]
    Vesting(cmd::economy::VestingCmd),
    /// Vote-escrow governance: lock, propose, vote, execute, show.
    #[command(subcommand)]
    Gov(cmd::economy::GovCmd),
    /// Auto-savings policy: set, show.
    #[command(subcommand)]
    Savings(cmd::economy::SavingsCmd),
    /// Buy back VTY with the protocol fees of one token, burn 70% (anyone).
    Buyback(cmd::economy::BuybackArgs),
    // --- marketplace (issue 4) ---
    /// Bisection disputes over committed jobs: show, list.
    #[command(subcommand)]
    Dispute(cmd::dispute::DisputeCmd),
    /// Run a provider agent (bid, run jobs, commit, answer disputes, settle).
    #[command(subcommand)]
    Provider(cmd::agents::ProviderCmd),
    /// Run a verifier agent (re-run sampled steps, attest or challenge).
    #[command(subcommand)]
    Verifier(cmd::agents::VerifierCmd),
    // --- reports and simulator (issue 8) ---
    /// Seeded economics simulation over the real ledger; writes a Markdown report and charts.
    Sim(cmd::sim::SimArgs),
    /// Reports with charts: `report savings --address ADDR --out FILE.png|.svg`.
    #[command(subcommand)]
    Report(cmd::report::ReportCmd),
    /// Direct, encrypted agent messages over the node's p2p network: send, recv, peers.
    #[command(subcommand)]
    Agent(cmd::agent::AgentCmd),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let ctx = cmd::Ctx {
        json: cli.json,
        node: cli.node.clone(),
        keystore: cli.keystore.clone(),
    };
    let result: anyhow::Result<()> = match cli.command {
        Command::Job(c) => cmd::job::run(&ctx, c),
        Command::Data(c) => cmd::data::run(&ctx, c),
        Command::Keys(c) => cmd::keys::run(&ctx, c),
        Command::Node(a) => cmd::node::run(&ctx, a),
        Command::Devnet(a) => cmd::devnet::run(&ctx, a),
        Command::Testnet(a) => cmd::testnet::run(&ctx, a), // issue 7
        Command::Balance(a) => cmd::balance::run(&ctx, a),
        Command::Send(a) => cmd::send::run(&ctx, a),
        Command::Stake(c) => cmd::stake::run(&ctx, c),
        Command::P2p(c) => cmd::p2p::run(&ctx, c), // issue 7
        Command::Tx(a) => cmd::tx::run(&ctx, a),
        Command::Status => cmd::status::run(&ctx),
        Command::Proof(c) => cmd::proof::run(&ctx, c),
        Command::Bench(c) => cmd::bench::run(&ctx, c),
        // --- amm + router (issue 5) ---
        Command::Calc(c) => cmd::calc::run(&ctx, c),
        Command::Pool(c) => cmd::market::run_pool(&ctx, c),
        Command::Swap(a) => cmd::market::run_swap(&ctx, a),
        Command::Quote(a) => cmd::market::run_quote(&ctx, a),
        // --- oracle, treasury, dollar (issue 5) ---
        Command::Tbill(c) => cmd::tbill::run(&ctx, c),
        Command::Aid(c) => cmd::aid::run(&ctx, c),
        Command::Asset(c) => cmd::asset::run(&ctx, c), // issue 6
        Command::Finance(c) => cmd::finance::run(&ctx, c), // issue 6
        Command::Green(c) => cmd::green::run(&ctx, c), // issue 6
        Command::Capacity(c) => cmd::capacity::run(&ctx, c), // issue 6
        Command::Position(c) => cmd::position::run(&ctx, c), // issue 6
        Command::Oracle(c) => cmd::tbill::run_oracle(&ctx, c),
        // --- vault, vesting, governance, savings, burn (issue 5) ---
        Command::Vault(c) => cmd::economy::run_vault(&ctx, c),
        Command::Vesting(c) => cmd::economy::run_vesting(&ctx, c),
        Command::Gov(c) => cmd::economy::run_gov(&ctx, c),
        Command::Savings(c) => cmd::economy::run_savings(&ctx, c),
        Command::Buyback(a) => cmd::economy::run_buyback(&ctx, a),
        // --- marketplace (issue 4) ---
        Command::Dispute(c) => cmd::dispute::run(&ctx, c),
        Command::Provider(c) => cmd::agents::run_provider(&ctx, c),
        Command::Verifier(c) => cmd::agents::run_verifier(&ctx, c),
        Command::Sim(a) => cmd::sim::run(&ctx, a), // issue 8
        Command::Report(c) => cmd::report::run(&ctx, c), // issue 8
        Command::Agent(c) => cmd::agent::run(&ctx, c), // issue 7
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            cmd::print_error(&err, cli.json);
            std::process::ExitCode::FAILURE
        }
    }
}
