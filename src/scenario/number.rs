//! Numbers as users write them: TOML's `0` and `0.0` both mean a real number.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A real number that may be written as a TOML integer (`rate = 200`) or float (`rate = 200.5`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Real(pub f64);

impl Real {
    pub fn get(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Real {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RealVisitor;
        impl Visitor<'_> for RealVisitor {
            type Value = Real;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Real, E> {
                Ok(Real(value as f64))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Real, E> {
                Ok(Real(value as f64))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Real, E> {
                if value.is_finite() {
                    Ok(Real(value))
                } else {
                    Err(E::custom("expected a finite number, not inf or nan"))
                }
            }
        }
        deserializer.deserialize_any(RealVisitor)
    }
}

impl Serialize for Real {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A whole number is written as one (`weight = 50`), as a person would write it.
        if self.0.fract() == 0.0 && self.0.abs() < 1e15 {
            serializer.serialize_i64(self.0 as i64)
        } else {
            serializer.serialize_f64(self.0)
        }
    }
}

/// The bound of a check or an expectation: a number (`min = 0.95`) or a text (`max = "500ms"`,
/// `equals = "rolled_back"`). Which one a metric needs is checked by validation.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    Number(f64),
    Text(String),
}

impl fmt::Display for Bound {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Number(number) => write!(formatter, "{number}"),
            Bound::Text(text) => write!(formatter, "{text}"),
        }
    }
}

impl Serialize for Bound {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Bound::Number(number) => Real(*number).serialize(serializer),
            Bound::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for Bound {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BoundVisitor;
        impl Visitor<'_> for BoundVisitor {
            type Value = Bound;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a number, or a string such as \"500ms\"")
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Bound, E> {
                Ok(Bound::Number(value as f64))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Bound, E> {
                Ok(Bound::Number(value as f64))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Bound, E> {
                Ok(Bound::Number(value))
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Bound, E> {
                Ok(Bound::Text(value.to_string()))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Bound, E> {
                Ok(Bound::Text(value.to_owned()))
            }
        }
        deserializer.deserialize_any(BoundVisitor)
    }
}
