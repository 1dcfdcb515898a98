//! The Bookinfo example (`examples/bookinfo/`): each of Istio's traffic-management tasks
//! reproduces its documented outcome from the YAML it includes, and fails without the document
//! that causes it; `meshsim import` of each gives a scenario that runs to the same digest.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;

/// Each task, with the document its outcome depends on.
const TASKS: [(&str, &str); 7] = [
    ("traffic-shifting", "networking/reviews-50-v3.yaml"),
    ("request-routing", "networking/reviews-jason-v2.yaml"),
    ("fault-delay", "networking/ratings-delay-jason.yaml"),
    ("fault-abort", "networking/ratings-abort-jason.yaml"),
    ("request-timeout", "networking/reviews-v2-timeout.yaml"),
    ("circuit-breaking", "networking/details-pool.yaml"),
    (
        "published-samples",
        "istio-samples/virtual-service-all-v1.yaml",
    ),
];

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bookinfo")
}

/// Runs `scenario` (in `folder`) with `seed`; its exit code and digest.
fn run(folder: &Path, scenario: &str, seed: u64, out: &Path) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .current_dir(folder)
        .args(["run", scenario, "--seed", &seed.to_string(), "--out"])
        .arg(out)
        .output()
        .expect("meshsim runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let digest = stdout
        .split_whitespace()
        .skip_while(|word| *word != "digest")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (output.status.code().unwrap_or(-1), digest)
}

/// A copy of the example in a fresh folder, so a test may change its files.
fn copy_of_example() -> tempfile::TempDir {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let from = example().join(&relative);
        if from.is_dir() {
            std::fs::create_dir_all(folder.path().join(&relative)).expect("a folder");
            for entry in std::fs::read_dir(&from).expect("a listing") {
                let name = entry.expect("an entry").file_name();
                pending.push(relative.join(name));
            }
        } else {
            std::fs::copy(&from, folder.path().join(&relative)).expect("a copy");
        }
    }
    folder
}

#[test]
fn each_task_reproduces_its_outcome_and_fails_without_its_document() {
    let folder = copy_of_example();
    for (task, document) in TASKS {
        let scenario = format!("{task}.toml");
        let out = folder.path().join("out").join(task);
        let (code, _) = run(folder.path(), &scenario, 7, &out);
        assert_eq!(code, 0, "{task}: the documented outcome holds");
        let text = std::fs::read_to_string(folder.path().join(&scenario)).expect("the task");
        let line = format!("  \"{document}\",\n");
        assert!(text.contains(&line), "{task} includes {document}");
        let without = folder.path().join(format!("{task}-without.toml"));
        std::fs::write(&without, text.replace(&line, "")).expect("written");
        let (code, _) = run(folder.path(), &format!("{task}-without.toml"), 7, &out);
        assert_eq!(code, 1, "{task}: without {document}, an expectation fails");
    }
}

/// `meshsim import` of the task: the standalone scenario, written beside it.
fn import(folder: &Path, task: &str) -> String {
    let imported = format!("{task}-imported.toml");
    let status = Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .current_dir(folder)
        .args(["import", &format!("{task}.toml"), "--out", &imported])
        .output()
        .expect("meshsim imports");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = std::fs::read_to_string(folder.join(&imported)).expect("written");
    assert!(!text.contains("include = ["), "the includes are folded in");
    imported
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    /// The YAML form and its imported TOML are the same scenario: the same digest from any seed.
    #[test]
    fn import_round_trips(task in 0..TASKS.len(), seed in 0u64..1_000_000) {
        let folder = copy_of_example();
        let (name, _) = TASKS[task];
        let imported = import(folder.path(), name);
        let out = folder.path().join("out");
        let (_, included) = run(folder.path(), &format!("{name}.toml"), seed, &out.join("a"));
        let (_, standalone) = run(folder.path(), &imported, seed, &out.join("b"));
        prop_assert!(!included.is_empty());
        prop_assert_eq!(included, standalone);
    }
}
