//! A scenario's fault timeline as values, and the scenario text written back with another one.
//!
//! `meshsim shrink` edits the timeline of a failing scenario and needs each candidate as a file
//! that keeps the user's comments and layout; a property test that draws random timelines needs
//! the failing one as a file `meshsim run` replays. Both go through
//! [`write_scenario_with_faults`], which edits the text with `toml_edit`: every part of the file
//! but its `[[fault]]` tables stays byte for byte as it was.

use std::fmt::Write as _;

use toml_edit::{ArrayOfTables, DocumentMut, Item, RawString, Table, Value};

use crate::scenario::schema::{Fault, FaultKind};
use crate::scenario::{Duration, Scenario};

/// One fault of a timeline, and where it came from.
#[derive(Debug, Clone)]
pub struct FaultSpec {
    /// The `[[fault]]` table of the original text this fault was edited from (0-based), whose
    /// comments and layout the written file keeps; `None` writes a new table.
    pub origin: Option<usize>,
    pub fault: Fault,
}

impl FaultSpec {
    /// A fault of no table in the original text: it is written as a new `[[fault]]` table.
    pub fn new(fault: Fault) -> Self {
        FaultSpec {
            origin: None,
            fault,
        }
    }

    /// The scenario's faults, each tied to its own table.
    pub fn timeline_of(scenario: &Scenario) -> Vec<FaultSpec> {
        scenario
            .faults
            .iter()
            .enumerate()
            .map(|(index, fault)| FaultSpec {
                origin: Some(index),
                fault: fault.clone(),
            })
            .collect()
    }

    /// The key that says how long the fault lasts: a crash lasts until its restart.
    pub fn length_key(&self) -> &'static str {
        match self.fault.kind {
            FaultKind::Crash => "restart_after",
            _ => "duration",
        }
    }

    /// How long the fault lasts; `None` to the end of the run.
    pub fn length(&self) -> Option<Duration> {
        match self.fault.kind {
            FaultKind::Crash => self.fault.restart_after,
            _ => self.fault.duration,
        }
    }

    /// The fault with another length (`None`: to the end of the run).
    #[must_use]
    pub fn with_length(&self, length: Option<Duration>) -> FaultSpec {
        let mut spec = self.clone();
        match spec.fault.kind {
            FaultKind::Crash => spec.fault.restart_after = length,
            _ => spec.fault.duration = length,
        }
        spec
    }

    /// The fault starting at another time.
    #[must_use]
    pub fn with_start(&self, at: Duration) -> FaultSpec {
        let mut spec = self.clone();
        spec.fault.at = at;
        spec
    }

    /// What the fault acts on: `a<->b`, `a->b` (one-way), a target, or `everywhere`.
    pub fn subject(&self) -> String {
        let fault = &self.fault;
        match (fault.kind, fault.between.as_deref()) {
            (FaultKind::PartitionOneway, Some([from, to])) => format!("{from}->{to}"),
            (_, Some([a, b])) => format!("{a}<->{b}"),
            _ => fault
                .target
                .clone()
                .unwrap_or_else(|| "everywhere".to_owned()),
        }
    }

    /// A short name: `latency storm-front<->storm-back at 20s`.
    pub fn label(&self) -> String {
        format!(
            "{} {} at {}",
            self.fault.kind.name(),
            self.subject(),
            spell(self.fault.at)
        )
    }

    /// The whole fault in words: `crash payments/0 at 10s, restart after 40s`.
    pub fn describe(&self) -> String {
        let fault = &self.fault;
        let mut text = self.label();
        let lasts = match (fault.kind, self.length()) {
            (FaultKind::Crash, Some(after)) => format!(", restart after {}", spell(after)),
            (FaultKind::Crash, None) => ", never restarts".to_owned(),
            (_, Some(duration)) => format!(" for {}", spell(duration)),
            (_, None) => " to the end".to_owned(),
        };
        text.push_str(&lasts);
        if let Some(add) = fault.add {
            let _ = write!(text, ", +{}", spell(add));
        }
        if let Some(loss) = fault.loss {
            let _ = write!(text, ", loss {}", loss.get());
        }
        text
    }
}

/// A duration as a file would say it: `30s`, `2m`, `1.5s`, `250ms`. Meshsim's own spelling
/// (the largest unit that divides it) except that a whole number of milliseconds over a second
/// is written in seconds with decimals, so a halved `3s` reads `1.5s` rather than `1500ms`.
pub(crate) fn spell(duration: Duration) -> String {
    const SECOND: u64 = 1_000_000_000;
    const MILLI: u64 = 1_000_000;
    let nanos = duration.as_nanos();
    if nanos > SECOND && !nanos.is_multiple_of(SECOND) && nanos.is_multiple_of(MILLI) {
        let millis = format!("{:03}", (nanos % SECOND) / MILLI);
        return format!("{}.{}s", nanos / SECOND, millis.trim_end_matches('0'));
    }
    duration.to_string()
}

/// Why a timeline could not be written into a scenario's text.
#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    #[error("the scenario is not valid TOML: {0}")]
    Toml(#[from] toml_edit::TomlError),
    #[error("`fault` is not a list of [[fault]] tables")]
    NotTables,
    #[error("fault {0} has no [[fault]] table in the scenario")]
    NoSuchFault(usize),
}

/// Writes `original_text` with `faults` as its fault timeline, in that order. A fault with an
/// `origin` reuses that `[[fault]]` table of the original text, changing only the keys whose
/// values differ, so its comments stay but those of a changed key; one without is written as a
/// new table. Everything else
/// in the text is kept as it was; with no faults, the `[[fault]]` tables are gone.
///
/// The text is not validated: load the result with [`crate::scenario::load_str`] to know
/// whether it is a scenario.
pub fn write_scenario_with_faults(
    original_text: &str,
    faults: &[FaultSpec],
) -> Result<String, TimelineError> {
    let mut document: DocumentMut = original_text.parse()?;
    let originals: Vec<Table> = match document.remove("fault") {
        None => Vec::new(),
        Some(item) => item
            .into_array_of_tables()
            .map_err(|_| TimelineError::NotTables)?
            .into_iter()
            .collect(),
    };
    if faults.is_empty() {
        return Ok(document.to_string());
    }
    let mut tables = ArrayOfTables::new();
    for spec in faults {
        let table = match spec.origin {
            Some(index) => {
                let mut table = originals
                    .get(index)
                    .ok_or(TimelineError::NoSuchFault(index))?
                    .clone();
                update_table(&mut table, &spec.fault);
                table
            }
            None => new_table(&spec.fault),
        };
        tables.push(table);
    }
    document.insert("fault", Item::ArrayOfTables(tables));
    Ok(document.to_string())
}

/// Each key of a fault with its value as the file writes it; `None` when the fault has none.
fn fault_values(fault: &Fault) -> [(&'static str, Option<Value>); 8] {
    let duration = |value: Option<Duration>| value.map(|d| Value::from(spell(d)));
    let between = fault
        .between
        .as_ref()
        .map(|names| Value::Array(names.iter().map(String::as_str).collect()));
    [
        ("at", duration(Some(fault.at))),
        ("kind", Some(Value::from(fault.kind.name()))),
        ("between", between),
        ("target", fault.target.as_deref().map(Value::from)),
        ("duration", duration(fault.duration)),
        ("restart_after", duration(fault.restart_after)),
        ("add", duration(fault.add)),
        ("loss", fault.loss.map(|loss| Value::from(loss.get()))),
    ]
}

/// A new `[[fault]]` table, its keys in the order the format reference lists them.
fn new_table(fault: &Fault) -> Table {
    let mut table = Table::new();
    for (key, value) in fault_values(fault) {
        if let Some(value) = value {
            table.insert(key, Item::Value(value));
        }
    }
    table
}

/// Sets the keys of `table` whose values differ from `fault`'s and removes the keys the fault
/// does not have. A changed key loses its comments, the one after its value and the lines right
/// above it: they were about the old value (`restart_after = "40s"   # a slow restart` is no
/// longer slow at 600ms). The table's other comments stay.
fn update_table(table: &mut Table, fault: &Fault) {
    for (key, wanted) in fault_values(fault) {
        let Some(wanted) = wanted else {
            table.remove(key);
            continue;
        };
        match table.get_mut(key).and_then(Item::as_value_mut) {
            Some(present) if same_value(present, &wanted) => {}
            Some(present) => {
                let spacing = present.decor().prefix().cloned();
                *present = wanted;
                if let Some(spacing) = spacing {
                    present.decor_mut().set_prefix(spacing);
                }
                drop_comment_above(table, key);
            }
            None => {
                table.insert(key, Item::Value(wanted));
            }
        }
    }
}

/// Removes the comment lines right above `key` in `table`, up to a blank line; the blank lines
/// and the comments above those stay.
fn drop_comment_above(table: &mut Table, key: &str) {
    let Some(mut key) = table.key_mut(key) else {
        return;
    };
    let decor = key.leaf_decor_mut();
    let Some(prefix) = decor.prefix().and_then(RawString::as_str) else {
        return;
    };
    let kept = without_last_comment_lines(prefix);
    decor.set_prefix(kept);
}

/// `prefix` (what is written before a key) without the comment lines that end it:
/// `"\n# old\n# older\n"` gives `"\n"`; the key's own indentation stays.
fn without_last_comment_lines(prefix: &str) -> String {
    let mut lines: Vec<&str> = prefix.split_inclusive('\n').collect();
    let indentation = match lines.last() {
        Some(last) if !last.ends_with('\n') => lines.pop(),
        _ => None,
    };
    while lines
        .last()
        .is_some_and(|line| line.trim_start().starts_with('#'))
    {
        lines.pop();
    }
    lines.concat() + indentation.unwrap_or_default()
}

/// Whether two values mean the same: `"60s"` and `"1m"` do, as do `1` and `1.0`.
fn same_value(present: &Value, wanted: &Value) -> bool {
    match (present, wanted) {
        (Value::String(a), Value::String(b)) => {
            a.value() == b.value()
                || matches!(
                    (Duration::parse(a.value()), Duration::parse(b.value())),
                    (Ok(x), Ok(y)) if x == y
                )
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| same_value(x, y))
        }
        _ => number(present).is_some() && number(present) == number(wanted),
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(integer) => Some(*integer.value() as f64),
        Value::Float(float) => Some(*float.value()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{FaultSpec, spell, write_scenario_with_faults};
    use crate::scenario::{Duration, load_str};

    const TEXT: &str = r#"# A comment at the top.
[scenario]
name = "t"
duration = "60s"

[[service]]
name = "a"
exposed = true

[[service]]
name = "b"

# The crash that matters.
[[fault]]
at = "10s"
kind = "crash"
target = "b"
restart_after = "40s"   # long

# Noise.
[[fault]]
# Late in the run.
at = "5s"
kind = "latency"
# The kind stays, and so does this.
between = ["a", "b"]
add = "5ms"
duration = "1m"

# The end.
[[expect]]
metric = "success_rate"
min = 0.99
"#;

    fn timeline() -> Vec<FaultSpec> {
        FaultSpec::timeline_of(load_str("t.toml", TEXT).unwrap().scenario())
    }

    #[test]
    fn the_same_timeline_writes_the_same_bytes() {
        assert_eq!(write_scenario_with_faults(TEXT, &timeline()).unwrap(), TEXT);
    }

    #[test]
    fn a_removed_fault_takes_its_comment_and_the_rest_stays() {
        let kept = &timeline()[1..];
        let text = write_scenario_with_faults(TEXT, kept).unwrap();
        assert!(!text.contains("The crash that matters"), "{text}");
        assert!(
            text.contains("# Noise.\n[[fault]]\n# Late in the run.\nat = \"5s\""),
            "{text}"
        );
        assert!(text.contains("# The end.\n[[expect]]"), "{text}");
        assert!(
            text.starts_with("# A comment at the top.\n[scenario]"),
            "{text}"
        );
        load_str("t.toml", &text).unwrap();
    }

    /// Issue 16: a comment about a value that changed would now say something false.
    #[test]
    fn a_changed_value_loses_its_comments_and_the_rest_stay() {
        let mut faults = timeline();
        faults[0] = faults[0].with_length(Some(Duration::from_millis(2500)));
        faults[1] = faults[1].with_start(Duration::from_secs(20));
        let text = write_scenario_with_faults(TEXT, &faults).unwrap();
        assert!(text.contains("restart_after = \"2.5s\"\n"), "{text}");
        assert!(!text.contains("# long"), "{text}");
        assert!(!text.contains("# Late"), "{text}");
        assert!(
            text.contains("# Noise.\n[[fault]]\nat = \"20s\"\n"),
            "{text}"
        );
        assert!(text.contains("kind = \"latency\"\n# The kind"), "{text}");
        assert!(
            text.contains("# The crash that matters.\n[[fault]]"),
            "{text}"
        );
        // `1m` is the same as the `60s` spelling: untouched.
        assert!(text.contains("duration = \"1m\""), "{text}");
        let loaded = load_str("t.toml", &text).unwrap();
        assert_eq!(
            loaded.scenario().faults[0].restart_after,
            Some(Duration::from_millis(2500))
        );
    }

    #[test]
    fn new_faults_are_written_as_tables() {
        let base = write_scenario_with_faults(TEXT, &[]).unwrap();
        assert!(!base.contains("[[fault]]"), "{base}");
        let faults: Vec<FaultSpec> = timeline()
            .into_iter()
            .rev()
            .map(|spec| FaultSpec::new(spec.fault))
            .collect();
        let text = write_scenario_with_faults(&base, &faults).unwrap();
        let loaded = load_str("t.toml", &text).unwrap();
        assert_eq!(loaded.scenario().faults.len(), 2);
        assert_eq!(
            loaded.scenario().faults[0].add,
            Some(Duration::from_millis(5))
        );
        assert_eq!(loaded.scenario().faults[1].target.as_deref(), Some("b"));
    }

    #[test]
    fn spelled_durations_read_back_exactly() {
        for millis in [
            1, 250, 999, 1000, 1001, 1500, 1875, 3700, 60_000, 90_500, 125_125,
        ] {
            let duration = Duration::from_millis(millis);
            assert_eq!(Duration::parse(&spell(duration)), Ok(duration), "{millis}");
        }
        assert_eq!(spell(Duration::from_millis(1500)), "1.5s");
        assert_eq!(spell(Duration::from_secs(30)), "30s");
        assert_eq!(spell(Duration::from_millis(250)), "250ms");
    }
}
