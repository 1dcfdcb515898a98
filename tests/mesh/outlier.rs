//! Outlier detection.

use super::*;

/// `replicas` instances of which the last `bad` always fail.
fn some_bad(replicas: u32, bad: u32) -> String {
    format!(
        "replicas = {}\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
         service_time = {{ dist = \"const\", value = \"1ms\" }}\n\n\
         [[service.version]]\nname = \"bad\"\nreplicas = {bad}\nerror_rate = 1.0\n",
        replicas - bad
    )
}

#[test]
fn an_ejected_host_stays_out_longer_each_time_it_is_ejected() {
    // api/1 always fails: ejected after 5 consecutive 5xx, out for 2 s, then 4 s, then 6 s
    // (k × base), capped at max_ejection_time = 7 s. It fails its five again within 100 ms of
    // each return, before the next 1 s interval could lower the multiplier (Envoy lowers it
    // for each interval a host spends in service).
    let mesh = "[mesh.api.outlier_detection]\nconsecutive_5xx = 5\ninterval = \"1s\"\n\
                base_ejection_time = \"2s\"\nmax_ejection_time = \"7s\"\nmax_ejection_percent = 50\n";
    for engine in ENGINES {
        let run = run_on(engine, &scenario("40s", 100, &some_bad(2, 1), mesh));
        let outs: Vec<u64> = run
            .events_of("ejection")
            .iter()
            .map(|(_, subject, detail)| {
                assert_eq!(subject, "api/1");
                let millis = detail.rsplit("out for ").next().unwrap();
                millis.trim_end_matches(" ms").parse().unwrap()
            })
            .collect();
        assert!(outs.len() >= 4, "{outs:?}");
        assert_eq!(&outs[..4], &[2000, 4000, 6000, 7000], "{engine:?}");
        assert!(!run.events_of("return").is_empty());
        // While it is out, every request goes to the good instance and succeeds.
        assert!(
            run.summary.success_rate.unwrap() > 0.97,
            "{:?}",
            run.summary.success_rate
        );
    }
}

#[test]
fn a_try_cut_off_by_the_route_timeout_counts_toward_ejection() {
    for engine in ENGINES {
        // api/1 takes a second; the 50 ms route timeout cuts its tries off. Envoy reports each as a
        // local-origin timeout to outlier detection, so three in a row eject it.
        let api = "replicas = 1\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
                   service_time = { dist = \"const\", value = \"1ms\" }\n\n\
                   [[service.version]]\nname = \"stuck\"\nreplicas = 1\nservice_time_factor = 1000\n";
        let mesh = "[mesh.api]\ntimeout = \"50ms\"\n\n[mesh.api.outlier_detection]\nconsecutive_5xx = 3\n\
                    interval = \"100ms\"\nmax_ejection_percent = 50\n";
        let run = run_on(engine, &scenario("5s", 50, api, mesh));
        let ejections = run.events_of("ejection");
        assert_eq!(ejections.len(), 1, "{engine:?} {ejections:?}");
        assert_eq!(ejections[0].1, "api/1", "{engine:?}");
        // api/1 gets every other request, one each 40 ms: when the third times out, the fourth has
        // been on its way for 10 ms and times out too. Nothing goes there after.
        assert_eq!(run.reasons("route_timeout"), 4, "{engine:?}");
    }
}

#[test]
fn max_ejection_percent_caps_the_ejected_share() {
    for engine in ENGINES {
        // Three of four instances fail; at 50 % only two may be out at once.
        let mesh = "[mesh.api.outlier_detection]\nconsecutive_5xx = 3\ninterval = \"100ms\"\n\
                    base_ejection_time = \"30s\"\nmax_ejection_percent = 50\n";
        let run = run_on(engine, &scenario("10s", 100, &some_bad(4, 3), mesh));
        assert!(
            (run.metrics_max("api", "ejected") - 2.0).abs() < 1e-9,
            "{engine:?}"
        );
        assert_eq!(run.mesh("api").ejections, 2, "{engine:?}");
    }
}

#[test]
fn the_ejection_cap_holds_for_the_first_host_too() {
    for engine in ENGINES {
        // One of two hosts is 50 %, above the default 10 %: since Envoy 1.31 even the first
        // ejection must fit (outlier_detection_impl.cc#L478-L486), so the bad host is never ejected.
        let mesh = "[mesh.api.outlier_detection]\nconsecutive_5xx = 5\ninterval = \"100ms\"\n";
        let run = run_on(engine, &scenario("5s", 50, &some_bad(2, 1), mesh));
        assert_eq!(run.mesh("api").ejections, 0, "{engine:?}");
        assert!(run.rows.iter().any(|row| row.status == 500), "{engine:?}");
    }
}

#[test]
fn always_eject_one_host_ejects_the_first_whatever_the_percentage() {
    for engine in ENGINES {
        // 10 % of two hosts is none, but `always_eject_one_host` allows the first.
        let mesh = "[mesh.api.outlier_detection]\nconsecutive_5xx = 5\ninterval = \"100ms\"\n\
                    always_eject_one_host = true\n";
        let run = run_on(engine, &scenario("5s", 50, &some_bad(2, 1), mesh));
        assert_eq!(run.mesh("api").ejections, 1, "{engine:?}");
    }
}

#[test]
fn below_half_healthy_the_balancer_panics_and_uses_every_host() {
    for engine in ENGINES {
        // Both hosts fail and both may be ejected: with none healthy, Envoy's 50 % panic
        // threshold balances over all of them rather than answering "no healthy upstream".
        let mesh = "[mesh.api.outlier_detection]\nconsecutive_5xx = 3\ninterval = \"100ms\"\nmax_ejection_percent = 100\n";
        let run = run_on(engine, &scenario("5s", 50, &failing(2, "1ms"), mesh));
        assert!(
            (run.metrics_max("api", "ejected") - 2.0).abs() < 1e-9,
            "{engine:?}"
        );
        assert_eq!(run.reasons("no_healthy_upstream"), 0, "{engine:?}");
        assert_eq!(
            run.summary.services["api"].requests.received, 250,
            "{engine:?}"
        );
    }
}

#[test]
fn success_rate_ejection_is_envoys_default_and_istio_turns_it_off() {
    for engine in ENGINES {
        // Six hosts, one failing half its requests: more than 1.9 standard deviations under the
        // mean success rate. Envoy enforces success-rate ejection by default; istiod writes
        // `enforcing_success_rate: 0` (cluster_traffic_policy.go#L461-L462).
        let api = "replicas = 5\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
                   service_time = { dist = \"const\", value = \"1ms\" }\n\n\
                   [[service.version]]\nname = \"flaky\"\nreplicas = 1\nerror_rate = 0.5\n";
        let base = "[mesh.api.outlier_detection]\nconsecutive_5xx = 1000\ninterval = \"1s\"\nmax_ejection_percent = 50\n";
        let istio =
            scenario("10s", 1200, api, base).replace("mesh = \"envoy\"", "mesh = \"istio\"");
        let off = run_on(engine, &istio);
        assert_eq!(off.mesh("api").ejections, 0, "{engine:?}");
        let on = run_on(engine, &scenario("10s", 1200, api, base));
        assert!(on.mesh("api").ejections >= 1, "{engine:?}");
        let ejections = on.events_of("ejection");
        assert!(
            ejections
                .iter()
                .all(|(_, subject, detail)| subject == "api/5" && detail.contains("success rate")),
            "{ejections:?}"
        );
    }
}
