//! The charts of two runs compared: each chart of a run with the other run's series laid over
//! it, the first run's lines solid and dark, the second's dashed and light.
//!
//! Only what tells the runs apart is drawn: every workload, and the services and subscriptions
//! whose key figures differ (`compare::alike_subjects` names the rest), without the panels where
//! both runs stayed at zero. A subject only one run has is drawn from that run alone, and its
//! title says whose it is.

use indexmap::{IndexMap, IndexSet};

use crate::chart::Chart;
use crate::compare::{alike_subjects, differences};
use crate::run_data::RunData;
use crate::run_data_error::RunDataError;

use super::fault_band::{FaultBand, fault_bands};
use super::figure::Figure;
use super::palette::Side;
use super::panel::Panel;
use super::series::Series;
use super::source::Source;
use super::subject::Subject;
use super::{Choice, Family, KINDS, Kind, chart, choose, drawn, per_point, subjects_of, x_scale};

/// The charts of two runs overlaid, each run labelled with its `&str`. Stacked outcomes are
/// drawn one run above the other.
pub fn compare_charts(
    a: (&str, &RunData),
    b: (&str, &RunData),
) -> Result<Vec<Chart>, RunDataError> {
    let (label_a, label_b) = (a.0, b.0);
    // Which subjects to draw is decided from both runs' totals; only their rows are read.
    let alike = alike_subjects(a.1, b.1, &differences(a.1, b.1));
    let (outline_a, outline_b) = (Source::new(a.1, &[]), Source::new(b.1, &[]));
    let chosen: Vec<(Kind, Vec<Choice>)> = KINDS
        .into_iter()
        .map(|kind| {
            (
                kind,
                compared_choice(kind, (&outline_a, &outline_b), &alike),
            )
        })
        .collect();
    let (rows_a, rows_b) = (
        a.1.metrics.rows(drawn(&chosen))?,
        b.1.metrics.rows(drawn(&chosen))?,
    );
    let (source_a, source_b) = (Source::new(a.1, &rows_a), Source::new(b.1, &rows_b));
    let end_s = source_a.timeline.end_s().max(source_b.timeline.end_s());
    let faults = compared_faults((label_a, &source_a), (label_b, &source_b), end_s);
    let mut names = IndexSet::new();
    let mut charts = Vec::new();
    for (kind, chosen) in chosen {
        let (subjects_a, subjects_b) = (subjects_of(&source_a, kind), subjects_of(&source_b, kind));
        for (name, family, note) in chosen {
            let panels_of = |source: &Source, subjects: &IndexMap<&str, &Subject>| {
                subjects
                    .get(name)
                    .map_or_else(Vec::new, |subject| (family.panels)(source, subject))
            };
            let (panels_a, panels_b) = (
                panels_of(&source_a, &subjects_a),
                panels_of(&source_b, &subjects_b),
            );
            let sides = Sides {
                labels: (label_a, label_b),
                drawn: (!panels_a.is_empty(), !panels_b.is_empty()),
                present: (subjects_a.contains_key(name), subjects_b.contains_key(name)),
            };
            let mut panels = overlay((label_a, panels_a), (label_b, panels_b));
            // A panel where both runs stayed at zero (no errors, no queue) tells them not apart.
            panels.retain(|panel| !panel.series.iter().all(Series::is_zero));
            if panels.is_empty() {
                continue;
            }
            let stacked = panels.iter().any(Panel::stacked);
            let title = format!(
                "{} of {} {name}: {}{}{note}",
                family.head,
                kind.noun(),
                sides.describe(stacked),
                per_point(family, &[&source_a, &source_b]),
            );
            let figure = Figure {
                title,
                x: x_scale(family, end_s),
                panels,
                faults: if family.over_time {
                    faults.clone()
                } else {
                    Vec::new()
                },
                marks: Vec::new(),
            };
            // Stacked areas are drawn a little see-through, with the fault windows' edges over
            // them (see `figure`), so the shading shows through on both runs' stacks.
            charts.push(chart(&mut names, "compare-", family, name, &figure));
        }
    }
    Ok(charts)
}

/// The charts of one kind to draw for two runs: the busiest subjects of both together, each
/// eligible in either run, and not among those whose key figures are alike.
fn compared_choice<'n>(
    kind: Kind,
    (outline_a, outline_b): (&Source<'n>, &Source<'n>),
    alike: &[(&str, String)],
) -> Vec<Choice<'n>> {
    let (subjects_a, subjects_b) = (subjects_of(outline_a, kind), subjects_of(outline_b, kind));
    let mut all: Vec<&str> = subjects_a.keys().copied().collect();
    all.extend(
        subjects_b
            .keys()
            .filter(|name| !subjects_a.contains_key(*name)),
    );
    let requests = |name: &str| {
        let count = |subjects: &IndexMap<&str, &Subject>| {
            subjects.get(name).map_or(0, |subject| subject.requests)
        };
        count(&subjects_a) + count(&subjects_b)
    };
    let eligible = |family: &Family, name: &str| {
        let is_alike = alike
            .iter()
            .any(|(noun, alike)| *noun == kind.noun() && alike == name);
        let in_a = subjects_a
            .get(name)
            .is_some_and(|subject| (family.eligible)(outline_a, subject));
        let in_b = subjects_b
            .get(name)
            .is_some_and(|subject| (family.eligible)(outline_b, subject));
        !is_alike && (in_a || in_b)
    };
    choose(kind, requests, &all, eligible)
}

/// Which of the two runs a chart shows, for its title.
struct Sides<'l> {
    labels: (&'l str, &'l str),
    /// Whether each run has anything to draw in the chart.
    drawn: (bool, bool),
    /// Whether each run has the chart's subject at all.
    present: (bool, bool),
}

impl Sides<'_> {
    /// `shop-sync solid, shop-async dashed`; for a chart of one run only, that run alone with
    /// why the other is not in it, so no label names a run the chart does not show.
    fn describe(&self, stacked: bool) -> String {
        let (label_a, label_b) = self.labels;
        let (style_a, style_b) = if stacked {
            ("above", "below")
        } else {
            ("solid", "dashed")
        };
        let lone = |label: &str, style: &str, other: &str, other_present: bool| {
            let style = if stacked {
                String::new()
            } else {
                format!(" ({style})")
            };
            if other_present {
                format!("{label}{style}; nothing to draw for {other}")
            } else {
                format!("only {label} has it{style}")
            }
        };
        match self.drawn {
            (true, false) => lone(label_a, style_a, label_b, self.present.1),
            (false, true) => lone(label_b, style_b, label_a, self.present.0),
            _ => format!("{label_a} {style_a}, {label_b} {style_b}"),
        }
    }
}

/// The fault bands of two runs: once when they had the same faults, else each run's, named.
fn compared_faults(a: (&str, &Source), b: (&str, &Source), end_s: f64) -> Vec<FaultBand> {
    let (faults_a, faults_b) = (&a.1.run.summary.faults, &b.1.run.summary.faults);
    if faults_a == faults_b {
        return fault_bands(faults_a, end_s, "", false);
    }
    let mut bands = fault_bands(faults_a, end_s, &format!("{}: ", a.0), false);
    bands.extend(fault_bands(faults_b, end_s, &format!("{}: ", b.0), true));
    bands
}

/// Two runs' panels as one chart's: panels with the same axis share it, the first run's series
/// first. Stacked panels, and panels only one run has, are shown one above the other; stacked
/// ones on the same scale.
fn overlay(a: (&str, Vec<Panel>), b: (&str, Vec<Panel>)) -> Vec<Panel> {
    let tag = |(label, panels): (&str, Vec<Panel>), side: Side| -> Vec<Panel> {
        panels
            .into_iter()
            .map(|mut panel| {
                let stacked = panel.stacked();
                for series in &mut panel.series {
                    series.side = side;
                    // A stack's legend has the run's name as its caption instead.
                    if !stacked {
                        series.label = format!("{label}: {}", series.label);
                    }
                }
                if stacked {
                    panel.caption = Some(label.to_owned());
                }
                panel
            })
            .collect()
    };
    let mut panels = tag(a, Side::First);
    for panel in tag(b, Side::Second) {
        let same = |mine: &&mut Panel| mine.label == panel.label && mine.scale == panel.scale;
        match panels.iter_mut().find(same) {
            Some(mine) if panel.stacked() => {
                let highest = mine.highest().max(panel.highest());
                mine.highest_at_least = highest;
                let mut panel = panel;
                panel.highest_at_least = highest;
                panels.push(panel);
            }
            Some(mine) => mine.series.extend(panel.series),
            None => panels.push(panel),
        }
    }
    panels
}
