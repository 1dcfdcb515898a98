//! The reports around a run: `run` writes charts and a self-contained `report.html`; `report DIR`
//! renders them again from the run's files alone; `compare` runs two scenarios from one seed and
//! shows their differences. Everything is byte-identical for one seed.
mod support;

use support::meshsim;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn run_into(file: &Path, out: &Path) -> Output {
    meshsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ])
}

/// Every file under `folder`, by relative path, with its bytes.
fn files(folder: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(folder)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                found.insert(name, fs::read(&path).unwrap());
            }
        }
    }
    found
}

#[test]
fn a_run_writes_charts_and_a_self_contained_report() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("run");
    let output = run_into(&scenario("circuit-breaker.toml"), &out);
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(stdout(&output).contains("report.html"));
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("circuit-breaker"));
    assert!(html.contains("<svg"), "charts are inlined");
    for forbidden in ["http://", "https://", "<link", "<script src", "<img src"] {
        assert!(!html.contains(forbidden), "the report fetches {forbidden}");
    }
    let charts: Vec<String> = fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(charts.len() >= 5, "{charts:?}");
    assert!(
        charts
            .iter()
            .all(|name| Path::new(name).extension().is_some_and(|e| e == "svg"))
    );
    for name in &charts {
        let svg = fs::read_to_string(out.join("charts").join(name)).unwrap();
        assert!(svg.contains("<svg"), "{name}");
    }
}

#[test]
fn report_renders_the_same_bytes_from_the_files_alone() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("run");
    assert!(
        run_into(&scenario("retry-storm.toml"), &out)
            .status
            .success()
    );
    let before = files(&out);
    fs::remove_file(out.join("report.html")).unwrap();
    fs::remove_dir_all(out.join("charts")).unwrap();
    // A stale chart from another run must not survive a re-render.
    fs::create_dir(out.join("charts")).unwrap();
    fs::write(out.join("charts").join("stale.svg"), "<svg/>").unwrap();
    let output = meshsim(&["report", out.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(files(&out), before);
}

#[test]
fn report_on_a_folder_that_is_not_a_run_says_so() {
    let folder = tempfile::tempdir().unwrap();
    let output = meshsim(&["report", folder.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("summary.json"), "{stderr}");
    assert!(stderr.contains("meshsim run"), "{stderr}");
}

#[test]
fn compare_runs_both_from_one_seed_and_tables_the_differences() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("compare");
    // The quickstart against itself with one more instance: the same arrivals, fewer waits.
    let wider = folder.path().join("quickstart-wide.toml");
    let text = fs::read_to_string(scenario("quickstart.toml"))
        .unwrap()
        .replace("replicas = 2", "replicas = 3");
    fs::write(&wider, text).unwrap();
    let output = compare(
        scenario("quickstart.toml").to_str().unwrap(),
        wider.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = stdout(&output);
    // Common random numbers: both sent exactly the same requests.
    let csv = fs::read_to_string(out.join("differences.csv")).unwrap();
    let sent = csv
        .lines()
        .find(|line| line.starts_with("requests.sent,"))
        .unwrap();
    let fields: Vec<&str> = sent.split(',').collect();
    assert_eq!(fields[1], fields[2], "{sent}");
    assert!(text.contains("latency_p50"), "{text}");
    for name in ["a/summary.json", "b/summary.json", "report.html"] {
        assert!(out.join(name).exists(), "{name}");
    }
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<svg"));
    assert!(html.contains("<section id=\"headline\">"));
    // And again: the same bytes.
    let again = folder.path().join("again");
    let output = compare(
        scenario("quickstart.toml").to_str().unwrap(),
        wider.to_str().unwrap(),
        again.to_str().unwrap(),
    );
    assert!(output.status.success());
    assert_eq!(files(&out), files(&again));
}

/// Issue 16: the terminal wrote a success rate's change as a relative `+51.0 %` and the page as
/// `+33.77 %`; both now write the change in points and the relative change in percent, alike.
#[test]
fn compare_words_a_rate_change_in_points_on_the_terminal_and_the_page_alike() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("shop");
    let output = compare(
        scenario("shop-sync.toml").to_str().unwrap(),
        scenario("shop-async.toml").to_str().unwrap(),
        out.to_str().unwrap(),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = stdout(&output);
    let line = text
        .lines()
        .find(|line| {
            line.trim_start()
                .starts_with("workload.shoppers.success_rate ")
        })
        .expect("the success rate changed");
    let cells: Vec<&str> = line.split_whitespace().collect();
    // metric, A, B, change (a number and `pp`), relative (a number and `%`).
    assert_eq!(cells.len(), 7, "{line}");
    assert_eq!(cells[4], "pp", "{line}");
    assert_eq!(cells[6], "%", "{line}");
    let (change, relative) = (format!("{} pp", cells[3]), format!("{} %", cells[5]));
    assert!(
        text.contains(&format!(
            "success rate of workload shoppers: {} → {} ({change})",
            cells[1], cells[2]
        )),
        "{text}"
    );
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("<section id=\"headline\">"));
    assert!(
        page.contains(&format!(
            "<td class=\"n\">{change}</td><td class=\"n\">{relative}</td>"
        )),
        "the page words the change as the terminal does: {change}, {relative}"
    );
    assert!(page.contains(&format!("({change})</li>")));
}

#[test]
fn compare_of_a_scenario_with_itself_finds_no_difference() {
    let folder = tempfile::tempdir().unwrap();
    let file = scenario("quickstart.toml");
    let output = compare(
        file.to_str().unwrap(),
        file.to_str().unwrap(),
        folder.path().join("same").to_str().unwrap(),
    );
    assert!(output.status.success());
    assert!(stdout(&output).contains("no key figure differs"));
}

/// `meshsim compare A B --out OUT`, quietly.
fn compare(a: &str, b: &str, out: &str) -> std::process::Output {
    meshsim(&["compare", a, b, "--out", out, "--no-progress"])
}
