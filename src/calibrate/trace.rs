//! One trace as calibration reads it, whatever file it came from: the spans of one request's
//! journey, each with the little calibration needs (who, what, when, how it ended, its parent).
//! The readers (Jaeger JSON, Zipkin v2 JSON, OTLP JSON) turn their formats into these; the
//! model builder never sees a format.

/// A span's role in its trace, as OpenTelemetry names them (`SpanKind` in
/// `opentelemetry/proto/trace/v1/trace.proto`); Zipkin's and Jaeger's `span.kind` map onto them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum SpanRole {
    /// The span serves a request that came in (OTLP `SERVER`, Zipkin `SERVER`).
    Server,
    /// The span waits for an outgoing call (OTLP `CLIENT`).
    Client,
    /// The span publishes a message (OTLP `PRODUCER`).
    Producer,
    /// The span handles a delivered message (OTLP `CONSUMER`).
    Consumer,
    /// Work inside one service (OTLP `INTERNAL`, or no kind given).
    Internal,
}

/// One span, read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TraceSpan {
    /// The span's id within its trace (8 bytes in every format; hex as read, lower case).
    pub span_id: String,
    /// Its parent's id; `None` for a root (or when the file gives none).
    pub parent_id: Option<String>,
    /// The service that recorded it (OTLP resource `service.name`, Jaeger process
    /// `serviceName`, Zipkin `localEndpoint.serviceName`). A span without one is counted and
    /// dropped by the reader, so this is never empty.
    pub service: String,
    /// `service.version` where the resource (or the span's tags) carries it.
    pub version: Option<String>,
    /// The instance that recorded it, when the format says: OTLP `service.instance.id` or
    /// `host.name`, Jaeger's process (its id, or its `hostname` tag), Zipkin's
    /// `localEndpoint.ipv4`/`ipv6`. Tells one service's processes apart (its replicas).
    pub instance: Option<String>,
    pub role: SpanRole,
    /// The span's name as written (`GET /orders/{id}`, `HTTP GET`, `orders.create`).
    pub name: String,
    /// `http.request.method` (or the older `http.method`) when present.
    pub http_method: Option<String>,
    /// `http.route` when present (the route template, not the URL).
    pub http_route: Option<String>,
    /// `messaging.destination.name` (or the older `messaging.destination`) on producer and
    /// consumer spans: the topic.
    pub messaging_destination: Option<String>,
    /// `peer.service`, or `server.address` (`net.peer.name`) on a client span: whom it called,
    /// as the caller names it. Only a hint: the callee's own server span, when present, decides.
    pub peer_service: Option<String>,
    /// Start, in nanoseconds since the Unix epoch, as the recording host's clock read it.
    pub start_ns: i64,
    /// Its length in nanoseconds (never negative: a reader refuses a span that ends before it
    /// starts, with its location).
    pub duration_ns: u64,
    /// `http.response.status_code` (or `http.status_code`) when present.
    pub http_status: Option<u16>,
    /// Whether the span ended in error: OTLP status `STATUS_CODE_ERROR`, Jaeger's `error` tag,
    /// Zipkin's `error` tag, or an HTTP status of 500 or more on a server span (the
    /// OpenTelemetry HTTP semantic conventions: a server span's 4xx is not an error of the
    /// server).
    pub error: bool,
}

impl TraceSpan {
    /// When the span ends, on its own host's clock.
    pub(crate) fn end_ns(&self) -> i64 {
        self.start_ns
            .saturating_add(i64::try_from(self.duration_ns).unwrap_or(i64::MAX))
    }
}

/// The spans of one trace, in the order the file gave them.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::struct_field_names)] // `trace_id` is what every trace format calls it.
pub(crate) struct Trace {
    /// The trace id, hex as read (16 bytes, or 8 in old Zipkin and Jaeger data), lower case.
    pub trace_id: String,
    /// Where the trace was read, for messages: the file and, for formats that hold one trace
    /// per element, its index (`traces.json, trace 12`).
    pub origin: String,
    pub spans: Vec<TraceSpan>,
}
