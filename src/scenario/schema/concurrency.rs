//! `concurrency` on `[[service]]`: how an instance serves requests at once.

use serde::Deserialize;

use super::Real;

/// `concurrency = "threads"` (the default) or `"event_loop"`; the checker refuses any other
/// word, with a hint.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Concurrency(pub String);

impl Concurrency {
    /// The words `concurrency` takes.
    pub const WORDS: [&'static str; 2] = ["threads", "event_loop"];

    /// Whether the service runs Node.js-style event loops rather than a thread per request.
    pub fn is_event_loop(&self) -> bool {
        self.0 == "event_loop"
    }
}

impl super::Service {
    /// Whether the service runs event loops (`concurrency = "event_loop"`).
    pub fn is_event_loop(&self) -> bool {
        self.concurrency
            .as_ref()
            .is_some_and(Concurrency::is_event_loop)
    }

    /// The cores one instance's own work runs on: `cores`, or one per event-loop process;
    /// `None`: unlimited.
    pub fn cores_per_instance(&self) -> Option<f64> {
        if self.is_event_loop() {
            Some(f64::from(self.workers))
        } else {
            self.cores.map(Real::get)
        }
    }
}
