//! A workload's client: a host outside the mesh that sends requests to one exposed service.
//!
//! Open workloads (`constant`, `poisson`, `steps`) send on a schedule whatever happens to
//! earlier requests; a closed workload has `users` who each send, wait for the answer, think,
//! and send again. Every request ends exactly once: answered, timed out by the client, or still
//! in flight when the run ends, which the client reports itself.

mod arrival_process;
mod timer;

use std::sync::Arc;

use meshsim_record::{
    ClientId, Outcome, Reason, ReasonKind, Record, Span, SpanKind, SpanRole, span_id,
};
use meshsim_sim::{Distribution, Input, SimRng, SimTime};

use crate::deadline::Deadlines;
use crate::message::{Control, Message, RequestContext, Response};
use crate::outbox::Outbox;
use crate::sidecar::{Completion, Sidecar};
use crate::slab::{Slab, SlabKey};
use crate::timer::{TimerCode, expect_own};
use timer::{Arrival, UserIndex, WorkloadTimer};

#[derive(Debug, Clone)]
pub enum ArrivalConfig {
    /// Evenly spaced: the k-th request at k / rate seconds.
    Constant {
        rate_per_second: f64,
    },
    Poisson {
        rate_per_second: f64,
    },
    /// A Poisson process whose rate changes at each `(at_ns, rate)`; the first is at zero.
    Steps {
        steps: Vec<(u64, f64)>,
    },
    Closed {
        users: u32,
        think_time: Distribution,
    },
    /// A Poisson process whose rate is interpolated linearly between `(at_ns, rate)` points,
    /// the first at zero, the last's rate held after it.
    Profile {
        points: Arc<[(u64, f64)]>,
    },
    /// One request at each of these times, sorted: a recorded log replayed.
    Replay {
        times_ns: Arc<[u64]>,
    },
}

/// One header's values and their cumulative probabilities.
#[derive(Debug, Clone)]
pub struct HeaderDistribution {
    pub cumulative: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct WorkloadConfig {
    pub client: ClientId,
    /// The endpoint of the target service (the sidecar's only upstream).
    pub endpoint: u32,
    pub arrival: ArrivalConfig,
    pub timeout_ns: Option<u64>,
    pub headers: Vec<HeaderDistribution>,
    /// The share of requests the trace export follows (0: no trace).
    pub trace_sample_rate: f64,
}

/// Whether request `id` of `client` is traced: a hash of the ids under the rate, so the choice
/// draws from no random stream (a trace does not change the run) and is the same on both engines.
pub(crate) fn sampled(client: ClientId, id: u64, rate: f64) -> bool {
    if rate <= 0.0 {
        return false;
    }
    // SplitMix64's finaliser: a good spread of sequential ids.
    let mut x = id ^ (u64::from(client.0) << 40) ^ 0x9e37_79b9_7f4a_7c15;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
    unit < rate
}

struct Outstanding {
    id: u64,
    sent_at: SimTime,
    sampled: bool,
    call: Option<SlabKey>,
    user: Option<u32>,
}

pub struct WorkloadClient {
    config: WorkloadConfig,
    arrivals: SimRng,
    header_rng: SimRng,
    sidecar: Sidecar,
    requests: Slab<Outstanding>,
    /// The client's own timeouts, one deadline per open request.
    timeouts: Deadlines,
    sent: u64,
    /// The nominal time of the pending arrival, which the next gap is measured from.
    next_arrival: SimTime,
    /// Where a profile's or a replay's arrivals have got to: the profile's segment, the
    /// replay's next row.
    cursor: usize,
}

impl WorkloadClient {
    pub fn new(
        config: WorkloadConfig,
        arrivals: SimRng,
        header_rng: SimRng,
        sidecar: Sidecar,
    ) -> Self {
        WorkloadClient {
            config,
            arrivals,
            header_rng,
            sidecar,
            requests: Slab::default(),
            timeouts: Deadlines::default(),
            sent: 0,
            next_arrival: SimTime::ZERO,
            cursor: 0,
        }
    }

    pub fn outstanding(&self) -> usize {
        self.requests.len()
    }

    // Inputs are handed over by value, as the engine gives them up; most fields are `Copy`.
    #[allow(clippy::needless_pass_by_value)]
    pub fn handle(&mut self, now: SimTime, input: Input<Message>, out: &mut Outbox<Message>) {
        match input {
            Input::Start => self.start(now, out),
            Input::Message {
                message: Message::Response(response),
                ..
            } => self.sidecar.on_response(now, &response, out),
            Input::Refused {
                message: Message::Request(request),
                ..
            } => self.sidecar.on_refused(now, &request, out),
            Input::Message {
                message: Message::Control(control),
                ..
            } => match control {
                Control::Routes(update) => self.sidecar.on_routes(&update),
                Control::Endpoint { node, ready } => {
                    self.sidecar.on_endpoint(now, node, ready, out);
                }
                Control::Ready { node, ready } => self.sidecar.on_ready(now, node, ready, out),
                Control::Scrape { .. } | Control::Scraped { .. } | Control::Scale(_) => {
                    unreachable!("a workload client exports no metrics and is not scaled")
                }
            },
            // Control-plane messages are fire and forget.
            Input::Refused {
                message:
                    Message::Control(
                        Control::Routes(_) | Control::Endpoint { .. } | Control::Ready { .. },
                    ),
                ..
            } => {}
            Input::Message {
                message: Message::Request(_),
                ..
            }
            | Input::Refused { .. } => {
                unreachable!("a workload client serves nothing")
            }
            Input::Timer(id) => match expect_own(id, "a workload client") {
                WorkloadTimer::Arrival(arrival) => self.on_arrival(now, arrival, out),
                WorkloadTimer::Think(user) => self.send(now, Some(user.0), out),
                WorkloadTimer::ClientTimeout => {
                    let requests = &self.requests;
                    let id = WorkloadTimer::ClientTimeout.encode();
                    let due = self
                        .timeouts
                        .expire(now, |key| requests.get(key).is_some(), id, out);
                    for key in due {
                        self.on_client_timeout(now, key, out);
                    }
                }
                WorkloadTimer::Sidecar(timer) => self.sidecar.on_timer(now, timer, out),
            },
            Input::Membership { node, up } => self.sidecar.on_membership(now, node, up, out),
            Input::Finish => {
                out.record(Record::InFlightAtEnd {
                    client: self.config.client,
                    count: self.requests.len() as u64,
                });
            }
            Input::Crashed | Input::Restarted => unreachable!("workload clients do not crash"),
        }
        while let Some(done) = self.sidecar.pop_completion() {
            self.answered(now, done, out);
        }
    }

    fn start(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        match &self.config.arrival {
            ArrivalConfig::Constant { .. } => {
                out.set_timer(now, WorkloadTimer::Arrival(Arrival::Send).encode());
            }
            ArrivalConfig::Poisson { .. }
            | ArrivalConfig::Steps { .. }
            | ArrivalConfig::Profile { .. }
            | ArrivalConfig::Replay { .. } => {
                self.schedule_next_arrival(now, out);
            }
            ArrivalConfig::Closed { users, think_time } => {
                // Each user thinks before the first request, so they do not all start at once.
                let think_time = think_time.clone();
                for user in 0..*users {
                    let at = now + think_time.sample_ns(&mut self.arrivals);
                    out.set_timer(at, WorkloadTimer::Think(UserIndex(user)).encode());
                }
            }
        }
    }

    fn on_arrival(&mut self, now: SimTime, arrival: Arrival, out: &mut Outbox<Message>) {
        if arrival == Arrival::Send {
            self.send(now, None, out);
        }
        self.schedule_next_arrival(now, out);
    }

    /// Sets the timer of the next arrival. Gaps are measured from the arrival's nominal time,
    /// not from when its timer fired, so an engine whose timers fire late (turmoil rounds them
    /// up to its tick) does not slow the workload down.
    fn schedule_next_arrival(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        let nominal = self.next_arrival;
        let id_send = WorkloadTimer::Arrival(Arrival::Send).encode();
        let id_reconsider = WorkloadTimer::Arrival(Arrival::Reconsider).encode();
        match &self.config.arrival {
            ArrivalConfig::Constant { rate_per_second } => {
                // The k-th arrival at exactly k / rate: no drift from rounding each gap.
                let at_ns = (self.sent as f64 * 1e9 / rate_per_second).round() as u64;
                self.next_arrival = SimTime::from_nanos(at_ns);
                out.set_timer(self.next_arrival.max(now), id_send);
            }
            ArrivalConfig::Poisson { rate_per_second } => {
                let gap_ns = exponential_gap_ns(*rate_per_second, &mut self.arrivals);
                self.next_arrival = nominal + gap_ns;
                out.set_timer(self.next_arrival.max(now), id_send);
            }
            ArrivalConfig::Steps { steps } => {
                // Memorylessness: at a step boundary the process simply starts again at the
                // new rate, so a gap that would cross a boundary is cut there and redrawn.
                let current = steps
                    .iter()
                    .rposition(|(at_ns, _)| *at_ns <= nominal.as_nanos())
                    .unwrap_or(0);
                let rate = steps[current].1;
                let boundary = steps
                    .get(current + 1)
                    .map(|(at_ns, _)| SimTime::from_nanos(*at_ns));
                let next =
                    (rate > 0.0).then(|| nominal + exponential_gap_ns(rate, &mut self.arrivals));
                let (at, id) = match (next, boundary) {
                    (Some(next), Some(boundary)) if next >= boundary => (boundary, id_reconsider),
                    (Some(next), _) => (next, id_send),
                    (None, Some(boundary)) => (boundary, id_reconsider),
                    (None, None) => return,
                };
                self.next_arrival = at;
                out.set_timer(at.max(now), id);
            }
            ArrivalConfig::Profile { points } => {
                // One Exp(1) draw from the arrival stream per arrival, as a Poisson workload.
                let mass = -self.arrivals.unit_open_zero().ln();
                let from_ns = nominal.as_nanos();
                let Some(at_ns) =
                    arrival_process::next_arrival_ns(points, &mut self.cursor, from_ns, mass)
                else {
                    return;
                };
                self.next_arrival = SimTime::from_nanos(at_ns);
                out.set_timer(self.next_arrival.max(now), id_send);
            }
            ArrivalConfig::Replay { times_ns } => {
                let Some(&at_ns) = times_ns.get(self.cursor) else {
                    return;
                };
                self.cursor += 1;
                self.next_arrival = SimTime::from_nanos(at_ns);
                out.set_timer(self.next_arrival.max(now), id_send);
            }
            ArrivalConfig::Closed { .. } => {
                unreachable!("closed workloads send when users finish thinking")
            }
        }
    }

    fn draw_headers(&mut self) -> u32 {
        // Interned as a mixed-radix number of the drawn value indices, plus one (0: none).
        let mut interned = 0u32;
        for header in &self.config.headers {
            let draw = self.header_rng.unit();
            let value = header
                .cumulative
                .iter()
                .position(|&c| draw < c)
                .unwrap_or(header.cumulative.len() - 1);
            interned = interned * header.cumulative.len() as u32 + value as u32;
        }
        if self.config.headers.is_empty() {
            0
        } else {
            interned + 1
        }
    }

    fn send(&mut self, now: SimTime, user: Option<u32>, out: &mut Outbox<Message>) {
        self.sent += 1;
        let id = self.sent;
        let headers = self.draw_headers();
        let client = self.config.client;
        out.record(Record::RequestSent {
            client,
            request: id,
        });
        let sampled = sampled(client, id, self.config.trace_sample_rate);
        let key = self.requests.insert(Outstanding {
            id,
            sent_at: now,
            sampled,
            call: None,
            user,
        });
        let context = RequestContext {
            root: id,
            client: client.0,
            headers,
            sampled,
        };
        match self
            .sidecar
            .call(now, 0, self.config.endpoint, context, key, out)
        {
            Ok(call) => {
                self.requests.get_mut(key).expect("just inserted").call = Some(call);
                if let Some(timeout_ns) = self.config.timeout_ns {
                    self.timeouts.push(
                        now + timeout_ns,
                        key,
                        WorkloadTimer::ClientTimeout.encode(),
                        out,
                    );
                }
            }
            Err(response) => self.end(now, key, response.status, response.reason, out),
        }
    }

    fn answered(&mut self, now: SimTime, done: Completion, out: &mut Outbox<Message>) {
        let Response { status, reason, .. } = done.response;
        self.end(now, done.owner, status, reason, out);
    }

    fn on_client_timeout(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let Some(call) = self.requests.get(key).map(|request| request.call) else {
            return;
        };
        if let Some(call) = call {
            self.sidecar.abandon(now, call, out);
        }
        let reason = Reason {
            kind: ReasonKind::ClientTimeout,
            group: None,
        };
        self.end(now, key, 0, reason, out);
    }

    fn end(
        &mut self,
        now: SimTime,
        key: SlabKey,
        status: u16,
        reason: Reason,
        out: &mut Outbox<Message>,
    ) {
        let Some(request) = self.requests.remove(key) else {
            return;
        };
        if request.sampled {
            out.record(Record::Span(Box::new(Span {
                trace: (self.config.client, request.id),
                node: self.sidecar.node(),
                kind: SpanKind::Client,
                start_ns: request.sent_at.as_nanos(),
                end_ns: now.as_nanos(),
                endpoint: Some((self.sidecar.upstream_group(0), self.config.endpoint)),
                peer: None,
                status,
                number: 0,
                // The root of its trace; its calls name it by the request's key.
                id: span_id(
                    (self.config.client, request.id),
                    self.sidecar.node(),
                    SpanRole::Visit,
                    (key.0, 0),
                ),
                parent: 0,
                events: Vec::new(),
            })));
        }
        let outcome = if (200..400).contains(&status) {
            Outcome::Succeeded
        } else {
            match reason.kind {
                // Turned away for load: by a full queue, a full connection pool, a rate limit, a
                // balancer shedding while it fails fast.
                ReasonKind::Shed
                | ReasonKind::Overflow
                | ReasonKind::RateLimited
                | ReasonKind::LoadShed => Outcome::Shed,
                ReasonKind::RouteTimeout
                | ReasonKind::ClientTimeout
                | ReasonKind::BreakerTimeout => Outcome::TimedOut,
                _ => Outcome::Failed,
            }
        };
        out.record(Record::RequestDone {
            client: self.config.client,
            request: request.id,
            sent_at_ns: request.sent_at.as_nanos(),
            outcome,
            status,
            reason,
        });
        if let (Some(user), ArrivalConfig::Closed { think_time, .. }) =
            (request.user, &self.config.arrival)
        {
            let at = now + think_time.sample_ns(&mut self.arrivals);
            out.set_timer(at, WorkloadTimer::Think(UserIndex(user)).encode());
        }
    }
}

fn exponential_gap_ns(rate_per_second: f64, rng: &mut SimRng) -> u64 {
    Distribution::Exp {
        mean_ns: 1e9 / rate_per_second,
    }
    .sample_ns(rng)
}
