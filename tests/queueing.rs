//! Statistical tests: a service with Poisson arrivals and exponential service times is an
//! M/M/c queue, and its mean time in system must match Erlang C.
//!
//! The tolerance comes from the run itself, by batch means: the run is cut into 20 batches of
//! equal simulated time after a warm-up; their means are close to independent, so their spread
//! gives the standard error of the overall mean. The test allows 4.5 standard errors (with 19
//! degrees of freedom, a correct model fails this less than once in two thousand seeds), plus
//! 0.5 % for the histogram-free exact mean's rounding to microseconds in `requests.csv`.

mod support;

use meshsim::scenario::load_str;
use meshsim::simulate;
use meshsim_record::RecorderOutputs;
use support::SharedBuffer;

/// P(wait) for M/M/c with offered load a = λ/μ (Erlang C).
fn erlang_c(servers: u32, offered_load: f64) -> f64 {
    let c = f64::from(servers);
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..servers {
        term *= offered_load / f64::from(k);
        sum += term;
    }
    let last = term * offered_load / c;
    let tail = last * c / (c - offered_load);
    tail / (sum + tail)
}

/// Runs an M/M/c scenario and returns (batch means of time in system in ms, overall mean).
fn run_mmc(
    servers: u32,
    arrival_rate: f64,
    service_mean_ms: f64,
    duration_s: u64,
    seed: u64,
) -> (Vec<f64>, f64) {
    let source = format!(
        r#"
[scenario]
name = "mmc"
seed = {seed}
duration = "{duration_s}s"

[[service]]
name = "queue"
replicas = 1
workers = {servers}
queue = 1000000
exposed = true

[[service.endpoint]]
name = "serve"
service_time = {{ dist = "exp", mean = "{service_mean_ms}ms" }}

[[workload]]
name = "arrivals"
target = "queue"
endpoint = "serve"
arrival = {{ kind = "poisson", rate = {arrival_rate} }}
"#
    );
    let loaded = load_str("mmc.toml", &source).expect("valid scenario");
    let buffer = SharedBuffer::default();
    let outputs = RecorderOutputs {
        requests: Some(Box::new(buffer.clone())),
        ..RecorderOutputs::default()
    };
    let simulation = simulate(loaded.resolved(), seed, outputs, &mut |_, _| {}).expect("runs");
    assert!(simulation.summary.accounting.ok);
    let bytes = buffer.bytes();
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let warm_up_s = duration_s as f64 * 0.05;
    let batch_count = 20;
    let batch_width_s = (duration_s as f64 - warm_up_s) / f64::from(batch_count);
    let mut sums = vec![0.0; batch_count as usize];
    let mut counts = vec![0u64; batch_count as usize];
    for row in reader.records() {
        let row = row.unwrap();
        let sent_s: f64 = row[2].parse().unwrap();
        let latency_ms: f64 = row[4].parse().unwrap();
        if &row[5] != "succeeded" || sent_s < warm_up_s {
            continue;
        }
        let batch = (((sent_s - warm_up_s) / batch_width_s) as usize).min(batch_count as usize - 1);
        sums[batch] += latency_ms;
        counts[batch] += 1;
    }
    let means: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(sum, count)| sum / *count as f64)
        .collect();
    let overall = sums.iter().sum::<f64>() / counts.iter().sum::<u64>() as f64;
    (means, overall)
}

fn assert_matches(name: &str, means: &[f64], overall: f64, expected: f64) {
    let batches = means.len() as f64;
    let batch_mean = means.iter().sum::<f64>() / batches;
    let variance = means.iter().map(|m| (m - batch_mean).powi(2)).sum::<f64>() / (batches - 1.0);
    let standard_error = (variance / batches).sqrt();
    let tolerance = 4.5 * standard_error + 0.005 * expected;
    assert!(
        (overall - expected).abs() <= tolerance,
        "{name}: mean time in system {overall:.4} ms, Erlang C says {expected:.4} ms (tolerance {tolerance:.4} ms)"
    );
    // A tolerance as wide as the effect would prove nothing: the queueing delay must be
    // resolved, so the tolerance stays well under the wait it is checking.
    assert!(
        tolerance < 0.25 * expected,
        "{name}: tolerance {tolerance} too loose to mean anything"
    );
}

#[test]
fn mm1_matches_one_over_mu_minus_lambda() {
    // λ = 500/s, μ = 1000/s (1 ms): ρ = 0.5, W = 1 / (μ − λ) = 2 ms.
    let (means, overall) = run_mmc(1, 500.0, 1.0, 400, 11);
    assert_matches("M/M/1", &means, overall, 2.0);
}

#[test]
fn mmc_matches_erlang_c() {
    // c = 4, λ = 3000/s, μ = 1000/s: a = 3, ρ = 0.75.
    let (servers, lambda, mu) = (4, 3000.0, 1000.0);
    let wait_probability = erlang_c(servers, lambda / mu);
    let expected_s = wait_probability / (f64::from(servers) * mu - lambda) + 1.0 / mu;
    let (means, overall) = run_mmc(servers, lambda, 1.0, 150, 12);
    assert_matches("M/M/4", &means, overall, expected_s * 1e3);
}

#[test]
fn erlang_c_agrees_with_known_values() {
    // M/M/1: P(wait) = ρ. M/M/2 with a = 1: P(wait) = 1/3.
    assert!((erlang_c(1, 0.5) - 0.5).abs() < 1e-12);
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
}
