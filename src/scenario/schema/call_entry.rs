//! An entry of an endpoint's `calls`: one call `{ service, endpoint, ... }` (or a publish, or a
//! store operation), or `{ parallel = [CALL, ...] }`, calls that go out at once.
//!
//! Both forms are TOML tables, told apart by the `parallel` key. An entry with `parallel` and a
//! call's keys beside it is refused here, with what each form holds; a `parallel` inside a
//! `parallel`, which reads as TOML, is refused by the checker, with a hint.

use serde::{Deserialize, Deserializer};

use super::{Call, Distribution, OnError};
use crate::scenario::duration::Duration;
use crate::scenario::number::Real;

/// One entry of `calls`.
// A scenario holds a few hundred entries, read once at load: boxing a call would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum CallEntry {
    /// One call, made after the entries before it have answered.
    Call(Call),
    /// `{ parallel = [CALL, ...] }`: the members go out at once; the step ends when all have
    /// answered.
    Parallel(Vec<CallEntry>),
}

impl CallEntry {
    /// The calls the entry makes: itself, or its members (and theirs, in an entry the checker
    /// refuses), in the order written.
    pub fn calls(&self) -> Vec<&Call> {
        match self {
            CallEntry::Call(call) => vec![call],
            CallEntry::Parallel(members) => members.iter().flat_map(CallEntry::calls).collect(),
        }
    }
}

/// What the file's table holds, before it is read as one form or the other.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    parallel: Option<Vec<CallEntry>>,
    service: Option<String>,
    endpoint: Option<String>,
    topic: Option<String>,
    store: Option<String>,
    op: Option<String>,
    timeout: Option<Duration>,
    retries: Option<u32>,
    retry_backoff: Option<Distribution>,
    on_error: Option<OnError>,
    probability: Option<Real>,
}

impl<'de> Deserialize<'de> for CallEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawEntry::deserialize(deserializer)?;
        let call = Call {
            service: raw.service,
            endpoint: raw.endpoint,
            topic: raw.topic,
            store: raw.store,
            op: raw.op,
            timeout: raw.timeout,
            retries: raw.retries,
            retry_backoff: raw.retry_backoff,
            on_error: raw.on_error,
            probability: raw.probability,
        };
        let Some(members) = raw.parallel else {
            return Ok(CallEntry::Call(call));
        };
        if let Some(key) = call.first_key() {
            return Err(serde::de::Error::custom(format!(
                "an entry of `calls` is one call or `{{ parallel = [CALL, ...] }}`, not both: `parallel` has `{key}` beside it; move `{key}` into a member of `parallel` (each member takes its own timeout, retries, on_error, probability)"
            )));
        }
        Ok(CallEntry::Parallel(members))
    }
}

impl Call {
    /// The first key the call sets, in the order the format lists them.
    fn first_key(&self) -> Option<&'static str> {
        [
            ("service", self.service.is_some()),
            ("endpoint", self.endpoint.is_some()),
            ("topic", self.topic.is_some()),
            ("store", self.store.is_some()),
            ("op", self.op.is_some()),
            ("timeout", self.timeout.is_some()),
            ("retries", self.retries.is_some()),
            ("retry_backoff", self.retry_backoff.is_some()),
            ("on_error", self.on_error.is_some()),
            ("probability", self.probability.is_some()),
        ]
        .into_iter()
        .find_map(|(key, set)| set.then_some(key))
    }
}
