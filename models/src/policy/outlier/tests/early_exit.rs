//! The early exit.

use super::{
    EjectionReason, FailurePercentage, OutlierConfig, OutlierDetector, SERVER_ERROR,
    failure_percentage_only, feed, interval_traffic, secs,
};

#[test]
fn statistical_ejection_skips_a_cluster_below_both_minimum_hosts() {
    // cc#L663-L667: four members, both minimums 5.
    let config = OutlierConfig {
        success_rate_enabled: true,
        ..failure_percentage_only()
    };
    let mut detector = OutlierDetector::new(config, 4);
    interval_traffic(&mut detector, secs(5), &[100; 4], &[0; 4]);
    feed(&mut detector, secs(5), 3, SERVER_ERROR, 900);
    assert!(detector.on_interval(secs(10)).is_empty());
}

#[test]
fn failure_percentage_runs_when_members_meet_only_its_minimum_hosts() {
    // The early exit needs the member count below both minimums (cc#L664-L665).
    let config = OutlierConfig {
        success_rate_enabled: true,
        failure_percentage: Some(FailurePercentage {
            minimum_hosts: 3,
            ..FailurePercentage::default()
        }),
        ..failure_percentage_only()
    };
    let mut detector = OutlierDetector::new(config, 4);
    interval_traffic(&mut detector, secs(5), &[100; 4], &[0; 4]);
    feed(&mut detector, secs(5), 3, SERVER_ERROR, 900);
    let changes = detector.on_interval(secs(10));
    assert_eq!(changes.len(), 1);
    let ejection = changes[0].ejection.expect("an ejection");
    assert_eq!(
        (ejection.host, ejection.reason),
        (3, EjectionReason::FailurePercentage)
    );
}
