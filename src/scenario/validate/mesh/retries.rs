//! `[mesh.NAME.retries]`: Envoy's and Istio's retry policy, Linkerd's annotations and its
//! ServiceProfile budget.

use crate::profile::Profile;
use crate::scenario::duration::Duration;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::schema::{MeshPolicy, Retries, RetryBudget, RetryOn};
use crate::scenario::validate::checker::{Checker, number};

/// Envoy's `host_selection_retry_max_attempts` gets a bound of meshsim's: each draw is a pick.
const HOST_SELECTION_ATTEMPTS_MAX: u32 = 100;

impl Checker<'_, '_> {
    pub(super) fn check_retries(
        &mut self,
        retries_path: &DocPath,
        policy: &MeshPolicy,
        retries: &Retries,
    ) {
        if let Some(attempts) = retries.attempts {
            self.whole_at_most(
                &retries_path.key("attempts"),
                u64::from(attempts),
                u64::from(limits::RETRY_ATTEMPTS_MAX),
                "retries",
            );
        }
        if let Some(per_try_timeout) = retries.per_try_timeout {
            self.positive_duration(&retries_path.key("per_try_timeout"), per_try_timeout);
            if let Some(timeout) = policy.timeout
                && per_try_timeout >= timeout
                && self.scenario.profile() != Profile::Linkerd
            {
                self.warning(
                    &retries_path.key("per_try_timeout"),
                    format!("`per_try_timeout` {per_try_timeout} is not below the route's `timeout` {timeout}: Envoy ignores it"),
                )
                .set_hint("the route timeout covers every try; a per-try timeout must be shorter to act");
            }
        }
        if let Some(base) = retries.backoff_base {
            self.positive_duration(&retries_path.key("backoff_base"), base);
            if let Some(max) = retries.backoff_max
                && max < base
            {
                self.error(
                    &retries_path.key("backoff_max"),
                    format!("`backoff_max` {max} is below `backoff_base` {base}"),
                );
            }
        }
        if let Some(budget) = retries.budget_percent {
            self.percent(&retries_path.key("budget_percent"), budget.get());
        }
        if let Some(codes) = &retries.retriable_status_codes {
            for (index, code) in codes.iter().enumerate() {
                self.status(
                    &retries_path.key("retriable_status_codes").index(index),
                    *code,
                );
            }
        }
        if let Some(attempts) = retries.host_selection_retry_max_attempts {
            self.whole_at_most(
                &retries_path.key("host_selection_retry_max_attempts"),
                u64::from(attempts),
                u64::from(HOST_SELECTION_ATTEMPTS_MAX),
                "host selections",
            );
        }
        self.check_retry_on(retries_path, retries);
        self.check_retries_do_something(retries_path, retries);
        if let Some(budget) = &retries.retry_budget
            && self.scenario.profile() == Profile::Linkerd
        {
            self.check_service_profile_retries(retries_path, retries, budget);
        }
    }

    /// The words of `retry_on` the profile's product reads, and those that match nothing an
    /// HTTP service answers.
    fn check_retry_on(&mut self, retries_path: &DocPath, retries: &Retries) {
        let Some(words) = &retries.retry_on else {
            return;
        };
        let profile = self.scenario.profile();
        for (index, word) in words.iter().enumerate() {
            let word_path = retries_path.key("retry_on").index(index);
            if profile == Profile::Linkerd
                && !matches!(word, RetryOn::FiveXx | RetryOn::GatewayError)
            {
                self.error(
                    &word_path,
                    format!("Linkerd's retry.linkerd.io/http has no `{}`", word.name()),
                )
                .set_hint("Linkerd retries \"5xx\" or \"gateway-error\" answers, or the codes in retriable_status_codes; a refused connection is a 502");
            } else if word.is_grpc() {
                self.warning(
                    &word_path,
                    format!(
                        "`{}` matches a gRPC status, never an HTTP answer: it retries nothing here",
                        word.name()
                    ),
                )
                .set_hint("meshsim's services speak HTTP; use \"5xx\", \"gateway-error\" or retriable_status_codes");
            } else if *word == RetryOn::RefusedStream && profile != Profile::Linkerd {
                self.warning(
                    &word_path,
                    "`refused-stream` is HTTP/2's REFUSED_STREAM, never a refused connection: it retries nothing here",
                )
                .set_hint("a refused connection is `connect-failure`");
            }
        }
    }

    /// A `retries` block that retries nothing says so.
    fn check_retries_do_something(&mut self, retries_path: &DocPath, retries: &Retries) {
        let profile = self.scenario.profile();
        let has_words = retries.retry_on.as_ref().is_some_and(|on| !on.is_empty());
        match profile {
            Profile::Istio if retries.attempts.unwrap_or(0) == 0 => {
                self.warning(
                    retries_path,
                    "these retries retry nothing: Istio turns retries off when `attempts` is 0 or left out",
                )
                .set_hint("add attempts = 2 (Istio's default policy's)");
            }
            Profile::Envoy if !has_words => {
                self.warning(
                    retries_path,
                    "these retries retry nothing: Envoy retries only what `retry_on` names",
                )
                .set_hint("add retry_on = [\"5xx\"] or [\"connect-failure\", \"reset\"]");
            }
            Profile::Envoy
                if retries.retriable_status_codes.is_some()
                    && !retries
                        .retry_on
                        .as_ref()
                        .is_some_and(|on| on.contains(&RetryOn::RetriableStatusCodes)) =>
            {
                self.warning(
                    &retries_path.key("retriable_status_codes"),
                    "Envoy reads `retriable_status_codes` only with `retriable-status-codes` in `retry_on`",
                )
                .set_hint("add \"retriable-status-codes\" to retry_on");
            }
            Profile::Linkerd
                if retries.retry_budget.is_none()
                    && !has_words
                    && retries.retriable_status_codes.is_none() =>
            {
                self.warning(
                    retries_path,
                    "these retries retry no answer: without `retry_on`, Linkerd retries only a try out of `per_try_timeout`",
                )
                .set_hint("add retry_on = [\"5xx\"] (retry.linkerd.io/http)");
            }
            _ => {}
        }
    }

    /// Linkerd's ServiceProfile retries: a budget, and nothing of the annotations.
    fn check_service_profile_retries(
        &mut self,
        retries_path: &DocPath,
        retries: &Retries,
        budget: &RetryBudget,
    ) {
        for (key, set) in [
            ("attempts", retries.attempts.is_some()),
            ("per_try_timeout", retries.per_try_timeout.is_some()),
            ("retry_on", retries.retry_on.is_some()),
            (
                "retriable_status_codes",
                retries.retriable_status_codes.is_some(),
            ),
        ] {
            if set {
                self.error_at_key(
                    &retries_path.key(key),
                    format!("ServiceProfile retries have no `{key}`: the budget alone limits them"),
                )
                .set_hint("drop this key, or drop `retry_budget` for Linkerd's annotated retries (retry.linkerd.io/*)");
            }
        }
        let budget_path = retries_path.key("retry_budget");
        if let Some(ratio) = budget.retry_ratio
            && !(0.0..=1000.0).contains(&ratio.get())
        {
            self.error(
                &budget_path.key("retry_ratio"),
                format!(
                    "`retry_ratio` is from 0 to 1000, not {}",
                    number(ratio.get())
                ),
            );
        }
        if let Some(ttl) = budget.ttl
            && !(Duration::from_secs(1)..=Duration::from_secs(60)).contains(&ttl)
        {
            self.error(
                &budget_path.key("ttl"),
                format!("`ttl` is from 1s to 60s, not {ttl}"),
            )
            .set_hint("Linkerd's proxy refuses a retry budget ttl outside 1 to 60 seconds");
        }
    }
}
