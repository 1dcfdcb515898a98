//! A distribution of durations as a scenario writes it: `{ dist = "exp", mean = "2ms" }`.

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer};

use crate::scenario::duration::Duration;
use crate::scenario::number::Real;

/// A distribution of durations.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum Distribution {
    Const {
        value: Duration,
    },
    Uniform {
        min: Duration,
        max: Duration,
    },
    Exp {
        mean: Duration,
    },
    /// Cut at zero.
    Normal {
        mean: Duration,
        stddev: Duration,
    },
    Lognormal {
        median: Duration,
        p99: Duration,
    },
    /// Each draw is one of the samples, each equally likely (resampling: the bootstrap); the
    /// samples are written inline or read from a CSV, exactly one of the two.
    Empirical {
        samples: Option<Vec<Duration>>,
        file: Option<SampleFile>,
    },
    /// A part chosen by weight, then a draw from that part.
    Mixture {
        parts: Vec<MixturePart>,
    },
}

/// One part of a mixture: `{ weight = 0.9, dist = { dist = "exp", mean = "1ms" } }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixturePart {
    pub weight: Real,
    pub dist: Distribution,
}

/// `file = "times.csv"`: a CSV of samples, its path relative to the scenario file.
///
/// The checker reads the file and keeps its samples here, so the file is read once, and a
/// scenario changed in memory and checked again (with no folder to resolve the path against)
/// keeps the samples it was loaded with.
#[derive(Debug, Clone)]
pub struct SampleFile {
    pub path: String,
    samples_ns: OnceLock<Arc<[u64]>>,
}

impl SampleFile {
    /// The file's samples in nanoseconds, once the checker has read them.
    pub fn samples_ns(&self) -> Option<&Arc<[u64]>> {
        self.samples_ns.get()
    }

    /// Keeps the samples read from the file; samples kept before stay.
    pub(crate) fn keep(&self, samples_ns: Arc<[u64]>) {
        // A second keep is a second check of the same scenario: the first read stands.
        let _ = self.samples_ns.set(samples_ns);
    }
}

impl<'de> Deserialize<'de> for SampleFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(SampleFile {
            path: String::deserialize(deserializer)?,
            samples_ns: OnceLock::new(),
        })
    }
}
