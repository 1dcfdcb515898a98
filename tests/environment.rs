//! A run's results do not depend on where or how it is started: not on the current directory,
//! the scenario file's name or place, the output path, the time zone, the locale, or (for a
//! sweep) the number of threads. Only the lines that report wall time and the output folder may
//! differ.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::files;

/// Runs meshsim in `directory` with `environment` set and `args`.
fn meshsim_in(directory: &Path, environment: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_meshsim"));
    command
        .args(args)
        .current_dir(directory)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG");
    for (name, value) in environment {
        command.env(name, value);
    }
    let output = command.output().expect("meshsim runs");
    assert!(
        output.status.code().is_some_and(|code| code <= 1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The terminal output without the lines that report wall time or name the output folder.
fn steady_lines(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.contains("wall s") && !line.trim_start().starts_with("wrote "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_same_files(first: &Path, second: &Path) {
    let (first, second) = (files(first), files(second));
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &first {
        assert!(second[name] == *bytes, "{name} differs");
    }
}

#[test]
fn a_run_gives_the_same_bytes_wherever_and_however_it_is_started() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let here = tempfile::tempdir().unwrap();
    let there = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(there.path().join("scenarios/renamed")).unwrap();
    std::fs::copy(
        manifest.join("scenarios/circuit-breaker.toml"),
        there.path().join("scenarios/renamed/breaker copy.toml"),
    )
    .unwrap();
    let first_out = here.path().join("a");
    let first = meshsim_in(
        manifest,
        &[("TZ", "UTC"), ("LC_ALL", "C"), ("LANG", "C")],
        &[
            "run",
            "scenarios/circuit-breaker.toml",
            "--requests",
            "--out",
            first_out.to_str().unwrap(),
        ],
    );
    let second = meshsim_in(
        there.path(),
        &[
            ("TZ", "Asia/Tokyo"),
            ("LC_ALL", "ja_JP.UTF-8"),
            ("LANG", "ja_JP.UTF-8"),
        ],
        &[
            "run",
            "scenarios/renamed/breaker copy.toml",
            "--requests",
            "--out",
            "deeper/still/b",
        ],
    );
    assert_same_files(&first_out, &there.path().join("deeper/still/b"));
    assert_eq!(steady_lines(&first), steady_lines(&second));
}

#[test]
fn a_sweep_gives_the_same_rows_wherever_it_runs_and_on_any_number_of_threads() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let there = tempfile::tempdir().unwrap();
    std::fs::copy(
        manifest.join("scenarios/quickstart.toml"),
        there.path().join("q.toml"),
    )
    .unwrap();
    let first_out = there.path().join("first");
    meshsim_in(
        manifest,
        &[("TZ", "UTC")],
        &[
            "sweep",
            "scenarios/quickstart.toml",
            "--seeds",
            "0..6",
            "--jobs",
            "1",
            "--no-progress",
            "--out",
            first_out.to_str().unwrap(),
        ],
    );
    meshsim_in(
        there.path(),
        &[("TZ", "America/Sao_Paulo"), ("LC_ALL", "de_DE.UTF-8")],
        &[
            "sweep",
            "q.toml",
            "--seeds",
            "0..6",
            "--jobs",
            "4",
            "--no-progress",
            "--out",
            "second",
        ],
    );
    // The rows are the same; sweep.json and the page name the file as it was given, for the
    // replay commands.
    let rows = |folder: &Path| std::fs::read(folder.join("sweep.csv")).unwrap();
    assert_eq!(rows(&first_out), rows(&there.path().join("second")));
}
