//! Shared helpers for the kernel integration tests: a tiny deterministic generator of
//! non-zero test data and one representative input set per op.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
#![allow(dead_code)]

use verity_ree::{Op, Tensor};

/// xorshift64* generator for test data (never all zeros).
pub struct Gen(u64);

impl Gen {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Gen {
        Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// Next raw value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [lo, hi), never exactly zero.
    pub fn f(&mut self, lo: f32, hi: f32) -> f32 {
        let u = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        let v = lo + (hi - lo) * u;
        if v == 0.0 { 1e-3 } else { v }
    }
    /// Integer in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// A tensor of values in [-1, 1).
    pub fn tensor(&mut self, shape: &[usize]) -> Tensor {
        let n = shape.iter().product();
        Tensor::new(shape.to_vec(), (0..n).map(|_| self.f(-1.0, 1.0)).collect()).unwrap()
    }
    /// A tensor of positive values in [lo, hi).
    pub fn pos(&mut self, shape: &[usize], lo: f32, hi: f32) -> Tensor {
        let n = shape.iter().product();
        Tensor::new(shape.to_vec(), (0..n).map(|_| self.f(lo, hi)).collect()).unwrap()
    }
    /// `n` integer ids in 0..limit, as f32.
    pub fn ids(&mut self, n: usize, limit: usize) -> Tensor {
        Tensor::new(vec![n], (0..n).map(|_| self.below(limit) as f32).collect()).unwrap()
    }
}

/// One input set for every op, with `rows` rows of width `d` (attention uses `seq` = rows
/// split into `batch` sequences when divisible). Sizes are chosen by the caller.
pub fn cases(g: &mut Gen, rows: usize, d: usize, k: usize) -> Vec<(Op, Vec<Tensor>)> {
    let x = g.tensor(&[rows, d]);
    let y = g.tensor(&[rows, d]);
    let dy = g.tensor(&[rows, d]);
    let sm = verity_ree::execute(&verity_ree::Exec::reference(), &Op::Softmax, &[&x]).unwrap();
    let lsm = verity_ree::execute(&verity_ree::Exec::reference(), &Op::LogSoftmax, &[&x]).unwrap();
    let gamma = g.tensor(&[d]);
    let beta = g.tensor(&[d]);
    let ln = verity_ree::execute(
        &verity_ree::Exec::reference(),
        &Op::LayerNorm { eps: 1e-5 },
        &[&x, &gamma, &beta],
    )
    .unwrap();
    let vocab = (rows % 13) + 3;
    let heads = if d.is_multiple_of(4) { 4 } else { 1 };
    let batch = if rows.is_multiple_of(2) { 2 } else { 1 };
    let attn = Op::Attention {
        batch,
        seq: rows / batch,
        heads,
    };
    let attn_b = Op::AttentionBackward {
        batch,
        seq: rows / batch,
        heads,
    };
    let scalar = Tensor::scalar(g.f(0.5, 2.0));
    vec![
        (
            Op::MatMul {
                trans_a: false,
                trans_b: false,
            },
            vec![g.tensor(&[rows, k]), g.tensor(&[k, d])],
        ),
        (
            Op::MatMul {
                trans_a: true,
                trans_b: false,
            },
            vec![g.tensor(&[k, rows]), g.tensor(&[k, d])],
        ),
        (
            Op::MatMul {
                trans_a: false,
                trans_b: true,
            },
            vec![g.tensor(&[rows, k]), g.tensor(&[d, k])],
        ),
        (
            Op::MatMul {
                trans_a: true,
                trans_b: true,
            },
            vec![g.tensor(&[k, rows]), g.tensor(&[d, k])],
        ),
        (Op::Add, vec![x.clone(), y.clone()]),
        (Op::Mul, vec![x.clone(), y.clone()]),
        (Op::MulBackward, vec![dy.clone(), x.clone(), y.clone()]),
        (Op::BiasAdd, vec![x.clone(), gamma.clone()]),
        (Op::BiasGrad, vec![dy.clone()]),
        (Op::Scale { factor: 0.37 }, vec![x.clone()]),
        (Op::Relu, vec![x.clone()]),
        (Op::ReluBackward, vec![dy.clone(), x.clone()]),
        (Op::Gelu, vec![x.clone()]),
        (Op::GeluBackward, vec![dy.clone(), x.clone()]),
        (Op::Softmax, vec![x.clone()]),
        (Op::SoftmaxBackward, vec![dy.clone(), sm[0].clone()]),
        (Op::LogSoftmax, vec![x.clone()]),
        (Op::LogSoftmaxBackward, vec![dy.clone(), lsm[0].clone()]),
        (Op::CrossEntropy, vec![x.clone(), g.ids(rows, d)]),
        (
            Op::CrossEntropyBackward,
            vec![x.clone(), g.ids(rows, d), scalar.clone()],
        ),
        (Op::Mse, vec![x.clone(), y.clone()]),
        (Op::MseBackward, vec![x.clone(), y.clone(), scalar.clone()]),
        (
            Op::LayerNorm { eps: 1e-5 },
            vec![x.clone(), gamma.clone(), beta.clone()],
        ),
        (
            Op::LayerNormBackward,
            vec![
                dy.clone(),
                x.clone(),
                gamma.clone(),
                ln[1].clone(),
                ln[2].clone(),
            ],
        ),
        (
            Op::Embedding,
            vec![g.tensor(&[vocab, d]), g.ids(rows, vocab)],
        ),
        (
            Op::EmbeddingBackward { vocab },
            vec![dy.clone(), g.ids(rows, vocab)],
        ),
        (attn, vec![x.clone(), y.clone(), g.tensor(&[rows, d])]),
        (
            attn_b,
            vec![dy.clone(), x.clone(), y.clone(), g.tensor(&[rows, d])],
        ),
        (Op::Sum, vec![x.clone()]),
        (
            Op::SumBackward {
                shape: vec![rows, d],
            },
            vec![scalar.clone()],
        ),
        (Op::Mean, vec![x.clone()]),
        (
            Op::MeanBackward {
                shape: vec![rows, d],
            },
            vec![scalar.clone()],
        ),
        (
            Op::SgdMomentum {
                lr: 0.05,
                momentum: 0.9,
                weight_decay: 1e-4,
            },
            vec![x.clone(), dy.clone(), y.clone()],
        ),
        (
            Op::AdamW {
                step: 3,
                lr: 1e-3,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weight_decay: 0.01,
            },
            vec![
                x.clone(),
                dy.clone(),
                y.clone(),
                g.pos(&[rows, d], 0.0, 1.0),
            ],
        ),
    ]
}
