//! The fidelity test: on a load step, the count follows ceil(current × metric / target)
//! with the HPA's tolerance, its scale-up policies and its scale-down stabilization. Every
//! expected count below is worked out by hand from the formulas of the HPA documentation
//! (kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/, "Algorithm details"
//! and "Default Behavior"), not read from the code.

use meshsim_sim::SimTime;

use super::hpa::{
    Hpa, HpaSpec, PolicyKind, Reading, ScalingPolicy, ScalingRules, SelectPolicy, recommend,
};

const TARGET: f64 = 50.0;

fn spec() -> HpaSpec {
    HpaSpec {
        min_replicas: 1,
        max_replicas: 10,
        target: TARGET,
        scale_up: ScalingRules::default_scale_up(),
        scale_down: ScalingRules::default_scale_down(),
    }
}

fn at(seconds: u64) -> SimTime {
    SimTime::from_nanos(seconds * 1_000_000_000)
}

/// One sync where every pod is ready and the load spreads evenly: each reads load / current.
fn sync(hpa: &mut Hpa, seconds: u64, current: u32, load: f64) -> (u32, bool) {
    let readings = vec![Reading::Ready(load / f64::from(current)); current as usize];
    let recommended = recommend(current, &readings, TARGET).expect("ready pods have readings");
    let decision = hpa.normalize(at(seconds), current, recommended);
    (decision.desired, decision.stabilized)
}

#[test]
fn a_load_step_is_followed_up_at_once_and_down_after_the_window() {
    let mut hpa = Hpa::new(spec());
    // t = 0: 2 pods at 100 requests/s read 50 each; 50 / 50 = 1: stay at 2.
    assert_eq!(sync(&mut hpa, 0, 2, 100.0), (2, false));
    // t = 15: the load steps to 400: 200 each, ratio 4, ceil(2 × 4) = 8. The scale-up
    // policies allow max(ceil(2 × (1 + 100 %)) = 4, 2 + 4 = 6) = 6 within 15 s: 6.
    assert_eq!(sync(&mut hpa, 15, 2, 400.0), (6, false));
    // t = 30: 400 / 6 = 66.7 each, ratio 1.333, ceil(6 × 1.333) = 8. The +4 at t = 15 is a
    // full period old (15 + 15 is not after 30), so the period starts at 6 and allows
    // max(12, 10) = 12: 8.
    assert_eq!(sync(&mut hpa, 30, 6, 400.0), (8, false));
    // t = 45: 430 requests/s, 53.75 each, ratio 1.075: within the 10 % tolerance, stay at 8
    // (the bare formula would say ceil(8 × 1.075) = 9).
    assert_eq!(sync(&mut hpa, 45, 8, 430.0), (8, false));
    // t = 60: the load falls to 100: 12.5 each, ratio 0.25, ceil(8 × 0.25) = 2; but the
    // highest recommendation of the last 300 s is 8 (t = 15 and 30): held at 8.
    assert_eq!(sync(&mut hpa, 60, 8, 100.0), (8, true));
    // Every sync until the 8 recommended at t = 30 leaves the window recommends 2 and is held.
    for seconds in (75..330).step_by(15) {
        assert_eq!(
            sync(&mut hpa, seconds, 8, 100.0),
            (8, true),
            "t = {seconds}"
        );
    }
    // t = 330: the window holds recommendations after t = 30: t = 45's 8 (tolerance kept the
    // count) is still in it.
    assert_eq!(sync(&mut hpa, 330, 8, 100.0), (8, true));
    // t = 345: the window holds t = 60 .. 345, all 2: down to 2. The scale-down policy (100 %
    // per 15 s) allows any count down to min_replicas.
    assert_eq!(sync(&mut hpa, 345, 8, 100.0), (2, false));
    // t = 360: 2 pods at 100 read 50 each: stay.
    assert_eq!(sync(&mut hpa, 360, 2, 100.0), (2, false));
}

#[test]
fn the_count_stays_within_min_and_max() {
    let mut hpa = Hpa::new(spec());
    // 3 pods at 3000 requests/s: ratio 20, ceil(3 × 20) = 60; the policies allow
    // max(6, 7) = 7 and max_replicas 10 caps nothing yet: 7.
    assert_eq!(sync(&mut hpa, 0, 3, 3000.0), (7, false));
    // 7 pods: ratio 3000 / 7 / 50 = 8.57, ceil(60) = 60; policies allow 14; max 10: 10.
    assert_eq!(sync(&mut hpa, 15, 7, 3000.0), (10, false));
    // A count outside the bounds goes back to the bound whatever the load.
    assert_eq!(sync(&mut hpa, 30, 12, 3000.0), (10, false));
}

#[test]
fn unready_pods_count_as_idle_on_a_scale_up() {
    // Two ready pods read 100 (ratio 2) and two are still starting: counted at 0 the four
    // average 50, ratio 1: no change (replica_calculator.go, "treat unready pods as using 0%").
    let readings = [
        Reading::Ready(100.0),
        Reading::Ready(100.0),
        Reading::Unready,
        Reading::Unready,
    ];
    assert_eq!(recommend(4, &readings, TARGET), Some(4));
    // With one unready pod: 200 / 3 = 66.7, ratio 1.333, ceil(3 × 1.333) = 4.
    assert_eq!(recommend(3, &readings[..3], TARGET), Some(4));
    // One ready pod at 100 and two unready: 100 / 3 = 33.3, ratio 0.667: the ready pod asked
    // for a scale-up and the rebalanced ratio says down, a change of direction: stay at 3.
    assert_eq!(recommend(3, &readings[1..], TARGET), Some(3));
}

#[test]
fn missing_readings_count_as_at_the_target_on_a_scale_down() {
    // Two pods read 10 (ratio 0.2) and two did not answer: counted at the target 50, the four
    // average 30, ratio 0.6, ceil(4 × 0.6) = 3 (without them it would be ceil(2 × 0.2) = 1).
    let readings = [
        Reading::Ready(10.0),
        Reading::Ready(10.0),
        Reading::Missing,
        Reading::Missing,
    ];
    assert_eq!(recommend(4, &readings, TARGET), Some(3));
    // On a scale-up they count as idle: two at 150 (ratio 3) and two at 0 average 75, ratio
    // 1.5, ceil(4 × 1.5) = 6.
    let readings = [
        Reading::Ready(150.0),
        Reading::Ready(150.0),
        Reading::Missing,
        Reading::Missing,
    ];
    assert_eq!(recommend(4, &readings, TARGET), Some(6));
}

#[test]
fn no_ready_reading_is_no_decision() {
    assert_eq!(
        recommend(2, &[Reading::Unready, Reading::Missing], TARGET),
        None
    );
}

#[test]
fn select_min_and_disabled_follow_the_documentation() {
    // scaleUp: Pods 1 per 60 s or Percent 50 per 60 s, selectPolicy Min: from 4, min(5, 6) = 5.
    let mut spec = spec();
    spec.scale_up = ScalingRules {
        stabilization_window_ns: 0,
        select: SelectPolicy::Min,
        policies: vec![
            ScalingPolicy {
                kind: PolicyKind::Pods,
                value: 1,
                period_ns: 60_000_000_000,
            },
            ScalingPolicy {
                kind: PolicyKind::Percent,
                value: 50,
                period_ns: 60_000_000_000,
            },
        ],
    };
    spec.scale_down.select = SelectPolicy::Disabled;
    let mut hpa = Hpa::new(spec);
    // 4 pods at 800: ratio 4, 16 wanted; allowed 5.
    assert_eq!(sync(&mut hpa, 0, 4, 800.0), (5, false));
    // 15 s later the +1 is within the 60 s period: the period started at 4, min(5, 6) = 5.
    assert_eq!(sync(&mut hpa, 15, 5, 800.0), (5, false));
    // 60 s after the +1 it is out of the period: from 5, min(6, 8) = 6.
    assert_eq!(sync(&mut hpa, 60, 5, 800.0), (6, false));
    // Scale-down disabled: at no load the count stays (not stabilized: the window, with
    // recommendations of 10 and 10, would hold it anyway, so take it past 300 s).
    assert_eq!(sync(&mut hpa, 400, 6, 6.0).0, 6);
}
