//! `meshsim calibrate` on the command line: bad arguments and unreadable input are bad input,
//! exit 2, with what is wrong and a hint (README, "Exit codes").

use std::process::Command;

fn calibrate(args: &[&str]) -> std::process::Output {
    let folder = tempfile::tempdir().expect("a temporary folder");
    Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .arg("calibrate")
        .args(args)
        .arg("--no-progress")
        .current_dir(folder.path())
        .output()
        .expect("meshsim runs")
}

#[test]
fn a_sample_rate_that_is_not_a_share_is_bad_input() {
    let output = calibrate(&["traces.json", "--sample-rate", "1.5"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--sample-rate 1.5"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
}

#[test]
fn a_negative_tolerance_is_bad_input() {
    let output = calibrate(&["traces.json", "--check", "--count-tolerance", "-1"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_missing_trace_file_is_bad_input_naming_it() {
    let output = calibrate(&["no-such-traces.json"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-traces.json"), "{stderr}");
}

#[test]
fn an_unknown_format_is_refused_by_the_parser() {
    let output = calibrate(&["traces.json", "--format", "csv"]);
    assert_eq!(output.status.code(), Some(2));
}
