//! The ejection cap.

use super::{
    OutlierConfig, OutlierDetector, SERVER_ERROR, consecutive_only, feed, secs, tick_until_returned,
};

#[test]
fn always_eject_one_host_is_off_by_default() {
    // cc#L221-L222; with it off, one ejection of 9 hosts is 11 % > 10 % (cc#L478-L486).
    assert!(!OutlierConfig::default().always_eject_one_host);
    let mut detector = OutlierDetector::new(consecutive_only(), 9);
    assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 50), None);
    assert_eq!(detector.ejected_count(), 0);
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    assert!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 5).is_some());
}

#[test]
fn max_ejection_percent_caps_ejections() {
    // 100 × (ejected + 1) / hosts <= max (cc#L480-L483): 20 hosts at 10 % allow two.
    let mut detector = OutlierDetector::new(consecutive_only(), 20);
    assert!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 5).is_some());
    assert!(feed(&mut detector, secs(1), 1, SERVER_ERROR, 5).is_some());
    assert_eq!(feed(&mut detector, secs(1), 2, SERVER_ERROR, 5), None);
    assert!(!detector.is_ejected(2));
    assert_eq!(detector.ejected_count(), 2);
}

#[test]
fn always_eject_one_host_allows_only_the_first_ejection() {
    // cc#L484-L486: 5 hosts at 10 %, one ejection is 20 %, allowed only as the first.
    let config = OutlierConfig {
        always_eject_one_host: true,
        ..consecutive_only()
    };
    let mut detector = OutlierDetector::new(config, 5);
    assert!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 5).is_some());
    assert_eq!(feed(&mut detector, secs(1), 1, SERVER_ERROR, 5), None);
    assert_eq!(detector.ejected_count(), 1);
}

#[test]
fn an_overflowed_ejection_restarts_the_streak() {
    // The streak is reset whether or not ejectHost ejected (cc#L587-L611).
    let config = OutlierConfig {
        always_eject_one_host: true,
        ..consecutive_only()
    };
    let mut detector = OutlierDetector::new(config, 5);
    assert!(feed(&mut detector, secs(0), 0, SERVER_ERROR, 5).is_some());
    assert_eq!(feed(&mut detector, secs(0), 1, SERVER_ERROR, 5), None);
    // Host 0 returns, freeing room; host 1's streak started over at the refusal.
    let returned = tick_until_returned(&mut detector, secs(0), 0);
    assert_eq!(feed(&mut detector, returned, 1, SERVER_ERROR, 4), None);
    assert!(detector.record(returned, 1, SERVER_ERROR).is_some());
}
