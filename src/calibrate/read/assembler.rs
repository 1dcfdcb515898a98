//! Traces from the flat formats (Zipkin's span lists, OTLP's batches), where the spans of many
//! traces come interleaved: spans in, whole traces out, with memory for the open ones only.
//!
//! The rule: a trace is closed when none of its spans came in the last `idle_spans` spans read,
//! and at the end of the input. Held spans are bounded: past `open_spans_max`, the least
//! recently active open trace is closed as it is (a late span of it then starts a new trace).
//! A trace past `trace_spans_max` spans lets its spans go at once and is remembered only as a
//! count until it closes, as too large. Traces close in order of their last span read (oldest
//! first), so the same input closes the same traces in the same order.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::bounds::Bounds;
use super::shared::{Held, split_shared};
use crate::calibrate::trace::{Trace, TraceSpan};

/// What closing a trace gives.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Closed {
    Whole(Trace),
    /// Dropped: it passed the bound on spans per trace.
    TooLarge {
        trace_id: String,
    },
}

#[derive(Debug)]
struct Open {
    origin: Rc<str>,
    spans: Vec<Held>,
    /// The number (in reading order) of its last span read.
    last_read: u64,
    too_large: bool,
}

/// The open traces of a flat format's input.
#[derive(Debug)]
pub(crate) struct Assembler {
    bounds: Bounds,
    open: BTreeMap<String, Open>,
    /// The open traces by their last span's number: the first is the least recently active.
    by_last_read: BTreeMap<u64, String>,
    spans_read: u64,
    spans_held: usize,
}

impl Assembler {
    pub(crate) fn new(bounds: Bounds) -> Self {
        assert!(
            bounds.trace_spans_max <= bounds.open_spans_max,
            "one trace may not hold more than all open traces together"
        );
        Self {
            bounds,
            open: BTreeMap::new(),
            by_last_read: BTreeMap::new(),
            spans_read: 0,
            spans_held: 0,
        }
    }

    /// The spans held in open traces now (the tests hold it to its bound).
    #[cfg(test)]
    pub(crate) fn spans_held(&self) -> usize {
        self.spans_held
    }

    /// Takes one span of the trace `trace_id` (read from `origin`), and returns the traces that
    /// closed because of it.
    pub(crate) fn push(
        &mut self,
        trace_id: &str,
        origin: &Rc<str>,
        span: TraceSpan,
        shared: bool,
    ) -> Vec<Closed> {
        self.spans_read += 1;
        let number = self.spans_read;
        let open = if let Some(open) = self.open.get_mut(trace_id) {
            let key = self.by_last_read.remove(&open.last_read);
            debug_assert!(
                key.is_some(),
                "every open trace is indexed by its last span"
            );
            open.last_read = number;
            open
        } else {
            self.open.entry(trace_id.to_owned()).or_insert(Open {
                origin: Rc::clone(origin),
                spans: Vec::new(),
                last_read: number,
                too_large: false,
            })
        };
        self.by_last_read.insert(number, trace_id.to_owned());
        if !open.too_large {
            open.spans.push(Held { span, shared });
            self.spans_held += 1;
            if open.spans.len() > self.bounds.trace_spans_max {
                self.spans_held -= open.spans.len();
                open.spans = Vec::new();
                open.too_large = true;
            }
        }
        let mut closed = Vec::new();
        while let Some((&last_read, _)) = self.by_last_read.first_key_value() {
            let idle = number - last_read >= self.bounds.idle_spans;
            if !idle && self.spans_held <= self.bounds.open_spans_max {
                break;
            }
            closed.push(self.close_first());
        }
        closed
    }

    /// Closes every open trace, at the end of the input.
    pub(crate) fn finish(&mut self) -> Vec<Closed> {
        let mut closed = Vec::with_capacity(self.open.len());
        while !self.by_last_read.is_empty() {
            closed.push(self.close_first());
        }
        closed
    }

    fn close_first(&mut self) -> Closed {
        let Some((_, trace_id)) = self.by_last_read.pop_first() else {
            unreachable!("close_first is called only with an open trace")
        };
        let Some(open) = self.open.remove(&trace_id) else {
            unreachable!("the index names only open traces")
        };
        self.spans_held -= open.spans.len();
        if open.too_large {
            return Closed::TooLarge { trace_id };
        }
        Closed::Whole(Trace {
            trace_id,
            origin: open.origin.to_string(),
            spans: split_shared(open.spans),
        })
    }
}

#[cfg(test)]
#[path = "assembler_tests.rs"]
mod tests;
