//! A game's input values on the wire: a short list of `i32`s in the order of the schema's
//! input fields, held without allocating, and the check of a list against those fields.

use bincode::de::Decoder;
use bincode::enc::Encoder;
use bincode::error::{DecodeError, EncodeError};
use bincode::{Decode, Encode};
use serde::Serialize;

use crate::schema::{InputField, MAX_INPUT_FIELDS};

/// Up to [`MAX_INPUT_FIELDS`] values; encoded as a `Vec<i32>`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct InputValues {
    len: u8,
    values: [i32; MAX_INPUT_FIELDS],
}

impl InputValues {
    /// The first [`MAX_INPUT_FIELDS`] of `values`.
    pub fn new(values: &[i32]) -> Self {
        let mut v = Self::default();
        let n = values.len().min(MAX_INPUT_FIELDS);
        v.values[..n].copy_from_slice(&values[..n]);
        v.len = n as u8;
        v
    }

    pub fn as_slice(&self) -> &[i32] {
        &self.values[..usize::from(self.len)]
    }

    /// Why these values do not fit `fields`, if they do not.
    pub fn check(&self, fields: &[InputField]) -> Result<(), String> {
        if self.as_slice().len() != fields.len() {
            return Err(format!(
                "an input has {} values; this game's input has {} fields",
                self.len,
                fields.len()
            ));
        }
        for (v, f) in self.as_slice().iter().zip(fields) {
            if *v < f.min || *v > f.max {
                return Err(format!(
                    "input field {} is {v}, outside {}..={}",
                    f.name, f.min, f.max
                ));
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for InputValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_slice().fmt(f)
    }
}

impl Serialize for InputValues {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(s)
    }
}

impl Encode for InputValues {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        (u64::from(self.len)).encode(e)?;
        for v in self.as_slice() {
            v.encode(e)?;
        }
        Ok(())
    }
}

impl<C> Decode<C> for InputValues {
    fn decode<D: Decoder<Context = C>>(d: &mut D) -> Result<Self, DecodeError> {
        let len = u64::decode(d)?;
        if len > MAX_INPUT_FIELDS as u64 {
            return Err(DecodeError::Other("more input values than any game has"));
        }
        let mut v = Self {
            len: len as u8,
            ..Self::default()
        };
        for x in &mut v.values[..len as usize] {
            *x = i32::decode(d)?;
        }
        Ok(v)
    }
}
bincode::impl_borrow_decode!(InputValues);
