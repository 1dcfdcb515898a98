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
pub(crate) enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

/// The breaker's verdict on a new call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Closed: the call goes ahead.
    Allowed,
    /// Half-open: the one trial call goes ahead.
    Trial,
    /// Open, or half-open with the trial out: the call fails at once (the fallback answers).
    Rejected,
}

/// A change of state caused by a recorded outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    pub(crate) from: BreakerState,
    pub(crate) to: BreakerState,
}

/// Counts over the rolling window (or one bucket of it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WindowCounts {
    /// Calls admitted or rejected.
    pub(crate) fires: u64,
    pub(crate) successes: u64,
    pub(crate) failures: u64,
    /// Completed calls longer than the slow-call duration.
    pub(crate) slow: u64,
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
pub(crate) struct CircuitBreaker {
    config: BreakerConfig,
    bucket_ns: u64,
    buckets: Vec<Bucket>,
    /// The latest bucket index written, to catch time running backwards.
    latest_index: u64,
    phase: Phase,
}

impl CircuitBreaker {
    pub(crate) fn new(config: BreakerConfig) -> Self {
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

    pub(crate) fn config(&self) -> &BreakerConfig {
        &self.config
    }

    /// The state at `now`: an open breaker whose reset timeout has passed is half-open.
    pub(crate) fn state(&self, now: SimTime) -> BreakerState {
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
    pub(crate) fn window(&self, now: SimTime) -> WindowCounts {
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
    pub(crate) fn admit(&mut self, now: SimTime) -> Admission {
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
    pub(crate) fn record(
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
mod tests;
