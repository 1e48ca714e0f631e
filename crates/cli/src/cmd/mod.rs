//! Subcommands of `verity`, one module each, plus the shared context and output helpers.

pub mod agent; // issue 7: agent messaging
pub mod agents; // issue 4: provider/verifier start
pub mod aid; // issue 5: AID mint/redeem/proof
pub mod amount;
pub mod asset; // issue 6: GPU assets
pub mod balance;
pub mod bench;
pub mod bench_testnet; // issue 7: BFT testnet throughput and finality
pub mod calc; // shared calculators (issue 5: amm-out/amm-in; tbill, ve-power)
pub mod capacity; // issue 6: capacity tokens and their AMM
pub mod chain;
pub mod data;
pub mod devnet;
pub mod dispute; // issue 4: dispute show/list
pub mod economy; // issue 5: vault, vesting, gov, savings, buyback, calc ve-power
pub mod finance; // issue 6: vault financing of GPU assets
pub mod green; // issue 6: energy, carbon, green index
pub mod job;
pub mod keys;
pub mod keystore;
pub mod market; // issue 5: pool, swap, quote
pub mod node;
pub mod p2p; // issue 7: p2p key registration, validator sets
pub mod position; // issue 6: position NFTs
pub mod proof;
pub mod report; // issue 8: savings report
pub mod send;
pub mod signer;
pub mod sim; // issue 8: economics simulator
pub mod stake;
pub mod status;
pub mod tbill; // issue 5: TBILL fund and oracle
pub mod testnet; // issue 7: N local validators
pub mod tx;

use std::path::PathBuf;

/// What every command gets from the global flags.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Print one JSON object instead of human-readable text.
    pub json: bool,
    /// Base URL of the node's HTTP API.
    pub node: String,
    /// `--keystore DIR` if given.
    pub keystore: Option<PathBuf>,
}

impl Ctx {
    /// The keystore directory in effect.
    pub fn keystore_dir(&self) -> PathBuf {
        keys::resolve_dir(self.keystore.clone())
    }

    /// Print a result: `value` as one JSON line with `--json`, else the text `human` builds.
    pub fn emit(
        &self,
        value: serde_json::Value,
        human: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        if self.json {
            println!("{value}");
        } else {
            println!("{}", human());
        }
        Ok(())
    }
}

/// Print an error for a person (`error: …` with its causes, on stderr) or, with `--json`, as one
/// `{"error": "…"}` object on stdout, where scripts read every other result too.
pub fn print_error(err: &anyhow::Error, json: bool) {
    if json {
        let causes: Vec<String> = err.chain().skip(1).map(|c| c.to_string()).collect();
        let v = serde_json::json!({ "error": err.to_string(), "causes": causes });
        println!("{v}");
    } else {
        eprintln!("error: {err}");
        for cause in err.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
    }
}
