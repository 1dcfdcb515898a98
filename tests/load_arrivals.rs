//! Load that varies (issue 18): a workload's arrivals from a rate profile's file and from a
//! replayed log, on both engines.
//!
//! The expectations come from outside the code: a replay must send exactly the file's times (a
//! list this test makes itself), and a profile's count over each window is a Poisson count whose
//! mean is the integral of the rate there, so it must fall within 4 standard deviations (√mean)
//! of it; a correct generator fails one window in about 16 000.

mod support;

use std::fmt::Write as _;
use std::path::Path;

use meshsim::scenario::{Loaded, load_file, load_str};
use meshsim::{EngineKind, simulate_on};
use meshsim_record::RecorderOutputs;
use support::SharedBuffer;

/// A scenario of one exposed service answering at once, sent `arrival` for `duration`.
fn scenario(arrival: &str, duration: &str) -> String {
    format!(
        r#"[scenario]
name = "arrivals"
seed = 3
duration = "{duration}"

[[service]]
name = "web"
exposed = true
workers = 100000
queue = 0

[[service.endpoint]]
name = "GET /"
service_time = {{ dist = "const", value = "1ms" }}

[[workload]]
name = "visitors"
target = "web"
endpoint = "GET /"
arrival = {arrival}
"#
    )
}

/// Writes `scenario.toml` and `data` as `file` into a fresh folder and loads the scenario.
fn load_with(folder: &Path, text: &str, file: &str, data: &str) -> Loaded {
    std::fs::write(folder.join(file), data).expect("writes the data");
    let path = folder.join("scenario.toml");
    std::fs::write(&path, text).expect("writes the scenario");
    match load_file(&path) {
        Ok(loaded) => loaded,
        Err(error) => panic!("does not load:\n{error}"),
    }
}

/// The send times, in seconds, of every request of a run on `engine`.
fn sent_times_s(loaded: &Loaded, engine: EngineKind) -> Vec<f64> {
    let buffer = SharedBuffer::default();
    let outputs = RecorderOutputs {
        requests: Some(Box::new(buffer.clone())),
        ..RecorderOutputs::default()
    };
    let simulation =
        simulate_on(engine, loaded.resolved(), 3, outputs, &mut |_, _| {}).expect("runs");
    assert!(simulation.summary.accounting.ok, "every request ends once");
    let bytes = buffer.bytes();
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let column = reader
        .headers()
        .expect("a header")
        .iter()
        .position(|name| name == "sent_s")
        .expect("a sent_s column");
    let mut times: Vec<f64> = reader
        .records()
        .map(|row| row.expect("a row")[column].parse().expect("seconds"))
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

/// Arrival times of a made-up access log: a 64-bit LCG (Knuth's MMIX constants) spread over
/// 10 s at microsecond resolution, sorted, with a burst of equal times.
fn access_log_us() -> Vec<u64> {
    let mut state: u64 = 42;
    let mut times: Vec<u64> = (0..400)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % 10_000_000
        })
        .collect();
    times.extend([5_000_000; 5]);
    times.sort_unstable();
    times
}

#[test]
fn a_replay_sends_exactly_the_file_s_requests_on_both_engines() {
    let folder = tempfile::tempdir().expect("a folder");
    let log = access_log_us();
    // Seconds as numbers, and three rows past the 10 s run that must not be sent.
    let mut data = String::from("timestamp,path\n");
    for at_us in &log {
        writeln!(data, "{}.{:06},/", at_us / 1_000_000, at_us % 1_000_000)
            .expect("a string takes it");
    }
    data.push_str("10,/\n10.5,/\n11s,/\n");
    let text = scenario(r#"{ kind = "replay", file = "arrivals.csv" }"#, "10s");
    let loaded = load_with(folder.path(), &text, "arrivals.csv", &data);
    let warnings = loaded.render_warnings(false);
    assert!(
        warnings.contains("3 of the replay's 408 arrivals come at or after the scenario ends"),
        "{warnings}"
    );
    let expected_s: Vec<f64> = log.iter().map(|&at_us| at_us as f64 / 1e6).collect();
    let event = sent_times_s(&loaded, EngineKind::Event);
    assert_eq!(
        event, expected_s,
        "the event engine sends at the file's times"
    );
    let turmoil = sent_times_s(&loaded, EngineKind::Turmoil);
    assert_eq!(turmoil.len(), expected_s.len());
    for (sent, expected) in turmoil.iter().zip(&expected_s) {
        // turmoil fires a timer at its next 1 ms tick.
        assert!(
            *sent >= expected - 1e-9 && *sent <= expected + 0.001 + 1e-9,
            "turmoil sent at {sent}, the file says {expected}"
        );
    }
}

/// A Poisson count within 4 standard deviations of its mean.
fn assert_poisson_count(count: usize, expected: f64, what: &str) {
    let deviation = (count as f64 - expected).abs() / expected.sqrt();
    assert!(
        deviation < 4.0,
        "{what}: {count} arrivals, expected {expected:.1} (off by {deviation:.1} sd)"
    );
}

#[test]
fn a_profile_s_arrivals_follow_its_ramp_on_both_engines() {
    let folder = tempfile::tempdir().expect("a folder");
    // Quiet at 20 per second, a ramp to 400 from 10 s to 30 s, held (a duration and seconds
    // mixed, as the format allows).
    let data = "time,rate\n0,20\n10s,20\n30,400\n";
    let text = scenario(r#"{ kind = "profile", file = "load.csv" }"#, "40s");
    let loaded = load_with(folder.path(), &text, "load.csv", data);
    let rate = |t: f64| {
        if t < 10.0 {
            20.0
        } else if t < 30.0 {
            20.0 + 19.0 * (t - 10.0)
        } else {
            400.0
        }
    };
    for engine in [EngineKind::Event, EngineKind::Turmoil] {
        let times = sent_times_s(&loaded, engine);
        for window in 0..8u32 {
            let (low, high) = (f64::from(window) * 5.0, f64::from(window + 1) * 5.0);
            // The rate is linear within each window: the integral is the mean of its ends.
            let expected = f64::midpoint(rate(low), rate(high - 1e-9)) * 5.0;
            let count = times.iter().filter(|&&t| t >= low && t < high).count();
            assert_poisson_count(count, expected, &format!("{engine:?}, {low}s to {high}s"));
        }
    }
}

#[test]
fn the_launch_day_profile_loads() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/data/launch-day.csv");
    let arrival = format!(r#"{{ kind = "profile", file = "{}" }}"#, data.display());
    let loaded = load_str("launch.toml", &scenario(&arrival, "30m"));
    assert!(
        loaded.is_ok(),
        "{}",
        loaded
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default()
    );
}

/// Every bad file is refused at its `file` key with what is wrong, its row and a hint.
#[test]
fn bad_arrival_files_are_refused_with_their_row() {
    let label = "tests/fixtures/arrivals/bad.toml";
    let text = std::fs::read_to_string(label).expect("the fixture");
    match load_str(label, &text) {
        Ok(_) => panic!("{label} loaded, but it should not"),
        Err(error) => insta::assert_snapshot!(error.to_string()),
    }
}

#[test]
fn a_profile_longer_than_the_limit_is_refused() {
    let folder = tempfile::tempdir().expect("a folder");
    let rows = meshsim::scenario::limits::PROFILE_ROWS_MAX + 1;
    let mut data = String::new();
    for row in 0..rows {
        writeln!(data, "{row},1").expect("a string takes it");
    }
    let text = scenario(r#"{ kind = "profile", file = "load.csv" }"#, "10s");
    std::fs::write(folder.path().join("load.csv"), data).expect("writes");
    let path = folder.path().join("scenario.toml");
    std::fs::write(&path, text).expect("writes");
    let error = load_file(&path).expect_err("refused").to_string();
    assert!(
        error.contains("more than 100000 rows, the limit"),
        "{error}"
    );
}
