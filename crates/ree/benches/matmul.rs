//! Deterministic matmul GFLOP/s against a well-kept non-deterministic-order baseline (the `gemm`
//! crate, AVX-512 kernels enabled), square sizes 256/512/1024/2048 on 1 and 2 threads.
//!
//! First prints a summary table measured in this run (best of a few repetitions each, ours vs
//! baseline, interleaved) with the ratio ours/baseline, then runs the same pairs as criterion
//! benchmarks (throughput in FLOP). `REE_BENCH_SIZES=256,512` limits the sizes;
//! `REE_BENCH_SUMMARY_ONLY=1` skips the criterion part. `REE_BENCH_ONLY=ours|gemm N THREADS`
//! runs just one implementation 10 times at size N (for `perf stat -e cycles:u`, which counts
//! this process's own cycles and so stays meaningful on a loaded machine).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use verity_ree::{Exec, KernelChoice, Op, Tensor, execute};

const OP: Op = Op::MatMul {
    trans_a: false,
    trans_b: false,
};

fn sizes() -> Vec<usize> {
    match std::env::var("REE_BENCH_SIZES") {
        Ok(s) => s.split(',').filter_map(|v| v.trim().parse().ok()).collect(),
        Err(_) => vec![256, 512, 1024, 2048],
    }
}

fn input(n: usize, seed: u32) -> Tensor {
    let mut s = seed | 1;
    let data = (0..n * n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s % 2000) as f32 / 1000.0 - 1.0
        })
        .collect();
    Tensor::new(vec![n, n], data).expect("n*n elements")
}

struct Baseline {
    pool: rayon::ThreadPool,
    threads: usize,
}

impl Baseline {
    fn new(threads: usize) -> Baseline {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("baseline pool");
        Baseline { pool, threads }
    }

    /// `c = a · b` with the `gemm` crate (row-major: column stride 1, row stride n).
    fn run(&self, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
        let par = if self.threads == 1 {
            gemm::Parallelism::None
        } else {
            gemm::Parallelism::Rayon(self.threads)
        };
        let ni = n as isize;
        self.pool.install(|| {
            // SAFETY: a, b, c each hold n*n f32 laid out row-major with the strides given.
            unsafe {
                gemm::gemm(
                    n,
                    n,
                    n,
                    c.as_mut_ptr(),
                    1,
                    ni,
                    false,
                    a.as_ptr(),
                    1,
                    ni,
                    b.as_ptr(),
                    1,
                    ni,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    par,
                )
            }
        });
    }
}

fn best_of(reps: usize, mut f: impl FnMut()) -> Duration {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .expect("reps >= 1")
}

fn summary() {
    println!("deterministic matmul vs gemm crate (best of reps, GFLOP/s; ratio = ours / gemm)");
    println!(
        "{:>6} {:>3} {:>10} {:>10} {:>7}  kernel",
        "n", "thr", "ours", "gemm", "ratio"
    );
    for n in sizes() {
        let a = input(n, 1);
        let b = input(n, 2);
        let flop = 2.0 * (n as f64).powi(3);
        let reps = if n >= 2048 {
            3
        } else if n >= 1024 {
            5
        } else {
            20
        };
        for threads in [1, 2] {
            let ex = Exec::new(KernelChoice::Auto, threads).expect("exec");
            let base = Baseline::new(threads);
            let mut c = vec![0.0f32; n * n];
            let (mut t_ours, mut t_base) = (Duration::MAX, Duration::MAX);
            // Interleave so both see the same machine load.
            for _ in 0..4 {
                t_ours = t_ours.min(best_of(reps, || {
                    black_box(execute(&ex, &OP, &[&a, &b]).expect("matmul"));
                }));
                t_base = t_base.min(best_of(reps, || {
                    base.run(n, a.data(), b.data(), black_box(&mut c))
                }));
            }
            let g_ours = flop / t_ours.as_secs_f64() / 1e9;
            let g_base = flop / t_base.as_secs_f64() / 1e9;
            println!(
                "{n:>6} {threads:>3} {g_ours:>10.1} {g_base:>10.1} {:>7.3}  {}",
                g_ours / g_base,
                ex.kernel_name()
            );
        }
    }
}

fn criterion_benches(c: &mut Criterion) {
    for n in sizes() {
        let a = input(n, 1);
        let b = input(n, 2);
        let mut g = c.benchmark_group(format!("matmul_{n}"));
        g.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(300));
        g.measurement_time(Duration::from_secs(if n >= 2048 { 4 } else { 2 }));
        for threads in [1, 2] {
            let ex = Exec::new(KernelChoice::Auto, threads).expect("exec");
            g.bench_function(BenchmarkId::new("ours", threads), |bch| {
                bch.iter(|| black_box(execute(&ex, &OP, &[&a, &b]).expect("matmul")))
            });
            let base = Baseline::new(threads);
            let mut out = vec![0.0f32; n * n];
            g.bench_function(BenchmarkId::new("gemm", threads), |bch| {
                bch.iter(|| base.run(n, a.data(), b.data(), black_box(&mut out)))
            });
        }
        g.finish();
    }
}

/// `REE_BENCH_ONLY=ours|gemm`, `REE_BENCH_SIZES=N`, `REE_BENCH_THREADS=T`: 10 runs of one side.
fn only(which: &str) {
    let n = sizes().first().copied().unwrap_or(1024);
    let threads = std::env::var("REE_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let a = input(n, 1);
    let b = input(n, 2);
    let ex = Exec::new(KernelChoice::Auto, threads).expect("exec");
    let base = Baseline::new(threads);
    let mut c = vec![0.0f32; n * n];
    let t = Instant::now();
    for _ in 0..10 {
        if which == "gemm" {
            base.run(n, a.data(), b.data(), black_box(&mut c));
        } else {
            black_box(execute(&ex, &OP, &[&a, &b]).expect("matmul"));
        }
    }
    let secs = t.elapsed().as_secs_f64() / 10.0;
    println!(
        "{which} n={n} threads={threads}: {:.1} GFLOP/s wall",
        2.0 * (n as f64).powi(3) / secs / 1e9
    );
}

fn main() {
    if let Ok(which) = std::env::var("REE_BENCH_ONLY") {
        return only(&which);
    }
    summary();
    if std::env::var("REE_BENCH_SUMMARY_ONLY").is_ok() {
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
}
