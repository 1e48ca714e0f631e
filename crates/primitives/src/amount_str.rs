//! Serde helper: a `u128` amount as a decimal JSON string (JSON numbers lose precision).
//!
//! Use with `#[serde(with = "verity_primitives::amount_str")]`. Deserialisation also accepts a
//! JSON number that fits in `u64`, for convenience when typing small amounts by hand (TOML too).

use serde::{Deserialize, Deserializer, Serializer};

/// Serialise `v` as a decimal string.
pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StrOrNum {
    Str(String),
    Num(u64),
}

/// Deserialise a decimal string (or a small non-negative integer) into a `u128`.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
    match StrOrNum::deserialize(d)? {
        StrOrNum::Str(s) => parse(&s).map_err(serde::de::Error::custom),
        StrOrNum::Num(n) => Ok(u128::from(n)),
    }
}

/// Parse a decimal amount of base units; underscores are allowed as digit separators.
pub fn parse(s: &str) -> Result<u128, crate::PrimitivesError> {
    let cleaned: String = s.chars().filter(|c| *c != '_').collect();
    if cleaned.is_empty() || !cleaned.bytes().all(|b| b.is_ascii_digit()) {
        return Err(crate::PrimitivesError::InvalidAmount(s.to_string()));
    }
    cleaned
        .parse::<u128>()
        .map_err(|_| crate::PrimitivesError::InvalidAmount(s.to_string()))
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct W {
        #[serde(with = "crate::amount_str")]
        a: u128,
    }

    #[test]
    fn round_trips_max_and_rejects_junk() {
        let w = W { a: u128::MAX };
        let j = serde_json::to_string(&w).expect("serialise");
        assert_eq!(j, format!("{{\"a\":\"{}\"}}", u128::MAX));
        assert_eq!(serde_json::from_str::<W>(&j).expect("deserialise"), w);
        assert_eq!(
            serde_json::from_str::<W>("{\"a\":7}").expect("number"),
            W { a: 7 }
        );
        assert!(serde_json::from_str::<W>("{\"a\":\"-1\"}").is_err());
        assert!(serde_json::from_str::<W>("{\"a\":\"1e5\"}").is_err());
        assert!(serde_json::from_str::<W>(&format!("{{\"a\":\"{}0\"}}", u128::MAX)).is_err());
        assert_eq!(super::parse("1_000").expect("underscores"), 1000);
    }
}
