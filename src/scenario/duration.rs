//! Durations as users write them: a number and a unit, `"250us"`, `"1.5ms"`, `"30s"`, `"5m"`, `"1h"`.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A non-negative span of simulated time, held in whole nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    nanos: u64,
}

/// The units a duration may carry, longest suffix first so `ms` is not read as `m`.
const UNITS: [(&str, f64); 8] = [
    ("ns", 1.0),
    ("us", 1e3),
    ("µs", 1e3),
    ("ms", 1e6),
    ("s", 1e9),
    ("m", 60e9),
    ("h", 3600e9),
    ("d", 86_400e9),
];

/// The longest duration meshsim accepts anywhere: a year. Longer values are typos, and a
/// nanosecond count of a year still leaves ample headroom in a `u64`.
pub(crate) const DURATION_NANOS_MAX: u64 = 365 * 86_400 * 1_000_000_000;

impl Duration {
    pub const ZERO: Duration = Duration { nanos: 0 };

    pub const fn from_nanos(nanos: u64) -> Self {
        Duration { nanos }
    }

    pub const fn from_millis(millis: u64) -> Self {
        Duration {
            nanos: millis * 1_000_000,
        }
    }

    pub const fn from_secs(secs: u64) -> Self {
        Duration {
            nanos: secs * 1_000_000_000,
        }
    }

    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    pub fn as_secs_f64(self) -> f64 {
        self.nanos as f64 / 1e9
    }

    pub fn as_millis_f64(self) -> f64 {
        self.nanos as f64 / 1e6
    }

    pub fn is_zero(self) -> bool {
        self.nanos == 0
    }

    /// Parses `"1.5ms"` and the like; the error says what was expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("empty duration: expected a number and a unit, like \"250ms\"".into());
        }
        let Some((number_part, scale)) = UNITS
            .iter()
            .filter_map(|(unit, scale)| trimmed.strip_suffix(unit).map(|n| (n, *scale)))
            .max_by_key(|(number_part, _)| std::cmp::Reverse(number_part.len()))
        else {
            return Err(format!(
                "duration `{text}` has no unit: write it like \"250us\", \"1.5ms\", \"30s\", \"5m\" or \"1h\""
            ));
        };
        let number_part = number_part.trim_end();
        let valid_number = !number_part.is_empty()
            && number_part.chars().all(|c| c.is_ascii_digit() || c == '.')
            && number_part.chars().filter(|c| *c == '.').count() <= 1
            && number_part.chars().any(|c| c.is_ascii_digit());
        if !valid_number {
            return Err(format!(
                "`{text}` is not a duration: expected a non-negative number and a unit, like \"1.5ms\""
            ));
        }
        let value: f64 = number_part
            .parse()
            .map_err(|_| format!("`{text}` is not a duration"))?;
        let nanos = value * scale;
        if nanos > DURATION_NANOS_MAX as f64 {
            return Err(format!(
                "duration `{text}` is longer than the limit of 365 days"
            ));
        }
        Ok(Duration {
            nanos: nanos.round() as u64,
        })
    }
}

impl fmt::Display for Duration {
    /// The shortest exact spelling in the largest unit that divides it: `250ms`, `30s`, `5m`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.nanos;
        let units: [(&str, u64); 6] = [
            ("h", 3_600_000_000_000),
            ("m", 60_000_000_000),
            ("s", 1_000_000_000),
            ("ms", 1_000_000),
            ("us", 1_000),
            ("ns", 1),
        ];
        if nanos == 0 {
            return write!(formatter, "0s");
        }
        for (unit, size) in units {
            if nanos.is_multiple_of(size) {
                return write!(formatter, "{}{unit}", nanos / size);
            }
        }
        unreachable!("every duration is a whole number of nanoseconds")
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = Duration;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a duration string like \"250ms\", \"30s\" or \"5m\"")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Duration, E> {
                Duration::parse(value).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Duration, E> {
                Err(E::custom(format!(
                    "a duration needs a unit: write \"{value}ms\" or \"{value}s\", in quotes"
                )))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Duration, E> {
                Err(E::custom(format!(
                    "a duration needs a unit: write \"{value}ms\" or \"{value}s\", in quotes"
                )))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Duration, E> {
                Err(E::custom(format!(
                    "a duration needs a unit: write \"{value}s\", in quotes"
                )))
            }
        }
        deserializer.deserialize_any(DurationVisitor)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::Duration;

    #[test]
    fn parses_every_unit() {
        assert_eq!(Duration::parse("250us").unwrap().as_nanos(), 250_000);
        assert_eq!(Duration::parse("1.5ms").unwrap().as_nanos(), 1_500_000);
        assert_eq!(Duration::parse("30s").unwrap().as_nanos(), 30_000_000_000);
        assert_eq!(Duration::parse("5m").unwrap().as_nanos(), 300_000_000_000);
        assert_eq!(Duration::parse("1h").unwrap().as_nanos(), 3_600_000_000_000);
        assert_eq!(Duration::parse("7ns").unwrap().as_nanos(), 7);
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for bad in [
            "",
            "5",
            "ms",
            "-5ms",
            "1.2.3s",
            "5 minutes",
            "1e3ms",
            "400d",
        ] {
            assert!(Duration::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn displays_in_the_largest_exact_unit() {
        for text in ["250ms", "30s", "5m", "1h", "1500us", "0s"] {
            assert_eq!(Duration::parse(text).unwrap().to_string(), text);
        }
    }
}
