//! The table of differences between two runs of `meshsim compare`: the same key figures of each,
//! side by side, with the change from the first to the second, and the headline that says in
//! words which changed most. Every figure is written by `quantity`, so the terminal and the page
//! say the same: a rate's change in percentage points (`pp`), a relative change in percent.

use std::fmt::Write as _;

use crate::quantity;
use crate::run_data::{
    BrokerData, Counts, Latency, RolloutData, RunData, ServiceData, SubscriptionData, SummaryData,
};

/// One key figure of both runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// `workload.shoppers.success_rate`, in the expectations' words.
    pub metric: String,
    /// What the figure is of, `("workload", "shoppers")`; none for the figures over all
    /// workloads together.
    pub subject: Option<(&'static str, String)>,
    /// The figure itself, the metric's last part: `success_rate`, `mesh.retries`.
    pub stat: String,
    /// `None` where the run has no such figure (a workload only one run has, nothing succeeded).
    pub a: Option<f64>,
    pub b: Option<f64>,
    /// How the figure is shown: a ratio as a percentage, milliseconds, a count.
    pub unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Ratio,
    Milliseconds,
    Count,
    /// A plain number, like retry amplification.
    Number,
}

impl Difference {
    /// `b − a`, when both exist.
    pub fn delta(&self) -> Option<f64> {
        Some(self.b? - self.a?)
    }

    /// `(b − a) / a`, when both exist and `a` is not zero.
    pub fn relative(&self) -> Option<f64> {
        let (a, b) = (self.a?, self.b?);
        (a != 0.0).then(|| (b - a) / a)
    }

    /// A figure in its unit: `99.12%`, `12.3 ms`, `4012`, `0.6830`; `–` for none.
    pub fn show(&self, value: Option<f64>) -> String {
        match value {
            None => "–".to_owned(),
            Some(value) => match self.unit {
                Unit::Ratio => quantity::percent(Some(value)),
                Unit::Milliseconds => quantity::duration_ms(value),
                Unit::Count => format!("{value:.0}"),
                Unit::Number => quantity::ratio(value),
            },
        }
    }

    /// The change `b − a` in the figure's unit, signed: a rate's in percentage points
    /// (`+33.77 pp`), `-106 ms`, `+3066`; `–` unless both runs have the figure.
    pub fn change(&self) -> String {
        let Some(delta) = self.delta() else {
            return "–".to_owned();
        };
        let sign = if delta > 0.0 { "+" } else { "" };
        match self.unit {
            Unit::Ratio if delta == 0.0 => "0.00 pp".to_owned(),
            Unit::Ratio => quantity::points(delta),
            _ if delta == 0.0 => "0".to_owned(),
            Unit::Milliseconds => format!("{sign}{}", quantity::duration_ms(delta)),
            Unit::Count => format!("{delta:+.0}"),
            Unit::Number => format!("{sign}{}", quantity::ratio(delta)),
        }
    }

    /// The relative change `(b − a) / a` in percent: `+51.0 %`; `–` unless both runs have the
    /// figure and the first's is not zero.
    pub fn relative_change(&self) -> String {
        match self.relative() {
            None => "–".to_owned(),
            Some(0.0) => "0.0 %".to_owned(),
            Some(relative) => quantity::relative(relative),
        }
    }

    /// Whether a reader should look at this change: a figure only one run has, a rate moved
    /// by [`RATE_CHANGE_MIN`] or more, any other figure by [`RELATIVE_CHANGE_MIN`] or more (or
    /// away from zero).
    pub fn notable(&self) -> bool {
        match (self.a, self.b) {
            (None, None) => false,
            (Some(_), None) | (None, Some(_)) => true,
            (Some(a), Some(b)) => match self.unit {
                Unit::Ratio => (b - a).abs() >= RATE_CHANGE_MIN,
                _ if a == 0.0 => b != 0.0,
                _ => ((b - a) / a).abs() >= RELATIVE_CHANGE_MIN,
            },
        }
    }

    /// The figure in words, as the headline names it: `success rate of workload shoppers`.
    pub fn name(&self) -> String {
        let stat = match self.stat.as_str() {
            "success_rate" => "success rate".to_owned(),
            "latency_p50" => "p50 latency".to_owned(),
            "latency_p99" => "p99 latency".to_owned(),
            "latency_mean" => "mean latency".to_owned(),
            "max_lag" => "highest consumer lag".to_owned(),
            "queued" => "messages queued at the end".to_owned(),
            "enqueued" | "redelivered" | "dead_lettered" => {
                format!("messages {}", self.stat.replace('_', "-"))
            }
            "time" => "time to decision".to_owned(),
            other => other.replace(['.', '_'], " "),
        };
        match &self.subject {
            None => format!("{stat} over all workloads"),
            Some(("rollout", name)) => format!("{stat} of the rollout of {name}"),
            Some((kind, name)) => format!("{stat} of {kind} {name}"),
        }
    }
}

/// A rate's change a reader should look at: 0.1 percentage points.
pub(crate) const RATE_CHANGE_MIN: f64 = 0.001;
/// Any other figure's: 1 %.
pub(crate) const RELATIVE_CHANGE_MIN: f64 = 0.01;
/// Figures the headline names at most: the biggest changes, the rest are in the table.
pub(crate) const HEADLINE_FIGURES_MAX: usize = 5;
/// Figures the headline names of one subject at most, so one does not crowd out the others.
const HEADLINE_FIGURES_PER_SUBJECT_MAX: usize = 3;

/// The key figures of two runs: over all workloads, each workload, each service, and what the
/// mesh did to the calls into each service. Names in either run appear once, in the first run's
/// order, then the second's.
pub fn differences(a: &RunData, b: &RunData) -> Vec<Difference> {
    let mut rows = Vec::new();
    let (sa, sb) = (&a.summary, &b.summary);
    client_figures(
        &mut rows,
        None,
        Some((&sa.requests, sa.success_rate, &sa.latency_ms)),
        Some((&sb.requests, sb.success_rate, &sb.latency_ms)),
    );
    for name in union(sa.workloads.keys(), sb.workloads.keys()) {
        let figures = |run: &RunData| {
            run.summary
                .workloads
                .get(&name)
                .map(|w| (w.requests, w.success_rate, w.latency_ms))
        };
        let (fa, fb) = (figures(a), figures(b));
        client_figures(
            &mut rows,
            Some(("workload", &name)),
            fa.as_ref().map(|f| (&f.0, f.1, &f.2)),
            fb.as_ref().map(|f| (&f.0, f.1, &f.2)),
        );
    }
    for name in union(sa.services.keys(), sb.services.keys()) {
        service_rows(
            &mut rows,
            &name,
            sa.services.get(&name),
            sb.services.get(&name),
        );
    }
    for name in union(sa.brokers.keys(), sb.brokers.keys()) {
        broker_rows(
            &mut rows,
            &name,
            sa.brokers.get(&name),
            sb.brokers.get(&name),
        );
    }
    for name in union(sa.rollouts.keys(), sb.rollouts.keys()) {
        rollout_rows(
            &mut rows,
            &name,
            sa.rollouts.get(&name),
            sb.rollouts.get(&name),
        );
    }
    rows
}

/// A service's figures in two runs, and what the mesh did to the calls into it.
fn service_rows(
    rows: &mut Vec<Difference>,
    name: &str,
    va: Option<&ServiceData>,
    vb: Option<&ServiceData>,
) {
    let of = Some(("service", name));
    push(
        rows,
        of,
        "success_rate",
        Unit::Ratio,
        va.and_then(|s| s.success_rate),
        vb.and_then(|s| s.success_rate),
    );
    push(
        rows,
        of,
        "latency_p99",
        Unit::Milliseconds,
        va.map(|s| s.latency_ms.p99),
        vb.map(|s| s.latency_ms.p99),
    );
    for (stat, pick) in [
        (
            "requests.received",
            (|c: &Counts| c.received) as fn(&Counts) -> u64,
        ),
        ("requests.failed", |c: &Counts| c.failed),
        ("requests.shed", |c: &Counts| c.shed),
    ] {
        push(
            rows,
            of,
            stat,
            Unit::Count,
            va.map(|s| pick(&s.requests) as f64),
            vb.map(|s| pick(&s.requests) as f64),
        );
    }
    for (key, unit) in [
        ("amplification", Unit::Number),
        ("retries", Unit::Count),
        ("budget_denials", Unit::Count),
        ("overflows", Unit::Count),
        ("circuit_opens", Unit::Count),
        ("fallbacks", Unit::Count),
        ("ejections", Unit::Count),
    ] {
        let mesh = |service: Option<&ServiceData>| {
            service
                .and_then(|s| s.mesh.get(key))
                .and_then(serde_json::Value::as_f64)
        };
        let (ma, mb) = (mesh(va), mesh(vb));
        // Mesh counters that stayed at zero in both runs say nothing.
        if ma.unwrap_or(0.0) == 0.0 && mb.unwrap_or(0.0) == 0.0 {
            continue;
        }
        push(rows, of, &format!("mesh.{key}"), unit, ma, mb);
    }
}

/// A broker's lag and its subscriptions' totals in two runs.
fn broker_rows(
    rows: &mut Vec<Difference>,
    name: &str,
    ba: Option<&BrokerData>,
    bb: Option<&BrokerData>,
) {
    let of = Some(("broker", name));
    push(
        rows,
        of,
        "max_lag",
        Unit::Milliseconds,
        ba.map(|b| b.totals.max_lag_ms),
        bb.map(|b| b.totals.max_lag_ms),
    );
    for (stat, pick) in [
        (
            "enqueued",
            (|s: &SubscriptionData| s.enqueued) as fn(&SubscriptionData) -> u64,
        ),
        ("redelivered", |s: &SubscriptionData| s.redelivered),
        ("dead_lettered", |s: &SubscriptionData| s.dead_lettered),
        ("queued", |s: &SubscriptionData| s.queued_at_end),
    ] {
        push(
            rows,
            of,
            stat,
            Unit::Count,
            ba.map(|b| pick(&b.totals) as f64),
            bb.map(|b| pick(&b.totals) as f64),
        );
    }
}

/// A rollout's outcome is a word, so the figures compared are its time and blast radius;
/// the time is missing while it is in progress.
fn rollout_rows(
    rows: &mut Vec<Difference>,
    name: &str,
    ra: Option<&RolloutData>,
    rb: Option<&RolloutData>,
) {
    let of = Some(("rollout", name));
    push(
        rows,
        of,
        "time",
        Unit::Milliseconds,
        ra.and_then(|r| r.time_s).map(|s| s * 1000.0),
        rb.and_then(|r| r.time_s).map(|s| s * 1000.0),
    );
    push(
        rows,
        of,
        "blast_radius",
        Unit::Count,
        ra.map(|r| r.blast_radius as f64),
        rb.map(|r| r.blast_radius as f64),
    );
}

type ClientFigures<'a> = (&'a Counts, Option<f64>, &'a Latency);

fn client_figures(
    rows: &mut Vec<Difference>,
    of: Of<'_>,
    a: Option<ClientFigures<'_>>,
    b: Option<ClientFigures<'_>>,
) {
    push(
        rows,
        of,
        "success_rate",
        Unit::Ratio,
        a.and_then(|f| f.1),
        b.and_then(|f| f.1),
    );
    for (stat, pick) in [
        ("latency_p50", (|l: &Latency| l.p50) as fn(&Latency) -> f64),
        ("latency_p99", |l: &Latency| l.p99),
        ("latency_mean", |l: &Latency| l.mean),
    ] {
        // A latency over no succeeded request is not a figure.
        let latency =
            |f: Option<ClientFigures<'_>>| f.filter(|f| f.0.succeeded > 0).map(|f| pick(f.2));
        push(rows, of, stat, Unit::Milliseconds, latency(a), latency(b));
    }
    for (stat, pick) in [
        ("requests.sent", (|c: &Counts| c.sent) as fn(&Counts) -> u64),
        ("requests.succeeded", |c: &Counts| c.succeeded),
        ("requests.failed", |c: &Counts| c.failed),
        ("requests.timed_out", |c: &Counts| c.timed_out),
        ("requests.shed", |c: &Counts| c.shed),
    ] {
        push(
            rows,
            of,
            stat,
            Unit::Count,
            a.map(|f| pick(f.0) as f64),
            b.map(|f| pick(f.0) as f64),
        );
    }
}

/// What a figure is of: a kind of subject and its name.
type Of<'a> = Option<(&'static str, &'a str)>;

fn push(
    rows: &mut Vec<Difference>,
    of: Of<'_>,
    stat: &str,
    unit: Unit,
    a: Option<f64>,
    b: Option<f64>,
) {
    let metric = match of {
        Some((kind, name)) => format!("{kind}.{name}.{stat}"),
        None => stat.to_owned(),
    };
    rows.push(Difference {
        metric,
        subject: of.map(|(kind, name)| (kind, name.to_owned())),
        stat: stat.to_owned(),
        a,
        b,
        unit,
    });
}

fn union<'a>(
    first: impl Iterator<Item = &'a String>,
    second: impl Iterator<Item = &'a String>,
) -> Vec<String> {
    let mut names: Vec<String> = first.cloned().collect();
    for name in second {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// What differs most between two runs, in words, for the top of the page and of the terminal:
/// the [`HEADLINE_FIGURES_MAX`] biggest changes (a rate's in percentage points weighs most, then
/// what the workloads saw), rollouts that ended otherwise, what only one run has, and how each
/// run did against its expectations.
pub fn headline(a: (&str, &RunData), b: (&str, &RunData), rows: &[Difference]) -> Vec<String> {
    let (label_a, summary_a) = (a.0, &a.1.summary);
    let (label_b, summary_b) = (b.0, &b.1.summary);
    if summary_a.digest == summary_b.digest {
        return vec![
            "the two runs have the same trace digest: they did the same thing, and every figure \
             is equal"
                .to_owned(),
        ];
    }
    let mut lines: Vec<String> = biggest(a.1, b.1, rows)
        .into_iter()
        .map(|row| {
            let change = match (row.unit, row.relative()) {
                (Unit::Ratio, _) | (_, None) => row.change(),
                (_, Some(_)) => row.relative_change(),
            };
            format!(
                "{}: {} → {} ({change})",
                row.name(),
                row.show(row.a),
                row.show(row.b)
            )
        })
        .collect();
    if lines.is_empty() {
        lines.push(format!(
            "no key figure differs by {} or more ({} for a rate)",
            quantity::relative(RELATIVE_CHANGE_MIN).trim_start_matches('+'),
            quantity::points(RATE_CHANGE_MIN).trim_start_matches('+'),
        ));
    }
    for name in union(summary_a.rollouts.keys(), summary_b.rollouts.keys()) {
        let outcome =
            |summary: &SummaryData| summary.rollouts.get(&name).map(|r| r.outcome.clone());
        if let (Some(first), Some(second)) = (outcome(summary_a), outcome(summary_b))
            && first != second
        {
            lines.push(format!("rollout of {name}: {first} → {second}"));
        }
    }
    for (label, subjects) in [
        (label_a, only_in(rows, true)),
        (label_b, only_in(rows, false)),
    ] {
        if !subjects.is_empty() {
            lines.push(format!("only {label} has {}", subjects.join(", ")));
        }
    }
    let expectations = |label: &str, summary: &SummaryData| {
        let passed = summary.expectations.iter().filter(|e| e.ok).count();
        match summary.expectations.len() {
            0 => format!("{label} declares none"),
            total => format!("{label} met {passed} of {total}"),
        }
    };
    if !summary_a.expectations.is_empty() || !summary_b.expectations.is_empty() {
        lines.push(format!(
            "expectations: {}; {}",
            expectations(label_a, summary_a),
            expectations(label_b, summary_b)
        ));
    }
    lines
}

/// The notable changes of figures both runs have, biggest first: a rate's change in points
/// counts five times a relative change in percent (which counts up to 100 %), a change of what the workloads saw twice
/// that of a service's, and the p50, the mean and the count of successes (which the success
/// rate and the p99 already tell) half. A figure equal to one already named, like a lone
/// workload's echoed over all workloads, is not named again.
fn biggest<'r>(a: &RunData, b: &RunData, rows: &'r [Difference]) -> Vec<&'r Difference> {
    let one_workload = union(a.summary.workloads.keys(), b.summary.workloads.keys()).len() == 1;
    let score = |row: &Difference| {
        let (Some(first), Some(second)) = (row.a, row.b) else {
            return 0.0;
        };
        let size = match row.unit {
            Unit::Ratio => 500.0 * (second - first).abs(),
            _ => row
                .relative()
                .map_or(100.0, |r| (100.0 * r.abs()).min(100.0)),
        };
        let what = match row.stat.as_str() {
            "latency_p50" | "latency_mean" | "requests.succeeded" => 0.5,
            _ => 1.0,
        };
        let whose = match row.subject {
            None | Some(("workload", _)) => 2.0,
            Some(_) => 1.0,
        };
        size * what * whose
    };
    let mut candidates: Vec<(&Difference, f64)> = rows
        .iter()
        .filter(|row| row.a.is_some() && row.b.is_some() && row.notable())
        // With one workload, the figures over all workloads are its own.
        .filter(|row| !(one_workload && row.subject.is_none()))
        .map(|row| (row, score(row)))
        .collect();
    // A stable sort: equal scores keep the table's order.
    candidates.sort_by(|x, y| y.1.total_cmp(&x.1));
    let mut chosen: Vec<&Difference> = Vec::new();
    for (row, _) in candidates {
        let echoed = chosen
            .iter()
            .any(|known| known.stat == row.stat && known.a == row.a && known.b == row.b);
        let of_subject = chosen.iter().filter(|known| known.subject == row.subject);
        if echoed || of_subject.count() >= HEADLINE_FIGURES_PER_SUBJECT_MAX {
            continue;
        }
        chosen.push(row);
        if chosen.len() == HEADLINE_FIGURES_MAX {
            break;
        }
    }
    chosen
}

/// The subjects only the first run has (`first`), or only the second: `broker events`.
fn only_in(rows: &[Difference], first: bool) -> Vec<String> {
    let mut subjects: Vec<String> = Vec::new();
    let mut seen: Vec<&(&str, String)> = Vec::new();
    for subject in rows.iter().filter_map(|row| row.subject.as_ref()) {
        if seen.contains(&subject) {
            continue;
        }
        seen.push(subject);
        let of_it = rows
            .iter()
            .filter(|row| row.subject.as_ref() == Some(subject));
        let (mut mine, mut theirs) = (false, false);
        for row in of_it {
            let (own, other) = if first {
                (row.a, row.b)
            } else {
                (row.b, row.a)
            };
            mine |= own.is_some();
            theirs |= other.is_some();
        }
        if mine && !theirs {
            subjects.push(format!("{} {}", subject.0, subject.1));
        }
    }
    subjects
}

/// The services and subscriptions both runs have whose key figures are alike: no change of
/// theirs is [notable](Difference::notable) (a subscription's are its broker's). Their charts
/// would show two lines on top of each other, so the comparison draws none; workloads, what the
/// runs are about, are always drawn.
pub fn alike_subjects(
    a: &RunData,
    b: &RunData,
    rows: &[Difference],
) -> Vec<(&'static str, String)> {
    let quiet = |kind: &str, name: &str| {
        !rows.iter().any(|row| {
            row.subject
                .as_ref()
                .is_some_and(|(k, n)| *k == kind && n == name)
                && row.notable()
        })
    };
    let (sa, sb) = (&a.summary, &b.summary);
    let mut alike: Vec<(&'static str, String)> = sa
        .services
        .keys()
        .filter(|name| sb.services.contains_key(*name) && quiet("service", name))
        .map(|name| ("service", name.clone()))
        .collect();
    for (broker, data) in &sa.brokers {
        let Some(other) = sb.brokers.get(broker) else {
            continue;
        };
        if !quiet("broker", broker) {
            continue;
        }
        for label in data.subscriptions.keys() {
            if other.subscriptions.contains_key(label) {
                alike.push(("subscription", label.clone()));
            }
        }
    }
    alike
}

/// The terminal's view: the headline, then the figures that changed with the change in their
/// unit (a rate's in percentage points) and the relative change, worded as on the page.
pub fn differences_text(
    labels: [&str; 2],
    seed: u64,
    headline: &[String],
    rows: &[Difference],
) -> String {
    let mut text = format!(
        "meshsim compare: {} against {} (seed {seed}, the same workload streams)\n\n",
        labels[0], labels[1]
    );
    for line in headline {
        let _ = writeln!(text, "  {line}");
    }
    text.push('\n');
    let shown: Vec<&Difference> = rows.iter().filter(|row| row.a != row.b).collect();
    if shown.is_empty() {
        text.push_str("  no key figure differs\n\n");
        return text;
    }
    let cells: Vec<[String; 5]> = shown
        .iter()
        .map(|row| {
            [
                row.metric.clone(),
                row.show(row.a),
                row.show(row.b),
                row.change(),
                row.relative_change(),
            ]
        })
        .collect();
    let heading = [
        "metric".to_owned(),
        labels[0].to_owned(),
        labels[1].to_owned(),
        "change".to_owned(),
        "relative".to_owned(),
    ];
    let mut widths = [0usize; 5];
    for line in cells.iter().chain(std::iter::once(&heading)) {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for line in std::iter::once(&heading).chain(&cells) {
        let _ = write!(text, "  {:w$}", line[0], w = widths[0]);
        for (cell, width) in line.iter().zip(widths).skip(1) {
            // `{:>w$}` pads by chars, and `–` is one.
            let _ = write!(text, "  {cell:>width$}");
        }
        text.push('\n');
    }
    text.push_str(
        "\n  change is B − A, a rate's in percentage points (pp); relative is (B − A) / A\n\n",
    );
    text
}
