//! Envoy's local rate limit: a token bucket in front of a service (over the limit: 429).
//!
//! Follows the `local_ratelimit` filter's `token_bucket`: `max_tokens` ("The maximum tokens that
//! the bucket can hold. This is also the number of tokens that the bucket initially contains"),
//! `tokens_per_fill` ("The number of tokens added to the bucket during each fill interval. If not
//! specified, defaults to a single token") and `fill_interval`. Each request takes one token.
//!
//! Two refill rules, because Envoy changed its own:
//! - [`Refill::WholeFills`] (the default, as `mesh-semantics.md` describes it): Envoy's
//!   `TimerTokenBucket`, used until 1.31, adds `tokens_per_fill` on a timer every
//!   `fill_interval` from the start, never above `max_tokens`. meshsim applies the fills lazily
//!   when a request arrives, which is the same as a timer since fills into a bucket nobody draws
//!   from commute with the cap.
//! - [`Refill::Continuous`]: Envoy 1.31 made `AtomicTokenBucket` the default ("Tokens are now
//!   automatically refilled when the token bucket is accessed") and 1.34 removed the timer: tokens
//!   accrue continuously at `tokens_per_fill / fill_interval`, and a request needs one whole token.
//!   Envoy keeps fractional tokens in a double; meshsim keeps them exactly, in units of
//!   1 / `fill_interval_ns` of a token.
//!
//! Envoy rejects a `fill_interval` under 50 ms; that check belongs to the scenario loader.

use meshsim_sim::SimTime;

/// How tokens come back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Refill {
    /// `tokens_per_fill` at each multiple of `fill_interval` since the start (Envoy before 1.31).
    #[default]
    WholeFills,
    /// `tokens_per_fill` per `fill_interval`, accruing continuously (Envoy 1.31 and later).
    Continuous,
}

/// One local rate limiter.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    max_tokens: u32,
    tokens_per_fill: u32,
    fill_interval_ns: u64,
    refill: Refill,
    /// When the bucket was created, full; whole fills land at multiples of the interval after.
    start: SimTime,
    /// Tokens held, in units of 1 / `fill_interval_ns` of a token: refill adds `tokens_per_fill`
    /// units per nanosecond, so continuous refill stays in integers.
    credit: u128,
    /// Nanoseconds after `start` up to which refill has been counted.
    credited_to_ns: u64,
}

impl TokenBucket {
    /// A full bucket with whole fills, started at time zero.
    pub(crate) fn new(max_tokens: u32, tokens_per_fill: u32, fill_interval_ns: u64) -> Self {
        assert!(max_tokens > 0, "max_tokens must be positive");
        assert!(tokens_per_fill > 0, "tokens_per_fill must be positive");
        assert!(fill_interval_ns > 0, "fill_interval must be positive");
        TokenBucket {
            max_tokens,
            tokens_per_fill,
            fill_interval_ns,
            refill: Refill::WholeFills,
            start: SimTime::ZERO,
            credit: u128::from(max_tokens) * u128::from(fill_interval_ns),
            credited_to_ns: 0,
        }
    }

    /// The same bucket with another refill rule.
    #[must_use]
    pub(crate) fn with_refill(mut self, refill: Refill) -> Self {
        self.refill = refill;
        self
    }

    /// The same bucket created (full) at `start`, for a limiter that comes up mid-run.
    #[must_use]
    pub(crate) fn starting_at(mut self, start: SimTime) -> Self {
        self.start = start;
        self
    }

    /// Takes a token for a request at `now`; false means the request is over the limit.
    pub(crate) fn try_take(&mut self, now: SimTime) -> bool {
        let (credit, credited_to_ns) = self.refilled(now);
        self.credit = credit;
        self.credited_to_ns = credited_to_ns;
        let token = u128::from(self.fill_interval_ns);
        if self.credit < token {
            return false;
        }
        self.credit -= token;
        true
    }

    /// Whole tokens in the bucket at `now`.
    #[cfg(test)]
    pub(crate) fn available_tokens(&self, now: SimTime) -> u64 {
        (self.refilled(now).0 / u128::from(self.fill_interval_ns)) as u64
    }

    /// The credit at `now` and the time it is counted to, without changing the bucket.
    fn refilled(&self, now: SimTime) -> (u128, u64) {
        let elapsed_ns = now.nanos_since(self.start);
        let until_ns = match self.refill {
            Refill::WholeFills => elapsed_ns - elapsed_ns % self.fill_interval_ns,
            Refill::Continuous => elapsed_ns,
        };
        if until_ns <= self.credited_to_ns {
            return (self.credit, self.credited_to_ns);
        }
        let added = u128::from(until_ns - self.credited_to_ns) * u128::from(self.tokens_per_fill);
        let cap = u128::from(self.max_tokens) * u128::from(self.fill_interval_ns);
        ((self.credit + added).min(cap), until_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::{Refill, TokenBucket};
    use meshsim_sim::SimTime;

    const MS: u64 = 1_000_000;
    const SECOND_NS: u64 = 1_000_000_000;

    fn ms(milliseconds: u64) -> SimTime {
        SimTime::from_nanos(milliseconds * MS)
    }

    fn drain(bucket: &mut TokenBucket, now: SimTime) -> u32 {
        let mut taken = 0;
        while bucket.try_take(now) {
            taken += 1;
            assert!(taken <= 1_000_000, "bucket never ran dry");
        }
        taken
    }

    #[test]
    fn bursts_up_to_max_tokens_from_a_full_start() {
        let mut bucket = TokenBucket::new(5, 1, SECOND_NS);
        assert_eq!(bucket.available_tokens(ms(0)), 5);
        assert_eq!(drain(&mut bucket, ms(0)), 5);
        assert!(!bucket.try_take(ms(1)));
    }

    #[test]
    fn refills_tokens_per_fill_at_each_interval() {
        let mut bucket = TokenBucket::new(10, 3, SECOND_NS);
        assert_eq!(drain(&mut bucket, ms(0)), 10);
        assert!(!bucket.try_take(SimTime::from_nanos(SECOND_NS - 1)));
        assert_eq!(drain(&mut bucket, ms(1_000)), 3);
        assert_eq!(drain(&mut bucket, ms(1_999)), 0);
        assert_eq!(drain(&mut bucket, ms(2_000)), 3);
    }

    #[test]
    fn fills_land_at_multiples_of_the_interval_since_the_start() {
        let mut bucket = TokenBucket::new(2, 1, SECOND_NS);
        // Drained at 0.9 s, the next token comes at 1 s, not a full interval after the drain.
        assert_eq!(drain(&mut bucket, ms(900)), 2);
        assert_eq!(drain(&mut bucket, ms(1_000)), 1);
        let mut late = TokenBucket::new(2, 1, SECOND_NS).starting_at(ms(500));
        assert_eq!(drain(&mut late, ms(900)), 2);
        assert_eq!(drain(&mut late, ms(1_000)), 0);
        assert_eq!(drain(&mut late, ms(1_500)), 1);
    }

    #[test]
    fn missed_fills_are_caught_up_lazily() {
        let mut bucket = TokenBucket::new(5, 1, SECOND_NS);
        assert_eq!(drain(&mut bucket, ms(0)), 5);
        assert_eq!(bucket.available_tokens(ms(3_500)), 3);
        assert_eq!(drain(&mut bucket, ms(3_500)), 3);
    }

    #[test]
    fn never_holds_more_than_max_tokens() {
        let mut bucket = TokenBucket::new(5, 2, SECOND_NS);
        assert_eq!(bucket.available_tokens(ms(100_000)), 5);
        assert!(bucket.try_take(ms(500)));
        // A fill into a nearly full bucket is cut at the cap.
        assert_eq!(bucket.available_tokens(ms(1_000)), 5);
        assert_eq!(drain(&mut bucket, ms(100_000)), 5);
    }

    #[test]
    fn continuous_refill_accrues_fractions_of_a_fill() {
        let mut bucket = TokenBucket::new(5, 2, SECOND_NS).with_refill(Refill::Continuous);
        assert_eq!(drain(&mut bucket, ms(0)), 5);
        // Two tokens a second: none after 0.25 s, one after 0.5 s, four after 2 s.
        assert!(!bucket.try_take(ms(250)));
        assert!(bucket.try_take(ms(500)));
        assert!(!bucket.try_take(ms(500)));
        assert_eq!(bucket.available_tokens(ms(2_500)), 4);
        assert_eq!(bucket.available_tokens(ms(100_000)), 5);
    }

    #[test]
    fn continuous_refill_keeps_the_remainder() {
        let mut bucket = TokenBucket::new(2, 1, 3 * MS).with_refill(Refill::Continuous);
        assert_eq!(drain(&mut bucket, ms(0)), 2);
        // 2 ms is two thirds of a token; 2 ms more makes one and a third.
        assert!(!bucket.try_take(ms(2)));
        assert!(bucket.try_take(ms(4)));
        // The third left over plus 2 ms is one token again, and nothing after.
        assert!(bucket.try_take(ms(6)));
        assert!(!bucket.try_take(ms(7)));
    }

    #[test]
    fn extreme_settings_do_not_overflow() {
        let mut bucket =
            TokenBucket::new(u32::MAX, u32::MAX, u64::MAX).with_refill(Refill::Continuous);
        assert!(bucket.try_take(SimTime::MAX));
        assert_eq!(
            bucket.available_tokens(SimTime::MAX),
            u64::from(u32::MAX) - 1
        );
    }
}
