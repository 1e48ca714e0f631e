//! Every backward op matches central finite differences of an independent f64 forward
//! implementation (written here, not using the crate's kernels), on small random shapes.
//! Loss for a tensor-valued forward is `L = Σ w ⊙ f(x)` with random `w`, passed as `dy`.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod kernels_common;

use kernels_common::Gen;
use verity_ree::{Exec, KernelChoice, Op, Tensor, execute};

type F = Vec<f64>;

fn f64s(t: &Tensor) -> F {
    t.data().iter().map(|&v| v as f64).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Checks `analytic[i]` (gradient of L wrt input `i`) against central differences of `loss`
/// for every input index listed in `wrt`.
fn check(
    name: &str,
    inputs: &[F],
    wrt: &[usize],
    analytic: &[&Tensor],
    loss: impl Fn(&[F]) -> f64,
) {
    let h = 1e-6;
    for (gi, &i) in wrt.iter().enumerate() {
        let an = analytic[gi].data();
        assert_eq!(
            an.len(),
            inputs[i].len(),
            "{name}: grad {gi} has the wrong length"
        );
        for j in 0..inputs[i].len() {
            let mut p = inputs.to_vec();
            p[i][j] += h;
            let lp = loss(&p);
            p[i][j] -= 2.0 * h;
            let lm = loss(&p);
            let num = (lp - lm) / (2.0 * h);
            let a = an[j] as f64;
            assert!(
                (a - num).abs() <= 2e-4 * (1.0 + num.abs()),
                "{name}: d/dinput{i}[{j}] analytic {a} vs numeric {num}"
            );
        }
    }
}

fn run(op: &Op, ins: &[&Tensor]) -> Vec<Tensor> {
    // Use a threaded fast path: it must give the reference's bits anyway.
    let ex = Exec::new(KernelChoice::Auto, 2).unwrap();
    let out = execute(&ex, op, ins).unwrap();
    let r = execute(&Exec::reference(), op, ins).unwrap();
    assert!(out.iter().zip(&r).all(|(a, b)| a.bits_eq(b)));
    out
}

fn matmul64(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> F {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for p in 0..k {
            for j in 0..n {
                c[i * n + j] += a[i * k + p] * b[p * n + j];
            }
        }
    }
    c
}

fn softmax64(x: &[f64], d: usize) -> F {
    let mut y = x.to_vec();
    for r in y.chunks_mut(d) {
        let m = r.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = r.iter().map(|v| (v - m).exp()).sum();
        for v in r.iter_mut() {
            *v = (*v - m).exp() / s;
        }
    }
    y
}

fn gelu64(x: f64) -> f64 {
    0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
}

#[test]
fn matmul_mul_bias_scale_sum_mean() {
    let mut g = Gen::new(1);
    let (m, k, n) = (3, 4, 5);
    let a = g.tensor(&[m, k]);
    let b = g.tensor(&[k, n]);
    let w = g.tensor(&[m, n]);
    let wv = f64s(&w);
    let da = &run(
        &Op::MatMul {
            trans_a: false,
            trans_b: true,
        },
        &[&w, &b],
    )[0];
    let db = &run(
        &Op::MatMul {
            trans_a: true,
            trans_b: false,
        },
        &[&a, &w],
    )[0];
    check("matmul", &[f64s(&a), f64s(&b)], &[0, 1], &[da, db], |p| {
        dot(&wv, &matmul64(&p[0], &p[1], m, k, n))
    });

    let x = g.tensor(&[m, n]);
    let y = g.tensor(&[m, n]);
    let gr = run(&Op::MulBackward, &[&w, &x, &y]);
    check(
        "mul",
        &[f64s(&x), f64s(&y)],
        &[0, 1],
        &[&gr[0], &gr[1]],
        |p| {
            dot(
                &wv,
                &p[0].iter().zip(&p[1]).map(|(a, b)| a * b).collect::<F>(),
            )
        },
    );

    let bias = g.tensor(&[n]);
    let gb = &run(&Op::BiasGrad, &[&w])[0];
    check("bias_add", &[f64s(&x), f64s(&bias)], &[1], &[gb], |p| {
        dot(
            &wv,
            &p[0]
                .iter()
                .enumerate()
                .map(|(i, v)| v + p[1][i % n])
                .collect::<F>(),
        )
    });

    let gs = &run(&Op::Scale { factor: -1.7 }, &[&w])[0];
    check("scale", &[f64s(&x)], &[0], &[gs], |p| {
        dot(&wv, &p[0].iter().map(|v| v * -1.7f32 as f64).collect::<F>())
    });

    let c = Tensor::scalar(1.3);
    let gsum = &run(&Op::SumBackward { shape: vec![m, n] }, &[&c])[0];
    check("sum", &[f64s(&x)], &[0], &[gsum], |p| {
        1.3f32 as f64 * p[0].iter().sum::<f64>()
    });
    let gmean = &run(&Op::MeanBackward { shape: vec![m, n] }, &[&c])[0];
    check("mean", &[f64s(&x)], &[0], &[gmean], |p| {
        1.3f32 as f64 * p[0].iter().sum::<f64>() / (m * n) as f64
    });
}

#[test]
fn activations_and_softmaxes() {
    let mut g = Gen::new(2);
    let (r, d) = (4, 6);
    // Keep relu inputs away from the kink at 0.
    let x = Tensor::new(
        vec![r, d],
        (0..r * d)
            .map(|_| {
                let v = g.f(-1.0, 1.0);
                if v.abs() < 0.05 { 0.3 } else { v }
            })
            .collect(),
    )
    .unwrap();
    let w = g.tensor(&[r, d]);
    let wv = f64s(&w);
    let gr = &run(&Op::ReluBackward, &[&w, &x])[0];
    check("relu", &[f64s(&x)], &[0], &[gr], |p| {
        dot(&wv, &p[0].iter().map(|&v| v.max(0.0)).collect::<F>())
    });
    let gg = &run(&Op::GeluBackward, &[&w, &x])[0];
    check("gelu", &[f64s(&x)], &[0], &[gg], |p| {
        dot(&wv, &p[0].iter().map(|&v| gelu64(v)).collect::<F>())
    });

    let y = &run(&Op::Softmax, &[&x])[0];
    let gs = &run(&Op::SoftmaxBackward, &[&w, y])[0];
    check("softmax", &[f64s(&x)], &[0], &[gs], |p| {
        dot(&wv, &softmax64(&p[0], d))
    });
    let ly = &run(&Op::LogSoftmax, &[&x])[0];
    let gl = &run(&Op::LogSoftmaxBackward, &[&w, ly])[0];
    check("log_softmax", &[f64s(&x)], &[0], &[gl], |p| {
        dot(
            &wv,
            &softmax64(&p[0], d).iter().map(|v| v.ln()).collect::<F>(),
        )
    });
}

#[test]
fn losses() {
    let mut g = Gen::new(3);
    let (n, c) = (5, 4);
    let x = g.tensor(&[n, c]);
    let t = g.ids(n, c);
    let tv: Vec<usize> = t.data().iter().map(|&v| v as usize).collect();
    let dl = Tensor::scalar(0.8);
    let gce = &run(&Op::CrossEntropyBackward, &[&x, &t, &dl])[0];
    check("cross_entropy", &[f64s(&x)], &[0], &[gce], |p| {
        let s = softmax64(&p[0], c);
        0.8f32 as f64 * (0..n).map(|i| -s[i * c + tv[i]].ln()).sum::<f64>() / n as f64
    });
    let ce = run(&Op::CrossEntropy, &[&x, &t])[0].data()[0] as f64;
    let s = softmax64(&f64s(&x), c);
    let want = (0..n).map(|i| -s[i * c + tv[i]].ln()).sum::<f64>() / n as f64;
    assert!(
        (ce - want).abs() < 1e-5,
        "cross_entropy value {ce} vs {want}"
    );

    let y = g.tensor(&[n, c]);
    let gm = &run(&Op::MseBackward, &[&x, &y, &dl])[0];
    check("mse", &[f64s(&x), f64s(&y)], &[0], &[gm], |p| {
        0.8f32 as f64
            * p[0]
                .iter()
                .zip(&p[1])
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
            / (n * c) as f64
    });
}

fn layer_norm64(x: &[f64], gm: &[f64], bt: &[f64], d: usize) -> F {
    let mut y = Vec::new();
    for r in x.chunks(d) {
        let mean = r.iter().sum::<f64>() / d as f64;
        let var = r.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / d as f64;
        let rstd = 1.0 / (var + 1e-5f32 as f64).sqrt();
        y.extend(
            r.iter()
                .enumerate()
                .map(|(j, v)| (v - mean) * rstd * gm[j] + bt[j]),
        );
    }
    y
}

#[test]
fn layer_norm_and_embedding() {
    let mut g = Gen::new(4);
    let (r, d) = (3, 5);
    let x = g.tensor(&[r, d]);
    let gamma = g.tensor(&[d]);
    let beta = g.tensor(&[d]);
    let w = g.tensor(&[r, d]);
    let wv = f64s(&w);
    let f = run(&Op::LayerNorm { eps: 1e-5 }, &[&x, &gamma, &beta]);
    let gr = run(&Op::LayerNormBackward, &[&w, &x, &gamma, &f[1], &f[2]]);
    check(
        "layer_norm",
        &[f64s(&x), f64s(&gamma), f64s(&beta)],
        &[0, 1, 2],
        &[&gr[0], &gr[1], &gr[2]],
        |p| dot(&wv, &layer_norm64(&p[0], &p[1], &p[2], d)),
    );

    let (v, n) = (4, 6);
    let table = g.tensor(&[v, d]);
    let ids = g.ids(n, v);
    let iv: Vec<usize> = ids.data().iter().map(|&x| x as usize).collect();
    let w = g.tensor(&[n, d]);
    let wv = f64s(&w);
    let gt = &run(&Op::EmbeddingBackward { vocab: v }, &[&w, &ids])[0];
    check("embedding", &[f64s(&table)], &[0], &[gt], |p| {
        let out: F = iv
            .iter()
            .flat_map(|&i| p[0][i * d..(i + 1) * d].to_vec())
            .collect();
        dot(&wv, &out)
    });
}

fn attention64(q: &[f64], k: &[f64], v: &[f64], b: usize, t: usize, h: usize, d: usize) -> F {
    let dh = d / h;
    let scale = 1.0 / (dh as f64).sqrt();
    let mut out = vec![0.0; q.len()];
    for bi in 0..b {
        for hi in 0..h {
            let at = |x: &[f64], i: usize, c: usize| x[(bi * t + i) * d + hi * dh + c];
            for i in 0..t {
                let s: F = (0..=i)
                    .map(|j| (0..dh).map(|c| at(q, i, c) * at(k, j, c)).sum::<f64>() * scale)
                    .collect();
                let p = softmax64(&s, i + 1);
                for c in 0..dh {
                    out[(bi * t + i) * d + hi * dh + c] = (0..=i).map(|j| p[j] * at(v, j, c)).sum();
                }
            }
        }
    }
    out
}

#[test]
fn attention() {
    let mut g = Gen::new(5);
    let (b, t, h, d) = (2, 4, 2, 6);
    let q = g.tensor(&[b * t, d]);
    let k = g.tensor(&[b * t, d]);
    let v = g.tensor(&[b * t, d]);
    let w = g.tensor(&[b * t, d]);
    let wv = f64s(&w);
    let fwd = &run(
        &Op::Attention {
            batch: b,
            seq: t,
            heads: h,
        },
        &[&q, &k, &v],
    )[0];
    let want = attention64(&f64s(&q), &f64s(&k), &f64s(&v), b, t, h, d);
    for (a, e) in fwd.data().iter().zip(&want) {
        assert!((*a as f64 - e).abs() < 1e-5, "attention forward {a} vs {e}");
    }
    let gr = run(
        &Op::AttentionBackward {
            batch: b,
            seq: t,
            heads: h,
        },
        &[&w, &q, &k, &v],
    );
    check(
        "attention",
        &[f64s(&q), f64s(&k), f64s(&v)],
        &[0, 1, 2],
        &[&gr[0], &gr[1], &gr[2]],
        |p| dot(&wv, &attention64(&p[0], &p[1], &p[2], b, t, h, d)),
    );
}

#[test]
fn optimizers_match_f64_formulas() {
    let mut g = Gen::new(6);
    let p = g.tensor(&[7]);
    let gr = g.tensor(&[7]);
    let m = g.tensor(&[7]);
    let v = g.pos(&[7], 0.0, 1.0);
    let (lr, b1, b2, eps, wd, step) = (1e-2f32, 0.9f32, 0.999f32, 1e-8f32, 0.01f32, 5u32);
    let out = run(
        &Op::AdamW {
            step,
            lr,
            beta1: b1,
            beta2: b2,
            eps,
            weight_decay: wd,
        },
        &[&p, &gr, &m, &v],
    );
    for i in 0..7 {
        let (pp, gg, mm, vv) = (
            p.data()[i] as f64,
            gr.data()[i] as f64,
            m.data()[i] as f64,
            v.data()[i] as f64,
        );
        let m1 = b1 as f64 * mm + (1.0 - b1 as f64) * gg;
        let v1 = b2 as f64 * vv + (1.0 - b2 as f64) * gg * gg;
        let mh = m1 / (1.0 - (b1 as f64).powi(step as i32));
        let vh = v1 / (1.0 - (b2 as f64).powi(step as i32));
        let p1 = pp - lr as f64 * (mh / (vh.sqrt() + eps as f64) + wd as f64 * pp);
        assert!((out[0].data()[i] as f64 - p1).abs() < 1e-5);
        assert!((out[1].data()[i] as f64 - m1).abs() < 1e-6);
        assert!((out[2].data()[i] as f64 - v1).abs() < 1e-6);
    }
    let vel = g.tensor(&[7]);
    let out = run(
        &Op::SgdMomentum {
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 0.0,
        },
        &[&p, &gr, &vel],
    );
    for i in 0..7 {
        let v1 = 0.9 * vel.data()[i] as f64 + gr.data()[i] as f64;
        assert!((out[1].data()[i] as f64 - v1).abs() < 1e-6);
        assert!((out[0].data()[i] as f64 - (p.data()[i] as f64 - 0.1 * v1)).abs() < 1e-6);
    }
}
