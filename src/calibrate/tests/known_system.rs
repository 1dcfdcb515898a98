//! Traces of a known system, generated span by span:
//!
//! - `shoppers` (a load generator: a root CLIENT span) calls `gateway: GET /api/orders`,
//!   Poisson arrivals at 100 a second;
//! - the gateway works Exp(1 ms), then calls `order: POST /orders` and `catalog: GET /items`
//!   at once, then, for 30 % of requests, `recommend: GET /recs`;
//! - order works Exp(3 ms) and fails 2 % of its requests there (its calls are then not made),
//!   else calls `payment: POST /pay` and publishes `order.created` (a 1 ms producer span);
//! - payment works Exp(5 ms) and queries `postgres` (a client span, Exp(1 ms), no server span);
//! - catalog Exp(2 ms), recommend Exp(4 ms); `notification` consumes `order.created`, Exp(2 ms);
//! - every hop takes 0.5 ms each way; payment's second instance's clock is 50 ms fast;
//! - a few traces more lose their root's child's parent (orphans).

use meshsim_sim::{Seeder, SimRng};

use crate::calibrate::trace::{SpanRole, Trace, TraceSpan};

pub(super) const RATE_PER_S: f64 = 100.0;
pub(super) const ONE_WAY_NS: u64 = 500_000;
pub(super) const PAYMENT_SKEW_NS: i64 = 50_000_000;
pub(super) const ORPHANS: usize = 25;
const MS: f64 = 1e6;

pub(super) struct KnownSystem {
    traces: usize,
}

struct Builder {
    spans: Vec<TraceSpan>,
}

struct SpanSpec<'a> {
    parent: Option<usize>,
    service: &'a str,
    instance: &'a str,
    role: SpanRole,
    name: &'a str,
    start: i64,
    duration: u64,
}

impl Builder {
    fn span(&mut self, spec: &SpanSpec<'_>) -> usize {
        let (method, route) = match spec.name.split_once(' ') {
            Some((method, route)) if spec.role == SpanRole::Server => {
                (Some(method.to_owned()), Some(route.to_owned()))
            }
            _ => (None, None),
        };
        self.spans.push(TraceSpan {
            span_id: format!("{:016x}", self.spans.len() + 1),
            parent_id: spec.parent.map(|at| self.spans[at].span_id.clone()),
            service: spec.service.into(),
            version: None,
            instance: Some(spec.instance.into()),
            role: spec.role,
            name: if method.is_some() {
                "handler".into()
            } else {
                spec.name.into()
            },
            http_method: method,
            http_route: route,
            messaging_destination: None,
            peer_service: None,
            start_ns: spec.start,
            duration_ns: spec.duration,
            http_status: None,
            error: false,
        });
        self.spans.len() - 1
    }

    /// A client span of `caller` at `start` around the callee's server span of `work`: the
    /// callee starts one hop later and answers one hop after it ends.
    fn call(
        &mut self,
        parent: usize,
        caller: &str,
        callee: (&str, &str),
        name: &str,
        start: i64,
        work: u64,
    ) -> (usize, usize) {
        let client = self.span(&SpanSpec {
            parent: Some(parent),
            service: caller,
            instance: &format!("{caller}-0"),
            role: SpanRole::Client,
            name: &format!("call {name}"),
            start,
            duration: work + 2 * ONE_WAY_NS,
        });
        let server = self.span(&SpanSpec {
            parent: Some(client),
            service: callee.0,
            instance: callee.1,
            role: SpanRole::Server,
            name,
            start: start + ONE_WAY_NS as i64,
            duration: work,
        });
        (client, server)
    }
}

fn exp_ns(rng: &mut SimRng, mean_ms: f64) -> u64 {
    (-rng.unit_open_zero().ln() * mean_ms * MS) as u64
}

impl KnownSystem {
    pub(super) fn new(traces: usize) -> Self {
        KnownSystem { traces }
    }

    /// The whole traces, then the orphaned ones.
    pub(super) fn traces(&self) -> Vec<Trace> {
        let mut rng = Seeder::new(7).stream("known-system");
        let mut at: i64 = 1_700_000_000_000_000_000;
        let mut traces = Vec::new();
        for index in 0..self.traces + ORPHANS {
            at += exp_ns(&mut rng, 1000.0 / RATE_PER_S) as i64;
            let mut trace = request(&mut rng, at, index);
            if index >= self.traces {
                trace.spans[1].parent_id = Some("ffffffffffffffff".into());
            }
            traces.push(trace);
        }
        traces
    }

    /// The mean of the root spans' durations of the whole traces, in milliseconds: what the
    /// load generator saw.
    pub(super) fn mean_root_ms(&self) -> f64 {
        let traces = self.traces();
        let whole = &traces[..self.traces];
        whole
            .iter()
            .map(|trace| trace.spans[0].duration_ns as f64)
            .sum::<f64>()
            / whole.len() as f64
            / MS
    }
}

/// Order's part: its server span's work and calls, placed under its client span; returns
/// order's duration and whether it failed.
fn order(
    builder: &mut Builder,
    rng: &mut SimRng,
    order_server: usize,
    start: i64,
    index: usize,
) -> (u64, bool) {
    let own = exp_ns(rng, 3.0);
    if rng.chance(0.02) {
        return (own, true);
    }
    let payment_instance = if index.is_multiple_of(2) {
        "payment-0"
    } else {
        "payment-1"
    };
    let payment_own = exp_ns(rng, 5.0);
    let database = exp_ns(rng, 1.0);
    let payment_work = payment_own + database;
    let pay_start = start + own as i64;
    let (_, payment) = builder.call(
        order_server,
        "order",
        ("payment", payment_instance),
        "POST /pay",
        pay_start,
        payment_work,
    );
    let skew = if index % 2 == 1 { PAYMENT_SKEW_NS } else { 0 };
    builder.spans[payment].start_ns += skew;
    let db = builder.span(&SpanSpec {
        parent: Some(payment),
        service: "payment",
        instance: payment_instance,
        role: SpanRole::Client,
        name: "SELECT payments",
        start: builder.spans[payment].start_ns + payment_own as i64,
        duration: database,
    });
    builder.spans[db].peer_service = Some("postgres".into());
    let publish_start = pay_start + (payment_work + 2 * ONE_WAY_NS) as i64;
    let producer = builder.span(&SpanSpec {
        parent: Some(order_server),
        service: "order",
        instance: "order-0",
        role: SpanRole::Producer,
        name: "order.created publish",
        start: publish_start,
        duration: 2 * ONE_WAY_NS,
    });
    builder.spans[producer].messaging_destination = Some("order.created".into());
    let consumer = builder.span(&SpanSpec {
        parent: Some(producer),
        service: "notification",
        instance: "notification-0",
        role: SpanRole::Consumer,
        name: "order.created process",
        start: publish_start + 3 * ONE_WAY_NS as i64,
        duration: exp_ns(rng, 2.0),
    });
    builder.spans[consumer].messaging_destination = Some("order.created".into());
    builder.spans[consumer].name = "on order.created".into();
    (own + payment_work + 4 * ONE_WAY_NS, false)
}

fn request(rng: &mut SimRng, at: i64, index: usize) -> Trace {
    let mut builder = Builder { spans: Vec::new() };
    let root = builder.span(&SpanSpec {
        parent: None,
        service: "shoppers",
        instance: "shoppers-0",
        role: SpanRole::Client,
        name: "GET /api/orders",
        start: at,
        duration: 0,
    });
    let gateway_start = at + ONE_WAY_NS as i64;
    let gateway = builder.span(&SpanSpec {
        parent: Some(root),
        service: "gateway",
        instance: if index.is_multiple_of(3) {
            "gateway-1"
        } else {
            "gateway-0"
        },
        role: SpanRole::Server,
        name: "GET /api/orders",
        start: gateway_start,
        duration: 0,
    });
    let step = gateway_start + exp_ns(rng, 1.0) as i64;
    let (order_client, order_server) = builder.call(
        gateway,
        "gateway",
        ("order", "order-0"),
        "POST /orders",
        step,
        0,
    );
    let (order_work, failed) = order(
        &mut builder,
        rng,
        order_server,
        step + ONE_WAY_NS as i64,
        index,
    );
    builder.spans[order_server].duration_ns = order_work;
    builder.spans[order_server].error = failed;
    builder.spans[order_client].duration_ns = order_work + 2 * ONE_WAY_NS;
    builder.spans[order_client].error = failed;
    let catalog = exp_ns(rng, 2.0);
    builder.call(
        gateway,
        "gateway",
        ("catalog", "catalog-0"),
        "GET /items",
        step,
        catalog,
    );
    let mut end = step + (order_work.max(catalog) + 2 * ONE_WAY_NS) as i64;
    if !failed && rng.chance(0.3) {
        let recommend = exp_ns(rng, 4.0);
        builder.call(
            gateway,
            "gateway",
            ("recommend", "recommend-0"),
            "GET /recs",
            end,
            recommend,
        );
        end += (recommend + 2 * ONE_WAY_NS) as i64;
    }
    builder.spans[gateway].duration_ns = (end - gateway_start) as u64;
    builder.spans[gateway].error = failed;
    builder.spans[root].duration_ns = (end - at) as u64 + ONE_WAY_NS;
    Trace {
        trace_id: format!("{index:032x}"),
        origin: format!("known system, trace {index}"),
        spans: builder.spans,
    }
}
