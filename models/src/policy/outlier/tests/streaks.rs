//! Results and streaks.

use super::{
    AttemptOutcome, CONNECT_FAILURE, EjectionReason, GATEWAY_FAILURE, OutlierConfig,
    OutlierDetector, SECOND_NS, SERVER_ERROR, consecutive_only, feed, secs, tick_until_returned,
};

#[test]
fn http_statuses_classify_as_envoy_does() {
    // Http::CodeUtility::is5xx and isGatewayError (source/common/http/codes.h#L136-L138).
    assert_eq!(
        AttemptOutcome::from_status(404),
        AttemptOutcome::HttpStatus(404)
    );
    for status in [200, 301, 404, 429, 499] {
        assert!(!super::is_5xx(status), "{status}");
    }
    for status in [500, 501, 505, 599] {
        assert!(
            super::is_5xx(status) && !super::is_gateway_error(status),
            "{status}"
        );
    }
    for status in [502, 503, 504] {
        assert!(
            super::is_5xx(status) && super::is_gateway_error(status),
            "{status}"
        );
    }
}

#[test]
fn ejects_at_the_fifth_consecutive_5xx() {
    // The streak fires when it equals consecutive_5xx (cc#L86-L89).
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    assert_eq!(feed(&mut detector, secs(1), 3, SERVER_ERROR, 4), None);
    assert!(!detector.is_ejected(3));
    let ejection = detector
        .record(secs(1), 3, SERVER_ERROR)
        .expect("fifth 5xx ejects");
    assert_eq!(ejection.reason, EjectionReason::Consecutive5xx);
    assert_eq!(ejection.duration_ns, 30 * SECOND_NS);
    assert_eq!(ejection.times_ejected, 1);
    assert!(detector.is_ejected(3));
    assert_eq!(detector.ejected_count(), 1);
}

#[test]
fn a_success_resets_the_streak() {
    // Any status below 500, 4xx included, resets both streaks (cc#L90-L94).
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 4), None);
    assert_eq!(
        detector.record(secs(1), 0, AttemptOutcome::HttpStatus(404)),
        None
    );
    assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 4), None);
    assert!(!detector.is_ejected(0));
    assert!(detector.record(secs(1), 0, SERVER_ERROR).is_some());
}

#[test]
fn gateway_failures_count_as_5xx_by_default() {
    // A gateway error bumps the 5xx streak too (cc#L76-L89).
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    assert_eq!(feed(&mut detector, secs(1), 0, GATEWAY_FAILURE, 4), None);
    let ejection = detector
        .record(secs(1), 0, SERVER_ERROR)
        .expect("five 5xx of any kind");
    assert_eq!(ejection.reason, EjectionReason::Consecutive5xx);
}

#[test]
fn gateway_failures_do_not_eject_unless_configured() {
    // enforcing_consecutive_gateway_failure is 0 by default (outlier_detection_impl.h#L360).
    let config = OutlierConfig {
        consecutive_5xx: 0,
        ..consecutive_only()
    };
    let mut detector = OutlierDetector::new(config, 10);
    assert_eq!(feed(&mut detector, secs(1), 0, GATEWAY_FAILURE, 50), None);
    assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 50), None);
    assert!(!detector.is_ejected(0));
}

#[test]
fn a_non_gateway_5xx_breaks_the_gateway_streak() {
    // cc#L82-L84.
    let config = OutlierConfig {
        consecutive_5xx: 0,
        consecutive_gateway_failure: Some(3),
        ..consecutive_only()
    };
    let mut detector = OutlierDetector::new(config, 10);
    assert_eq!(feed(&mut detector, secs(1), 0, GATEWAY_FAILURE, 2), None);
    assert_eq!(detector.record(secs(1), 0, SERVER_ERROR), None);
    assert_eq!(feed(&mut detector, secs(1), 0, GATEWAY_FAILURE, 2), None);
    assert!(detector.record(secs(1), 0, GATEWAY_FAILURE).is_some());
}

#[test]
fn both_streaks_reaching_their_thresholds_eject_once_as_gateway() {
    // The gateway check runs first; the 5xx worker then finds the host ejected (cc#L581-L583).
    let config = OutlierConfig {
        consecutive_gateway_failure: Some(5),
        ..consecutive_only()
    };
    let mut detector = OutlierDetector::new(config, 10);
    let ejection = feed(&mut detector, secs(1), 0, GATEWAY_FAILURE, 5).expect("ejected");
    assert_eq!(ejection.reason, EjectionReason::ConsecutiveGatewayFailure);
    assert_eq!(detector.times_ejected(0), 1);
    assert_eq!(detector.ejected_count(), 1);
}

#[test]
fn failures_while_ejected_do_not_eject_again() {
    // cc#L581-L583: an ejected host is left alone and its streak not reset.
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    assert!(feed(&mut detector, secs(0), 0, SERVER_ERROR, 5).is_some());
    assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 20), None);
    assert_eq!(detector.times_ejected(0), 1);
    assert_eq!(detector.ejected_count(), 1);
}

#[test]
fn returning_resets_the_streaks() {
    // cc#L379-L383.
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    assert!(feed(&mut detector, secs(0), 0, SERVER_ERROR, 5).is_some());
    // Three more failures while ejected (panic mode can still send it traffic).
    assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 3), None);
    let returned = tick_until_returned(&mut detector, secs(0), 0);
    assert_eq!(feed(&mut detector, returned, 0, SERVER_ERROR, 4), None);
    assert!(detector.record(returned, 0, SERVER_ERROR).is_some());
}
