//! Where a call goes. Its own file so the service instance and the saga that it runs both name
//! it without importing each other.

/// A call an endpoint makes: the sidecar's upstream index and the callee's endpoint index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallTarget {
    pub upstream: u16,
    pub endpoint: u32,
}
