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
    for profile in meshsim::Profile::ALL {
        let table = profile.markdown_table();
        assert!(
            docs.contains(&table),
            "docs/mesh.md lacks the {profile} table as the code has it:\n\n{table}"
        );
    }
}

/// The text of a module: its file `path.rs` and every file in its folder `path/`, where its
/// parts and tests may live.
fn module_text(path: &std::path::Path) -> String {
    let mut text = std::fs::read_to_string(path.with_extension("rs")).unwrap_or_default();
    let mut folders = vec![path.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    text
}

/// Every test a profile's key names exists: `mesh::x` in tests/mesh.rs (or a file of
/// tests/mesh/), `policy::m::x` in models/src/policy/m.rs (or a file of models/src/policy/m/).
#[test]
fn every_cited_test_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    for profile in meshsim::Profile::ALL {
        for spec in profile.keys().chain(profile.behaviours()) {
            let (module, name) = match spec.test.split_once("::") {
                Some(("policy", rest)) => {
                    let (module, name) = rest.split_once("::").expect("policy::module::test");
                    (root.join(format!("models/src/policy/{module}")), name)
                }
                Some((file, name)) => (root.join(format!("tests/{file}")), name),
                None => panic!("{profile} `{}` names no file: {}", spec.key, spec.test),
            };
            if !module_text(&module).contains(&format!("fn {name}(")) {
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

/// Every markdown table in docs/ and the README renders as one table: each row has as many cells
/// as the header (a `|` inside backticks still splits a cell on GitHub), no row stands apart
/// from its table (a blank line or a paragraph between them makes it text), and no line wraps
/// onto the line after a table (GitHub reads it as one more row).
#[test]
fn every_table_in_the_docs_is_whole() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .map(|entry| entry.expect("a docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
        .collect();
    pages.sort();
    pages.push(root.join("README.md"));
    let mut problems = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).expect("a page of the docs");
        let name = page
            .strip_prefix(root)
            .unwrap_or(page)
            .display()
            .to_string();
        problems.extend(
            table_problems(&text)
                .into_iter()
                .map(|problem| format!("{name}:{problem}")),
        );
    }
    assert!(
        problems.is_empty(),
        "broken tables:\n{}",
        problems.join("\n")
    );
}

/// The problems of the tables in one page, as `LINE: what is wrong`.
fn table_problems(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut problems = Vec::new();
    let mut in_code = false;
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index].trim_start();
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if in_code || !line.starts_with('|') {
            index += 1;
            continue;
        }
        let start = index;
        while index < lines.len() && lines[index].trim_start().starts_with('|') {
            index += 1;
        }
        problems.extend(block_problems(&lines, start, index));
    }
    problems
}

/// The problems of the run of `|` lines `lines[start..end]`, taken as one table.
fn block_problems(lines: &[&str], start: usize, end: usize) -> Vec<String> {
    let rows = &lines[start..end];
    let is_delimiter = |row: &str| {
        row.trim().trim_matches('|').split('|').all(|cell| {
            let cell = cell.trim().trim_matches(':');
            cell.len() >= 3 && cell.chars().all(|character| character == '-')
        })
    };
    if rows.len() < 2 || !is_delimiter(rows[1]) {
        return vec![format!(
            "{}: a row outside a table (no header and `| --- |` line above it)",
            start + 1
        )];
    }
    let mut problems = Vec::new();
    let header_cells = cell_count(rows[0]);
    for (offset, row) in rows.iter().enumerate() {
        let cells = cell_count(row);
        if cells != header_cells {
            problems.push(format!(
                "{}: {cells} cells, but the header has {header_cells}",
                start + offset + 1
            ));
        }
    }
    if lines.get(end).is_some_and(|line| !line.trim().is_empty()) {
        problems.push(format!(
            "{}: text right after a table is read as one more row; leave a blank line",
            end + 1
        ));
    }
    problems
}

/// The cells of a table row: its `|` separators, less an escaped `\|`, less the outer pipes.
fn cell_count(row: &str) -> usize {
    let row = row.trim();
    let mut separators = 0;
    let mut previous = ' ';
    for character in row.chars() {
        if character == '|' && previous != '\\' {
            separators += 1;
        }
        previous = character;
    }
    let outer = usize::from(row.starts_with('|'))
        + usize::from(row.ends_with('|') && !row.ends_with("\\|"));
    separators + 1 - outer
}
