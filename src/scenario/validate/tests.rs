//! The checker on small scenarios, one finding at a time.

use super::{Findings, validate};
use crate::scenario::locate::Locator;
use crate::scenario::schema::Scenario;

fn findings(source: &str) -> Findings {
    let scenario: Scenario = toml::from_str(source).expect("the test scenario parses");
    validate(&scenario, "test.toml", &Locator::new(source))
}

fn messages(source: &str) -> Vec<String> {
    findings(source)
        .errors
        .into_iter()
        .map(|diagnostic| diagnostic.message)
        .collect()
}

const HEAD: &str = "[scenario]\nname = \"t\"\nduration = \"1m\"\n";

#[test]
fn accepts_a_small_valid_scenario() {
    let source = format!(
        "{HEAD}[[service]]\nname = \"a\"\nexposed = true\n[[service.endpoint]]\nname = \"GET /\"\n[[workload]]\nname = \"w\"\ntarget = \"a\"\nendpoint = \"GET /\"\narrival = {{ kind = \"poisson\", rate = 5 }}\n"
    );
    let found = findings(&source);
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}

#[test]
fn finds_a_self_call_cycle() {
    let source = format!(
        "{HEAD}[[service]]\nname = \"a\"\n[[service.endpoint]]\nname = \"x\"\ncalls = [{{ service = \"a\", endpoint = \"x\" }}]\n"
    );
    assert_eq!(
        messages(&source),
        ["synchronous calls form a cycle: a:x → a:x"]
    );
}

#[test]
fn warns_when_the_target_is_not_exposed() {
    let source = format!(
        "{HEAD}[[service]]\nname = \"a\"\n[[service.endpoint]]\nname = \"e\"\n[[workload]]\nname = \"w\"\ntarget = \"a\"\nendpoint = \"e\"\narrival = {{ kind = \"constant\", rate = 1 }}\n"
    );
    let found = findings(&source);
    assert!(found.errors.is_empty());
    assert_eq!(found.warnings.len(), 1);
    assert!(found.warnings[0].message.contains("not exposed"));
}

#[test]
fn numbers_instances_across_versions() {
    let source = format!(
        "{HEAD}[[service]]\nname = \"a\"\nreplicas = 0\n[[service.version]]\nname = \"v2\"\nreplicas = 2\n[[fault]]\nat = \"1s\"\nkind = \"crash\"\ntarget = \"a/1\"\n[[fault]]\nat = \"1s\"\nkind = \"pause\"\ntarget = \"a/2\"\n"
    );
    assert_eq!(
        messages(&source),
        ["unknown instance `a/2`: `a` has 2 instances, a/0 to a/1"]
    );
}

#[test]
fn reports_a_count_past_its_limit_at_the_first_entry_beyond() {
    let calls = vec!["{ service = \"a\", endpoint = \"y\" }"; 65].join(",\n");
    let source = format!(
        "{HEAD}[[service]]\nname = \"a\"\n[[service.endpoint]]\nname = \"x\"\ncalls = [\n{calls}\n]\n[[service.endpoint]]\nname = \"y\"\n"
    );
    let found = findings(&source);
    assert_eq!(found.errors.len(), 1, "{:?}", found.errors);
    let error = &found.errors[0];
    assert_eq!(
        error.message,
        "too many calls in endpoint `x`: 65, the limit is 64"
    );
    // Line 9 holds calls[0], so calls[64], the first past the limit, is on line 73.
    assert_eq!(
        error.location(&source).map(|location| location.line),
        Some(73)
    );
}

#[test]
fn checks_each_fault_kind_keys() {
    let source = format!(
        "{HEAD}[[service]]\nname = \"a\"\n[[service]]\nname = \"b\"\n[[fault]]\nat = \"1s\"\nduration = \"5s\"\nkind = \"crash\"\ntarget = \"a\"\n[[fault]]\nat = \"1s\"\nkind = \"latency\"\nbetween = [\"a\", \"a/0\"]\n"
    );
    assert_eq!(
        messages(&source),
        [
            "`duration` does not apply to a crash fault",
            "a latency fault needs `add`",
            "the two sides of `between` overlap: `a` and `a/0`",
        ]
    );
}
