//! The assembler as a state machine: spans in, closed traces out. What it must do follows from
//! its rule, not from its code: every span comes out once (or its trace is counted too large),
//! held spans never pass the bound, a trace whose spans all come within the idle window comes
//! out whole, and the same input closes the same traces in the same order.

use std::rc::Rc;

use proptest::prelude::*;

use super::*;
use crate::calibrate::trace::SpanRole;

fn span(id: u64) -> TraceSpan {
    TraceSpan {
        span_id: format!("{id:016x}"),
        parent_id: None,
        service: "order".to_owned(),
        version: None,
        instance: None,
        role: SpanRole::Server,
        name: "GET /".to_owned(),
        http_method: None,
        http_route: None,
        messaging_destination: None,
        peer_service: None,
        start_ns: 0,
        duration_ns: 0,
        http_status: None,
        error: false,
    }
}

fn bounds(idle_spans: u64, open_spans_max: usize, trace_spans_max: usize) -> Bounds {
    Bounds {
        idle_spans,
        open_spans_max,
        trace_spans_max,
        string_bytes_max: 1024,
    }
}

/// Feeds `(trace, span)` pairs, checking the bound after each, and returns what closed.
fn run(assembler: &mut Assembler, input: &[(u64, u64)], open_spans_max: usize) -> Vec<Closed> {
    let origin: Rc<str> = Rc::from("test");
    let mut closed = Vec::new();
    for (trace, id) in input {
        closed.extend(assembler.push(&format!("{trace:032x}"), &origin, span(*id), false));
        assert!(
            assembler.spans_held() <= open_spans_max,
            "held {} spans",
            assembler.spans_held()
        );
    }
    closed.extend(assembler.finish());
    assert_eq!(assembler.spans_held(), 0);
    closed
}

#[test]
fn a_trace_closes_after_the_idle_window_and_the_rest_at_the_end() {
    let mut assembler = Assembler::new(bounds(3, 100, 100));
    let origin: Rc<str> = Rc::from("test");
    let trace = |n: u64| format!("{n:032x}");
    assert!(
        assembler
            .push(&trace(1), &origin, span(1), false)
            .is_empty()
    );
    assert!(
        assembler
            .push(&trace(2), &origin, span(2), false)
            .is_empty()
    );
    assert!(
        assembler
            .push(&trace(2), &origin, span(3), false)
            .is_empty()
    );
    // The third span read since trace 1's last: trace 1 has been idle for 3 spans.
    let closed = assembler.push(&trace(3), &origin, span(4), false);
    assert_eq!(closed.len(), 1);
    let Closed::Whole(first) = &closed[0] else {
        panic!("whole")
    };
    assert_eq!(first.trace_id, trace(1));
    assert_eq!(first.spans.len(), 1);
    assert_eq!(assembler.spans_held(), 3);
    let rest: Vec<String> = assembler
        .finish()
        .into_iter()
        .map(|closed| match closed {
            Closed::Whole(trace) => trace.trace_id,
            Closed::TooLarge { trace_id } => trace_id,
        })
        .collect();
    assert_eq!(rest, [trace(2), trace(3)], "least recently active first");
}

#[test]
fn past_the_open_bound_the_least_recently_active_trace_closes_as_it_is() {
    let mut assembler = Assembler::new(bounds(1000, 4, 4));
    let closed = run(&mut assembler, &[(1, 1), (2, 2), (1, 3), (3, 4), (3, 5)], 4);
    // The fifth span makes five held: trace 2 (last read at span 2) goes first.
    let sizes: Vec<(String, usize)> = closed
        .iter()
        .map(|closed| match closed {
            Closed::Whole(trace) => (trace.trace_id.clone(), trace.spans.len()),
            Closed::TooLarge { trace_id } => (trace_id.clone(), 0),
        })
        .collect();
    assert_eq!(
        sizes,
        [
            (format!("{:032x}", 2), 1),
            (format!("{:032x}", 1), 2),
            (format!("{:032x}", 3), 2)
        ]
    );
}

#[test]
fn a_trace_past_its_bound_is_dropped_whole_and_its_late_spans_with_it() {
    let mut assembler = Assembler::new(bounds(1000, 10, 3));
    let input: Vec<(u64, u64)> = (0..6).map(|id| (7, id)).chain([(8, 99)]).collect();
    let closed = run(&mut assembler, &input, 10);
    assert_eq!(closed.len(), 2);
    assert_eq!(
        closed[0],
        Closed::TooLarge {
            trace_id: format!("{:032x}", 7)
        }
    );
    assert!(matches!(&closed[1], Closed::Whole(trace) if trace.spans.len() == 1));
}

/// Interleaved traces: each trace `t` has `sizes[t]` spans, dealt out round-robin with a
/// shuffle drawn by proptest.
fn interleaved() -> impl Strategy<Value = Vec<(u64, u64)>> {
    prop::collection::vec(1_usize..8, 1..30).prop_flat_map(|sizes| {
        let spans: Vec<(u64, u64)> = sizes
            .iter()
            .enumerate()
            .flat_map(|(trace, size)| {
                (0..*size).map(move |n| (trace as u64, (trace * 100 + n) as u64))
            })
            .collect();
        Just(spans).prop_shuffle()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_span_comes_out_once_and_held_spans_stay_bounded(
        input in interleaved(),
        idle in 1_u64..40,
        open_max in 8_usize..40,
    ) {
        let trace_max = 6;
        let mut assembler = Assembler::new(bounds(idle, open_max, trace_max));
        let closed = run(&mut assembler, &input, open_max);
        let mut out: Vec<u64> = Vec::new();
        let mut too_large = 0;
        for closed in &closed {
            match closed {
                Closed::Whole(trace) => {
                    prop_assert!(trace.spans.len() <= trace_max);
                    out.extend(trace.spans.iter().map(|span| u64::from_str_radix(&span.span_id, 16).unwrap_or(u64::MAX)));
                }
                Closed::TooLarge { .. } => too_large += 1,
            }
        }
        // Spans of traces too large are gone; every other span came out exactly once.
        let mut expected: Vec<u64> = input.iter().map(|(_, id)| *id).collect();
        let mut large_traces = std::collections::BTreeSet::new();
        let mut per_trace = std::collections::BTreeMap::<u64, usize>::new();
        for (trace, _) in &input {
            *per_trace.entry(*trace).or_default() += 1;
        }
        if too_large == 0 {
            expected.sort_unstable();
            out.sort_unstable();
            prop_assert_eq!(out, expected);
        } else {
            for (trace, count) in &per_trace {
                if *count > trace_max {
                    large_traces.insert(*trace);
                }
            }
            prop_assert!(too_large >= 1 && !large_traces.is_empty());
            prop_assert!(out.len() <= input.len());
        }
        // The same input closes the same traces in the same order.
        let mut again = Assembler::new(bounds(idle, open_max, trace_max));
        prop_assert_eq!(run(&mut again, &input, open_max), closed);
    }

    #[test]
    fn a_trace_within_the_idle_window_comes_out_whole(input in interleaved()) {
        // A window longer than the input and room for all of it: nothing closes early.
        let mut assembler = Assembler::new(bounds(input.len() as u64 + 1, 1000, 100));
        let closed = run(&mut assembler, &input, 1000);
        let traces: std::collections::BTreeSet<u64> = input.iter().map(|(trace, _)| *trace).collect();
        prop_assert_eq!(closed.len(), traces.len());
    }
}
