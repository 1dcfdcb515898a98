//! The invariants of a shop run with sagas, stores and brokers, checked at the end of every run
//! from what the models reported of their final state (the same on both engines).
//!
//! Each applies only when the run has what it speaks of; each says how many things it checked
//! and, when it is violated, the first few that break it.

use std::collections::BTreeMap;

use meshsim_record::RunSummary;
use meshsim_reports::InvariantOutcome;

/// The names an expectation uses: `invariant.stock_conserved`.
pub(crate) const NAMES: [&str; 6] = [
    "stock_conserved",
    "no_double_charge",
    "no_payment_without_order",
    "no_stranded_stock",
    "sagas_accounted",
    "messages_conserved",
];

/// How many offending orders a violation lists.
const EXAMPLES_MAX: usize = 5;

/// An order's facts over every model: (model, fact, count).
type OrderFacts = [(u32, &'static str, u32)];

pub fn check(summary: &RunSummary) -> Vec<InvariantOutcome> {
    let mut outcomes = Vec::new();
    let stores = stock_stores(summary);
    if !stores.is_empty() {
        outcomes.push(stock_conserved(&stores));
    }
    let orders = &summary.facts.orders;
    let ledgers = orders.values().any(|order| count(order, "charged") > 0);
    let order_tables = orders.values().any(|order| {
        count(order, "pending") + count(order, "confirmed") + count(order, "cancelled") > 0
    });
    if ledgers {
        // A retried or redelivered charge never applies twice.
        outcomes.push(over_orders(summary, "no_double_charge", |facts| {
            let charges = count(facts, "charged");
            (charges > 0).then(|| (charges > 1).then(|| format!("charged {charges} times")))
        }));
    }
    if ledgers && order_tables {
        // No payment stands without a confirmed order, unless it was refunded or its saga is
        // still at work.
        outcomes.push(over_orders(summary, "no_payment_without_order", |facts| {
            let outstanding = count(facts, "charged").saturating_sub(count(facts, "refunded"));
            (outstanding > 0)
                .then(|| unsettled(facts).then(|| "paid, not confirmed, not refunded".to_owned()))
        }));
    }
    if !stores.is_empty() && order_tables {
        // Stock held by an order belongs to a confirmed order or a saga still at work: a
        // compensated order gave its units back.
        outcomes.push(over_orders(summary, "no_stranded_stock", |facts| {
            let held = count(facts, "reserved") + count(facts, "sold");
            (held > 0).then(|| {
                unsettled(facts).then(|| format!("holds {held} unit(s) but is not confirmed"))
            })
        }));
    }
    if summary.sagas.started > 0 {
        outcomes.push(sagas_accounted(summary));
    }
    if !summary.brokers.is_empty() {
        outcomes.push(messages_conserved(summary));
    }
    outcomes
}

/// Each stock store's figures: initial, available, reserved, sold.
fn stock_stores(summary: &RunSummary) -> BTreeMap<u32, [u64; 4]> {
    let mut stores: BTreeMap<u32, [u64; 4]> = BTreeMap::new();
    for (&(group, name), &value) in &summary.facts.tallies {
        let slot = match name {
            "stock_initial" => 0,
            "stock_available" => 1,
            "stock_reserved" => 2,
            "stock_sold" => 3,
            _ => continue,
        };
        stores.entry(group).or_default()[slot] += value;
    }
    stores
}

/// Stock is conserved in every stock store: initial = available + reserved + sold.
fn stock_conserved(stores: &BTreeMap<u32, [u64; 4]>) -> InvariantOutcome {
    let broken: Vec<String> = stores
        .values()
        .filter(|[initial, available, reserved, sold]| *initial != available + reserved + sold)
        .map(|[initial, available, reserved, sold]| {
            format!("{initial} at the start, {available} available + {reserved} reserved + {sold} sold at the end")
        })
        .collect();
    outcome("stock_conserved", stores.len() as u64, &broken)
}

fn count(order: &OrderFacts, fact: &str) -> u32 {
    order
        .iter()
        .filter(|(_, name, _)| *name == fact)
        .map(|(_, _, count)| count)
        .sum()
}

/// Not confirmed, and no saga is still at work on it: a saga is at work on an order while its
/// orchestrator holds it, a service is still serving a request of it, or a broker still holds
/// an event about it (a choreography).
fn unsettled(order: &OrderFacts) -> bool {
    let at_work = count(order, "saga_in_flight")
        + count(order, "request_in_flight")
        + count(order, "message_in_flight")
        > 0;
    count(order, "confirmed") == 0 && !at_work
}

/// An invariant over the orders. `judge` says of an order whether the invariant applies to it
/// (`Some`) and, if so, how the order breaks it (`Some(Some(how))`).
fn over_orders(
    summary: &RunSummary,
    name: &'static str,
    judge: impl Fn(&OrderFacts) -> Option<Option<String>>,
) -> InvariantOutcome {
    let mut checked = 0;
    let mut broken = Vec::new();
    for (order, facts) in &summary.facts.orders {
        let Some(verdict) = judge(facts) else {
            continue;
        };
        checked += 1;
        if let Some(how) = verdict {
            let client = summary
                .workloads
                .get_index(order.0 as usize)
                .map_or("?", |(name, _)| name.as_str());
            broken.push(format!("{client} #{} {how}", order.1));
        }
    }
    outcome(name, checked, &broken)
}

/// Every saga started is completed, compensated or still in flight.
fn sagas_accounted(summary: &RunSummary) -> InvariantOutcome {
    let sagas = summary.sagas;
    let ended = sagas.completed + sagas.compensated + sagas.in_flight;
    let broken = if ended == sagas.started {
        Vec::new()
    } else {
        vec![format!(
            "{} started, {} completed, {} compensated, {} in flight",
            sagas.started, sagas.completed, sagas.compensated, sagas.in_flight
        )]
    };
    outcome("sagas_accounted", sagas.started, &broken)
}

/// Every message published to a subscription is acked, dead-lettered or still held.
fn messages_conserved(summary: &RunSummary) -> InvariantOutcome {
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
    outcome("messages_conserved", checked, &broken)
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
