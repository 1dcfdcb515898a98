//! The trace export: sampled requests' spans in the Chrome trace-event JSON format, which
//! Perfetto (ui.perfetto.dev) and `chrome://tracing` open.
//!
//! Each service or workload is a process. Within it, one request's spans at one instance form a
//! tree (arrival → queue → work → each call → each try), written parent first once its root
//! ends ([`span_trees`]), on the first of the process's lanes free for the tree's whole time
//! ([`lanes`]): a few threads per service, on which slices only ever nest. The root slice names
//! its request (`POST /orders · shoppers #204`) and every slice carries the request and the
//! instance as arguments. The file is streamed as the run goes: a header, one event per line,
//! and the closing bracket at the end; process and thread names are written the first time each
//! is used.

mod lanes;
mod span_trees;

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::catalog::Catalog;
use crate::keys::trace_id;
use crate::span::{Span, SpanKind};

use lanes::Lanes;
use span_trees::{SpanTree, SpanTrees};

/// Spans that may wait for their tree's root at once. Those of the requests in flight wait, a
/// handful each, so a run reaches this only when roots never come (instances that crash over
/// and over): then everything waiting is written as it is, in smaller trees, and memory stays
/// at a few megabytes.
const HELD_SPANS_MAX: usize = 1 << 16;

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
    /// Spans waiting for the root of their tree.
    trees: SpanTrees,
    lanes: Lanes,
    /// Processes (groups) already named.
    named_processes: Vec<bool>,
    line: String,
}

impl TraceWriter {
    pub(crate) fn new(mut writer: Box<dyn Write>, catalog: &Catalog) -> io::Result<TraceWriter> {
        writer.write_all(b"{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n")?;
        Ok(TraceWriter {
            writer,
            trees: SpanTrees::default(),
            lanes: Lanes::new(catalog.groups.len()),
            named_processes: vec![false; catalog.groups.len()],
            line: String::new(),
        })
    }

    /// Takes a span as it ends; writes the tree it completes, if any.
    pub(crate) fn span(&mut self, catalog: &Catalog, span: &Span) -> io::Result<()> {
        if span.kind == SpanKind::Deliver {
            return Ok(());
        }
        if let Some(tree) = self.trees.add(span) {
            self.write_tree(catalog, &tree)?;
        }
        if self.trees.held_spans() > HELD_SPANS_MAX {
            self.write_waiting(catalog)?;
        }
        Ok(())
    }

    /// Writes whatever still waits for a root, then closes the JSON array; a last metadata
    /// event absorbs the trailing comma.
    pub(crate) fn finish(&mut self, catalog: &Catalog) -> io::Result<()> {
        self.write_waiting(catalog)?;
        self.writer.write_all(
            b"{\"ph\":\"M\",\"name\":\"trace_end\",\"pid\":0,\"args\":{\"by\":\"meshsim\"}}\n]}\n",
        )?;
        self.writer.flush()
    }

    fn write_waiting(&mut self, catalog: &Catalog) -> io::Result<()> {
        for tree in self.trees.drain() {
            self.write_tree(catalog, &tree)?;
        }
        Ok(())
    }

    /// Writes one tree on a lane of its node's process, naming the process and the lane the
    /// first time each is used.
    fn write_tree(&mut self, catalog: &Catalog, tree: &SpanTree) -> io::Result<()> {
        // The root holds every other span of the tree, so its time is the tree's.
        let root = &tree[0];
        let group = catalog.nodes[root.node.0 as usize].group.0 as usize;
        let process = group + 1;
        let request = (root.trace.0.0, root.trace.1);
        let placement = self
            .lanes
            .place(group, request, (root.start_ns, root.end_ns));
        let thread = placement.thread;
        self.line.clear();
        if !self.named_processes[group] {
            self.named_processes[group] = true;
            let _ = writeln!(
                self.line,
                "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{process},\"args\":{{\"name\":{}}}}},",
                json_string(&catalog.groups[group].name)
            );
        }
        if let Some(lane) = placement.opened_lane {
            let _ = writeln!(
                self.line,
                "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{process},\"tid\":{thread},\"args\":{{\"name\":\"lane {lane}\"}}}},"
            );
        }
        for span in tree {
            self.write_slice(catalog, span, (process, thread));
        }
        self.writer.write_all(self.line.as_bytes())
    }

    /// Appends one span as a complete event ("X") to the line buffer.
    fn write_slice(&mut self, catalog: &Catalog, span: &Span, (process, thread): (usize, u32)) {
        let client = &catalog.clients[span.trace.0.0 as usize];
        let request = format!("{client} #{}", span.trace.1);
        // Microseconds with nanosecond decimals: Perfetto keeps the precision.
        let _ = writeln!(
            self.line,
            "{{\"ph\":\"X\",\"cat\":\"{}\",\"name\":{},\"pid\":{process},\"tid\":{thread},\"ts\":{},\"dur\":{},\"args\":{{\"status\":{},\"request\":{},\"instance\":{},\"trace_id\":\"{}\"}}}},",
            span.kind.name(),
            json_string(&slice_name(catalog, span, &request)),
            micros(span.start_ns),
            micros(span.end_ns.saturating_sub(span.start_ns)),
            span.status,
            json_string(&request),
            json_string(&catalog.nodes[span.node.0 as usize].name),
            trace_id(span.trace.0, span.trace.1),
        );
    }
}

/// What a slice is called. A root (client or serve) also names its request: a lane holds many
/// requests, and Perfetto's search finds slices by name.
fn slice_name(catalog: &Catalog, span: &Span, request: &str) -> String {
    let endpoint = span.endpoint.map(|(group, endpoint)| {
        let group = &catalog.groups[group.0 as usize];
        let endpoint_name = group
            .endpoints
            .get(endpoint as usize)
            .map_or("?", String::as_str);
        (group.name.as_str(), endpoint_name)
    });
    match (span.kind, endpoint) {
        (SpanKind::Client, Some((service, endpoint))) => {
            format!("{service} {endpoint} · {request}")
        }
        (SpanKind::Serve, Some((_, endpoint))) => format!("{endpoint} · {request}"),
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
        (kind, _) if kind.depth() == 0 => format!("{} · {request}", kind.name()),
        (kind, _) => kind.name().to_owned(),
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::catalog::{GroupInfo, NodeInfo};
    use meshsim_sim::{GroupId, NodeId};

    use crate::keys::ClientId;

    /// A writer the test reads back after the trace writer is done with it.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn catalog() -> Catalog {
        let group = |name: &str, endpoints: &[&str]| GroupInfo {
            name: name.to_owned(),
            versions: Vec::new(),
            endpoints: endpoints.iter().map(|name| (*name).to_owned()).collect(),
        };
        let node = |group: u32, name: &str| NodeInfo {
            group: GroupId(group),
            name: name.to_owned(),
            version: None,
        };
        Catalog {
            groups: vec![group("order", &["POST /orders"]), group("db", &["create"])],
            clients: vec!["shoppers".to_owned()],
            nodes: vec![node(0, "order/0"), node(1, "db")],
            subscriptions: Vec::new(),
            rollouts: Vec::new(),
            metrics_interval_ns: 1_000_000_000,
        }
    }

    fn span(request: u64, kind: SpanKind, (start_ns, end_ns): (u64, u64)) -> Span {
        let endpoint = if kind == SpanKind::Call || kind == SpanKind::Attempt {
            (GroupId(1), 0)
        } else {
            (GroupId(0), 0)
        };
        Span {
            trace: (ClientId(0), request),
            node: NodeId(0),
            kind,
            start_ns,
            end_ns,
            endpoint: Some(endpoint),
            peer: Some(NodeId(1)),
            status: 200,
            number: 0,
            id: 1,
            parent: 0,
            events: Vec::new(),
        }
    }

    /// Writes `spans` in the order given, as the recorder hands them over; returns the slices'
    /// (category, thread) in file order.
    fn written(spans: &[Span]) -> Vec<(String, String)> {
        let catalog = catalog();
        let shared = Shared::default();
        let mut writer = TraceWriter::new(Box::new(shared.clone()), &catalog).unwrap();
        for span in spans {
            writer.span(&catalog, span).unwrap();
        }
        writer.finish(&catalog).unwrap();
        let text = String::from_utf8(shared.0.borrow().clone()).unwrap();
        let field = |line: &str, name: &str| {
            let from = line.find(&format!("\"{name}\":")).unwrap() + name.len() + 3;
            let rest = line[from..].trim_start_matches('"');
            rest[..rest.find([',', '"']).unwrap()].to_owned()
        };
        text.lines()
            .filter(|line| line.contains("\"ph\":\"X\""))
            .map(|line| (field(line, "cat"), field(line, "tid")))
            .collect()
    }

    #[test]
    fn slices_with_the_same_start_and_length_are_written_parent_first() {
        // As the models record them, children first: work and serve start together and end
        // together; so do the call and its only try.
        let slices = written(&[
            span(1, SpanKind::Work, (0, 500)),
            span(1, SpanKind::Attempt, (500, 900)),
            span(1, SpanKind::Call, (500, 900)),
            span(1, SpanKind::Serve, (0, 900)),
        ]);
        let categories: Vec<&str> = slices.iter().map(|(cat, _)| cat.as_str()).collect();
        assert_eq!(categories, ["serve", "work", "call", "attempt"]);
    }

    #[test]
    fn requests_share_a_lane_unless_they_overlap() {
        let slices = written(&[
            span(1, SpanKind::Serve, (0, 100)),
            // Request 2 overlaps request 1, so it takes a second lane; request 3 comes after
            // both and goes back to the first.
            span(2, SpanKind::Work, (50, 150)),
            span(2, SpanKind::Serve, (50, 150)),
            span(3, SpanKind::Serve, (200, 300)),
        ]);
        let threads: Vec<&str> = slices.iter().map(|(_, tid)| tid.as_str()).collect();
        assert_eq!(threads, ["1", "2", "2", "1"]);
    }
}
