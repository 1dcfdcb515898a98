//! A request an instance answers without serving it, and who said no.

use meshsim_record::{MeshEvent, ReasonKind, ServedResult};

/// Why an instance answers a request without serving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: u16,
    pub(crate) kind: ReasonKind,
    pub(crate) by: RefusedBy,
}

/// Who refuses a request decides what the refusal records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefusedBy {
    /// The kernel, for a process that cannot answer (nothing listens yet, or it died and its
    /// connections are reset): the instance records nothing.
    Kernel,
    /// The inbound proxy (403, the token bucket's 429): a span and a mesh event. The service
    /// never sees the request, so it does not count it served.
    Mesh(MeshEvent),
    /// The service itself (a 401, a client's 429, a full queue's 503): a span, counted served.
    Service(ServedResult),
}

impl Refusal {
    pub(crate) fn new(status: u16, kind: ReasonKind, by: RefusedBy) -> Refusal {
        Refusal { status, kind, by }
    }
}
