//! The rows of `events.csv` read as actions: what a controller, a breaker, an outlier detector
//! or a fault did, to whom, and when. The headline, the timeline and the charts' marks are all
//! drawn from these, so they cannot disagree.

use crate::run_data::EventRow;

/// One action, at one instant of the run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Action {
    pub time_s: f64,
    pub what: What,
    /// The service it concerns: `payment` for `payment/4` or a breaker on calls to payment.
    pub service: String,
    /// The event's subject as written: `payment/4`, `order`.
    pub subject: String,
    pub detail: String,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum What {
    RolloutStarted,
    /// A rollout moved to a new step: the new version's weight, or an iteration.
    RolloutStep,
    CheckPassed,
    CheckFailed,
    Promoted,
    RolledBack,
    /// A rolling update replaced an instance.
    InstanceReplaced,
    /// A breaker (in `caller`) moved to `open`, `half_open` or `closed`.
    Breaker {
        caller: String,
        to: String,
    },
    Ejected {
        by: String,
        out_ms: Option<f64>,
    },
    Returned {
        by: String,
    },
    Crashed,
    Restarted,
    Paused,
    Resumed,
    /// A caller found no endpoint for the service and failed fast (Linkerd).
    FailedFast,
    /// A retry budget started denying retries.
    BudgetDenied,
    Ready,
    /// A network fault beginning or ending: drawn as a shaded window, not a mark.
    NetworkFault,
}

impl Action {
    /// The action an event row records; `None` for a kind this build does not know.
    pub(crate) fn of(event: &EventRow) -> Option<Action> {
        let what = match event.kind.as_str() {
            "rollout_start" => What::RolloutStarted,
            "rollout_step" => What::RolloutStep,
            "rollout_check" if event.detail.starts_with("passed") => What::CheckPassed,
            "rollout_check" => What::CheckFailed,
            "rollout_promote" => What::Promoted,
            "rollout_rollback" => What::RolledBack,
            "rollout_instance" => What::InstanceReplaced,
            "circuit" => breaker(&event.detail)?,
            "ejection" => What::Ejected {
                by: by_whom(&event.detail),
                out_ms: out_for_ms(&event.detail),
            },
            "return" => What::Returned {
                by: by_whom(&event.detail),
            },
            "crash" => What::Crashed,
            "restart" => What::Restarted,
            "pause" => What::Paused,
            "resume" => What::Resumed,
            "failfast" => What::FailedFast,
            "retry_budget" => What::BudgetDenied,
            "ready" => What::Ready,
            "latency" | "partition" | "partition_oneway" | "loss" | "repair" => What::NetworkFault,
            _ => return None,
        };
        Some(Action {
            time_s: event.time_s,
            what,
            service: service_of(&event.subject),
            subject: event.subject.clone(),
            detail: event.detail.clone(),
        })
    }

    /// The run's actions in the order of `events.csv`, which is time order.
    pub(crate) fn all(events: &[EventRow]) -> Vec<Action> {
        events.iter().filter_map(Action::of).collect()
    }
}

/// `breaker in order/0: closed -> open`.
fn breaker(detail: &str) -> Option<What> {
    let rest = detail.strip_prefix("breaker in ")?;
    let (caller, change) = rest.split_once(": ")?;
    let (_, to) = change.split_once(" -> ")?;
    Some(What::Breaker {
        caller: caller.to_owned(),
        to: to.trim().to_owned(),
    })
}

/// `by order/1: consecutive 5xx, out for 30000 ms` gives `order/1`.
fn by_whom(detail: &str) -> String {
    let rest = detail.strip_prefix("by ").unwrap_or(detail);
    rest.split(':').next().unwrap_or(rest).trim().to_owned()
}

fn out_for_ms(detail: &str) -> Option<f64> {
    let (_, rest) = detail.split_once("out for ")?;
    rest.trim_end_matches(" ms").trim().parse().ok()
}

/// The service part of a subject: `payment/4` gives `payment`.
fn service_of(subject: &str) -> String {
    subject.split('/').next().unwrap_or(subject).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, subject: &str, detail: &str) -> EventRow {
        EventRow {
            time_s: 1.5,
            kind: kind.into(),
            subject: subject.into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn events_read_as_actions() {
        let open = Action::of(&event(
            "circuit",
            "payment",
            "breaker in order/0: closed -> open",
        ))
        .unwrap();
        assert_eq!(
            open.what,
            What::Breaker {
                caller: "order/0".into(),
                to: "open".into()
            }
        );
        let ejected = Action::of(&event(
            "ejection",
            "payment/4",
            "by order/1: consecutive 5xx, out for 30000 ms",
        ))
        .unwrap();
        assert_eq!(ejected.service, "payment");
        assert_eq!(
            ejected.what,
            What::Ejected {
                by: "order/1".into(),
                out_ms: Some(30000.0)
            }
        );
        let check = Action::of(&event("rollout_check", "order", "failed (1 of 3): ...")).unwrap();
        assert_eq!(check.what, What::CheckFailed);
        assert!(Action::of(&event("something_new", "x", "")).is_none());
    }
}
