//! Non-matmul kernels: the fast paths (best SIMD, 1 and 2 threads) against the scalar
//! reference measured in the same run, printed as speedup ratios (same bits are checked too).
//! Sizes are modest so the run takes well under a minute; `REE_BENCH_REPS` sets repetitions.

use std::hint::black_box;
use std::time::{Duration, Instant};

use verity_ree::{Exec, KernelChoice, Op, Tensor, execute};

fn data(shape: &[usize], seed: u32) -> Tensor {
    let mut s = seed | 1;
    let n = shape.iter().product();
    let v = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s % 2000) as f32 / 1000.0 - 1.0 + 1e-4
        })
        .collect();
    Tensor::new(shape.to_vec(), v).expect("sized")
}

fn best(reps: usize, mut f: impl FnMut()) -> Duration {
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

fn main() {
    let reps: usize = std::env::var("REE_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let (r, d) = (1024, 1024);
    let x = data(&[r, d], 1);
    let y = data(&[r, d], 2);
    let gamma = data(&[d], 3);
    let beta = data(&[d], 4);
    let ids = Tensor::new(vec![r], (0..r).map(|i| (i % d) as f32).collect()).expect("sized");
    let (b, t, dm, h) = (4, 128, 128, 4);
    let q = data(&[b * t, dm], 5);
    let k = data(&[b * t, dm], 6);
    let v = data(&[b * t, dm], 7);
    let m = data(&[r, d], 8);
    let vv = gamma_sq(&y);
    let cases: Vec<(&str, Op, Vec<&Tensor>)> = vec![
        ("add 1M", Op::Add, vec![&x, &y]),
        ("gelu 1M", Op::Gelu, vec![&x]),
        ("softmax 1024x1024", Op::Softmax, vec![&x]),
        ("cross_entropy 1024x1024", Op::CrossEntropy, vec![&x, &ids]),
        (
            "layer_norm 1024x1024",
            Op::LayerNorm { eps: 1e-5 },
            vec![&x, &gamma, &beta],
        ),
        ("bias_grad 1024x1024", Op::BiasGrad, vec![&x]),
        (
            "attention b4 t128 d128 h4",
            Op::Attention {
                batch: b,
                seq: t,
                heads: h,
            },
            vec![&q, &k, &v],
        ),
        (
            "attention_backward (same)",
            Op::AttentionBackward {
                batch: b,
                seq: t,
                heads: h,
            },
            vec![&q, &q, &k, &v],
        ),
        (
            "adamw 1M",
            Op::AdamW {
                step: 10,
                lr: 1e-3,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weight_decay: 0.01,
            },
            vec![&x, &y, &m, &vv],
        ),
    ];
    let reference = Exec::reference();
    let fast1 = Exec::new(KernelChoice::Auto, 1).expect("exec");
    let fast2 = Exec::new(KernelChoice::Auto, 2).expect("exec");
    println!(
        "kernel fast paths vs scalar reference (best of {reps}; speedup = scalar time / fast time)"
    );
    println!(
        "{:<28} {:>11} {:>11} {:>11} {:>7} {:>7}",
        "op", "scalar us", "fast x1 us", "fast x2 us", "x1", "x2"
    );
    for (name, op, ins) in &cases {
        let want = execute(&reference, op, ins).expect("valid inputs");
        for ex in [&fast1, &fast2] {
            let got = execute(ex, op, ins).expect("valid inputs");
            assert!(
                want.iter().zip(&got).all(|(a, b)| a.bits_eq(b)),
                "{name}: bits differ"
            );
        }
        let ts = best(reps, || {
            black_box(execute(&reference, op, ins).expect("valid"));
        });
        let t1 = best(reps, || {
            black_box(execute(&fast1, op, ins).expect("valid"));
        });
        let t2 = best(reps, || {
            black_box(execute(&fast2, op, ins).expect("valid"));
        });
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "{name:<28} {:>11.1} {:>11.1} {:>11.1} {:>7.2} {:>7.2}",
            us(ts),
            us(t1),
            us(t2),
            ts.as_secs_f64() / t1.as_secs_f64(),
            ts.as_secs_f64() / t2.as_secs_f64()
        );
    }
    println!("kernel: {}", fast1.kernel_name());
}

/// Second-moment input for AdamW: non-negative.
fn gamma_sq(y: &Tensor) -> Tensor {
    Tensor::new(y.shape().to_vec(), y.data().iter().map(|v| v * v).collect()).expect("same shape")
}
