//! A scenario with `include` written as one standalone TOML file: `meshsim import`'s output.
//!
//! The scenario's own text is kept as written, comments and all (`toml_edit`); `include` is
//! taken out and every value an included file set is written where the TOML would have said it,
//! with a comment naming the file and line it came from. The result loads to the same scenario,
//! so it runs to the same digest (held by `tests/include_import.rs`).

use std::fmt::Write as _;

use serde::Serialize;
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use super::Included;
use crate::scenario::schema::Scenario;
use crate::scenario::{IncludedValue, PathPart};

/// The standalone text of a scenario read from `source` and its included files.
pub(crate) fn fold(
    source: &str,
    scenario: &Scenario,
    included: &Included,
) -> Result<String, String> {
    let mut document: DocumentMut = source
        .parse()
        .map_err(|error| format!("the scenario is not TOML: {error}"))?;
    if let Some(header) = document
        .get_mut("scenario")
        .and_then(Item::as_table_like_mut)
    {
        header.remove("include");
    }
    for value in &included.values {
        let origin = format!(
            "from {}:{}",
            included.files[value.file_index].label, value.line
        );
        write_value(&mut document, scenario, value, &origin)?;
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Written by `meshsim import` from {} and the files it included:",
        included.scenario
    );
    for file in &included.files {
        let _ = writeln!(text, "#   {}", file.label);
    }
    text.push_str(&document.to_string());
    Ok(text)
}

fn write_value(
    document: &mut DocumentMut,
    scenario: &Scenario,
    value: &IncludedValue,
    origin: &str,
) -> Result<(), String> {
    let parts = value.path.parts();
    match parts {
        [
            PathPart::Key(root),
            PathPart::Index(index),
            PathPart::Key(key),
        ] if root == "service" => {
            let service = &scenario.services[*index];
            let item = match key.as_str() {
                "replicas" => to_item(&service.replicas)?,
                "start_time" => to_item(&service.start_time)?,
                "cores" => to_item(&service.cores)?,
                "autoscale" => to_item(&service.autoscale)?,
                "exposed" => to_item(&service.exposed)?,
                "depends_on" => to_item(&service.depends_on)?,
                "networks" => to_item(&service.networks)?,
                other => return Err(format!("meshsim cannot write service key `{other}`")),
            };
            let table = service_table(document, *index)?;
            set(table, key, item, origin);
        }
        [
            PathPart::Key(root),
            PathPart::Index(index),
            PathPart::Key(versions),
            PathPart::Index(position),
            rest @ ..,
        ] if root == "service" && versions == "version" => {
            let version = &scenario.services[*index].versions[*position];
            let replicas = to_item(&version.replicas)?;
            let table = service_table(document, *index)?;
            let array = table
                .entry("version")
                .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()))
                .as_array_of_tables_mut()
                .ok_or("`version` is not a list of tables")?;
            if rest.is_empty() {
                let mut entry = Table::new();
                entry.insert("name", toml_edit::value(version.name.as_str()));
                set(&mut entry, "replicas", replicas, origin);
                array.push(entry);
            } else if let Some(entry) = array.get_mut(*position) {
                set(entry, "replicas", replicas, origin);
            }
        }
        [PathPart::Key(root), PathPart::Key(name), PathPart::Key(key)] if root == "mesh" => {
            let policy = &scenario.mesh[name.as_str()];
            let wrapped =
                toml::to_string(&Wrapped { policy }).map_err(|error| error.to_string())?;
            let parsed: DocumentMut = wrapped
                .parse()
                .map_err(|error: toml_edit::TomlError| error.to_string())?;
            let Some(item) = parsed.get(key).map(fresh_item) else {
                return Ok(());
            };
            let mesh = document
                .entry("mesh")
                .or_insert_with(implicit_table)
                .as_table_mut()
                .ok_or("`mesh` is not a table")?;
            let table = mesh
                .entry(name)
                .or_insert_with(|| Item::Table(Table::new()))
                .as_table_mut()
                .ok_or("a `[mesh.SERVICE]` is not a table")?;
            set(table, key, item, origin);
        }
        [
            PathPart::Key(root),
            PathPart::Index(index),
            PathPart::Key(key),
        ] if root == "store" && key == "networks" => {
            write_store_networks(document, scenario, *index, origin)?;
        }
        // Each route's own place, for diagnostics: the routes are written with `route`.
        [
            PathPart::Key(root),
            PathPart::Key(_),
            PathPart::Key(key),
            PathPart::Index(_),
        ] if root == "mesh" && key == "route" => {}
        [PathPart::Key(root), PathPart::Index(index)] if root == "rollout" => {
            let rollout = &scenario.rollouts[*index];
            let text = toml::to_string(rollout).map_err(|error| error.to_string())?;
            let parsed: DocumentMut = text
                .parse()
                .map_err(|error: toml_edit::TomlError| error.to_string())?;
            let mut table = fresh(parsed.as_table());
            table.decor_mut().set_prefix(format!("\n# {origin}\n"));
            document
                .entry("rollout")
                .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()))
                .as_array_of_tables_mut()
                .ok_or("`rollout` is not a list of tables")?
                .push(table);
        }
        _ => return Err(format!("meshsim cannot write `{}` yet", value.path)),
    }
    Ok(())
}

/// A store's `networks`, which a Compose service the store stands for set.
fn write_store_networks(
    document: &mut DocumentMut,
    scenario: &Scenario,
    index: usize,
    origin: &str,
) -> Result<(), String> {
    let item = to_item(&scenario.stores[index].networks)?;
    let table = document
        .get_mut("store")
        .and_then(Item::as_array_of_tables_mut)
        .and_then(|stores| stores.get_mut(index))
        .ok_or_else(|| format!("the scenario has no store {index}"))?;
    set(table, "networks", item, origin);
    Ok(())
}

/// `[mesh.NAME]`'s keys as a document of their own, to take one key's item from.
#[derive(Serialize)]
struct Wrapped<'a> {
    #[serde(flatten)]
    policy: &'a crate::scenario::schema::MeshPolicy,
}

fn implicit_table() -> Item {
    let mut table = Table::new();
    table.set_implicit(true);
    Item::Table(table)
}

fn service_table(document: &mut DocumentMut, index: usize) -> Result<&mut Table, String> {
    document
        .get_mut("service")
        .and_then(Item::as_array_of_tables_mut)
        .and_then(|services| services.get_mut(index))
        .ok_or_else(|| format!("the scenario has no service {index}"))
}

/// Sets `key` in `table`, replacing what is there, with a comment naming where it came from.
fn set(table: &mut Table, key: &str, mut item: Item, origin: &str) {
    match &mut item {
        Item::Value(value) => {
            value.decor_mut().set_suffix(format!("  # {origin}"));
        }
        Item::Table(sub) => sub.decor_mut().set_prefix(format!("# {origin}\n")),
        Item::ArrayOfTables(array) => {
            if let Some(first) = array.get_mut(0) {
                first.decor_mut().set_prefix(format!("# {origin}\n"));
            }
        }
        Item::None => return,
    }
    table.insert(key, item);
}

/// `item` rebuilt from scratch, every table below its top as an inline table: parsed from a
/// document of its own, its tables keep that document's positions, which would interleave them
/// with the scenario's own when written.
fn fresh_item(item: &Item) -> Item {
    match item {
        Item::Table(table) => Item::Table(fresh(table)),
        Item::ArrayOfTables(array) => {
            let mut rebuilt = ArrayOfTables::new();
            for table in array {
                rebuilt.push(fresh(table));
            }
            Item::ArrayOfTables(rebuilt)
        }
        other => other.clone(),
    }
}

fn fresh(table: &Table) -> Table {
    let mut rebuilt = Table::new();
    for (key, item) in table {
        rebuilt.insert(key, Item::Value(inline(item)));
    }
    rebuilt
}

fn inline(item: &Item) -> Value {
    match item {
        Item::Value(value) => value.clone(),
        Item::Table(table) => Value::InlineTable(fresh(table).into_inline_table()),
        Item::ArrayOfTables(array) => Value::Array(
            array
                .iter()
                .map(|table| Value::InlineTable(fresh(table).into_inline_table()))
                .collect(),
        ),
        Item::None => Value::from(""),
    }
}

/// A serialisable value as a TOML item.
fn to_item<T: Serialize>(value: &T) -> Result<Item, String> {
    #[derive(Serialize)]
    struct One<'a, T: Serialize> {
        value: &'a T,
    }
    let text = toml::to_string(&One { value }).map_err(|error| error.to_string())?;
    let parsed: DocumentMut = text
        .parse()
        .map_err(|error: toml_edit::TomlError| error.to_string())?;
    let item = parsed.get("value").cloned().unwrap_or(Item::None);
    Ok(match item {
        Item::Table(table) => Item::Value(Value::InlineTable(table.into_inline_table())),
        other => other,
    })
}
