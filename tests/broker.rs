//! The broker, one behaviour per test: fan-out to every subscription, prefetch, redelivery after
//! the ack timeout, the dead-letter queue, durable queues through a broker crash, and publisher
//! confirms. Every run also checks that no message is lost (the run's accounting).

mod support;

use meshsim::scenario::load_str;
use meshsim::{EngineKind, simulate_on};
use meshsim_record::summary::SubscriptionSummary;
use meshsim_record::{RecorderOutputs, RunSummary};
use support::SharedBuffer;

/// `order` publishes `order.created` for each of `rate` requests a second over `duration`;
/// `extra` adds the subscribers, the broker's settings and faults.
fn scenario(duration: &str, rate: u32, broker: &str, extra: &str) -> String {
    format!(
        r#"
[scenario]
name = "broker"
duration = "{duration}"

[network]
latency = {{ dist = "const", value = "1ms" }}

[[service]]
name = "order"
exposed = true
workers = 100

[[service.endpoint]]
name = "POST /orders"
service_time = {{ dist = "const", value = "1ms" }}
calls = [ {{ topic = "order.created" }} ]

[[broker]]
name = "events"
topics = ["order.created"]
{broker}

[[workload]]
name = "shoppers"
target = "order"
endpoint = "POST /orders"
arrival = {{ kind = "constant", rate = {rate} }}
timeout = "10s"
{extra}"#
    )
}

/// A subscriber `name` with `replicas` × `workers`, taking `service_time`, failing with
/// `error_rate`.
fn subscriber(
    name: &str,
    replicas: u32,
    workers: u32,
    service_time: &str,
    error_rate: f64,
) -> String {
    format!(
        "\n[[service]]\nname = \"{name}\"\nreplicas = {replicas}\nworkers = {workers}\n\n\
         [[service.endpoint]]\nname = \"on order.created\"\n\
         service_time = {{ dist = \"const\", value = \"{service_time}\" }}\nerror_rate = {error_rate}\n\n\
         [[subscription]]\ntopic = \"order.created\"\nservice = \"{name}\"\nendpoint = \"on order.created\"\n"
    )
}

struct Run {
    summary: RunSummary,
    metrics: String,
}

impl Run {
    fn subscription(&self, service: &str) -> SubscriptionSummary {
        self.summary.brokers["events"].subscriptions[&format!("order.created -> {service}")]
    }

    /// The largest value of a `metrics.csv` column over the rows of `kind` named `name`.
    fn metrics_max(&self, kind: &str, name: &str, column: &str) -> f64 {
        let mut reader = csv::Reader::from_reader(self.metrics.as_bytes());
        let headers = reader.headers().unwrap().clone();
        let index = headers.iter().position(|header| header == column).unwrap();
        reader
            .records()
            .map(Result::unwrap)
            .filter(|row| &row[1] == kind && &row[2] == name)
            .filter_map(|row| row[index].parse::<f64>().ok())
            .fold(0.0, f64::max)
    }
}

fn run_on(engine: EngineKind, source: &str) -> Run {
    let loaded = load_str("broker.toml", source).unwrap_or_else(|error| panic!("{error}"));
    let metrics = SharedBuffer::default();
    let outputs = RecorderOutputs {
        metrics: Some(Box::new(metrics.clone())),
        ..RecorderOutputs::default()
    };
    let simulation = simulate_on(engine, loaded.resolved(), 3, outputs, &mut |_, _| {})
        .unwrap_or_else(|error| panic!("{error}"));
    let summary = simulation.summary;
    assert!(summary.accounting.ok, "{:?}", summary.accounting.problems);
    Run {
        summary,
        metrics: String::from_utf8(metrics.bytes()).unwrap(),
    }
}

fn run(source: &str) -> Run {
    run_on(EngineKind::Event, source)
}

const ENGINES: [EngineKind; 2] = [EngineKind::Event, EngineKind::Turmoil];

#[test]
fn every_subscription_gets_a_copy_and_every_copy_is_acked() {
    let extra =
        subscriber("payment", 2, 4, "2ms", 0.0) + &subscriber("notification", 1, 4, "1ms", 0.0);
    for engine in ENGINES {
        let run = run_on(engine, &scenario("10s", 100, "", &extra));
        let sent = run.summary.requests.sent;
        assert_eq!(run.summary.requests.succeeded, sent, "{engine:?}");
        for service in ["payment", "notification"] {
            let subscription = run.subscription(service);
            assert_eq!(subscription.enqueued, sent, "{service}");
            assert_eq!(subscription.redelivered, 0);
            // The last few may still be on their way when the run ends.
            assert!(
                subscription.acked + subscription.in_flight_at_end + subscription.queued_at_end
                    == sent
            );
            assert!(subscription.in_flight_at_end <= 4);
        }
    }
}

#[test]
fn a_consumer_gets_no_more_than_its_workers_and_the_backlog_waits_in_the_broker() {
    // One instance with two workers of 50 ms: 40 messages a second at most, offered 100.
    let extra = subscriber("payment", 1, 2, "50ms", 0.0);
    let run = run(&scenario("10s", 100, "", &extra));
    assert!(run.metrics_max("subscription", "order.created -> payment", "in_flight") <= 2.0);
    assert!(run.metrics_max("subscription", "order.created -> payment", "queue_depth") > 400.0);
    // The instance's own queue stays empty: prefetch keeps the backlog in the broker.
    assert!(run.metrics_max("service", "payment", "queue_depth") < 1.0);
    let subscription = run.subscription("payment");
    assert!(subscription.max_lag_ms > 5_000.0, "{subscription:?}");
}

#[test]
fn a_failing_consumer_sends_messages_to_the_dead_letter_queue_after_max_deliveries() {
    // Every delivery fails: each message is delivered three times, then dead-lettered.
    let extra = subscriber("payment", 2, 10, "1ms", 1.0);
    for engine in ENGINES {
        let run = run_on(engine, &scenario("5s", 50, "max_deliveries = 3", &extra));
        let subscription = run.subscription("payment");
        let done = subscription.dead_lettered;
        assert!(done >= 240, "{engine:?} {subscription:?}");
        assert_eq!(subscription.acked, 0);
        // Two failures put each back; the third dead-letters it. Messages still going round at
        // the end account for the rest.
        let open = subscription.queued_at_end + subscription.in_flight_at_end;
        assert!(subscription.failed >= 2 * done && subscription.failed <= 2 * (done + open));
        assert!(subscription.delivered <= subscription.enqueued);
        assert!(subscription.redelivered >= 2 * done);
    }
}

#[test]
fn an_unanswered_delivery_is_redelivered_after_the_ack_timeout() {
    // The consumer is cut off from the broker for 3 s: deliveries in that time are lost, and
    // the broker sends them again 2 s after each went out. All are acked in the end.
    let extra = subscriber("payment", 1, 100, "1ms", 0.0)
        + "\n[[fault]]\nat = \"2s\"\nduration = \"3s\"\nkind = \"partition\"\nbetween = [\"events\", \"payment\"]\n";
    for engine in ENGINES {
        let run = run_on(engine, &scenario("10s", 20, "ack_timeout = \"2s\"", &extra));
        let subscription = run.subscription("payment");
        assert!(
            subscription.redelivered >= 40,
            "{engine:?} {subscription:?}"
        );
        assert_eq!(subscription.dead_lettered, 0);
        assert_eq!(subscription.failed, subscription.redelivered);
        assert_eq!(
            subscription.acked + subscription.in_flight_at_end,
            subscription.enqueued
        );
    }
}

#[test]
fn the_queues_survive_a_broker_crash_and_publishes_fail_while_it_is_down() {
    // A slow consumer leaves a backlog; the broker crashes at 3 s for 2 s. The backlog is there
    // after the restart and drains; publishes in between are refused and their orders fail.
    let extra = subscriber("payment", 1, 2, "50ms", 0.0)
        + "\n[[fault]]\nat = \"3s\"\nkind = \"crash\"\ntarget = \"events\"\nrestart_after = \"2s\"\n";
    let run = run(&scenario("20s", 60, "", &extra));
    let failed = run.summary.requests.failed;
    // About 2 s of 60 a second, give or take the control plane's second of notice.
    assert!((100..=200).contains(&failed), "{failed}");
    let subscription = run.subscription("payment");
    assert_eq!(subscription.enqueued, run.summary.requests.succeeded);
    assert_eq!(
        subscription.acked + subscription.in_flight_at_end + subscription.queued_at_end,
        subscription.enqueued
    );
    assert_eq!(subscription.dead_lettered, 0);
    // What was out at the consumer when the broker died went out again.
    assert!(subscription.redelivered >= 1, "{subscription:?}");
    assert!(run.metrics_max("subscription", "order.created -> payment", "queue_depth") > 50.0);
}

#[test]
fn a_consumer_crash_returns_its_messages_without_counting_a_failure() {
    let extra = subscriber("payment", 2, 4, "5ms", 0.0)
        + "\n[[fault]]\nat = \"2s\"\nkind = \"crash\"\ntarget = \"payment/0\"\nrestart_after = \"3s\"\n";
    let run = run(&scenario("10s", 100, "", &extra));
    let subscription = run.subscription("payment");
    assert_eq!(subscription.failed, 0, "{subscription:?}");
    assert_eq!(subscription.dead_lettered, 0);
    assert!(subscription.redelivered >= 1, "{subscription:?}");
    assert_eq!(run.summary.requests.failed, 0);
}

#[test]
fn broker_metrics_are_expectations() {
    let extra = subscriber("payment", 1, 2, "50ms", 0.0)
        + "\n[[expect]]\nmetric = \"broker.events.max_lag\"\nmin = \"1s\"\n\
           \n[[expect]]\nmetric = \"broker.events.dead_lettered\"\nmax = 0\n";
    let loaded = load_str("broker.toml", &scenario("5s", 100, "", &extra)).unwrap();
    let simulation = simulate_on(
        EngineKind::Event,
        loaded.resolved(),
        3,
        RecorderOutputs::default(),
        &mut |_, _| {},
    )
    .unwrap();
    for outcome in meshsim::check_expectations(&simulation.summary, loaded.resolved()) {
        assert!(outcome.ok, "{outcome:?}");
    }
}

#[test]
fn a_redelivery_delay_spaces_out_the_deliveries_of_a_failing_message() {
    // Every delivery fails; with a 1 s delay between them, a message is delivered about once a
    // second, so in 5 s of run none of the early ones reaches 10 failures.
    let extra = subscriber("payment", 1, 10, "1ms", 1.0);
    let broker = "max_deliveries = 10\nredelivery_delay = \"1s\"";
    for engine in ENGINES {
        let run = run_on(engine, &scenario("5s", 10, broker, &extra));
        let subscription = run.subscription("payment");
        assert_eq!(subscription.dead_lettered, 0, "{engine:?} {subscription:?}");
        // Each of the ~50 messages failed once per second it was there: about 5 × 50 / 2.
        assert!(
            (80..=160).contains(&subscription.failed),
            "{subscription:?}"
        );
    }
    // Without the delay, they all burn their ten deliveries at once.
    let run = run(&scenario("5s", 10, "max_deliveries = 10", &extra));
    assert!(run.subscription("payment").dead_lettered >= 45);
}
