//! What travels between nodes: requests and their answers (the data), and the control
//! plane's messages apart ([`Control`]).

mod control;

use meshsim_record::{Reason, ReasonKind};
use meshsim_sim::{GroupId, NodeId};

pub(crate) use control::{Control, RouteChange, RouteUpdate, ScaleMessage, ScrapeNumber};

use crate::served_counters::SCRAPE_PARTS;
use crate::slab::SlabKey;

/// The caller's key for one call, which the answer carries back unread: a sidecar's try (or,
/// in a completion, its whole call), a broker's delivery. Keys the caller gave none (an answer
/// a sidecar gives itself before a call exists) are 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallKey(pub u64);

impl CallKey {
    /// The caller's slab entry this key names.
    pub(crate) fn slab_key(self) -> SlabKey {
        SlabKey(self.0)
    }
}

impl From<SlabKey> for CallKey {
    fn from(key: SlabKey) -> CallKey {
        CallKey(key.0)
    }
}

/// What a request carries from the workload through every hop it causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestContext {
    /// The workload request this call belongs to (its trace).
    pub root: u64,
    /// The workload's client index, with `root` a unique trace id.
    pub client: u32,
    /// The header values the workload drew, interned per workload (0: none).
    pub headers: u32,
    /// Whether the trace export follows this request: every node it reaches records spans.
    pub sampled: bool,
}

impl RequestContext {
    /// The request's trace id, for spans.
    pub fn trace(&self) -> (meshsim_record::ClientId, u64) {
        (meshsim_record::ClientId(self.client), self.root)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The caller's key for this call; the answer carries it back.
    pub call: CallKey,
    /// The endpoint's index within the callee service.
    pub endpoint: u32,
    pub context: RequestContext,
    /// The calling node's group: who the callee's authorization policy sees.
    pub caller: u32,
}

/// Where a request's span is recorded: the instance serving it, who sent it, and the instance's
/// key for the visit when the visit may make calls (its calls' spans name it as their parent).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpanAt {
    pub(crate) node: NodeId,
    pub(crate) group: GroupId,
    pub(crate) from: NodeId,
    pub(crate) owner: Option<SlabKey>,
}

impl Request {
    /// Records a span of this request, if it is sampled, served at `at` from `start` to `now`.
    /// Generic over the outbox's messages, so the message type does not depend on the outbox
    /// alias built from it.
    pub(crate) fn record_span<M>(
        &self,
        at: SpanAt,
        kind: meshsim_record::SpanKind,
        (start, now): (meshsim_sim::SimTime, meshsim_sim::SimTime),
        status: u16,
        out: &mut meshsim_sim::Outbox<M, meshsim_record::Record>,
    ) {
        if !self.context.sampled {
            return;
        }
        let (id, parent) = self.span_ids(at, kind);
        out.record(meshsim_record::Record::Span(Box::new(
            meshsim_record::Span {
                trace: self.context.trace(),
                node: at.node,
                kind,
                start_ns: start.as_nanos(),
                end_ns: now.as_nanos(),
                endpoint: Some((at.group, self.endpoint)),
                peer: None,
                status,
                number: 0,
                id,
                parent,
                events: Vec::new(),
            },
        )));
    }

    /// A span's id and its parent's: a serve span's parent is the try that carried the request
    /// (the sender's node and the call key are that try's keys); a queue or work span's parent
    /// is its serve span.
    fn span_ids(&self, at: SpanAt, kind: meshsim_record::SpanKind) -> (u64, u64) {
        use meshsim_record::{SpanKind, SpanRole, span_id};
        let trace = self.context.trace();
        let sent = (u64::from(at.from.0), self.call.0);
        let serve = match at.owner {
            Some(owner) => span_id(trace, at.node, SpanRole::Visit, (owner.0, 0)),
            None => span_id(trace, at.node, SpanRole::Serve, sent),
        };
        match kind {
            SpanKind::Queue => (span_id(trace, at.node, SpanRole::Queue, sent), serve),
            SpanKind::Work => (span_id(trace, at.node, SpanRole::Work, sent), serve),
            _ => (serve, attempt_span(trace, at.from, self.call)),
        }
    }
}

/// The id of the try `call` that `from` sent, as its sidecar records it.
pub(crate) fn attempt_span(
    trace: (meshsim_record::ClientId, u64),
    from: NodeId,
    call: CallKey,
) -> u64 {
    meshsim_record::span_id(trace, from, meshsim_record::SpanRole::Attempt, (call.0, 0))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    pub call: CallKey,
    pub status: u16,
    /// What the failure began with, carried up the chain; `Reason::OK` on success.
    pub reason: Reason,
}

impl Response {
    /// The answer to call `call`.
    pub fn new(call: CallKey, status: u16, reason: Reason) -> Response {
        Response {
            call,
            status,
            reason,
        }
    }

    /// An answer to call `call` that `callee` gives without doing the work: it refused the
    /// request, or failed it for `kind` on its way.
    pub fn refusal(call: CallKey, status: u16, kind: ReasonKind, callee: GroupId) -> Response {
        Response::new(
            call,
            status,
            Reason {
                kind,
                group: Some(callee),
            },
        )
    }

    pub fn is_success(&self) -> bool {
        (200..400).contains(&self.status)
    }
}

// Copy, and no bigger than a request: the event queue moves messages by the million, and a
// variant with drop glue (a Box) slows every move (measured: 10 % on the chain bench).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
    /// The control plane's and the metrics pipeline's messages.
    Control(Control),
}

// The event queue moves messages by the million: keeping the control messages in an enum of
// their own must not make a message bigger than the 48 bytes it was with them inline (a
// request's 40 and the tag).
const MESSAGE_BYTES_MAX: usize = 48;
const _: () = assert!(std::mem::size_of::<Message>() <= MESSAGE_BYTES_MAX);

/// The wire form, for the turmoil engine's datagrams: a tag, then fixed-width little-endian
/// fields. It round-trips exactly; anything else fails to decode rather than guessing.
mod wire {
    pub(super) const REQUEST: u8 = 0;
    pub(super) const RESPONSE: u8 = 1;
    pub(super) const REQUEST_BYTES: usize = 1 + 8 + 4 + 8 + 4 + 4 + 4 + 1;
    pub(super) const RESPONSE_BYTES: usize = 1 + 8 + 2 + 1 + 4;
    /// `reason.group` when there is none.
    pub(super) const NO_GROUP: u32 = u32::MAX;
    pub(super) const SCRAPE: u8 = 2;
    pub(super) const SCRAPED: u8 = 3;
    pub(super) const ROUTES: u8 = 4;
    pub(super) const ENDPOINT: u8 = 5;
    pub(super) const SCRAPE_BYTES: usize = 1 + 4;
    pub(super) const SCRAPED_BYTES: usize = 1 + 4 + 1 + 8 * 4;
    pub(super) const ROUTES_BYTES: usize = 1 + 4 + 1 + 8 + 4 * 4;
    pub(super) const ENDPOINT_BYTES: usize = 1 + 4 + 1;
    pub(super) const READY: u8 = 6;
    /// An autoscaler's message: then a kind byte and its fields.
    pub(super) const SCALE: u8 = 7;
    pub(super) const SCALE_START: u8 = 0;
    pub(super) const SCALE_STOP: u8 = 1;
    pub(super) const SCALE_SAMPLE: u8 = 2;
    pub(super) const SCALE_USAGE: u8 = 3;
    pub(super) const SCALE_BYTES: usize = 1 + 1;
    pub(super) const SCALE_SAMPLE_BYTES: usize = 1 + 1 + 4;
    pub(super) const SCALE_USAGE_BYTES: usize = 1 + 1 + 4 + 8 + 4 + 8;
    pub(super) const WEIGHT: u8 = 0;
    pub(super) const REVERT: u8 = 1;
    pub(super) const PROMOTE: u8 = 2;
    pub(super) const REDIRECT: u8 = 3;
}

impl meshsim_sim::Wire for Message {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Message::Request(request) => {
                out.push(wire::REQUEST);
                out.extend_from_slice(&request.call.0.to_le_bytes());
                out.extend_from_slice(&request.endpoint.to_le_bytes());
                out.extend_from_slice(&request.context.root.to_le_bytes());
                out.extend_from_slice(&request.context.client.to_le_bytes());
                out.extend_from_slice(&request.context.headers.to_le_bytes());
                out.extend_from_slice(&request.caller.to_le_bytes());
                out.push(u8::from(request.context.sampled));
            }
            Message::Response(response) => {
                out.push(wire::RESPONSE);
                out.extend_from_slice(&response.call.0.to_le_bytes());
                out.extend_from_slice(&response.status.to_le_bytes());
                out.push(response.reason.kind as u8);
                let group = response
                    .reason
                    .group
                    .map_or(wire::NO_GROUP, |group| group.0);
                out.extend_from_slice(&group.to_le_bytes());
            }
            Message::Control(control) => encode_control(control, out),
        }
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut at = 1;
        match *bytes.first()? {
            wire::REQUEST if bytes.len() == wire::REQUEST_BYTES => {
                let call = CallKey(u64::from_le_bytes(take(bytes, &mut at)?));
                let endpoint = u32::from_le_bytes(take(bytes, &mut at)?);
                let root = u64::from_le_bytes(take(bytes, &mut at)?);
                let client = u32::from_le_bytes(take(bytes, &mut at)?);
                let headers = u32::from_le_bytes(take(bytes, &mut at)?);
                let caller = u32::from_le_bytes(take(bytes, &mut at)?);
                let sampled = match take::<1>(bytes, &mut at)?[0] {
                    0 => false,
                    1 => true,
                    _ => return None,
                };
                let context = RequestContext {
                    root,
                    client,
                    headers,
                    sampled,
                };
                Some(Message::Request(Request {
                    call,
                    endpoint,
                    context,
                    caller,
                }))
            }
            wire::RESPONSE if bytes.len() == wire::RESPONSE_BYTES => {
                let call = CallKey(u64::from_le_bytes(take(bytes, &mut at)?));
                let status = u16::from_le_bytes(take(bytes, &mut at)?);
                let kind = meshsim_record::ReasonKind::from_u8(take::<1>(bytes, &mut at)?[0])?;
                let group = u32::from_le_bytes(take(bytes, &mut at)?);
                let group = (group != wire::NO_GROUP).then_some(meshsim_sim::GroupId(group));
                Some(Message::Response(Response {
                    call,
                    status,
                    reason: Reason { kind, group },
                }))
            }
            _ => decode_control(bytes).map(Message::Control),
        }
    }
}

/// The next `N` bytes of `bytes` from `at`, which moves past them.
fn take<const N: usize>(bytes: &[u8], at: &mut usize) -> Option<[u8; N]> {
    let chunk = bytes.get(*at..*at + N)?.try_into().ok()?;
    *at += N;
    Some(chunk)
}

/// A control message from its wire form ([`encode_control`]).
fn decode_control(bytes: &[u8]) -> Option<Control> {
    let mut at = 1;
    match *bytes.first()? {
        wire::SCRAPE if bytes.len() == wire::SCRAPE_BYTES => Some(Control::Scrape {
            scrape: ScrapeNumber(u32::from_le_bytes(take(bytes, &mut at)?)),
        }),
        wire::SCRAPED if bytes.len() == wire::SCRAPED_BYTES => {
            let scrape = ScrapeNumber(u32::from_le_bytes(take(bytes, &mut at)?));
            let part = take::<1>(bytes, &mut at)?[0];
            if usize::from(part) >= SCRAPE_PARTS {
                return None;
            }
            let mut values = [0u64; 4];
            for value in &mut values {
                *value = u64::from_le_bytes(take(bytes, &mut at)?);
            }
            Some(Control::Scraped {
                scrape,
                part,
                values,
            })
        }
        wire::ROUTES if bytes.len() == wire::ROUTES_BYTES => {
            let service = u32::from_le_bytes(take(bytes, &mut at)?);
            let kind = take::<1>(bytes, &mut at)?[0];
            let percent = f64::from_bits(u64::from_le_bytes(take(bytes, &mut at)?));
            let mut ranges = [0u32; 4];
            for value in &mut ranges {
                *value = u32::from_le_bytes(take(bytes, &mut at)?);
            }
            let change = match kind {
                wire::WEIGHT => RouteChange::Weight { percent },
                wire::REVERT => RouteChange::Revert,
                wire::PROMOTE => RouteChange::Promote,
                wire::REDIRECT => RouteChange::Redirect { percent },
                _ => return None,
            };
            Some(Control::Routes(RouteUpdate {
                service,
                change,
                from: (ranges[0], ranges[1]),
                to: (ranges[2], ranges[3]),
            }))
        }
        tag @ (wire::ENDPOINT | wire::READY) if bytes.len() == wire::ENDPOINT_BYTES => {
            let node = NodeId(u32::from_le_bytes(take(bytes, &mut at)?));
            let ready = match take::<1>(bytes, &mut at)?[0] {
                0 => false,
                1 => true,
                _ => return None,
            };
            if tag == wire::READY {
                Some(Control::Ready { node, ready })
            } else {
                Some(Control::Endpoint { node, ready })
            }
        }
        wire::SCALE => decode_scale(bytes).map(Control::Scale),
        _ => None,
    }
}

/// An autoscaler's message from its wire form.
fn decode_scale(bytes: &[u8]) -> Option<ScaleMessage> {
    let mut at = 2;
    match (*bytes.get(1)?, bytes.len()) {
        (wire::SCALE_START, wire::SCALE_BYTES) => Some(ScaleMessage::Start),
        (wire::SCALE_STOP, wire::SCALE_BYTES) => Some(ScaleMessage::Stop),
        (wire::SCALE_SAMPLE, wire::SCALE_SAMPLE_BYTES) => Some(ScaleMessage::Sample {
            sample: u32::from_le_bytes(take(bytes, &mut at)?),
        }),
        (wire::SCALE_USAGE, wire::SCALE_USAGE_BYTES) => Some(ScaleMessage::Usage {
            sample: u32::from_le_bytes(take(bytes, &mut at)?),
            answered: u64::from_le_bytes(take(bytes, &mut at)?),
            in_progress: u32::from_le_bytes(take(bytes, &mut at)?),
            cpu_busy_ns: u64::from_le_bytes(take(bytes, &mut at)?),
        }),
        _ => None,
    }
}

/// The wire form of an autoscaler's message.
fn encode_scale(message: &ScaleMessage, out: &mut Vec<u8>) {
    out.push(wire::SCALE);
    match *message {
        ScaleMessage::Start => out.push(wire::SCALE_START),
        ScaleMessage::Stop => out.push(wire::SCALE_STOP),
        ScaleMessage::Sample { sample } => {
            out.push(wire::SCALE_SAMPLE);
            out.extend_from_slice(&sample.to_le_bytes());
        }
        ScaleMessage::Usage {
            sample,
            answered,
            in_progress,
            cpu_busy_ns,
        } => {
            out.push(wire::SCALE_USAGE);
            out.extend_from_slice(&sample.to_le_bytes());
            out.extend_from_slice(&answered.to_le_bytes());
            out.extend_from_slice(&in_progress.to_le_bytes());
            out.extend_from_slice(&cpu_busy_ns.to_le_bytes());
        }
    }
}

/// The wire form of a control message, after the same tags as before they had an enum of
/// their own.
fn encode_control(control: &Control, out: &mut Vec<u8>) {
    match control {
        Control::Scrape { scrape } => {
            out.push(wire::SCRAPE);
            out.extend_from_slice(&scrape.0.to_le_bytes());
        }
        Control::Scraped {
            scrape,
            part,
            values,
        } => {
            out.push(wire::SCRAPED);
            out.extend_from_slice(&scrape.0.to_le_bytes());
            out.push(*part);
            for value in values {
                out.extend_from_slice(&value.to_le_bytes());
            }
        }
        Control::Routes(update) => {
            out.push(wire::ROUTES);
            out.extend_from_slice(&update.service.to_le_bytes());
            let (kind, percent) = match update.change {
                RouteChange::Weight { percent } => (wire::WEIGHT, percent),
                RouteChange::Revert => (wire::REVERT, 0.0),
                RouteChange::Promote => (wire::PROMOTE, 0.0),
                RouteChange::Redirect { percent } => (wire::REDIRECT, percent),
            };
            out.push(kind);
            out.extend_from_slice(&percent.to_bits().to_le_bytes());
            for value in [update.from.0, update.from.1, update.to.0, update.to.1] {
                out.extend_from_slice(&value.to_le_bytes());
            }
        }
        Control::Endpoint { node, ready } | Control::Ready { node, ready } => {
            let tag = if matches!(control, Control::Ready { .. }) {
                wire::READY
            } else {
                wire::ENDPOINT
            };
            out.push(tag);
            out.extend_from_slice(&node.0.to_le_bytes());
            out.push(u8::from(*ready));
        }
        Control::Scale(message) => encode_scale(message, out),
    }
}

#[cfg(test)]
mod tests {
    use meshsim_record::{Reason, ReasonKind};
    use meshsim_sim::{GroupId, NodeId, Wire};

    use super::{
        CallKey, Control, Message, Request, RequestContext, Response, RouteChange, RouteUpdate,
        ScaleMessage, ScrapeNumber,
    };

    #[test]
    fn messages_round_trip_on_the_wire() {
        let messages = [
            Message::Request(Request {
                call: CallKey(u64::MAX - 3),
                endpoint: 7,
                context: RequestContext {
                    root: 99,
                    client: 2,
                    headers: 5,
                    sampled: true,
                },
                caller: 3,
            }),
            Message::Response(Response {
                call: CallKey(1),
                status: 503,
                reason: Reason {
                    kind: ReasonKind::Shed,
                    group: Some(GroupId(4)),
                },
            }),
            Message::Response(Response {
                call: CallKey(2),
                status: 200,
                reason: Reason::OK,
            }),
            Message::Control(Control::Scrape {
                scrape: ScrapeNumber(7),
            }),
            Message::Control(Control::Scraped {
                scrape: ScrapeNumber(7),
                part: 5,
                values: [1, 2, u64::MAX, 4],
            }),
            Message::Control(Control::Routes(RouteUpdate {
                service: 2,
                change: RouteChange::Weight { percent: 12.5 },
                from: (0, 3),
                to: (3, 4),
            })),
            Message::Control(Control::Routes(RouteUpdate {
                service: 2,
                change: RouteChange::Revert,
                from: (0, 3),
                to: (3, 4),
            })),
            Message::Control(Control::Endpoint {
                node: NodeId(9),
                ready: true,
            }),
            Message::Control(Control::Ready {
                node: NodeId(9),
                ready: false,
            }),
            Message::Control(Control::Scale(ScaleMessage::Start)),
            Message::Control(Control::Scale(ScaleMessage::Stop)),
            Message::Control(Control::Scale(ScaleMessage::Sample { sample: 3 })),
            Message::Control(Control::Scale(ScaleMessage::Usage {
                sample: 3,
                answered: u64::MAX,
                in_progress: 7,
                cpu_busy_ns: 12_345,
            })),
        ];
        for message in messages {
            let mut bytes = Vec::new();
            message.encode(&mut bytes);
            assert_eq!(Message::decode(&bytes), Some(message));
            assert_eq!(Message::decode(&bytes[..bytes.len() - 1]), None);
        }
    }
}
