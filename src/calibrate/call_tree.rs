//! One whole trace read as meshsim's vocabulary: every SERVER or CONSUMER span is a handler
//! (an endpoint answering a request, or a subscription handling a message) with its own work,
//! its error and its outgoing calls; the root says where the request came from. The rules are
//! in docs/calibrate.md; each is stated again where it is applied.

use super::span_tree::SpanTree;
use super::trace::{SpanRole, Trace, TraceSpan};

/// Service names are at most this long in a scenario.
pub(crate) const SERVICE_NAME_CHARS_MAX: usize = 64;
/// Endpoint names are at most this long in a scenario (`src/scenario/limits.rs`).
const ENDPOINT_NAME_CHARS_MAX: usize = 128;

/// What an outgoing call reached.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Target {
    /// An instrumented service: its SERVER span under the call says which endpoint.
    Sync { service: String, endpoint: String },
    /// A client span with no server span beneath it (a database, a cache, an uninstrumented
    /// service): a service of its own whose work is the client span's whole duration.
    Leaf { service: String, endpoint: String },
    /// A PRODUCER span: a publish to the topic.
    Publish { topic: String },
}

/// One logical outgoing call of a handler: the outermost CLIENT or PRODUCER span beneath it.
#[derive(Debug, Clone)]
pub(crate) struct ObservedCall {
    pub(crate) target: Target,
    pub(crate) start_ns: i64,
    pub(crate) end_ns: i64,
    /// The call as the caller saw it: the client span's duration.
    pub(crate) duration_ns: u64,
    /// SERVER spans of the callee under the one call: its tries.
    pub(crate) attempts: u32,
    pub(crate) failed: bool,
    /// One way of the network: (client − server) / 2 for a call with one try, half the
    /// producer span for a publish (the broker's confirm is the answer); `None` otherwise.
    pub(crate) one_way_ns: Option<u64>,
    /// Whom a publish went to, as its producer span names it (`server.address`, `peer.service`):
    /// the broker's name.
    pub(crate) peer: Option<String>,
}

/// What answered: an endpoint, a subscription's consumer, or a leaf behind a client span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HandlerKind {
    Server,
    Consumer { topic: String },
    Leaf,
}

/// A SERVER or CONSUMER span (or a leaf's client span) with what it did.
#[derive(Debug, Clone)]
pub(crate) struct Handler {
    pub(crate) kind: HandlerKind,
    pub(crate) service: String,
    pub(crate) version: Option<String>,
    pub(crate) instance: Option<String>,
    pub(crate) endpoint: String,
    pub(crate) start_ns: i64,
    pub(crate) duration_ns: u64,
    /// The span's duration less the union of the time its calls cover.
    pub(crate) own_work_ns: u64,
    pub(crate) error: bool,
    /// Failed while none of its calls failed: in meshsim a failed call makes the endpoint
    /// answer 500 by itself, so those are not its own errors.
    pub(crate) own_error: bool,
    pub(crate) calls: Vec<ObservedCall>,
}

/// Where the trace's request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EntrySource {
    /// A root CLIENT span of a service with no SERVER span in the trace: a load generator,
    /// named after its service.
    Workload(String),
    /// A root SERVER span: clients the traces do not show.
    Clients,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) source: EntrySource,
    pub(crate) service: String,
    pub(crate) endpoint: String,
    /// The root span's start: the request's arrival.
    pub(crate) arrival_ns: i64,
    /// The entry endpoint's SERVER span's duration: what `--check` compares.
    pub(crate) duration_ns: u64,
    /// The one-way hop from a load generator to the entry, when its client span shows it.
    pub(crate) one_way_ns: Option<u64>,
}

/// Everything calibration takes from one trace.
#[derive(Debug, Clone, Default)]
pub(crate) struct TraceFacts {
    pub(crate) handlers: Vec<Handler>,
    pub(crate) entry: Option<Entry>,
}

/// A server span's endpoint: `METHOD route` from `http.request.method` and `http.route` when
/// both are present, the route alone without a method, else the span's name.
pub(crate) fn endpoint_name(span: &TraceSpan) -> String {
    let name = match (&span.http_method, &span.http_route) {
        (Some(method), Some(route)) => format!("{method} {route}"),
        (None, Some(route)) => route.clone(),
        _ => span.name.clone(),
    };
    name.chars().take(ENDPOINT_NAME_CHARS_MAX).collect()
}

/// A service name as a scenario takes it: letters, digits, `.`, `_` and `-` kept, any other
/// character (a `/` would read as an instance, a space splits nothing) made `-`, 64 at most.
pub(crate) fn service_name(text: &str) -> String {
    if text.is_empty() {
        return "unnamed".to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(SERVICE_NAME_CHARS_MAX)
        .collect()
}

/// Reads a whole trace (its clocks already adjusted).
pub(crate) fn read_facts(trace: &Trace, tree: &SpanTree) -> TraceFacts {
    let mut facts = TraceFacts::default();
    for (at, span) in trace.spans.iter().enumerate() {
        let kind = match span.role {
            SpanRole::Server => HandlerKind::Server,
            SpanRole::Consumer => HandlerKind::Consumer {
                topic: span
                    .messaging_destination
                    .clone()
                    .unwrap_or_else(|| span.name.clone()),
            },
            _ => continue,
        };
        let calls = outgoing_calls(trace, tree, at, &mut facts.handlers);
        facts.handlers.push(handler(span, kind, calls));
    }
    facts.entry = tree
        .roots
        .first()
        .and_then(|&root| entry(trace, tree, root));
    facts
}

fn handler(span: &TraceSpan, kind: HandlerKind, calls: Vec<ObservedCall>) -> Handler {
    let covered = covered_ns(span, &calls);
    let failed_call = calls.iter().any(|call| call.failed);
    Handler {
        kind,
        service: service_name(&span.service),
        version: span.version.clone(),
        instance: span.instance.clone(),
        endpoint: endpoint_name(span),
        start_ns: span.start_ns,
        duration_ns: span.duration_ns,
        own_work_ns: span.duration_ns.saturating_sub(covered),
        error: span.error,
        own_error: span.error && !failed_call,
        calls,
    }
}

/// The length of the union of the calls' intervals, clipped to the span.
fn covered_ns(span: &TraceSpan, calls: &[ObservedCall]) -> u64 {
    let mut intervals: Vec<(i64, i64)> = calls
        .iter()
        .map(|call| {
            (
                call.start_ns.max(span.start_ns),
                call.end_ns.min(span.end_ns()),
            )
        })
        .filter(|(start, end)| start < end)
        .collect();
    intervals.sort_unstable();
    let mut covered: u64 = 0;
    let mut current: Option<(i64, i64)> = None;
    for (start, end) in intervals {
        current = match current {
            Some((open_start, open_end)) if start <= open_end => {
                Some((open_start, open_end.max(end)))
            }
            Some((open_start, open_end)) => {
                covered += open_end.abs_diff(open_start);
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((start, end)) = current {
        covered += end.abs_diff(start);
    }
    covered
}

/// The handler's logical calls: walking down through its INTERNAL spans, the first CLIENT or
/// PRODUCER span on each path (an application's client span and its sidecar's nest: the
/// outermost is the call), or a SERVER span met directly (its caller was not instrumented).
/// A leaf call's handler is pushed to `leaves`.
fn outgoing_calls(
    trace: &Trace,
    tree: &SpanTree,
    handler_at: usize,
    leaves: &mut Vec<Handler>,
) -> Vec<ObservedCall> {
    let mut calls = Vec::new();
    let mut stack: Vec<usize> = tree.children[handler_at].iter().rev().copied().collect();
    while let Some(at) = stack.pop() {
        let span = &trace.spans[at];
        match span.role {
            SpanRole::Server => calls.push(sync_call(span, span, &[at], trace)),
            SpanRole::Consumer => {}
            SpanRole::Producer => calls.push(publish_call(span)),
            SpanRole::Client => {
                let tries = tries_under(trace, tree, at);
                if tries.is_empty() {
                    let leaf = leaf_handler(span);
                    calls.push(leaf_call(span, &leaf));
                    leaves.push(leaf);
                } else {
                    calls.push(sync_call(
                        span,
                        &trace.spans[tries[tries.len() - 1]],
                        &tries,
                        trace,
                    ));
                }
            }
            SpanRole::Internal => stack.extend(tree.children[at].iter().rev().copied()),
        }
    }
    calls.sort_by_key(|call| call.start_ns);
    calls
}

/// The first SERVER spans on each path below a client span: the callee's tries.
fn tries_under(trace: &Trace, tree: &SpanTree, client_at: usize) -> Vec<usize> {
    let mut tries = Vec::new();
    let mut stack: Vec<usize> = tree.children[client_at].iter().rev().copied().collect();
    while let Some(at) = stack.pop() {
        match trace.spans[at].role {
            SpanRole::Server => tries.push(at),
            SpanRole::Consumer => {}
            _ => stack.extend(tree.children[at].iter().rev().copied()),
        }
    }
    tries.sort_by_key(|&at| trace.spans[at].start_ns);
    tries
}

fn sync_call(
    client: &TraceSpan,
    last_try: &TraceSpan,
    tries: &[usize],
    trace: &Trace,
) -> ObservedCall {
    let one_way_ns = (tries.len() == 1 && !std::ptr::eq(client, last_try))
        .then(|| client.duration_ns.saturating_sub(last_try.duration_ns) / 2);
    ObservedCall {
        target: Target::Sync {
            service: service_name(&last_try.service),
            endpoint: endpoint_name(last_try),
        },
        start_ns: client.start_ns,
        end_ns: client.end_ns(),
        duration_ns: client.duration_ns,
        attempts: u32::try_from(tries.len()).unwrap_or(u32::MAX),
        failed: client.error || last_try.error || tries.iter().all(|&at| trace.spans[at].error),
        one_way_ns,
        peer: None,
    }
}

fn publish_call(producer: &TraceSpan) -> ObservedCall {
    ObservedCall {
        target: Target::Publish {
            topic: producer
                .messaging_destination
                .clone()
                .unwrap_or_else(|| producer.name.clone()),
        },
        start_ns: producer.start_ns,
        end_ns: producer.end_ns(),
        duration_ns: producer.duration_ns,
        attempts: 1,
        failed: producer.error,
        one_way_ns: Some(producer.duration_ns / 2),
        peer: producer.peer_service.as_deref().map(service_name),
    }
}

/// A client span with nothing instrumented beneath it: the callee is named by `peer.service`
/// (else the span's name), and its work is the whole client span.
fn leaf_handler(client: &TraceSpan) -> Handler {
    let service = service_name(client.peer_service.as_deref().unwrap_or(&client.name));
    Handler {
        kind: HandlerKind::Leaf,
        service,
        version: None,
        instance: None,
        endpoint: endpoint_name(client),
        start_ns: client.start_ns,
        duration_ns: client.duration_ns,
        own_work_ns: client.duration_ns,
        error: client.error,
        own_error: client.error,
        calls: Vec::new(),
    }
}

fn leaf_call(client: &TraceSpan, leaf: &Handler) -> ObservedCall {
    ObservedCall {
        target: Target::Leaf {
            service: leaf.service.clone(),
            endpoint: leaf.endpoint.clone(),
        },
        start_ns: client.start_ns,
        end_ns: client.end_ns(),
        duration_ns: client.duration_ns,
        attempts: 1,
        failed: client.error,
        one_way_ns: None,
        peer: None,
    }
}

/// The trace's entry, from its root: a SERVER root is the entry itself; a CLIENT (or PRODUCER)
/// root of a service with no SERVER span in the trace is a load generator calling the SERVER
/// span beneath it. Any other root gives no entry.
fn entry(trace: &Trace, tree: &SpanTree, root: usize) -> Option<Entry> {
    let span = &trace.spans[root];
    match span.role {
        SpanRole::Server => Some(Entry {
            source: EntrySource::Clients,
            service: service_name(&span.service),
            endpoint: endpoint_name(span),
            arrival_ns: span.start_ns,
            duration_ns: span.duration_ns,
            one_way_ns: None,
        }),
        SpanRole::Client => {
            let serves = trace
                .spans
                .iter()
                .any(|other| other.service == span.service && other.role == SpanRole::Server);
            let tries = tries_under(trace, tree, root);
            let target = &trace.spans[*tries.first()?];
            (!serves).then(|| Entry {
                source: EntrySource::Workload(service_name(&span.service)),
                service: service_name(&target.service),
                endpoint: endpoint_name(target),
                arrival_ns: span.start_ns,
                duration_ns: target.duration_ns,
                one_way_ns: (tries.len() == 1)
                    .then(|| span.duration_ns.saturating_sub(target.duration_ns) / 2),
            })
        }
        _ => None,
    }
}
