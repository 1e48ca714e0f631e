//! The simulator's one random source: a ChaCha8 stream from the seed, with uniform, normal
//! (Box–Muller through pure-Rust `libm`), Poisson and choice helpers. Nothing else in a run is
//! random, so a seed fixes the whole run on every platform.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// A seeded random stream.
#[derive(Clone, Debug)]
pub struct SimRng(ChaCha8Rng);

impl SimRng {
    /// The stream of `seed` for purpose `stream` (independent streams per purpose, so adding a
    /// draw in one place does not shift every other one).
    pub fn new(seed: u64, stream: u64) -> SimRng {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        r.set_stream(stream);
        SimRng(r)
    }

    /// Uniform in `[0, 1)` (53 random bits).
    pub fn uniform(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Uniform integer in `0..n` (`n` > 0; 0 gives 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        self.0.next_u64() % n
    }

    /// Standard normal (Box–Muller, one value per call).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]
        let u2 = self.uniform();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
    }

    /// Poisson with mean `lambda` (Knuth; fine for the small means used here).
    pub fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        let l = libm::exp(-lambda);
        let mut k = 0u32;
        let mut p = 1.0;
        loop {
            p *= self.uniform();
            if p <= l || k >= 1_000 {
                return k;
            }
            k += 1;
        }
    }

    /// 32 random bytes.
    pub fn bytes32(&mut self) -> [u8; 32] {
        let mut b = [0u8; 32];
        self.0.fill_bytes(&mut b);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_streams_differ() {
        let a: Vec<u64> = (0..8).map(|_| SimRng::new(7, 1).below(1000)).collect();
        let mut r1 = SimRng::new(7, 1);
        let mut r2 = SimRng::new(7, 1);
        let mut r3 = SimRng::new(7, 2);
        let x: Vec<f64> = (0..100).map(|_| r1.normal()).collect();
        let y: Vec<f64> = (0..100).map(|_| r2.normal()).collect();
        let z: Vec<f64> = (0..100).map(|_| r3.normal()).collect();
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert_eq!(a.len(), 8);
    }

    #[test]
    fn moments_are_roughly_right() {
        let mut r = SimRng::new(1, 0);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = crate::metrics::std_dev(&xs);
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((sd - 1.0).abs() < 0.05, "sd {sd}");
        let ps: Vec<f64> = (0..n).map(|_| f64::from(r.poisson(2.5))).collect();
        let pm = ps.iter().sum::<f64>() / n as f64;
        assert!((pm - 2.5).abs() < 0.1, "poisson mean {pm}");
        assert!((0..1000).all(|_| (0.0..1.0).contains(&r.uniform())));
    }
}
