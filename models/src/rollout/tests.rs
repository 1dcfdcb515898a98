use meshsim_record::VersionKey;
use meshsim_sim::{GroupId, NodeId};

use super::{RolloutConfig, RolloutController, RolloutStrategy, trim};
use crate::message::ScrapeNumber;
use crate::served_counters::ServedCounters;

fn controller() -> RolloutController {
    let key = VersionKey::new(GroupId(0), 0);
    let config = RolloutConfig {
        index: 0,
        service: 0,
        service_name: "api".into(),
        from_name: "v1".into(),
        to_name: "v2".into(),
        from: 0..1,
        to: 1..2,
        from_key: key,
        to_key: VersionKey::new(GroupId(0), 1),
        from_nodes: vec![NodeId(0)],
        to_nodes: vec![NodeId(1)],
        watched: vec![NodeId(1)],
        callers: vec![NodeId(2)],
        start_ns: 0,
        interval_ns: 10_000_000_000,
        threshold: 1,
        checks: Vec::new(),
        strategy: RolloutStrategy::Canary {
            steps: vec![50.0, 100.0],
        },
    };
    RolloutController::new(config)
}

#[test]
fn a_scrape_counts_only_once_every_part_has_arrived() {
    let mut controller = controller();
    let mut counters = ServedCounters::default();
    for _ in 0..7 {
        counters.count(200, 2_000_000);
    }
    let parts = counters.to_parts();
    // Scrape 1 loses its fourth part: it never counts.
    for (part, values) in parts.iter().enumerate() {
        if part != 3 {
            controller.scraped(NodeId(1), ScrapeNumber(1), part as u8, *values);
        }
    }
    assert_eq!(
        controller.latest[0],
        (ScrapeNumber(0), ServedCounters::default())
    );
    // Scrape 2 arrives whole, its parts out of order; a late part of scrape 1 changes
    // nothing.
    for (part, values) in parts.iter().enumerate().rev() {
        controller.scraped(NodeId(1), ScrapeNumber(2), part as u8, *values);
    }
    controller.scraped(NodeId(1), ScrapeNumber(1), 3, parts[3]);
    assert_eq!(controller.latest[0], (ScrapeNumber(2), counters));
    // Only watched instances count.
    controller.scraped(NodeId(0), ScrapeNumber(3), 0, [9; 4]);
    assert_eq!(controller.latest[0].0, ScrapeNumber(2));
}

#[test]
fn numbers_print_without_trailing_zeros() {
    assert_eq!(trim(10.0), "10");
    assert_eq!(trim(12.5), "12.5");
    assert_eq!(trim(0.125), "0.125");
}

#[test]
fn every_rollout_timer_round_trips_to_its_old_id() {
    use super::timer::RolloutTimer;

    crate::timer::testing::assert_codec(&[
        (RolloutTimer::Tick(0), 16 << 56),
        (RolloutTimer::Tick(4), 16 << 56 | 4),
        (RolloutTimer::Scrape(4), 17 << 56 | 4),
        (
            RolloutTimer::Ready {
                slot: 3,
                generation: 2,
            },
            18 << 56 | 2 << 24 | 3,
        ),
    ]);
}
