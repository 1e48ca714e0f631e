//! The capacity parameters' bounds, where they live in state (`0x80 'c'`, JSON) and how they
//! get there: the genesis `[capacity]` section (every field optional; absent =
//! [`CapacityParams::DEFAULT`]).

use super::{CapacityParams, PREFIX, SLOT_MS};
use crate::error::LedgerError;
use crate::state::{Exec, Store};

impl Default for CapacityParams {
    fn default() -> Self {
        CapacityParams::DEFAULT
    }
}

impl CapacityParams {
    /// Check the bounds; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.stake_per_gpu_hour == 0 {
            return Err("capacity.stake_per_gpu_hour must be positive".into());
        }
        if self.max_horizon_ms < SLOT_MS || self.max_horizon_ms > 3_650 * 24 * SLOT_MS {
            return Err(format!(
                "capacity.max_horizon_ms {} must be between one hour and ten years",
                self.max_horizon_ms
            ));
        }
        Ok(())
    }
}

const PARAMS_KEY: &[u8] = &[PREFIX, b'c'];

/// The parameters in force.
pub fn params(s: &impl Store) -> Result<CapacityParams, LedgerError> {
    crate::assets::get_json(s, PARAMS_KEY, "capacity params")
        .map(|p| p.unwrap_or(CapacityParams::DEFAULT))
}

/// Genesis: validate and store the `[capacity]` section.
pub(crate) fn init_genesis(ex: &mut Exec<'_>, p: &CapacityParams) -> Result<(), LedgerError> {
    p.validate().map_err(LedgerError::Genesis)?;
    crate::assets::put_json(ex, PARAMS_KEY, p);
    Ok(())
}
