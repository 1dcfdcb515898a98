//! The invariants of a shop run with sagas, stores and brokers, checked at the end of every run
//! from what the models reported of their final state (the same on both engines).
//!
//! Each applies only when the run has what it speaks of; each says how many things it checked
//! and, when it is violated, the first few that break it.

use std::collections::BTreeMap;

use meshsim_record::RunSummary;
use meshsim_reports::InvariantOutcome;

/// The names an expectation uses: `invariant.stock_conserved`.
pub const NAMES: [&str; 6] = [
    "stock_conserved",
    "no_double_charge",
    "no_payment_without_order",
    "no_stranded_stock",
    "sagas_accounted",
    "messages_conserved",
];

/// How many offending orders a violation lists.
const EXAMPLES_MAX: usize = 5;

pub fn check(summary: &RunSummary) -> Vec<InvariantOutcome> {
    let facts = &summary.facts;
    let mut outcomes = Vec::new();

    // Stock is conserved in every stock store: initial = available + reserved + sold.
    let mut stores: BTreeMap<u32, [u64; 4]> = BTreeMap::new();
    for (&(group, name), &value) in &facts.tallies {
        let slot = match name {
            "stock_initial" => 0,
            "stock_available" => 1,
            "stock_reserved" => 2,
            "stock_sold" => 3,
            _ => continue,
        };
        stores.entry(group).or_default()[slot] += value;
    }
    if !stores.is_empty() {
        let broken: Vec<String> = stores
            .values()
            .filter(|[initial, available, reserved, sold]| *initial != available + reserved + sold)
            .map(|[initial, available, reserved, sold]| {
                format!("{initial} at the start, {available} available + {reserved} reserved + {sold} sold at the end")
            })
            .collect();
        outcomes.push(outcome("stock_conserved", stores.len() as u64, &broken));
    }

    // Per order: its facts over every model.
    let count = |order: &[(u32, &'static str, u32)], fact: &str| -> u32 {
        order
            .iter()
            .filter(|(_, name, _)| *name == fact)
            .map(|(_, _, count)| count)
            .sum()
    };
    let ledgers = facts
        .orders
        .values()
        .any(|order| count(order, "charged") > 0);
    let order_tables = facts.orders.values().any(|order| {
        count(order, "pending") + count(order, "confirmed") + count(order, "cancelled") > 0
    });
    let stock = !stores.is_empty();
    // A saga is still at work on an order while its orchestrator holds it, a service is still
    // serving a request of it, or a broker still holds an event about it (a choreography).
    let at_work = |order: &[(u32, &'static str, u32)]| {
        count(order, "saga_in_flight")
            + count(order, "request_in_flight")
            + count(order, "message_in_flight")
            > 0
    };
    let label = |order: &(u32, u64)| {
        let client = summary
            .workloads
            .get_index(order.0 as usize)
            .map_or("?", |(name, _)| name.as_str());
        format!("{client} #{}", order.1)
    };

    if ledgers {
        // A retried or redelivered charge never applies twice.
        let mut checked = 0;
        let mut broken = Vec::new();
        for (order, facts) in &facts.orders {
            let charges = count(facts, "charged");
            if charges == 0 {
                continue;
            }
            checked += 1;
            if charges > 1 {
                broken.push(format!("{} charged {charges} times", label(order)));
            }
        }
        outcomes.push(outcome("no_double_charge", checked, &broken));
    }

    if ledgers && order_tables {
        // No payment stands without a confirmed order, unless it was refunded or its saga is
        // still at work.
        let mut checked = 0;
        let mut broken = Vec::new();
        for (order, facts) in &facts.orders {
            let outstanding = count(facts, "charged").saturating_sub(count(facts, "refunded"));
            if outstanding == 0 {
                continue;
            }
            checked += 1;
            if count(facts, "confirmed") == 0 && !at_work(facts) {
                broken.push(format!(
                    "{} paid, not confirmed, not refunded",
                    label(order)
                ));
            }
        }
        outcomes.push(outcome("no_payment_without_order", checked, &broken));
    }

    if stock && order_tables {
        // Stock held by an order belongs to a confirmed order or a saga still at work: a
        // compensated order gave its units back.
        let mut checked = 0;
        let mut broken = Vec::new();
        for (order, facts) in &facts.orders {
            let held = count(facts, "reserved") + count(facts, "sold");
            if held == 0 {
                continue;
            }
            checked += 1;
            if count(facts, "confirmed") == 0 && !at_work(facts) {
                broken.push(format!(
                    "{} holds {held} unit(s) but is not confirmed",
                    label(order)
                ));
            }
        }
        outcomes.push(outcome("no_stranded_stock", checked, &broken));
    }

    let sagas = summary.sagas;
    if sagas.started > 0 {
        let ended = sagas.completed + sagas.compensated + sagas.in_flight;
        let broken = if ended == sagas.started {
            Vec::new()
        } else {
            vec![format!(
                "{} started, {} completed, {} compensated, {} in flight",
                sagas.started, sagas.completed, sagas.compensated, sagas.in_flight
            )]
        };
        outcomes.push(outcome("sagas_accounted", sagas.started, &broken));
    }

    if !summary.brokers.is_empty() {
        let mut checked = 0;
        let mut broken = Vec::new();
        for (name, broker) in &summary.brokers {
            for (label, subscription) in &broker.subscriptions {
                checked += 1;
                let held = subscription.acked
                    + subscription.dead_lettered
                    + subscription.queued_at_end
                    + subscription.in_flight_at_end;
                if held != subscription.enqueued {
                    broken.push(format!(
                        "{name}: {label}: {} published, {held} acked, dead-lettered or held",
                        subscription.enqueued
                    ));
                }
            }
        }
        outcomes.push(outcome("messages_conserved", checked, &broken));
    }
    outcomes
}

fn outcome(name: &'static str, checked: u64, broken: &[String]) -> InvariantOutcome {
    let mut examples: Vec<String> = broken.iter().take(EXAMPLES_MAX).cloned().collect();
    if broken.len() > EXAMPLES_MAX {
        examples.push(format!("and {} more", broken.len() - EXAMPLES_MAX));
    }
    InvariantOutcome {
        name: name.to_owned(),
        holds: broken.is_empty(),
        checked,
        violations: broken.len() as u64,
        examples,
    }
}
