//! `verity data list` and `verity data export NAME --out FILE`: the built-in real data sets
//! (wine-quality and iris, shipped by the `linfa-datasets` crate) as CSV files a job can use.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use verity_ree::data::builtin;

use crate::cmd::Ctx;

/// Built-in data sets.
#[derive(Debug, Subcommand)]
pub enum DataCmd {
    /// List the built-in data sets.
    List,
    /// Write a built-in data set as CSV (header row, target column last).
    Export {
        /// Data set name (`verity data list`).
        name: String,
        /// File to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Run a `data` subcommand.
pub fn run(ctx: &Ctx, cmd: DataCmd) -> anyhow::Result<()> {
    match cmd {
        DataCmd::List => {
            if ctx.json {
                let sets: Vec<serde_json::Value> = builtin::BUILTINS
                    .iter()
                    .map(|b| {
                        serde_json::json!({
                            "name": b.name,
                            "target": b.target,
                            "description": b.description,
                        })
                    })
                    .collect();
                println!("{}", serde_json::json!({ "datasets": sets }));
            } else {
                for b in builtin::BUILTINS {
                    println!("{:<12} target `{}`: {}", b.name, b.target, b.description);
                }
            }
        }
        DataCmd::Export { name, out } => {
            let exported = builtin::export(&name)?;
            std::fs::write(&out, &exported.csv)
                .with_context(|| format!("cannot write {}", out.display()))?;
            let hash = blake3::hash(exported.csv.as_bytes()).to_hex().to_string();
            let target = builtin::find(&name)?.target;
            if ctx.json {
                println!(
                    "{}",
                    serde_json::json!({
                        "name": name,
                        "out": out.display().to_string(),
                        "rows": exported.rows,
                        "cols": exported.cols,
                        "target": target,
                        "blake3": hash,
                    })
                );
            } else {
                println!(
                    "wrote {}: {} rows, {} columns (target `{}`), blake3 {}",
                    out.display(),
                    exported.rows,
                    exported.cols,
                    target,
                    hash
                );
            }
        }
    }
    Ok(())
}
