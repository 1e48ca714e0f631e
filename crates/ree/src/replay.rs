//! Single-op replay, what the ledger's referee runs at the end of a bisection game: given one op
//! descriptor and its input tensors, check each input against the hash both parties committed
//! to, run the op with the scalar reference ([`Exec::reference`], one thread), and return the op's
//! trace leaf. Pure: no I/O, no clock, no threads; memory bounded by [`MAX_REPLAY_ELEMENTS`].
//!
//! The returned hash is exactly the op leaf the trace records ([`crate::trace::op_leaf`] over
//! [`op_descriptor_bytes`], the committed input hashes and the output tensor hashes), so the
//! referee compares it with each party's disputed leaf.

use crate::ReeError;
use crate::kernels::Exec;
use crate::ops::{Op, execute};
use crate::tensor::{Tensor, shape_len};
use crate::trace::{Hash32, op_leaf};

/// Most elements replay accepts, summed over the inputs and, separately, over the outputs
/// (2^24 f32 = 64 MiB each).
pub const MAX_REPLAY_ELEMENTS: usize = 1 << 24;

/// Domain tag that starts an op's descriptor bytes.
pub const OP_DESC_DOMAIN: &[u8] = b"verity.ree.opdesc.v1\0";

/// The canonical bytes of an op descriptor hashed into its trace leaf: [`OP_DESC_DOMAIN`]
/// followed by the op's JSON (serde, tag `op`, fields in declaration order, floats in shortest
/// round-trip form), which is deterministic for a given descriptor.
pub fn op_descriptor_bytes(op: &Op) -> Vec<u8> {
    let mut out = OP_DESC_DOMAIN.to_vec();
    let json = serde_json::to_vec(op).expect("an Op always serialises: plain fields, no maps");
    out.extend_from_slice(&json);
    out
}

fn refuse(msg: String) -> ReeError {
    ReeError::Replay(msg)
}

/// Elements the op's outputs will hold, when that can exceed the inputs' (else `None`).
fn output_bound(op: &Op, inputs: &[Tensor]) -> Option<usize> {
    match op {
        Op::MatMul { trans_a, trans_b } => {
            let (a, b) = (inputs.first()?.shape(), inputs.get(1)?.shape());
            if a.len() != 2 || b.len() != 2 {
                return None;
            }
            let m = if *trans_a { a[1] } else { a[0] };
            let n = if *trans_b { b[0] } else { b[1] };
            Some(m.saturating_mul(n))
        }
        Op::EmbeddingBackward { vocab } => {
            let d = *inputs.first()?.shape().last()?;
            Some(vocab.saturating_mul(d))
        }
        Op::SumBackward { shape } | Op::MeanBackward { shape } => {
            Some(shape_len(shape).unwrap_or(usize::MAX))
        }
        _ => None,
    }
}

/// The per-output hashes of `op` on `inputs`, after the same checks as [`replay_op`].
pub fn replay_op_outputs(
    op: &Op,
    inputs: &[Tensor],
    committed_input_hashes: &[Hash32],
) -> Result<Vec<Hash32>, ReeError> {
    if inputs.len() != committed_input_hashes.len() {
        return Err(refuse(format!(
            "{} input tensors but {} committed hashes",
            inputs.len(),
            committed_input_hashes.len()
        )));
    }
    let total = inputs
        .iter()
        .try_fold(0usize, |acc, t| acc.checked_add(t.len()))
        .unwrap_or(usize::MAX);
    if total > MAX_REPLAY_ELEMENTS {
        return Err(refuse(format!(
            "inputs hold {total} elements, more than the limit {MAX_REPLAY_ELEMENTS}"
        )));
    }
    if let Some(n) = output_bound(op, inputs)
        && n > MAX_REPLAY_ELEMENTS
    {
        return Err(refuse(format!(
            "{} would output {n} elements, more than the limit {MAX_REPLAY_ELEMENTS}",
            op.name()
        )));
    }
    for (i, (t, committed)) in inputs.iter().zip(committed_input_hashes).enumerate() {
        if t.hash() != *committed {
            return Err(refuse(format!(
                "input {i} of {} does not match its committed hash",
                op.name()
            )));
        }
    }
    let refs: Vec<&Tensor> = inputs.iter().collect();
    let outs = execute(&Exec::reference(), op, &refs)?;
    Ok(outs.iter().map(Tensor::hash).collect())
}

/// Replay one op: check `inputs` against `committed_input_hashes`, run the scalar reference,
/// and return the op's trace leaf (see the module doc).
pub fn replay_op(
    op: &Op,
    inputs: &[Tensor],
    committed_input_hashes: &[Hash32],
) -> Result<Hash32, ReeError> {
    let outs = replay_op_outputs(op, inputs, committed_input_hashes)?;
    Ok(op_leaf(
        &op_descriptor_bytes(op),
        committed_input_hashes,
        &outs,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: Vec<usize>, seed: u32) -> Tensor {
        let n = shape_len(&shape).expect("small");
        let data = (0..n)
            .map(|i| ((i as u32 * 37 + seed) % 17) as f32 * 0.25 - 2.0)
            .collect();
        Tensor::new(shape, data).expect("len matches")
    }

    #[test]
    fn replay_matches_direct_execution_and_checks_inputs() {
        let op = Op::MatMul {
            trans_a: false,
            trans_b: false,
        };
        let ins = vec![t(vec![3, 4], 1), t(vec![4, 5], 2)];
        let hs: Vec<Hash32> = ins.iter().map(Tensor::hash).collect();
        let leaf = replay_op(&op, &ins, &hs).expect("valid");
        let out = execute(&Exec::reference(), &op, &[&ins[0], &ins[1]]).expect("valid");
        assert_eq!(
            leaf,
            op_leaf(&op_descriptor_bytes(&op), &hs, &[out[0].hash()])
        );
        let mut wrong = hs.clone();
        wrong[1][0] ^= 1;
        let err = replay_op(&op, &ins, &wrong)
            .expect_err("mismatch")
            .to_string();
        assert!(err.contains("input 1"), "{err}");
        assert!(replay_op(&op, &ins, &hs[..1]).is_err());
    }

    #[test]
    fn replay_bounds_memory() {
        let op = Op::MatMul {
            trans_a: false,
            trans_b: false,
        };
        let ins = vec![t(vec![1 << 13, 1], 1), t(vec![1, 1 << 13], 2)];
        let hs: Vec<Hash32> = ins.iter().map(Tensor::hash).collect();
        let err = replay_op(&op, &ins, &hs)
            .expect_err("2^26 outputs")
            .to_string();
        assert!(err.contains("limit"), "{err}");
        let big = Op::SumBackward {
            shape: vec![1 << 20, 1 << 10],
        };
        let s = vec![Tensor::scalar(1.0)];
        let hs: Vec<Hash32> = s.iter().map(Tensor::hash).collect();
        assert!(replay_op(&big, &s, &hs).is_err());
    }

    #[test]
    fn descriptors_differ_by_attribute() {
        let a = op_descriptor_bytes(&Op::Scale { factor: 0.5 });
        let b = op_descriptor_bytes(&Op::Scale { factor: 0.25 });
        assert_ne!(a, b);
        assert!(a.starts_with(OP_DESC_DOMAIN));
    }
}
