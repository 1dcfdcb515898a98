//! Linkerd's load balancer: power of two choices over a peak-EWMA latency estimate per host.
//!
//! linkerd2-proxy balances with tower's `PeakEwma` (`EWMA_DEFAULT_RTT` 30 ms, `EWMA_DECAY` 10 s),
//! which tower derives from Finagle's: "Work is calculated by multiplying the
//! exponentially-weighted moving average (EWMA) of response latencies by the number of pending
//! requests. The Peak-EWMA algorithm is designed to be especially sensitive to worst-case
//! latencies. Over time, the peak latency value decays towards the moving average of latencies to
//! the endpoint."
//!
//! - An observed RTT above the estimate replaces it ("always use the worst-case (peak) value as
//!   the estimate for subsequent requests"). A lower one is blended in: estimate × w + rtt ×
//!   (1 − w) with w = exp(−Δt / decay), Δt the time since the host's last update, so the weight
//!   of the past depends on elapsed time, not on the request rate.
//! - Cost = estimate × (pending + 1), the estimate first decayed toward zero for the time since
//!   its last update (tower's `load()` "Updates with a 0 duration so that the estimate decays
//!   towards 0").
//! - The pick is tower's p2c: two distinct hosts at random, the lower cost wins, the first drawn on
//!   a tie.
//!
//! Where meshsim simplifies:
//! - tower's `load()` writes the decayed estimate back, so its later blends start from a value
//!   that depends on when the balancer last looked at the host. meshsim's cost only reads: the
//!   estimate changes only when an RTT is observed, which keeps picks free of side effects.
//! - As tower does, a host starts at the default RTT when it is discovered (at the start, or when
//!   it joins again), and that estimate decays like any other: a host no request has measured
//!   yet grows cheaper with time, so P2C comes to try it (`RttEstimate::new`,
//!   tower@tower-0.5.3:tower/src/load/peak_ewma.rs). Holding it at the default RTT instead
//!   would starve it once other hosts were measured below 30 ms.
//! - "Pending" is whatever count the caller passes (the sidecar's attempts in flight to the host);
//!   tower counts the handles its own balancer has out.
//!
//! Exponentials use `libm::exp`, so estimates are bit-identical on every machine.

use meshsim_sim::{SimRng, SimTime};

const MS: u64 = 1_000_000;
const SECOND_NS: u64 = 1_000_000_000;

/// The estimator's constants; `Default` is linkerd2-proxy's.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PeakEwmaConfig {
    /// The RTT assumed for a host not measured yet: 30 ms.
    pub(crate) default_rtt_ns: u64,
    /// The decay time constant τ: 10 s.
    pub(crate) decay_ns: u64,
}

impl Default for PeakEwmaConfig {
    fn default() -> Self {
        PeakEwmaConfig {
            default_rtt_ns: 30 * MS,
            decay_ns: 10 * SECOND_NS,
        }
    }
}

/// A host's estimate and when it was last updated.
#[derive(Debug, Clone, Copy)]
struct RttEstimate {
    rtt_ns: f64,
    updated_at: SimTime,
}

/// Peak-EWMA estimates for the hosts of one upstream, indexed from 0.
#[derive(Debug, Clone)]
pub(crate) struct PeakEwma {
    config: PeakEwmaConfig,
    decay_ns: f64,
    /// Every host's estimate, from the default RTT at its discovery.
    estimates: Vec<RttEstimate>,
}

impl PeakEwma {
    /// Linkerd's defaults over `host_count` hosts.
    pub(crate) fn new(host_count: usize) -> Self {
        PeakEwma::with_config(host_count, PeakEwmaConfig::default())
    }

    pub(crate) fn with_config(host_count: usize, config: PeakEwmaConfig) -> Self {
        assert!(
            config.default_rtt_ns > 0,
            "the default RTT must be positive"
        );
        assert!(config.decay_ns > 0, "the decay time must be positive");
        let decay_ns = config.decay_ns as f64;
        let discovered = RttEstimate {
            rtt_ns: config.default_rtt_ns as f64,
            updated_at: SimTime::ZERO,
        };
        PeakEwma {
            config,
            decay_ns,
            estimates: vec![discovered; host_count],
        }
    }

    /// Forgets `host`'s measurements: discovered again at `now`, it starts at the default RTT.
    pub(crate) fn reset_host(&mut self, now: SimTime, host: usize) {
        self.estimates[host] = RttEstimate {
            rtt_ns: self.config.default_rtt_ns as f64,
            updated_at: now,
        };
    }

    /// An attempt to `host` answered at `now` after `rtt_ns`.
    pub(crate) fn observe(&mut self, now: SimTime, host: usize, rtt_ns: u64) {
        let rtt = rtt_ns as f64;
        let prior = self.estimates[host];
        let next_ns = if prior.rtt_ns < rtt {
            rtt
        } else {
            let weight = self.weight(now, prior.updated_at);
            prior.rtt_ns * weight + rtt * (1.0 - weight)
        };
        self.estimates[host] = RttEstimate {
            rtt_ns: next_ns,
            updated_at: now,
        };
    }

    /// `host`'s estimate at `now`: the last one decayed toward zero since it was made.
    pub(crate) fn estimate_ns(&self, now: SimTime, host: usize) -> f64 {
        let estimate = self.estimates[host];
        estimate.rtt_ns * self.weight(now, estimate.updated_at)
    }

    /// The cost of sending one more request to `host`, with `pending` already in flight.
    pub(crate) fn cost(&self, now: SimTime, host: usize, pending: u32) -> f64 {
        self.estimate_ns(now, host) * (f64::from(pending) + 1.0)
    }

    /// Power of two choices among `live` (host indices) by lowest cost; `pending[host]` is the
    /// host's requests in flight. Draws twice from `rng` when two or more hosts are live.
    pub(crate) fn pick(
        &self,
        now: SimTime,
        live: &[u32],
        pending: &[u32],
        rng: &mut SimRng,
    ) -> Option<u32> {
        match live.len() {
            0 => None,
            1 => Some(live[0]),
            count => {
                let first = rng.below(count as u64) as usize;
                // The second draw skips the first: two distinct hosts, uniformly.
                let mut second = rng.below(count as u64 - 1) as usize;
                if second >= first {
                    second += 1;
                }
                let (a, b) = (live[first], live[second]);
                let cost_a = self.cost(now, a as usize, pending[a as usize]);
                let cost_b = self.cost(now, b as usize, pending[b as usize]);
                Some(if cost_a <= cost_b { a } else { b })
            }
        }
    }

    /// The weight of an estimate made at `then`, seen at `now`: exp(−Δt / τ).
    fn weight(&self, now: SimTime, then: SimTime) -> f64 {
        libm::exp(-(now.nanos_since(then) as f64) / self.decay_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::{MS, PeakEwma};
    use meshsim_sim::{Seeder, SimTime};

    fn ms(milliseconds: u64) -> SimTime {
        SimTime::from_nanos(milliseconds * MS)
    }

    fn assert_close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() <= expected.abs() * 1e-12,
            "{actual} != {expected}"
        );
    }

    #[test]
    fn a_slow_host_loses_to_a_fast_one() {
        let mut ewma = PeakEwma::new(2);
        ewma.observe(ms(1_000), 0, 100 * MS);
        ewma.observe(ms(1_000), 1, 10 * MS);
        let mut rng = Seeder::new(1).stream("p2c");
        for _ in 0..100 {
            assert_eq!(ewma.pick(ms(1_001), &[0, 1], &[0, 0], &mut rng), Some(1));
        }
    }

    #[test]
    fn the_peak_is_taken_at_once() {
        let mut ewma = PeakEwma::new(1);
        ewma.observe(ms(1_000), 0, 10 * MS);
        ewma.observe(ms(1_001), 0, 200 * MS);
        assert_close(ewma.estimate_ns(ms(1_001), 0), (200 * MS) as f64);
    }

    #[test]
    fn a_lower_rtt_soon_after_a_peak_barely_moves_it() {
        let mut ewma = PeakEwma::new(1);
        ewma.observe(ms(1_000), 0, 200 * MS);
        ewma.observe(ms(1_010), 0, 10 * MS);
        // 10 ms against τ = 10 s keeps 99.9 % of the peak.
        let estimate_ms = ewma.estimate_ns(ms(1_010), 0) / MS as f64;
        assert!((199.0..200.0).contains(&estimate_ms), "{estimate_ms}");
    }

    #[test]
    fn decays_back_toward_the_observed_rtt_over_time() {
        let mut ewma = PeakEwma::new(1);
        ewma.observe(ms(1_000), 0, 200 * MS);
        // One time constant later the peak has decayed to 200 / e without new measurements.
        let decayed = (200 * MS) as f64 * libm::exp(-1.0);
        assert_close(ewma.estimate_ns(ms(11_000), 0), decayed);
        // And a 10 ms measurement then blends in with weight 1 − 1/e.
        ewma.observe(ms(11_000), 0, 10 * MS);
        let blended = decayed + (10 * MS) as f64 * (1.0 - libm::exp(-1.0));
        assert_close(ewma.estimate_ns(ms(11_000), 0), blended);
        assert!((79.0..81.0).contains(&(blended / MS as f64)));
    }

    #[test]
    fn pending_requests_raise_the_cost() {
        let mut ewma = PeakEwma::new(2);
        ewma.observe(ms(0), 0, 20 * MS);
        ewma.observe(ms(0), 1, 20 * MS);
        assert_close(ewma.cost(ms(0), 0, 3), 4.0 * ewma.cost(ms(0), 0, 0));
        let mut rng = Seeder::new(2).stream("p2c");
        for _ in 0..100 {
            assert_eq!(ewma.pick(ms(0), &[0, 1], &[5, 1], &mut rng), Some(1));
        }
        // A host twice as fast with three requests in flight costs more than an idle one. A
        // minute in, the default estimates have decayed away and the measurements stand.
        let mut ewma = PeakEwma::new(2);
        ewma.observe(ms(60_000), 0, 10 * MS);
        ewma.observe(ms(60_000), 1, 20 * MS);
        assert_eq!(ewma.pick(ms(60_000), &[0, 1], &[3, 0], &mut rng), Some(1));
        assert_eq!(ewma.pick(ms(60_000), &[0, 1], &[0, 0], &mut rng), Some(0));
    }

    #[test]
    fn unmeasured_hosts_start_at_the_default_rtt_and_decay_from_discovery() {
        let mut ewma = PeakEwma::new(2);
        assert_close(ewma.cost(ms(0), 0, 0), (30 * MS) as f64);
        assert_close(ewma.cost(ms(0), 1, 2), (90 * MS) as f64);
        // Ten seconds (τ) later the default has decayed to 30 / e without a measurement.
        assert_close(
            ewma.cost(ms(10_000), 0, 0),
            (30 * MS) as f64 * libm::exp(-1.0),
        );
        // A first measurement soon after discovery blends into the default.
        ewma.observe(ms(1), 1, 5 * MS);
        let weight = libm::exp(-(MS as f64) / (10_000 * MS) as f64);
        let blended = (30 * MS) as f64 * weight + (5 * MS) as f64 * (1.0 - weight);
        assert_close(ewma.estimate_ns(ms(1), 1), blended);
        // Discovered again, a host starts over at the default.
        ewma.reset_host(ms(60_000), 1);
        assert_close(ewma.estimate_ns(ms(60_000), 1), (30 * MS) as f64);
    }

    #[test]
    fn an_unmeasured_host_is_tried_once_the_others_are_measured() {
        // Every host starts at 30 ms. The measured ones blend toward their 4 ms, while the
        // third's default only decays, toward zero: it is soon the cheapest, and P2C picks it
        // the first time it is drawn. Held at 30 ms it would never be picked.
        let mut ewma = PeakEwma::new(3);
        let mut rng = Seeder::new(3).stream("p2c");
        let mut third_picked_at = None;
        for step in 0..4_000u64 {
            let now = ms(step * 10);
            let host = ewma.pick(now, &[0, 1, 2], &[0, 0, 0], &mut rng).unwrap();
            if host == 2 {
                third_picked_at = Some(step * 10);
                break;
            }
            ewma.observe(now, host as usize, 4 * MS);
        }
        let at = third_picked_at.expect("the third host is tried");
        assert!(at < 1_000, "{at}");
    }

    #[test]
    fn picks_two_distinct_hosts() {
        // With three hosts the cheap one is in the drawn pair two times in three.
        let mut ewma = PeakEwma::new(3);
        ewma.observe(ms(0), 0, MS);
        ewma.observe(ms(0), 1, 100 * MS);
        ewma.observe(ms(0), 2, 100 * MS);
        let mut rng = Seeder::new(3).stream("p2c");
        let draws = 30_000;
        let cheap = (0..draws)
            .filter(|_| ewma.pick(ms(0), &[0, 1, 2], &[0; 3], &mut rng) == Some(0))
            .count();
        let share = cheap as f64 / f64::from(draws);
        assert!((share - 2.0 / 3.0).abs() < 0.02, "{share}");
    }

    #[test]
    fn picks_only_live_hosts() {
        let ewma = PeakEwma::new(4);
        let mut rng = Seeder::new(4).stream("p2c");
        for _ in 0..200 {
            let pick = ewma.pick(ms(0), &[1, 3], &[0; 4], &mut rng).unwrap();
            assert!(pick == 1 || pick == 3, "{pick}");
        }
        assert_eq!(ewma.pick(ms(0), &[2], &[0; 4], &mut rng), Some(2));
        assert_eq!(ewma.pick(ms(0), &[], &[0; 4], &mut rng), None);
    }

    #[test]
    fn same_seed_gives_the_same_picks() {
        let mut ewma = PeakEwma::new(5);
        for host in 0..5 {
            ewma.observe(ms(0), host, (host as u64 + 1) * 7 * MS);
        }
        let live = [0, 1, 2, 3, 4];
        let pending = [3, 1, 0, 2, 1];
        let mut first = Seeder::new(5).stream("p2c");
        let mut second = Seeder::new(5).stream("p2c");
        for step in 0..100 {
            let now = ms(step * 10);
            assert_eq!(
                ewma.pick(now, &live, &pending, &mut first),
                ewma.pick(now, &live, &pending, &mut second)
            );
        }
    }
}
