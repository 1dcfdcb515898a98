use super::*;

fn sweep(seeds: SeedRange, shard: Option<Shard>) -> Sweep {
    let info = SweepInfo {
        format: SWEEP_FORMAT,
        meshsim_version: "0".into(),
        scenario: "s".into(),
        file: "s.toml".into(),
        scenario_digest: "d".into(),
        engine: "event".into(),
        seeds,
        shard,
        expectations: vec!["success_rate >= 0.99".into()],
        rollouts: vec!["order".into()],
    };
    let own = info.own_seeds();
    let rows = (own.start..own.end)
        .map(|seed| SeedRow {
            seed,
            accounted: true,
            invariants_broken: if seed == 4 {
                vec!["no_double_charge".into(), "stock_conserved".into()]
            } else {
                Vec::new()
            },
            expectations: vec![seed % 3 != 0],
            sent: 100 + seed,
            success_rate: Some(rounded(1.0 - seed as f64 / 7000.0, RATE_DECIMALS)),
            latency_p99_ms: rounded(10.0 + seed as f64 / 3.0, MS_DECIMALS),
            rollouts: vec![RolloutCell {
                outcome: if seed % 2 == 0 {
                    "rolled_back"
                } else {
                    "promoted"
                }
                .into(),
                time_s: Some(60.0 * (seed % 5) as f64),
                blast_radius: seed * 10,
            }],
            digest: format!("{seed:016x}"),
        })
        .collect();
    Sweep { info, rows }
}

#[test]
fn shards_cover_every_seed_once_in_order() {
    let all = SeedRange { start: 5, end: 105 };
    for count in [1, 3, 7, 100, 150] {
        let mut next = all.start;
        for index in 1..=count {
            let part = Shard { index, count }.seeds(all);
            assert_eq!(part.start, next);
            assert!(part.count() <= all.count() / count + 1);
            next = part.end;
        }
        assert_eq!(next, all.end);
    }
    assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 2, count: 8 }));
    assert!(Shard::parse("0/8").is_err());
    assert!(Shard::parse("9/8").is_err());
    assert!(Shard::parse("1/0").is_err());
    assert!(Shard::parse("three").is_err());
}

#[test]
fn rows_read_back_as_they_were_written() {
    let whole = sweep(SeedRange { start: 0, end: 40 }, None);
    let text = whole.csv();
    assert_eq!(whole.parse_rows(&text), Ok(whole.rows.clone()));
}

#[test]
fn merged_shards_are_the_whole_sweep() {
    let seeds = SeedRange { start: 0, end: 40 };
    let whole = sweep(seeds, None);
    let parts: Vec<(String, Sweep)> = [3, 1, 2]
        .into_iter()
        .map(|index| {
            (
                format!("shard {index}"),
                sweep(seeds, Some(Shard { index, count: 3 })),
            )
        })
        .collect();
    let merged = Sweep::merge(parts.clone()).expect("the shards make the whole");
    assert_eq!(merged, whole);
    assert_eq!(merged.summary_text(), whole.summary_text());

    let error = Sweep::merge(parts[..2].to_vec()).unwrap_err();
    assert!(error.message.contains("seeds 13..26"), "{error}");
    let doubled = vec![parts[1].clone(), parts[1].clone()];
    assert!(Sweep::merge(doubled).is_err());
    let mut other = parts.clone();
    other[0].1.info.scenario_digest = "e".into();
    let error = Sweep::merge(other).unwrap_err();
    assert!(error.message.contains("different scenario text"), "{error}");
}

#[test]
fn the_summary_gives_each_outcome_its_share_and_time() {
    let text = sweep(SeedRange { start: 0, end: 10 }, None).summary_text();
    assert!(
        text.contains("invariants broken: no_double_charge in 1, stock_conserved in 1"),
        "{text}"
    );
    assert!(
        text.contains("seeds 10: 6 met every expectation (60.00%)"),
        "{text}"
    );
    assert!(
        text.contains("rolled_back in 50.00% of seeds; time to decision min 0 s, p50 2m 00s"),
        "{text}"
    );
    assert!(
        text.contains("meshsim run s.toml --seed 0"),
        "the worst seed fails an expectation: {text}"
    );
}
