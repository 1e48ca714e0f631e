//! Kernel selection and the execution context every op runs in.
//!
//! [`Exec`] says which implementation runs ([`KernelChoice`]) and owns the rayon pool with exactly
//! `threads` threads. Every implementation follows the canonical order written on each
//! [`crate::ops::Op`] variant, so the choice changes speed, never bits:
//!
//! - `scalar`: the reference. Plain Rust loops in the documented order, single-threaded
//!   (`threads` is ignored). This is what single-op replay uses.
//! - `portable`: the packed/tiled fast path in plain Rust (explicit `f32::mul_add`), threaded.
//! - `avx2`: AVX2+FMA microkernels chosen at run time, threaded.
//! - `avx512`: AVX-512F microkernels chosen at run time, threaded.
//!
//! Transcendentals come from `libm` only; `expf` also has an 8-lane AVX2 transcription with
//! libm's exact bits (`vexp`).
//!
//! Threads only ever split independent outputs (rows or tiles of an output); no reduction is
//! split across threads.

pub mod attention;
pub mod elementwise;
pub mod matmul;
mod matmul_simd;
mod matmul_small;
pub mod nn;
pub mod optim;
pub mod reduce;
mod vexp;

use std::sync::Arc;

use rayon::prelude::*;

use crate::ReeError;

/// Which implementation of the kernels to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelChoice {
    /// The scalar reference (single-threaded; what replay uses).
    Scalar,
    /// The best SIMD kernels this CPU has (AVX-512, then AVX2+FMA), else the portable fast path.
    Simd,
    /// Same as [`KernelChoice::Simd`]: the fastest implementation available here.
    Auto,
    /// The portable (non-SIMD, plain Rust) tiled fast path; available everywhere.
    Portable,
    /// AVX2+FMA kernels; an error if the CPU lacks them.
    Avx2,
    /// AVX-512F kernels; an error if the CPU lacks them.
    Avx512,
}

/// The instruction set an [`Exec`] resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    Scalar,
    Portable,
    Avx2,
    Avx512,
}

/// Whether this CPU can run the AVX2+FMA kernels.
pub fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether this CPU can run the AVX-512F kernels (they also use AVX2 for 8-lane reductions).
pub fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        has_avx2() && std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The execution context: a kernel implementation and a thread pool of exactly `threads` threads.
#[derive(Clone)]
pub struct Exec {
    isa: Isa,
    threads: usize,
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl std::fmt::Debug for Exec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exec")
            .field("kernel", &self.kernel_name())
            .field("threads", &self.threads)
            .finish()
    }
}

impl Exec {
    /// An execution context. `threads` must be at least 1 (and at most 1024). Asking for a SIMD
    /// level the CPU lacks ([`KernelChoice::Avx2`], [`KernelChoice::Avx512`]) is an error.
    pub fn new(kernel: KernelChoice, threads: usize) -> Result<Exec, ReeError> {
        if threads == 0 || threads > 1024 {
            return Err(ReeError::Config(format!(
                "threads must be between 1 and 1024, got {threads}"
            )));
        }
        let best = if has_avx512() {
            Isa::Avx512
        } else if has_avx2() {
            Isa::Avx2
        } else {
            Isa::Portable
        };
        let isa = match kernel {
            KernelChoice::Scalar => Isa::Scalar,
            KernelChoice::Simd | KernelChoice::Auto => best,
            KernelChoice::Portable => Isa::Portable,
            KernelChoice::Avx2 if has_avx2() => Isa::Avx2,
            KernelChoice::Avx512 if has_avx512() => Isa::Avx512,
            KernelChoice::Avx2 | KernelChoice::Avx512 => {
                return Err(ReeError::Config(format!(
                    "kernel {kernel:?} is not supported by this CPU; use simd or auto"
                )));
            }
        };
        let pool = if isa != Isa::Scalar && threads > 1 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("ree-{i}"))
                .build()
                .map_err(|e| ReeError::Config(format!("cannot start {threads} threads: {e}")))?;
            Some(Arc::new(pool))
        } else {
            None
        };
        Ok(Exec { isa, threads, pool })
    }

    /// The reference context: scalar kernels, one thread. Single-op replay uses this.
    pub fn reference() -> Exec {
        Exec {
            isa: Isa::Scalar,
            threads: 1,
            pool: None,
        }
    }

    /// Every kernel this CPU can run (scalar, portable, and each SIMD level present).
    pub fn available_kernels() -> Vec<KernelChoice> {
        let mut v = vec![KernelChoice::Scalar, KernelChoice::Portable];
        if has_avx2() {
            v.push(KernelChoice::Avx2);
        }
        if has_avx512() {
            v.push(KernelChoice::Avx512);
        }
        v
    }

    /// The thread count this context was built with.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// `"scalar"`, `"portable"`, `"avx2"` or `"avx512"`.
    pub fn kernel_name(&self) -> &'static str {
        match self.isa {
            Isa::Scalar => "scalar",
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    pub(crate) fn isa(&self) -> Isa {
        self.isa
    }

    /// The same kernels without threads (for work already running on one of this pool's threads).
    pub(crate) fn serial(&self) -> Exec {
        Exec {
            isa: self.isa,
            threads: 1,
            pool: None,
        }
    }

    /// Whether the fast paths should split work across threads.
    pub(crate) fn parallel(&self) -> bool {
        self.pool.is_some()
    }

    /// Runs `f` inside this context's pool (or inline when single-threaded).
    pub(crate) fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }

    /// Splits `out` (rows of `row_len` elements) into chunks of whole rows and calls
    /// `f(first_row, chunk)` on each, in parallel when this context is threaded and the work is
    /// at least `min_elems` elements. Every row is computed by exactly one call, so the result
    /// never depends on the split.
    pub(crate) fn for_rows(
        &self,
        out: &mut [f32],
        row_len: usize,
        min_elems: usize,
        f: impl Fn(usize, &mut [f32]) + Sync + Send,
    ) {
        if row_len == 0 || out.is_empty() {
            return;
        }
        let rows = out.len() / row_len;
        if !self.parallel() || out.len() < min_elems || rows < 2 {
            f(0, out);
            return;
        }
        let tasks = (self.threads * 4).min(rows);
        let rows_per = rows.div_ceil(tasks);
        self.install(|| {
            out.par_chunks_mut(rows_per * row_len)
                .enumerate()
                .for_each(|(i, c)| f(i * rows_per, c));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_config() {
        assert!(Exec::new(KernelChoice::Auto, 0).is_err());
        let e = Exec::new(KernelChoice::Scalar, 4).unwrap();
        assert_eq!(e.kernel_name(), "scalar");
        assert_eq!(e.threads(), 4);
        let r = Exec::reference();
        assert_eq!((r.kernel_name(), r.threads()), ("scalar", 1));
        let p = Exec::new(KernelChoice::Portable, 2).unwrap();
        assert_eq!(p.kernel_name(), "portable");
        for k in Exec::available_kernels() {
            assert!(Exec::new(k, 2).is_ok());
        }
        let s = Exec::new(KernelChoice::Simd, 1).unwrap();
        assert!(["avx512", "avx2", "portable"].contains(&s.kernel_name()));
    }

    #[test]
    fn for_rows_covers_every_row_once() {
        let e = Exec::new(KernelChoice::Portable, 3).unwrap();
        let mut out = vec![0.0f32; 7 * 5];
        e.for_rows(&mut out, 5, 0, |r0, c| {
            for (i, row) in c.chunks_mut(5).enumerate() {
                for v in row.iter_mut() {
                    *v += (r0 + i) as f32;
                }
            }
        });
        for (r, row) in out.chunks(5).enumerate() {
            assert!(row.iter().all(|&v| v == r as f32));
        }
    }
}
