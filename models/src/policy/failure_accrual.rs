//! Linkerd's consecutive failure accrual ("circuit breaking"): a gate per endpoint of one
//! balancer that shuts after a run of failures and reopens after a penalty and one good probe.
//!
//! Enabled on a Service with `balancer.linkerd.io/failure-accrual: consecutive`; the defaults
//! come from `linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index.rs#L2102-L2136`
//! (`max-failures` 7, `max-penalty` 60 s, `min-penalty` 1 s, `jitter-ratio` 0.5; min ≤ max,
//! max > 0, 0 ≤ jitter ≤ 100). The state machine is the breaker task in
//! `linkerd2-proxy@release/v2.366.0:linkerd/app/outbound/src/http/breaker/consecutive_failures.rs`:
//! - Open (`#L44-L64`): `if class.is_success() { failures = 0; } else { failures += 1; if
//!   failures == self.max_failures { return Ok(()); } }`. The count is checked after the
//!   increment, so a `max_failures` of 0 never trips.
//! - Shut (`#L69-L95`): one back-off stream per shut episode; the gate shuts, and "Ignore
//!   responses while the breaker is shut" until the back-off fires.
//! - Probation (`#L97-L105`): `self.gate.limit(1)` admits one request, and the next classified
//!   response decides: success reopens (a new episode starts its back-off over), failure shuts the
//!   gate again for the stream's next, longer wait.
//!
//! The penalties are `ExponentialBackoff` waits, [`linkerd_backoff_ns`] with iteration i for the
//! i-th penalty of an episode: min × 2^i capped at max, plus jitter that linkerd2-proxy scales
//! in whole seconds and sub-second nanoseconds separately. With the defaults that gives exactly
//! 1 s, exactly 2 s, 4 or 5 s, 8 to 11 s, 16 to 23 s, 32 to 47 s, then exactly 60 s, all whole
//! seconds (the continuous 1–1.5 s, 2–3 s, ... one might expect from the ratio does not happen).
//!
//! What the caller decides and owns:
//! - What a failure is. Linkerd classifies with the route's default classifier: HTTP 500–599,
//!   the gRPC codes `DataLoss`, `DeadlineExceeded`, `Internal`, `PermissionDenied`, `Unavailable`
//!   and `Unknown`, and any response error (timeouts, resets, and the 502/504 the endpoint layer
//!   synthesises for connection errors). A 429 is a success in consecutive mode.
//! - The penalty timer: [`FailureAccrual::record`] returns the penalty to wait, and the caller
//!   calls [`FailureAccrual::on_penalty_over`] when it fires.
//! - Scope: state is per endpoint, per balancer (each backend of a route has its own), per client
//!   proxy. One `FailureAccrual` is one balancer's endpoints in one proxy.
//!
//! Like Linkerd, the outcome that decides probation is simply the first one recorded while the
//! host is in probation: Linkerd's breaker reads the next response off the endpoint's channel,
//! so a straggler sent before the gate shut and answering during probation counts as the probe.

use crate::policy::backoff::linkerd_backoff_ns;
use meshsim_sim::{SimRng, SimTime};

const SECOND_NS: u64 = 1_000_000_000;

/// The `balancer.linkerd.io/failure-accrual-consecutive-*` settings; `Default` is Linkerd's.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureAccrualConfig {
    /// Consecutive failures that shut an endpoint's gate: 7. Zero never shuts it.
    pub max_failures: u32,
    /// The first penalty of a shut episode, before jitter: 1 s.
    pub min_penalty_ns: u64,
    /// The longest penalty, jitter included: 60 s.
    pub max_penalty_ns: u64,
    /// Jitter as a fraction of the un-jittered penalty: 0.5. The controller parses it as an
    /// `f32`, so a ratio that is not exact in binary reaches the proxy slightly off.
    pub jitter_ratio: f64,
}

impl Default for FailureAccrualConfig {
    fn default() -> Self {
        FailureAccrualConfig {
            max_failures: 7,
            min_penalty_ns: SECOND_NS,
            max_penalty_ns: 60 * SECOND_NS,
            jitter_ratio: 0.5,
        }
    }
}

/// Where an endpoint's gate stands, as the balancer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GateState {
    /// Admits requests; failures are being counted.
    Open,
    /// Admits nothing until its penalty is over.
    Shut,
    /// Admits one probe; `probe_out` once it has been sent.
    Probation { probe_out: bool },
}

/// The endpoint's state, with what each state must remember.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostGate {
    Open {
        consecutive_failures: u32,
    },
    /// Serving penalty `penalty_number` (0 for the episode's first) until `probation_at`.
    Shut {
        penalty_number: u32,
        probation_at: SimTime,
    },
    /// Penalty `penalty_number` has been served.
    Probation {
        penalty_number: u32,
        probe_out: bool,
    },
}

const FRESH: HostGate = HostGate::Open {
    consecutive_failures: 0,
};

/// A gate that just shut: the caller sets a timer for `probation_at` and then calls
/// [`FailureAccrual::on_penalty_over`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shutting {
    pub(crate) host: usize,
    pub(crate) penalty_ns: u64,
    pub(crate) probation_at: SimTime,
}

/// Consecutive failure accrual over the endpoints of one balancer, indexed from 0.
#[derive(Debug, Clone)]
pub(crate) struct FailureAccrual {
    config: FailureAccrualConfig,
    gates: Vec<HostGate>,
}

impl FailureAccrual {
    pub(crate) fn new(config: FailureAccrualConfig, host_count: usize) -> Self {
        // The controller's validation (index.rs#L2127-L2136); the proxy's `try_new` also
        // rejects a jitter that is not finite.
        assert!(
            config.min_penalty_ns <= config.max_penalty_ns,
            "min_penalty cannot exceed max_penalty"
        );
        assert!(config.max_penalty_ns > 0, "max_penalty cannot be zero");
        assert!(
            config.jitter_ratio.is_finite() && (0.0..=100.0).contains(&config.jitter_ratio),
            "jitter_ratio {} is not in [0, 100]",
            config.jitter_ratio
        );
        FailureAccrual {
            config,
            gates: vec![FRESH; host_count],
        }
    }

    pub(crate) fn config(&self) -> &FailureAccrualConfig {
        &self.config
    }

    pub(crate) fn state(&self, host: usize) -> GateState {
        match self.gates[host] {
            HostGate::Open { .. } => GateState::Open,
            HostGate::Shut { .. } => GateState::Shut,
            HostGate::Probation { probe_out, .. } => GateState::Probation { probe_out },
        }
    }

    /// Failures counted since the last success; zero unless the gate is open.
    #[cfg(test)]
    pub(crate) fn consecutive_failures(&self, host: usize) -> u32 {
        match self.gates[host] {
            HostGate::Open {
                consecutive_failures,
            } => consecutive_failures,
            _ => 0,
        }
    }

    /// Whether the balancer may pick `host`: open, or in probation with the probe not yet sent.
    pub(crate) fn is_available(&self, host: usize) -> bool {
        matches!(
            self.gates[host],
            HostGate::Open { .. }
                | HostGate::Probation {
                    probe_out: false,
                    ..
                }
        )
    }

    /// How many hosts the balancer may pick; zero means the balancer's queue waits (and after
    /// Linkerd's failfast timeout, fails).
    #[cfg(test)]
    pub(crate) fn available_count(&self) -> usize {
        (0..self.gates.len())
            .filter(|&host| self.is_available(host))
            .count()
    }

    /// A request was sent to `host`. In probation it takes the single probe slot, as the gate's
    /// one semaphore permit is taken and forgotten when the request is dispatched.
    pub(crate) fn on_dispatch(&mut self, host: usize) {
        assert!(
            self.is_available(host),
            "host {host} was dispatched to while its gate admits nothing ({:?})",
            self.gates[host]
        );
        if let HostGate::Probation { penalty_number, .. } = self.gates[host] {
            self.gates[host] = HostGate::Probation {
                penalty_number,
                probe_out: true,
            };
        }
    }

    /// An outcome of a request to `host` arrived at `now`; `failure` as the caller classifies
    /// it. Returns the penalty when this outcome shuts the gate.
    pub(crate) fn record(
        &mut self,
        now: SimTime,
        host: usize,
        failure: bool,
        rng: &mut SimRng,
    ) -> Option<Shutting> {
        match self.gates[host] {
            HostGate::Open {
                consecutive_failures,
            } => {
                if !failure {
                    self.gates[host] = FRESH;
                    return None;
                }
                let consecutive_failures = consecutive_failures.saturating_add(1);
                if consecutive_failures == self.config.max_failures {
                    return Some(self.shut(now, host, 0, rng));
                }
                self.gates[host] = HostGate::Open {
                    consecutive_failures,
                };
                None
            }
            // Responses to requests sent before the gate shut are drained and ignored.
            HostGate::Shut { .. } => None,
            HostGate::Probation { penalty_number, .. } => {
                if !failure {
                    self.gates[host] = FRESH;
                    return None;
                }
                Some(self.shut(now, host, penalty_number.saturating_add(1), rng))
            }
        }
    }

    /// The penalty timer for `host` fired at `now`: a shut gate whose penalty is over moves to
    /// probation. Returns false for a stale timer (the host was reset, or shut again with a
    /// later end), which the caller may simply drop.
    pub(crate) fn on_penalty_over(&mut self, now: SimTime, host: usize) -> bool {
        match self.gates[host] {
            HostGate::Shut {
                penalty_number,
                probation_at,
            } if now >= probation_at => {
                self.gates[host] = HostGate::Probation {
                    penalty_number,
                    probe_out: false,
                };
                true
            }
            _ => false,
        }
    }

    /// Forgets `host`'s history, as for an endpoint rediscovered or a caller restarted: its gate
    /// is open with no failures counted. A pending penalty timer becomes stale.
    pub(crate) fn forget_host(&mut self, host: usize) {
        self.gates[host] = FRESH;
    }

    /// Forgets every host's history, as when the client proxy restarts.
    #[cfg(test)]
    pub(crate) fn reset(&mut self) {
        self.gates.fill(FRESH);
    }

    fn shut(
        &mut self,
        now: SimTime,
        host: usize,
        penalty_number: u32,
        rng: &mut SimRng,
    ) -> Shutting {
        let penalty_ns = linkerd_backoff_ns(
            penalty_number.saturating_add(1),
            self.config.min_penalty_ns,
            self.config.max_penalty_ns,
            self.config.jitter_ratio,
            rng,
        );
        let probation_at = now + penalty_ns;
        self.gates[host] = HostGate::Shut {
            penalty_number,
            probation_at,
        };
        Shutting {
            host,
            penalty_ns,
            probation_at,
        }
    }
}

#[cfg(test)]
mod tests;
