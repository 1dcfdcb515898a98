//! Service times from data (issue 18): an empirical distribution read from a CSV, and mixtures.
//!
//! The run is checked against the file itself, read here with the `csv` crate and a parser of
//! this test's own, not meshsim's: the served latencies' median must be the file's median, within
//! the bound the Dvoretzky–Kiefer–Wolfowitz inequality gives for the number of requests. The bad
//! inputs are snapshotted as a user sees them.

mod support;

use std::path::Path;

use meshsim::scenario::load_str;
use meshsim::simulate;
use meshsim_record::RecorderOutputs;
use support::SharedBuffer;

/// The fixture's samples in milliseconds, read without meshsim: every row but the header is a
/// number followed by `ms`.
fn file_samples_ms() -> Vec<f64> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data/service-times.csv");
    let mut reader = csv::Reader::from_path(path).expect("the fixture exists");
    let mut samples: Vec<f64> = reader
        .records()
        .map(|row| {
            let row = row.expect("a CSV row");
            row[0]
                .strip_suffix("ms")
                .and_then(|number| number.parse().ok())
                .expect("a duration in ms")
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples
}

/// The latency of every successful request of a run, in ms, sorted.
fn served_latencies_ms(source: &str) -> Vec<f64> {
    // The label places the scenario in the fixtures' data folder, where its `file` is found.
    let loaded = load_str("tests/fixtures/data/empirical.toml", source).expect("loads");
    let buffer = SharedBuffer::default();
    let outputs = RecorderOutputs {
        requests: Some(Box::new(buffer.clone())),
        ..RecorderOutputs::default()
    };
    let simulation = simulate(loaded.resolved(), 1, outputs, &mut |_, _| {}).expect("runs");
    assert!(simulation.summary.accounting.ok);
    let bytes = buffer.bytes();
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let mut latencies: Vec<f64> = reader
        .records()
        .map(|row| row.expect("a row"))
        .filter(|row| &row[5] == "succeeded")
        .map(|row| row[4].parse().expect("latency_ms"))
        .collect();
    latencies.sort_by(f64::total_cmp);
    latencies
}

/// With hops that take no time and workers to spare, a request's latency is its service time,
/// one draw of the file's samples: their median is the file's median, within the DKW bound.
#[test]
fn served_median_is_the_files_median() {
    let source = r#"
[scenario]
name = "empirical"
duration = "100s"

[network]
latency = { dist = "const", value = "0s" }

[[service]]
name = "payment"
exposed = true

[[service.endpoint]]
name = "POST /payments"
service_time = { dist = "empirical", file = "service-times.csv" }

[[workload]]
name = "shoppers"
target = "payment"
endpoint = "POST /payments"
arrival = { kind = "poisson", rate = 50 }
"#;
    let samples = file_samples_ms();
    let served = served_latencies_ms(source);
    assert!(served.len() > 4_000, "{} requests", served.len());
    // With probability 1 - 1e-6, the draws' CDF is within this of the samples' everywhere.
    let dkw_bound = ((2.0_f64 / 1e-6).ln() / (2.0 * served.len() as f64)).sqrt();
    let quantile =
        |share: f64| samples[((share * samples.len() as f64) as usize).min(samples.len() - 1)];
    let (low, high) = (quantile(0.5 - dkw_bound), quantile(0.5 + dkw_bound));
    let median = served[served.len() / 2];
    assert!(
        // requests.csv rounds latencies to microseconds.
        low - 0.001 <= median && median <= high + 0.001,
        "served median {median} ms, the file's {} ms (allowed {low}..{high})",
        quantile(0.5)
    );
    // Every latency is one of the file's samples: no interpolation between them.
    assert!(served.iter().all(|latency| {
        samples
            .iter()
            .any(|sample| (sample - latency).abs() < 0.001)
    }));
}

/// The rendered errors of a bad fixture, loaded under its relative name so the snapshot does not
/// depend on where the repository is.
fn errors_of(name: &str) -> String {
    let label = format!("tests/fixtures/bad/{name}.toml");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&label))
        .expect("the fixture exists");
    match load_str(&label, &text) {
        Ok(_) => panic!("{label} loaded, but it should not"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_missing_samples_file_is_refused_at_its_key() {
    insta::assert_snapshot!(errors_of("empirical-missing-file"));
}

#[test]
fn a_bad_row_is_refused_with_its_row() {
    insta::assert_snapshot!(errors_of("empirical-bad-row"));
}

#[test]
fn mixture_weights_must_sum_to_one() {
    insta::assert_snapshot!(errors_of("mixture-weights-sum"));
}

#[test]
fn mixture_parts_need_positive_weights_and_samples() {
    insta::assert_snapshot!(errors_of("mixture-bad-part"));
}
