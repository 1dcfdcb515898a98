//! The docs say what the code does: every size limit appears in the format reference with the
//! value the loader enforces.

#[test]
fn the_format_reference_lists_every_limit() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scenario-format.md");
    let docs = std::fs::read_to_string(path).expect("docs/scenario-format.md");
    let mut missing = Vec::new();
    for (name, value) in meshsim::scenario::limits::describe() {
        let row = format!("| {name} | {value} |");
        if !docs.contains(&row) {
            missing.push(row);
        }
    }
    assert!(
        missing.is_empty(),
        "docs/scenario-format.md lacks these rows:\n{}",
        missing.join("\n")
    );
}

/// The page on the mesh holds each profile's table exactly as the profile defines it, so every
/// default the docs state is the one the code runs.
#[test]
fn the_mesh_page_lists_every_profile_default() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/mesh.md");
    let docs = std::fs::read_to_string(path).expect("docs/mesh.md");
    for profile in meshsim::profile::Profile::ALL {
        let table = profile.markdown_table();
        assert!(
            docs.contains(&table),
            "docs/mesh.md lacks the {profile} table as the code has it:\n\n{table}"
        );
    }
}

/// Every test a profile's key names exists: `mesh::x` in tests/mesh.rs, `policy::m::x` in
/// models/src/policy/m.rs.
#[test]
fn every_cited_test_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    for profile in meshsim::profile::Profile::ALL {
        for spec in profile.keys().chain(profile.behaviours()) {
            let (file, name) = match spec.test.split_once("::") {
                Some(("policy", rest)) => {
                    let (module, name) = rest.split_once("::").expect("policy::module::test");
                    (root.join(format!("models/src/policy/{module}.rs")), name)
                }
                Some((file, name)) => (root.join(format!("tests/{file}.rs")), name),
                None => panic!("{profile} `{}` names no file: {}", spec.key, spec.test),
            };
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if !text.contains(&format!("fn {name}(")) {
                missing.push(format!("{profile} `{}`: {}", spec.key, spec.test));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "tests not found:\n{}",
        missing.join("\n")
    );
}
