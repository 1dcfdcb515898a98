//! The table of differences between two runs of `meshsim compare`: the same key figures of each,
//! side by side, with the change from the first to the second.

use crate::run_data::{Counts, Latency, RunData, SubscriptionData};

/// One key figure of both runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// `workload.shoppers.success_rate`, in the expectations' words.
    pub metric: String,
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

    /// A figure in its unit, for tables: `99.12 %`, `12.3 ms`, `4012`.
    pub fn show(&self, value: Option<f64>) -> String {
        match value {
            None => "–".to_owned(),
            Some(value) => match self.unit {
                Unit::Ratio => format!("{:.2} %", value * 100.0),
                Unit::Milliseconds => format!("{value:.3} ms"),
                Unit::Count => format!("{value:.0}"),
                Unit::Number => format!("{value:.3}"),
            },
        }
    }
}

/// The key figures of two runs: over all workloads, each workload, each service, and what the
/// mesh did to the calls into each service. Names in either run appear once, in the first run's
/// order, then the second's.
pub fn differences(a: &RunData, b: &RunData) -> Vec<Difference> {
    let mut rows = Vec::new();
    let (sa, sb) = (&a.summary, &b.summary);
    client_figures(
        &mut rows,
        "",
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
            &format!("workload.{name}."),
            fa.as_ref().map(|f| (&f.0, f.1, &f.2)),
            fb.as_ref().map(|f| (&f.0, f.1, &f.2)),
        );
    }
    for name in union(sa.services.keys(), sb.services.keys()) {
        let (va, vb) = (sa.services.get(&name), sb.services.get(&name));
        let prefix = format!("service.{name}.");
        push(
            &mut rows,
            &prefix,
            "success_rate",
            Unit::Ratio,
            va.and_then(|s| s.success_rate),
            vb.and_then(|s| s.success_rate),
        );
        push(
            &mut rows,
            &prefix,
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
                &mut rows,
                &prefix,
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
            let mesh = |service: Option<&crate::run_data::ServiceData>| {
                service
                    .and_then(|s| s.mesh.get(key))
                    .and_then(serde_json::Value::as_f64)
            };
            let (ma, mb) = (mesh(va), mesh(vb));
            // Mesh counters that stayed at zero in both runs say nothing.
            if ma.unwrap_or(0.0) == 0.0 && mb.unwrap_or(0.0) == 0.0 {
                continue;
            }
            push(&mut rows, &prefix, &format!("mesh.{key}"), unit, ma, mb);
        }
    }
    for name in union(sa.brokers.keys(), sb.brokers.keys()) {
        let (ba, bb) = (sa.brokers.get(&name), sb.brokers.get(&name));
        let prefix = format!("broker.{name}.");
        push(
            &mut rows,
            &prefix,
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
                &mut rows,
                &prefix,
                stat,
                Unit::Count,
                ba.map(|b| pick(&b.totals) as f64),
                bb.map(|b| pick(&b.totals) as f64),
            );
        }
    }
    // A rollout's outcome is a word, so the figures compared are its time and blast radius;
    // the time is missing while it is in progress.
    for name in union(sa.rollouts.keys(), sb.rollouts.keys()) {
        let (ra, rb) = (sa.rollouts.get(&name), sb.rollouts.get(&name));
        let prefix = format!("rollout.{name}.");
        push(
            &mut rows,
            &prefix,
            "time",
            Unit::Milliseconds,
            ra.and_then(|r| r.time_s).map(|s| s * 1000.0),
            rb.and_then(|r| r.time_s).map(|s| s * 1000.0),
        );
        push(
            &mut rows,
            &prefix,
            "blast_radius",
            Unit::Count,
            ra.map(|r| r.blast_radius as f64),
            rb.map(|r| r.blast_radius as f64),
        );
    }
    rows
}

type ClientFigures<'a> = (&'a Counts, Option<f64>, &'a Latency);

fn client_figures(
    rows: &mut Vec<Difference>,
    prefix: &str,
    a: Option<ClientFigures<'_>>,
    b: Option<ClientFigures<'_>>,
) {
    push(
        rows,
        prefix,
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
        push(
            rows,
            prefix,
            stat,
            Unit::Milliseconds,
            latency(a),
            latency(b),
        );
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
            prefix,
            stat,
            Unit::Count,
            a.map(|f| pick(f.0) as f64),
            b.map(|f| pick(f.0) as f64),
        );
    }
}

fn push(
    rows: &mut Vec<Difference>,
    prefix: &str,
    stat: &str,
    unit: Unit,
    a: Option<f64>,
    b: Option<f64>,
) {
    rows.push(Difference {
        metric: format!("{prefix}{stat}"),
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
