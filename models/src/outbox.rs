//! The kernel's outbox with meshsim's records: what every model here writes into.

use meshsim_record::Record;

use crate::message::Message;

/// An outbox of messages `M` (meshsim's [`Message`] unless a helper is generic over it) and
/// meshsim's [`Record`]s.
pub(crate) type Outbox<M = Message> = meshsim_sim::Outbox<M, Record>;
