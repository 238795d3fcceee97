//! The schema: what a game replicates and what its input is, as the server sends it in
//! `Joined`. A client builds its decoders and its input encoder from it, so it never needs
//! to be compiled against a game. Games declare their components with [`replicated!`] and
//! their input with [`game_input!`]; the registry's order is the schema, and its hash is
//! FNV-1a over the schema's bincode encoding.

use bincode::{Decode, Encode};
use serde::Serialize;

use crate::codec::encode;

/// Most components one schema may declare (presence is a `u32` bit set).
pub const MAX_COMPONENTS: usize = 32;
/// Most fields all components of a schema may have together (field masks are `u64`, and
/// bit 0 of an update's mask says whether its presence changed).
pub const MAX_FIELDS: usize = 63;
/// Most input fields.
pub const MAX_INPUT_FIELDS: usize = 16;
/// Most names an `Enum` or `Flags` field may have (values are `i32` on the wire).
pub const MAX_NAMES: usize = 31;

/// How one field travels in a snapshot body. Every field is an `i32`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub enum FieldCodec {
    /// The value itself.
    Absolute,
    /// The difference from the baseline's value.
    Delta,
    /// The difference from the baseline's value plus `age` times the new value of field
    /// `velocity` of the same component: steady motion costs nothing.
    Predicted { velocity: u8 },
    /// One of `variants`, by index.
    Enum { variants: Vec<String> },
    /// A bit set; bit `i` is named `names[i]`.
    Flags { names: Vec<String> },
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct FieldSchema {
    pub name: String,
    pub codec: FieldCodec,
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct ComponentSchema {
    pub name: String,
    pub fields: Vec<FieldSchema>,
}

/// One input field: an integer the server checks against `min..=max`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct InputField {
    pub name: String,
    pub min: i32,
    pub max: i32,
}

/// A game's replicated components (a component's id is its index) and its input.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Schema {
    pub game: String,
    pub components: Vec<ComponentSchema>,
    pub input: Vec<InputField>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("more than {MAX_COMPONENTS} components")]
    TooManyComponents,
    #[error("more than {MAX_FIELDS} fields in all components")]
    TooManyFields,
    #[error("more than {MAX_INPUT_FIELDS} input fields")]
    TooManyInputFields,
    #[error("component {0:?} is declared twice")]
    DuplicateComponent(String),
    #[error("{component}.{field}: {problem}")]
    BadField {
        component: String,
        field: String,
        problem: &'static str,
    },
    #[error("input field {0:?} has min above max")]
    BadInputRange(String),
}

/// 64-bit FNV-1a.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Schema {
    /// The hash clients compare: FNV-1a 64 over the bincode encoding of the schema.
    pub fn hash(&self) -> u64 {
        fnv1a64(&encode(self))
    }

    /// The id of the component named `name`.
    pub fn component_id(&self, name: &str) -> Option<usize> {
        self.components.iter().position(|c| c.name == name)
    }

    /// Checks every limit and codec rule; a schema that passes can be laid out.
    pub fn validate(&self) -> Result<(), SchemaError> {
        if self.components.len() > MAX_COMPONENTS {
            return Err(SchemaError::TooManyComponents);
        }
        let fields: usize = self.components.iter().map(|c| c.fields.len()).sum();
        if fields > MAX_FIELDS {
            return Err(SchemaError::TooManyFields);
        }
        if self.input.len() > MAX_INPUT_FIELDS {
            return Err(SchemaError::TooManyInputFields);
        }
        for (i, c) in self.components.iter().enumerate() {
            if self.components[..i].iter().any(|o| o.name == c.name) {
                return Err(SchemaError::DuplicateComponent(c.name.clone()));
            }
            for f in &c.fields {
                let bad = |problem| SchemaError::BadField {
                    component: c.name.clone(),
                    field: f.name.clone(),
                    problem,
                };
                match &f.codec {
                    FieldCodec::Predicted { velocity } => {
                        let v = c.fields.get(usize::from(*velocity)).ok_or(bad(
                            "its velocity field is not a field of the same component",
                        ))?;
                        if matches!(v.codec, FieldCodec::Predicted { .. }) {
                            return Err(bad("its velocity field is itself predicted"));
                        }
                    }
                    FieldCodec::Enum { variants: names } | FieldCodec::Flags { names } => {
                        if names.is_empty() || names.len() > MAX_NAMES {
                            return Err(bad("needs 1 to 31 names"));
                        }
                    }
                    FieldCodec::Absolute | FieldCodec::Delta => {}
                }
            }
        }
        if let Some(f) = self.input.iter().find(|f| f.min > f.max) {
            return Err(SchemaError::BadInputRange(f.name.clone()));
        }
        Ok(())
    }
}

/// How a game names a field's codec in [`replicated!`]: like [`FieldCodec`], with the
/// velocity field of `Predicted` named rather than numbered.
#[derive(Clone, Copy, Debug)]
pub enum CodecSpec {
    Absolute,
    Delta,
    Predicted(&'static str),
    Enum(&'static [&'static str]),
    Flags(&'static [&'static str]),
}

/// A component a game replicates: all its fields are `i32`, each with a codec. Implemented
/// by [`replicated!`]; no hand-written mask code.
pub trait Replicate: Sized {
    const NAME: &'static str;
    /// The fields in wire order, with their codecs.
    fn field_specs() -> &'static [(&'static str, CodecSpec)];
    /// Writes the fields, in order, into `out` (exactly as many as there are fields).
    fn write(&self, out: &mut [i32]);
    /// Reads a value written by [`Replicate::write`].
    fn read(values: &[i32]) -> Self;

    /// The component as it appears in a schema.
    fn schema() -> ComponentSchema {
        let specs = Self::field_specs();
        let index = |name: &str| {
            specs
                .iter()
                .position(|(n, _)| *n == name)
                .map_or(u8::MAX, |i| i as u8)
        };
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect();
        ComponentSchema {
            name: Self::NAME.to_owned(),
            fields: specs
                .iter()
                .map(|(name, spec)| FieldSchema {
                    name: (*name).to_owned(),
                    codec: match spec {
                        CodecSpec::Absolute => FieldCodec::Absolute,
                        CodecSpec::Delta => FieldCodec::Delta,
                        CodecSpec::Predicted(v) => FieldCodec::Predicted { velocity: index(v) },
                        CodecSpec::Enum(v) => FieldCodec::Enum { variants: names(v) },
                        CodecSpec::Flags(v) => FieldCodec::Flags { names: names(v) },
                    },
                })
                .collect(),
        }
    }
}

/// A game's input: integer fields with ranges. Implemented by [`game_input!`].
pub trait GameInput: Sized + Copy + Default {
    /// The fields in wire order: name, min, max.
    fn field_specs() -> &'static [(&'static str, i32, i32)];
    /// Reads an input the server has checked against the ranges.
    fn from_values(values: &[i32]) -> Self;
    fn to_values(&self) -> Vec<i32>;

    fn schema() -> Vec<InputField> {
        Self::field_specs()
            .iter()
            .map(|(name, min, max)| InputField {
                name: (*name).to_owned(),
                min: *min,
                max: *max,
            })
            .collect()
    }
}

/// Declares a replicated component: a struct of `i32` fields, each with its codec.
///
/// ```
/// tickwire_protocol::replicated! {
///     /// Where a thing is and how it moves, in subunits.
///     pub struct Body {
///         pub x: Predicted("vx"),
///         pub y: Predicted("vy"),
///         pub vx: Delta,
///         pub vy: Delta,
///     }
/// }
/// use tickwire_protocol::schema::Replicate;
/// assert_eq!(Body::schema().fields.len(), 4);
/// ```
#[macro_export]
macro_rules! replicated {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $codec:ident $(($($arg:expr),*))? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: i32, )*
        }

        impl $crate::schema::Replicate for $name {
            const NAME: &'static str = stringify!($name);

            fn field_specs() -> &'static [(&'static str, $crate::schema::CodecSpec)] {
                &[ $( (stringify!($field), $crate::schema::CodecSpec::$codec $(($($arg),*))?) ),* ]
            }

            #[allow(unused_variables, unused_mut, unused_assignments)]
            fn write(&self, out: &mut [i32]) {
                let mut i = 0;
                $( out[i] = self.$field; i += 1; )*
            }

            #[allow(unused_variables, unused_mut, unused_assignments)]
            fn read(values: &[i32]) -> Self {
                let mut i = 0;
                $( let $field = values[i]; i += 1; )*
                Self { $( $field, )* }
            }
        }
    };
}

/// Declares a game's input: a struct of `i32` fields, each with its `[min, max]`.
///
/// ```
/// tickwire_protocol::game_input! {
///     pub struct Stick {
///         pub x: [-127, 127],
///         pub y: [-127, 127],
///     }
/// }
/// use tickwire_protocol::schema::GameInput;
/// assert_eq!(Stick::schema()[0].min, -127);
/// ```
#[macro_export]
macro_rules! game_input {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : [$min:expr, $max:expr] ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: i32, )*
        }

        impl $crate::schema::GameInput for $name {
            fn field_specs() -> &'static [(&'static str, i32, i32)] {
                &[ $( (stringify!($field), $min, $max) ),* ]
            }

            #[allow(unused_variables, unused_mut, unused_assignments)]
            fn from_values(values: &[i32]) -> Self {
                let mut i = 0;
                $( let $field = values.get(i).copied().unwrap_or_default(); i += 1; )*
                Self { $( $field, )* }
            }

            fn to_values(&self) -> Vec<i32> {
                vec![ $( self.$field ),* ]
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::replicated! {
        struct Body {
            x: Predicted("vx"),
            y: Predicted("vy"),
            vx: Delta,
            vy: Delta,
        }
    }

    #[test]
    fn predicted_fields_name_their_velocity_by_index() {
        let s = Body::schema();
        assert_eq!(s.fields[0].codec, FieldCodec::Predicted { velocity: 2 });
        assert_eq!(s.fields[3].codec, FieldCodec::Delta);
        let b = Body::read(&[1, 2, 3, 4]);
        let mut out = [0; 4];
        b.write(&mut out);
        assert_eq!(out, [1, 2, 3, 4]);
    }

    #[test]
    fn invalid_schemas_are_refused() {
        let mut s = Schema {
            game: "g".into(),
            components: vec![Body::schema()],
            input: vec![],
        };
        assert_eq!(s.validate(), Ok(()));
        s.components[0].fields[0].codec = FieldCodec::Predicted { velocity: 9 };
        assert!(s.validate().is_err());
        s.components[0].fields[0].codec = FieldCodec::Predicted { velocity: 0 };
        assert!(s.validate().is_err(), "a field predicted from itself");
        s.components[0].fields[0].codec = FieldCodec::Absolute;
        s.components.push(Body::schema());
        assert_eq!(
            s.validate(),
            Err(SchemaError::DuplicateComponent("Body".into()))
        );
    }

    #[test]
    fn the_hash_follows_every_change() {
        let s = Schema {
            game: "g".into(),
            components: vec![Body::schema()],
            input: vec![],
        };
        let mut t = s.clone();
        t.components[0].fields[2].name = "vz".into();
        assert_ne!(s.hash(), t.hash());
        assert_eq!(s.hash(), s.clone().hash());
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
