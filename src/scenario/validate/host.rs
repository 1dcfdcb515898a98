//! A host, as a fault or a network link names it: the resolved scenario's own type.

pub(super) use crate::scenario::resolved::Host;
