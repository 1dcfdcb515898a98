//! CPU and concurrency (issue 18, item 3), held to queueing theory rather than to the code:
//!
//! - `cores = 1` with many workers is an M/M/1 processor-sharing queue, whose mean sojourn time
//!   is the M/M/1 FCFS one, 1 / (μ − λ) (Kleinrock, "Queueing Systems, Volume 2", 1976, §4.4:
//!   the number in system is geometric under PS as under FCFS, and Little's law gives the mean);
//!   the cores' utilization in `metrics.csv` is λ / μ (the utilization law).
//! - An event-loop service queues only the own work at its process's core: one process with
//!   exponential own work is an M/M/1 queue for the work alone, and the call after it waits for
//!   nothing. The same service with one thread holds the thread through the call: an M/G/1 queue
//!   whose service is the work plus the call, with the Pollaczek–Khinchine mean.
//!
//! Each mean's standard error is estimated from the run itself by batch means (20 batches of
//! equal simulated time after a 5 % warm-up), and each test checks that its tolerance is at
//! least 3 standard errors, so a pass is neither luck nor a tolerance wide enough to hide a bug.
//! A latency in `requests.csv` is exact to the microsecond, far below the tolerances.

mod support;

use meshsim::EngineKind;
use meshsim_record::RecorderOutputs;
use support::{SharedBuffer, simulate_source};

/// Runs `source` on `engine` and returns `requests.csv` and `metrics.csv`.
fn run(engine: EngineKind, source: &str) -> (Vec<u8>, Vec<u8>) {
    let requests = SharedBuffer::default();
    let metrics = SharedBuffer::default();
    let outputs = RecorderOutputs {
        requests: Some(Box::new(requests.clone())),
        metrics: Some(Box::new(metrics.clone())),
        ..RecorderOutputs::default()
    };
    simulate_source(engine, "cpu.toml", source, None, outputs);
    (requests.bytes(), metrics.bytes())
}

/// The mean latency of the succeeded requests sent after the warm-up, and its standard error
/// by batch means.
fn mean_and_error_ms(requests_csv: &[u8], duration_s: f64) -> (f64, f64) {
    const BATCHES: usize = 20;
    let warm_up_s = duration_s * 0.05;
    let width_s = (duration_s - warm_up_s) / BATCHES as f64;
    let mut sums = [0.0; BATCHES];
    let mut counts = [0u64; BATCHES];
    let mut reader = csv::Reader::from_reader(requests_csv);
    let headers = reader.headers().expect("a header").clone();
    let column = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (sent, latency, outcome) = (column("sent_s"), column("latency_ms"), column("outcome"));
    for row in reader.records() {
        let row = row.expect("a row");
        let sent_s: f64 = row[sent].parse().expect("a time");
        if &row[outcome] != "succeeded" || sent_s < warm_up_s {
            continue;
        }
        let batch = (((sent_s - warm_up_s) / width_s) as usize).min(BATCHES - 1);
        sums[batch] += row[latency].parse::<f64>().expect("a latency");
        counts[batch] += 1;
    }
    let total: u64 = counts.iter().sum();
    let mean = sums.iter().sum::<f64>() / total as f64;
    let means: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(sum, &count)| sum / count as f64)
        .collect();
    let variance = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (BATCHES - 1) as f64;
    (mean, (variance / BATCHES as f64).sqrt())
}

/// `mean` is within 3 % of `expected`, and 3 % is at least 3 standard errors.
fn assert_within_3_percent(name: &str, (mean, error): (f64, f64), expected: f64) {
    let tolerance = 0.03 * expected;
    assert!(
        tolerance >= 3.0 * error,
        "{name}: the run is too short to resolve 3 % (standard error {error:.4} ms)"
    );
    eprintln!("{name}: mean {mean:.4} ms (standard error {error:.4}), theory {expected:.4} ms");
    assert!(
        (mean - expected).abs() <= tolerance,
        "{name}: mean {mean:.4} ms, theory says {expected:.4} ms (±{tolerance:.4})"
    );
}

/// λ = 700/s on one core with exponential work of mean 1 ms (μ = 1000/s): ρ = 0.7. 1200 s is
/// 840 000 requests: the M/M/1 mean's relative variance is about 2(1 + ρ) / (ρ (1 − ρ)²) ≈ 54
/// per service time of run (Whitt, "Planning queueing simulations", Management Science 35,
/// 1989), so 1.2 million service times give a standard error near 0.7 %, and 3 % is over 4 of
/// them (600 s measured 1.15 %: too few).
const MM1_PS: &str = r#"
[scenario]
name = "mm1-ps"
seed = 3
duration = "1200s"
metrics_interval = "10s"

[[service]]
name = "cpu"
exposed = true
workers = 100000
queue = 0
cores = 1

[[service.endpoint]]
name = "work"
service_time = { dist = "exp", mean = "1ms" }

[[workload]]
name = "arrivals"
target = "cpu"
endpoint = "work"
arrival = { kind = "poisson", rate = 700 }
"#;

#[test]
fn mm1_processor_sharing_has_the_mean_of_mm1_fcfs() {
    let (requests, metrics) = run(EngineKind::Event, MM1_PS);
    // 1 / (μ − λ) = 1 / 300 s.
    assert_within_3_percent(
        "M/M/1-PS",
        mean_and_error_ms(&requests, 1200.0),
        1000.0 / 300.0,
    );
    // The utilization law: busy core-time over core-time is λ / μ = 70 %.
    let mut reader = csv::Reader::from_reader(metrics.as_slice());
    let headers = reader.headers().expect("a header").clone();
    let kind = headers.iter().position(|h| h == "kind").expect("kind");
    let cpu = headers
        .iter()
        .position(|h| h == "cpu_percent")
        .expect("a cpu_percent column");
    let percents: Vec<f64> = reader
        .records()
        .map(|row| row.expect("a row"))
        .filter(|row| &row[kind] == "service")
        .map(|row| row[cpu].parse().expect("a percentage"))
        .collect();
    let mean_percent = percents.iter().sum::<f64>() / percents.len() as f64;
    assert!(
        (mean_percent - 70.0).abs() <= 0.03 * 70.0,
        "cores busy {mean_percent:.2} %, the utilization law says 70 %"
    );
}

/// A gateway whose own work is exponential with mean 10 ms, then one call to a backend with
/// ample workers and a constant 5 ms; every hop takes 1 ms. λ = 50/s: ρ = 0.5 at the gateway's
/// one core.
fn gateway(concurrency: &str, duration_s: u32) -> String {
    format!(
        r#"
[scenario]
name = "event-loop"
seed = 5
duration = "{duration_s}s"

[network]
latency = {{ dist = "const", value = "1ms" }}

[[service]]
name = "gateway"
exposed = true
workers = 1
queue = 100000
{concurrency}

[[service.endpoint]]
name = "GET /"
service_time = {{ dist = "exp", mean = "10ms" }}
calls = [{{ service = "backend", endpoint = "GET /data" }}]

[[service]]
name = "backend"

[[service.endpoint]]
name = "GET /data"
service_time = {{ dist = "const", value = "5ms" }}

[[workload]]
name = "users"
target = "gateway"
endpoint = "GET /"
arrival = {{ kind = "poisson", rate = 50 }}
"#
    )
}

/// Own work s = 10 ms, call d = 5 ms, four hops of 1 ms (client → gateway → backend → gateway
/// → client), λ = 0.05 per ms.
const WORK_MS: f64 = 10.0;
const CALL_MS: f64 = 5.0;
const HOPS_MS: f64 = 4.0;
const LAMBDA_PER_MS: f64 = 0.05;

/// One process: the work queues as M/M/1 (mean s / (1 − ρ)), the call and the hops add.
fn event_loop_expected_ms() -> f64 {
    let rho = LAMBDA_PER_MS * WORK_MS;
    WORK_MS / (1.0 - rho) + CALL_MS + HOPS_MS
}

#[test]
fn an_event_loop_queues_only_the_own_work() {
    // 3600 s is 180 000 requests, 360 000 service times at ρ = 0.5, where the M/M/1 mean's
    // relative variance is about 24 per service time: a standard error of 0.8 % of the 20 ms
    // the work queues, 0.16 ms, 0.6 % of the whole (900 s measured 1 %: too few).
    let (requests, _) = run(
        EngineKind::Event,
        &gateway(r#"concurrency = "event_loop""#, 3600),
    );
    let event_loop = mean_and_error_ms(&requests, 3600.0);
    assert_within_3_percent("event loop", event_loop, event_loop_expected_ms());

    // One thread held through the call: M/G/1 with service S = X + d + 2 hops (X exponential),
    // E[S] = 17 ms, E[S²] = Var X + E[S]² = 100 + 289; ρ = 0.85; the wait λ E[S²] / (2 (1 − ρ))
    // (Pollaczek–Khinchine), then S and the two hops to and from the client.
    let (requests, _) = run(EngineKind::Event, &gateway("", 3600));
    let (threads_ms, threads_error) = mean_and_error_ms(&requests, 3600.0);
    let service_ms = WORK_MS + CALL_MS + 2.0;
    let rho = LAMBDA_PER_MS * service_ms;
    let second_moment = WORK_MS * WORK_MS + service_ms * service_ms;
    let expected = LAMBDA_PER_MS * second_moment / (2.0 * (1.0 - rho)) + service_ms + 2.0;
    assert!(
        threads_ms > 2.5 * event_loop.0,
        "one thread {threads_ms:.1} ms, the event loop {:.1} ms: the thread should queue the call too",
        event_loop.0
    );
    // At ρ = 0.85 the mean converges slowly: held to 5 standard errors, not to 3 %.
    eprintln!(
        "one thread: mean {threads_ms:.2} ms (standard error {threads_error:.2}), Pollaczek–Khinchine {expected:.2} ms"
    );
    assert!(
        (threads_ms - expected).abs() <= 5.0 * threads_error,
        "one thread: mean {threads_ms:.2} ms, Pollaczek–Khinchine says {expected:.2} ms (standard error {threads_error:.2})"
    );
}

#[test]
fn an_event_loop_runs_on_turmoil_within_its_ticks() {
    // turmoil fires timers and delivers messages at whole 1 ms ticks, so each of the four hops
    // and the two timers with a service time can take up to a tick longer, never shorter
    // (tests/engines.rs).
    let (requests, _) = run(
        EngineKind::Turmoil,
        &gateway(r#"concurrency = "event_loop""#, 60),
    );
    let (mean, error) = mean_and_error_ms(&requests, 60.0);
    let expected = event_loop_expected_ms();
    let ticks_ms = 6.0;
    assert!(
        mean >= expected - 4.0 * error && mean <= expected + ticks_ms + 4.0 * error,
        "turmoil: mean {mean:.2} ms, theory {expected:.2} ms plus up to {ticks_ms} ms of ticks (standard error {error:.2})"
    );
}
