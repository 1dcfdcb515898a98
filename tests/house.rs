//! The shape of the house, held by tests: no source file over 800 lines, and no import circle
//! between the files of a crate (a circle means a type lives on the wrong side of it). Long
//! functions are held by clippy's `too_many_lines` at 100 (`clippy.toml`).
//!
//! The imports are read as text: `use` trees and `crate::`/`super::` paths in code, each followed
//! through the module files to the file that defines the name (through `pub use` re-exports, so a
//! parent that re-exports a child's type is not taken for its owner, and a re-export is not
//! itself a use). Inline `#[cfg(test)]` modules are left out: a test taking its parent's items
//! is not part of the structure.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const FILE_LINES_MAX: usize = 800;

/// The workspace's crates, each by the folder that holds its `lib.rs` or `main.rs`.
fn crate_roots(workspace: &Path) -> Vec<PathBuf> {
    let mut roots = vec![workspace.join("src")];
    let mut members: Vec<PathBuf> = fs::read_dir(workspace)
        .expect("the workspace folder can be read")
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("src"))
        .filter(|src| src.join("lib.rs").is_file() && !src.starts_with(workspace.join("src")))
        .collect();
    members.sort();
    roots.extend(members);
    roots
}

fn rust_files(folder: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "target") {
                rust_files(&path, files);
            }
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn no_file_is_over_800_lines() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for folder in [
        "src", "sim", "models", "reports", "record", "tests", "benches", "examples",
    ] {
        rust_files(&workspace.join(folder), &mut files);
    }
    assert!(
        files.len() > 100,
        "the walk found the sources ({} files)",
        files.len()
    );
    let long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = fs::read_to_string(file).ok()?.lines().count();
            (lines > FILE_LINES_MAX).then(|| {
                let name = file.strip_prefix(workspace).unwrap_or(file).display();
                format!("{name}: {lines} lines")
            })
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {FILE_LINES_MAX} lines:\n{}",
        long.join("\n")
    );
}

/// A crate's module tree: module path (`["story", "line"]`) to its file, and back.
struct Modules {
    files: BTreeMap<Vec<String>, PathBuf>,
}

impl Modules {
    fn read(root: &Path) -> Modules {
        let mut all = Vec::new();
        rust_files(root, &mut all);
        let mut files = BTreeMap::new();
        for file in all {
            let relative = file.strip_prefix(root).expect("under the root");
            let mut path: Vec<String> = relative
                .iter()
                .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_owned())
                .collect();
            // `main.rs` beside a `lib.rs` is a crate of its own, a user of the library.
            if relative == Path::new("main.rs") && root.join("lib.rs").is_file() {
                continue;
            }
            if matches!(
                path.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                path.pop();
            }
            files.insert(path, file);
        }
        Modules { files }
    }

    fn deepest(&self, path: &[String]) -> Option<usize> {
        (0..=path.len())
            .rev()
            .find(|depth| self.files.contains_key(&path[..*depth]))
    }

    /// The file that owns `path`'s item: the deepest module file along it, then through that
    /// file's re-export of the next segment, if it re-exports it.
    fn owner(&self, path: &[String], reexports: &BTreeMap<PathBuf, Reexports>) -> Option<PathBuf> {
        let mut path = path.to_vec();
        // At most a few hops: a re-export of a re-export.
        for _ in 0..4 {
            let depth = self.deepest(&path)?;
            let file = &self.files[&path[..depth]];
            let Some(name) = path.get(depth) else {
                return Some(file.clone());
            };
            match reexports.get(file).and_then(|names| names.get(name)) {
                Some(target) if target.as_slice() != &path[..=depth] => {
                    let mut next = target.clone();
                    next.extend(path[depth + 1..].iter().cloned());
                    path = next;
                }
                _ => return Some(file.clone()),
            }
        }
        self.deepest(&path)
            .map(|depth| self.files[&path[..depth]].clone())
    }
}

/// A file's `pub use` names: the name as seen from outside to the full path it stands for.
type Reexports = BTreeMap<String, Vec<String>>;

/// The text of a file without its inline test module and without comments.
fn code_of(file: &Path) -> String {
    let text = fs::read_to_string(file).unwrap_or_default();
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &text[..at],
        None => &text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each `use` tree of a file, expanded to full paths (`a::{b, c::d}` to `a::b`, `a::c::d`), with
/// whether it is a re-export; and the code with the `use` statements taken out.
fn use_paths(code: &str) -> (Vec<(bool, Vec<String>)>, String) {
    let mut found = Vec::new();
    let mut rest_of_code = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let line_start = rest[..at].rfind('\n').map_or(0, |newline| newline + 1);
        let prefix = rest[line_start..at].trim();
        let Some(end) = rest[at..].find(';') else {
            break;
        };
        if !(prefix.is_empty() || prefix.starts_with("pub")) {
            rest_of_code.push_str(&rest[..at + 4]);
            rest = &rest[at + 4..];
            continue;
        }
        let tree = normalise(&rest[at + 4..at + end]);
        rest_of_code.push_str(&rest[..line_start]);
        rest = &rest[at + end + 1..];
        for path in expand(&tree) {
            found.push((prefix.starts_with("pub"), path));
        }
    }
    rest_of_code.push_str(rest);
    (found, rest_of_code)
}

/// A `use` tree on one line, with no space but the one in `as`.
fn normalise(tree: &str) -> String {
    let words: Vec<&str> = tree.split_whitespace().collect();
    let mut text = words.join(" ");
    for token in ["{", "}", ",", "::"] {
        text = text
            .replace(&format!(" {token}"), token)
            .replace(&format!("{token} "), token);
    }
    text
}

fn expand(tree: &str) -> Vec<Vec<String>> {
    let Some(open) = tree.find('{') else {
        let tree = tree.split(" as ").next().unwrap_or(tree);
        return vec![
            tree.split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ];
    };
    let prefix: Vec<String> = tree[..open]
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let inner = &tree[open + 1..tree.len().saturating_sub(1)];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (index, character) in inner.char_indices() {
        match character {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    let mut paths = Vec::new();
    for part in parts.into_iter().filter(|part| !part.is_empty()) {
        for tail in expand(part) {
            let mut path = prefix.clone();
            path.extend(tail.into_iter().filter(|segment| segment != "self"));
            paths.push(path);
        }
    }
    paths
}

/// `crate::a::b` and `super::a` written in code, outside `use` lines.
fn inline_paths(code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for start in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(at) = rest.find(start) {
            let preceded = rest[..at].chars().last();
            let tail: String = rest[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            rest = &rest[at + start.len()..];
            if preceded.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            found.push(
                tail.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            );
        }
    }
    found
}

/// A path as written in `module`, made absolute from the crate root; `None` for another crate's.
fn absolute(
    module: &[String],
    path: &[String],
    children: &BTreeSet<String>,
) -> Option<Vec<String>> {
    let first = path.first()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => {
            let mut base = module.to_vec();
            base.pop();
            let mut tail = &path[1..];
            while tail.first().is_some_and(|segment| segment == "super") {
                base.pop();
                tail = &tail[1..];
            }
            base.extend(tail.iter().cloned());
            return Some(base);
        }
        name if children.contains(name) => {
            let mut base = module.to_vec();
            base.push(name.to_owned());
            base.extend(path[1..].iter().cloned());
            return Some(base);
        }
        _ => return None,
    };
    base.extend(path[1..].iter().cloned());
    Some(base)
}

fn circles_of(root: &Path) -> Vec<Vec<String>> {
    let modules = Modules::read(root);
    let mut reexports: BTreeMap<PathBuf, Reexports> = BTreeMap::new();
    let mut uses: BTreeMap<PathBuf, Vec<Vec<String>>> = BTreeMap::new();
    for (module, file) in &modules.files {
        let code = code_of(file);
        let children: BTreeSet<String> = modules
            .files
            .keys()
            .filter(|other| other.len() == module.len() + 1 && other.starts_with(module))
            .filter_map(|other| other.last().cloned())
            .collect();
        let (used, code) = use_paths(&code);
        let mut paths = Vec::new();
        for (is_reexport, path) in used {
            let Some(full) = absolute(module, &path, &children) else {
                continue;
            };
            // A re-export is a facade, not a use: the module's readers take the name through it.
            if is_reexport {
                if let Some(name) = path.last() {
                    reexports
                        .entry(file.clone())
                        .or_default()
                        .insert(name.clone(), full);
                }
                continue;
            }
            paths.push(full);
        }
        for path in inline_paths(&code) {
            if let Some(full) = absolute(module, &path, &children) {
                paths.push(full);
            }
        }
        uses.insert(file.clone(), paths);
    }
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (file, paths) in &uses {
        for path in paths {
            if let Some(owner) = modules.owner(path, &reexports)
                && &owner != file
            {
                edges.entry(file.clone()).or_default().insert(owner);
            }
        }
    }
    strongly_connected(&edges)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| {
            component
                .iter()
                .map(|file| {
                    file.strip_prefix(root)
                        .unwrap_or(file)
                        .display()
                        .to_string()
                })
                .collect()
        })
        .collect()
}

/// Tarjan's strongly connected components, iteratively over a small graph.
fn strongly_connected(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    let nodes: BTreeSet<&PathBuf> = edges
        .keys()
        .chain(edges.values().flat_map(|targets| targets.iter()))
        .collect();
    let index_of: BTreeMap<&PathBuf, usize> = nodes
        .iter()
        .enumerate()
        .map(|(index, node)| (*node, index))
        .collect();
    let nodes: Vec<&PathBuf> = nodes.into_iter().collect();
    let next: Vec<Vec<usize>> = nodes
        .iter()
        .map(|node| {
            edges.get(*node).map_or_else(Vec::new, |targets| {
                targets.iter().map(|t| index_of[t]).collect()
            })
        })
        .collect();
    // Reachability by repeated search is enough at a few hundred files.
    let reach: Vec<BTreeSet<usize>> = (0..nodes.len())
        .map(|start| {
            let mut seen = BTreeSet::new();
            let mut stack = vec![start];
            while let Some(node) = stack.pop() {
                for &target in &next[node] {
                    if seen.insert(target) {
                        stack.push(target);
                    }
                }
            }
            seen
        })
        .collect();
    let mut placed = vec![false; nodes.len()];
    let mut components = Vec::new();
    for start in 0..nodes.len() {
        if placed[start] {
            continue;
        }
        let component: Vec<usize> = (start..nodes.len())
            .filter(|&other| {
                other == start || reach[start].contains(&other) && reach[other].contains(&start)
            })
            .collect();
        for &member in &component {
            placed[member] = true;
        }
        components.push(
            component
                .into_iter()
                .map(|member| nodes[member].clone())
                .collect(),
        );
    }
    components
}

#[test]
fn no_import_circle_between_files() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"));
    let roots = crate_roots(workspace);
    assert!(
        roots.len() >= 4,
        "the workspace's crates are found: {roots:?}"
    );
    let mut report = Vec::new();
    for root in roots {
        for circle in circles_of(&root) {
            report.push(format!("{}: {}", root.display(), circle.join(" ⇄ ")));
        }
    }
    assert!(report.is_empty(), "import circles:\n{}", report.join("\n"));
}

/// The reader itself: a circle built on purpose is found, through a re-export.
#[test]
fn the_circle_reader_finds_a_circle() {
    let root = std::env::temp_dir().join(format!("meshsim-house-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(root.join("story")).expect("temp folder");
    fs::write(root.join("lib.rs"), "mod story;\nmod charts;\n").expect("write");
    fs::write(
        root.join("story/mod.rs"),
        "mod line;\npub use line::Line;\n",
    )
    .expect("write");
    fs::write(
        root.join("story/line.rs"),
        "use crate::charts::name;\npub struct Line;\n",
    )
    .expect("write");
    fs::write(
        root.join("charts.rs"),
        "use crate::story::Line;\npub fn name() {}\n",
    )
    .expect("write");
    let circles = circles_of(&root);
    fs::write(root.join("charts.rs"), "pub fn name() {}\n").expect("write");
    let none = circles_of(&root);
    let _ = fs::remove_dir_all(&root);
    assert_eq!(
        circles,
        vec![vec!["charts.rs".to_owned(), "story/line.rs".to_owned()]]
    );
    assert!(none.is_empty(), "{none:?}");
}
