//! Ejection time.

use super::{
    OutlierDetector, SECOND_NS, SERVER_ERROR, consecutive_only, feed, secs, tick_until_returned,
};

#[test]
fn returns_only_at_an_interval_tick_after_the_time_passed() {
    // Unejection is checked at ticks only (cc#L358-L374).
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    assert!(feed(&mut detector, secs(5), 1, SERVER_ERROR, 5).is_some());
    // Ejected for 30 s from 5 s: still out at the 30 s tick (25 s later), out between ticks
    // after 35 s, back at the 40 s tick.
    assert!(detector.on_interval(secs(10)).is_empty());
    assert!(detector.on_interval(secs(20)).is_empty());
    assert!(detector.on_interval(secs(30)).is_empty());
    assert!(detector.is_ejected(1));
    let changes = detector.on_interval(secs(40));
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].host, changes[0].ejected), (1, false));
    assert!(!detector.is_ejected(1));
    assert_eq!(detector.ejected_count(), 0);
}

#[test]
fn ejection_time_grows_with_repeat_ejections_and_is_capped() {
    // cc#L515-L518 raises the multiplier; cc#L370 caps the time at max_ejection_time.
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    let mut now = secs(0);
    let mut durations_s = Vec::new();
    for _ in 0..12 {
        let ejection = feed(&mut detector, now, 0, SERVER_ERROR, 5).expect("ejected");
        durations_s.push(ejection.duration_ns / SECOND_NS);
        // Fail again at once on return, before a tick can lower the multiplier.
        now = tick_until_returned(&mut detector, now, 0);
    }
    assert_eq!(
        durations_s,
        [30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300]
    );
    assert_eq!(detector.times_ejected(0), 12);
    // Envoy raises the multiplier while multiplier × base < max + base: it stops at 11.
    assert_eq!(detector.ejection_multiplier(0), 11);
}

#[test]
fn multiplier_decreases_each_interval_the_host_stays_in_service() {
    // cc#L763-L777.
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    assert!(feed(&mut detector, secs(0), 0, SERVER_ERROR, 5).is_some());
    let returned = tick_until_returned(&mut detector, secs(0), 0);
    assert!(feed(&mut detector, returned, 0, SERVER_ERROR, 5).is_some());
    let returned = tick_until_returned(&mut detector, returned, 0);
    assert_eq!(detector.ejection_multiplier(0), 2);
    // Not at the tick that returned it, then one step per healthy interval.
    detector.on_interval(returned + 10 * SECOND_NS);
    assert_eq!(detector.ejection_multiplier(0), 1);
    detector.on_interval(returned + 20 * SECOND_NS);
    assert_eq!(detector.ejection_multiplier(0), 0);
    detector.on_interval(returned + 30 * SECOND_NS);
    assert_eq!(detector.ejection_multiplier(0), 0);
    let ejection =
        feed(&mut detector, returned + 31 * SECOND_NS, 0, SERVER_ERROR, 5).expect("ejected");
    assert_eq!(ejection.duration_ns, 30 * SECOND_NS);
    assert_eq!(ejection.times_ejected, 3);
}
