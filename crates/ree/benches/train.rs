//! Training-step benchmarks: time per step of the MLP [11, 64, 64, 1], batch 32, AdamW on
//! wine-quality (tracing on and off), and the char transformer of the tests; then the tracing
//! overhead measured in the same run (interleaved rounds, median), printed as a ratio.
//!
//! `cargo bench -p verity-ree --bench train`. `VERITY_BENCH_THREADS` sets threads (default 1).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use verity_ree::data::{self, Dataset, builtin};
use verity_ree::spec::{JobSpec, Task};
use verity_ree::train::{State, Trainer};
use verity_ree::{Exec, KernelChoice};

const MLP: &str = r#"
[model]
kind = "mlp"
layers = [11, 64, 64, 1]
activation = "relu"
[data]
path = "wine.csv"
format = "csv"
target = "quality"
[train]
optimizer = "adamw"
lr = 0.001
batch_size = 32
steps = 1000000
seed = 7
"#;

const LM: &str = r#"
[model]
kind = "transformer"
d_model = 32
heads = 4
layers = 2
context = 16
[data]
path = "sonnets.txt"
format = "text"
[train]
optimizer = "adamw"
lr = 0.003
batch_size = 8
steps = 1000000
seed = 11
"#;

fn threads() -> usize {
    std::env::var("VERITY_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

fn mlp_trainer() -> Trainer {
    let spec = JobSpec::from_toml(MLP).expect("valid spec");
    let csv = builtin::export("winequality").expect("built in").csv;
    let table = data::parse_csv(csv.as_bytes(), &spec.data, Task::Regression, "wine.csv")
        .expect("valid csv");
    Trainer::new(&spec, Dataset::Table(table)).expect("valid job")
}

fn lm_trainer() -> Trainer {
    let spec = JobSpec::from_toml(LM).expect("valid spec");
    let text = include_bytes!("../tests/data/sonnets.txt");
    let t = data::parse_text(text, "sonnets.txt").expect("valid text");
    Trainer::new(&spec, Dataset::Text(t)).expect("valid job")
}

fn step(t: &Trainer, exec: &Exec, s: &mut State, tracing: bool) {
    let out = t.step(exec, s, tracing, None, None).expect("step runs");
    black_box(out.hash);
}

fn bench_steps(c: &mut Criterion) {
    let exec = Exec::new(KernelChoice::Auto, threads()).expect("exec");
    let inline = mlp_trainer();
    let mut bg = inline.clone();
    bg.set_background_hashing(true).expect("hashing thread");
    for (name, t, tracing) in [
        ("tracing_off", &inline, false),
        ("tracing_on_inline", &inline, true),
        ("tracing_on_background", &bg, true),
    ] {
        let mut s = t.init_state(tracing).expect("init");
        c.bench_function(&format!("mlp_11_64_64_1_b32_adamw/{name}"), |b| {
            b.iter(|| step(t, &exec, &mut s, tracing))
        });
    }
    let lm = lm_trainer();
    let mut s = lm.init_state(true).expect("init");
    c.bench_function("char_lm_d32_l2_ctx16_b8/tracing_on_inline", |b| {
        b.iter(|| step(&lm, &exec, &mut s, true))
    });
}

/// Median time per step over `rounds` rounds of `n` steps: tracing with background hashing,
/// tracing with inline hashing, and tracing off, interleaved.
fn overhead(t: &Trainer, exec: &Exec, n: usize, rounds: usize) -> [Duration; 3] {
    let mut bg = t.clone();
    bg.set_background_hashing(true).expect("hashing thread");
    let mut inline = t.clone();
    inline.set_background_hashing(false).expect("inline");
    let variants: [(&Trainer, bool); 3] = [(&bg, true), (&inline, true), (&inline, false)];
    let mut states: Vec<State> = variants
        .iter()
        .map(|(tr, on)| tr.init_state(*on).expect("init"))
        .collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); 3];
    for _ in 0..rounds {
        for (i, (tr, on)) in variants.iter().enumerate() {
            let t0 = Instant::now();
            for _ in 0..n {
                step(tr, exec, &mut states[i], *on);
            }
            times[i].push(t0.elapsed() / n as u32);
        }
    }
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    [med(&mut times[0]), med(&mut times[1]), med(&mut times[2])]
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_steps(&mut c);
    c.final_summary();
    let exec = Exec::new(KernelChoice::Auto, threads()).expect("exec");
    println!(
        "\ntracing overhead (same run, interleaved, median of 15 rounds; kernel {}, {} thread(s)):",
        exec.kernel_name(),
        exec.threads()
    );
    for (name, t, n) in [
        ("mlp [11,64,64,1] b32 adamw", mlp_trainer(), 200),
        ("char lm d32 l2", lm_trainer(), 20),
    ] {
        let [bg, inline, off] = overhead(&t, &exec, n, 15);
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let pct = |d: Duration| (d.as_secs_f64() / off.as_secs_f64() - 1.0) * 100.0;
        println!(
            "  {name:<28} off {:>8.1} us/step | on, background hashing {:>8.1} us/step ({:+.1}%) \
             | on, inline hashing {:>8.1} us/step ({:+.1}%)  (goal <= 3%)",
            us(off),
            us(bg),
            pct(bg),
            us(inline),
            pct(inline)
        );
    }
}
