//! Bit-for-bit: every op's fast paths (portable, AVX2, AVX-512 when present) on 1, 2 and 4
//! threads give exactly the scalar reference's bits, on shapes with dims 1, 7, 63, 65 and 1000
//! and random non-zero data. `REE_BIG=1` adds larger shapes.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod kernels_common;

use kernels_common::{Gen, cases};
use proptest::prelude::*;
use verity_ree::{Exec, KernelChoice, Tensor, execute};

fn contexts() -> Vec<Exec> {
    let mut v = Vec::new();
    for k in Exec::available_kernels() {
        if k == KernelChoice::Scalar {
            continue;
        }
        for t in [1, 2, 4] {
            v.push(Exec::new(k, t).unwrap());
        }
    }
    v.push(Exec::new(KernelChoice::Auto, 2).unwrap());
    v
}

fn same_bits(a: &[Tensor], b: &[Tensor]) -> Option<String> {
    if a.len() != b.len() {
        return Some(format!("{} vs {} outputs", a.len(), b.len()));
    }
    for (o, (x, y)) in a.iter().zip(b).enumerate() {
        if x.shape() != y.shape() {
            return Some(format!(
                "output {o}: shape {:?} vs {:?}",
                x.shape(),
                y.shape()
            ));
        }
        if let Some(i) = x
            .data()
            .iter()
            .zip(y.data())
            .position(|(p, q)| p.to_bits() != q.to_bits())
        {
            return Some(format!(
                "output {o} element {i}: {} vs {}",
                x.data()[i],
                y.data()[i]
            ));
        }
    }
    None
}

fn check_all(seed: u64, rows: usize, d: usize, k: usize, ctxs: &[Exec]) {
    let mut g = Gen::new(seed);
    for (op, inputs) in cases(&mut g, rows, d, k) {
        let refs: Vec<&Tensor> = inputs.iter().collect();
        let want =
            execute(&Exec::reference(), &op, &refs).unwrap_or_else(|e| panic!("{op:?}: {e}"));
        assert_eq!(want.len(), op.num_outputs(), "{}", op.name());
        for t in &want {
            assert!(
                t.first_non_finite().is_none(),
                "{} non-finite on random data",
                op.name()
            );
        }
        for ex in ctxs {
            let got = execute(ex, &op, &refs).unwrap();
            if let Some(diff) = same_bits(&want, &got) {
                panic!(
                    "{} differs on {} x{} (rows={rows}, d={d}, k={k}): {diff}",
                    op.name(),
                    ex.kernel_name(),
                    ex.threads()
                );
            }
        }
    }
}

#[test]
fn every_op_every_kernel_documented_shapes() {
    let ctxs = contexts();
    let shapes = [
        (1, 1, 1),
        (7, 7, 7),
        (63, 65, 7),
        (65, 63, 65),
        (1, 1000, 3),
        (65, 1000, 1),
        (130, 16, 1000),
    ];
    for (i, &(rows, d, k)) in shapes.iter().enumerate() {
        check_all(100 + i as u64, rows, d, k, &ctxs);
    }
    if std::env::var("REE_BIG").is_ok() {
        check_all(7, 1000, 128, 300, &ctxs);
        check_all(8, 256, 1000, 65, &ctxs);
    }
}

#[test]
fn large_matmul_all_kernels() {
    // Big enough to take several K blocks, threaded row blocks and edge tiles.
    let ctxs = contexts();
    let mut g = Gen::new(42);
    let (m, k, n) = (131, 600, 97);
    let a = g.tensor(&[m, k]);
    let b = g.tensor(&[k, n]);
    let op = verity_ree::Op::MatMul {
        trans_a: false,
        trans_b: false,
    };
    let want = execute(&Exec::reference(), &op, &[&a, &b]).unwrap();
    for ex in &ctxs {
        let got = execute(ex, &op, &[&a, &b]).unwrap();
        assert!(
            same_bits(&want, &got).is_none(),
            "{} x{}",
            ex.kernel_name(),
            ex.threads()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn every_op_random_shapes(seed in any::<u64>(), rows in 1usize..40, d in 1usize..40, k in 1usize..70) {
        let ctxs = vec![
            Exec::new(KernelChoice::Portable, 2).unwrap(),
            Exec::new(KernelChoice::Auto, 4).unwrap(),
            Exec::new(KernelChoice::Auto, 1).unwrap(),
        ];
        check_all(seed, rows, d, k, &ctxs);
    }
}

#[test]
fn empty_dims_give_empty_or_zero_outputs() {
    let ctxs = contexts();
    let z = |s: &[usize]| Tensor::zeros(s.to_vec());
    let cases: Vec<(verity_ree::Op, Vec<Tensor>, Vec<Vec<usize>>)> = vec![
        (
            verity_ree::Op::MatMul {
                trans_a: false,
                trans_b: false,
            },
            vec![z(&[0, 3]), z(&[3, 4])],
            vec![vec![0, 4]],
        ),
        (
            verity_ree::Op::MatMul {
                trans_a: false,
                trans_b: false,
            },
            vec![z(&[2, 0]), z(&[0, 4])],
            vec![vec![2, 4]],
        ),
        (verity_ree::Op::Softmax, vec![z(&[2, 0])], vec![vec![2, 0]]),
        (verity_ree::Op::Sum, vec![z(&[0])], vec![vec![]]),
        (verity_ree::Op::BiasGrad, vec![z(&[0, 3])], vec![vec![3]]),
    ];
    for (op, ins, shapes) in cases {
        let refs: Vec<&Tensor> = ins.iter().collect();
        let want = execute(&Exec::reference(), &op, &refs).unwrap();
        assert_eq!(
            want.iter().map(|t| t.shape().to_vec()).collect::<Vec<_>>(),
            shapes
        );
        assert!(
            want.iter()
                .all(|t| t.data().iter().all(|v| v.to_bits() == 0))
        );
        for ex in &ctxs {
            assert!(
                same_bits(&want, &execute(ex, &op, &refs).unwrap()).is_none(),
                "{}",
                op.name()
            );
        }
    }
}
