//! The page and charts of a sweep (issue 16): the page opens with what the sweep found, and a
//! figure every seed agrees on is drawn inside the plot, not along its frame.

use meshsim_reports::sweep::{RolloutCell, SWEEP_FORMAT, SeedRange, SeedRow};
use meshsim_reports::{Sweep, SweepInfo, sweep_charts, sweep_report_html};

/// Eight seeds whose rollout of `order` is rolled back `time_s(seed)` after its start; seed 5
/// fails the expectation when `failing`.
fn sweep(time_s: fn(u64) -> f64, failing: bool) -> Sweep {
    let info = SweepInfo {
        format: SWEEP_FORMAT,
        meshsim_version: "0".into(),
        scenario: "canary".into(),
        file: "scenarios/canary.toml".into(),
        scenario_digest: "d".into(),
        engine: "event".into(),
        seeds: SeedRange { start: 0, end: 8 },
        shard: None,
        expectations: vec!["rollout.order.outcome = rolled_back".into()],
        rollouts: vec!["order".into()],
    };
    let rows = (0..8)
        .map(|seed| SeedRow {
            seed,
            accounted: true,
            invariants_broken: Vec::new(),
            expectations: vec![!(failing && seed == 5)],
            sent: 72_000 + seed,
            success_rate: Some(0.9927 + seed as f64 / 10_000.0),
            latency_p99_ms: 59.507,
            rollouts: vec![RolloutCell {
                outcome: "rolled_back".into(),
                time_s: Some(time_s(seed)),
                blast_radius: 10_288,
            }],
            digest: format!("{seed:016x}"),
        })
        .collect();
    Sweep { info, rows }
}

fn at_five_minutes(_seed: u64) -> f64 {
    300.0
}

fn spread_out(seed: u64) -> f64 {
    240.0 + 60.0 * (seed % 3) as f64
}

/// The labels of the ticks and legends plotters wrote: every text element's content.
fn texts(svg: &str) -> Vec<&str> {
    svg.split("</text>")
        .filter_map(|part| part.rsplit_once('>').map(|(_, text)| text.trim()))
        .collect()
}

#[test]
fn the_sweep_page_opens_with_what_it_found() {
    let page = sweep_report_html(&sweep(at_five_minutes, false), &[]);
    let headline = page
        .find("<section id=\"headline\">")
        .expect("a headline section");
    let expectations = page.find("<section id=\"expectations\">").unwrap();
    assert!(headline < expectations, "the headline comes first");
    let section = &page[headline..page[headline..].find("</section>").unwrap() + headline];
    for line in [
        "<li>every seed met every expectation (8 of 8)</li>",
        "<li>rollout of order: rolled back in 8 of 8 seeds, at 5m 00s from its start</li>",
        "<li>success rate between 99.27% and 99.34%, p99 latency at 59.5 ms over the seeds</li>",
    ] {
        assert!(section.contains(line), "{section}");
    }

    let failing = sweep(spread_out, true);
    let lines = failing.headline();
    assert_eq!(
        lines[0],
        "1 seed of 8 failed an expectation; the worst is seed 5: \
         meshsim run scenarios/canary.toml --seed 5"
    );
    assert_eq!(
        lines[1],
        "rollout of order: rolled back in 8 of 8 seeds, between 4m 00s and 6m 00s from its start"
    );
}

#[test]
fn a_time_every_seed_agrees_on_sits_inside_the_plot() {
    let charts = sweep_charts(&sweep(at_five_minutes, false));
    let rollout = charts
        .iter()
        .find(|chart| chart.file_name == "sweep-rollout-order.svg")
        .expect("the rollout's chart");
    // Every seed decided at 300 s: the axis runs on past it, to 350 s, so the step up is not
    // drawn on the plot's right edge.
    let labels = texts(&rollout.svg);
    assert!(
        labels.contains(&"300") && labels.contains(&"350"),
        "{labels:?}"
    );
    // Every seed's p99 is 59.507 ms: the axis has room on both sides of it.
    let p99 = charts
        .iter()
        .find(|chart| chart.file_name == "sweep-p99.svg")
        .expect("the p99 chart");
    let ticks: Vec<f64> = texts(&p99.svg)
        .iter()
        .filter_map(|label| label.parse::<f64>().ok())
        .filter(|value| *value > 50.0)
        .collect();
    assert!(
        ticks.iter().any(|tick| *tick < 59.0) && ticks.iter().any(|tick| *tick > 60.0),
        "{ticks:?}"
    );
}
