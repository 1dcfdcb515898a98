//! Every scenario in `scenarios/` passes `check`, runs, meets its expectations, and gives
//! byte-identical files twice with one seed and another digest with another seed.

mod support;

use support::meshsim;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

fn scenario_files() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = fs::read_dir(&folder)
        .expect("scenarios/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 2,
        "scenarios/ holds the quickstart and the messages demo at least"
    );
    files
}

fn run_into(file: &Path, out: &Path, seed: Option<u64>) -> Output {
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--requests",
        "--no-progress",
    ];
    let seed_text;
    if let Some(seed) = seed {
        seed_text = seed.to_string();
        args.extend(["--seed", &seed_text]);
    }
    meshsim(&args)
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn every_scenario_passes_check() {
    for file in scenario_files() {
        let output = meshsim(&["check", file.to_str().unwrap()]);
        assert!(
            output.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn every_scenario_opens_with_a_comment_that_says_what_it_shows() {
    for file in scenario_files() {
        let text = fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("# "),
            "{} opens without a comment",
            file.display()
        );
    }
}

/// The headline a run prints first: the lines between the title line and the first table.
fn headline_of(stdout: &str) -> String {
    let mut headline = String::new();
    for line in stdout.lines().skip(2).take_while(|line| !line.is_empty()) {
        headline.push_str(line);
        headline.push('\n');
    }
    headline
}

#[test]
fn every_scenario_runs_meets_its_expectations_and_replays_byte_for_byte() {
    // Every scenario's headline, held by one snapshot: what decided each run, when and why.
    let mut headlines = String::new();
    for file in scenario_files() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let output = run_into(&file, first.path(), None);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}:\n{}\n{}",
            file.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let name = file.file_stem().unwrap().to_string_lossy();
        let _ = writeln!(headlines, "{name}\n{}", headline_of(&stdout));
        assert!(run_into(&file, second.path(), None).status.success());
        for name in [
            "summary.json",
            "metrics.csv",
            "events.csv",
            "requests.csv",
            "report.html",
        ] {
            let a = fs::read(first.path().join(name)).unwrap();
            let b = fs::read(second.path().join(name)).unwrap();
            assert!(
                a == b,
                "{}: {name} differs between two runs with one seed",
                file.display()
            );
        }
        let summary = summary(first.path());
        assert_eq!(summary["accounted"], true);
        let requests = &summary["requests"];
        let ended: u64 = ["succeeded", "failed", "timed_out", "shed", "in_flight"]
            .iter()
            .map(|key| requests[key].as_u64().unwrap())
            .sum();
        assert_eq!(
            requests["sent"].as_u64().unwrap(),
            ended,
            "{}",
            file.display()
        );
    }
    insta::assert_snapshot!("headlines", headlines);
}

#[test]
fn another_seed_gives_another_digest() {
    for file in scenario_files() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        run_into(&file, first.path(), Some(1));
        run_into(&file, second.path(), Some(2));
        let (a, b) = (summary(first.path()), summary(second.path()));
        assert_ne!(a["digest"], b["digest"], "{}", file.display());
        assert_eq!(a["seed"], 1);
        assert_eq!(b["seed"], 2);
    }
}

#[test]
fn the_output_path_does_not_change_the_bytes() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    let outer = tempfile::tempdir().unwrap();
    let near = outer.path().join("a");
    let far = outer.path().join("some/deeper/folder");
    run_into(&file, &near, None);
    run_into(&file, &far, None);
    for name in ["summary.json", "metrics.csv", "events.csv"] {
        assert_eq!(
            fs::read(near.join(name)).unwrap(),
            fs::read(far.join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn the_turmoil_engine_writes_the_same_files_twice() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    for out in [first.path(), second.path()] {
        let output = meshsim(&[
            "run",
            file.to_str().unwrap(),
            "--engine",
            "turmoil",
            "--requests",
            "--no-progress",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    for name in ["summary.json", "metrics.csv", "events.csv", "requests.csv"] {
        let a = fs::read(first.path().join(name)).unwrap();
        assert!(
            a == fs::read(second.path().join(name)).unwrap(),
            "{name} differs between two turmoil runs"
        );
    }
    assert_eq!(summary(first.path())["engine"], "turmoil");
}
