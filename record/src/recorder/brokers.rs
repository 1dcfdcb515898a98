//! The brokers' subscriptions: what happened to their messages, what each holds, the consumer
//! lag, and the check that no message was lost.

use indexmap::IndexMap;

use super::Recorder;
use super::output::{KeptRows, MetricsRow};
use crate::events::BrokerEvent;
use crate::summary::BrokerSummary;

impl Recorder {
    /// Each subscription's row of the interval that ends (its lag measured at the interval's end,
    /// or the run's), and the interval's counts emptied.
    pub(super) fn subscription_rows(&mut self, time: &str, kept: &mut KeptRows) {
        let writing = self.files.metrics.is_some();
        let at = self
            .interval_end
            .min(self.end_of_run.unwrap_or(self.interval_end));
        for (index, stats) in self.subscriptions.iter_mut().enumerate() {
            let lag_ns = stats.oldest.map_or(0, |oldest| at - oldest);
            stats.max_lag_ns = stats.max_lag_ns.max(lag_ns);
            if writing {
                let count = |event: BrokerEvent| stats.interval_events[event as usize].to_string();
                let mut row: MetricsRow = Default::default();
                time.clone_into(&mut row[0]);
                row[1] = "subscription".into();
                row[2] = self.catalog.subscriptions[index].label();
                row[4] = count(BrokerEvent::Enqueued);
                row[5] = count(BrokerEvent::Acked);
                row[6] = count(BrokerEvent::Failed);
                row[8] = count(BrokerEvent::DeadLettered);
                row[11] = stats.in_flight.to_string();
                row[12] = stats.queued.to_string();
                row[16] = count(BrokerEvent::Redelivered);
                row[19] = format!("{:.3}", lag_ns as f64 / 1e6);
                self.files.interval_row(row, kept);
            }
            stats.interval_events = [0; BrokerEvent::COUNT];
        }
    }

    /// Each broker's summary, and what did not add up (a message lost, a broker whose count
    /// differs from its events').
    pub(super) fn summarise_brokers(
        &self,
        problems: &mut Vec<String>,
    ) -> IndexMap<String, BrokerSummary> {
        let mut brokers: IndexMap<String, BrokerSummary> = IndexMap::new();
        for (index, stats) in self.subscriptions.iter().enumerate() {
            let info = &self.catalog.subscriptions[index];
            let summary = stats.summary();
            // No message lost: every copy published is acked, dead-lettered, or still held.
            let held = summary.acked
                + summary.dead_lettered
                + summary.queued_at_end
                + summary.in_flight_at_end;
            if summary.enqueued != held {
                problems.push(format!(
                    "{}: {} messages enqueued but {held} acked, dead-lettered or held",
                    info.label(),
                    summary.enqueued
                ));
            }
            match stats.reported {
                Some(reported) if reported != (summary.queued_at_end, summary.in_flight_at_end) => {
                    problems.push(format!(
                        "{}: the broker holds {} queued and {} out, its events say {} and {}",
                        info.label(),
                        reported.0,
                        reported.1,
                        summary.queued_at_end,
                        summary.in_flight_at_end
                    ));
                }
                Some(_) => {}
                None => problems.push(format!(
                    "{}: the broker did not report what it holds at the end",
                    info.label()
                )),
            }
            let broker = brokers.entry(info.broker.clone()).or_default();
            broker.totals.add(&summary);
            broker.subscriptions.insert(info.label(), summary);
        }
        brokers
    }
}
