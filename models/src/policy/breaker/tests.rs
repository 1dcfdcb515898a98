use super::{Admission, BreakerConfig, BreakerState, CircuitBreaker, SECOND_NS, Transition};
use meshsim_sim::SimTime;

const MS: u64 = 1_000_000;

fn ms(milliseconds: u64) -> SimTime {
    SimTime::from_nanos(milliseconds * MS)
}

/// Admits one call at `now` and records its outcome at once.
fn call(
    breaker: &mut CircuitBreaker,
    now: SimTime,
    success: bool,
) -> (Admission, Option<Transition>) {
    let admission = breaker.admit(now);
    if admission == Admission::Rejected {
        return (admission, None);
    }
    (admission, breaker.record(now, admission, success, 10 * MS))
}

const OPENED: Option<Transition> = Some(Transition {
    from: BreakerState::Closed,
    to: BreakerState::Open,
});

/// A breaker opened at `at` by one failure.
fn opened_at(config: BreakerConfig, at: SimTime) -> CircuitBreaker {
    let mut breaker = CircuitBreaker::new(config);
    assert_eq!(call(&mut breaker, at, false), (Admission::Allowed, OPENED));
    breaker
}

#[test]
fn opens_above_the_threshold_not_at_it() {
    let mut breaker = CircuitBreaker::new(BreakerConfig::default());
    assert_eq!(call(&mut breaker, ms(0), true), (Admission::Allowed, None));
    // One failure in two fires is 50 %: not above 50 %.
    assert_eq!(call(&mut breaker, ms(1), false), (Admission::Allowed, None));
    assert_eq!(breaker.state(ms(1)), BreakerState::Closed);
    // Two in three is 66.7 %.
    assert_eq!(
        call(&mut breaker, ms(2), false),
        (Admission::Allowed, OPENED)
    );
    assert_eq!(breaker.state(ms(2)), BreakerState::Open);
}

#[test]
fn successes_never_open() {
    let config = BreakerConfig {
        volume_threshold: 5,
        ..BreakerConfig::default()
    };
    let mut breaker = CircuitBreaker::new(config);
    // Three failures below the volume threshold leave it closed.
    for i in 0..3 {
        assert_eq!(call(&mut breaker, ms(i), false), (Admission::Allowed, None));
    }
    // Two successes bring the volume to 5 with 60 % failures: successes do not check.
    for i in 3..5 {
        assert_eq!(call(&mut breaker, ms(i), true), (Admission::Allowed, None));
    }
    assert_eq!(breaker.state(ms(5)), BreakerState::Closed);
    // The next failure checks: 4 failures in 6 fires.
    assert_eq!(
        call(&mut breaker, ms(5), false),
        (Admission::Allowed, OPENED)
    );
}

#[test]
fn stays_closed_below_the_volume_threshold() {
    let config = BreakerConfig {
        volume_threshold: 10,
        ..BreakerConfig::default()
    };
    let mut breaker = CircuitBreaker::new(config);
    for i in 0..9 {
        assert_eq!(
            call(&mut breaker, ms(i), false),
            (Admission::Allowed, None),
            "call {i}"
        );
    }
    assert_eq!(
        call(&mut breaker, ms(9), false),
        (Admission::Allowed, OPENED)
    );
}

#[test]
fn rejects_while_open() {
    let mut breaker = opened_at(BreakerConfig::default(), ms(1_000));
    for at in [1_000, 2_000, 30_999] {
        assert_eq!(breaker.admit(ms(at)), Admission::Rejected, "at {at} ms");
    }
    assert_eq!(breaker.state(ms(30_999)), BreakerState::Open);
    assert_eq!(breaker.state(ms(31_000)), BreakerState::HalfOpen);
}

#[test]
fn exactly_one_trial_in_half_open() {
    let mut breaker = opened_at(BreakerConfig::default(), ms(0));
    let reset = ms(30_000);
    assert_eq!(breaker.admit(reset), Admission::Trial);
    for i in 1..5 {
        assert_eq!(breaker.admit(reset + i * MS), Admission::Rejected);
    }
    assert_eq!(breaker.state(reset + 5 * MS), BreakerState::HalfOpen);
}

#[test]
fn closes_on_trial_success() {
    let mut breaker = opened_at(BreakerConfig::default(), ms(0));
    let trial = breaker.admit(ms(30_000));
    assert_eq!(trial, Admission::Trial);
    assert_eq!(
        breaker.record(ms(30_050), trial, true, 50 * MS),
        Some(Transition {
            from: BreakerState::HalfOpen,
            to: BreakerState::Closed
        })
    );
    assert_eq!(breaker.state(ms(30_050)), BreakerState::Closed);
    assert_eq!(breaker.admit(ms(30_060)), Admission::Allowed);
}

#[test]
fn reopens_on_trial_failure_and_restarts_the_timer() {
    let mut breaker = opened_at(BreakerConfig::default(), ms(0));
    let trial = breaker.admit(ms(30_000));
    assert_eq!(
        breaker.record(ms(30_500), trial, false, 500 * MS),
        Some(Transition {
            from: BreakerState::HalfOpen,
            to: BreakerState::Open
        })
    );
    assert_eq!(breaker.admit(ms(60_499)), Admission::Rejected);
    assert_eq!(breaker.admit(ms(60_500)), Admission::Trial);
}

#[test]
fn trial_failure_reopens_below_the_volume_threshold() {
    let config = BreakerConfig {
        volume_threshold: 1_000,
        ..BreakerConfig::default()
    };
    let mut breaker = CircuitBreaker::new(config);
    for i in 0..1_000 {
        call(&mut breaker, ms(i), false);
    }
    assert_eq!(breaker.state(ms(999)), BreakerState::Open);
    let trial = breaker.admit(ms(31_000));
    assert_eq!(
        breaker.record(ms(31_001), trial, false, MS).map(|t| t.to),
        Some(BreakerState::Open)
    );
}

#[test]
fn a_late_success_in_half_open_closes() {
    // opossum closes on any success while half-open, not only the trial's.
    let mut breaker = CircuitBreaker::new(BreakerConfig::default());
    let slow_call = breaker.admit(ms(0));
    assert_eq!(call(&mut breaker, ms(1), false), (Admission::Allowed, None));
    assert_eq!(
        call(&mut breaker, ms(2), false),
        (Admission::Allowed, OPENED)
    );
    assert_eq!(
        breaker.record(ms(30_002), slow_call, true, 30_002 * MS),
        Some(Transition {
            from: BreakerState::HalfOpen,
            to: BreakerState::Closed
        })
    );
}

#[test]
fn a_late_failure_while_open_does_not_restart_the_timer() {
    let mut breaker = CircuitBreaker::new(BreakerConfig::default());
    let slow_call = breaker.admit(ms(0));
    assert_eq!(call(&mut breaker, ms(1), false), (Admission::Allowed, None));
    assert_eq!(
        call(&mut breaker, ms(2), false),
        (Admission::Allowed, OPENED)
    );
    assert_eq!(
        breaker.record(ms(20_000), slow_call, false, 20_000 * MS),
        None
    );
    assert_eq!(breaker.admit(ms(30_001)), Admission::Rejected);
    assert_eq!(breaker.admit(ms(30_002)), Admission::Trial);
}

#[test]
fn old_buckets_roll_out_of_the_window() {
    // Three successes at 0 s, one failure later: within the window it is 1 failure in 4
    // fires; once the 0 s bucket has rolled out it is 1 in 1.
    let mut inside = CircuitBreaker::new(BreakerConfig::default());
    let mut outside = CircuitBreaker::new(BreakerConfig::default());
    for breaker in [&mut inside, &mut outside] {
        for _ in 0..3 {
            call(breaker, ms(0), true);
        }
    }
    assert_eq!(
        call(&mut inside, ms(9_999), false),
        (Admission::Allowed, None)
    );
    assert_eq!(inside.window(ms(9_999)).fires, 4);
    assert_eq!(
        call(&mut outside, ms(10_000), false),
        (Admission::Allowed, OPENED)
    );
    assert_eq!(outside.window(ms(10_000)).fires, 1);
}

#[test]
fn the_window_forgets_everything_after_a_long_quiet() {
    let mut breaker = CircuitBreaker::new(BreakerConfig::default());
    for i in 0..10 {
        call(&mut breaker, ms(i * 1_000), true);
    }
    assert_eq!(breaker.window(ms(9_000)).successes, 10);
    assert_eq!(breaker.window(ms(15_000)).successes, 4);
    assert_eq!(breaker.window(ms(500_000)), super::WindowCounts::default());
}

#[test]
fn rejected_calls_count_as_fires_and_dilute_the_error_rate() {
    let mut breaker = opened_at(BreakerConfig::default(), ms(0));
    for i in 0..20 {
        assert_eq!(breaker.admit(ms(25_000 + i)), Admission::Rejected);
    }
    let trial = breaker.admit(ms(30_000));
    breaker.record(ms(30_001), trial, true, MS);
    // Closing keeps the window: 21 fires from the last 10 s, so two failures stay far below
    // 50 % and the breaker stays closed (opossum's behaviour).
    assert_eq!(breaker.window(ms(30_001)).fires, 21);
    assert_eq!(
        call(&mut breaker, ms(30_002), false),
        (Admission::Allowed, None)
    );
    assert_eq!(
        call(&mut breaker, ms(30_003), false),
        (Admission::Allowed, None)
    );
    assert_eq!(breaker.state(ms(30_003)), BreakerState::Closed);
}

fn slow_config(rate_percent: Option<f64>) -> BreakerConfig {
    BreakerConfig {
        slow_call_duration_ns: Some(SECOND_NS),
        slow_call_rate_percent: rate_percent,
        // These tests are about the rate: one completed call is enough to judge.
        slow_call_minimum_calls: 1,
        ..BreakerConfig::default()
    }
}

#[test]
fn the_slow_call_rule_waits_for_the_minimum_number_of_calls() {
    let config = BreakerConfig {
        slow_call_minimum_calls: 3,
        ..slow_config(None)
    };
    let mut breaker = CircuitBreaker::new(config);
    let calls: Vec<_> = (0..3).map(|_| breaker.admit(ms(0))).collect();
    // Two slow calls of two completed is 100 %, but below the minimum of three: no verdict.
    assert_eq!(breaker.record(ms(1_500), calls[0], true, 1_500 * MS), None);
    assert_eq!(breaker.record(ms(1_600), calls[1], true, 1_600 * MS), None);
    // The third completes the minimum, and all three were slow.
    assert_eq!(
        breaker.record(ms(1_700), calls[2], true, 1_700 * MS),
        OPENED
    );
}

#[test]
fn the_slow_call_minimum_defaults_to_resilience4js_100() {
    assert_eq!(BreakerConfig::default().slow_call_minimum_calls, 100);
}

#[test]
fn slow_calls_open_at_the_slow_call_rate() {
    let mut breaker = CircuitBreaker::new(slow_config(Some(50.0)));
    let fast = breaker.admit(ms(0));
    let slow = breaker.admit(ms(0));
    assert_eq!(breaker.record(ms(100), fast, true, 100 * MS), None);
    assert_eq!(breaker.record(ms(2_000), slow, true, 2 * SECOND_NS), OPENED);
    assert_eq!(breaker.window(ms(2_000)).slow, 1);
}

#[test]
fn slow_call_rate_defaults_to_100_percent() {
    let mut breaker = CircuitBreaker::new(slow_config(None));
    let fast = breaker.admit(ms(0));
    let slow = breaker.admit(ms(0));
    breaker.record(ms(10), fast, true, 10 * MS);
    // One slow call in two completed is 50 %, below 100 %.
    assert_eq!(breaker.record(ms(1_500), slow, true, 1_500 * MS), None);
    let mut all_slow = CircuitBreaker::new(slow_config(None));
    let slow = all_slow.admit(ms(0));
    assert_eq!(all_slow.record(ms(1_500), slow, true, 1_500 * MS), OPENED);
}

#[test]
fn a_call_as_long_as_the_slow_threshold_is_not_slow() {
    let mut breaker = CircuitBreaker::new(slow_config(None));
    let call = breaker.admit(ms(0));
    assert_eq!(breaker.record(ms(1_000), call, true, SECOND_NS), None);
    assert_eq!(breaker.window(ms(1_000)).slow, 0);
}

#[test]
fn slow_calls_respect_the_volume_threshold() {
    let config = BreakerConfig {
        volume_threshold: 3,
        ..slow_config(None)
    };
    // One fire in the window: a slow call is below the volume.
    let mut quiet = CircuitBreaker::new(config.clone());
    let only = quiet.admit(ms(0));
    assert_eq!(quiet.record(ms(2_000), only, true, 2 * SECOND_NS), None);
    // Three fires: the same slow call opens.
    let mut busy = CircuitBreaker::new(config);
    let first = busy.admit(ms(0));
    busy.admit(ms(1));
    busy.admit(ms(2));
    assert_eq!(busy.record(ms(2_000), first, true, 2 * SECOND_NS), OPENED);
}

#[test]
fn a_slow_trial_reopens() {
    let mut breaker = opened_at(slow_config(None), ms(0));
    let trial = breaker.admit(ms(30_000));
    assert_eq!(
        breaker.record(ms(32_000), trial, true, 2 * SECOND_NS),
        Some(Transition {
            from: BreakerState::HalfOpen,
            to: BreakerState::Open
        })
    );
}

#[test]
fn without_a_slow_rule_slow_calls_do_not_matter() {
    let mut breaker = CircuitBreaker::new(BreakerConfig::default());
    let call = breaker.admit(ms(0));
    assert_eq!(breaker.record(ms(60_000), call, true, 60 * SECOND_NS), None);
    assert_eq!(breaker.window(ms(60_000)).slow, 0);
}

#[test]
#[should_panic(expected = "a rejected call never ran")]
fn recording_a_rejected_call_is_a_bug() {
    let mut breaker = opened_at(BreakerConfig::default(), ms(0));
    let rejected = breaker.admit(ms(1));
    breaker.record(ms(2), rejected, true, MS);
}
