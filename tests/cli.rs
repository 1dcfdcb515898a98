//! Whole CLI runs: exit codes, the summary table, and errors as a user sees them.

mod support;

use support::meshsim;

use std::path::Path;

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("utf-8 output")
}

/// Masks what depends on the machine: wall time, speed, and the temporary output folder.
fn stable(output: &str, out: &Path) -> String {
    output
        .lines()
        .map(|line| {
            let line = line.replace(out.to_str().unwrap(), "OUT");
            match line.find(" simulated s in ") {
                Some(start) => format!("{}{}", &line[..start], " simulated s in [wall time]"),
                None => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn run_prints_the_summary_table() {
    let out = tempfile::tempdir().unwrap();
    let output = meshsim(&[
        "run",
        "scenarios/quickstart.toml",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    insta::assert_snapshot!(stable(&text(&output.stdout), out.path()));
}

#[test]
fn a_failed_expectation_exits_1_and_says_how_to_replay() {
    let out = tempfile::tempdir().unwrap();
    let output = meshsim(&[
        "run",
        "tests/fixtures/failing-expectation.toml",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("FAIL workload.users.success_rate"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok   workload.users.requests.sent: 500"),
        "{stdout}"
    );
    insta::assert_snapshot!(text(&output.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["expectations"][0]["ok"], false);
    assert_eq!(summary["expectations"][1]["ok"], true);
}

#[test]
fn bad_input_exits_2_with_file_line_column_and_hint() {
    let output = meshsim(&["check", "tests/fixtures/bad/unknown-service-in-call.toml"]);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(text(&output.stderr));
    let output = meshsim(&["run", "tests/fixtures/bad/unknown-key.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("tests/fixtures/bad/unknown-key.toml:7:1"));
}

/// Issue 16: nine mistakes of five kinds (syntax, unknown key, wrong type, bad reference, out of
/// range) show in one check, in file order, with their count. Before, they took seven checks,
/// one or three at a time and out of order.
#[test]
fn check_reports_every_mistake_in_file_order_in_one_pass() {
    const FILE: &str = "tests/fixtures/bad/nine-mistakes.toml";
    for command in ["check", "run"] {
        let output = meshsim(&[command, FILE]);
        assert_eq!(output.status.code(), Some(2));
        let stderr = text(&output.stderr);
        let lines: Vec<usize> = stderr
            .lines()
            .filter_map(|line| line.trim_start().strip_prefix("--> "))
            .filter_map(|place| place.split(':').nth(1)?.parse().ok())
            .collect();
        assert_eq!(lines, [6, 11, 15, 22, 27, 31, 38, 44, 47], "{stderr}");
        assert!(
            stderr.ends_with(&format!("\nerror: 9 mistakes in {FILE}\n")),
            "{stderr}"
        );
        if command == "check" {
            insta::assert_snapshot!(stderr);
        }
    }
}

#[test]
fn a_missing_file_exits_2() {
    let output = meshsim(&["check", "no/such/file.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no/such/file.toml"));
}

#[test]
fn check_accepts_a_good_file() {
    let output = meshsim(&["check", "scenarios/messages.toml"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(text(&output.stdout));
}

#[test]
fn help_lists_the_commands() {
    let output = meshsim(&["--help"]);
    assert!(output.status.success());
    insta::assert_snapshot!(text(&output.stdout));
}

#[test]
fn not_simulated_parts_are_said_plainly() {
    let out = tempfile::tempdir().unwrap();
    let output = meshsim(&[
        "run",
        "tests/fixtures/good/full-format.toml",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("not simulated by this build"), "{stdout}");
    assert!(stdout.contains("max_requests_per_connection"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("summary.json")).unwrap())
            .unwrap();
    assert!(!summary["not_simulated"].as_array().unwrap().is_empty());
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    // `meshsim run ... | head` closes the pipe before the summary is printed: the run ends
    // with no panic report.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .args(["run", "scenarios/quickstart.toml", "--no-progress", "--out"])
        .arg(std::env::temp_dir().join("meshsim-closed-stdout"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("meshsim starts");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("meshsim ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

#[test]
fn explain_lists_every_edge_with_where_each_value_came_from() {
    let output = meshsim(&["explain", "scenarios/shop.toml"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    insta::assert_snapshot!(text(&output.stdout));
}

#[test]
fn explain_names_the_traps_in_a_scenario() {
    let output = meshsim(&[
        "explain",
        "tests/fixtures/traps.toml",
        "--service",
        "orders",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    insta::assert_snapshot!(text(&output.stdout));
}

#[test]
fn explain_refuses_a_service_the_scenario_lacks() {
    let output = meshsim(&["explain", "scenarios/shop.toml", "--service", "paymnt"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("no service, store or broker named `paymnt`"),
        "{stderr}"
    );
}
