//! The trace of a run and its commitments: leaf hashing, per-step hashes, the trace root, Merkle
//! proofs for any step or op leaf, and the trace file.
//!
//! # Leaves of one step (in graph order)
//! 1. One **input leaf** per tensor the step reads from outside its own graph: every state tensor
//!    (parameters and optimizer state, in state order) and the batch tensors.
//!    `blake3("verity.ree.leaf.input.v1\0" || u64 len(name) || name || tensor hash)`.
//! 2. One **op leaf** per op executed (forward, backward, optimizer update), in execution order:
//!    `blake3("verity.ree.leaf.op.v1\0" || u64 len(desc) || desc || u64 n_in || in hashes ||
//!    u64 n_out || out hashes)`, where `desc` is the op's canonical descriptor bytes
//!    ([`crate::replay::op_descriptor_bytes`]) and every hash is a [`crate::tensor::Tensor::hash`].
//!    The input hashes sit in the leaf, so in a dispute the first disagreeing leaf either has
//!    different input hashes (then one side contradicts an earlier, agreed leaf whose output or
//!    input-leaf hash it must equal, which the recorded input references ([`OpRecord::inputs`])
//!    locate), or the same inputs and different outputs: then
//!    [`crate::replay::replay_op`] on those inputs decides.
//! 3. One **state leaf**: `blake3("verity.ree.leaf.state.v1\0" || state root)`, where the state
//!    root is the Merkle root over `blake3("verity.ree.state.v1\0" || u64 len(name) || name ||
//!    tensor hash)` for every state tensor after the update, then the cursor leaf
//!    `blake3("verity.ree.cursor.v1\0" || u64 step || u32 epoch || u32 pos)`.
//!
//! **Step hash** = Merkle root over the step's leaves; **trace root** = Merkle root over the step
//! hashes (construction in [`merkle`]).

pub mod merkle;

use serde::{Deserialize, Serialize};

pub use merkle::{Hash32, Proof};

use crate::ReeError;

fn put_len(h: &mut blake3::Hasher, n: usize) {
    h.update(&(n as u64).to_le_bytes());
}

/// The leaf of a tensor a step reads from outside its graph.
pub fn input_leaf(name: &str, tensor_hash: &Hash32) -> Hash32 {
    let mut h = blake3::Hasher::new();
    h.update(b"verity.ree.leaf.input.v1\0");
    put_len(&mut h, name.len());
    h.update(name.as_bytes());
    h.update(tensor_hash);
    *h.finalize().as_bytes()
}

/// The leaf of one executed op.
pub fn op_leaf(desc: &[u8], inputs: &[Hash32], outputs: &[Hash32]) -> Hash32 {
    let mut h = blake3::Hasher::new();
    h.update(b"verity.ree.leaf.op.v1\0");
    put_len(&mut h, desc.len());
    h.update(desc);
    put_len(&mut h, inputs.len());
    for i in inputs {
        h.update(i);
    }
    put_len(&mut h, outputs.len());
    for o in outputs {
        h.update(o);
    }
    *h.finalize().as_bytes()
}

/// One entry of the state root: a named state tensor.
pub fn state_entry(name: &str, tensor_hash: &Hash32) -> Hash32 {
    let mut h = blake3::Hasher::new();
    h.update(b"verity.ree.state.v1\0");
    put_len(&mut h, name.len());
    h.update(name.as_bytes());
    h.update(tensor_hash);
    *h.finalize().as_bytes()
}

/// The last entry of the state root: the step count and the data cursor.
pub fn cursor_entry(step: u64, epoch: u32, pos: u32) -> Hash32 {
    let mut h = blake3::Hasher::new();
    h.update(b"verity.ree.cursor.v1\0");
    h.update(&step.to_le_bytes());
    h.update(&epoch.to_le_bytes());
    h.update(&pos.to_le_bytes());
    *h.finalize().as_bytes()
}

/// The state leaf closing a step.
pub fn state_leaf(state_root: &Hash32) -> Hash32 {
    let mut h = blake3::Hasher::new();
    h.update(b"verity.ree.leaf.state.v1\0");
    h.update(state_root);
    *h.finalize().as_bytes()
}

/// Where an op input comes from, so its hash can be checked against an earlier leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputRef {
    /// The tensor of input leaf `n` of this step.
    Input(usize),
    /// Output `k` of the op at leaf `n` of this step.
    Op(usize, usize),
}

/// What one leaf of a step is (the same for every step of a job: the graph is fixed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeafInfo {
    /// An input leaf with the tensor's name.
    Input(String),
    /// An op leaf.
    Op(OpRecord),
    /// The state leaf.
    State,
}

/// The trace's description of one op: its name and where its inputs come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpRecord {
    /// The op's name (its `Op` variant).
    pub name: String,
    /// Leaf-level sources of its inputs.
    pub inputs: Vec<InputRef>,
}

/// One step of a trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepTrace {
    /// The step index (0-based).
    pub step: u64,
    /// Merkle root over `leaves`.
    #[serde(with = "hex32")]
    pub hash: Hash32,
    /// Loss at this step (before the update).
    pub loss: f32,
    /// Every leaf of the step, in order.
    #[serde(with = "hex_vec")]
    pub leaves: Vec<Hash32>,
}

/// A whole trace: the leaf layout shared by every step plus each step's leaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// Layout of each step's leaves (identical across steps).
    pub layout: Vec<LeafInfo>,
    /// The steps, in order. A resumed run's trace starts at its checkpoint's step.
    pub steps: Vec<StepTrace>,
}

impl Trace {
    /// The step hashes in order.
    pub fn step_hashes(&self) -> Vec<Hash32> {
        self.steps.iter().map(|s| s.hash).collect()
    }

    /// The trace root: the Merkle root over the step hashes.
    pub fn root(&self) -> Hash32 {
        merkle::root(&self.step_hashes())
    }

    /// Proof that step `i`'s hash is under [`Trace::root`].
    pub fn prove_step(&self, i: usize) -> Option<Proof> {
        merkle::prove(&self.step_hashes(), i)
    }

    /// Proof that leaf `leaf` of step `i` is under that step's hash.
    pub fn prove_leaf(&self, i: usize, leaf: usize) -> Option<Proof> {
        merkle::prove(&self.steps.get(i)?.leaves, leaf)
    }

    /// The first step and leaf where two traces of the same job differ (what a bisection game
    /// finds), or `None` when they agree on every step.
    pub fn first_divergence(&self, other: &Trace) -> Option<(usize, usize)> {
        let s = self
            .steps
            .iter()
            .zip(&other.steps)
            .position(|(a, b)| a.hash != b.hash)?;
        let (a, b) = (&self.steps[s].leaves, &other.steps[s].leaves);
        let leaf = a
            .iter()
            .zip(b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        Some((s, leaf))
    }

    /// Write the trace as JSON.
    pub fn write(&self, path: &std::path::Path) -> Result<(), ReeError> {
        let text = serde_json::to_vec(self).map_err(|e| ReeError::Checkpoint {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        std::fs::write(path, text).map_err(|source| ReeError::Io {
            action: "cannot write trace",
            path: path.display().to_string(),
            source,
        })
    }

    /// Read a trace written by [`Trace::write`].
    pub fn read(path: &std::path::Path) -> Result<Trace, ReeError> {
        let bytes = std::fs::read(path).map_err(|source| ReeError::Io {
            action: "cannot read trace",
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_slice(&bytes).map_err(|e| ReeError::Checkpoint {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }
}

/// Verify that `leaf` is leaf `leaf_proof.index` of step `step_proof.index` under `root`,
/// given that step's hash.
pub fn verify_leaf(
    root: &Hash32,
    step_hash: &Hash32,
    step_proof: &Proof,
    leaf: &Hash32,
    leaf_proof: &Proof,
) -> bool {
    merkle::verify(root, step_hash, step_proof) && merkle::verify(step_hash, leaf, leaf_proof)
}

/// Lower-case hex of a hash.
pub fn to_hex(h: &Hash32) -> String {
    blake3::Hash::from_bytes(*h).to_hex().to_string()
}

/// Parse 64 hex characters into a hash.
pub fn from_hex(s: &str) -> Option<Hash32> {
    blake3::Hash::from_hex(s.trim()).ok().map(|h| *h.as_bytes())
}

mod hex32 {
    use super::{Hash32, from_hex, to_hex};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(h: &Hash32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(h))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash32, D::Error> {
        let s = String::deserialize(d)?;
        from_hex(&s).ok_or_else(|| serde::de::Error::custom("expected 64 hex characters"))
    }
}

mod hex_vec {
    use super::{Hash32, from_hex, to_hex};
    use serde::{Deserialize, Deserializer, Serializer, ser::SerializeSeq};

    pub fn serialize<S: Serializer>(v: &[Hash32], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for h in v {
            seq.serialize_element(&to_hex(h))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash32>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter()
            .map(|s| {
                from_hex(s).ok_or_else(|| serde::de::Error::custom("expected 64 hex characters"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_are_domain_separated() {
        let h = [7u8; 32];
        let a = input_leaf("w", &h);
        let b = state_entry("w", &h);
        assert_ne!(a, b);
        assert_ne!(op_leaf(b"x", &[h], &[]), op_leaf(b"x", &[], &[h]));
    }

    #[test]
    fn divergence_and_proofs() {
        let mk = |salt: u8| {
            let steps = (0..5u64)
                .map(|s| {
                    let leaves: Vec<Hash32> = (0..7u8)
                        .map(|l| {
                            let mut x = [l; 32];
                            x[0] = s as u8;
                            if s == 3 && l == 4 {
                                x[1] = salt;
                            }
                            x
                        })
                        .collect();
                    StepTrace {
                        step: s,
                        hash: merkle::root(&leaves),
                        loss: 0.0,
                        leaves,
                    }
                })
                .collect();
            Trace {
                layout: vec![],
                steps,
            }
        };
        let (a, b) = (mk(0), mk(1));
        assert_ne!(a.root(), b.root());
        assert_eq!(a.first_divergence(&b), Some((3, 4)));
        assert_eq!(a.first_divergence(&a), None);
        let sp = b.prove_step(3).expect("in range");
        let lp = b.prove_leaf(3, 4).expect("in range");
        assert!(verify_leaf(
            &b.root(),
            &b.steps[3].hash,
            &sp,
            &b.steps[3].leaves[4],
            &lp
        ));
        assert!(!verify_leaf(
            &a.root(),
            &b.steps[3].hash,
            &sp,
            &b.steps[3].leaves[4],
            &lp
        ));
    }
}
