//! What travels between nodes: requests and their answers.

use meshsim_sim::Reason;

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
    pub fn trace(&self) -> (meshsim_sim::ClientId, u64) {
        (meshsim_sim::ClientId(self.client), self.root)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The caller's sidecar's key for this call; the answer carries it back.
    pub call: u64,
    /// The endpoint's index within the callee service.
    pub endpoint: u32,
    pub context: RequestContext,
    /// The calling node's group: who the callee's authorization policy sees.
    pub caller: u32,
}

impl Request {
    /// Records a span of this request, if it is sampled, served at `node` of `group` from
    /// `start` to `now`.
    pub fn record_span(
        &self,
        node: meshsim_sim::NodeId,
        group: meshsim_sim::GroupId,
        kind: meshsim_sim::SpanKind,
        (start, now): (meshsim_sim::SimTime, meshsim_sim::SimTime),
        status: u16,
        out: &mut meshsim_sim::Outbox<Message>,
    ) {
        if !self.context.sampled {
            return;
        }
        out.record(meshsim_sim::Record::Span(Box::new(meshsim_sim::Span {
            trace: self.context.trace(),
            node,
            kind,
            start_ns: start.as_nanos(),
            end_ns: now.as_nanos(),
            endpoint: Some((group, self.endpoint)),
            peer: None,
            status,
            number: 0,
        })));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    pub call: u64,
    pub status: u16,
    /// What the failure began with, carried up the chain; `Reason::OK` on success.
    pub reason: Reason,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..400).contains(&self.status)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

/// The wire form, for the turmoil engine's datagrams: a tag, then fixed-width little-endian
/// fields. It round-trips exactly; anything else fails to decode rather than guessing.
mod wire {
    pub const REQUEST: u8 = 0;
    pub const RESPONSE: u8 = 1;
    pub const REQUEST_BYTES: usize = 1 + 8 + 4 + 8 + 4 + 4 + 4 + 1;
    pub const RESPONSE_BYTES: usize = 1 + 8 + 2 + 1 + 4;
    /// `reason.group` when there is none.
    pub const NO_GROUP: u32 = u32::MAX;
}

impl meshsim_sim::Wire for Message {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Message::Request(request) => {
                out.push(wire::REQUEST);
                out.extend_from_slice(&request.call.to_le_bytes());
                out.extend_from_slice(&request.endpoint.to_le_bytes());
                out.extend_from_slice(&request.context.root.to_le_bytes());
                out.extend_from_slice(&request.context.client.to_le_bytes());
                out.extend_from_slice(&request.context.headers.to_le_bytes());
                out.extend_from_slice(&request.caller.to_le_bytes());
                out.push(u8::from(request.context.sampled));
            }
            Message::Response(response) => {
                out.push(wire::RESPONSE);
                out.extend_from_slice(&response.call.to_le_bytes());
                out.extend_from_slice(&response.status.to_le_bytes());
                out.push(response.reason.kind as u8);
                let group = response
                    .reason
                    .group
                    .map_or(wire::NO_GROUP, |group| group.0);
                out.extend_from_slice(&group.to_le_bytes());
            }
        }
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        fn take<const N: usize>(bytes: &[u8], at: &mut usize) -> Option<[u8; N]> {
            let chunk = bytes.get(*at..*at + N)?.try_into().ok()?;
            *at += N;
            Some(chunk)
        }
        let mut at = 1;
        match *bytes.first()? {
            wire::REQUEST if bytes.len() == wire::REQUEST_BYTES => {
                let call = u64::from_le_bytes(take(bytes, &mut at)?);
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
                let call = u64::from_le_bytes(take(bytes, &mut at)?);
                let status = u16::from_le_bytes(take(bytes, &mut at)?);
                let kind = meshsim_sim::ReasonKind::from_u8(take::<1>(bytes, &mut at)?[0])?;
                let group = u32::from_le_bytes(take(bytes, &mut at)?);
                let group = (group != wire::NO_GROUP).then_some(meshsim_sim::GroupId(group));
                Some(Message::Response(Response {
                    call,
                    status,
                    reason: Reason { kind, group },
                }))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use meshsim_sim::{GroupId, Reason, ReasonKind, Wire};

    use super::{Message, Request, RequestContext, Response};

    #[test]
    fn messages_round_trip_on_the_wire() {
        let messages = [
            Message::Request(Request {
                call: u64::MAX - 3,
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
                call: 1,
                status: 503,
                reason: Reason {
                    kind: ReasonKind::Shed,
                    group: Some(GroupId(4)),
                },
            }),
            Message::Response(Response {
                call: 2,
                status: 200,
                reason: Reason::OK,
            }),
        ];
        for message in messages {
            let mut bytes = Vec::new();
            message.encode(&mut bytes);
            assert_eq!(Message::decode(&bytes), Some(message));
            assert_eq!(Message::decode(&bytes[..bytes.len() - 1]), None);
        }
    }
}
