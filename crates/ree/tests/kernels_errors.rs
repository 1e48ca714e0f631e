//! Bad input to `execute` is an error naming the op, never a panic: wrong arity, bad shapes,
//! out-of-range or non-integer ids, bad attributes. Also checks the kernels never call the
//! platform's transcendentals (only `libm`).
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use verity_ree::{Exec, KernelChoice, Op, ReeError, Tensor, execute};

fn t(shape: &[usize]) -> Tensor {
    let n = shape.iter().product();
    Tensor::new(
        shape.to_vec(),
        (0..n).map(|i| i as f32 * 0.1 + 0.05).collect(),
    )
    .unwrap()
}

fn err(op: &Op, ins: &[&Tensor]) -> String {
    for ex in [Exec::reference(), Exec::new(KernelChoice::Auto, 2).unwrap()] {
        let e = execute(&ex, op, ins).expect_err("bad input must be rejected");
        let s = e.to_string();
        assert!(
            s.contains(op.name()),
            "error {s:?} does not name op {}",
            op.name()
        );
    }
    execute(&Exec::reference(), op, ins)
        .unwrap_err()
        .to_string()
}

#[test]
fn arity_errors_name_the_op() {
    let a = t(&[2, 2]);
    for op in [
        Op::Add,
        Op::Relu,
        Op::MatMul {
            trans_a: false,
            trans_b: false,
        },
        Op::LayerNormBackward,
    ] {
        let too_many: Vec<&Tensor> = vec![&a; op.num_inputs() + 1];
        let s = err(&op, &too_many);
        assert!(s.contains("expected"), "{s}");
        let e = execute(&Exec::reference(), &op, &[]).unwrap_err();
        assert!(matches!(e, ReeError::Arity { got: 0, .. }));
    }
}

#[test]
fn shape_errors_name_the_op() {
    let mm = Op::MatMul {
        trans_a: false,
        trans_b: false,
    };
    assert!(err(&mm, &[&t(&[2, 3]), &t(&[4, 5])]).contains("inner dims"));
    err(&mm, &[&t(&[2, 3, 1]), &t(&[3, 5])]);
    err(
        &Op::MatMul {
            trans_a: true,
            trans_b: false,
        },
        &[&t(&[2, 3]), &t(&[3, 5])],
    );
    err(&Op::Add, &[&t(&[2, 3]), &t(&[3, 2])]);
    err(&Op::MulBackward, &[&t(&[2, 3]), &t(&[2, 3]), &t(&[3])]);
    err(&Op::BiasAdd, &[&t(&[2, 3]), &t(&[2])]);
    err(&Op::BiasAdd, &[&Tensor::scalar(1.0), &t(&[1])]);
    err(&Op::Softmax, &[&Tensor::scalar(1.0)]);
    err(&Op::CrossEntropy, &[&t(&[2, 3]), &t(&[3])]);
    err(&Op::CrossEntropy, &[&t(&[0, 3]), &t(&[0])]);
    err(
        &Op::CrossEntropyBackward,
        &[
            &t(&[2, 3]),
            &Tensor::new(vec![2], vec![0.0, 1.0]).unwrap(),
            &t(&[1]),
        ],
    );
    err(&Op::Mse, &[&t(&[2]), &t(&[3])]);
    err(&Op::Mean, &[&t(&[0])]);
    err(
        &Op::LayerNorm { eps: 1e-5 },
        &[&t(&[2, 3]), &t(&[3]), &t(&[4])],
    );
    err(
        &Op::LayerNormBackward,
        &[&t(&[2, 3]), &t(&[2, 3]), &t(&[3]), &t(&[3]), &t(&[2])],
    );
    err(
        &Op::Attention {
            batch: 2,
            seq: 3,
            heads: 1,
        },
        &[&t(&[5, 4]), &t(&[5, 4]), &t(&[5, 4])],
    );
    err(
        &Op::SgdMomentum {
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 0.0,
        },
        &[&t(&[2]), &t(&[2]), &t(&[3])],
    );
    err(&Op::SumBackward { shape: vec![2] }, &[&t(&[1])]);
}

#[test]
fn bad_ids_are_errors() {
    let table = t(&[4, 3]);
    for bad in [4.0, -1.0, 1.5, f32::NAN, f32::INFINITY] {
        let ids = Tensor::new(vec![2], vec![0.0, bad]).unwrap();
        let s = err(&Op::Embedding, &[&table, &ids]);
        assert!(s.contains("ids[1]"), "{s}");
        err(&Op::EmbeddingBackward { vocab: 4 }, &[&t(&[2, 3]), &ids]);
        let tg = Tensor::new(vec![2], vec![bad, 0.0]).unwrap();
        let s = err(&Op::CrossEntropy, &[&t(&[2, 4]), &tg]);
        assert!(s.contains("targets[0]"), "{s}");
    }
}

#[test]
fn bad_attributes_are_errors() {
    let x = t(&[2, 4]);
    err(
        &Op::Attention {
            batch: 1,
            seq: 2,
            heads: 3,
        },
        &[&x, &x, &x],
    );
    err(
        &Op::Attention {
            batch: 1,
            seq: 2,
            heads: 0,
        },
        &[&x, &x, &x],
    );
    err(
        &Op::Attention {
            batch: usize::MAX,
            seq: 2,
            heads: 1,
        },
        &[&x, &x, &x],
    );
    err(&Op::LayerNorm { eps: 0.0 }, &[&x, &t(&[4]), &t(&[4])]);
    err(&Op::Scale { factor: f32::NAN }, &[&x]);
    let adam = |step, beta1| Op::AdamW {
        step,
        lr: 1e-3,
        beta1,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
    };
    err(&adam(0, 0.9), &[&x, &x, &x, &x]);
    err(&adam(1, 1.0), &[&x, &x, &x, &x]);
    err(
        &Op::EmbeddingBackward { vocab: usize::MAX },
        &[&t(&[1, 3]), &Tensor::new(vec![1], vec![0.0]).unwrap()],
    );
    err(
        &Op::SumBackward {
            shape: vec![usize::MAX, 2],
        },
        &[&Tensor::scalar(1.0)],
    );
    err(
        &Op::MeanBackward { shape: vec![0] },
        &[&Tensor::scalar(1.0)],
    );
    assert!(Exec::new(KernelChoice::Auto, 0).is_err());
}

#[test]
fn ops_roundtrip_through_serde_and_count_outputs() {
    let op = Op::AdamW {
        step: 3,
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.01,
    };
    assert_eq!(op.num_inputs(), 4);
    assert_eq!(op.num_outputs(), 3);
    assert_eq!(op.name(), "adamw");
    let ops = [
        op,
        Op::MatMul {
            trans_a: true,
            trans_b: false,
        },
        Op::SumBackward { shape: vec![2, 3] },
        Op::Relu,
    ];
    for op in ops {
        let js = serde_json::to_string(&op).unwrap();
        let back: Op = serde_json::from_str(&js).unwrap();
        assert_eq!(back, op, "{js}");
    }
}

/// The kernels must take exp/log/tanh/erf/pow only from `libm`: grep the sources for the
/// platform's float methods.
#[test]
fn kernels_use_only_libm_transcendentals() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut files = Vec::new();
    for dir in ["kernels", "ops"] {
        for e in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    files.push(format!("{root}/tensor.rs").into());
    let forbidden = [
        ".exp()",
        ".exp2()",
        ".exp_m1()",
        ".ln()",
        ".log(",
        ".log2()",
        ".log10()",
        ".ln_1p()",
        ".tanh()",
        ".powf(",
        ".powi(",
        ".sin()",
        ".cos()",
        ".erf()",
        ".cbrt()",
        ".hypot(",
    ];
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        for (n, line) in src.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for pat in forbidden {
                assert!(
                    !code.contains(pat),
                    "{}:{}: platform float call `{pat}`; use libm",
                    f.display(),
                    n + 1
                );
            }
        }
    }
}
