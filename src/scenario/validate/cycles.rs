//! Cycles of synchronous calls: a request on one waits for itself until it times out.

use indexmap::IndexMap;

use super::checker::Checker;
use super::graph::EndpointId;
use crate::scenario::locate::DocPath;

/// Cycles reported at most; one is enough to act on, a few show whether they share a call.
const CYCLES_REPORTED_MAX: usize = 10;

impl Checker<'_, '_> {
    pub(super) fn check_call_cycles(&mut self) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Unvisited,
            OnPath,
            Done,
        }
        let mut marks: IndexMap<EndpointId, Mark> = IndexMap::new();
        let mut cycles: Vec<(Vec<EndpointId>, DocPath)> = Vec::new();
        let starts: Vec<EndpointId> = self.graph.edges.keys().copied().collect();
        for start in starts {
            if marks.get(&start).copied().unwrap_or(Mark::Unvisited) != Mark::Unvisited {
                continue;
            }
            // Depth-first without recursion: a chain of thousands of endpoints must not overflow
            // the stack. Each frame is a node and the index of its next edge to follow.
            let mut stack: Vec<(EndpointId, usize)> = vec![(start, 0)];
            marks.insert(start, Mark::OnPath);
            while let Some(frame) = stack.last_mut() {
                let (node, next) = *frame;
                let edges = self.graph.edges.get(&node).map_or(&[][..], Vec::as_slice);
                if let Some((target, call_path)) = edges.get(next) {
                    frame.1 += 1;
                    match marks.get(target).copied().unwrap_or(Mark::Unvisited) {
                        Mark::Unvisited => {
                            marks.insert(*target, Mark::OnPath);
                            stack.push((*target, 0));
                        }
                        Mark::OnPath => {
                            if cycles.len() < CYCLES_REPORTED_MAX {
                                let from = stack
                                    .iter()
                                    .position(|(on_path, _)| on_path == target)
                                    .unwrap_or(0);
                                let mut cycle: Vec<EndpointId> =
                                    stack[from..].iter().map(|(node, _)| *node).collect();
                                cycle.push(*target);
                                cycles.push((cycle, call_path.clone()));
                            }
                        }
                        Mark::Done => {}
                    }
                } else {
                    marks.insert(node, Mark::Done);
                    stack.pop();
                }
            }
        }
        for (cycle, call_path) in cycles {
            let names: Vec<String> = cycle
                .iter()
                .map(|(service, endpoint)| {
                    let service = &self.scenario.services[*service];
                    format!("{}:{}", service.name, service.endpoints[*endpoint].name)
                })
                .collect();
            self.error(&call_path, format!("synchronous calls form a cycle: {}", names.join(" → ")))
                .set_hint("each call holds a worker while it waits, so a request on this cycle waits for itself until it times out: remove a call, or publish to a topic instead");
        }
    }
}
