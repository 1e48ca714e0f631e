//! [`Address`]: a 20-byte Ethereum-style account address with EIP-55 checksummed text form.

use crate::PrimitivesError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A 20-byte account address (last 20 bytes of keccak256 of the uncompressed public key).
///
/// `Display` prints the EIP-55 checksummed form; `FromStr` accepts `0x` + 40 hex digits in all
/// lower case, all upper case, or mixed case with a correct checksum.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// The all-zero address.
    pub const ZERO: Address = Address([0u8; 20]);

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// The EIP-55 checksummed text (`0x` + 40 hex digits).
    pub fn to_checksum(&self) -> String {
        alloy_primitives::Address::from(self.0).to_checksum(None)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_checksum())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_checksum())
    }
}

impl FromStr for Address {
    type Err = PrimitivesError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let body = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .ok_or_else(|| PrimitivesError::InvalidAddress(s.to_string()))?;
        if body.len() != 40 || !body.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(PrimitivesError::InvalidAddress(s.to_string()));
        }
        let mut out = [0u8; 20];
        hex::decode_to_slice(body, &mut out)
            .map_err(|_| PrimitivesError::InvalidAddress(s.to_string()))?;
        let addr = Address(out);
        let has_lower = body.bytes().any(|b| b.is_ascii_lowercase());
        let has_upper = body.bytes().any(|b| b.is_ascii_uppercase());
        if has_lower && has_upper {
            let expected = addr.to_checksum();
            if &expected[2..] != body {
                return Err(PrimitivesError::BadChecksum {
                    got: s.to_string(),
                    expected,
                });
            }
        }
        Ok(addr)
    }
}

impl From<[u8; 20]> for Address {
    fn from(b: [u8; 20]) -> Self {
        Address(b)
    }
}

/// Human-readable formats (JSON, TOML) get the EIP-55 string; binary formats (e.g. the ledger's
/// receipt-leaf encoding) get the 20 raw bytes, which skips the checksum's keccak.
impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_checksum())
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

/// Accepts the text form (checksum checked) or exactly 20 raw bytes.
impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(crate::hash::TextOrBytes::<20>("an address"))
            .map(|b| Address(b.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Test vectors from EIP-55 itself.
    const EIP55: [&str; 8] = [
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ];

    #[test]
    fn eip55_vectors_round_trip() {
        for v in EIP55 {
            let a: Address = v.parse().expect("valid vector");
            assert_eq!(a.to_string(), v);
        }
    }

    #[test]
    fn wrong_checksum_rejected() {
        let bad = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
        match bad.parse::<Address>() {
            Err(PrimitivesError::BadChecksum { expected, .. }) => {
                assert_eq!(expected, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
            }
            other => panic!("expected BadChecksum, got {other:?}"),
        }
    }

    #[test]
    fn lower_and_upper_case_accepted() {
        let lower = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
        let upper = "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED";
        let a: Address = lower.parse().expect("lower");
        let b: Address = upper.parse().expect("upper");
        assert_eq!(a, b);
    }

    #[test]
    fn malformed_rejected() {
        for s in [
            "",
            "0x",
            "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            "0x5aaeb6",
            "0xzz",
        ] {
            assert!(s.parse::<Address>().is_err(), "{s}");
        }
        assert!(
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaedff"
                .parse::<Address>()
                .is_err()
        );
    }

    #[test]
    fn serde_is_checksum_string() {
        let a: Address = EIP55[4].parse().expect("valid");
        let j = serde_json::to_string(&a).expect("serialise");
        assert_eq!(j, format!("\"{}\"", EIP55[4]));
        let back: Address = serde_json::from_str(&j).expect("deserialise");
        assert_eq!(back, a);
    }

    #[test]
    fn binary_serde_is_raw_bytes() {
        use serde::de::value::{BytesDeserializer, Error};
        let a: Address = EIP55[4].parse().expect("valid");
        let back = Address::deserialize(BytesDeserializer::<Error>::new(&a.0)).expect("bytes");
        assert_eq!(back, a);
        assert!(Address::deserialize(BytesDeserializer::<Error>::new(&a.0[..19])).is_err());
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(bytes in proptest::array::uniform20(any::<u8>())) {
            let a = Address(bytes);
            prop_assert_eq!(a.to_string().parse::<Address>().expect("round trip"), a);
        }
    }
}
