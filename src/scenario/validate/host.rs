//! A host, as a fault or a network link names it.

/// A host a fault or a link can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Host {
    Service(usize),
    Instance(usize, u64),
    Workload(usize),
    Broker(usize),
    Store(usize),
}
