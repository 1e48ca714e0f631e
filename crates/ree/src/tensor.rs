//! Row-major `f32` tensors and their canonical hash.
//!
//! A [`Tensor`] is a shape (`Vec<usize>`, possibly empty for a scalar) and a flat row-major data
//! vector whose length is the product of the dims. Its [`Tensor::hash`] is the commitment the
//! trace records for every op output, so its byte encoding is fixed here and never changes:
//!
//! ```text
//! blake3( "verity.ree.tensor.v1\0"          (21 bytes, domain tag)
//!       || ndim          as u64 little-endian
//!       || dim[0..ndim]  each as u64 little-endian
//!       || data[0..len]  each f32's IEEE-754 bits as u32 little-endian )
//! ```
//!
//! NaN payloads and the sign of zero are hashed as they are (bits, not values).

use crate::ReeError;

/// Domain tag that starts the canonical encoding hashed by [`Tensor::hash`].
pub const TENSOR_HASH_DOMAIN: &[u8] = b"verity.ree.tensor.v1\0";

/// A dense, row-major tensor of `f32`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    data: Vec<f32>,
}

/// Number of elements a shape holds (`1` for the scalar shape `[]`), or `None` on overflow.
pub fn shape_len(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

impl Tensor {
    /// A tensor from a shape and row-major data; errors when `data.len()` is not the shape's size.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Result<Tensor, ReeError> {
        match shape_len(&shape) {
            Some(n) if n == data.len() => Ok(Tensor { shape, data }),
            Some(n) => Err(ReeError::TensorLen {
                shape,
                expected: n,
                got: data.len(),
            }),
            None => Err(ReeError::TensorLen {
                shape,
                expected: usize::MAX,
                got: data.len(),
            }),
        }
    }

    /// A tensor of zeros (`+0.0`). Panics only if the shape's size overflows `usize`, which no
    /// allocatable shape does.
    pub fn zeros(shape: Vec<usize>) -> Tensor {
        let n = shape_len(&shape)
            .expect("zeros: shape size overflows usize; no such tensor fits in memory");
        Tensor {
            shape,
            data: vec![0.0; n],
        }
    }

    /// A scalar (shape `[]`, one element).
    pub fn scalar(v: f32) -> Tensor {
        Tensor {
            shape: Vec::new(),
            data: vec![v],
        }
    }

    /// The dims, outermost first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The elements in row-major order, mutable (the shape stays fixed).
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Consumes the tensor, giving back its shape and data.
    pub fn into_parts(self) -> (Vec<usize>, Vec<f32>) {
        (self.shape, self.data)
    }

    /// The elements as little-endian IEEE-754 bytes (what a referee transaction carries).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        self.data
            .iter()
            .flat_map(|v| v.to_bits().to_le_bytes())
            .collect()
    }

    /// Rebuild a tensor from [`Tensor::to_le_bytes`] output; errors when the byte count does not
    /// match the shape.
    pub fn from_le_bytes(shape: Vec<usize>, bytes: &[u8]) -> Result<Tensor, ReeError> {
        if !bytes.len().is_multiple_of(4) {
            return Err(ReeError::Replay(format!(
                "tensor bytes: {} is not a multiple of 4",
                bytes.len()
            )));
        }
        let data = bytes
            .chunks_exact(4)
            .map(|c| f32::from_bits(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect();
        Tensor::new(shape, data)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the tensor holds no elements (some dim is zero).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Number of dims (`0` for a scalar).
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// blake3 of the canonical encoding described in the module docs.
    pub fn hash(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(TENSOR_HASH_DOMAIN);
        h.update(&(self.shape.len() as u64).to_le_bytes());
        for &d in &self.shape {
            h.update(&(d as u64).to_le_bytes());
        }
        // On little-endian targets the f32 slice already is the LE byte encoding: hash it in one
        // update (lets blake3 hash many chunks at once). Elsewhere, convert in 64 KiB pieces.
        #[cfg(target_endian = "little")]
        h.update(bytemuck::cast_slice::<f32, u8>(&self.data));
        #[cfg(not(target_endian = "little"))]
        {
            const ELEMS: usize = 16 * 1024;
            let mut buf = Vec::with_capacity(4 * self.data.len().min(ELEMS));
            for chunk in self.data.chunks(ELEMS) {
                buf.clear();
                for v in chunk {
                    buf.extend_from_slice(&v.to_bits().to_le_bytes());
                }
                h.update(&buf);
            }
        }
        *h.finalize().as_bytes()
    }

    /// Index of the first NaN or infinity, if any.
    pub fn first_non_finite(&self) -> Option<usize> {
        self.data.iter().position(|v| !v.is_finite())
    }

    /// Whether two tensors have the same shape and the same bits in every element.
    pub fn bits_eq(&self, other: &Tensor) -> bool {
        self.shape == other.shape
            && self.data.len() == other.data.len()
            && self
                .data
                .iter()
                .zip(&other.data)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_checks_len() {
        assert!(Tensor::new(vec![2, 3], vec![0.0; 6]).is_ok());
        let e = Tensor::new(vec![2, 3], vec![0.0; 5]).unwrap_err();
        assert!(e.to_string().contains("needs 6"));
        assert!(Tensor::new(vec![usize::MAX, 3], vec![]).is_err());
    }

    #[test]
    fn scalar_and_zeros() {
        let s = Tensor::scalar(2.5);
        assert_eq!(s.shape(), &[] as &[usize]);
        assert_eq!(s.len(), 1);
        let z = Tensor::zeros(vec![0, 4]);
        assert!(z.is_empty());
    }

    #[test]
    fn hash_matches_documented_encoding() {
        let t = Tensor::new(vec![2, 1], vec![1.0, -0.0]).unwrap();
        let mut bytes = TENSOR_HASH_DOMAIN.to_vec();
        bytes.extend_from_slice(&2u64.to_le_bytes());
        bytes.extend_from_slice(&2u64.to_le_bytes());
        bytes.extend_from_slice(&1u64.to_le_bytes());
        bytes.extend_from_slice(&1.0f32.to_bits().to_le_bytes());
        bytes.extend_from_slice(&(-0.0f32).to_bits().to_le_bytes());
        assert_eq!(t.hash(), *blake3::hash(&bytes).as_bytes());
        // Shape is committed: same data, other shape, other hash. Sign of zero is committed.
        let t2 = Tensor::new(vec![1, 2], vec![1.0, -0.0]).unwrap();
        assert_ne!(t.hash(), t2.hash());
        let t3 = Tensor::new(vec![2, 1], vec![1.0, 0.0]).unwrap();
        assert_ne!(t.hash(), t3.hash());
    }

    #[test]
    fn hash_of_long_tensor_spans_buffer_chunks() {
        let data: Vec<f32> = (0..3000).map(|i| i as f32 * 0.5).collect();
        let t = Tensor::new(vec![3000], data.clone()).unwrap();
        let mut bytes = TENSOR_HASH_DOMAIN.to_vec();
        bytes.extend_from_slice(&1u64.to_le_bytes());
        bytes.extend_from_slice(&3000u64.to_le_bytes());
        for v in data {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(t.hash(), *blake3::hash(&bytes).as_bytes());
    }

    #[test]
    fn non_finite() {
        let t = Tensor::new(vec![3], vec![1.0, f32::INFINITY, f32::NAN]).unwrap();
        assert_eq!(t.first_non_finite(), Some(1));
        assert_eq!(Tensor::scalar(0.0).first_non_finite(), None);
    }
}
