//! The trace formats calibrate reads, as `--format` names them.

/// A trace file's format, as `--format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TraceFormat {
    /// Jaeger's JSON (`{"data": [{"traceID", "spans", "processes"}]}`), as its UI and query
    /// API export it.
    Jaeger,
    /// Zipkin v2 JSON: a list of spans (a trace as the UI downloads it), or a list of such lists
    /// (the `/api/v2/traces` answer).
    Zipkin,
    /// OTLP JSON, as the OpenTelemetry collector's file exporter writes it: one
    /// `{"resourceSpans": [...]}` object per line (or one object for the whole file).
    Otlp,
}
