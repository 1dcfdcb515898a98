//! An application-level circuit breaker with opossum's semantics (the shop seed's breaker),
//! optionally with resilience4j's slow-call rule.
//!
//! Follows opossum's `lib/circuit.js` and `lib/status.js`:
//! - Every call counts a `fire` in the rolling window before the breaker looks at its state, so
//!   calls rejected while open count as fires too (and dilute the error rate later).
//! - On each failure: "`if ((stats.fires < circuit.volumeThreshold) && !circuit.halfOpen)
//!   return; const errorRate = stats.failures / stats.fires * 100; if (errorRate >
//!   circuit.options.errorThresholdPercentage || circuit.halfOpen) circuit.open();`" The rate must
//!   exceed the threshold (50 % of 2 calls does not open), and successes never open.
//! - Open: calls are rejected until `resetTimeout` after opening, then half-open: "a single
//!   attempt to call the service again. If that attempt is successful, the circuit will be
//!   closed. Otherwise it remains open", and the reset timer starts again. Any success while
//!   half-open closes and any failure re-opens, even that of a call admitted before.
//! - The window is `rollingCountBuckets` buckets of `rollingCountTimeout / rollingCountBuckets`;
//!   a timer rotates them, dropping the oldest. Closing does not clear it.
//!
//! meshsim aligns the buckets to multiples of their width since the start of the run (opossum
//! aligns them to the breaker's creation: the same for a breaker built at time zero).
//!
//! The slow-call rule is resilience4j's: a call is slow when its duration is greater than
//! `slowCallDurationThreshold`, and the breaker opens when slow calls are at least
//! `slowCallRateThreshold` percent of the calls completed in the window (checked on each slow
//! call, subject to the volume threshold), once the window holds `minimumNumberOfCalls`
//! completed calls: resilience4j's `getSlowCallRate` answers "below the minimum" until then
//! (resilience4j@v2.4.0:resilience4j-circuitbreaker/src/main/java/io/github/resilience4j/
//! circuitbreaker/internal/CircuitBreakerMetrics.java#L141-L176). A slow trial counts as a failed trial, as one slow
//! call in resilience4j's half-open state is a slow-call rate of 100 %.

use meshsim_sim::SimTime;

const SECOND_NS: u64 = 1_000_000_000;

/// The breaker's options; `Default` is opossum's defaults without a slow-call rule.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerConfig {
    /// `errorThresholdPercentage`: opens when failures / fires × 100 exceeds it. 50.
    pub error_threshold_percent: f64,
    /// `volumeThreshold`: fires in the window needed before the breaker can open. 0.
    pub volume_threshold: u32,
    /// `rollingCountTimeout`: 10 s.
    pub window_ns: u64,
    /// `rollingCountBuckets`: 10.
    pub buckets: u32,
    /// `resetTimeout`: how long the breaker stays open before a trial. 30 s.
    pub reset_timeout_ns: u64,
    /// resilience4j's `slowCallDurationThreshold`; `None`: no slow-call rule.
    pub slow_call_duration_ns: Option<u64>,
    /// resilience4j's `slowCallRateThreshold`; 100 when a duration is set and this is `None`.
    pub slow_call_rate_percent: Option<f64>,
    /// resilience4j's `minimumNumberOfCalls`: completed calls the window needs before the
    /// slow-call rule judges it. 100.
    pub slow_call_minimum_calls: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            error_threshold_percent: 50.0,
            volume_threshold: 0,
            window_ns: 10 * SECOND_NS,
            buckets: 10,
            reset_timeout_ns: 30 * SECOND_NS,
            slow_call_duration_ns: None,
            slow_call_rate_percent: None,
            slow_call_minimum_calls: 100,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

/// The breaker's verdict on a new call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Closed: the call goes ahead.
    Allowed,
    /// Half-open: the one trial call goes ahead.
    Trial,
    /// Open, or half-open with the trial out: the call fails at once (the fallback answers).
    Rejected,
}

/// A change of state caused by a recorded outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: BreakerState,
    pub to: BreakerState,
}

/// Counts over the rolling window (or one bucket of it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowCounts {
    /// Calls admitted or rejected.
    pub fires: u64,
    pub successes: u64,
    pub failures: u64,
    /// Completed calls longer than the slow-call duration.
    pub slow: u64,
}

/// One bucket of the window, tagged with its index since time zero so that a stale bucket is
/// recognised without a timer.
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    index: u64,
    counts: WindowCounts,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Closed,
    Open { opened_at: SimTime },
    HalfOpen { trial_out: bool },
}

#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    bucket_ns: u64,
    buckets: Vec<Bucket>,
    /// The latest bucket index written, to catch time running backwards.
    latest_index: u64,
    phase: Phase,
}

impl CircuitBreaker {
    pub fn new(config: BreakerConfig) -> Self {
        assert!(config.buckets > 0, "the window needs at least one bucket");
        assert!(
            config.window_ns >= u64::from(config.buckets),
            "a window of {} ns cannot hold {} buckets",
            config.window_ns,
            config.buckets
        );
        assert!(
            config.error_threshold_percent.is_finite(),
            "error threshold must be a number"
        );
        assert!(
            config.slow_call_rate_percent.is_none() || config.slow_call_duration_ns.is_some(),
            "a slow-call rate needs a slow-call duration"
        );
        if let Some(rate) = config.slow_call_rate_percent {
            assert!(
                rate > 0.0 && rate <= 100.0,
                "slow-call rate {rate} is not in (0, 100]"
            );
        }
        // opossum's bucket width is `Math.floor(rollingCountTimeout / rollingCountBuckets)`.
        let bucket_ns = config.window_ns / u64::from(config.buckets);
        let buckets = vec![Bucket::default(); config.buckets as usize];
        CircuitBreaker {
            config,
            bucket_ns,
            buckets,
            latest_index: 0,
            phase: Phase::Closed,
        }
    }

    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    /// The state at `now`: an open breaker whose reset timeout has passed is half-open.
    pub fn state(&self, now: SimTime) -> BreakerState {
        match self.phase {
            Phase::Closed => BreakerState::Closed,
            Phase::Open { opened_at }
                if now.nanos_since(opened_at) >= self.config.reset_timeout_ns =>
            {
                BreakerState::HalfOpen
            }
            Phase::Open { .. } => BreakerState::Open,
            Phase::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// The counts over the window that ends with the bucket holding `now`.
    pub fn window(&self, now: SimTime) -> WindowCounts {
        let index = now.as_nanos() / self.bucket_ns;
        let len = self.buckets.len() as u64;
        let mut total = WindowCounts::default();
        for bucket in &self.buckets {
            if bucket.index <= index && bucket.index.saturating_add(len) > index {
                total.fires += bucket.counts.fires;
                total.successes += bucket.counts.successes;
                total.failures += bucket.counts.failures;
                total.slow += bucket.counts.slow;
            }
        }
        total
    }

    /// A new call at `now`: whether it may go ahead.
    pub fn admit(&mut self, now: SimTime) -> Admission {
        self.settle(now);
        // opossum emits `fire` before it looks at the state: rejected calls count as fires.
        self.bucket_mut(now).fires += 1;
        match &mut self.phase {
            Phase::Closed => Admission::Allowed,
            Phase::Open { .. } | Phase::HalfOpen { trial_out: true } => Admission::Rejected,
            Phase::HalfOpen { trial_out } => {
                *trial_out = true;
                Admission::Trial
            }
        }
    }

    /// A call admitted as `admission` ended at `now` after `duration_ns`; returns the change of
    /// state it caused, if any.
    pub fn record(
        &mut self,
        now: SimTime,
        admission: Admission,
        success: bool,
        duration_ns: u64,
    ) -> Option<Transition> {
        assert_ne!(
            admission,
            Admission::Rejected,
            "a rejected call never ran: it has no outcome to record"
        );
        self.settle(now);
        let slow = self
            .config
            .slow_call_duration_ns
            .is_some_and(|threshold_ns| duration_ns > threshold_ns);
        let bucket = self.bucket_mut(now);
        if success {
            bucket.successes += 1;
        } else {
            bucket.failures += 1;
        }
        if slow {
            bucket.slow += 1;
        }
        match self.phase {
            Phase::HalfOpen { .. } if success && !slow => {
                Some(self.transition(now, BreakerState::Closed))
            }
            Phase::HalfOpen { .. } => Some(self.transition(now, BreakerState::Open)),
            Phase::Closed => {
                let trips = (!success && self.error_rate_exceeded(now))
                    || (slow && self.slow_rate_reached(now));
                trips.then(|| self.transition(now, BreakerState::Open))
            }
            // opossum's `open()` does nothing on an open breaker: the reset timer keeps running.
            Phase::Open { .. } => None,
        }
    }

    /// Moves an open breaker whose reset timeout has passed to half-open (opossum's timer).
    fn settle(&mut self, now: SimTime) {
        if let Phase::Open { opened_at } = self.phase
            && now.nanos_since(opened_at) >= self.config.reset_timeout_ns
        {
            self.phase = Phase::HalfOpen { trial_out: false };
        }
    }

    fn transition(&mut self, now: SimTime, to: BreakerState) -> Transition {
        let from = self.state(now);
        assert_ne!(from, to, "no transition from a state to itself");
        self.phase = match to {
            BreakerState::Closed => Phase::Closed,
            BreakerState::Open => Phase::Open { opened_at: now },
            BreakerState::HalfOpen => unreachable!("only time makes a breaker half-open"),
        };
        Transition { from, to }
    }

    /// opossum's test on a failure: enough volume, and the error rate above the threshold.
    fn error_rate_exceeded(&self, now: SimTime) -> bool {
        let window = self.window(now);
        if window.fires < u64::from(self.config.volume_threshold) {
            return false;
        }
        // opossum's expression: a failure whose fire has left the window divides by zero and,
        // as in JavaScript, gives infinity, which opens.
        let error_rate = window.failures as f64 / window.fires as f64 * 100.0;
        error_rate > self.config.error_threshold_percent
    }

    /// resilience4j's slow-call test: slow calls at least the rate among completed calls.
    fn slow_rate_reached(&self, now: SimTime) -> bool {
        let window = self.window(now);
        if window.fires < u64::from(self.config.volume_threshold) {
            return false;
        }
        let completed = window.successes + window.failures;
        if completed == 0 || completed < u64::from(self.config.slow_call_minimum_calls) {
            return false;
        }
        let slow_rate = window.slow as f64 / completed as f64 * 100.0;
        slow_rate >= self.config.slow_call_rate_percent.unwrap_or(100.0)
    }

    /// The counts of the bucket holding `now`, emptied first if it held an older bucket.
    fn bucket_mut(&mut self, now: SimTime) -> &mut WindowCounts {
        let index = now.as_nanos() / self.bucket_ns;
        assert!(
            index >= self.latest_index,
            "time ran backwards: bucket {index} after {}",
            self.latest_index
        );
        self.latest_index = index;
        let slot = (index % self.buckets.len() as u64) as usize;
        let bucket = &mut self.buckets[slot];
        if bucket.index != index {
            *bucket = Bucket {
                index,
                counts: WindowCounts::default(),
            };
        }
        &mut bucket.counts
    }
}

#[cfg(test)]
mod tests {
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
}
