//! The charts of a run, or of two runs compared, as SVG documents drawn with plotters.
//!
//! For each workload: latency (p50, p99), throughput and errors, outcomes stacked, and the
//! latency distribution. For each service: latency per version, throughput and errors (with the
//! mesh's retries), queues and in flight, the circuit breaker and ejections (only where a breaker
//! left `closed` or an instance was ejected), and route weights (only with several versions).
//! Time series shade and label the scenario's fault windows.
//!
//! A run may have hundreds of services: each family charts at most the [`BUSIEST_MAX`] busiest
//! (most requests over the run) of the subjects it applies to, and says so in the title of each
//! chart it draws. A chart that would be empty is left out.
//!
//! The same run gives the same bytes on every machine: subjects and series are iterated in the
//! order of the files, ticks and layout are computed with pure arithmetic, and text is left to
//! the viewer's sans-serif font (see `figure`).

mod axis;
mod capacity;
mod circuit;
mod compare;
mod event_mark;
pub(crate) use event_mark::EventMark;
mod fault_band;
mod figure;
mod latency;
mod latency_cdf;
mod marks;
mod outcomes;
mod palette;
mod panel;
mod queue;
mod route_weights;
mod series;
mod source;
mod subject;
mod subscription;
mod sweep;
mod throughput;
mod timeline;

use indexmap::IndexSet;

pub use compare::compare_charts;
pub use sweep::sweep_charts;

use crate::chart::Chart;
use crate::metrics_row::RowKind;
use crate::run_data::RunData;
use crate::run_data_error::RunDataError;

use fault_band::fault_bands;
use figure::{Figure, XScale};
use panel::Panel;
use source::Source;
use subject::Subject;

/// Subjects charted per family at most: a dozen charts of a kind is what a person reads through;
/// beyond, the summary table has the figures.
pub const BUSIEST_MAX: usize = 12;

/// Whose charts a family draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Workload,
    Service,
    Subscription,
}

/// The kinds, in the order their charts are listed.
const KINDS: [Kind; 3] = [Kind::Workload, Kind::Service, Kind::Subscription];

/// A chart to draw: its subject, its family, and its title's note.
type Choice<'n> = (&'n str, &'static Family, String);

impl Kind {
    fn of(row_kind: RowKind) -> Kind {
        match row_kind {
            RowKind::Workload => Kind::Workload,
            RowKind::Service => Kind::Service,
            RowKind::Subscription => Kind::Subscription,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Workload => "workload",
            Kind::Service => "service",
            Kind::Subscription => "subscription",
        }
    }
}

/// One kind of chart.
struct Family {
    /// The file name's first part.
    slug: &'static str,
    kind: Kind,
    /// The title's start and its end: "Latency of service payment: p50 and p99".
    head: &'static str,
    detail: &'static str,
    /// Whether it is a time series (or a distribution over the run).
    over_time: bool,
    /// Whether its figures are read at the end of each interval rather than counted over it.
    sampled: bool,
    /// Whether merged intervals keep their highest figure (percentiles, samples) rather than
    /// add up (counts, which become rates over the merged span).
    peaks: bool,
    eligible: fn(&Source, &Subject) -> bool,
    panels: fn(&Source, &Subject) -> Vec<Panel>,
}

fn always(_source: &Source, _subject: &Subject) -> bool {
    true
}

/// The families, in the order a subject's charts are listed.
const FAMILIES: [Family; 11] = [
    Family {
        slug: "latency",
        kind: Kind::Workload,
        head: "Latency",
        detail: "p50 and p99",
        over_time: true,
        sampled: false,
        peaks: true,
        eligible: always,
        panels: latency::panels,
    },
    Family {
        slug: "throughput",
        kind: Kind::Workload,
        head: "Throughput and errors",
        detail: "requests/s and errors",
        over_time: true,
        sampled: false,
        peaks: false,
        eligible: always,
        panels: throughput::workload_panels,
    },
    Family {
        slug: "outcomes",
        kind: Kind::Workload,
        head: "Outcomes",
        detail: "completed requests/s, stacked",
        over_time: true,
        sampled: false,
        peaks: false,
        eligible: always,
        panels: outcomes::panels,
    },
    Family {
        slug: "latency-cdf",
        kind: Kind::Workload,
        head: "Latency distribution",
        detail: "whole run",
        over_time: false,
        sampled: false,
        peaks: false,
        eligible: always,
        panels: latency_cdf::panels,
    },
    Family {
        slug: "latency",
        kind: Kind::Service,
        head: "Latency",
        detail: "p50 and p99",
        over_time: true,
        sampled: false,
        peaks: true,
        eligible: always,
        panels: latency::panels,
    },
    Family {
        slug: "throughput",
        kind: Kind::Service,
        head: "Throughput and errors",
        detail: "requests/s and errors",
        over_time: true,
        sampled: false,
        peaks: false,
        eligible: always,
        panels: throughput::service_panels,
    },
    Family {
        slug: "queue",
        kind: Kind::Service,
        head: "Queues",
        detail: "waiting and in flight",
        over_time: true,
        sampled: true,
        peaks: true,
        eligible: always,
        panels: queue::panels,
    },
    Family {
        slug: "capacity",
        kind: Kind::Service,
        head: "Capacity",
        detail: "instances and CPU used",
        over_time: true,
        sampled: true,
        peaks: true,
        eligible: capacity::eligible,
        panels: capacity::panels,
    },
    Family {
        slug: "circuit",
        kind: Kind::Service,
        head: "Circuit breaker and ejections",
        detail: "breaker state and ejected instances",
        over_time: true,
        sampled: true,
        peaks: true,
        eligible: circuit::eligible,
        panels: circuit::panels,
    },
    Family {
        slug: "route-weights",
        kind: Kind::Service,
        head: "Route weights",
        detail: "weight, share answered and success, per version",
        over_time: true,
        sampled: false,
        peaks: false,
        eligible: route_weights::eligible,
        panels: route_weights::panels,
    },
    Family {
        slug: "broker",
        kind: Kind::Subscription,
        head: "Messages",
        detail: "rates, backlog and consumer lag",
        over_time: true,
        sampled: true,
        peaks: true,
        eligible: always,
        panels: subscription::panels,
    },
];

/// Every chart of one run. The subjects to draw are chosen from their totals, and only their
/// rows are read from `metrics.csv`.
pub fn run_charts(run: &RunData) -> Result<Vec<Chart>, RunDataError> {
    let outline = Source::new(run, &[]);
    let chosen: Vec<(Kind, Vec<Choice>)> = KINDS
        .into_iter()
        .map(|kind| {
            let subjects = subjects_of(&outline, kind);
            let names_in_file: Vec<&str> = subjects.keys().copied().collect();
            let requests = |name: &str| subjects.get(name).map_or(0, |subject| subject.requests);
            let eligible = |family: &Family, name: &str| {
                subjects
                    .get(name)
                    .is_some_and(|subject| (family.eligible)(&outline, subject))
            };
            (kind, choose(kind, requests, &names_in_file, eligible))
        })
        .collect();
    let rows = run.metrics.rows(drawn(&chosen))?;
    let source = Source::new(run, &rows);
    let faults = fault_bands(&run.summary.faults, source.timeline.end_s(), "", false);
    let actions = crate::story::Action::all(&run.events);
    let mut names = IndexSet::new();
    let mut charts = Vec::new();
    for (kind, chosen) in chosen {
        let subjects = subjects_of(&source, kind);
        for (name, family, note) in chosen {
            let subject = &subjects[name];
            let panels = (family.panels)(&source, subject);
            if panels.is_empty() {
                continue;
            }
            let title = format!(
                "{} of {} {name}: {}{}{note}",
                family.head,
                kind.noun(),
                family.detail,
                per_point(family, &[&source]),
            );
            let figure = Figure {
                title,
                x: x_scale(family, source.timeline.end_s()),
                panels,
                faults: if family.over_time {
                    faults.clone()
                } else {
                    Vec::new()
                },
                marks: if family.over_time {
                    let service = (kind != Kind::Workload).then_some(name);
                    marks::marks_for(&actions, service, source.timeline.end_s())
                } else {
                    Vec::new()
                },
            };
            charts.push(chart(&mut names, "", family, name, &figure));
        }
    }
    Ok(charts)
}

/// Whether a row of `metrics.csv` is one of a chosen subject's.
fn drawn<'c>(chosen: &'c [(Kind, Vec<Choice>)]) -> impl Fn(RowKind, &str) -> bool + 'c {
    let wanted: IndexSet<(Kind, &str)> = chosen
        .iter()
        .flat_map(|(kind, choices)| choices.iter().map(|(name, _, _)| (*kind, *name)))
        .collect();
    move |row_kind, name| wanted.contains(&(Kind::of(row_kind), name))
}

fn subjects_of<'s, 'a>(
    source: &'s Source<'a>,
    kind: Kind,
) -> indexmap::IndexMap<&'a str, &'s Subject<'a>> {
    let subjects = match kind {
        Kind::Workload => &source.workloads,
        Kind::Service => &source.services,
        Kind::Subscription => &source.subscriptions,
    };
    subjects
        .iter()
        .map(|(name, subject)| (*name, subject))
        .collect()
}

/// The (subject, family, title note) of every chart to draw, subjects busiest first, each
/// family limited to its [`BUSIEST_MAX`] busiest eligible subjects.
fn choose<'n>(
    kind: Kind,
    requests: impl Fn(&str) -> u64,
    names: &[&'n str],
    eligible: impl Fn(&Family, &str) -> bool,
) -> Vec<Choice<'n>> {
    let mut busiest: Vec<&str> = names.to_vec();
    // A stable sort: equally busy subjects keep the order of the files.
    busiest.sort_by_key(|name| std::cmp::Reverse(requests(name)));
    let mut chosen: Vec<(&str, &Family, String)> = Vec::new();
    for family in FAMILIES.iter().filter(|family| family.kind == kind) {
        let candidates: Vec<&str> = busiest
            .iter()
            .copied()
            .filter(|name| eligible(family, name))
            .collect();
        let note = if candidates.len() > BUSIEST_MAX {
            format!(" (among the {BUSIEST_MAX} busiest of {})", candidates.len())
        } else {
            String::new()
        };
        for name in candidates.into_iter().take(BUSIEST_MAX) {
            chosen.push((name, family, note.clone()));
        }
    }
    // Listed by subject, busiest first, then in the order of the families.
    chosen.sort_by_key(|(name, family, _)| {
        let subject = busiest.iter().position(|busy| busy == name);
        let family = FAMILIES
            .iter()
            .position(|known| std::ptr::eq(known, *family));
        (subject, family)
    });
    chosen
}

/// What a point of a time series stands for, for the title.
fn per_point(family: &Family, sources: &[&Source]) -> String {
    if !family.over_time {
        return String::new();
    }
    let seconds = sources
        .iter()
        .map(|source| source.timeline.bucket_s())
        .fold(0.0, f64::max);
    let merged = sources.iter().any(|source| source.timeline.merged());
    match (merged && family.peaks, family.sampled) {
        (false, false) => format!(", per {seconds} s"),
        (false, true) => format!(", sampled every {seconds} s"),
        (true, false) => format!(", highest per {seconds} s"),
        (true, true) => format!(", highest sample per {seconds} s"),
    }
}

fn x_scale(family: &Family, end_s: f64) -> XScale {
    if family.over_time {
        XScale::Time { end_s }
    } else {
        XScale::LogMs
    }
}

/// The chart of a figure, under a file name no other chart of the set has.
fn chart(
    names: &mut IndexSet<String>,
    prefix: &str,
    family: &Family,
    subject: &str,
    figure: &Figure,
) -> Chart {
    let base = format!(
        "{prefix}{}-{}-{}",
        family.slug,
        family.kind.noun(),
        crate::file_name::file_part(subject)
    );
    let mut file_name = format!("{base}.svg");
    let mut copy = 2;
    // Names that differ only in case or in `_` against `-` would otherwise share a file.
    while names.contains(&file_name) {
        file_name = format!("{base}-{copy}.svg");
        copy += 1;
    }
    names.insert(file_name.clone());
    Chart {
        file_name,
        title: figure.title.clone(),
        svg: figure.render(),
    }
}
