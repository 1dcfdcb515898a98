//! A run's output folder is replaced whole or not at all: Ctrl-C and a kill leave the previous
//! output as it was, the next run says what an interrupted one left, and a folder that is not a
//! meshsim output is never replaced.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use support::meshsim;

/// The canary made to last 20 simulated hours: long enough to be interrupted.
fn long_scenario(folder: &Path) -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/canary.toml"),
    )
    .unwrap()
    .replace("duration = \"12m\"", "duration = \"20h\"");
    let path = folder.join("long.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A quick run into `out`; its stderr and the `summary.json` it wrote.
fn quick_run(out: &Path) -> (String, Vec<u8>) {
    let output = meshsim(&[
        "run",
        "scenarios/quickstart.toml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (stderr, std::fs::read(out.join("summary.json")).unwrap())
}

/// Starts a long run into `out`, waits until its staging folder exists, and sends `signal`.
fn interrupt_run(root: &Path, out: &Path, signal: &str) -> std::process::Output {
    let child = Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .args(["run", &long_scenario(root), "--no-progress", "--out"])
        .arg(out)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let staging = out.with_file_name(format!(
        ".{}.partial",
        out.file_name().unwrap().to_string_lossy()
    ));
    // Bounded: the run takes minutes, and its staging folder appears at its start.
    for _ in 0..600 {
        if staging.join("metrics.csv").exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        staging.exists(),
        "the run writes into {}",
        staging.display()
    );
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    child.wait_with_output().unwrap()
}

#[test]
fn ctrl_c_stops_a_run_and_leaves_the_previous_output_whole() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("run");
    let (_, before) = quick_run(&out);
    let output = interrupt_run(root.path(), &out, "-INT");
    assert_eq!(output.status.code(), Some(130));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("holds the previous run, whole"), "{stderr}");
    assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), before);
    assert!(!root.path().join(".run.partial").exists());
}

#[test]
fn a_killed_run_leaves_the_previous_output_whole_and_the_next_run_says_so() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("run");
    let (_, before) = quick_run(&out);
    let output = interrupt_run(root.path(), &out, "-KILL");
    assert_eq!(output.status.code(), None, "killed by a signal");
    assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), before);
    assert!(root.path().join(".run.partial").exists());

    let (stderr, _) = quick_run(&out);
    assert!(
        stderr.contains("was interrupted before it finished"),
        "{stderr}"
    );
    assert!(!root.path().join(".run.partial").exists());
}

#[test]
fn a_folder_that_is_not_a_meshsim_output_is_left_alone() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("notes.txt"), "mine").unwrap();
    let output = meshsim(&[
        "run",
        "scenarios/quickstart.toml",
        "--out",
        root.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not a meshsim output"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(root.path().join("notes.txt")).unwrap(),
        "mine"
    );
}
