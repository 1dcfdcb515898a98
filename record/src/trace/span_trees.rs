//! One sampled request's spans at one node, put back together into trees so that the trace can
//! write every parent before its children.
//!
//! Models record a span when it ends, so a node's spans arrive children first: a try before its
//! call, the work before the serve that holds it, the serve (or a workload's client span) last.
//! A viewer that breaks ties by file order (Perfetto, `chrome://tracing`) reads two slices with
//! the same start and length written in that order as the try holding the call. So spans wait
//! here until the root of their tree ends, and leave with it as one tree, parent first.
//!
//! Memory: what waits is the spans of the requests still being served, not of the run. A tree
//! whose root never comes (its instance crashed, or the run ended first) waits until the end of
//! the run, or until [`SpanTrees::held_spans`] passes the writer's cap and it leaves unfinished.

use std::collections::BTreeMap;

use crate::span::{Span, SpanKind};

/// One tree of spans in parent-first order (pre-order): its root, then each child's subtree in
/// the order the children ended.
pub(crate) type SpanTree = Vec<Span>;

/// Whose spans one tree holds: (client, request, node).
type VisitKey = (u32, u64, u32);

#[derive(Default)]
pub(crate) struct SpanTrees {
    /// Per request and node, the subtrees whose parent has not ended yet, in the order they
    /// ended. Keys with nothing waiting are removed, so the map holds live visits only.
    waiting: BTreeMap<VisitKey, Vec<SpanTree>>,
    /// Spans in `waiting`, over every key.
    held_spans: usize,
}

impl SpanTrees {
    /// Takes the next span to end; returns the tree it completes when it is a root (a client or
    /// a serve span), with every waiting subtree it holds.
    pub(super) fn add(&mut self, span: &Span) -> Option<SpanTree> {
        let key = (span.trace.0.0, span.trace.1, span.node.0);
        let waiting = self.waiting.entry(key).or_default();
        let mut tree = vec![span.clone()];
        // In the order spans end, a span's children are the waiting subtrees it holds, one
        // after another: each starts no earlier than the one before it ended. The depth tells a
        // zero-length call from a first child of the call that starts at the same instant: it
        // is a sibling. Children that would overlap stay waiting: they belong to another serve
        // of the same request at this node (a refund arriving while the payment still runs),
        // and a tree whose children overlap would not nest.
        let mut free_from_ns = span.start_ns;
        let children = waiting.extract_if(.., |subtree| {
            let child = &subtree[0];
            let adopted = holds(span, child) && child.start_ns >= free_from_ns;
            if adopted {
                free_from_ns = child.end_ns;
            }
            adopted
        });
        for child in children {
            self.held_spans -= child.len();
            tree.extend(child);
        }
        if span.kind.depth() == 0 {
            if waiting.is_empty() {
                self.waiting.remove(&key);
            }
            return Some(tree);
        }
        self.held_spans += tree.len();
        waiting.push(tree);
        None
    }

    /// Spans waiting for their tree's root, over every request and node.
    pub(super) fn held_spans(&self) -> usize {
        self.held_spans
    }

    /// Every waiting subtree, each now a tree of its own, in the order they started (then by
    /// request and node): for the end of the run, or when too much waits.
    pub(super) fn drain(&mut self) -> Vec<SpanTree> {
        self.held_spans = 0;
        let mut trees: Vec<SpanTree> = std::mem::take(&mut self.waiting)
            .into_values()
            .flatten()
            .collect();
        // A stable sort: ties keep the map's order, so the result is the same on every run.
        trees.sort_by_key(|tree| tree[0].start_ns);
        trees
    }
}

/// Whether `child` may be a child of `parent`: within its time and deeper. A queue or work span
/// also names the endpoint it served, as its serve span does.
fn holds(parent: &Span, child: &Span) -> bool {
    let served_here = !matches!(child.kind, SpanKind::Queue | SpanKind::Work)
        || child.endpoint == parent.endpoint;
    child.start_ns >= parent.start_ns
        && child.end_ns <= parent.end_ns
        && child.kind.depth() > parent.kind.depth()
        && served_here
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshsim_sim::{GroupId, NodeId};

    use crate::keys::ClientId;

    fn span(kind: SpanKind, start_ns: u64, end_ns: u64) -> Span {
        Span {
            trace: (ClientId(0), 7),
            node: NodeId(3),
            kind,
            start_ns,
            end_ns,
            endpoint: None,
            peer: None,
            status: 200,
            number: 0,
            id: 1,
            parent: 0,
            events: Vec::new(),
        }
    }

    fn kinds(tree: &[Span]) -> Vec<(SpanKind, u64, u64)> {
        tree.iter()
            .map(|span| (span.kind, span.start_ns, span.end_ns))
            .collect()
    }

    #[test]
    fn a_tree_leaves_parent_first_when_its_root_ends() {
        let mut trees = SpanTrees::default();
        // As a service records them: work, then a call's try and the call at the same instant
        // and of the same length, then the serve, which starts and ends with the work's first.
        assert_eq!(trees.add(&span(SpanKind::Work, 0, 10)), None);
        assert_eq!(trees.add(&span(SpanKind::Attempt, 10, 30)), None);
        assert_eq!(trees.add(&span(SpanKind::Call, 10, 30)), None);
        assert_eq!(trees.held_spans(), 3);
        let tree = trees
            .add(&span(SpanKind::Serve, 0, 30))
            .expect("a root ends the tree");
        assert_eq!(
            kinds(&tree),
            [
                (SpanKind::Serve, 0, 30),
                (SpanKind::Work, 0, 10),
                (SpanKind::Call, 10, 30),
                (SpanKind::Attempt, 10, 30),
            ]
        );
        assert_eq!(trees.held_spans(), 0);
        assert!(trees.drain().is_empty());
    }

    #[test]
    fn a_zero_length_call_stays_a_sibling_of_the_call_after_it() {
        let mut trees = SpanTrees::default();
        // A call the sidecar answered at once, then the next call from the same instant.
        trees.add(&span(SpanKind::Call, 10, 10));
        trees.add(&span(SpanKind::Attempt, 10, 20));
        trees.add(&span(SpanKind::Call, 10, 20));
        let tree = trees.add(&span(SpanKind::Serve, 0, 20)).unwrap();
        assert_eq!(
            kinds(&tree),
            [
                (SpanKind::Serve, 0, 20),
                (SpanKind::Call, 10, 10),
                (SpanKind::Call, 10, 20),
                (SpanKind::Attempt, 10, 20),
            ]
        );
    }

    #[test]
    fn two_serves_of_one_request_at_one_node_keep_their_own_spans() {
        let mut trees = SpanTrees::default();
        let payment = |kind, start_ns, end_ns| {
            let mut span = span(kind, start_ns, end_ns);
            span.endpoint = Some((GroupId(1), 0));
            span
        };
        let refund = |kind, start_ns, end_ns| {
            let mut span = span(kind, start_ns, end_ns);
            span.endpoint = Some((GroupId(1), 1));
            span
        };
        // The payment waits from 0 to 50; its refund arrives at 20 and waits until 60, within
        // the payment's serve; the payment works from 50 to 70.
        trees.add(&payment(SpanKind::Queue, 0, 50));
        trees.add(&refund(SpanKind::Queue, 20, 60));
        trees.add(&payment(SpanKind::Work, 50, 70));
        let tree = trees.add(&payment(SpanKind::Serve, 0, 75)).unwrap();
        assert_eq!(
            kinds(&tree),
            [
                (SpanKind::Serve, 0, 75),
                (SpanKind::Queue, 0, 50),
                (SpanKind::Work, 50, 70),
            ]
        );
        trees.add(&refund(SpanKind::Work, 60, 80));
        let tree = trees.add(&refund(SpanKind::Serve, 20, 80)).unwrap();
        assert_eq!(
            kinds(&tree),
            [
                (SpanKind::Serve, 20, 80),
                (SpanKind::Queue, 20, 60),
                (SpanKind::Work, 60, 80),
            ]
        );
        assert_eq!(trees.held_spans(), 0);
    }

    #[test]
    fn spans_without_a_root_leave_at_the_end_in_the_order_they_started() {
        let mut trees = SpanTrees::default();
        let mut late = span(SpanKind::Work, 5, 8);
        late.trace.1 = 1;
        trees.add(&span(SpanKind::Attempt, 20, 30));
        trees.add(&late);
        assert_eq!(trees.held_spans(), 2);
        let left = trees.drain();
        assert_eq!(
            left.iter().map(|tree| kinds(tree)).collect::<Vec<_>>(),
            [
                vec![(SpanKind::Work, 5, 8)],
                vec![(SpanKind::Attempt, 20, 30)]
            ]
        );
        assert_eq!(trees.held_spans(), 0);
    }
}
