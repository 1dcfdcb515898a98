//! Inputs the fuzzer (`scripts/fuzz.sh`) reached, kept as regression tests: every file in
//! `tests/fixtures/fuzz/` either loads and runs its first 20 simulated milliseconds with every
//! request accounted for, or is refused with an error that names the file. `loads-*` are the
//! smallest inputs of the corpus that load (odd but valid scenarios), `refused-*` one of each kind
//! of refusal past the TOML syntax. A crash the fuzzer finds goes here too, once fixed.

use std::path::Path;

use meshsim::scenario::load_str;
use meshsim::simulate_briefly;

#[test]
fn every_fuzz_finding_loads_and_runs_or_is_refused_with_a_location() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 30, "the findings are there: {names:?}");
    let mut loaded_count = 0;
    for name in &names {
        let text = std::fs::read_to_string(folder.join(name)).unwrap();
        let label = format!("tests/fixtures/fuzz/{name}");
        match load_str(&label, &text) {
            Ok(loaded) => {
                loaded_count += 1;
                let simulation = simulate_briefly(loaded.resolved(), 20_000_000).unwrap();
                assert!(
                    simulation.summary.accounting.ok,
                    "{name}: {:?}",
                    simulation.summary.accounting.problems
                );
            }
            Err(error) => {
                assert!(
                    name.starts_with("refused-"),
                    "{name} no longer loads:\n{error}"
                );
                let rendered = error.render(false);
                assert!(rendered.contains(&label), "{name}: {rendered}");
            }
        }
    }
    let loads = names
        .iter()
        .filter(|name| name.starts_with("loads-"))
        .count();
    assert!(loaded_count >= loads, "every loads-* file loads");
}
