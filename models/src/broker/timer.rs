//! The broker's timers, and their place in the kernel's timer ids.

use meshsim_sim::TimerId;

use crate::timer::{TimerCode, compose, kind, split};

/// What a broker waits for; each is one timer for the earliest of many deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BrokerTimer {
    /// The earliest acknowledgement deadline came.
    Ack,
    /// The earliest delayed redelivery is due.
    Redeliver,
}

impl TimerCode for BrokerTimer {
    fn encode(self) -> TimerId {
        match self {
            BrokerTimer::Ack => compose(kind::BROKER_ACK, 0),
            BrokerTimer::Redeliver => compose(kind::BROKER_REDELIVER, 0),
        }
    }

    fn decode(id: TimerId) -> Option<Self> {
        match split(id) {
            (kind::BROKER_ACK, 0) => Some(BrokerTimer::Ack),
            (kind::BROKER_REDELIVER, 0) => Some(BrokerTimer::Redeliver),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BrokerTimer;
    use crate::timer::testing::assert_codec;

    #[test]
    fn every_broker_timer_round_trips_to_its_old_id() {
        assert_codec(&[
            (BrokerTimer::Ack, 12 << 56),
            (BrokerTimer::Redeliver, 15 << 56),
        ]);
    }
}
