//! Membership.

use super::{
    MembershipChange, OutlierDetector, SECOND_NS, SERVER_ERROR, consecutive_only, ejected_at_tick,
    feed, interval_traffic, secs, success_rate_only, tick_until_returned,
};

#[test]
fn the_ejection_percentage_counts_members_only() {
    // The denominator is host_monitors_.size(), the cluster's current hosts (cc#L480).
    let mut detector = OutlierDetector::new(consecutive_only(), 20);
    for host in 10..20 {
        assert_eq!(
            detector.set_member(host, false),
            MembershipChange::Left {
                ejection_dropped: false
            }
        );
    }
    assert_eq!(detector.member_count(), 10);
    assert!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 5).is_some());
    // Two of ten is 20 %: refused, where twenty slots would have allowed it.
    assert_eq!(feed(&mut detector, secs(1), 1, SERVER_ERROR, 5), None);
}

#[test]
fn members_joining_make_room_for_another_ejection() {
    // hosts_added get monitors and join the denominator (cc#L328-L330).
    let mut detector = OutlierDetector::new(consecutive_only(), 20);
    for host in 10..20 {
        detector.set_member(host, false);
    }
    assert!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 5).is_some());
    assert_eq!(feed(&mut detector, secs(1), 1, SERVER_ERROR, 5), None);
    for host in 10..20 {
        assert_eq!(detector.set_member(host, true), MembershipChange::Joined);
    }
    assert!(feed(&mut detector, secs(1), 1, SERVER_ERROR, 5).is_some());
    assert_eq!(detector.ejected_count(), 2);
}

#[test]
fn removing_an_ejected_host_drops_its_ejection() {
    // hosts_removed: an ejected host lowers ejections_active and is forgotten, with no
    // unejection (cc#L332-L340; Envoy's test RemoveWhileEjected).
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    assert!(feed(&mut detector, secs(0), 3, SERVER_ERROR, 5).is_some());
    assert_eq!(
        detector.set_member(3, false),
        MembershipChange::Left {
            ejection_dropped: true
        }
    );
    assert_eq!(detector.ejected_count(), 0);
    assert!(!detector.is_ejected(3));
    assert!(!detector.is_member(3));
    assert_eq!(detector.member_count(), 9);
    for tick in 1..10 {
        assert!(detector.on_interval(secs(10 * tick)).is_empty());
    }
}

#[test]
fn a_rejoining_host_starts_fresh() {
    // A new host gets a new monitor (cc#L346-L351).
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    assert!(feed(&mut detector, secs(0), 0, SERVER_ERROR, 5).is_some());
    let returned = tick_until_returned(&mut detector, secs(0), 0);
    assert!(feed(&mut detector, returned, 0, SERVER_ERROR, 5).is_some());
    let returned = tick_until_returned(&mut detector, returned, 0);
    assert_eq!(feed(&mut detector, returned, 0, SERVER_ERROR, 4), None);
    assert_eq!(detector.ejection_multiplier(0), 2);
    detector.set_member(0, false);
    assert_eq!(detector.set_member(0, true), MembershipChange::Joined);
    assert_eq!(detector.times_ejected(0), 0);
    assert_eq!(detector.ejection_multiplier(0), 0);
    assert_eq!(feed(&mut detector, returned, 0, SERVER_ERROR, 4), None);
    let ejection = detector.record(returned, 0, SERVER_ERROR).expect("ejected");
    assert_eq!(
        (ejection.duration_ns, ejection.times_ejected),
        (30 * SECOND_NS, 1)
    );
}

#[test]
fn setting_the_same_membership_changes_nothing() {
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 4), None);
    assert_eq!(detector.set_member(0, true), MembershipChange::Unchanged);
    // The streak survived.
    assert!(detector.record(secs(1), 0, SERVER_ERROR).is_some());
    assert!(matches!(
        detector.set_member(1, false),
        MembershipChange::Left { .. }
    ));
    assert_eq!(detector.set_member(1, false), MembershipChange::Unchanged);
    assert_eq!(detector.member_count(), 9);
}

#[test]
fn results_for_a_host_outside_the_cluster_are_ignored() {
    // An ejection for a host no longer in host_monitors_ is dropped (cc#L576-L580).
    let mut detector = OutlierDetector::new(consecutive_only(), 10);
    detector.set_member(0, false);
    assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 50), None);
    assert!(!detector.is_ejected(0));
    detector.set_member(0, true);
    assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 4), None);
    assert!(detector.record(secs(1), 0, SERVER_ERROR).is_some());
}

#[test]
fn success_rate_needs_the_minimum_hosts_among_members() {
    // A host that leaves mid-interval takes its counts with it (cc#L339).
    let mut detector = OutlierDetector::new(success_rate_only(), 10);
    for host in 5..10 {
        detector.set_member(host, false);
    }
    interval_traffic(&mut detector, secs(5), &[100; 5], &[0, 0, 0, 0, 50]);
    detector.set_member(3, false);
    assert!(detector.on_interval(secs(10)).is_empty());
    // The same traffic over five members ejects the outlier.
    detector.set_member(3, true);
    interval_traffic(&mut detector, secs(15), &[100; 5], &[0, 0, 0, 0, 50]);
    assert_eq!(ejected_at_tick(&mut detector, secs(20)), [4]);
}
