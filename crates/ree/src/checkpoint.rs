//! Checkpoints: the whole training state after some step (parameters, optimizer state, step
//! count, data cursor) as a safetensors file, so steps `s..t` can be re-run from step `s` and
//! give the same step hashes as the full run.
//!
//! File layout: one F32 tensor per state tensor under its state name; metadata keys
//! `format = "verity-ree-checkpoint-v1"`, `step`, `epoch`, `pos`, `order` (state names joined
//! with `,`, giving the state order) and `spec_hash` (hex, the job the checkpoint belongs to).

use std::collections::HashMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use crate::ReeError;
use crate::data::Cursor;
use crate::tensor::Tensor;

const FORMAT: &str = "verity-ree-checkpoint-v1";

/// The training state at a step boundary.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// Steps completed.
    pub step: u64,
    /// Data cursor after `step` steps.
    pub cursor: Cursor,
    /// Named state tensors in state order.
    pub state: Vec<(String, Tensor)>,
    /// blake3 of the job spec this state belongs to (hex).
    pub spec_hash: String,
}

/// The little-endian bytes of f32 data (what safetensors stores).
pub fn f32_bytes(data: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 4);
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Serialise named tensors (and metadata) in the safetensors format.
pub fn to_safetensors(
    tensors: &[(String, Tensor)],
    metadata: Option<HashMap<String, String>>,
) -> Result<Vec<u8>, ReeError> {
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, t)| (n.clone(), t.shape().to_vec(), f32_bytes(t.data())))
        .collect();
    let views = bytes
        .iter()
        .map(|(n, s, b)| {
            TensorView::new(Dtype::F32, s.clone(), b)
                .map(|v| (n.clone(), v))
                .map_err(|e| ReeError::Checkpoint {
                    path: n.clone(),
                    message: e.to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    safetensors::serialize(views, metadata).map_err(|e| ReeError::Checkpoint {
        path: "<safetensors>".into(),
        message: e.to_string(),
    })
}

impl Checkpoint {
    /// Write the checkpoint to `path`.
    pub fn write(&self, path: &Path) -> Result<(), ReeError> {
        let names: Vec<&str> = self.state.iter().map(|(n, _)| n.as_str()).collect();
        let meta = HashMap::from([
            ("format".to_string(), FORMAT.to_string()),
            ("step".to_string(), self.step.to_string()),
            ("epoch".to_string(), self.cursor.epoch.to_string()),
            ("pos".to_string(), self.cursor.pos.to_string()),
            ("order".to_string(), names.join(",")),
            ("spec_hash".to_string(), self.spec_hash.clone()),
        ]);
        let bytes = to_safetensors(&self.state, Some(meta))?;
        std::fs::write(path, bytes).map_err(|source| ReeError::Io {
            action: "cannot write checkpoint",
            path: path.display().to_string(),
            source,
        })
    }

    /// Read a checkpoint written by [`Checkpoint::write`].
    pub fn read(path: &Path) -> Result<Checkpoint, ReeError> {
        let shown = path.display().to_string();
        let bad = |m: String| ReeError::Checkpoint {
            path: shown.clone(),
            message: m,
        };
        let bytes = std::fs::read(path).map_err(|source| ReeError::Io {
            action: "cannot read checkpoint",
            path: shown.clone(),
            source,
        })?;
        let (_, meta) =
            SafeTensors::read_metadata(&bytes).map_err(|e| bad(format!("not safetensors: {e}")))?;
        let st = SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
        let md = meta
            .metadata()
            .clone()
            .ok_or_else(|| bad("no metadata".into()))?;
        let get = |k: &str| {
            md.get(k)
                .cloned()
                .ok_or_else(|| bad(format!("metadata lacks `{k}`")))
        };
        if get("format")? != FORMAT {
            return Err(bad(format!("format is not {FORMAT}")));
        }
        let num = |k: &str| -> Result<u64, ReeError> {
            get(k)?
                .parse()
                .map_err(|_| bad(format!("metadata `{k}` is not a number")))
        };
        let step = num("step")?;
        let epoch = u32::try_from(num("epoch")?).map_err(|_| bad("epoch too large".into()))?;
        let pos = u32::try_from(num("pos")?).map_err(|_| bad("pos too large".into()))?;
        let order = get("order")?;
        let mut state = Vec::new();
        for name in order.split(',').filter(|n| !n.is_empty()) {
            let view = st.tensor(name).map_err(|e| bad(format!("{name}: {e}")))?;
            if view.dtype() != Dtype::F32 {
                return Err(bad(format!("{name} is not F32")));
            }
            let data: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let t = Tensor::new(view.shape().to_vec(), data).map_err(|e| bad(e.to_string()))?;
            state.push((name.to_string(), t));
        }
        Ok(Checkpoint {
            step,
            cursor: Cursor { epoch, pos },
            state,
            spec_hash: get("spec_hash")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_bits_and_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("c.safetensors");
        let ck = Checkpoint {
            step: 50,
            cursor: Cursor { epoch: 2, pos: 17 },
            state: vec![
                (
                    "z.w".into(),
                    Tensor::new(vec![2, 2], vec![1.0, -0.0, 3.5, 1e-30]).expect("4"),
                ),
                (
                    "a.b".into(),
                    Tensor::new(vec![3], vec![0.25, 2.0, -7.0]).expect("3"),
                ),
            ],
            spec_hash: "ab".into(),
        };
        ck.write(&path).expect("write");
        let back = Checkpoint::read(&path).expect("read");
        assert_eq!(back.state[0].0, "z.w");
        assert!(back.state[0].1.bits_eq(&ck.state[0].1));
        assert_eq!(back, ck);
        std::fs::write(&path, b"garbage").expect("write");
        assert!(Checkpoint::read(&path).is_err());
    }
}
