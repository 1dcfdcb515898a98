//! Local-origin results, not split and split.

use super::{
    CONNECT_FAILURE, CONNECTED, EjectionReason, GATEWAY_FAILURE, OutlierConfig, OutlierDetector,
    SECOND_NS, SERVER_ERROR, SUCCESS, TIMEOUT, consecutive_only, ejected_at_tick, feed,
    interval_outcomes, interval_traffic, secs, split_consecutive_only, success_rate_only,
    tick_until_returned,
};

#[test]
fn without_split_a_connect_failure_counts_as_503_and_a_timeout_as_504() {
    // resultToHttpCode maps them to 503 and 504, both gateway errors (cc#L105-L110,
    // cc#L131-L141; the router passes 504 with a timeout, router.cc#L1356-L1357).
    let config = OutlierConfig {
        consecutive_5xx: 0,
        consecutive_gateway_failure: Some(4),
        ..consecutive_only()
    };
    let mut detector = OutlierDetector::new(config, 10);
    assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 2), None);
    assert_eq!(feed(&mut detector, secs(1), 0, TIMEOUT, 1), None);
    let ejection = detector
        .record(secs(1), 0, CONNECT_FAILURE)
        .expect("fourth gateway failure");
    assert_eq!(ejection.reason, EjectionReason::ConsecutiveGatewayFailure);
    // And into the 5xx streak.
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    assert_eq!(feed(&mut detector, secs(1), 0, TIMEOUT, 2), None);
    assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 2), None);
    let ejection = detector.record(secs(1), 0, TIMEOUT).expect("fifth 5xx");
    assert_eq!(ejection.reason, EjectionReason::Consecutive5xx);
}

#[test]
fn without_split_a_connect_success_is_ignored() {
    // LocalOriginConnectSuccess maps to no status and is dropped (cc#L114-L120, cc#L136-L139).
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 4), None);
    assert_eq!(detector.record(secs(1), 0, CONNECTED), None);
    assert!(detector.record(secs(1), 0, SERVER_ERROR).is_some());
}

#[test]
fn without_split_local_origin_failures_count_in_success_rate() {
    // They become 503 and 504 answers, failures in the external-origin counts (cc#L68-L95).
    let mut detector = OutlierDetector::new(success_rate_only(), 5);
    interval_outcomes(
        &mut detector,
        secs(5),
        &[100; 5],
        &[0, 0, 0, 0, 50],
        SUCCESS,
        CONNECT_FAILURE,
    );
    assert_eq!(ejected_at_tick(&mut detector, secs(10)), [4]);
}

#[test]
fn consecutive_local_origin_failure_applies_only_with_split() {
    // The local-origin streak is counted only by the split handler (cc#L146-L172).
    let config = OutlierConfig {
        consecutive_5xx: 0,
        consecutive_local_origin_failure: 5,
        ..consecutive_only()
    };
    let mut detector = OutlierDetector::new(config, 10);
    assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 50), None);
    assert!(!detector.is_ejected(0));
}

#[test]
fn with_split_local_origin_failures_eject_by_their_own_streak() {
    // Connect failures and timeouts go to localOriginFailure (cc#L155-L157, cc#L182-L195).
    let mut detector = OutlierDetector::new(split_consecutive_only(), 10);
    assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 3), None);
    assert_eq!(detector.record(secs(1), 0, TIMEOUT), None);
    let ejection = detector
        .record(secs(1), 0, CONNECT_FAILURE)
        .expect("fifth local-origin failure");
    assert_eq!(
        ejection.reason,
        EjectionReason::ConsecutiveLocalOriginFailure
    );
    assert_eq!(ejection.duration_ns, 30 * SECOND_NS);
}

#[test]
fn with_split_local_origin_failures_leave_the_5xx_streaks_alone() {
    // They neither extend nor reset the external-origin streaks (cc#L146-L172).
    let config = OutlierConfig {
        consecutive_local_origin_failure: 0,
        consecutive_gateway_failure: Some(5),
        ..split_consecutive_only()
    };
    let mut detector = OutlierDetector::new(config.clone(), 10);
    assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 4), None);
    assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 20), None);
    assert_eq!(feed(&mut detector, secs(1), 0, TIMEOUT, 20), None);
    let ejection = detector
        .record(secs(1), 0, SERVER_ERROR)
        .expect("fifth 5xx");
    assert_eq!(ejection.reason, EjectionReason::Consecutive5xx);
    let mut detector = OutlierDetector::new(config, 10);
    assert_eq!(feed(&mut detector, secs(1), 0, GATEWAY_FAILURE, 4), None);
    assert_eq!(feed(&mut detector, secs(1), 0, TIMEOUT, 20), None);
    let ejection = detector
        .record(secs(1), 0, GATEWAY_FAILURE)
        .expect("fifth gateway failure");
    assert_eq!(ejection.reason, EjectionReason::ConsecutiveGatewayFailure);
}

#[test]
fn with_split_a_connect_success_resets_the_local_streak() {
    // localOriginNoFailure (cc#L151-L153, cc#L197-L208).
    let mut detector = OutlierDetector::new(split_consecutive_only(), 10);
    assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 4), None);
    assert_eq!(detector.record(secs(1), 0, CONNECTED), None);
    assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 4), None);
    assert!(!detector.is_ejected(0));
    assert!(detector.record(secs(1), 0, CONNECT_FAILURE).is_some());
}

#[test]
fn with_split_an_http_answer_does_not_reset_the_local_streak() {
    // Since Envoy 1.35 (PR #39440) an answer goes to putHttpResponseCode only (cc#L165-L170).
    let mut detector = OutlierDetector::new(split_consecutive_only(), 10);
    assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 4), None);
    assert_eq!(detector.record(secs(1), 0, SUCCESS), None);
    let ejection = detector
        .record(secs(1), 0, TIMEOUT)
        .expect("fifth local failure");
    assert_eq!(
        ejection.reason,
        EjectionReason::ConsecutiveLocalOriginFailure
    );
}

#[test]
fn returning_resets_the_local_origin_streak() {
    // cc#L383.
    let mut detector = OutlierDetector::new(split_consecutive_only(), 10);
    assert!(feed(&mut detector, secs(0), 0, CONNECT_FAILURE, 5).is_some());
    assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 3), None);
    let returned = tick_until_returned(&mut detector, secs(0), 0);
    assert_eq!(feed(&mut detector, returned, 0, CONNECT_FAILURE, 4), None);
    assert!(detector.record(returned, 0, CONNECT_FAILURE).is_some());
}

#[test]
fn with_split_success_rate_counts_http_answers_only() {
    // Local-origin results go to the local-origin monitor, not the external one
    // (cc#L182-L208).
    let config = OutlierConfig {
        split_external_local_origin_errors: true,
        consecutive_local_origin_failure: 0,
        local_origin_success_rate_enabled: false,
        ..success_rate_only()
    };
    let mut detector = OutlierDetector::new(config, 5);
    interval_traffic(&mut detector, secs(5), &[100; 5], &[0; 5]);
    feed(&mut detector, secs(5), 4, CONNECT_FAILURE, 100);
    assert!(detector.on_interval(secs(10)).is_empty());
    // A host failing its answers is still judged.
    interval_traffic(&mut detector, secs(15), &[100; 5], &[0, 0, 0, 0, 50]);
    let changes = detector.on_interval(secs(20));
    assert_eq!(changes.len(), 1);
    let ejection = changes[0].ejection.expect("an ejection");
    assert_eq!(
        (ejection.host, ejection.reason),
        (4, EjectionReason::SuccessRate)
    );
}

#[test]
fn with_split_local_origin_success_rate_ejects_a_host_that_fails_to_connect() {
    // The second pass over the local-origin monitor (cc#L760-L761), enforced 100 by
    // default (outlier_detection_impl.h#L366): connection successes against failures.
    let config = OutlierConfig {
        split_external_local_origin_errors: true,
        consecutive_local_origin_failure: 0,
        success_rate_enabled: false,
        ..success_rate_only()
    };
    let mut detector = OutlierDetector::new(config, 5);
    interval_outcomes(
        &mut detector,
        secs(5),
        &[100; 5],
        &[0, 0, 0, 0, 50],
        CONNECTED,
        CONNECT_FAILURE,
    );
    let changes = detector.on_interval(secs(10));
    assert_eq!(changes.len(), 1);
    let ejection = changes[0].ejection.expect("an ejection");
    assert_eq!(
        (ejection.host, ejection.reason),
        (4, EjectionReason::LocalOriginSuccessRate)
    );
}

#[test]
fn the_local_origin_pass_runs_after_the_external_one() {
    // processSuccessRateEjections runs for external, then local origin (cc#L760-L761); the
    // external ejection takes the room the cap leaves.
    let config = |max_ejection_percent| OutlierConfig {
        split_external_local_origin_errors: true,
        consecutive_local_origin_failure: 0,
        max_ejection_percent,
        ..success_rate_only()
    };
    for (max_ejection_percent, expected) in [(20, vec![5]), (40, vec![5, 0])] {
        let mut detector = OutlierDetector::new(config(max_ejection_percent), 6);
        // Host 5 fails its answers; host 0 fails its connections.
        interval_traffic(&mut detector, secs(5), &[100; 6], &[0, 0, 0, 0, 0, 50]);
        interval_outcomes(
            &mut detector,
            secs(5),
            &[100; 6],
            &[50, 0, 0, 0, 0, 0],
            CONNECTED,
            CONNECT_FAILURE,
        );
        assert_eq!(ejected_at_tick(&mut detector, secs(10)), expected);
    }
}
