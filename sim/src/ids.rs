//! The ids of nodes and groups. Their own file so the model's interface and the records it
//! emits both name them without importing each other.

/// A node: one host of the simulation (a service instance, a workload's client, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A named group of nodes (a service's instances, or one workload's client); links, partitions
/// and statistics are kept per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub u32);

impl GroupId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
