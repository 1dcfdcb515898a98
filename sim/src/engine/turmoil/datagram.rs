//! The datagram between hosts (a header, then the model's own encoding of the message) and
//! what waits at a host until its time.

use std::time::Duration;

use crate::model::{NodeId, TimerId, Wire};
use crate::time::SimTime;

/// The UDP port every host listens on, and so every datagram goes to.
pub(super) const PORT: u16 = 7000;

/// A wake-up time no run reaches (a century): when nothing is due at a host.
pub(super) const FAR_FUTURE: Duration = Duration::from_hours(100 * 365 * 24);

/// A datagram: what it is, who sent it to whom, when it is due, and the message.
pub(super) mod envelope {
    pub(crate) const MESSAGE: u8 = 0;
    pub(crate) const REFUSED: u8 = 1;
    pub(crate) const HEADER_BYTES: usize = 1 + 4 + 4 + 8;
}

/// Appends the datagram to `bytes`: a host writes all it sends in one turn into one buffer.
pub(super) fn encode_onto<W: Wire>(
    bytes: &mut Vec<u8>,
    kind: u8,
    from: NodeId,
    to: NodeId,
    due: SimTime,
    message: &W,
) {
    bytes.push(kind);
    bytes.extend_from_slice(&from.0.to_le_bytes());
    bytes.extend_from_slice(&to.0.to_le_bytes());
    bytes.extend_from_slice(&due.as_nanos().to_le_bytes());
    message.encode(bytes);
}

pub(super) fn decode<W: Wire>(bytes: &[u8]) -> Option<(u8, NodeId, NodeId, SimTime, W)> {
    if bytes.len() < envelope::HEADER_BYTES {
        return None;
    }
    let from = NodeId(u32::from_le_bytes(bytes[1..5].try_into().ok()?));
    let to = NodeId(u32::from_le_bytes(bytes[5..9].try_into().ok()?));
    let due = SimTime::from_nanos(u64::from_le_bytes(bytes[9..17].try_into().ok()?));
    let message = W::decode(&bytes[envelope::HEADER_BYTES..])?;
    Some((bytes[0], from, to, due, message))
}

/// Something due at a host: its own timer, or a datagram whose latency has run out.
pub(super) enum Local<M> {
    Timer { incarnation: u32, id: TimerId },
    Deliver { from: NodeId, message: M },
    Refused { refuser: NodeId, message: M },
}

pub(super) struct Due<M> {
    pub(super) time: SimTime,
    pub(super) sequence: u64,
    pub(super) local: Local<M>,
}

impl<M> PartialEq for Due<M> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.sequence) == (other.time, other.sequence)
    }
}
impl<M> Eq for Due<M> {}
impl<M> PartialOrd for Due<M> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for Due<M> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.time, other.sequence).cmp(&(self.time, self.sequence))
    }
}
