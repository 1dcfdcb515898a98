//! What a user sees when a scenario file is wrong: one snapshot per kind of mistake.
//!
//! Each test loads `tests/fixtures/bad/NAME.toml` under that relative name, so the snapshots do
//! not depend on where the repository is checked out, and snapshots the rendered errors without
//! color. Read a changed snapshot as a user would: it must say what is wrong, where, and what to
//! write instead.

use std::path::Path;

use meshsim::scenario::{load_file, load_str};

fn fixture(kind: &str, name: &str) -> (String, String) {
    let label = format!("tests/fixtures/{kind}/{name}.toml");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(&label);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {label}: {error}"));
    (label, text)
}

/// The rendered errors of a bad fixture.
fn errors_of(name: &str) -> String {
    let (label, text) = fixture("bad", name);
    match load_str(&label, &text) {
        Ok(_) => panic!("{label} loaded, but it should not"),
        Err(error) => error.to_string(),
    }
}

macro_rules! bad_input {
    ($($test:ident => $fixture:literal,)*) => {
        $(
            #[test]
            fn $test() {
                insta::assert_snapshot!(errors_of($fixture));
            }
        )*
    };
}

bad_input! {
    toml_syntax => "toml-syntax",
    unknown_key => "unknown-key",
    unknown_key_in_distribution => "unknown-key-in-distribution",
    unknown_variant => "unknown-variant",
    wrong_type => "wrong-type",
    duration_in_words => "duration-in-words",
    duration_without_unit => "duration-without-unit",
    missing_scenario => "missing-scenario",
    missing_required_key => "missing-required-key",
    unknown_service_in_call => "unknown-service-in-call",
    unknown_endpoint => "unknown-endpoint",
    unknown_instance => "unknown-instance",
    probability_out_of_range => "probability-out-of-range",
    route_weights_sum => "route-weights-sum",
    route_unknown_version => "route-unknown-version",
    route_match_uri => "route-match-uri",
    route_policy_conflicts => "route-policy-conflicts",
    call_cycle => "call-cycle",
    size_limits => "size-limits",
    fault_missing_key => "fault-missing-key",
    fault_keys_of_another_kind => "fault-keys-of-another-kind",
    expect_unknown_metric => "expect-unknown-metric",
    expect_wrong_bound => "expect-wrong-bound",
    duplicate_service => "duplicate-service",
    header_probabilities => "header-probabilities",
    v1_replicas_disagree => "v1-replicas-disagree",
    version_endpoints => "version-endpoints",
    version_endpoint_unknown_key => "version-endpoint-unknown-key",
    rollout_problems => "rollout-problems",
    rollout_strategies => "rollout-strategies",
    depends_on => "depends-on",
    mesh_policies => "mesh-policies",
    mesh_profile_keys => "mesh-profile-keys",
    mesh_istio_keys => "mesh-istio-keys",
    many_errors => "many-errors",
    call_behaviour => "call-behaviour",
    cpu => "cpu",
    parallel_calls => "parallel-calls",
    parallel_and_call => "parallel-and-call",
}

#[test]
fn every_key_of_the_format_loads() {
    let (label, text) = fixture("good", "full-format");
    let loaded = load_str(&label, &text).unwrap_or_else(|error| panic!("{error}"));
    assert!(
        loaded.warnings.is_empty(),
        "{}",
        loaded.render_warnings(false)
    );
    assert_eq!(loaded.scenario().scenario.name, "canary");
    assert_eq!(loaded.scenario().services.len(), 6);
    assert_eq!(loaded.file, label);
}

#[test]
fn every_key_of_linkerds_profile_loads() {
    let (label, text) = fixture("good", "full-format-linkerd");
    let loaded = load_str(&label, &text).unwrap_or_else(|error| panic!("{error}"));
    assert!(
        loaded.warnings.is_empty(),
        "{}",
        loaded.render_warnings(false)
    );
    assert_eq!(loaded.scenario().profile(), meshsim::Profile::Linkerd);
}

#[test]
fn a_missing_file_is_a_diagnostic() {
    let error = load_file(Path::new("tests/fixtures/bad/no-such-file.toml"))
        .expect_err("the file does not exist");
    insta::assert_snapshot!(error.to_string());
}

#[test]
fn warnings_do_not_stop_the_load() {
    let source = "[scenario]\nname = \"w\"\nduration = \"1m\"\n\n[[service]]\nname = \"order\"\n\n[[service.endpoint]]\nname = \"GET /\"\n\n[[workload]]\nname = \"shoppers\"\ntarget = \"order\"\nendpoint = \"GET /\"\narrival = { kind = \"poisson\", rate = 10 }\n";
    let loaded = load_str("warn.toml", source).expect("warnings only");
    insta::assert_snapshot!(loaded.render_warnings(false));
}

#[test]
fn fault_injection_without_a_percentage_warns_that_it_does_nothing() {
    let source = "[scenario]\nname = \"w\"\nduration = \"1m\"\n\n[[service]]\nname = \"order\"\nexposed = true\n\n[[service.endpoint]]\nname = \"GET /\"\n\n[mesh.order]\nfault = { delay = \"1s\", abort_status = 503 }\n\n[[workload]]\nname = \"shoppers\"\ntarget = \"order\"\nendpoint = \"GET /\"\narrival = { kind = \"poisson\", rate = 10 }\n";
    let loaded = load_str("fault.toml", source).expect("warnings only");
    insta::assert_snapshot!(loaded.render_warnings(false));
}

#[test]
fn color_is_used_only_when_asked() {
    let (label, text) = fixture("bad", "unknown-key");
    let error = load_str(&label, &text).expect_err("unknown key");
    assert!(!error.to_string().contains('\u{1b}'));
    assert!(error.render(true).contains("\u{1b}[1m\u{1b}[31merror"));
}

/// Loading must never panic, whatever the text: every variant of the full-format scenario with
/// one line dropped, one byte dropped, or one value replaced by something odd gives `Ok` or
/// `Err`, nothing else.
#[test]
fn never_panics_on_damaged_input() {
    let (_, text) = fixture("good", "full-format");
    let lines: Vec<&str> = text.lines().collect();
    let mut variants: Vec<String> = Vec::new();
    for skipped in 0..lines.len() {
        let kept: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(index, _)| *index != skipped)
            .map(|(_, line)| *line)
            .collect();
        variants.push(kept.join("\n"));
    }
    for (position, _) in text.char_indices().step_by(23) {
        let mut damaged = text.clone();
        damaged.remove(position);
        variants.push(damaged);
    }
    let odd_values = [
        "-1",
        "0",
        "1e300",
        "nan",
        "\"\"",
        "\"0s\"",
        "[]",
        "{}",
        "\"payment/99\"",
        "\"\\u001b[31m\"",
    ];
    // Each odd value goes into every third key, a different third for each, which keeps the
    // test quick while every key still meets several odd values.
    for (odd_index, odd) in odd_values.iter().enumerate() {
        for (index, line) in lines.iter().enumerate().skip(odd_index % 3).step_by(3) {
            if let Some((key, _)) = line.split_once(" = ") {
                let mut changed = lines.clone();
                let replaced = format!("{key} = {odd}");
                changed[index] = &replaced;
                variants.push(changed.join("\n"));
            }
        }
    }
    variants.push(format!("a = {}", "[".repeat(100_000)));
    variants.push(format!("a = {}", "{ b = ".repeat(100_000)));
    for variant in &variants {
        let result = load_str("damaged.toml", variant);
        if let Err(error) = result {
            assert!(error.error_count() > 0);
            let _ = error.render(true);
        }
    }
}

#[test]
fn a_file_over_the_size_limit_is_refused() {
    let huge = format!(
        "[scenario]\nname = \"big\"\nduration = \"1m\"\n#{}\n",
        "x".repeat(meshsim::scenario::limits::FILE_BYTES_MAX)
    );
    let error = load_str("big.toml", &huge).expect_err("over the limit");
    assert_eq!(
        error.to_string(),
        "error: the file is larger than the limit of 4 MiB for a scenario\n--> big.toml\n = hint: a scenario this large is generated: generate fewer services, or split it into several scenarios\n"
    );
}

#[test]
fn a_file_that_is_not_utf8_points_at_the_first_bad_byte() {
    let path = std::env::temp_dir().join(format!("meshsim-not-utf8-{}.toml", std::process::id()));
    std::fs::write(&path, b"[scenario]\nname = \"caf\xe9\"\n").expect("a temporary file");
    let error = load_file(&path).expect_err("not UTF-8");
    let _ = std::fs::remove_file(&path);
    let rendered = error.to_string();
    assert!(
        rendered.starts_with("error: the file is not UTF-8 text\n"),
        "{rendered}"
    );
    assert!(rendered.contains(":2:12\n"), "{rendered}");
}
