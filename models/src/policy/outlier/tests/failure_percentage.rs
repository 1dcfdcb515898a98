//! Failure percentage.

use super::{
    CONNECT_FAILURE, EjectionReason, FailurePercentage, GATEWAY_FAILURE, OutlierConfig,
    OutlierDetector, SERVER_ERROR, ejected_at_tick, failure_percentage_only, feed,
    interval_traffic, secs,
};

#[test]
fn failure_percentage_is_off_by_default() {
    // enforcing_failure_percentage defaults to 0 (outlier_detection_impl.h#L362).
    assert_eq!(OutlierConfig::default().failure_percentage, None);
    let config = OutlierConfig {
        failure_percentage: None,
        ..failure_percentage_only()
    };
    let mut detector = OutlierDetector::new(config, 5);
    interval_traffic(&mut detector, secs(5), &[50; 5], &[0; 5]);
    feed(&mut detector, secs(5), 4, SERVER_ERROR, 500);
    assert!(detector.on_interval(secs(10)).is_empty());
}

#[test]
fn failure_percentage_ejects_hosts_at_or_above_the_threshold() {
    // `100 - success_rate >= threshold` (cc#L729-L730); the numbers of Envoy's test
    // BasicFlowFailurePercentageExternalOrigin, plus a host at exactly 85 %.
    assert_eq!(
        FailurePercentage::default(),
        FailurePercentage {
            threshold_percent: 85,
            minimum_hosts: 5,
            request_volume: 50
        }
    );
    let mut detector = OutlierDetector::new(failure_percentage_only(), 6);
    interval_traffic(&mut detector, secs(5), &[50, 50, 50, 50, 50, 15], &[0; 6]);
    feed(&mut detector, secs(5), 3, GATEWAY_FAILURE, 250); // 83.3 %
    feed(&mut detector, secs(5), 4, GATEWAY_FAILURE, 300); // 85.7 %
    feed(&mut detector, secs(5), 5, GATEWAY_FAILURE, 85); // 85 %
    let changes = detector.on_interval(secs(10));
    assert_eq!(
        changes.iter().map(|change| change.host).collect::<Vec<_>>(),
        [4, 5]
    );
    assert!(changes.iter().all(|change| {
        change.ejection.map(|ejection| ejection.reason) == Some(EjectionReason::FailurePercentage)
    }));
}

#[test]
fn failure_percentage_needs_the_request_volume() {
    // cc#L696-L698.
    for (requests, ejected) in [(49, vec![]), (50, vec![5])] {
        let mut detector = OutlierDetector::new(failure_percentage_only(), 6);
        interval_traffic(&mut detector, secs(5), &[50; 5], &[0; 5]);
        feed(&mut detector, secs(5), 5, SERVER_ERROR, requests);
        assert_eq!(ejected_at_tick(&mut detector, secs(10)), ejected);
    }
}

#[test]
fn failure_percentage_needs_the_minimum_hosts() {
    // cc#L724-L725: only four hosts have the volume.
    let mut detector = OutlierDetector::new(failure_percentage_only(), 5);
    interval_traffic(&mut detector, secs(5), &[50, 50, 50, 0, 40], &[0; 5]);
    feed(&mut detector, secs(5), 3, SERVER_ERROR, 50);
    assert!(detector.on_interval(secs(10)).is_empty());
}

#[test]
fn failure_percentage_runs_after_success_rate_and_shares_the_cap() {
    // Success rate ejects first (cc#L702-L722), then failure percentage (cc#L724-L743).
    // Host 1 is a success-rate outlier (50 %, threshold 64.6); host 0 has too few requests
    // for success rate but fails 90 % of them.
    for (max_ejection_percent, expected) in [(10, vec![1]), (20, vec![1, 0])] {
        let config = OutlierConfig {
            success_rate_enabled: true,
            max_ejection_percent,
            ..failure_percentage_only()
        };
        let mut detector = OutlierDetector::new(config, 10);
        let mut requests = [100; 10];
        requests[0] = 6;
        let mut failures = [0; 10];
        failures[1] = 50;
        interval_traffic(&mut detector, secs(5), &requests, &failures);
        // Host 0: 6 successes and 54 failures, 60 requests.
        feed(&mut detector, secs(5), 0, SERVER_ERROR, 54);
        assert_eq!(ejected_at_tick(&mut detector, secs(10)), expected);
    }
}

#[test]
fn failure_percentage_skips_a_host_success_rate_just_ejected() {
    // Envoy would call ejectHost twice for it (cc#L711-L743); this model ejects it once.
    // Rates 100 × 4 and 10: mean 82, stdev 36, threshold 13.6.
    let config = OutlierConfig {
        success_rate_enabled: true,
        ..failure_percentage_only()
    };
    let mut detector = OutlierDetector::new(config, 5);
    interval_traffic(&mut detector, secs(5), &[100, 100, 100, 100, 10], &[0; 5]);
    feed(&mut detector, secs(5), 4, SERVER_ERROR, 90);
    let changes = detector.on_interval(secs(10));
    assert_eq!(changes.len(), 1);
    let ejection = changes[0].ejection.expect("an ejection");
    assert_eq!(
        (ejection.host, ejection.reason),
        (4, EjectionReason::SuccessRate)
    );
    assert_eq!(detector.times_ejected(4), 1);
    assert_eq!(detector.ejection_multiplier(4), 1);
    assert_eq!(detector.ejected_count(), 1);
}

#[test]
fn with_split_failure_percentage_counts_http_answers_only() {
    // Only the external-origin pass is enforced by default (cc#L735-L738, h#L363).
    let config = OutlierConfig {
        split_external_local_origin_errors: true,
        consecutive_local_origin_failure: 0,
        local_origin_success_rate_enabled: false,
        ..failure_percentage_only()
    };
    let mut detector = OutlierDetector::new(config, 5);
    interval_traffic(&mut detector, secs(5), &[50; 5], &[0; 5]);
    feed(&mut detector, secs(5), 4, CONNECT_FAILURE, 500);
    feed(&mut detector, secs(5), 3, GATEWAY_FAILURE, 500);
    assert_eq!(ejected_at_tick(&mut detector, secs(10)), [3]);
}
