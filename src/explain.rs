//! The text of `meshsim explain FILE [--service S]` (the command is `command::explain`): the
//! effective policy on every caller → callee edge, each value with where it came from (the
//! file's line, or the profile's default and its source), as `istioctl proxy-config` shows a
//! real proxy's; then the known traps in the scenario, and what the mesh's proxies do that no key
//! changes.

use std::fmt::Write as _;

use indexmap::IndexMap;

use crate::call_graph::CallGraph;
use crate::mesh::{self, Effective, Origin, Row};
use crate::profile::Profile;
use crate::scenario::{Resolved, Scenario};

/// The whole explanation; `only` narrows it to the edges into and out of one host.
/// `included` names the files `[scenario] include` read, in order, for values they set.
pub(crate) fn render(
    resolved: Resolved<'_>,
    file: &str,
    included: &[String],
    only: Option<&str>,
) -> String {
    let scenario = resolved.parsed;
    let profile = scenario.profile();
    let graph = CallGraph::of(scenario);
    let policies = effective_policies(resolved);
    let mut text = header(scenario, file, profile);
    let mut sources = Sources {
        cited: Vec::new(),
        included: included.to_vec(),
    };
    for callee in graph.callees() {
        let Some(policy) = policies.get(callee) else {
            continue;
        };
        let callers = graph.callers_of(callee);
        let involved =
            only.is_none_or(|name| name == callee || callers.iter().any(|caller| caller == name));
        if involved {
            text.push_str(&edge_block(file, callee, callers, policy, &mut sources));
        }
    }
    let traps: Vec<_> = mesh::traps(scenario, &policies, &graph)
        .into_iter()
        .filter(|trap| only.is_none_or(|name| trap.involves.iter().any(|each| each == name)))
        .collect();
    text.push_str("traps\n");
    if traps.is_empty() {
        text.push_str("  none found\n");
    }
    for trap in traps {
        let _ = writeln!(
            text,
            "  ! {}: {}\n    hint: {}",
            trap.service, trap.message, trap.hint
        );
    }
    text.push_str(&behaviours(profile, &mut sources));
    text.push_str(&sources.render());
    text
}

/// The sources the defaults were read from, numbered in the order they are first cited.
struct Sources {
    cited: Vec<&'static str>,
    /// The included files, by their place among them.
    included: Vec<String>,
}

impl Sources {
    /// The number of `source`'s note, giving it one if it has none yet.
    fn cite(&mut self, source: &'static str) -> usize {
        if let Some(index) = self.cited.iter().position(|cited| *cited == source) {
            return index + 1;
        }
        self.cited.push(source);
        self.cited.len()
    }

    fn render(&self) -> String {
        let mut text = String::from("\nsources\n");
        for (index, source) in self.cited.iter().enumerate() {
            let _ = writeln!(text, "  [{}] {source}", index + 1);
        }
        text
    }
}

fn header(scenario: &Scenario, file: &str, profile: Profile) -> String {
    let release = profile.release();
    let chosen = if scenario.scenario.mesh.is_some() {
        "[scenario] mesh".to_owned()
    } else {
        "the default; [scenario] mesh = \"linkerd\" or \"envoy\" sets another".to_owned()
    };
    format!(
        "meshsim explain {file}\nmesh: {} {} ({chosen})\n  defaults read from {}\n  proxy: {}\n\n",
        profile.name(),
        release.version,
        release.source,
        release.proxy
    )
}

/// Every service's, store's and broker's effective policy by name, as the checker resolved
/// them (with the file's lines), services first, then stores, then brokers.
fn effective_policies(resolved: Resolved<'_>) -> IndexMap<String, Effective> {
    let policies = &resolved.resolution.policies;
    let services = resolved
        .services
        .iter()
        .map(|service| &service.name)
        .zip(&policies.services);
    let stores = resolved
        .stores
        .iter()
        .map(|store| &store.name)
        .zip(&policies.stores);
    let brokers = resolved
        .brokers
        .iter()
        .map(|broker| &broker.name)
        .zip(&policies.brokers);
    services
        .chain(stores)
        .chain(brokers)
        .map(|(name, policy)| (name.clone(), policy.clone()))
        .collect()
}

fn edge_block(
    file: &str,
    callee: &str,
    callers: &[String],
    policy: &Effective,
    sources: &mut Sources,
) -> String {
    let kind = if policy.tcp { " (TCP)" } else { "" };
    let mut text = format!("{} → {callee}{kind}\n", callers.join(", "));
    let rows: Vec<Row> = mesh::rows(policy)
        .into_iter()
        .filter(|row| !policy.tcp || row.origin_is_file() || TCP_ROWS.contains(&row.key.as_str()))
        .collect();
    let key_width = rows.iter().map(|row| row.key.len()).max().unwrap_or(0);
    let value_width = rows
        .iter()
        .map(|row| row.value.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    for row in rows {
        let _ = writeln!(
            text,
            "  {:key_width$}  {:value_width$}  {}",
            row.key,
            row.value,
            origin_text(file, &row, sources)
        );
    }
    text.push('\n');
    text
}

/// What a TCP client's call shows besides what the file sets: the mesh's HTTP policies do not
/// apply to it.
const TCP_ROWS: [&str; 3] = ["timeout", "retries", "connection_pool.max_connections"];

/// Where a value came from, as a person reads it; a default cites its source's note.
fn origin_text(file: &str, row: &Row, sources: &mut Sources) -> String {
    match row.origin {
        Origin::File { line: Some(line) } => format!("{file}:{line}"),
        Origin::File { line: None } => file.to_owned(),
        Origin::Included { file: index, line } => format!(
            "{}:{line}",
            sources
                .included
                .get(index)
                .map_or("an included file", String::as_str)
        ),
        Origin::Default(spec) => format!("default [{}]", sources.cite(spec.source)),
        Origin::Section(spec) => format!(
            "default without `{}` [{}]",
            spec.key,
            sources.cite(spec.source)
        ),
        Origin::Derived(reason) => reason.to_owned(),
    }
}

fn behaviours(profile: Profile, sources: &mut Sources) -> String {
    let release = profile.release();
    let mut text = format!(
        "\nwhat {} {}'s proxies do that no key changes\n",
        release.product, release.version
    );
    let width = profile
        .behaviours()
        .iter()
        .map(|spec| spec.key.len())
        .max()
        .unwrap_or(0);
    for spec in profile.behaviours() {
        let _ = writeln!(
            text,
            "  {:width$}  {} [{}]",
            spec.key,
            spec.default,
            sources.cite(spec.source)
        );
    }
    text
}
