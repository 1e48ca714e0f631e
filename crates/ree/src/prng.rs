//! The canonical counter-based PRNG of a job: Philox4x32-10 (Salmon et al., "Parallel random
//! numbers: as easy as 1, 2, 3", SC 2011), plus the derived draws training uses (uniform and
//! normal f32 for initialisation, unbiased bounded integers and Fisher-Yates shuffles for data).
//!
//! Everything here is part of the canonical protocol: a change in any bit of any draw changes
//! trace roots, so it must bump [`PRNG_VERSION`] (and with it the receipts' semantics).
//!
//! # Construction
//! - Key: the job seed split into two u32 words (low, high).
//! - Counter: four u32 words `[index_lo, index_hi, stream_lo, stream_hi]`; `stream` names the
//!   consumer (see [`Stream`]) so parameter init and each epoch's shuffle never share numbers,
//!   `index` counts 128-bit blocks within that stream.
//! - Each block yields four u32 words, consumed in order.
//! - Uniform f32 in `[0, 1)`: `(w >> 8) as f32 * 2^-24` (exact, 24 significant bits).
//! - Normal f32: Box-Muller in f32 with `libm` only:
//!   `u1 = ((w1 >> 8) + 1) * 2^-24` in `(0, 1]`, `u2 = (w2 >> 8) * 2^-24`,
//!   `r = sqrtf(-2 * logf(u1))`, `z0 = r * cosf(2π u2)`, `z1 = r * sinf(2π u2)`; both are used, in
//!   that order.
//! - Bounded integer in `[0, n)`: rejection sampling on one u32 word
//!   (reject `w >= 2^32 - (2^32 mod n)`, then `w mod n`), so every value is exactly equally likely.
//! - Shuffle: Fisher-Yates from the last index down: for `i = n-1 .. 1`, `j = below(i+1)`, swap.

/// Version of the PRNG construction above; part of the kernel-semantics of a run.
pub const PRNG_VERSION: u32 = 1;

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// The Philox4x32-10 block function: 10 rounds over a 128-bit counter with a 64-bit key.
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let p0 = u64::from(M0) * u64::from(c[0]);
        let p1 = u64::from(M1) * u64::from(c[2]);
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// Who consumes random numbers; each consumer gets its own stream of one job's PRNG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Initialisation of the parameter tensor with this index (model parameter order).
    Init(u32),
    /// The data permutation of this epoch.
    Epoch(u32),
}

impl Stream {
    /// The 64-bit stream id placed in the high half of the counter.
    pub fn id(self) -> u64 {
        match self {
            Stream::Init(i) => u64::from(i),
            Stream::Epoch(e) => (1u64 << 32) | u64::from(e),
        }
    }
}

/// A sequential reader over one stream of the job's Philox generator.
#[derive(Clone, Debug)]
pub struct Philox {
    key: [u32; 2],
    stream: u64,
    block: u64,
    buf: [u32; 4],
    used: usize,
}

impl Philox {
    /// The generator for `seed` reading `stream` from its start.
    pub fn new(seed: u64, stream: Stream) -> Self {
        Self {
            key: [seed as u32, (seed >> 32) as u32],
            stream: stream.id(),
            block: 0,
            buf: [0; 4],
            used: 4,
        }
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        if self.used == 4 {
            let ctr = [
                self.block as u32,
                (self.block >> 32) as u32,
                self.stream as u32,
                (self.stream >> 32) as u32,
            ];
            self.buf = philox4x32_10(ctr, self.key);
            self.block = self.block.wrapping_add(1);
            self.used = 0;
        }
        let w = self.buf[self.used];
        self.used += 1;
        w
    }

    /// Uniform in `[0, 1)` with 24 random bits.
    pub fn uniform(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
    }

    /// A pair of standard normals by Box-Muller (see the module doc for the exact formula).
    pub fn normal_pair(&mut self) -> (f32, f32) {
        let u1 = ((self.next_u32() >> 8) + 1) as f32 * (1.0 / 16_777_216.0);
        let u2 = (self.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0);
        let r = libm::sqrtf(-2.0 * libm::logf(u1));
        let theta = 2.0 * core::f32::consts::PI * u2;
        (r * libm::cosf(theta), r * libm::sinf(theta))
    }

    /// Fill `out` with `N(0, std^2)` draws, pairs in order (the last pair's second value is
    /// discarded when `out.len()` is odd).
    pub fn fill_normal(&mut self, out: &mut [f32], std: f32) {
        let mut chunks = out.chunks_mut(2);
        for chunk in &mut chunks {
            let (a, b) = self.normal_pair();
            chunk[0] = a * std;
            if let Some(slot) = chunk.get_mut(1) {
                *slot = b * std;
            }
        }
    }

    /// Uniform integer in `[0, n)`, exactly unbiased. `n == 0` returns 0.
    pub fn below(&mut self, n: u32) -> u32 {
        if n <= 1 {
            return 0;
        }
        // 2^32 mod n, computed in u64.
        let rem = ((1u64 << 32) % u64::from(n)) as u32;
        let limit = 0u32.wrapping_sub(rem); // 2^32 - rem (wraps to 0 when rem == 0)
        loop {
            let w = self.next_u32();
            if rem == 0 || w < limit {
                return w % n;
            }
        }
    }

    /// Fisher-Yates shuffle of `items` in place (last index first).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        let n = items.len();
        for i in (1..n).rev() {
            let bound = u32::try_from(i + 1).expect("data sets are limited to u32::MAX examples");
            let j = self.below(bound) as usize;
            items.swap(i, j);
        }
    }
}

/// The permutation of `0..n` used in `epoch` of a job with `seed`.
pub fn epoch_permutation(seed: u64, epoch: u32, n: u32) -> Vec<u32> {
    let mut perm: Vec<u32> = (0..n).collect();
    Philox::new(seed, Stream::Epoch(epoch)).shuffle(&mut perm);
    perm
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Known-answer tests from Random123's `kat_vectors` for philox4x32_10.
    #[test]
    fn philox_known_answers() {
        assert_eq!(
            philox4x32_10([0, 0, 0, 0], [0, 0]),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
                [0xa409_3822, 0x299f_31d0]
            ),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn streams_differ_and_repeat() {
        let a: Vec<u32> = {
            let mut p = Philox::new(7, Stream::Init(0));
            (0..8).map(|_| p.next_u32()).collect()
        };
        let b: Vec<u32> = {
            let mut p = Philox::new(7, Stream::Init(1));
            (0..8).map(|_| p.next_u32()).collect()
        };
        let a2: Vec<u32> = {
            let mut p = Philox::new(7, Stream::Init(0));
            (0..8).map(|_| p.next_u32()).collect()
        };
        assert_ne!(a, b);
        assert_eq!(a, a2);
        assert_ne!(Stream::Init(3).id(), Stream::Epoch(3).id());
    }

    #[test]
    fn normal_moments_are_plausible() {
        let mut p = Philox::new(42, Stream::Init(0));
        let mut v = vec![0f32; 20_000];
        p.fill_normal(&mut v, 1.0);
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = v
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
        assert!(v.iter().all(|x| x.is_finite()));
    }

    proptest! {
        #[test]
        fn uniform_in_range(seed in any::<u64>()) {
            let mut p = Philox::new(seed, Stream::Epoch(0));
            for _ in 0..64 {
                let u = p.uniform();
                prop_assert!((0.0..1.0).contains(&u));
            }
        }

        #[test]
        fn below_in_range(seed in any::<u64>(), n in 1u32..1000) {
            let mut p = Philox::new(seed, Stream::Epoch(1));
            for _ in 0..32 {
                prop_assert!(p.below(n) < n);
            }
        }

        #[test]
        fn shuffle_is_a_permutation(seed in any::<u64>(), n in 0u32..300) {
            let mut perm = epoch_permutation(seed, 3, n);
            perm.sort_unstable();
            prop_assert_eq!(perm, (0..n).collect::<Vec<_>>());
        }
    }
}
