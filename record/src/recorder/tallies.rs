//! What models say at the end and of sagas: stores' last figures, facts about each order, and
//! the sagas that started and how they ended.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use meshsim_sim::GroupId;

use super::Recorder;
use crate::events::SagaEvent;
use crate::keys::ClientId;

/// A store's last figures, by name (`units`, `hits`).
type StoreFigures = BTreeMap<&'static str, u64>;

impl Recorder {
    pub(super) fn saga(&mut self, event: SagaEvent) {
        match event {
            SagaEvent::Started => self.sagas.started += 1,
            SagaEvent::Completed => self.sagas.completed += 1,
            SagaEvent::Compensated => self.sagas.compensated += 1,
        }
    }

    pub(super) fn tally(&mut self, group: GroupId, name: &'static str, value: u64) {
        *self.facts.tallies.entry((group.0, name)).or_insert(0) += value;
    }

    pub(super) fn order_fact(
        &mut self,
        group: GroupId,
        order: (ClientId, u64),
        fact: &'static str,
        count: u32,
    ) {
        if fact == "saga_in_flight" {
            self.sagas.in_flight += u64::from(count);
        }
        self.facts
            .orders
            .entry((order.0.0, order.1))
            .or_default()
            .push((group.0, fact, count));
    }

    /// Whether every saga started ended or is still in flight.
    pub(super) fn check_sagas(&self, problems: &mut Vec<String>) {
        let sagas = self.sagas;
        if sagas.started != sagas.completed + sagas.compensated + sagas.in_flight {
            problems.push(format!(
                "sagas: {} started but {} completed, {} compensated and {} in flight",
                sagas.started, sagas.completed, sagas.compensated, sagas.in_flight
            ));
        }
    }

    /// Each store's tallies, by the store's name.
    pub(super) fn summarise_stores(&self) -> IndexMap<String, StoreFigures> {
        let mut stores: IndexMap<String, StoreFigures> = IndexMap::new();
        for (&(group, name), &value) in &self.facts.tallies {
            stores
                .entry(self.catalog.groups[group as usize].name.clone())
                .or_default()
                .insert(name, value);
        }
        stores
    }
}
