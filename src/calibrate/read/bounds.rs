//! The bounds on what a trace file can make the readers hold: each is far above what a real
//! system's traces need, and low enough that a file that is not what it claims (or a typo in a
//! generator) cannot take the machine's memory.

/// What the readers hold at most, and when the assembler closes a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    /// A trace of a flat format (Zipkin, OTLP) is closed when none of its spans came in the last
    /// this many spans read. Exporters write a trace's spans within a batch or a few (the
    /// collector's batch processor sends at most 8192 spans a batch by default), so 100,000
    /// spans of silence mean it is whole.
    pub(crate) idle_spans: u64,
    /// Spans held in open traces at most; beyond, the least recently active open trace is closed
    /// as it is. A million spans are a few hundred megabytes.
    pub(crate) open_spans_max: usize,
    /// Spans in one trace at most; a larger trace is dropped and counted (`traces_too_large`).
    /// A request's trace has tens to thousands of spans; 100,000 is a runaway loop.
    pub(crate) trace_spans_max: usize,
    /// Bytes in a string the readers keep (a name, an id, an attribute); a longer one is a
    /// located error, since no real name is a megabyte long.
    pub(crate) string_bytes_max: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            idle_spans: 100_000,
            open_spans_max: 1_000_000,
            trace_spans_max: 100_000,
            string_bytes_max: 64 * 1024,
        }
    }
}
