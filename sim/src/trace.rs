//! The trace export: sampled requests' spans in the Chrome trace-event JSON format, which
//! Perfetto (ui.perfetto.dev) and `chrome://tracing` open.
//!
//! Each service or workload is a process; each sampled request at each node is a thread of its
//! own, named like `shoppers #42 · order/1`, so one request's spans at one instance nest cleanly
//! (arrival → queue → work → each call → each try) even when many requests overlap there. The
//! file is streamed as the run goes: a header, one event per line, and the closing bracket at
//! the end; process and thread names are written the first time each is used.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::record::{Span, SpanKind};
use crate::recorder::Catalog;

/// Where the trace goes, and the share of workload requests it follows.
pub struct TraceOutput {
    pub writer: Box<dyn Write>,
    /// 0 to 1: a request is traced when a hash of its id falls under this share, so the same
    /// requests are traced on every run and on both engines.
    pub sample_rate: f64,
}

impl std::fmt::Debug for TraceOutput {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TraceOutput")
            .field("sample_rate", &self.sample_rate)
            .finish_non_exhaustive()
    }
}

pub(crate) struct TraceWriter {
    writer: Box<dyn Write>,
    /// (client, request, node) → the thread id given to it, in order of first use.
    threads: BTreeMap<(u32, u64, u32), u32>,
    /// Processes (groups) already named.
    named_processes: Vec<bool>,
    line: String,
}

impl TraceWriter {
    pub fn new(mut writer: Box<dyn Write>, catalog: &Catalog) -> io::Result<TraceWriter> {
        writer.write_all(b"{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n")?;
        Ok(TraceWriter {
            writer,
            threads: BTreeMap::new(),
            named_processes: vec![false; catalog.groups.len()],
            line: String::new(),
        })
    }

    pub fn span(&mut self, catalog: &Catalog, span: &Span) -> io::Result<()> {
        let node = &catalog.nodes[span.node.0 as usize];
        let process = node.group.0 + 1;
        self.line.clear();
        if !self.named_processes[node.group.0 as usize] {
            self.named_processes[node.group.0 as usize] = true;
            let name = &catalog.groups[node.group.0 as usize].name;
            let _ = writeln!(
                self.line,
                "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{process},\"args\":{{\"name\":{}}}}},",
                json_string(name)
            );
        }
        let key = (span.trace.0.0, span.trace.1, span.node.0);
        let next = self.threads.len() as u32 + 1;
        let thread = *self.threads.entry(key).or_insert_with(|| {
            let client = &catalog.clients[span.trace.0.0 as usize];
            let name = format!("{client} #{} · {}", span.trace.1, node.name);
            let _ = writeln!(
                self.line,
                "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{process},\"tid\":{next},\"args\":{{\"name\":{}}}}},",
                json_string(&name)
            );
            next
        });
        let endpoint = span.endpoint.map(|(group, endpoint)| {
            let group = &catalog.groups[group.0 as usize];
            let endpoint_name = group
                .endpoints
                .get(endpoint as usize)
                .map_or("?", String::as_str);
            (group.name.as_str(), endpoint_name)
        });
        let name = match (span.kind, endpoint) {
            (SpanKind::Client, Some((service, endpoint))) => format!("{service} {endpoint}"),
            (SpanKind::Serve, Some((_, endpoint))) => endpoint.to_owned(),
            (SpanKind::Call, Some((service, endpoint))) => format!("call {service} {endpoint}"),
            (SpanKind::Attempt, _) => {
                let peer = span
                    .peer
                    .map_or("?", |peer| catalog.nodes[peer.0 as usize].name.as_str());
                if span.number == 0 {
                    format!("try → {peer}")
                } else {
                    format!("retry {} → {peer}", span.number)
                }
            }
            (kind, _) => kind.name().to_owned(),
        };
        // Microseconds with nanosecond decimals: Perfetto keeps the precision.
        let _ = writeln!(
            self.line,
            "{{\"ph\":\"X\",\"cat\":\"{}\",\"name\":{},\"pid\":{process},\"tid\":{thread},\"ts\":{},\"dur\":{},\"args\":{{\"status\":{},\"request\":\"{} #{}\",\"trace_id\":\"{}\"}}}},",
            span.kind.name(),
            json_string(&name),
            micros(span.start_ns),
            micros(span.end_ns.saturating_sub(span.start_ns)),
            span.status,
            json_escape(&catalog.clients[span.trace.0.0 as usize]),
            span.trace.1,
            crate::record::trace_id(span.trace.0, span.trace.1),
        );
        self.writer.write_all(self.line.as_bytes())
    }

    /// Closes the JSON array; a last metadata event absorbs the trailing comma.
    pub fn finish(&mut self) -> io::Result<()> {
        self.writer.write_all(
            b"{\"ph\":\"M\",\"name\":\"trace_end\",\"pid\":0,\"args\":{\"by\":\"meshsim\"}}\n]}\n",
        )?;
        self.writer.flush()
    }
}

fn micros(nanos: u64) -> String {
    format!("{}.{:03}", nanos / 1_000, nanos % 1_000)
}

fn json_string(text: &str) -> String {
    format!("\"{}\"", json_escape(text))
}

fn json_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '"' => escaped.push_str("\\\""),
            '\\' => escaped.push_str("\\\\"),
            control if u32::from(control) < 0x20 => {
                let _ = write!(escaped, "\\u{:04x}", u32::from(control));
            }
            other => escaped.push(other),
        }
    }
    escaped
}
