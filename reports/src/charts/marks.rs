//! The marks a time chart draws: the actions that concern its subject, in a few words each,
//! alike actions close together merged into one (`open ×2`) so a flapping breaker does not
//! blacken the chart.

use super::EventMark;
use crate::story::{Action, Tone, What};

/// Marks closer than this share of the run are merged when they read alike.
const MERGE_SHARE: f64 = 1.0 / 100.0;

/// The marks of the charts of one subject: a workload's charts take every action that decides
/// a run (the workload is what users feel), a service's those that concern it.
pub(crate) fn marks_for(actions: &[Action], service: Option<&str>, end_s: f64) -> Vec<EventMark> {
    let mut marks: Vec<(EventMark, u32)> = Vec::new();
    for action in actions {
        if service.is_some_and(|service| action.service != service) {
            continue;
        }
        let Some((label, tone)) = mark(action, service.is_none()) else {
            continue;
        };
        let merge_s = end_s * MERGE_SHARE;
        // Marks are in time order: only those within the window can take this one.
        if let Some((_, count)) = marks
            .iter_mut()
            .rev()
            .take_while(|(mark, _)| action.time_s - mark.time_s <= merge_s)
            .find(|(mark, _)| mark.label == label)
        {
            *count += 1;
            continue;
        }
        marks.push((
            EventMark {
                time_s: action.time_s,
                label,
                tone,
            },
            1,
        ));
    }
    marks
        .into_iter()
        .map(|(mark, count)| {
            if count > 1 {
                EventMark {
                    label: format!("{} ×{count}", mark.label),
                    ..mark
                }
            } else {
                mark
            }
        })
        .collect()
}

/// An action's label and tone on a chart; `None` for actions a chart leaves to the fault
/// shading (network faults) or to the timeline (half-open probes, returns, instance swaps on a
/// workload's chart).
fn mark(action: &Action, for_workload: bool) -> Option<(String, Tone)> {
    let instance = || action.subject.rsplit('/').next().unwrap_or("").to_owned();
    Some(match &action.what {
        What::RolloutStarted => ("rollout".to_owned(), Tone::Neutral),
        What::RolloutStep => (action.detail.replace(" weight ", " "), Tone::Good),
        What::CheckPassed => ("check ok".to_owned(), Tone::Good),
        What::CheckFailed => ("check failed".to_owned(), Tone::Bad),
        What::Promoted => ("promoted".to_owned(), Tone::Good),
        What::RolledBack => ("rollback".to_owned(), Tone::Bad),
        What::InstanceReplaced if !for_workload => ("new instance".to_owned(), Tone::Neutral),
        What::Breaker { to, .. } => match to.as_str() {
            "open" => (format!("{} breaker open", action.service), Tone::Bad),
            "closed" => (format!("{} breaker closed", action.service), Tone::Good),
            _ => return None,
        },
        What::Ejected { .. } => (format!("ejected {}", action.subject), Tone::Bad),
        What::Returned { .. } if !for_workload => (format!("back {}", instance()), Tone::Neutral),
        What::Crashed => (format!("crash {}", action.subject), Tone::Bad),
        What::Restarted => (format!("restart {}", action.subject), Tone::Good),
        What::FailedFast => ("fail fast".to_owned(), Tone::Bad),
        What::BudgetDenied => ("retry budget".to_owned(), Tone::Bad),
        What::Ready if !for_workload => (format!("ready {}", action.subject), Tone::Good),
        _ => return None,
    })
}
