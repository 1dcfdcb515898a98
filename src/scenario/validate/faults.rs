//! `[[fault]]`: each kind's keys, its timing, and the hosts it acts on.

use super::checker::{Checker, root};
use super::host::Host;
use crate::scenario::diagnostic::quote;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::resolved;
use crate::scenario::schema::{Fault, FaultKind};

impl Checker<'_, '_> {
    pub(super) fn check_faults(&mut self) {
        let faults = &self.scenario.faults;
        self.count_limit(&root("fault"), faults.len(), limits::FAULTS_MAX, "faults");
        for (index, fault) in faults.iter().enumerate() {
            self.check_fault(&root("fault").index(index), index, fault);
        }
    }

    fn check_fault(&mut self, path: &DocPath, index: usize, fault: &Fault) {
        let end = self.scenario.scenario.duration;
        if fault.at >= end && !end.is_zero() {
            self.error(
                &path.key("at"),
                format!(
                    "fault at {} starts after the scenario ends at {end}",
                    fault.at
                ),
            )
            .set_hint(
                "`at` is measured from the start of the run; [scenario] `duration` is when it ends",
            );
        }
        if let Some(duration) = fault.duration {
            self.positive_duration(&path.key("duration"), duration);
        }
        let kind = fault.kind;
        let (required, allowed): (&[&str], &[&str]) = match kind {
            FaultKind::Partition | FaultKind::PartitionOneway => {
                (&["between"], &["between", "duration"])
            }
            FaultKind::Latency => (&["between", "add"], &["between", "add", "duration"]),
            FaultKind::Loss => (&["loss"], &["loss", "between", "duration"]),
            FaultKind::Crash => (&["target"], &["target", "restart_after"]),
            FaultKind::Pause => (&["target"], &["target", "duration"]),
        };
        let present = [
            ("duration", fault.duration.is_some()),
            ("between", fault.between.is_some()),
            ("target", fault.target.is_some()),
            ("restart_after", fault.restart_after.is_some()),
            ("add", fault.add.is_some()),
            ("loss", fault.loss.is_some()),
        ];
        for (key, is_present) in present {
            if is_present && !allowed.contains(&key) {
                let hint = if kind == FaultKind::Crash && key == "duration" {
                    "a crashed process stays down until it restarts: use restart_after = \"20s\""
                        .to_owned()
                } else {
                    format!("a {} fault takes {}", kind.name(), key_list(allowed))
                };
                self.error_at_key(
                    &path.key(key),
                    format!("`{key}` does not apply to a {} fault", kind.name()),
                )
                .set_hint(hint);
            }
        }
        for key in required {
            let is_present = present
                .iter()
                .any(|(name, is_present)| name == key && *is_present);
            if !is_present {
                self.error(&path.key(key), format!("a {} fault needs `{key}`", kind.name()))
                    .set_hint(match *key {
                        "between" => "between = [\"order\", \"payment\"]: services, instances (\"payment/1\") or workloads",
                        "add" => "add = \"200ms\": added to every hop's one-way latency",
                        "loss" => "loss = 0.1: the probability that a message is dropped",
                        _ => "target = \"payment/0\": a service (all its instances), an instance or a workload",
                    });
            }
        }
        let between = match &fault.between {
            Some(between) if allowed.contains(&"between") => {
                self.check_between(&path.key("between"), between, kind)
            }
            _ => None,
        };
        let target = match &fault.target {
            Some(target) if allowed.contains(&"target") => {
                self.host_ref(&path.key("target"), target)
            }
            _ => None,
        };
        self.resolving.faults[index] = resolved_fault(fault, between, target);
        if let Some(add) = fault.add {
            self.positive_duration(&path.key("add"), add);
        }
        if let Some(loss) = fault.loss {
            self.probability(&path.key("loss"), loss.get());
        }
    }

    /// Checks a fault's two hosts; returns them when both resolve.
    fn check_between(
        &mut self,
        path: &DocPath,
        between: &[String],
        kind: FaultKind,
    ) -> Option<[Host; 2]> {
        if between.len() != 2 {
            let shape = if kind == FaultKind::PartitionOneway {
                ", from and to"
            } else {
                ""
            };
            self.error(path, format!("`between` needs exactly two hosts{shape}, not {}", between.len()))
                .set_hint("between = [\"order\", \"payment\"]: services, instances (\"payment/1\") or workloads");
            return None;
        }
        let first = self.host_ref(&path.index(0), &between[0]);
        let second = self.host_ref(&path.index(1), &between[1]);
        let (Some(first), Some(second)) = (first, second) else {
            return None;
        };
        let overlap = match (first, second) {
            (Host::Service(a), Host::Instance(b, _)) | (Host::Instance(b, _), Host::Service(a)) => {
                a == b
            }
            _ => first == second,
        };
        if overlap {
            self.error(
                path,
                format!(
                    "the two sides of `between` overlap: {} and {}",
                    quote(&between[0]),
                    quote(&between[1])
                ),
            )
            .set_hint("a network fault acts on messages between two different hosts");
        }
        Some([first, second])
    }
}

/// `fault` with its hosts resolved, when it has every key its kind needs.
fn resolved_fault(
    fault: &Fault,
    between: Option<[Host; 2]>,
    target: Option<Host>,
) -> Option<resolved::Fault> {
    Some(match fault.kind {
        FaultKind::Partition | FaultKind::PartitionOneway => resolved::Fault::Partition {
            between: between?,
            one_way: fault.kind == FaultKind::PartitionOneway,
        },
        FaultKind::Latency => resolved::Fault::Latency {
            between: between?,
            add: fault.add?,
        },
        FaultKind::Loss => resolved::Fault::Loss {
            between: match fault.between {
                Some(_) => Some(between?),
                None => None,
            },
            loss: fault.loss?,
        },
        FaultKind::Crash => resolved::Fault::Crash {
            target: target?,
            restart_after: fault.restart_after,
        },
        FaultKind::Pause => resolved::Fault::Pause { target: target? },
    })
}

fn key_list(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|key| format!("`{key}`")).collect();
    quoted.join(", ")
}
