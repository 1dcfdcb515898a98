//! Calls and attempts from one service (or workload) to another: the retry amplification of
//! each caller → callee edge.

use indexmap::IndexMap;
use meshsim_sim::GroupId;
use smallvec::SmallVec;

use crate::catalog::Catalog;
use crate::summary::{EdgeSummary, round_ratio};

/// Calls and attempts from one service (or workload) to another.
#[derive(Default, Clone, Copy)]
pub(super) struct EdgeStats {
    calls: u64,
    attempts: u64,
    retries: u64,
}

/// Every edge's stats: for each caller group, its callees sorted by id. A call finds its edge by
/// a binary search among the few callees of one caller, where a map over all edges would take
/// several cache misses once there are thousands; the summary lists edges in (caller, callee)
/// order. Up to two callees sit inline in the caller's row, so most calls read one line of a
/// dense array and no block of their own.
pub(super) struct Edges {
    by_caller: Vec<SmallVec<[(u32, EdgeStats); 2]>>,
}

impl Edges {
    pub(super) fn new(groups: usize) -> Self {
        Edges {
            by_caller: vec![SmallVec::new(); groups],
        }
    }

    fn get_mut(&mut self, caller: GroupId, callee: GroupId) -> &mut EdgeStats {
        let callees = &mut self.by_caller[caller.index()];
        let at = match callees.binary_search_by_key(&callee.0, |&(id, _)| id) {
            Ok(at) => at,
            Err(at) => {
                callees.insert(at, (callee.0, EdgeStats::default()));
                at
            }
        };
        &mut callees[at].1
    }

    pub(super) fn call(&mut self, caller: GroupId, callee: GroupId) {
        self.get_mut(caller, callee).calls += 1;
    }

    pub(super) fn attempt(&mut self, caller: GroupId, callee: GroupId, retry: bool) {
        let edge = self.get_mut(caller, callee);
        edge.attempts += 1;
        edge.retries += u64::from(retry);
    }

    /// `((caller, callee), stats)` in (caller, callee) order.
    fn iter(&self) -> impl Iterator<Item = ((u32, u32), &EdgeStats)> {
        self.by_caller
            .iter()
            .enumerate()
            .flat_map(|(caller, callees)| {
                callees
                    .iter()
                    .map(move |(callee, stats)| ((caller as u32, *callee), stats))
            })
    }

    /// Calls and attempts into each of `groups` groups, from every caller.
    pub(super) fn calls_into_each(&self, groups: usize) -> Vec<(u64, u64)> {
        let mut into = vec![(0u64, 0u64); groups];
        for ((_, callee), edge) in self.iter() {
            let (calls, attempts) = &mut into[callee as usize];
            *calls += edge.calls;
            *attempts += edge.attempts;
        }
        into
    }

    /// Each edge's summary, by `caller -> callee`.
    pub(super) fn summaries(&self, catalog: &Catalog) -> IndexMap<String, EdgeSummary> {
        self.iter()
            .map(|((caller, callee), edge)| {
                let name = format!(
                    "{} -> {}",
                    catalog.groups[caller as usize].name, catalog.groups[callee as usize].name
                );
                let amplification = if edge.calls == 0 {
                    0.0
                } else {
                    edge.attempts as f64 / edge.calls as f64
                };
                let summary = EdgeSummary {
                    calls: edge.calls,
                    attempts: edge.attempts,
                    retries: edge.retries,
                    amplification: round_ratio(amplification),
                };
                (name, summary)
            })
            .collect()
    }
}
