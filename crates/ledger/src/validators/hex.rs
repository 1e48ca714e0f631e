//! Serde helpers for byte fields as 0x-hex strings (p2p keys, proofs, evidence), so payloads,
//! events and API types read the same in JSON and TOML.

fn parse(s: &str) -> Result<Vec<u8>, String> {
    let body = s.strip_prefix("0x").unwrap_or(s);
    ::hex::decode(body).map_err(|e| format!("expected 0x-hex bytes: {e}"))
}

/// `[u8; 32]` as `"0x…"` (64 hex digits).
pub mod bytes32 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialize as 0x-hex.
    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", ::hex::encode(v)))
    }

    /// Parse 0x-hex of exactly 32 bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let v = super::parse(&s).map_err(serde::de::Error::custom)?;
        <[u8; 32]>::try_from(v.as_slice()).map_err(|_| {
            serde::de::Error::custom(format!(
                "expected 32 bytes (64 hex digits), got {}",
                v.len()
            ))
        })
    }
}

/// `Option<[u8; 32]>` as an optional `"0x…"`.
pub mod bytes32_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialize as 0x-hex (or none).
    pub fn serialize<S: Serializer>(v: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_some(&format!("0x{}", ::hex::encode(b))),
            None => s.serialize_none(),
        }
    }

    /// Parse optional 0x-hex of exactly 32 bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 32]>, D::Error> {
        let Some(s) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        let v = super::parse(&s).map_err(serde::de::Error::custom)?;
        <[u8; 32]>::try_from(v.as_slice()).map(Some).map_err(|_| {
            serde::de::Error::custom(format!(
                "expected 32 bytes (64 hex digits), got {}",
                v.len()
            ))
        })
    }
}

/// `Vec<u8>` as `"0x…"`.
pub mod bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialize as 0x-hex.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", ::hex::encode(v)))
    }

    /// Parse 0x-hex.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        super::parse(&s).map_err(serde::de::Error::custom)
    }
}
