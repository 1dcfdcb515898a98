//! Load balancing over an upstream's live instances, as Envoy does it.

use meshsim_sim::SimRng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadBalancer {
    /// Envoy's `ROUND_ROBIN`: each live instance in turn, from a random one (Envoy seeds its
    /// index with a random number: `load_balancer_impl.cc#L915`, `round_robin_lb.h#L44-L52`).
    RoundRobin,
    /// Envoy's `RANDOM`.
    Random,
    /// Envoy's `LEAST_REQUEST` with its default choice count of two: draw two instances at
    /// random (with replacement, as Envoy does) and take the one with fewer active requests.
    LeastRequest,
    /// Linkerd's peak-EWMA balancer: power of two choices by estimated latency × load. The
    /// upstream keeps its own estimator; this state is never asked to pick for it.
    PeakEwma,
}

/// The balancer's state for one upstream.
#[derive(Debug, Clone)]
pub(crate) struct BalancerState {
    policy: LoadBalancer,
    next: usize,
}

impl BalancerState {
    /// A balancer whose round robin starts at `seed` (modulo the live instances).
    pub(crate) fn new(policy: LoadBalancer, seed: u64) -> Self {
        BalancerState {
            policy,
            next: seed as usize,
        }
    }

    /// Picks one of `live` (instance indices); `active[i]` is instance i's requests in flight
    /// from this sidecar. `None` when nothing is live.
    pub(crate) fn pick(&mut self, live: &[u32], active: &[u32], rng: &mut SimRng) -> Option<u32> {
        if live.is_empty() {
            return None;
        }
        let count = live.len() as u64;
        let chosen = match self.policy {
            LoadBalancer::RoundRobin => {
                let index = self.next % live.len();
                self.next = self.next.wrapping_add(1);
                live[index]
            }
            LoadBalancer::Random => live[rng.below(count) as usize],
            LoadBalancer::LeastRequest | LoadBalancer::PeakEwma => {
                if live.len() == 1 {
                    live[0]
                } else {
                    let first = live[rng.below(count) as usize];
                    let second = live[rng.below(count) as usize];
                    if active[second as usize] < active[first as usize] {
                        second
                    } else {
                        first
                    }
                }
            }
        };
        Some(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::{BalancerState, LoadBalancer};
    use meshsim_sim::Seeder;

    #[test]
    fn round_robin_visits_each_in_turn() {
        let mut balancer = BalancerState::new(LoadBalancer::RoundRobin, 0);
        let mut rng = Seeder::new(1).stream("lb");
        let live = [0, 2, 3];
        let picks: Vec<_> = (0..6)
            .map(|_| balancer.pick(&live, &[0; 4], &mut rng).unwrap())
            .collect();
        assert_eq!(picks, [0, 2, 3, 0, 2, 3]);
    }

    #[test]
    fn least_request_prefers_the_less_loaded_of_two() {
        let mut balancer = BalancerState::new(LoadBalancer::LeastRequest, 0);
        let mut rng = Seeder::new(2).stream("lb");
        let live = [0, 1];
        let active = [10, 0];
        let picks_of_loaded = (0..1_000)
            .filter(|_| balancer.pick(&live, &active, &mut rng) == Some(0))
            .count();
        // Instance 0 wins only when both draws land on it: a quarter of the time.
        assert!((200..300).contains(&picks_of_loaded), "{picks_of_loaded}");
    }

    #[test]
    fn nothing_live_means_no_pick() {
        let mut balancer = BalancerState::new(LoadBalancer::Random, 0);
        let mut rng = Seeder::new(3).stream("lb");
        assert_eq!(balancer.pick(&[], &[], &mut rng), None);
    }
}
