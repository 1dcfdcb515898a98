//! A trace's spans as a tree: each span's children, the roots, and the spans whose parent is
//! not in the trace (orphans). Built once per trace; everything else walks it.

use std::collections::BTreeMap;

use super::trace::Trace;

#[derive(Debug)]
pub(crate) struct SpanTree {
    /// Per span (by its index in the trace), its children's indices in the trace's order.
    pub(crate) children: Vec<Vec<usize>>,
    /// Spans without a parent id.
    pub(crate) roots: Vec<usize>,
    /// Spans whose parent id names no span of the trace.
    pub(crate) orphans: Vec<usize>,
    /// Spans whose id repeats an earlier span's (the later ones are left out of the tree).
    pub(crate) duplicates: usize,
}

impl SpanTree {
    pub(crate) fn of(trace: &Trace) -> Self {
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        let mut duplicates = 0;
        let mut in_tree = vec![true; trace.spans.len()];
        for (at, span) in trace.spans.iter().enumerate() {
            if index.insert(span.span_id.as_str(), at).is_some() {
                duplicates += 1;
                in_tree[at] = false;
                // Keep the first span with the id as the one children hang from.
                index.insert(span.span_id.as_str(), first_with_id(trace, &span.span_id));
            }
        }
        let mut tree = SpanTree {
            children: vec![Vec::new(); trace.spans.len()],
            roots: Vec::new(),
            orphans: Vec::new(),
            duplicates,
        };
        for (at, span) in trace.spans.iter().enumerate() {
            if !in_tree[at] {
                continue;
            }
            match &span.parent_id {
                None => tree.roots.push(at),
                Some(parent) => match index.get(parent.as_str()) {
                    Some(&parent_at) if parent_at != at => tree.children[parent_at].push(at),
                    _ => tree.orphans.push(at),
                },
            }
        }
        tree
    }

    /// Whether the trace is whole: one root, no orphan, no repeated id.
    pub(crate) fn is_whole(&self) -> bool {
        self.roots.len() == 1 && self.orphans.is_empty() && self.duplicates == 0
    }
}

fn first_with_id(trace: &Trace, id: &str) -> usize {
    trace
        .spans
        .iter()
        .position(|span| span.span_id == id)
        .unwrap_or(0)
}
