//! `on_error` on an entry of an endpoint's `calls`: what the endpoint does when the call has
//! failed its last try.

use serde::Deserialize;

/// `on_error = "fail"`, `"continue"` or `{ status = 503 }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum OnError {
    /// `"fail"` or `"continue"`; the checker refuses any other word, with a hint.
    Word(String),
    /// `{ status = 503 }`: stop and answer this status.
    Status(StatusAnswer),
}

/// `{ status = N }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusAnswer {
    pub status: u16,
}
