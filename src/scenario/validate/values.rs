//! Checks of one value that every section reuses: ranges, counts, names, labels, uniqueness and
//! distributions.

use indexmap::IndexMap;

use super::checker::{Checker, number};
use crate::scenario::diagnostic::quote;
use crate::scenario::duration::Duration;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;

impl Checker<'_, '_> {
    /// A collection (array, or table of entries) at `path` holds at most `max` entries; the
    /// error points at the first entry past the limit where it can.
    pub(super) fn count_limit(&mut self, path: &DocPath, count: usize, max: usize, what: &str) {
        if count > max {
            self.error(
                &path.index(max),
                format!("too many {what}: {count}, the limit is {max}"),
            );
        }
    }

    pub(super) fn probability(&mut self, path: &DocPath, value: f64) {
        if (0.0..=1.0).contains(&value) {
            return;
        }
        let key = path.last_key().to_owned();
        let diagnostic = self.error(
            path,
            format!(
                "`{key}` is a probability from 0 to 1, not {}",
                number(value)
            ),
        );
        if value > 1.0 && value <= 100.0 {
            diagnostic.set_hint(format!(
                "probabilities are fractions: write {key} = {} for {}%",
                number(value / 100.0),
                number(value)
            ));
        }
    }

    pub(super) fn percent(&mut self, path: &DocPath, value: f64) {
        if !(0.0..=100.0).contains(&value) {
            let key = path.last_key().to_owned();
            self.error(
                path,
                format!(
                    "`{key}` is a percentage from 0 to 100, not {}",
                    number(value)
                ),
            );
        }
    }

    /// A percentage that must be above zero to make progress (a step, a maximum weight).
    pub(super) fn positive_percent(&mut self, path: &DocPath, value: f64) {
        if !(value > 0.0 && value <= 100.0) {
            let key = path.last_key().to_owned();
            self.error(
                path,
                format!(
                    "`{key}` is a percentage above 0 and at most 100, not {}",
                    number(value)
                ),
            );
        }
    }

    pub(super) fn positive_duration(&mut self, path: &DocPath, duration: Duration) {
        if duration.is_zero() {
            let key = path.last_key().to_owned();
            self.error(path, format!("`{key}` must be longer than 0s"));
        }
    }

    pub(super) fn whole_at_least(&mut self, path: &DocPath, value: u64, min: u64) {
        if value < min {
            let key = path.last_key().to_owned();
            self.error(path, format!("`{key}` must be at least {min}, not {value}"));
        }
    }

    pub(super) fn whole_at_most(&mut self, path: &DocPath, value: u64, max: u64, why: &str) {
        if value > max {
            let key = path.last_key().to_owned();
            self.error(
                path,
                format!("`{key}` is {value}, above the limit of {max} {why}"),
            );
        }
    }

    /// Names of hosts and versions: they become CSV cells, metric names (`service.NAME.x`, where
    /// a dot would be ambiguous) and instance names (`NAME/0`, where a slash would be).
    pub(super) fn name(&mut self, path: &DocPath, name: &str, what: &str) {
        if name.is_empty() {
            self.error(path, format!("empty {what}"));
            return;
        }
        let length = name.chars().count();
        if length > limits::NAME_CHARS_MAX {
            self.error(
                path,
                format!(
                    "{what} {} is {length} characters long, the limit is {}",
                    quote(name),
                    limits::NAME_CHARS_MAX
                ),
            );
            return;
        }
        if let Some(bad) = name.chars().find(|character| {
            !(character.is_ascii_alphanumeric() || *character == '-' || *character == '_')
        }) {
            let diagnostic = self.error(
                path,
                format!(
                    "invalid {what} {}: only letters, digits, `-` and `_` are allowed",
                    quote(name)
                ),
            );
            let fixed: String = name
                .chars()
                .map(|character| {
                    if character.is_ascii_alphanumeric() || character == '_' {
                        character
                    } else {
                        '-'
                    }
                })
                .collect();
            let why = match bad {
                '/' => " (`/` names an instance, as in `payment/0`)",
                '.' => {
                    " (`.` separates the parts of metric names, as in `service.payment.success_rate`)"
                }
                _ => "",
            };
            diagnostic.set_hint(format!("try {}{why}", quote(&fixed)));
        }
    }

    /// Free-form labels (endpoint, topic and header names): any text but empty, control
    /// characters and very long ones.
    pub(super) fn label(&mut self, path: &DocPath, label: &str, what: &str, chars_max: usize) {
        let length = label.chars().count();
        if label.trim().is_empty() {
            self.error(path, format!("empty {what}"));
        } else if length > chars_max {
            self.error(
                path,
                format!(
                    "{what} {} is {length} characters long, the limit is {chars_max}",
                    quote(label)
                ),
            );
        } else if label.chars().any(char::is_control) {
            self.error(
                path,
                format!("{what} {} holds a control character", quote(label)),
            );
        }
    }

    /// Records `name` as seen at `path`; a second sighting is an error pointing back at the first.
    pub(super) fn unique<'n>(
        &mut self,
        seen: &mut IndexMap<&'n str, DocPath>,
        name: &'n str,
        path: &DocPath,
        what: &str,
    ) {
        if let Some(first) = seen.get(name) {
            let first_line = self.line_of(first);
            let diagnostic = self.error(path, format!("duplicate {what} {}", quote(name)));
            match first_line {
                Some(line) => diagnostic.set_hint(format!(
                    "the first is on line {line}; {what}s must be unique"
                )),
                None => diagnostic.set_hint(format!("{what}s must be unique")),
            };
        } else {
            seen.insert(name, path.clone());
        }
    }
}
