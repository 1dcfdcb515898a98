//! Which pod the current task runs as: the key a connector finds its sidecar by.

tokio::task_local! {
    /// The number of the pod whose code the current task runs: set around the code's factory
    /// and around every connection its server serves.
    pub(super) static POD: usize;
}
