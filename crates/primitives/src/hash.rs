//! [`Hash`]: a 32-byte digest with `0x`-hex text form.

use crate::PrimitivesError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A 32-byte hash (keccak-256 for transactions and blocks, sha-256 for the state tree).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The all-zero hash (e.g. the parent of the genesis block).
    pub const ZERO: Hash = Hash([0u8; 32]);

    /// Keccak-256 of `data`.
    pub fn keccak(data: &[u8]) -> Hash {
        crate::keccak256(data)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Hash {
    type Err = PrimitivesError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let body = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .ok_or_else(|| PrimitivesError::InvalidHash(s.to_string()))?;
        if body.len() != 64 {
            return Err(PrimitivesError::InvalidHash(s.to_string()));
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(body, &mut out)
            .map_err(|_| PrimitivesError::InvalidHash(s.to_string()))?;
        Ok(Hash(out))
    }
}

impl From<[u8; 32]> for Hash {
    fn from(b: [u8; 32]) -> Self {
        Hash(b)
    }
}

/// Human-readable formats get the `0x`-hex string; binary formats get the 32 raw bytes.
impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_string())
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

/// Accepts the `0x`-hex text or exactly 32 raw bytes.
impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextOrBytes::<32>("a 32-byte hash"))
            .map(|b| Hash(b.0))
    }
}

/// Raw `N` bytes parsed by [`TextOrBytes`].
pub(crate) struct Fixed<const N: usize>(pub(crate) [u8; N]);

/// Serde visitor for a fixed-size value given either as text (parsed with `FromStr` of the
/// 20- or 32-byte type: address checksum or hex rules apply) or as exactly `N` raw bytes.
pub(crate) struct TextOrBytes<const N: usize>(pub(crate) &'static str);

impl<'de, const N: usize> serde::de::Visitor<'de> for TextOrBytes<N> {
    type Value = Fixed<N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Fixed<N>, E> {
        let bytes: Vec<u8> = if N == 20 {
            s.parse::<crate::Address>().map_err(E::custom)?.0.to_vec()
        } else {
            s.parse::<Hash>().map_err(E::custom)?.0.to_vec()
        };
        self.visit_bytes(&bytes)
    }

    fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<Fixed<N>, E> {
        <[u8; N]>::try_from(b)
            .map(Fixed)
            .map_err(|_| E::invalid_length(b.len(), &self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keccak_of_empty_is_the_known_constant() {
        assert_eq!(
            Hash::keccak(b"").to_string(),
            "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
    }

    #[test]
    fn parse_round_trip_and_errors() {
        let h = Hash::keccak(b"verity");
        assert_eq!(h.to_string().parse::<Hash>().expect("round trip"), h);
        assert!("0x1234".parse::<Hash>().is_err());
        assert!("zz".parse::<Hash>().is_err());
        let j = serde_json::to_string(&h).expect("serialise");
        assert_eq!(serde_json::from_str::<Hash>(&j).expect("deserialise"), h);
        assert!(serde_json::from_str::<Hash>("\"0x12\"").is_err());
    }

    #[test]
    fn binary_serde_is_raw_bytes() {
        use serde::de::value::{BytesDeserializer, Error};
        let h = Hash::keccak(b"verity");
        let back = Hash::deserialize(BytesDeserializer::<Error>::new(&h.0)).expect("bytes");
        assert_eq!(back, h);
        assert!(Hash::deserialize(BytesDeserializer::<Error>::new(&h.0[..31])).is_err());
    }
}
