//! Savings metrics shared by the simulator and `verity report savings`: daily returns of a value
//! series with inflows taken out, their standard deviation (the volatility), the wealth index
//! they compound to, and its maximum drawdown.
//!
//! **Definitions.** For day-end values `V_0 … V_n` and the value `F_t` that *arrived* during day
//! `t` (counted at day-end prices), the return of day `t ≥ 1` is `r_t = (V_t − F_t) / V_{t−1} − 1`:
//! what the holdings of the evening before did over the day, so new earnings are not mistaken for
//! gains. Days with `V_{t−1} ≤ 0` (nothing held yet) have no return and are skipped. Volatility
//! is the **sample** standard deviation (divisor `n − 1`) of the daily returns; fewer than two
//! returns give 0. The wealth index starts at 1 and multiplies by `1 + r_t`; max drawdown is the
//! largest fall from a running peak, `max_t (1 − I_t / max_{s≤t} I_s)`, a fraction in `[0, 1]`.

use serde::{Deserialize, Serialize};

/// Daily returns with inflows removed (module doc). `inflows[t]` is the value that arrived on
/// day `t`; `inflows[0]` is ignored. Slices of different lengths use the shorter one.
pub fn daily_returns(values: &[f64], inflows: &[f64]) -> Vec<f64> {
    let n = values.len().min(inflows.len());
    let mut out = Vec::with_capacity(n.saturating_sub(1));
    for t in 1..n {
        let prev = values[t - 1];
        if prev > 0.0 && prev.is_finite() && values[t].is_finite() && inflows[t].is_finite() {
            out.push((values[t] - inflows[t]) / prev - 1.0);
        }
    }
    out
}

/// Sample standard deviation (divisor `n − 1`); 0 for fewer than two values.
pub fn std_dev(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let ss: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
    (ss / (n - 1.0)).sqrt()
}

/// The wealth index of a return series: `[1, 1+r_1, (1+r_1)(1+r_2), …]`.
pub fn wealth_index(returns: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(returns.len() + 1);
    let mut w = 1.0;
    out.push(w);
    for r in returns {
        w *= 1.0 + r;
        out.push(w);
    }
    out
}

/// Largest fall from a running peak as a fraction of the peak (0 when the series never falls;
/// non-positive peaks are ignored).
pub fn max_drawdown(series: &[f64]) -> f64 {
    let mut peak = f64::NEG_INFINITY;
    let mut worst: f64 = 0.0;
    for &x in series {
        if x > peak {
            peak = x;
        }
        if peak > 0.0 {
            worst = worst.max(1.0 - x / peak);
        }
    }
    worst
}

/// Volatility and drawdown of one value path.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathStats {
    /// Standard deviation of daily returns.
    pub daily_volatility: f64,
    /// `daily_volatility × √365`.
    pub annualized_volatility: f64,
    /// Max drawdown of the wealth index, a fraction.
    pub max_drawdown: f64,
    /// Days with a return.
    pub return_days: usize,
    /// The last value.
    pub final_value: f64,
}

/// [`PathStats`] of a value path with its inflows.
pub fn path_stats(values: &[f64], inflows: &[f64]) -> PathStats {
    let r = daily_returns(values, inflows);
    let vol = std_dev(&r);
    PathStats {
        daily_volatility: vol,
        annualized_volatility: vol * 365f64.sqrt(),
        max_drawdown: max_drawdown(&wealth_index(&r)),
        return_days: r.len(),
        final_value: values.last().copied().unwrap_or(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn returns_take_inflows_out() {
        // Day 1: 100 held → 110 with nothing new: +10%. Day 2: 110 → 160 of which 50 arrived:
        // the 110 held became 110: 0%. Day 3: 160 → 144: −10%.
        let r = daily_returns(&[100.0, 110.0, 160.0, 144.0], &[0.0, 0.0, 50.0, 0.0]);
        assert_eq!(r.len(), 3);
        assert!(
            close(r[0], 0.10) && close(r[1], 0.0) && close(r[2], -0.10),
            "{r:?}"
        );
    }

    #[test]
    fn days_with_nothing_held_have_no_return() {
        let r = daily_returns(&[0.0, 20.0, 22.0], &[0.0, 20.0, 0.0]);
        assert_eq!(r.len(), 1);
        assert!(close(r[0], 0.10));
    }

    #[test]
    fn std_dev_matches_hand_computation() {
        // mean 5; squared deviations 9+1+1+9 = 20; / (4−1) → √(20/3).
        assert!(close(
            std_dev(&[2.0, 4.0, 6.0, 8.0]),
            (20.0f64 / 3.0).sqrt()
        ));
        // returns 0.1, 0, −0.1: mean 0, ss 0.02, /2 → 0.1.
        assert!(close(std_dev(&[0.1, 0.0, -0.1]), 0.1));
        assert_eq!(std_dev(&[0.3]), 0.0);
        assert_eq!(std_dev(&[]), 0.0);
    }

    #[test]
    fn drawdown_matches_hand_computation() {
        // Peak 120, trough 90: 25%; the later peak 130 → 117 is only 10%.
        assert!(close(
            max_drawdown(&[100.0, 120.0, 90.0, 130.0, 117.0]),
            0.25
        ));
        assert_eq!(max_drawdown(&[1.0, 2.0, 3.0]), 0.0);
        assert_eq!(max_drawdown(&[]), 0.0);
        let w = wealth_index(&[0.10, 0.0, -0.10]);
        assert!(close(w[3], 0.99));
        assert!(close(max_drawdown(&w), 0.10));
    }

    #[test]
    fn path_stats_puts_it_together() {
        let s = path_stats(&[100.0, 110.0, 160.0, 144.0], &[0.0, 0.0, 50.0, 0.0]);
        assert!(close(s.daily_volatility, 0.1));
        assert!(close(s.annualized_volatility, 0.1 * 365f64.sqrt()));
        assert!(close(s.max_drawdown, 0.10));
        assert_eq!(s.return_days, 3);
        assert_eq!(s.final_value, 144.0);
    }

    proptest! {
        #[test]
        fn drawdown_is_a_fraction_and_constant_paths_are_calm(xs in proptest::collection::vec(0.01f64..1e6, 0..50), c in 0.01f64..1e6) {
            let d = max_drawdown(&xs);
            prop_assert!((0.0..=1.0).contains(&d));
            let flat = vec![c; xs.len()];
            let r = daily_returns(&flat, &vec![0.0; xs.len()]);
            prop_assert!(std_dev(&r) < 1e-12);
            prop_assert!(max_drawdown(&wealth_index(&r)) < 1e-12);
        }

        #[test]
        fn scaling_a_path_keeps_its_returns(xs in proptest::collection::vec(0.01f64..1e6, 2..40), k in 0.5f64..20.0) {
            let zero = vec![0.0; xs.len()];
            let a = std_dev(&daily_returns(&xs, &zero));
            let scaled: Vec<f64> = xs.iter().map(|x| x * k).collect();
            let b = std_dev(&daily_returns(&scaled, &zero));
            prop_assert!((a - b).abs() <= 1e-9 * (1.0 + a.abs()));
        }
    }
}
