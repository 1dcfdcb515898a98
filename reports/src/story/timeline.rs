//! The run's timeline: one row per rollout, breaker, fault and ejected instance, on the run's
//! time axis, as a plain SVG (a Gantt chart: no script, no font file), so the page shows when
//! each thing happened and what overlapped it before any chart.

use std::fmt::Write as _;

use indexmap::IndexMap;

use super::line::row_id;
use super::{Action, Tone, What};
use crate::html::markup::escape;
use crate::quantity::{duration_s, instant_s};
use crate::run_data::RunData;

/// Rows drawn at most; past this the rest are counted under the chart.
const ROWS_MAX: usize = 24;
const WIDTH_PX: f64 = 960.0;
const LABEL_PX: f64 = 210.0;
const RIGHT_PX: f64 = 36.0;
const ROW_PX: f64 = 24.0;
const AXIS_PX: f64 = 26.0;

const GOOD: &str = "#2e7d32";
const BAD: &str = "#c62828";
const NEUTRAL: &str = "#616161";
const ROLLOUT: &str = "#90caf9";
const FAULT: &str = "#bdbdbd";
const HALF_OPEN: &str = "#f9a825";

/// One row: a label, spans of time, and glyphs at instants.
struct Row {
    id: String,
    label: String,
    spans: Vec<Span>,
    glyphs: Vec<Glyph>,
}

struct Span {
    start_s: f64,
    end_s: f64,
    colour: &'static str,
    title: String,
}

struct Glyph {
    time_s: f64,
    tone: Tone,
    title: String,
}

/// The timeline of a run as an inline SVG element and a key to the colours it uses, or `None`
/// when nothing happened to draw.
pub(crate) fn timeline_svg(run: &RunData) -> Option<(String, String)> {
    let actions = Action::all(&run.events);
    let end_s = run.summary.sim_seconds.max(f64::MIN_POSITIVE);
    let rollouts = rollout_rows(run, &actions, end_s);
    let breakers = breaker_rows(&actions, end_s);
    let faults = fault_rows(run, end_s);
    let ejections = ejection_rows(&actions, end_s);
    let mut key = Vec::new();
    for (rows, words) in [
        (
            &rollouts,
            "Blue: a rollout, a tick per step, a diamond per check and at its end (green passed, \
             red failed).",
        ),
        (&breakers, "Red: a breaker open; amber: half-open."),
        (&faults, "Grey: a fault."),
        (&ejections, "Red: an instance ejected."),
    ] {
        if !rows.is_empty() {
            key.push(words);
        }
    }
    let mut rows: Vec<Row> = [rollouts, breakers, faults, ejections]
        .into_iter()
        .flatten()
        .collect();
    if rows.is_empty() {
        return None;
    }
    let left_out = rows.len().saturating_sub(ROWS_MAX);
    rows.truncate(ROWS_MAX);
    key.push("Hover for times; the events table lists them all.");
    Some((draw(&rows, end_s, left_out), key.join(" ")))
}

fn rollout_rows(run: &RunData, actions: &[Action], end_s: f64) -> Vec<Row> {
    run.summary
        .rollouts
        .iter()
        .map(|(service, rollout)| {
            let mine: Vec<&Action> = actions.iter().filter(|a| a.subject == *service).collect();
            let start_s = mine
                .iter()
                .find(|a| a.what == What::RolloutStarted)
                .map_or(0.0, |a| a.time_s);
            let decided_s = rollout.decided_at_s.unwrap_or(end_s);
            let mut glyphs = Vec::new();
            for action in &mine {
                let tone = match action.what {
                    What::CheckPassed | What::Promoted => Tone::Good,
                    What::CheckFailed | What::RolledBack => Tone::Bad,
                    What::RolloutStep | What::InstanceReplaced => Tone::Neutral,
                    _ => continue,
                };
                glyphs.push(Glyph {
                    time_s: action.time_s,
                    tone,
                    title: format!("{}: {}", instant_s(action.time_s), action.detail),
                });
            }
            Row {
                id: row_id("rollout", service),
                label: format!("rollout {service} {} → {}", rollout.from, rollout.to),
                spans: vec![Span {
                    start_s,
                    end_s: decided_s,
                    colour: ROLLOUT,
                    title: format!(
                        "{} from {} to {}: {}",
                        rollout.strategy,
                        instant_s(start_s),
                        duration_s(decided_s),
                        rollout.outcome
                    ),
                }],
                glyphs,
            }
        })
        .collect()
}

/// One row per service whose callers' breakers moved: each caller's open and half-open spans.
fn breaker_rows(actions: &[Action], end_s: f64) -> Vec<Row> {
    // service -> caller -> (state, since)
    let mut states: IndexMap<&str, IndexMap<&str, (&str, f64)>> = IndexMap::new();
    let mut rows: IndexMap<&str, Row> = IndexMap::new();
    for action in actions {
        let What::Breaker { caller, to } = &action.what else {
            continue;
        };
        let row = rows.entry(&action.service).or_insert_with(|| Row {
            id: row_id("breaker", &action.service),
            label: format!("breaker on calls to {}", action.service),
            spans: Vec::new(),
            glyphs: Vec::new(),
        });
        let callers = states.entry(&action.service).or_default();
        if let Some((state, since_s)) = callers.insert(caller, (to, action.time_s)) {
            push_state(row, caller, state, since_s, action.time_s);
        }
    }
    for (service, callers) in &states {
        let row = &mut rows[service];
        for (caller, (state, since_s)) in callers {
            push_state(row, caller, state, *since_s, end_s);
        }
    }
    rows.into_values().collect()
}

fn push_state(row: &mut Row, caller: &str, state: &str, start_s: f64, end_s: f64) {
    let colour = match state {
        "open" => BAD,
        "half_open" => HALF_OPEN,
        _ => return,
    };
    row.spans.push(Span {
        start_s,
        end_s,
        colour,
        title: format!(
            "breaker in {caller} {state} from {} to {}",
            instant_s(start_s),
            duration_s(end_s)
        ),
    });
}

fn fault_rows(run: &RunData, end_s: f64) -> Vec<Row> {
    run.summary
        .faults
        .iter()
        .map(|fault| {
            let fault_end_s = fault.end_s.unwrap_or(end_s);
            let detail = if fault.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", fault.detail)
            };
            Row {
                id: row_id(&format!("fault-{}", fault.kind), &fault.subject),
                label: format!("{} {}", fault.kind, fault.subject),
                spans: vec![Span {
                    start_s: fault.start_s,
                    end_s: fault_end_s,
                    colour: FAULT,
                    title: format!(
                        "{} {}{detail} from {} to {}",
                        fault.kind,
                        fault.subject,
                        instant_s(fault.start_s),
                        duration_s(fault_end_s)
                    ),
                }],
                glyphs: Vec::new(),
            }
        })
        .collect()
}

/// One row per ejected instance: each caller's ejection, until its return.
fn ejection_rows(actions: &[Action], end_s: f64) -> Vec<Row> {
    // Each ejection, with its return once seen: one pass over the actions, the ejections still
    // out kept by instance and caller.
    let mut ejections: Vec<(&Action, &str, Option<f64>, Option<f64>)> = Vec::new();
    let mut out: IndexMap<(&str, &str), Vec<usize>> = IndexMap::new();
    for action in actions {
        match &action.what {
            What::Ejected { by, out_ms } => {
                out.entry((&action.subject, by))
                    .or_default()
                    .push(ejections.len());
                ejections.push((action, by, *out_ms, None));
            }
            What::Returned { by } => {
                for index in out
                    .swap_remove(&(action.subject.as_str(), by.as_str()))
                    .unwrap_or_default()
                {
                    ejections[index].3 = Some(action.time_s);
                }
            }
            _ => {}
        }
    }
    let mut rows: IndexMap<&str, Row> = IndexMap::new();
    for (action, by, out_ms, returned_s) in ejections {
        let back_s = returned_s
            .or_else(|| out_ms.map(|ms| action.time_s + ms / 1000.0))
            .unwrap_or(end_s)
            .min(end_s);
        let row = rows.entry(&action.subject).or_insert_with(|| Row {
            id: row_id("ejected", &action.subject),
            label: format!("{} ejected", action.subject),
            spans: Vec::new(),
            glyphs: Vec::new(),
        });
        row.spans.push(Span {
            start_s: action.time_s,
            end_s: back_s,
            colour: BAD,
            title: format!(
                "ejected by {by} from {} to {}",
                instant_s(action.time_s),
                duration_s(back_s)
            ),
        });
    }
    rows.into_values().collect()
}

fn draw(rows: &[Row], end_s: f64, left_out: usize) -> String {
    let height_px = AXIS_PX + ROW_PX * rows.len() as f64 + if left_out > 0 { ROW_PX } else { 6.0 };
    let plot_px = WIDTH_PX - LABEL_PX - RIGHT_PX;
    let x = |time_s: f64| LABEL_PX + plot_px * (time_s / end_s).clamp(0.0, 1.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"timeline\" viewBox=\"0 0 {WIDTH_PX} {height_px}\" role=\"img\" \
         aria-labelledby=\"timeline-title\" font-family=\"sans-serif\" font-size=\"12\">\
         <title id=\"timeline-title\">What happened when: rollouts, breakers, faults and \
         ejections over the run</title>"
    );
    for tick_s in ticks(end_s) {
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{bottom:.1}\" stroke=\"#e0e0e0\"/>\
             <text x=\"{x:.1}\" y=\"14\" text-anchor=\"middle\" fill=\"#444\">{label}</text>",
            x = x(tick_s),
            top = AXIS_PX - 6.0,
            bottom = AXIS_PX + ROW_PX * rows.len() as f64,
            label = duration_s(tick_s),
        );
    }
    for (index, row) in rows.iter().enumerate() {
        draw_row(&mut svg, row, AXIS_PX + ROW_PX * index as f64, &x);
    }
    if left_out > 0 {
        let _ = write!(
            svg,
            "<text x=\"{LABEL_PX}\" y=\"{:.1}\" fill=\"#444\">and {left_out} more rows: see the \
             events table</text>",
            AXIS_PX + ROW_PX * rows.len() as f64 + 16.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One row at `top`: its label, its spans and its glyphs; `x` maps a time to its pixel.
fn draw_row(svg: &mut String, row: &Row, top: f64, x: &dyn Fn(f64) -> f64) {
    let _ = write!(
        svg,
        "<g id=\"{}\"><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#202020\">{}</text>",
        escape(&row.id),
        LABEL_PX - 8.0,
        top + 16.0,
        escape(&shorten(&row.label, 30)),
    );
    for span in &row.spans {
        let (left, right) = (x(span.start_s), x(span.end_s));
        let _ = write!(
            svg,
            "<rect x=\"{left:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"14\" fill=\"{}\" \
             fill-opacity=\"0.85\"><title>{}</title></rect>",
            top + 4.0,
            (right - left).max(2.0),
            span.colour,
            escape(&span.title)
        );
    }
    for glyph in &row.glyphs {
        let (centre, middle) = (x(glyph.time_s), top + 11.0);
        let colour = match glyph.tone {
            Tone::Good => GOOD,
            Tone::Bad => BAD,
            Tone::Neutral => NEUTRAL,
        };
        // A diamond for a decision, a thin tick for a step; each with its times on hover.
        let title = escape(&glyph.title);
        let _ = if glyph.tone == Tone::Neutral {
            write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"2\" height=\"18\" fill=\"{colour}\">\
                 <title>{title}</title></rect>",
                centre - 1.0,
                middle - 9.0
            )
        } else {
            write!(
                svg,
                "<path d=\"M{centre:.1} {:.1}l6 6l-6 6l-6 -6z\" fill=\"{colour}\" \
                 stroke=\"white\" stroke-width=\"1\"><title>{title}</title></path>",
                middle - 6.0
            )
        };
    }
    svg.push_str("</g>");
}

/// Tick times at a round step that gives five to ten ticks over the run.
fn ticks(end_s: f64) -> Vec<f64> {
    const STEPS_S: [f64; 16] = [
        0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0,
    ];
    let step_s = STEPS_S
        .iter()
        .copied()
        .chain([
            120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0,
        ])
        .find(|step| end_s / step <= 10.0)
        .unwrap_or(86400.0 * ((end_s / 86400.0 / 10.0).ceil()));
    let count = (end_s / step_s).floor() as usize;
    (0..=count.min(100))
        .map(|index| index as f64 * step_s)
        .collect()
}

fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let kept: String = text.chars().take(chars - 1).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_few() {
        assert_eq!(
            ticks(720.0),
            [0.0, 120.0, 240.0, 360.0, 480.0, 600.0, 720.0]
        );
        assert_eq!(ticks(180.0).len(), 7);
        assert!(ticks(86400.0 * 365.0).len() <= 101);
    }
}
