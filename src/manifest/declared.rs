//! What the included files declare, in meshsim's terms, each value with the place it came from:
//! the translations of the kinds write it, and `merge.rs` folds it into the scenario.

use indexmap::IndexMap;

use super::reader::Place;
use crate::scenario::Duration;
use crate::scenario::Real;
use crate::scenario::schema::{Autoscale, MeshPolicy, Rollout};

/// A value and the bytes of the file that set it.
#[derive(Debug, Clone)]
pub(crate) struct Sourced<T> {
    pub(crate) value: T,
    pub(crate) place: Place,
}

impl<T> Sourced<T> {
    pub(crate) fn new(value: T, place: Place) -> Self {
        Sourced { value, place }
    }
}

/// Everything the included files declare.
#[derive(Debug, Default)]
pub(crate) struct Declared {
    /// By the name callers use (a Kubernetes Service's, a Compose service's).
    pub(crate) services: IndexMap<String, DeclaredService>,
    /// `[mesh.SERVICE]` as the mesh's resources set it, by callee.
    pub(crate) mesh: IndexMap<String, DeclaredMesh>,
    pub(crate) rollouts: Vec<Sourced<Rollout>>,
}

/// A service: its instances, how they start, and its other versions.
#[derive(Debug, Clone)]
pub(crate) struct DeclaredService {
    /// The document that declared it first (a Deployment's or a Service's name).
    pub(crate) place: Place,
    /// Instances of its own version, `v1`.
    pub(crate) replicas: Option<Sourced<u32>>,
    pub(crate) start_time: Option<Sourced<Duration>>,
    pub(crate) cores: Option<Sourced<Real>>,
    pub(crate) autoscale: Option<Sourced<Autoscale>>,
    pub(crate) exposed: Option<Sourced<bool>>,
    pub(crate) depends_on: Option<Sourced<Vec<String>>>,
    /// Docker Compose networks: the service reaches only hosts on one of them.
    pub(crate) networks: Option<Sourced<Vec<String>>>,
    /// Versions besides `v1`, by the name their `version` label gives.
    pub(crate) versions: IndexMap<String, Sourced<u32>>,
    /// Whether a Deployment (or a Compose service) runs it; a Service alone declares only a name
    /// callers use, which answers `no_healthy_upstream` until something backs it.
    pub(crate) deployed: bool,
}

impl DeclaredService {
    pub(crate) fn new(place: Place) -> Self {
        DeclaredService {
            place,
            replicas: None,
            start_time: None,
            cores: None,
            autoscale: None,
            exposed: None,
            depends_on: None,
            networks: None,
            versions: IndexMap::new(),
            deployed: false,
        }
    }
}

/// `[mesh.SERVICE]` from the mesh's resources, with where each key came from.
#[derive(Debug, Clone, Default)]
pub(crate) struct DeclaredMesh {
    pub(crate) policy: MeshPolicy,
    /// By key of `[mesh.SERVICE]` (`"timeout"`, `"route"`, `"outlier_detection"`).
    pub(crate) places: IndexMap<&'static str, Place>,
    /// Each route's rule, in the routes' order, so a problem with one route points at its rule.
    pub(crate) route_places: Vec<Place>,
    /// `allow_from` as every service of the scenario but these (a `DENY` policy's sources;
    /// none for STRICT mTLS, which refuses only callers without a sidecar): the scenario's
    /// services are known only once the TOML is merged.
    pub(crate) allow_all_services_but: Option<Vec<String>>,
}

impl DeclaredMesh {
    /// Records where `key` was set; the first document to set it keeps it.
    pub(crate) fn set_place(&mut self, key: &'static str, place: Place) {
        self.places.entry(key).or_insert(place);
    }
}
