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
