//! `examples/flagger-canary/`: a Flagger Canary included as it is applied rolls back a revision
//! that fails 5% of its requests at the time Flagger's schedule gives (first step one interval
//! after detection, then `threshold` failed analyses: 1m + 1m + 2 × 1m = 4m,
//! <https://docs.flagger.app/usage/how-it-works>), and without the Canary document the
//! scenario's expectations cannot hold.

use std::path::Path;
use std::process::Command;

const EXAMPLE: &str = "examples/flagger-canary";

fn run(scenario: &Path, out: &Path) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .arg("--no-progress")
        .output()
        .expect("meshsim runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

#[test]
fn the_canary_rolls_back_as_flagger_would() {
    let out = tempfile::tempdir().unwrap();
    let (code, text) = run(&Path::new(EXAMPLE).join("scenario.toml"), out.path());
    assert_eq!(code, Some(0), "{text}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("summary.json")).unwrap())
            .unwrap();
    let rollout = &summary["rollouts"]["podinfo"];
    assert_eq!(rollout["outcome"], "rolled_back", "{rollout}");
    assert_eq!(rollout["to"], "canary", "{rollout}");
    assert_eq!(rollout["time_s"].as_f64(), Some(240.0), "{rollout}");
}

#[test]
fn without_the_canary_document_the_expectations_fail() {
    let copy = tempfile::tempdir().unwrap();
    std::fs::create_dir(copy.path().join("k8s")).unwrap();
    for file in ["scenario.toml", "k8s/podinfo.yaml"] {
        std::fs::copy(Path::new(EXAMPLE).join(file), copy.path().join(file)).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let (code, text) = run(&copy.path().join("scenario.toml"), out.path());
    assert_ne!(code, Some(0), "{text}");
}
