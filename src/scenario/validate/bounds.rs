//! The bounds of an expectation or a rollout's check: which apply to the metric's kind of value,
//! and whether each is a value of that kind.

use super::checker::{Checker, number};
use crate::scenario::diagnostic::{quote, suggestion};
use crate::scenario::duration::Duration;
use crate::scenario::locate::DocPath;
use crate::scenario::metric::{RolloutOutcome, ValueKind};
use crate::scenario::number::Bound;

/// The bounds of an expectation or a check, by key.
pub(super) struct Bounds<'b> {
    pub(super) min: Option<&'b Bound>,
    pub(super) max: Option<&'b Bound>,
    pub(super) equals: Option<&'b Bound>,
}

impl Checker<'_, '_> {
    pub(super) fn check_bounds(
        &mut self,
        path: &DocPath,
        metric: &str,
        kind: ValueKind,
        bounds: &Bounds<'_>,
        what: &str,
    ) {
        let shown = quote(metric);
        if kind == ValueKind::Text {
            for (key, bound) in [("min", bounds.min), ("max", bounds.max)] {
                if bound.is_some() {
                    self.error_at_key(
                        &path.key(key),
                        format!("`{key}` does not apply to {shown}, a text: use `equals`"),
                    )
                    .set_hint(outcome_hint());
                }
            }
            match bounds.equals {
                None => {
                    self.error(
                        &path.key("equals"),
                        format!("{what} on {shown} needs `equals`"),
                    )
                    .set_hint(outcome_hint());
                }
                Some(Bound::Text(text)) => {
                    if RolloutOutcome::parse(text).is_none() {
                        let names: Vec<&str> = RolloutOutcome::ALL
                            .iter()
                            .map(|outcome| outcome.name())
                            .collect();
                        let hint = suggestion(text, "outcomes", &names).unwrap_or_default();
                        self.error(
                            &path.key("equals"),
                            format!("{} is not a rollout outcome", quote(text)),
                        )
                        .set_hint(hint);
                    }
                }
                Some(Bound::Number(value)) => {
                    self.error(
                        &path.key("equals"),
                        format!(
                            "`equals` of {shown} is a text, not the number {}",
                            number(*value)
                        ),
                    )
                    .set_hint(outcome_hint());
                }
            }
            return;
        }
        if bounds.min.is_none() && bounds.max.is_none() && bounds.equals.is_none() {
            self.error(
                path,
                format!("{what} on {shown} needs a bound: `min`, `max` or both"),
            )
            .set_hint(example_bound(metric, kind));
            return;
        }
        if let Some(equals) = bounds.equals {
            if kind != ValueKind::Count {
                self.error_at_key(
                    &path.key("equals"),
                    format!("`equals` does not apply to {shown}: use `min` and `max`"),
                )
                .set_hint(example_bound(metric, kind));
            } else if bounds.min.is_some() || bounds.max.is_some() {
                self.error_at_key(
                    &path.key("equals"),
                    "give `equals` or `min` and `max`, not both",
                );
            } else {
                self.bound_value(&path.key("equals"), metric, kind, equals);
            }
        }
        let min = bounds
            .min
            .and_then(|bound| self.bound_value(&path.key("min"), metric, kind, bound));
        let max = bounds
            .max
            .and_then(|bound| self.bound_value(&path.key("max"), metric, kind, bound));
        if let (Some((min, min_text)), Some((max, max_text))) = (min, max)
            && min > max
        {
            self.error(
                &path.key("max"),
                format!("`max` {max_text} is below `min` {min_text}: no value can pass"),
            );
        }
    }

    /// The bound as a number in the metric's unit (nanoseconds for durations) and as written.
    fn bound_value(
        &mut self,
        path: &DocPath,
        metric: &str,
        kind: ValueKind,
        bound: &Bound,
    ) -> Option<(f64, String)> {
        let key = path.last_key().to_owned();
        let shown = quote(metric);
        match (kind, bound) {
            (ValueKind::Ratio, Bound::Number(value)) if (0.0..=1.0).contains(value) => {
                Some((*value, number(*value)))
            }
            (ValueKind::Ratio, Bound::Number(value)) => {
                let diagnostic = self.error(
                    path,
                    format!(
                        "`{key}` of {shown} is a ratio from 0 to 1, not {}",
                        number(*value)
                    ),
                );
                if *value > 1.0 && *value <= 100.0 {
                    diagnostic.set_hint(format!(
                        "{shown} is a fraction: write {key} = {} for {}%",
                        number(value / 100.0),
                        number(*value)
                    ));
                }
                None
            }
            (ValueKind::Duration, Bound::Text(text)) => match Duration::parse(text) {
                Ok(duration) => Some((duration.as_nanos() as f64, duration.to_string())),
                Err(error) => {
                    self.error(
                        path,
                        format!("invalid duration for `{key}` of {shown}: {error}"),
                    );
                    None
                }
            },
            (ValueKind::Duration, Bound::Number(value)) => {
                let diagnostic = self.error(
                    path,
                    format!(
                        "`{key}` of {shown} is a duration, not the number {}",
                        number(*value)
                    ),
                );
                if value.is_finite() && *value >= 0.0 {
                    diagnostic.set_hint(format!(
                        "write it as a string with a unit: {key} = \"{}ms\"",
                        number(*value)
                    ));
                }
                None
            }
            (ValueKind::Count, Bound::Number(value)) if value.is_finite() && *value >= 0.0 => {
                Some((*value, number(*value)))
            }
            (ValueKind::Count, Bound::Number(value)) => {
                self.error(
                    path,
                    format!(
                        "`{key}` of {shown} is a count of 0 or more, not {}",
                        number(*value)
                    ),
                );
                None
            }
            (_, Bound::Text(text)) => {
                let diagnostic = self.error(
                    path,
                    format!(
                        "`{key}` of {shown} is {}, not the string {text:?}",
                        kind.describe()
                    ),
                );
                if let Some(percent) = text
                    .strip_suffix('%')
                    .and_then(|number_text| number_text.trim().parse::<f64>().ok())
                {
                    diagnostic.set_hint(format!(
                        "write {key} = {} for {}%",
                        number(percent / 100.0),
                        number(percent)
                    ));
                } else {
                    diagnostic.set_hint(format!(
                        "write it without quotes: {key} = {}",
                        example_number(kind)
                    ));
                }
                None
            }
            (ValueKind::Text, Bound::Number(_)) => None,
        }
    }
}

fn outcome_hint() -> String {
    let names: Vec<String> = RolloutOutcome::ALL
        .iter()
        .map(|outcome| format!("\"{}\"", outcome.name()))
        .collect();
    format!(
        "write equals = {}",
        names.join(", ").replacen(", \"in", " or \"in", 1)
    )
}

fn example_number(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Ratio => "0.99",
        _ => "100",
    }
}

fn example_bound(metric: &str, kind: ValueKind) -> String {
    match kind {
        ValueKind::Ratio => format!("for example min = 0.99: at least 99% for {metric}"),
        ValueKind::Duration => "for example max = \"500ms\"".to_owned(),
        ValueKind::Count => "for example min = 100, or equals = 0".to_owned(),
        ValueKind::Text => outcome_hint(),
    }
}
