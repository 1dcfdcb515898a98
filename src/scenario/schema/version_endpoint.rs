//! `[[service.version.endpoint]]`: what one endpoint does differently in one version.

use serde::Deserialize;

use super::{CallEntry, Distribution};
use crate::scenario::number::Real;

/// One endpoint of the service, named, with the keys this version replaces; a key left out
/// keeps the endpoint's own. Istio's Bookinfo is the reference: reviews v1 calls nothing, v2
/// and v3 call ratings, each with its own timeout.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionEndpoint {
    /// The name of one of the service's `[[service.endpoint]]`s.
    pub name: String,
    pub service_time: Option<Distribution>,
    pub error_rate: Option<Real>,
    /// `calls = []` replaces the endpoint's calls with none.
    pub calls: Option<Vec<CallEntry>>,
}

impl VersionEndpoint {
    /// Whether the entry replaces any key at all.
    pub fn replaces_anything(&self) -> bool {
        self.service_time.is_some() || self.error_rate.is_some() || self.calls.is_some()
    }
}
