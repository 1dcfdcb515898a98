//! The application's own keys on an entry of an endpoint's `calls`: `timeout`, `retries`,
//! `retry_backoff`, `on_error` and `probability`.

use super::checker::Checker;
use crate::scenario::diagnostic::{did_you_mean, quote};
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::number::Real;
use crate::scenario::resolved::{CallBehaviour, CallFailure};
use crate::scenario::schema::{Call, OnError};

const ON_ERROR_WORDS: [&str; 2] = ["fail", "continue"];

impl Checker<'_, '_> {
    /// Checks the application's keys of an entry of an endpoint's `calls` (or of a member of
    /// a `parallel`) at `path`.
    pub(super) fn call_behaviour(&mut self, path: &DocPath, call: &Call) -> CallBehaviour {
        if let Some(timeout) = call.timeout {
            self.positive_duration(&path.key("timeout"), timeout);
        }
        let retries = call.retries.unwrap_or(0);
        self.whole_at_most(
            &path.key("retries"),
            u64::from(retries),
            u64::from(limits::CALL_RETRIES_MAX),
            "(each try goes through the mesh, whose retries multiply it)",
        );
        if let Some(backoff) = &call.retry_backoff {
            self.distribution(&path.key("retry_backoff"), backoff);
        }
        let probability = call.probability.map_or(1.0, Real::get);
        self.probability(&path.key("probability"), probability);
        CallBehaviour {
            timeout: call.timeout,
            retries,
            on_error: self.on_error(&path.key("on_error"), call.on_error.as_ref()),
            probability,
        }
    }

    fn on_error(&mut self, path: &DocPath, on_error: Option<&OnError>) -> CallFailure {
        const HINT: &str = "on_error is \"fail\" (answer 500), \"continue\" (go on without the call's answer) or { status = 503 } (answer this status)";
        match on_error {
            None => CallFailure::Fail,
            Some(OnError::Word(word)) if word == "fail" => CallFailure::Fail,
            Some(OnError::Word(word)) if word == "continue" => CallFailure::Continue,
            Some(OnError::Word(word)) => {
                let hint = match did_you_mean(word, ON_ERROR_WORDS.iter().copied()) {
                    Some(close) => format!("did you mean {}? {HINT}", quote(close)),
                    None => HINT.to_owned(),
                };
                self.error(path, format!("unknown on_error {}", quote(word)))
                    .set_hint(hint);
                CallFailure::Fail
            }
            Some(OnError::Status(answer)) => {
                if !(400..=599).contains(&answer.status) {
                    self.error(
                        &path.key("status"),
                        format!(
                            "on_error answers a failure: status 400 to 599, not {}",
                            answer.status
                        ),
                    )
                    .set_hint(
                        "to go on as if the call had succeeded, write on_error = \"continue\"",
                    );
                }
                CallFailure::Status(answer.status)
            }
        }
    }

    /// An `on_failure` call or a saga step has no application keys: they belong to `calls`.
    pub(super) fn no_behaviour(&mut self, path: &DocPath, call: &Call) {
        let keys = [
            ("timeout", call.timeout.is_some()),
            ("retries", call.retries.is_some()),
            ("retry_backoff", call.retry_backoff.is_some()),
            ("on_error", call.on_error.is_some()),
            ("probability", call.probability.is_some()),
        ];
        if let Some((key, _)) = keys.iter().find(|(_, set)| *set) {
            self.error(
                &path.key(key),
                format!("`{key}` is for an entry of an endpoint's `calls`, not here"),
            )
            .set_hint("an on_failure call or a saga step is made once, as the mesh makes it: set retries and timeouts in the mesh's policy");
        }
    }
}
