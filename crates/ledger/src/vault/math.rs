//! Pure ERC-4626 conversion math of the `vault` module (no state): `convertToShares`,
//! `convertToAssets`, the four previews and the `max*` limits, exactly as OpenZeppelin's
//! `ERC4626.sol` computes them with a virtual offset:
//!
//! - `shares = assets × (totalSupply + 10^offset) / (totalAssets + 1)`
//! - `assets = shares × (totalAssets + 1) / (totalSupply + 10^offset)`
//!
//! Rounding is as the standard prescribes, always in the vault's favour:
//! `previewDeposit` and `previewRedeem` round **down**, `previewMint` and `previewWithdraw`
//! round **up**. The virtual `10^offset` shares and 1 virtual asset make the first depositor's
//! donation ("inflation") attack a loss for the attacker (OpenZeppelin `_decimalsOffset`).

use verity_primitives::MathError;
use verity_primitives::math::{self, Rounding};

/// A snapshot of the vault's totals that all conversions are computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totals {
    /// Total assets (idle + deployed + accrued revenue), AID base units.
    pub assets: u128,
    /// Total share supply (including shares locked in pending exit requests).
    pub supply: u128,
    /// The decimals offset: `10^offset` virtual shares (and 1 virtual asset).
    pub offset: u8,
}

impl Totals {
    fn virtual_shares(&self) -> Result<u128, MathError> {
        10u128
            .checked_pow(u32::from(self.offset))
            .ok_or(MathError::Overflow)
    }

    fn supply_v(&self) -> Result<u128, MathError> {
        math::checked_add(self.supply, self.virtual_shares()?)
    }

    fn assets_v(&self) -> Result<u128, MathError> {
        math::checked_add(self.assets, 1)
    }

    /// `convertToShares` with an explicit rounding direction.
    pub fn to_shares(&self, assets: u128, r: Rounding) -> Result<u128, MathError> {
        math::mul_div(assets, self.supply_v()?, self.assets_v()?, r)
    }

    /// `convertToAssets` with an explicit rounding direction.
    pub fn to_assets(&self, shares: u128, r: Rounding) -> Result<u128, MathError> {
        math::mul_div(shares, self.assets_v()?, self.supply_v()?, r)
    }

    /// `previewDeposit`: shares minted for `assets` (rounded down).
    pub fn preview_deposit(&self, assets: u128) -> Result<u128, MathError> {
        self.to_shares(assets, Rounding::Down)
    }

    /// `previewMint`: assets required for `shares` (rounded up).
    pub fn preview_mint(&self, shares: u128) -> Result<u128, MathError> {
        self.to_assets(shares, Rounding::Up)
    }

    /// `previewWithdraw`: shares burned to get `assets` (rounded up).
    pub fn preview_withdraw(&self, assets: u128) -> Result<u128, MathError> {
        self.to_shares(assets, Rounding::Up)
    }

    /// `previewRedeem`: assets paid for `shares` (rounded down).
    pub fn preview_redeem(&self, shares: u128) -> Result<u128, MathError> {
        self.to_assets(shares, Rounding::Down)
    }

    /// `maxDeposit`: the largest deposit that cannot overflow total assets or the share supply
    /// (independent of anyone's balance, as the standard requires).
    pub fn max_deposit(&self) -> u128 {
        let by_assets = u128::MAX - self.assets;
        // shares = assets × Sv / Av ≤ room  ⇔  assets ≤ room × Av / Sv (floor keeps it safe)
        let room = u128::MAX - self.supply;
        let by_shares = match (self.supply_v(), self.assets_v()) {
            (Ok(sv), Ok(av)) => math::mul_div(room, av, sv, Rounding::Down).unwrap_or(u128::MAX),
            _ => 0,
        };
        by_assets.min(by_shares)
    }

    /// `maxMint`: the largest mint that cannot overflow the share supply or total assets.
    pub fn max_mint(&self) -> u128 {
        let by_shares = u128::MAX - self.supply;
        let room = u128::MAX - self.assets;
        let by_assets = match (self.supply_v(), self.assets_v()) {
            (Ok(sv), Ok(av)) => math::mul_div(room, sv, av, Rounding::Down).unwrap_or(u128::MAX),
            _ => 0,
        };
        by_shares.min(by_assets)
    }

    /// True when the share price of `self` is ≥ that of `before`, compared exactly:
    /// `(A'+1)/(S'+v) ≥ (A+1)/(S+v)`.
    pub fn price_not_below(&self, before: &Totals) -> Result<bool, MathError> {
        use alloy_primitives::U256;
        let lhs = U256::from(self.assets_v()?) * U256::from(before.supply_v()?);
        let rhs = U256::from(before.assets_v()?) * U256::from(self.supply_v()?);
        Ok(lhs >= rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const OFF: u8 = 6;

    fn t(assets: u128, supply: u128) -> Totals {
        Totals {
            assets,
            supply,
            offset: OFF,
        }
    }

    #[test]
    fn empty_vault_mints_virtual_ratio() {
        let v = t(0, 0);
        assert_eq!(v.preview_deposit(1), Ok(1_000_000));
        assert_eq!(v.preview_mint(1_000_000), Ok(1));
        assert_eq!(v.preview_mint(1), Ok(1)); // rounds up
        assert_eq!(v.preview_redeem(1), Ok(0)); // rounds down
        assert_eq!(v.preview_withdraw(1), Ok(1_000_000));
    }

    #[test]
    fn rounding_directions_on_an_uneven_price() {
        // 3 assets per 2_000_000 shares (+virtual): price 4/3_000_000.
        let v = t(3, 2_000_000);
        // shares = 10 × 3_000_000 / 4 = 7_500_000 exactly
        assert_eq!(v.preview_deposit(10), Ok(7_500_000));
        // 11 × 3_000_000 / 4 = 8_250_000 exactly; 1 asset → 750_000 shares
        assert_eq!(v.preview_deposit(1), Ok(750_000));
        // assets for 1 share = 4/3_000_000 → down 0, up 1
        assert_eq!(v.preview_redeem(1), Ok(0));
        assert_eq!(v.preview_mint(1), Ok(1));
    }

    #[test]
    fn donation_attack_leaves_the_attacker_with_a_loss() {
        // Attacker deposits 1 asset into the empty vault, then donates 10^6 assets.
        let mut v = t(0, 0);
        let a_shares = v.preview_deposit(1).expect("small");
        v.assets += 1;
        v.supply += a_shares;
        v.assets += 1_000_000; // donation straight to the vault's balance
        // Victim deposits 500_000 assets.
        let victim = v.preview_deposit(500_000).expect("small");
        assert!(victim > 0, "the victim still gets shares");
        v.assets += 500_000;
        v.supply += victim;
        // The attacker redeems everything: gets back less than 1 + 1_000_000 spent.
        let back = v.preview_redeem(a_shares).expect("small");
        assert!(back < 1_000_001, "attacker got {back}");
        // And the victim lost at most a tiny fraction.
        let victim_back = v.preview_redeem(victim).expect("small");
        assert!(
            victim_back * 1000 >= 500_000 * 999,
            "victim got {victim_back}"
        );
    }

    #[test]
    fn max_limits_never_overflow() {
        for v in [
            t(0, 0),
            t(u128::MAX - 5, 1),
            t(1, u128::MAX - 10_000_000),
            t(10, 10),
        ] {
            let d = v.max_deposit();
            assert!(v.preview_deposit(d).is_ok());
            let m = v.max_mint();
            assert!(v.preview_mint(m).is_ok());
        }
    }

    proptest! {
        #[test]
        fn previews_are_consistent(a in 0u128..1u128 << 100, s in 0u128..1u128 << 100, x in 0u128..1u128 << 90) {
            let v = t(a, s);
            let sh = v.preview_deposit(x).expect("in range");
            // minting the shares a deposit gives never costs more than the deposit
            prop_assert!(v.preview_mint(sh).expect("in range") <= x);
            let need = v.preview_withdraw(x).expect("in range");
            // redeeming the shares a withdraw burns gives at least the assets
            prop_assert!(v.preview_redeem(need).expect("in range") >= x);
            // round trips give no free profit
            prop_assert!(v.preview_redeem(sh).expect("in range") <= x);
            let cost = v.preview_mint(x).expect("in range");
            prop_assert!(v.preview_deposit(cost).expect("in range") >= x);
        }
    }
}
