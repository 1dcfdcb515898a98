//! What one endpoint did across every trace, in bounded memory: its requests, own errors and
//! own-work sample per version, and its calls: how often each is made, when it starts, and how
//! often each pair of calls overlaps.

use std::collections::BTreeMap;

use super::call_tree::{Handler, Target};
use super::reservoir::Reservoir;

/// Calls one endpoint may make in a scenario (`calls per endpoint` in the limits).
pub(crate) const CALLS_PER_ENDPOINT_MAX: usize = 64;

/// Members of one `{ parallel = [...] }` (`members of a parallel` in the limits).
const PARALLEL_MEMBERS_MAX: usize = 16;

/// A call by its target and occurrence: the k-th call to the same target within one request
/// (a loop of three calls is three entries of `calls`).
pub(crate) type CallKey = (Target, u32);

#[derive(Debug, Default)]
pub(crate) struct CallStats {
    /// Requests of the endpoint that made this call.
    pub(crate) requests: u64,
    /// Of them, those that ended well (no error, no failed call).
    pub(crate) clean_requests: u64,
    /// Their start offsets from the handler's start, summed (for the mean: the calls' order).
    pub(crate) offset_ns_sum: f64,
    /// Tries beyond the first (retries the traces show).
    pub(crate) extra_attempts: u64,
}

/// The own work of one version of the endpoint.
#[derive(Debug)]
pub(crate) struct VersionWork {
    pub(crate) requests: u64,
    pub(crate) own_errors: u64,
    pub(crate) work: Reservoir,
}

#[derive(Debug, Default)]
pub(crate) struct EndpointStats {
    pub(crate) requests: u64,
    /// Requests that ended well: no error of their own and no failed call. A call's
    /// probability is measured on these alone: in meshsim an own error stops the endpoint
    /// before its calls and a failed call stops it before the next, so a call missing from a
    /// failed request says nothing about how often it is made.
    pub(crate) clean_requests: u64,
    /// Per version (`""` when the spans name none).
    pub(crate) versions: BTreeMap<String, VersionWork>,
    pub(crate) calls: BTreeMap<CallKey, CallStats>,
    /// Per pair of calls (first < second): requests that made both, and those in which the
    /// two overlapped in time.
    pub(crate) pairs: BTreeMap<(CallKey, CallKey), (u64, u64)>,
    /// Calls left out because the endpoint had already the most a scenario takes.
    pub(crate) calls_over_limit: u64,
}

impl EndpointStats {
    /// Adds one handled request; `stream` names the endpoint's reservoirs' streams.
    pub(crate) fn add(&mut self, handler: &Handler, stream: &str) {
        self.requests += 1;
        let version = handler.version.clone().unwrap_or_default();
        let work = self
            .versions
            .entry(version.clone())
            .or_insert_with(|| VersionWork {
                requests: 0,
                own_errors: 0,
                work: Reservoir::new(&format!("{stream}/{version}")),
            });
        work.requests += 1;
        work.own_errors += u64::from(handler.own_error);
        work.work.add(handler.own_work_ns);
        let clean = !handler.error && !handler.calls.iter().any(|call| call.failed);
        self.clean_requests += u64::from(clean);
        let keyed = self.keyed_calls(handler);
        for (position, (key, call_at)) in keyed.iter().enumerate() {
            let call = &handler.calls[*call_at];
            let stats = self.calls.entry(key.clone()).or_default();
            stats.requests += 1;
            stats.clean_requests += u64::from(clean);
            stats.offset_ns_sum += (call.start_ns - handler.start_ns) as f64;
            stats.extra_attempts += u64::from(call.attempts.saturating_sub(1));
            for (other_key, other_at) in &keyed[position + 1..] {
                let other = &handler.calls[*other_at];
                let overlap = call.start_ns < other.end_ns && other.start_ns < call.end_ns;
                let pair = if key < other_key {
                    (key.clone(), other_key.clone())
                } else {
                    (other_key.clone(), key.clone())
                };
                let counts = self.pairs.entry(pair).or_default();
                counts.0 += 1;
                counts.1 += u64::from(overlap);
            }
        }
    }

    /// The handler's calls with their keys (target and occurrence), leaving out those that
    /// would take the endpoint past the scenario's limit on calls.
    fn keyed_calls(&mut self, handler: &Handler) -> Vec<(CallKey, usize)> {
        let mut occurrences: BTreeMap<&Target, u32> = BTreeMap::new();
        let mut keyed = Vec::new();
        for (at, call) in handler.calls.iter().enumerate() {
            let occurrence = occurrences.entry(&call.target).or_default();
            let key = (call.target.clone(), *occurrence);
            *occurrence += 1;
            if !self.calls.contains_key(&key) && self.calls.len() >= CALLS_PER_ENDPOINT_MAX {
                self.calls_over_limit += 1;
                continue;
            }
            keyed.push((key, at));
        }
        keyed
    }

    /// The calls in the order they start on average (mean start offset within the requests
    /// that make them), grouped into steps: a call joins the step before it when it overlaps
    /// every call of that step in most requests that make both (more than half), as calls made
    /// at once (`Promise.all`) do, and the step has room (16 members at most). Each call comes
    /// with its probability: the share of the endpoint's requests that make it, among those
    /// that ended well.
    pub(crate) fn call_steps(&self) -> Vec<Vec<(CallKey, f64)>> {
        let mut ordered: Vec<(&CallKey, &CallStats)> = self.calls.iter().collect();
        ordered.sort_by(|a, b| {
            mean_offset(a.1)
                .total_cmp(&mean_offset(b.1))
                .then_with(|| a.0.cmp(b.0))
        });
        let mut steps: Vec<Vec<(CallKey, f64)>> = Vec::new();
        for (key, stats) in ordered {
            let probability = if self.clean_requests > 0 {
                stats.clean_requests as f64 / self.clean_requests as f64
            } else {
                stats.requests as f64 / self.requests.max(1) as f64
            };
            let joins = steps.last().is_some_and(|step| {
                step.len() < PARALLEL_MEMBERS_MAX
                    && step
                        .iter()
                        .all(|(member, _)| self.mostly_overlap(member, key))
            });
            match steps.last_mut() {
                Some(step) if joins => step.push((key.clone(), probability)),
                _ => steps.push(vec![(key.clone(), probability)]),
            }
        }
        steps
    }

    fn mostly_overlap(&self, a: &CallKey, b: &CallKey) -> bool {
        let pair = if a < b {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        self.pairs
            .get(&pair)
            .is_some_and(|(both, overlapping)| overlapping * 2 > *both)
    }
}

fn mean_offset(stats: &CallStats) -> f64 {
    stats.offset_ns_sum / stats.requests.max(1) as f64
}
