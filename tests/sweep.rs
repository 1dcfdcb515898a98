//! `meshsim sweep`: many seeds on several threads, the same rows whatever the thread count, and
//! exit 1 with the replay commands when a seed fails its expectations.

mod support;

use support::{files, meshsim};

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
        stdout.contains("seeds 7: 7 met every expectation (100.00%)"),
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

#[test]
fn shards_merged_are_byte_for_byte_the_sweep_run_in_one_go() {
    let whole = tempfile::tempdir().unwrap();
    let output = sweep("scenarios/canary.toml", "0..7", "2", whole.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let shards = tempfile::tempdir().unwrap();
    let mut folders = Vec::new();
    // Given in another order than their seeds: merge sorts them.
    for index in [3, 1, 2] {
        let folder = shards.path().join(format!("shard-{index}"));
        let output = meshsim(&[
            "sweep",
            "scenarios/canary.toml",
            "--seeds",
            "0..7",
            "--shard",
            &format!("{index}/3"),
            "--no-progress",
            "--out",
            folder.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(0));
        folders.push(folder);
    }
    let rows = std::fs::read_to_string(folders[1].join("sweep.csv")).unwrap();
    assert_eq!(
        rows.lines().count(),
        1 + 2,
        "shard 1/3 of 7 seeds has 2: {rows}"
    );

    let merged = tempfile::tempdir().unwrap();
    let mut args = vec!["merge"];
    args.extend(folders.iter().map(|folder| folder.to_str().unwrap()));
    args.extend(["--out", merged.path().to_str().unwrap()]);
    let output = meshsim(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (merged_files, whole_files) = (files(merged.path()), files(whole.path()));
    assert_eq!(
        merged_files.keys().collect::<Vec<_>>(),
        whole_files.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &whole_files {
        assert!(
            merged_files[name] == *bytes,
            "{name} differs after the merge"
        );
    }
    assert!(whole_files.contains_key("sweep.html"));
    assert!(whole_files.contains_key("charts/sweep-rollout-order.svg"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("rolled_back in 100.00% of seeds"),
        "{stdout}"
    );

    // Without shard 2 the merge says which seeds are missing.
    let output = meshsim(&[
        "merge",
        folders[0].to_str().unwrap(),
        folders[1].to_str().unwrap(),
        "--out",
        merged.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("seeds 2..4 of the sweep's 0..7 are in none of the folders"),
        "{stderr}"
    );
}

#[test]
fn shards_of_different_scenarios_do_not_merge() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    for (file, shard, folder) in [
        ("scenarios/quickstart.toml", "1/2", &a),
        ("scenarios/retry-storm.toml", "2/2", &b),
    ] {
        let output = meshsim(&[
            "sweep",
            file,
            "--seeds",
            "0..2",
            "--shard",
            shard,
            "--no-progress",
            "--out",
            folder.to_str().unwrap(),
        ]);
        assert!(output.status.code().is_some_and(|code| code < 2));
    }
    let output = meshsim(&["merge", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("different scenario text"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
}

#[test]
fn a_shard_past_its_count_is_bad_input() {
    let out = tempfile::tempdir().unwrap();
    let output = meshsim(&[
        "sweep",
        "scenarios/quickstart.toml",
        "--seeds",
        "0..10",
        "--shard",
        "5/4",
        "--out",
        out.path().join("s").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`5/4` names no shard"), "{stderr}");
    assert!(stderr.contains("hint: --shard 1/4"), "{stderr}");
}
