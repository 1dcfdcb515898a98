//! Clock skew: a span recorded on another host than its parent's, whose clock disagrees, can
//! start before its parent or end after it. This is the adjustment of Jaeger's query service,
//! `model/adjuster/clockskew.go` (jaegertracing/jaeger at commit ee6c21b4, the adjuster as it
//! has stood since 2017): walking down from the root, a span on a host other than its parent's
//! that does not lie within its (already adjusted) parent is shifted to sit in its middle,
//! assuming the network took as long each way: latency = (parent − child) / 2, so the child
//! starts at parent start + latency. A child longer than its parent (asynchronous, or the parent
//! gave up) is only moved so as not to start before it. The shift then applies to every span
//! below it on the same host; a span on yet another host is measured again against its parent.
//!
//! One departure: a CONSUMER span under a PRODUCER span is handled after the publish has
//! ended, as a message is, so lying outside its parent is no sign of skew; it is only moved so
//! as not to start before its parent (the rule Jaeger applies to a child longer than its parent).
//!
//! A host is the span's instance, or its service when the format names no instance (Jaeger keys
//! on the process's `ip` tag and treats a span without one as on a host of its own; a service
//! name is the closest this trace model has).

use super::span_tree::SpanTree;
use super::trace::{SpanRole, Trace, TraceSpan};

/// Adjusts the trace's start times in place; returns how many spans were moved by a skew of
/// their own (the spans below them that moved with them are not counted again).
pub(crate) fn adjust_clock_skew(trace: &mut Trace, tree: &SpanTree) -> u64 {
    let mut corrected = 0;
    // An explicit stack instead of recursion: a deep trace must not exhaust the thread's stack.
    // Each entry: the span, its parent, and the shift in force on the parent's host.
    let mut stack: Vec<(usize, Option<usize>, i64)> = tree
        .roots
        .iter()
        .rev()
        .map(|&root| (root, None, 0))
        .collect();
    while let Some((at, parent, inherited)) = stack.pop() {
        let mut shift = inherited;
        if let Some(parent) = parent {
            let (span, parent_span) = (&trace.spans[at], &trace.spans[parent]);
            if host(span) != host(parent_span) {
                shift = skew(span, parent_span);
                if shift != 0 {
                    corrected += 1;
                }
            }
        }
        let span = &mut trace.spans[at];
        span.start_ns = span.start_ns.saturating_add(shift);
        for &child in tree.children[at].iter().rev() {
            stack.push((child, Some(at), shift));
        }
    }
    corrected
}

fn host(span: &TraceSpan) -> (&str, Option<&str>) {
    (span.service.as_str(), span.instance.as_deref())
}

/// The shift that puts `child` (unadjusted) within `parent` (adjusted), as `calculateSkew`.
fn skew(child: &TraceSpan, parent: &TraceSpan) -> i64 {
    let delivered = child.role == SpanRole::Consumer && parent.role == SpanRole::Producer;
    if delivered || child.duration_ns > parent.duration_ns {
        return if child.start_ns < parent.start_ns {
            parent.start_ns - child.start_ns
        } else {
            0
        };
    }
    if child.start_ns >= parent.start_ns && child.end_ns() <= parent.end_ns() {
        return 0;
    }
    let latency = i64::try_from((parent.duration_ns - child.duration_ns) / 2).unwrap_or(i64::MAX);
    parent
        .start_ns
        .saturating_add(latency)
        .saturating_sub(child.start_ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, parent: Option<&str>, service: &str, start: i64, duration: u64) -> TraceSpan {
        TraceSpan {
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            service: service.into(),
            version: None,
            instance: None,
            role: SpanRole::Server,
            name: "x".into(),
            http_method: None,
            http_route: None,
            messaging_destination: None,
            peer_service: None,
            start_ns: start,
            duration_ns: duration,
            http_status: None,
            error: false,
        }
    }

    fn trace(spans: Vec<TraceSpan>) -> Trace {
        Trace {
            trace_id: "t".into(),
            origin: "test".into(),
            spans,
        }
    }

    /// The worked case of Jaeger's adjuster: a client span of 100 at 1000 and a server span of
    /// 60 recorded 500 early on the callee's clock go to 1000 + (100 − 60) / 2 = 1020; the
    /// callee's own child moves with it by the same 520.
    #[test]
    fn a_child_outside_its_parent_is_centred_and_its_subtree_follows() {
        let mut trace = trace(vec![
            span("a", None, "gateway", 1000, 100),
            span("b", Some("a"), "order", 500, 60),
            span("c", Some("b"), "order", 510, 10),
        ]);
        let tree = SpanTree::of(&trace);
        assert_eq!(adjust_clock_skew(&mut trace, &tree), 1);
        assert_eq!(trace.spans[1].start_ns, 1020);
        assert_eq!(trace.spans[2].start_ns, 1030);
    }

    #[test]
    fn a_child_within_its_parent_is_left_alone() {
        let mut trace = trace(vec![
            span("a", None, "gateway", 1000, 100),
            span("b", Some("a"), "order", 1010, 60),
        ]);
        let tree = SpanTree::of(&trace);
        assert_eq!(adjust_clock_skew(&mut trace, &tree), 0);
        assert_eq!(trace.spans[1].start_ns, 1010);
    }

    /// A span on the parent's own host shares its clock: never measured against it.
    #[test]
    fn the_same_host_is_not_adjusted() {
        let mut trace = trace(vec![
            span("a", None, "gateway", 1000, 100),
            span("b", Some("a"), "gateway", 900, 60),
        ]);
        let tree = SpanTree::of(&trace);
        assert_eq!(adjust_clock_skew(&mut trace, &tree), 0);
        assert_eq!(trace.spans[1].start_ns, 900);
    }

    /// A message is handled after its publish: no skew in that.
    #[test]
    fn a_delivery_after_its_publish_is_left_alone() {
        let mut producer = span("a", None, "order", 1000, 100);
        producer.role = SpanRole::Producer;
        let mut consumer = span("b", Some("a"), "notification", 1500, 50);
        consumer.role = SpanRole::Consumer;
        let mut trace = trace(vec![producer, consumer]);
        let tree = SpanTree::of(&trace);
        assert_eq!(adjust_clock_skew(&mut trace, &tree), 0);
        assert_eq!(trace.spans[1].start_ns, 1500);
    }

    #[test]
    fn a_longer_child_only_stops_starting_early() {
        let mut trace = trace(vec![
            span("a", None, "gateway", 1000, 100),
            span("b", Some("a"), "order", 900, 300),
        ]);
        let tree = SpanTree::of(&trace);
        assert_eq!(adjust_clock_skew(&mut trace, &tree), 1);
        assert_eq!(trace.spans[1].start_ns, 1000);
    }
}
