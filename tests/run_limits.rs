//! A run's work is bounded: a scenario expected to need more engine events than `--max-events`
//! is refused before it starts, with the flag that allows it; a run that takes more than its
//! estimate (a retry storm) stops at the limit, writes nothing, and says which flag raises it.

mod support;

use support::meshsim;

#[test]
fn a_duration_typo_is_refused_before_the_run_starts() {
    let out = tempfile::tempdir().unwrap();
    let output = meshsim(&[
        "run",
        "tests/fixtures/limits/duration-typo.toml",
        "--out",
        out.path().join("run").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stderr));
    assert!(!out.path().join("run").exists(), "nothing was written");
    // The same file runs when the limit is raised as the hint says (here only its refusal is
    // checked: the run would take minutes).
    let output = meshsim(&[
        "sweep",
        "tests/fixtures/limits/duration-typo.toml",
        "--seeds",
        "0..2",
    ]);
    assert_eq!(output.status.code(), Some(2), "a sweep refuses it too");
}

#[test]
fn a_run_that_outgrows_its_estimate_stops_at_the_limit() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("run");
    // retry-storm is estimated at 288,000 events and takes about 347,000: its retries.
    let output = meshsim(&[
        "run",
        "scenarios/retry-storm.toml",
        "--max-events",
        "300000",
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the run passed 300000 engine events; nothing was written"),
        "{stderr}"
    );
    assert!(
        stderr.contains("raise the limit with --max-events"),
        "{stderr}"
    );
    assert!(!target.exists());
    let output = meshsim(&[
        "run",
        "scenarios/retry-storm.toml",
        "--max-events",
        "4e5",
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "4e5 is enough");
}

#[test]
fn requests_piling_up_behind_a_partition_stop_the_run_at_the_in_flight_limit() {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("held.toml");
    // No timeout anywhere: every request sent into the partition is held for good.
    std::fs::write(
        &file,
        r#"
[scenario]
name = "held"
duration = "60s"

[[service]]
name = "api"
exposed = true
workers = 100000
[[service.endpoint]]
name = "GET /"

[[workload]]
name = "clients"
target = "api"
endpoint = "GET /"
arrival = { kind = "constant", rate = 1000 }

[[fault]]
at = "1s"
kind = "partition"
between = ["clients", "api"]
"#,
    )
    .unwrap();
    let target = folder.path().join("run");
    let run = |limit: &str| {
        meshsim(&[
            "run",
            file.to_str().unwrap(),
            "--max-in-flight",
            limit,
            "--out",
            target.to_str().unwrap(),
        ])
    };
    let output = run("5000");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("requests in flight, past the limit of 5000"),
        "{stderr}"
    );
    assert!(stderr.contains("--max-in-flight"), "{stderr}");
    assert!(!target.exists());
    assert_eq!(
        run("1e5").status.code(),
        Some(0),
        "60,000 held requests are allowed"
    );
}
