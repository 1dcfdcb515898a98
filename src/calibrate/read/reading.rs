//! One read in progress, across all its files: where the reader is, the assembler of the flat
//! formats' traces, the counts, and the caller's hand for whole traces. The format readers
//! hand spans and traces to it; it drops what cannot be used, counts, and hands on the rest.

use std::rc::Rc;

use serde::de;

use super::ReadCounts;
use super::assembler::{Assembler, Closed};
use super::bounds::Bounds;
use super::place::Place;
use crate::calibrate::trace::{Trace, TraceSpan};

pub(crate) struct Reading<'a> {
    pub(crate) place: Place,
    /// The file being read, as a trace's origin names it.
    pub(crate) origin: Rc<str>,
    pub(crate) bounds: Bounds,
    pub(crate) counts: ReadCounts,
    assembler: Assembler,
    on_trace: &'a mut dyn FnMut(Trace),
}

impl<'a> Reading<'a> {
    pub(crate) fn new(bounds: Bounds, on_trace: &'a mut dyn FnMut(Trace)) -> Self {
        Self {
            place: Place::new(std::path::PathBuf::new()),
            origin: Rc::from(""),
            bounds,
            counts: ReadCounts::default(),
            assembler: Assembler::new(bounds),
            on_trace,
        }
    }

    /// One span of a flat format, with its trace's id. A span without a service is counted
    /// and dropped.
    pub(crate) fn span(&mut self, trace_id: &str, span: TraceSpan, shared: bool) {
        if span.service.is_empty() {
            self.counts.spans_without_service += 1;
            return;
        }
        let origin = Rc::clone(&self.origin);
        for closed in self.assembler.push(trace_id, &origin, span, shared) {
            self.hand_on(closed);
        }
    }

    /// A trace read whole (Jaeger): its spans without a service are counted and dropped.
    pub(crate) fn trace(&mut self, trace_id: String, origin: String, spans: Vec<TraceSpan>) {
        let before = spans.len();
        let spans: Vec<TraceSpan> = spans
            .into_iter()
            .filter(|span| !span.service.is_empty())
            .collect();
        self.counts.spans_without_service += (before - spans.len()) as u64;
        if spans.is_empty() {
            return;
        }
        self.hand_on(Closed::Whole(Trace {
            trace_id,
            origin,
            spans,
        }));
    }

    /// A trace dropped whole for its size.
    pub(crate) fn too_large(&mut self) {
        self.counts.traces_too_large += 1;
    }

    /// A span dropped because it lacks its start or its length.
    pub(crate) fn incomplete(&mut self) {
        self.counts.spans_incomplete += 1;
    }

    /// Closes the traces still open, at the end of the input.
    pub(crate) fn finish(mut self) -> ReadCounts {
        for closed in self.assembler.finish() {
            self.hand_on(closed);
        }
        self.counts
    }

    /// A kept string, held to the bound on string lengths.
    pub(crate) fn bounded<E: de::Error>(&mut self, text: String, what: &str) -> Result<String, E> {
        if text.len() > self.bounds.string_bytes_max {
            let message = format!(
                "the {what} is {} bytes long, more than the {} bytes a name can be",
                text.len(),
                self.bounds.string_bytes_max
            );
            return Err(self
                .place
                .fail(message, "is this field holding a whole document?"));
        }
        Ok(text)
    }

    fn hand_on(&mut self, closed: Closed) {
        match closed {
            Closed::Whole(trace) => {
                self.counts.traces += 1;
                self.counts.spans += trace.spans.len() as u64;
                (self.on_trace)(trace);
            }
            Closed::TooLarge { .. } => self.counts.traces_too_large += 1,
        }
    }
}
