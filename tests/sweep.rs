//! `meshsim sweep`: many seeds on several threads, the same rows whatever the thread count, and
//! exit 1 with the replay commands when a seed fails its expectations.

mod support;

use support::meshsim;

fn sweep(file: &str, seeds: &str, jobs: &str, out: &std::path::Path) -> std::process::Output {
    meshsim(&[
        "sweep",
        file,
        "--seeds",
        seeds,
        "--jobs",
        jobs,
        "--no-progress",
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn a_sweep_gives_the_same_rows_on_one_thread_and_on_three() {
    let one = tempfile::tempdir().unwrap();
    let three = tempfile::tempdir().unwrap();
    let first = sweep("scenarios/quickstart.toml", "3..=9", "1", one.path());
    let second = sweep("scenarios/quickstart.toml", "3..=9", "3", three.path());
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(second.status.code(), Some(0));
    let rows = std::fs::read_to_string(one.path().join("sweep.csv")).unwrap();
    assert_eq!(
        rows,
        std::fs::read_to_string(three.path().join("sweep.csv")).unwrap()
    );
    // A header and seeds 3 to 9, in order, each with its own digest.
    let lines: Vec<&str> = rows.lines().collect();
    assert_eq!(lines.len(), 8, "{rows}");
    let seeds: Vec<&str> = lines[1..]
        .iter()
        .map(|line| line.split(',').next().unwrap())
        .collect();
    assert_eq!(seeds, ["3", "4", "5", "6", "7", "8", "9"]);
    let digests: std::collections::BTreeSet<&str> = lines[1..]
        .iter()
        .map(|line| line.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(digests.len(), 7);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.contains("seeds 7: 7 met every expectation (100.0 %)"),
        "{stdout}"
    );
}

#[test]
fn a_failing_seed_exits_1_and_says_how_to_replay_it() {
    let out = tempfile::tempdir().unwrap();
    let output = sweep(
        "tests/fixtures/failing-expectation.toml",
        "0..3",
        "2",
        out.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("meshsim run tests/fixtures/failing-expectation.toml --seed 0"),
        "{stdout}"
    );
}

#[test]
fn a_bad_seed_range_is_bad_input() {
    let out = tempfile::tempdir().unwrap();
    let output = sweep("scenarios/quickstart.toml", "9..3", "1", out.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("names no seed"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
}
