//! The charts of two runs compared: each chart of a run with the other run's series laid over
//! it, the first run's lines solid and dark, the second's dashed and light.

use indexmap::{IndexMap, IndexSet};

use crate::chart::Chart;
use crate::run_data::RunData;

use super::fault_band::{FaultBand, fault_bands};
use super::figure::Figure;
use super::palette::Side;
use super::panel::Panel;
use super::source::Source;
use super::subject::Subject;
use super::{Family, Kind, chart, choose, per_point, subjects_of, x_scale};

/// The charts of two runs overlaid: the first run's lines solid and dark, the second's dashed
/// and light, each labelled with its `&str`. Stacked outcomes are drawn one run above the other.
pub fn compare_charts(a: (&str, &RunData), b: (&str, &RunData)) -> Vec<Chart> {
    let (label_a, label_b) = (a.0, b.0);
    let (source_a, source_b) = (Source::new(a.1), Source::new(b.1));
    let end_s = source_a.timeline.end_s().max(source_b.timeline.end_s());
    let faults = compared_faults((label_a, &source_a), (label_b, &source_b), end_s);
    let mut names = IndexSet::new();
    let mut charts = Vec::new();
    for kind in [Kind::Workload, Kind::Service, Kind::Subscription] {
        let (subjects_a, subjects_b) = (subjects_of(&source_a, kind), subjects_of(&source_b, kind));
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
            let in_a = subjects_a
                .get(name)
                .is_some_and(|subject| (family.eligible)(&source_a, subject));
            let in_b = subjects_b
                .get(name)
                .is_some_and(|subject| (family.eligible)(&source_b, subject));
            in_a || in_b
        };
        for (name, family, note) in choose(kind, requests, &all, eligible) {
            let panels_of = |source: &Source, subjects: &IndexMap<&str, &Subject>| {
                subjects
                    .get(name)
                    .map_or_else(Vec::new, |subject| (family.panels)(source, subject))
            };
            let panels = overlay(
                (label_a, panels_of(&source_a, &subjects_a)),
                (label_b, panels_of(&source_b, &subjects_b)),
            );
            if panels.is_empty() {
                continue;
            }
            let (style_a, style_b) = if panels.iter().any(Panel::stacked) {
                ("above", "below")
            } else {
                ("solid", "dashed")
            };
            let title = format!(
                "{} of {} {name}: {label_a} {style_a}, {label_b} {style_b}{}{note}",
                family.head,
                kind.noun(),
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
            charts.push(chart(&mut names, "compare-", family, name, &figure));
        }
    }
    charts
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
