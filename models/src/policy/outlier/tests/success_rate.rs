//! Success rate.

use super::{
    EjectionReason, OutlierConfig, OutlierDetector, SECOND_NS, SERVER_ERROR, ejected_at_tick, feed,
    interval_traffic, secs, success_rate_only,
};

#[test]
fn success_rate_ejects_an_outlier_among_five_hosts() {
    let mut detector = OutlierDetector::new(success_rate_only(), 5);
    // Envoy's own example (cc#L626-L632): rates 50, 100, 100, 100, 100 give mean 90,
    // stdev 20, threshold 52.
    interval_traffic(&mut detector, secs(5), &[100; 5], &[0, 0, 0, 0, 50]);
    let changes = detector.on_interval(secs(10));
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].host, changes[0].ejected), (4, true));
    let ejection = changes[0].ejection.expect("an ejection");
    assert_eq!(ejection.reason, EjectionReason::SuccessRate);
    assert_eq!(ejection.duration_ns, 30 * SECOND_NS);
    assert!(detector.is_ejected(4));
}

#[test]
fn success_rate_uses_the_population_standard_deviation() {
    // variance /= n (cc#L639). Rates 90, 95, 100, 100, 100: mean 97, stdev 4, threshold
    // 89.4; nobody is below it.
    let mut detector = OutlierDetector::new(success_rate_only(), 5);
    interval_traffic(&mut detector, secs(5), &[100; 5], &[10, 5, 0, 0, 0]);
    assert!(detector.on_interval(secs(10)).is_empty());
    // Rates 80, 95, 100, 100, 100: mean 95, stdev 7.75, threshold 80.3, so host 0 is out.
    // The sample deviation (8.66, threshold 78.5) would keep it.
    let mut detector = OutlierDetector::new(success_rate_only(), 5);
    interval_traffic(&mut detector, secs(5), &[100; 5], &[20, 5, 0, 0, 0]);
    assert_eq!(ejected_at_tick(&mut detector, secs(10)), [0]);
}

#[test]
fn success_rate_ejects_only_strictly_below_the_threshold() {
    // `success_rate < threshold` (cc#L712). With a factor of 0 the threshold is the mean.
    let config = OutlierConfig {
        success_rate_stdev_factor: 0.0,
        ..success_rate_only()
    };
    let mut detector = OutlierDetector::new(config.clone(), 5);
    interval_traffic(&mut detector, secs(5), &[100; 5], &[1; 5]);
    assert!(detector.on_interval(secs(10)).is_empty());
    let mut detector = OutlierDetector::new(config, 5);
    interval_traffic(&mut detector, secs(5), &[100; 5], &[0, 0, 0, 0, 2]);
    assert_eq!(ejected_at_tick(&mut detector, secs(10)), [4]);
}

#[test]
fn success_rate_ejections_stop_at_the_max_ejection_percent() {
    // Each below-threshold host goes through ejectHost in turn (cc#L711-L720, cc#L480-L483).
    // Two hosts at 50 % among eight at 100 %: mean 90, stdev 20, threshold 52.
    for (max_ejection_percent, expected) in [(10, vec![3]), (20, vec![3, 7])] {
        let config = OutlierConfig {
            max_ejection_percent,
            ..success_rate_only()
        };
        let mut detector = OutlierDetector::new(config, 10);
        let mut failures = [0; 10];
        failures[3] = 50;
        failures[7] = 50;
        interval_traffic(&mut detector, secs(5), &[100; 10], &failures);
        assert_eq!(ejected_at_tick(&mut detector, secs(10)), expected);
    }
}

#[test]
fn success_rate_respects_max_ejection_percent() {
    let config = OutlierConfig {
        max_ejection_percent: 10,
        ..success_rate_only()
    };
    let mut detector = OutlierDetector::new(config, 5);
    interval_traffic(&mut detector, secs(5), &[100; 5], &[0, 0, 0, 0, 50]);
    assert!(detector.on_interval(secs(10)).is_empty());
    assert!(!detector.is_ejected(4));
}

#[test]
fn success_rate_needs_the_minimum_hosts() {
    // cc#L702-L703.
    let mut detector = OutlierDetector::new(success_rate_only(), 4);
    interval_traffic(&mut detector, secs(5), &[100; 4], &[0, 0, 0, 90]);
    assert!(detector.on_interval(secs(10)).is_empty());
}

#[test]
fn success_rate_needs_the_request_volume() {
    // cc#L692-L695.
    let mut detector = OutlierDetector::new(success_rate_only(), 5);
    // Host 4 has 99 requests: it is not judged, and four judged hosts are too few.
    interval_traffic(
        &mut detector,
        secs(5),
        &[100, 100, 100, 100, 99],
        &[0, 0, 0, 0, 49],
    );
    assert!(detector.on_interval(secs(10)).is_empty());
}

#[test]
fn success_rate_does_not_count_hosts_already_ejected() {
    // Ejected hosts are skipped (cc#L674-L675), so they do not count toward minimum hosts.
    let config = OutlierConfig {
        consecutive_5xx: 5,
        ..success_rate_only()
    };
    let mut detector = OutlierDetector::new(config, 5);
    interval_traffic(&mut detector, secs(5), &[100; 5], &[0, 0, 0, 50, 0]);
    assert!(feed(&mut detector, secs(6), 4, SERVER_ERROR, 5).is_some());
    assert!(detector.on_interval(secs(10)).is_empty());
    assert!(!detector.is_ejected(3));
}

#[test]
fn a_host_returned_at_a_tick_is_judged_at_that_tick() {
    // checkHostForUneject runs before the pass (cc#L749-L761).
    let config = OutlierConfig {
        consecutive_5xx: 5,
        ..success_rate_only()
    };
    let mut detector = OutlierDetector::new(config, 5);
    assert!(feed(&mut detector, secs(0), 0, SERVER_ERROR, 5).is_some());
    assert!(detector.on_interval(secs(10)).is_empty());
    assert!(detector.on_interval(secs(20)).is_empty());
    // Panic mode still sends the ejected host traffic; it fails half of it.
    interval_traffic(&mut detector, secs(25), &[100; 5], &[50, 0, 0, 0, 0]);
    let changes = detector.on_interval(secs(30));
    let summary: Vec<(usize, bool)> = changes
        .iter()
        .map(|change| (change.host, change.ejected))
        .collect();
    assert_eq!(summary, [(0, false), (0, true)]);
    assert_eq!(
        changes[1].ejection.map(|ejection| ejection.duration_ns),
        Some(60 * SECOND_NS)
    );
}

#[test]
fn success_rate_counts_only_the_last_interval() {
    // The buckets swap at each tick (cc#L753, cc#L867-L875).
    let mut detector = OutlierDetector::new(success_rate_only(), 5);
    // 60 requests in each of two intervals never reach a volume of 100.
    interval_traffic(&mut detector, secs(5), &[60; 5], &[0, 0, 0, 0, 30]);
    assert!(detector.on_interval(secs(10)).is_empty());
    interval_traffic(&mut detector, secs(15), &[60; 5], &[0, 0, 0, 0, 30]);
    assert!(detector.on_interval(secs(20)).is_empty());
}

#[test]
fn success_rate_is_off_when_disabled() {
    let config = OutlierConfig {
        success_rate_enabled: false,
        ..success_rate_only()
    };
    let mut detector = OutlierDetector::new(config, 5);
    interval_traffic(&mut detector, secs(5), &[100; 5], &[0, 0, 0, 0, 50]);
    assert!(detector.on_interval(secs(10)).is_empty());
}
