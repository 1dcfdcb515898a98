//! A subscription's figures as the recorder sums them.

use crate::events::BrokerEvent;
use crate::summary::{SubscriptionSummary, round_ms};
use meshsim_sim::SimTime;

/// One broker subscription's messages: what happened to them, and what it holds now.
#[derive(Default, Clone)]
pub(super) struct SubscriptionStats {
    pub(super) events: [u64; BrokerEvent::COUNT],
    pub(super) interval_events: [u64; BrokerEvent::COUNT],
    pub(super) queued: i64,
    pub(super) in_flight: i64,
    /// When the oldest waiting message was published.
    pub(super) oldest: Option<SimTime>,
    pub(super) max_lag_ns: u64,
    /// What the broker says it holds at the end.
    pub(super) reported: Option<(u64, u64)>,
}

impl SubscriptionStats {
    /// The broker did `event` with a message of subscription `subscription` (this one).
    pub(super) fn count(&mut self, subscription: u32, event: BrokerEvent) {
        self.events[event as usize] += 1;
        self.interval_events[event as usize] += 1;
        let (queued, in_flight) = match event {
            BrokerEvent::Enqueued => (1, 0),
            BrokerEvent::Delivered | BrokerEvent::Redelivered => (-1, 1),
            BrokerEvent::Acked | BrokerEvent::DeadLettered => (0, -1),
            BrokerEvent::Failed | BrokerEvent::Returned => (1, -1),
        };
        self.queued += queued;
        self.in_flight += in_flight;
        assert!(
            self.queued >= 0 && self.in_flight >= 0,
            "subscription {subscription} holds a negative count after {event:?}"
        );
    }

    /// The oldest waiting message is now the one published at `published_at_ns`, or none.
    pub(super) fn oldest(&mut self, now: SimTime, published_at_ns: Option<u64>) {
        if let Some(oldest) = self.oldest {
            self.max_lag_ns = self.max_lag_ns.max(now - oldest);
        }
        self.oldest = published_at_ns.map(SimTime::from_nanos);
    }

    pub(super) fn at_end(&mut self, queued: u64, in_flight: u64) {
        assert!(self.reported.is_none(), "a broker reported twice");
        self.reported = Some((queued, in_flight));
    }

    pub(super) fn summary(&self) -> SubscriptionSummary {
        let count = |event: BrokerEvent| self.events[event as usize];
        SubscriptionSummary {
            enqueued: count(BrokerEvent::Enqueued),
            delivered: count(BrokerEvent::Delivered),
            redelivered: count(BrokerEvent::Redelivered),
            acked: count(BrokerEvent::Acked),
            failed: count(BrokerEvent::Failed),
            dead_lettered: count(BrokerEvent::DeadLettered),
            queued_at_end: self.queued as u64,
            in_flight_at_end: self.in_flight as u64,
            max_lag_ms: round_ms(self.max_lag_ns as f64),
        }
    }
}
