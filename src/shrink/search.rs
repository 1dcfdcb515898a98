//! The search: a ddmin-style reduction of a fault timeline, then each fault shortened and moved
//! later, while an oracle keeps saying the candidate fails.

use std::collections::BTreeMap;

use super::step::Step;
use crate::fault_timeline::FaultSpec;
use crate::scenario::Duration;

/// What the oracle says of a candidate timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// At least one of the expectations that failed at first still fails.
    StillFails,
    /// Every one of them passes now (or the run was wrong in another way).
    Passes,
    /// The candidate is not a valid scenario; it was not run and costs no run.
    Invalid,
}

/// What a search may do.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// The scenario's `duration`: every fault starts, and a moved one ends, inside the run.
    pub run_end: Duration,
    /// The most candidates the oracle runs (invalid ones and repeats cost nothing).
    pub max_runs: u32,
}

/// Where a search ended.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The smallest timeline found that still fails.
    pub faults: Vec<FaultSpec>,
    /// The steps taken, in order (the command hears them as they happen, through `on_step`).
    pub steps: Vec<Step>,
    /// Candidates the oracle ran.
    pub runs: u32,
    /// The search stopped because `max_runs` was reached, not at a fixed point.
    pub budget_spent: bool,
}

/// A fault's number for the user: its place in the original file, from 1.
pub(crate) fn fault_number(spec: &FaultSpec, position: usize) -> usize {
    spec.origin.unwrap_or(position) + 1
}

/// The shortest length a fault is shortened to: a hundredth of the run, at least 10 ms and at
/// most a second. Shorter than that, a fault says little more about the failure and takes a
/// microscope to read.
pub(crate) fn length_floor(run_end: Duration) -> Duration {
    let nanos = (run_end.as_nanos() / 100).clamp(10_000_000, 1_000_000_000);
    Duration::from_nanos(nanos)
}

/// How finely a value of `nanos` is written: whole seconds from 10 s, tenths from 1 s, whole
/// milliseconds below. Candidates are rounded down to it so the shrunk file reads `7s`, not
/// `7.03125s`.
fn granularity(nanos: u64) -> u64 {
    match nanos {
        10_000_000_000.. => 1_000_000_000,
        1_000_000_000.. => 100_000_000,
        _ => 1_000_000,
    }
}

fn round_down(nanos: u64, step: u64) -> u64 {
    nanos - nanos % step
}

/// Probes between an accepted value and a rejected one after halving stopped: a few, so one
/// fault cannot spend the budget on the last percent.
const BISECTIONS_MAX: u32 = 3;

/// Whole passes (removal, then each fault's length and start) before giving up on a fixed
/// point; each pass that changes nothing ends the search, so this bound is only a backstop.
const PASSES_MAX: u32 = 64;

/// The two numbers of a fault the search moves.
#[derive(Debug, Clone, Copy)]
enum Knob {
    Length,
    Start,
}

struct Search<'o> {
    current: Vec<FaultSpec>,
    bounds: Bounds,
    floor: Duration,
    runs: u32,
    budget_spent: bool,
    /// Verdicts by candidate, so a probe repeated in a later pass costs no run.
    seen: BTreeMap<String, Verdict>,
    steps: Vec<Step>,
    oracle: &'o mut dyn FnMut(&[FaultSpec]) -> Verdict,
    on_step: &'o mut dyn FnMut(&Step),
}

/// Shrinks `faults`, a timeline the oracle says fails, while the oracle keeps saying so: first
/// removal (all at once, then halves and smaller chunks, then one by one, as ddmin does), then for
/// each fault its length halved toward [`length_floor`] and its start moved later toward the end
/// of the run, in passes until one changes nothing or `max_runs` candidates have run.
/// `on_step` hears each accepted step as it happens.
pub fn shrink_timeline(
    faults: Vec<FaultSpec>,
    bounds: Bounds,
    oracle: &mut dyn FnMut(&[FaultSpec]) -> Verdict,
    on_step: &mut dyn FnMut(&Step),
) -> Shrunk {
    let mut search = Search {
        seen: BTreeMap::new(),
        floor: length_floor(bounds.run_end),
        current: faults,
        bounds,
        runs: 0,
        budget_spent: false,
        steps: Vec::new(),
        oracle,
        on_step,
    };
    // The timeline given is known to fail.
    let start = key(&search.current);
    search.seen.insert(start, Verdict::StillFails);
    let count = search.current.len();
    if count > 0 && !search.accept(Vec::new(), Step::RemovedAll(count)) {
        for _ in 0..PASSES_MAX {
            let mut changed = search.remove_chunks();
            for index in 0..search.current.len() {
                changed |= search.approach(index, Knob::Length);
                changed |= search.approach(index, Knob::Start);
            }
            if !changed || search.budget_spent {
                break;
            }
        }
    }
    Shrunk {
        faults: search.current,
        steps: search.steps,
        runs: search.runs,
        budget_spent: search.budget_spent,
    }
}

fn key(faults: &[FaultSpec]) -> String {
    format!("{faults:?}")
}

impl Search<'_> {
    /// Asks the oracle about `candidate` (or remembers its answer) and takes it if it still
    /// fails.
    fn accept(&mut self, candidate: Vec<FaultSpec>, step: Step) -> bool {
        let key = key(&candidate);
        let verdict = if let Some(verdict) = self.seen.get(&key) {
            *verdict
        } else {
            if self.runs >= self.bounds.max_runs {
                self.budget_spent = true;
                return false;
            }
            let verdict = (self.oracle)(&candidate);
            if verdict != Verdict::Invalid {
                self.runs += 1;
            }
            self.seen.insert(key, verdict);
            verdict
        };
        if verdict != Verdict::StillFails {
            return false;
        }
        self.current = candidate;
        (self.on_step)(&step);
        self.steps.push(step);
        true
    }

    /// ddmin's reduction to complements: removes chunks of a size that halves until single
    /// faults, keeping every removal after which the failure persists.
    fn remove_chunks(&mut self) -> bool {
        let mut changed = false;
        let mut chunks = 2;
        while self.current.len() > 1 && !self.budget_spent {
            let count = self.current.len();
            let size = count.div_ceil(chunks);
            let mut removed = false;
            for start in (0..count).step_by(size) {
                let end = (start + size).min(count);
                let gone: Vec<(usize, String)> = (start..end)
                    .map(|i| (fault_number(&self.current[i], i), self.current[i].label()))
                    .collect();
                let mut candidate = self.current[..start].to_vec();
                candidate.extend_from_slice(&self.current[end..]);
                if self.accept(candidate, Step::Removed(gone)) {
                    removed = true;
                    break;
                }
            }
            if removed {
                changed = true;
                chunks = (chunks - 1).max(2);
            } else if size == 1 {
                break;
            } else {
                chunks = (chunks * 2).min(count);
            }
        }
        changed
    }

    /// The knob's value now and the value it moves toward, in nanoseconds; `None` when it
    /// cannot move. A length moves toward zero (it halves) and stops at the floor; a start
    /// moves toward the latest time at which the fault still ends inside the run. An
    /// open-ended fault lasts to the end of the run.
    fn span(&self, index: usize, knob: Knob) -> Option<(u64, u64)> {
        let spec = &self.current[index];
        let end = self.bounds.run_end.as_nanos();
        let at = spec.fault.at.as_nanos();
        let floor = self.floor.as_nanos();
        match knob {
            Knob::Length => {
                let now = spec
                    .length()
                    .map_or(end.saturating_sub(at), Duration::as_nanos);
                (now > floor).then_some((now, 0))
            }
            Knob::Start => {
                let latest = end.saturating_sub(spec.length().map_or(floor, Duration::as_nanos));
                (latest > at).then_some((at, latest))
            }
        }
    }

    /// The knob set `distance` from its goal, rounded to a value a file would say (and a
    /// length to no less than the floor); its distance after rounding.
    fn probe(&self, index: usize, knob: Knob, goal: u64, distance: u64) -> (u64, FaultSpec) {
        let spec = &self.current[index];
        match knob {
            Knob::Length => {
                let value = round_down(distance, granularity(distance)).max(self.floor.as_nanos());
                (value, spec.with_length(Some(Duration::from_nanos(value))))
            }
            Knob::Start => {
                let value =
                    round_down(goal - distance, granularity(self.bounds.run_end.as_nanos()));
                (goal - value, spec.with_start(Duration::from_nanos(value)))
            }
        }
    }

    /// Moves one knob of fault `index` toward its goal: halves the distance while the failure
    /// persists, then bisects a few times between the last value kept and the first lost.
    fn approach(&mut self, index: usize, knob: Knob) -> bool {
        let Some((now, goal)) = self.span(index, knob) else {
            return false;
        };
        let mut kept = now.abs_diff(goal);
        let mut lost: Option<u64> = None;
        let mut bisections = 0;
        let mut changed = false;
        while kept > 0 && !self.budget_spent {
            let target = match lost {
                None => kept / 2,
                Some(lost) => lost + (kept - lost) / 2,
            };
            let (distance, probe) = self.probe(index, knob, goal, target);
            if distance >= kept || lost.is_some_and(|lost| distance <= lost) {
                break;
            }
            if lost.is_some() {
                if bisections == BISECTIONS_MAX {
                    break;
                }
                bisections += 1;
            }
            let step = self.step(index, knob, &probe);
            let mut candidate = self.current.clone();
            candidate[index] = probe;
            if self.accept(candidate, step) {
                kept = distance;
                changed = true;
            } else {
                lost = Some(distance);
            }
        }
        changed
    }

    fn step(&self, index: usize, knob: Knob, probe: &FaultSpec) -> Step {
        let spec = &self.current[index];
        let fault = fault_number(spec, index);
        match knob {
            Knob::Length => Step::Shortened {
                fault,
                key: spec.length_key(),
                from: spec.length(),
                to: probe.length().expect("a probe sets the length"),
            },
            Knob::Start => Step::Moved {
                fault,
                from: spec.fault.at,
                to: probe.fault.at,
            },
        }
    }
}
