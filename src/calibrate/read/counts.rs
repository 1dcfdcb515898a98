//! What a read saw, counted.

/// What the readers saw, for the lines `calibrate` prints about what it could not use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReadCounts {
    pub files: u64,
    pub bytes: u64,
    /// Traces handed on.
    pub traces: u64,
    /// Spans handed on, in those traces.
    pub spans: u64,
    /// Spans dropped because no service recorded them (no `service.name`).
    pub spans_without_service: u64,
    /// Traces dropped whole because they passed the bound on spans per trace.
    pub traces_too_large: u64,
    /// Spans dropped because they lack their start or their length (Zipkin allows such
    /// incomplete spans; a Jaeger or OTLP span missing a time is one too).
    pub spans_incomplete: u64,
}
