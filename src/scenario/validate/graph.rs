//! The graph of synchronous calls between endpoints, which `cycles.rs` walks.

use indexmap::IndexMap;

use crate::scenario::locate::DocPath;

/// Synchronous calls between endpoints, `(service index, endpoint index)` to the same, with the
/// path of each call so a cycle can point at the call that closes it.
#[derive(Default)]
pub(super) struct CallGraph {
    pub(super) edges: IndexMap<EndpointId, Vec<(EndpointId, DocPath)>>,
}

/// An endpoint as `(service index, endpoint index)`.
pub(super) type EndpointId = (usize, usize);

impl CallGraph {
    /// Records that `from` calls `to` synchronously, at `path`.
    pub(super) fn add_call(&mut self, from: EndpointId, to: EndpointId, path: DocPath) {
        self.edges.entry(from).or_default().push((to, path));
    }
}
