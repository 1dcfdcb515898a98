//! `meshsim shrink` (issue 6, item 8): a failing scenario's fault timeline, minimised while the
//! failure persists, written as a file `meshsim run` replays.

mod support;

use std::path::{Path, PathBuf};

use meshsim::scenario::schema::{Fault, FaultKind};
use meshsim::scenario::{Duration, load_str};
use meshsim::{FaultSpec, write_scenario_with_faults};
use support::meshsim;

const SAGA: &str = "tests/fixtures/shrink/checkout.toml";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// Shrinks the checkout fixture with seed 7 into `folder/checkout.shrunk.toml`; its stdout and the file.
fn shrink_checkout(folder: &Path) -> (String, PathBuf) {
    let out = folder.join("checkout.shrunk.toml");
    let output = meshsim(&[
        "shrink",
        SAGA,
        "--seed",
        "7",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    (stdout, out)
}

#[test]
fn keeps_only_the_crash_that_matters_shorter_and_later() {
    let folder = tempfile::tempdir().unwrap();
    let (stdout, out) = shrink_checkout(folder.path());
    let shrunk = std::fs::read_to_string(&out).unwrap();
    let loaded = load_str("checkout.shrunk.toml", &shrunk).expect("the shrunk file loads");
    let faults = &loaded.scenario().faults;
    assert_eq!(faults.len(), 1, "{shrunk}");
    assert_eq!(faults[0].kind, FaultKind::Crash);
    assert_eq!(faults[0].target.as_deref(), Some("payments"));
    let restart_after = faults[0].restart_after.unwrap();
    assert!(restart_after < Duration::from_secs(40), "{shrunk}");
    assert!(faults[0].at >= Duration::from_secs(10), "{shrunk}");
    // Each accepted step is a line; the failing expectation is named.
    assert!(stdout.contains("- removed fault"), "{stdout}");
    assert!(
        stdout.contains("- fault 2: restart_after 40s -> 20s"),
        "{stdout}"
    );
    assert!(
        stdout.contains("still fails: workload.shoppers.success_rate"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("replay: meshsim run {} --seed 7", out.display())),
        "{stdout}"
    );
}

#[test]
fn the_shrunk_file_keeps_the_comments_and_says_where_it_came_from() {
    let folder = tempfile::tempdir().unwrap();
    let (_, out) = shrink_checkout(folder.path());
    let shrunk = std::fs::read_to_string(out).unwrap();
    assert!(
        shrunk.starts_with(
            "# Shrunk by `meshsim shrink` from checkout.toml with seed 7: 1 of 4 faults left.\n\
             # Still fails: workload.shoppers.success_rate = "
        ),
        "{shrunk}"
    );
    assert!(
        shrunk.contains("# Replay: meshsim run checkout.shrunk.toml --seed 7\n"),
        "{shrunk}"
    );
    // The user's comments outside the faults, and the kept fault's own, survive …
    for comment in [
        "# A checkout beside an unrelated storefront",
        "name = \"payments\"                 # one instance: a single point of failure",
        "# The one that matters: payments is down for 40 s.",
        "# Fails while payments is down.",
        "# Holds whatever happens to the storefront.",
    ] {
        assert!(shrunk.contains(comment), "lost {comment:?}:\n{shrunk}");
    }
    // … the removed faults take theirs with them, and a changed value its own (issue 16): the
    // restart is no longer slow.
    assert!(!shrunk.contains("# Irrelevant"), "{shrunk}");
    assert!(!shrunk.contains("# a slow restart"), "{shrunk}");
    // Everything before and after the faults is as it was.
    let original = fixture(SAGA);
    let head = &original[..original.find("# Irrelevant: the storefront").unwrap()];
    let tail = &original[original.find("# Fails while payments is down.").unwrap()..];
    assert!(shrunk.contains(head), "{shrunk}");
    assert!(shrunk.ends_with(tail), "{shrunk}");
}

#[test]
fn the_shrunk_file_replays_the_failure() {
    let folder = tempfile::tempdir().unwrap();
    let (_, out) = shrink_checkout(folder.path());
    let run_out = folder.path().join("run");
    let output = meshsim(&[
        "run",
        out.to_str().unwrap(),
        "--seed",
        "7",
        "--out",
        run_out.to_str().unwrap(),
    ]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL workload.shoppers.success_rate"),
        "{stdout}"
    );
}

#[test]
fn shrinking_twice_writes_the_same_bytes() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let (_, a) = shrink_checkout(first.path());
    let (_, b) = shrink_checkout(second.path());
    assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
}

/// Issue 16: without `--out`, the file goes to the current folder, named after the input, so
/// that shrinking a file of the repository leaves nothing untracked beside it.
#[test]
fn writes_to_the_current_folder_by_default() {
    let inputs = tempfile::tempdir().unwrap();
    let input = inputs.path().join("checkout.toml");
    std::fs::write(&input, fixture(SAGA)).unwrap();
    let here = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .args(["shrink", input.to_str().unwrap()])
        .current_dir(here.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(here.path().join("checkout.shrunk.toml").is_file());
    assert!(!inputs.path().join("checkout.shrunk.toml").exists());
    assert!(
        stdout.contains("  wrote checkout.shrunk.toml in the current folder"),
        "{stdout}"
    );
    assert!(
        stdout.contains("replay: meshsim run checkout.shrunk.toml --seed "),
        "{stdout}"
    );
}

#[test]
fn a_spent_budget_still_writes_a_failing_file() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("budget.toml");
    let output = meshsim(&[
        "shrink",
        SAGA,
        "--max-runs",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("after 5 runs"));
    assert!(text(&output.stderr).contains("the budget of 5 runs is spent"));
    let replay = meshsim(&[
        "run",
        out.to_str().unwrap(),
        "--out",
        folder.path().join("run").to_str().unwrap(),
    ]);
    assert_eq!(replay.status.code(), Some(1));
}

#[test]
fn expectations_that_pass_exit_2_with_a_hint() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("holds.shrunk.toml");
    let output = meshsim(&[
        "shrink",
        "tests/fixtures/shrink/holds.toml",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "error: the expectations already pass with seed 7: nothing to shrink\nhint: "
        ),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn a_scenario_without_faults_exits_2() {
    let output = meshsim(&["shrink", "tests/fixtures/failing-expectation.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("has no [[fault]]: nothing to shrink"));
}

#[test]
fn bad_input_exits_2() {
    let output = meshsim(&["shrink", "tests/fixtures/bad/unknown-key.toml"]);
    assert_eq!(output.status.code(), Some(2));
    let output = meshsim(&["shrink", SAGA, "--out", SAGA]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("is the scenario itself"));
}

/// What a property test that draws fault timelines does with a failing one: write it into the
/// scenario as a file that `meshsim run` replays.
#[test]
fn a_drawn_timeline_is_written_as_a_replayable_file() {
    let original = fixture(SAGA);
    let crash = Fault {
        at: Duration::from_secs(30),
        duration: None,
        kind: FaultKind::Crash,
        between: None,
        target: Some("payments".to_owned()),
        restart_after: Some(Duration::from_secs(5)),
        add: None,
        loss: None,
    };
    let drawn = write_scenario_with_faults(&original, &[FaultSpec::new(crash)]).unwrap();
    let loaded = load_str("drawn.toml", &drawn).unwrap();
    assert_eq!(loaded.scenario().faults.len(), 1);
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("drawn.toml");
    std::fs::write(&file, &drawn).unwrap();
    let output = meshsim(&[
        "run",
        file.to_str().unwrap(),
        "--seed",
        "7",
        "--out",
        folder.path().join("run").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
}
