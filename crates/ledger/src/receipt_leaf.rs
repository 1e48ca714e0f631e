//! The receipt-leaf encoding: a compact, canonical **binary** serde serializer used only to hash
//! receipts into the block's receipts root ([`Receipt::leaf_hash`](super::Receipt::leaf_hash)).
//! The receipt's JSON (API, store) is unaffected.
//!
//! # Encoding (normative: receipts roots depend on it)
//! - integers: fixed width, big-endian (`bool` = one byte 0/1, `char` = u32);
//! - strings and byte strings: length as u32 BE, then the bytes (addresses and hashes serialise
//!   as their raw 20/32 bytes in binary formats, see `verity_primitives`);
//! - `None` = `0x00`, `Some(v)` = `0x01 ‖ v`;
//! - sequences and maps: element count as u32 BE, then the elements (maps: key ‖ value);
//! - structs and tuples: their fields in declaration order, no names or count (the type fixes
//!   them);
//! - enum variants: the variant's **name** as a string (so inserting a variant never changes
//!   the encoding of another), then its fields as above;
//! - units: nothing. Floats never occur in the ledger; meeting one is an error.
//!
//! JSON was used before: it cost an EIP-55 checksum (a keccak) per address and a decimal/hex
//! formatting pass per field, about half the time of a transfer block.

use serde::ser::{self, Serialize};

/// Why a value could not be encoded (a sequence or map of unknown length, or a custom error).
#[derive(Debug)]
pub(crate) struct LeafEncodeError(String);

impl std::fmt::Display for LeafEncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LeafEncodeError {}

impl ser::Error for LeafEncodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        LeafEncodeError(msg.to_string())
    }
}

/// Append the canonical encoding of `v` to `out`.
pub(crate) fn encode_into<T: Serialize + ?Sized>(
    v: &T,
    out: &mut Vec<u8>,
) -> Result<(), LeafEncodeError> {
    v.serialize(&mut Enc { out })
}

struct Enc<'a> {
    out: &'a mut Vec<u8>,
}

impl Enc<'_> {
    fn len(&mut self, n: usize) -> Result<(), LeafEncodeError> {
        let n = u32::try_from(n).map_err(|_| LeafEncodeError(format!("length {n} over 2^32")))?;
        self.out.extend_from_slice(&n.to_be_bytes());
        Ok(())
    }

    fn bytes(&mut self, b: &[u8]) -> Result<(), LeafEncodeError> {
        self.len(b.len())?;
        self.out.extend_from_slice(b);
        Ok(())
    }

    fn known(&mut self, n: Option<usize>) -> Result<(), LeafEncodeError> {
        match n {
            Some(n) => self.len(n),
            None => Err(LeafEncodeError(
                "a sequence or map of unknown length".into(),
            )),
        }
    }
}

macro_rules! be {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<(), LeafEncodeError> {
            self.out.extend_from_slice(&v.to_be_bytes());
            Ok(())
        }
    )*};
}

impl<'a, 'b> ser::Serializer for &'a mut Enc<'b> {
    type Ok = ();
    type Error = LeafEncodeError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, v: bool) -> Result<(), LeafEncodeError> {
        self.out.push(u8::from(v));
        Ok(())
    }

    be!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128);

    // serde's trait makes every serializer name the float types; the ledger has no floats, so
    // meeting one is an error (tests/determinism.rs exempts these two signatures).
    fn serialize_f32(self, _: f32) -> Result<(), LeafEncodeError> {
        Err(LeafEncodeError("floats have no place in a receipt".into()))
    }

    fn serialize_f64(self, _: f64) -> Result<(), LeafEncodeError> {
        Err(LeafEncodeError("floats have no place in a receipt".into()))
    }

    fn serialize_char(self, v: char) -> Result<(), LeafEncodeError> {
        self.serialize_u32(u32::from(v))
    }

    fn serialize_str(self, v: &str) -> Result<(), LeafEncodeError> {
        self.bytes(v.as_bytes())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), LeafEncodeError> {
        self.bytes(v)
    }

    fn serialize_none(self) -> Result<(), LeafEncodeError> {
        self.out.push(0);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), LeafEncodeError> {
        self.out.push(1);
        v.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), LeafEncodeError> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), LeafEncodeError> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), LeafEncodeError> {
        self.bytes(variant.as_bytes())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), LeafEncodeError> {
        v.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), LeafEncodeError> {
        self.bytes(variant.as_bytes())?;
        v.serialize(self)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self, LeafEncodeError> {
        self.known(len)?;
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, LeafEncodeError> {
        Ok(self)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, LeafEncodeError> {
        Ok(self)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, LeafEncodeError> {
        self.bytes(variant.as_bytes())?;
        Ok(self)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self, LeafEncodeError> {
        self.known(len)?;
        Ok(self)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, LeafEncodeError> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, LeafEncodeError> {
        self.bytes(variant.as_bytes())?;
        Ok(self)
    }
}

macro_rules! compound {
    ($tr:ident, $m:ident $(, $key:ident)?) => {
        impl<'a, 'b> ser::$tr for &'a mut Enc<'b> {
            type Ok = ();
            type Error = LeafEncodeError;
            fn $m<T: Serialize + ?Sized>(
                &mut self,
                $($key: &'static str,)?
                v: &T,
            ) -> Result<(), LeafEncodeError> {
                v.serialize(&mut **self)
            }
            fn end(self) -> Result<(), LeafEncodeError> {
                Ok(())
            }
        }
    };
}

compound!(SerializeSeq, serialize_element);
compound!(SerializeTuple, serialize_element);
compound!(SerializeTupleStruct, serialize_field);
compound!(SerializeTupleVariant, serialize_field);
compound!(SerializeStruct, serialize_field, _name);
compound!(SerializeStructVariant, serialize_field, _name);

impl<'a, 'b> ser::SerializeMap for &'a mut Enc<'b> {
    type Ok = ();
    type Error = LeafEncodeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), LeafEncodeError> {
        k.serialize(&mut **self)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), LeafEncodeError> {
        v.serialize(&mut **self)
    }

    fn end(self) -> Result<(), LeafEncodeError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt::{Event, Receipt, TxStatus};
    use verity_primitives::{Address, Hash, TokenId};

    fn enc<T: Serialize>(v: &T) -> Vec<u8> {
        let mut out = Vec::new();
        encode_into(v, &mut out).expect("encodes");
        out
    }

    #[test]
    fn layout_is_the_documented_one() {
        let r = Receipt {
            tx_hash: Hash([7; 32]),
            height: 3,
            index: 2,
            sender: Address([1; 20]),
            nonce: 9,
            status: TxStatus::Success,
            events: vec![Event::Transfer {
                token: TokenId(5),
                from: Address([1; 20]),
                to: Address([2; 20]),
                amount: 1000,
            }],
        };
        let mut want = Vec::new();
        want.extend_from_slice(&32u32.to_be_bytes());
        want.extend_from_slice(&[7; 32]);
        want.extend_from_slice(&3u64.to_be_bytes());
        want.extend_from_slice(&2u32.to_be_bytes());
        want.extend_from_slice(&20u32.to_be_bytes());
        want.extend_from_slice(&[1; 20]);
        want.extend_from_slice(&9u64.to_be_bytes());
        want.extend_from_slice(&7u32.to_be_bytes());
        want.extend_from_slice(b"Success");
        want.extend_from_slice(&1u32.to_be_bytes());
        want.extend_from_slice(&8u32.to_be_bytes());
        want.extend_from_slice(b"Transfer");
        want.extend_from_slice(&5u32.to_be_bytes());
        want.extend_from_slice(&20u32.to_be_bytes());
        want.extend_from_slice(&[1; 20]);
        want.extend_from_slice(&20u32.to_be_bytes());
        want.extend_from_slice(&[2; 20]);
        // Amounts keep their decimal-string serde form.
        want.extend_from_slice(&4u32.to_be_bytes());
        want.extend_from_slice(b"1000");
        assert_eq!(enc(&r), want);
    }

    #[test]
    fn options_strings_and_failures_are_distinguished() {
        assert_eq!(enc(&None::<u8>), vec![0]);
        assert_eq!(enc(&Some(5u8)), vec![1, 5]);
        let failed = TxStatus::Failed { error: "no".into() };
        let mut want = 6u32.to_be_bytes().to_vec();
        want.extend_from_slice(b"Failed");
        want.extend_from_slice(&2u32.to_be_bytes());
        want.extend_from_slice(b"no");
        assert_eq!(enc(&failed), want);
        // Length prefixes keep ("ab","c") apart from ("a","bc").
        assert_ne!(enc(&("ab", "c")), enc(&("a", "bc")));
    }
}
