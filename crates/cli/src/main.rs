//! `verity`: the one binary users run. Each subcommand lives in its own module under `cmd/`;
//! this file only parses arguments and dispatches. Commands print for people by default and one
//! JSON object with `--json`.

mod cmd;

use clap::{Parser, Subcommand};

/// Verity: verifiable compute that turns into savings.
#[derive(Parser)]
#[command(name = "verity", version, about, propagate_version = true)]
struct Cli {
    /// Print one JSON object instead of human-readable text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<()> = match cli.command {};
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            cmd::print_error(&err, cli.json);
            std::process::ExitCode::FAILURE
        }
    }
}
