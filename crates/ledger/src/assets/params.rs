//! The genesis `[assets]` section: [`AssetParams`] with their bounds (the same bounds
//! governance enforces, see [`super::gov`]), stored in state before the first block.
//!
//! ```toml
//! [assets]                    # every field optional; absent = AssetParams::DEFAULT
//! min_attesters = 1           # 1..=32 staked validators confirm a claim (M of N)
//! attest_slash_bps = 1000     # 0..=10000: stake share slashed per false attester
//! challenge_reward_bps = 5000 # 0..=10000: share of each slash paid to the challenger
//! vault_manager = "0x…"       # optional: may approve financing deals besides governance
//! ```

use super::{AssetParams, attest::MAX_ATTESTERS, put_params};
use crate::error::LedgerError;
use crate::state::Exec;

impl Default for AssetParams {
    fn default() -> Self {
        AssetParams::DEFAULT
    }
}

impl AssetParams {
    /// Check the bounds; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.min_attesters == 0 || self.min_attesters as usize > MAX_ATTESTERS {
            return Err(format!(
                "assets.min_attesters {} must be in 1..={MAX_ATTESTERS}",
                self.min_attesters
            ));
        }
        for (name, v) in [
            ("attest_slash_bps", self.attest_slash_bps),
            ("challenge_reward_bps", self.challenge_reward_bps),
        ] {
            if v > 10_000 {
                return Err(format!("assets.{name} {v} is above 10000 bps"));
            }
        }
        if self.vault_manager == Some(verity_primitives::Address::ZERO) {
            return Err(
                "assets.vault_manager must not be the zero address (omit it for none)".into(),
            );
        }
        Ok(())
    }
}

/// Genesis: validate and store the `[assets]` section.
pub(crate) fn init_genesis(ex: &mut Exec<'_>, p: &AssetParams) -> Result<(), LedgerError> {
    p.validate().map_err(LedgerError::Genesis)?;
    put_params(ex, p);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_name_the_field() {
        assert!(AssetParams::DEFAULT.validate().is_ok());
        let bad = |p: AssetParams, field: &str| {
            let e = p.validate().expect_err("out of bounds");
            assert!(e.contains(field), "{e}");
        };
        let d = AssetParams::DEFAULT;
        bad(
            AssetParams {
                min_attesters: 0,
                ..d
            },
            "min_attesters",
        );
        bad(
            AssetParams {
                min_attesters: 33,
                ..d
            },
            "min_attesters",
        );
        bad(
            AssetParams {
                attest_slash_bps: 10_001,
                ..d
            },
            "attest_slash_bps",
        );
        bad(
            AssetParams {
                challenge_reward_bps: 10_001,
                ..d
            },
            "challenge_reward_bps",
        );
        bad(
            AssetParams {
                vault_manager: Some(verity_primitives::Address::ZERO),
                ..d
            },
            "vault_manager",
        );
    }

    const BASE: &str =
        "chain_id = 5\ngenesis_time = 0\n[[tokens]]\nsymbol = \"VTY\"\ndecimals = 18\n";

    #[test]
    fn genesis_sections_round_trip_and_reach_the_state() {
        use crate::genesis::Genesis;
        let text = format!(
            "{BASE}[assets]\nmin_attesters = 3\nattest_slash_bps = 250\nvault_manager = \"0x{}\"\n\
             [green]\nepoch_ms = 60000\n[capacity]\nstake_per_gpu_hour = \"7\"\n",
            "ab".repeat(20)
        );
        let g = Genesis::from_toml_str(&text).expect("valid genesis");
        let a = g.assets.expect("[assets] read");
        assert_eq!(a.min_attesters, 3);
        assert_eq!(a.attest_slash_bps, 250);
        assert_eq!(
            a.challenge_reward_bps,
            AssetParams::DEFAULT.challenge_reward_bps
        );
        assert_eq!(
            a.vault_manager,
            Some(verity_primitives::Address([0xab; 20]))
        );
        let gr = g.green.expect("[green] read");
        assert_eq!(gr.epoch_ms, 60_000);
        assert_eq!(
            gr.max_unbound_power_mw,
            crate::green::GreenParams::DEFAULT.max_unbound_power_mw
        );
        let c = g.capacity.expect("[capacity] read");
        assert_eq!(c.stake_per_gpu_hour, 7);
        assert_eq!(
            c.max_horizon_ms,
            crate::capacity::CapacityParams::DEFAULT.max_horizon_ms
        );
        let back = Genesis::from_toml_str(&g.to_toml_string()).expect("round trip parses");
        assert_eq!(back, g);
        let state = crate::State::from_genesis(&g).expect("builds");
        assert_eq!(super::super::params(&state).expect("reads"), a);
        assert_eq!(crate::green::params(&state).expect("reads"), gr);
        assert_eq!(crate::capacity::params(&state).expect("reads"), c);
        // The dev genesis: M = 1 with its one validator, who manages the vault.
        let dev = Genesis::dev(&[verity_primitives::Address([9; 20])]);
        let back = Genesis::from_toml_str(&dev.to_toml_string()).expect("dev round trip");
        assert_eq!(back, dev);
        let st = crate::State::from_genesis(&dev).expect("dev builds");
        let p = super::super::params(&st).expect("reads");
        assert_eq!(p.min_attesters, 1);
        assert_eq!(p.vault_manager, Some(verity_primitives::Address([9; 20])));
        // `verity devnet` adds the ENERGY feed (crate::green::dev_energy_feed) to it.
        let mut with_energy = dev.clone();
        with_energy.oracle.push(crate::green::dev_energy_feed());
        let st = crate::State::from_genesis(&with_energy).expect("dev + ENERGY builds");
        assert!(crate::oracle::feed(&st, crate::green::ENERGY_FEED).is_ok());
    }

    #[test]
    fn bad_genesis_sections_are_refused_naming_the_field() {
        use crate::genesis::Genesis;
        for (section, field) in [
            ("[assets]\nmin_attesters = 0\n", "assets.min_attesters"),
            (
                "[assets]\nattest_slash_bps = 20000\n",
                "assets.attest_slash_bps",
            ),
            (
                "[assets]\nchallenge_reward_bps = 10001\n",
                "assets.challenge_reward_bps",
            ),
            ("[assets]\ncolour = 1\n", "colour"),
            ("[green]\nepoch_ms = 5\n", "green.epoch_ms"),
            (
                "[green]\nmax_unbound_power_mw = 0\n",
                "green.max_unbound_power_mw",
            ),
            (
                "[capacity]\nstake_per_gpu_hour = \"0\"\n",
                "capacity.stake_per_gpu_hour",
            ),
            (
                "[capacity]\nmax_horizon_ms = 10\n",
                "capacity.max_horizon_ms",
            ),
        ] {
            let e = Genesis::from_toml_str(&format!("{BASE}{section}")).expect_err("out of bounds");
            assert!(e.to_string().contains(field), "{section}: {e}");
        }
    }
}
