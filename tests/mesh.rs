//! Conformance of the mesh: one test per semantic in ../shared/reference/mesh-semantics.md, each
//! a small simulation whose numbers follow from Envoy's, Istio's or opossum's documented
//! behaviour. `docs/mesh.md` maps every semantic to its test here (or to the unit test in
//! `models/src/policy/` that pins it at the level of one state machine).
//!
//! Every scenario here has constant 1 ms hops, so a request's latency is an exact sum of hops,
//! service times, back-offs and timeouts, and counts are exact where the semantics make them so.
//! Tests whose numbers do not depend on the tick run on both engines.

mod support;

use meshsim::simulate::EngineKind;
use support::probe::{self, Row, Run, System};

/// The probe system (`support::probe::System`), its requests giving up after 10 s. The mesh is
/// a bare Envoy: every default is Envoy's own (no retries, round robin, a 15 s route
/// timeout), so each test writes what its mechanism needs. `tests/profiles.rs` holds what
/// Istio's and Linkerd's defaults change.
fn scenario(duration: &str, rate: u32, api: &str, extra: &str) -> String {
    System {
        mesh: "envoy",
        duration,
        rate: f64::from(rate),
        timeout: "10s",
        network: "",
        api,
        extra,
    }
    .text()
}

fn run_on(engine: EngineKind, source: &str) -> Run {
    probe::run_on(engine, "mesh.toml", source)
}

fn run(source: &str) -> Run {
    run_on(EngineKind::Event, source)
}

const ENGINES: [EngineKind; 2] = [EngineKind::Event, EngineKind::Turmoil];

/// An endpoint that always fails with 500 after `service_time`.
fn failing(replicas: u32, service_time: &str) -> String {
    format!(
        "replicas = {replicas}\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
         service_time = {{ dist = \"const\", value = \"{service_time}\" }}\nerror_rate = 1.0\n"
    )
}

/// An endpoint that always succeeds after `service_time`.
fn healthy(replicas: u32, service_time: &str) -> String {
    format!(
        "replicas = {replicas}\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
         service_time = {{ dist = \"const\", value = \"{service_time}\" }}\n"
    )
}

// ---------------------------------------------------------------------------------------------
// Retries and timeouts

#[test]
fn retries_wait_a_fully_jittered_exponential_back_off() {
    for engine in ENGINES {
        // Three retries after a 2 ms try each; retry N waits uniform in [0, 2^(N−1) × 25 ms), as
        // Envoy's code doubles its interval (backoff_strategy.cc#L13-L19), so the back-offs add up
        // to less than 25 + 50 + 100 ms and 87.5 ms on average.
        // The cap on concurrent retries is lifted so that every request gets its three.
        let mesh = "[mesh.api]\nconnection_pool = { max_retries = 1000 }\n\n\
                    [mesh.api.retries]\nattempts = 3\nretry_on = [\"5xx\"]\nbackoff_base = \"25ms\"\n";
        let run = run_on(engine, &scenario("20s", 50, &failing(1, "0ms"), mesh));
        // Every request that ended had its three retries; one still in flight may have had some.
        let retries = run.mesh("api").retries;
        let ended = run.rows.len() as u64;
        assert!(
            (3 * ended..=3 * 1000).contains(&retries),
            "{engine:?} {retries}"
        );
        assert!(ended >= 980, "{engine:?} {ended}");
        let tries_ms = 4.0 * 2.0;
        let mut total = 0.0;
        for row in &run.rows {
            assert_eq!(
                (row.status, row.reason.as_str()),
                (500, "error"),
                "{engine:?} {row:?}"
            );
            let backoff = row.latency_ms - tries_ms;
            assert!((0.0..175.0).contains(&backoff), "{engine:?} {row:?}");
            total += backoff;
        }
        // The sum of three uniforms has a standard deviation of about 33 ms: over 1000 requests the
        // mean is within 1.1 ms of 87.5 at five standard errors.
        let mean = total / run.rows.len() as f64;
        assert!(
            (mean - 87.5).abs() < 3.5,
            "{engine:?} mean back-off {mean} ms"
        );
    }
}

#[test]
fn back_off_is_capped_at_backoff_max() {
    for engine in ENGINES {
        // Retry N may wait up to 5, 10, 20, 40, 80 ms; with a 10 ms cap, each of the five
        // back-offs is under 10 ms whatever the retry number.
        let mesh = "[mesh.api]\nconnection_pool = { max_retries = 1000 }\n\n\
                    [mesh.api.retries]\nattempts = 5\nretry_on = [\"5xx\"]\nbackoff_base = \"5ms\"\nbackoff_max = \"10ms\"\n";
        let run = run_on(engine, &scenario("10s", 20, &failing(1, "0ms"), mesh));
        for row in &run.rows {
            assert!(
                row.latency_ms < 6.0 * 2.0 + 5.0 * 10.0,
                "{engine:?} {row:?}"
            );
        }
    }
}

#[test]
fn the_route_timeout_covers_the_whole_request_and_cuts_retries_short() {
    // Tries take 12 ms and fail; ten retries would take far longer than the 50 ms route
    // timeout, which ends every request at exactly 50 ms with a 504, retries included.
    let mesh = "[mesh.api]\ntimeout = \"50ms\"\n\n[mesh.api.retries]\nattempts = 10\nretry_on = [\"5xx\"]\nbackoff_base = \"1ms\"\n";
    for engine in ENGINES {
        let run = run_on(engine, &scenario("5s", 20, &failing(2, "10ms"), mesh));
        for row in &run.rows {
            assert_eq!(
                (row.outcome.as_str(), row.status, row.reason.as_str()),
                ("timed_out", 504, "route_timeout"),
                "{row:?}"
            );
            assert!((row.latency_ms - 50.0).abs() < 1e-6, "{engine:?} {row:?}");
        }
        let mesh = run.mesh("api");
        // Four tries take 48 ms and their back-offs (under 1, 2, 4 ms) may add less than 2 ms,
        // so a fifth may start before the 50 ms: never a sixth.
        assert!(mesh.attempts <= 5 * mesh.calls, "{mesh:?}");
        assert!(mesh.retries >= mesh.calls, "{mesh:?}");
    }
}

#[test]
fn a_per_try_timeout_ends_the_try_and_the_retry_goes_to_another_instance() {
    // Three instances; one takes 500 ms. The 50 ms per-try timeout gives up on it and the retry
    // goes to another (Envoy's `previous_hosts` predicate draws again when the balancer offers
    // the host tried), so every request succeeds, in 4 ms or in 50 ms + back-off + 4 ms. On the
    // event engine only: the back-off is under a millisecond, the turmoil engine's tick.
    let api = "replicas = 2\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
               service_time = { dist = \"const\", value = \"2ms\" }\n\n\
               [[service.version]]\nname = \"slow\"\nreplicas = 1\nservice_time_factor = 250\n";
    let mesh = "[mesh.api.retries]\nattempts = 1\nper_try_timeout = \"50ms\"\nretry_on = [\"reset\"]\nbackoff_base = \"1ms\"\n\
                retry_ignore_previous_hosts = true\n";
    let run = run(&scenario("10s", 50, api, mesh));
    assert_eq!(run.summary.requests.succeeded, run.rows.len() as u64);
    assert!(run.rows.len() >= 499);
    let retried = run.rows.iter().filter(|row| row.latency_ms > 50.0).count();
    // Round robin moves on at every pick, retries included, so how many requests meet the slow
    // host first depends on how the retries' picks (51 ms later) interleave with the next
    // requests'; a third of first picks at most, and a good share of them.
    assert!((50..=170).contains(&retried), "{retried}");
    assert_eq!(run.mesh("api").retries, retried as u64);
    for row in &run.rows {
        let fast = (row.latency_ms - 4.0).abs() < 1e-6;
        let retried = (54.0..55.0).contains(&row.latency_ms);
        assert!(fast || retried, "{row:?}");
    }
}

#[test]
fn retry_on_decides_which_failures_are_retried() {
    for engine in ENGINES {
        // A 500 is a 5xx but not a gateway error: `gateway-error` leaves it alone.
        let gateway = "[mesh.api.retries]\nattempts = 2\nretry_on = [\"gateway-error\"]\n";
        let run_gateway = run_on(engine, &scenario("2s", 50, &failing(1, "1ms"), gateway));
        assert_eq!(run_gateway.mesh("api").retries, 0, "{engine:?}");
        let five_xx = "[mesh.api]\nconnection_pool = { max_retries = 1000 }\n\n\
                       [mesh.api.retries]\nattempts = 2\nretry_on = [\"5xx\"]\n";
        let run_five_xx = run_on(engine, &scenario("2s", 50, &failing(1, "1ms"), five_xx));
        let retries = run_five_xx.mesh("api").retries;
        let ended = run_five_xx.rows.len() as u64;
        assert!(
            (2 * ended..=2 * 100).contains(&retries),
            "{engine:?} {retries}"
        );
        // A refused connection is a connect failure; the retry goes to the other host.
        let crash = "[[fault]]\nat = \"0s\"\nkind = \"crash\"\ntarget = \"api/0\"\n\n\
                     [mesh.api.retries]\nattempts = 1\nretry_on = [\"connect-failure\"]\n\
                     retry_ignore_previous_hosts = true\n";
        let run_refused = run_on(engine, &scenario("1s", 50, &healthy(2, "1ms"), crash));
        assert!(run_refused.mesh("api").retries > 0, "{engine:?}");
        assert_eq!(run_refused.summary.requests.failed, 0, "{engine:?}");
    }
}

#[test]
fn without_a_budget_envoy_caps_concurrent_retries_at_three() {
    for engine in ENGINES {
        // Every try fails after 100 ms; 100 requests a second each want one retry. At most three
        // retries are open at once, each for about 102 ms plus its back-off, so fewer than
        // 3 × 10 s / 0.102 s of the 1000 get one; the rest are denied.
        let mesh =
            "[mesh.api.retries]\nattempts = 1\nretry_on = [\"5xx\"]\nbackoff_base = \"1ms\"\n";
        let run = run_on(engine, &scenario("10s", 100, &failing(1, "100ms"), mesh));
        let mesh = run.mesh("api");
        assert!((250..=300).contains(&mesh.retries), "{engine:?} {mesh:?}");
        let denials = run.events_of("retry_budget");
        assert!(
            denials[0].2 == "by load: retries denied by the cap of 3 retries at once",
            "{denials:?}"
        );
        // Each request that ended wanted its retry: it got one or was denied.
        let wanted = mesh.retries + mesh.budget_denials;
        let in_flight = run.summary.requests.in_flight;
        assert!(
            (mesh.calls - in_flight..=mesh.calls).contains(&wanted),
            "{mesh:?}"
        );
    }
}

#[test]
fn connection_pool_max_retries_changes_the_cap() {
    for engine in ENGINES {
        let mesh = "[mesh.api]\nconnection_pool = { max_retries = 1 }\n\n\
                    [mesh.api.retries]\nattempts = 1\nretry_on = [\"5xx\"]\nbackoff_base = \"1ms\"\n";
        let run = run_on(engine, &scenario("10s", 100, &failing(1, "100ms"), mesh));
        let mesh = run.mesh("api");
        assert!((85..=100).contains(&mesh.retries), "{engine:?} {mesh:?}");
    }
}

#[test]
fn the_retry_budget_allows_a_share_of_active_requests_and_at_least_the_minimum() {
    for engine in ENGINES {
        // About 10 first tries are active at once (100 a second for 100 ms), plus the r retries
        // open. 20 % of 10 + r stays under the floor of 3, so the floor rules and the budget lets as
        // many retries through as the default cap. At 50 % with a floor of 1, a retry may open
        // while r < (10 + r) / 2, that is up to 9 at once: at most 9 per 102 ms, 880 in 10 s.
        let floor = "[mesh.api.retries]\nattempts = 1\nretry_on = [\"5xx\"]\nbackoff_base = \"1ms\"\n\
                     budget_percent = 20\nmin_retry_concurrency = 3\n";
        let run_floor = run_on(engine, &scenario("10s", 100, &failing(1, "100ms"), floor));
        let retries_floor = run_floor.mesh("api").retries;
        assert!(
            (250..=300).contains(&retries_floor),
            "{engine:?} {retries_floor}"
        );
        let share = "[mesh.api.retries]\nattempts = 1\nretry_on = [\"5xx\"]\nbackoff_base = \"1ms\"\n\
                     budget_percent = 50\nmin_retry_concurrency = 1\n";
        let run_share = run_on(engine, &scenario("10s", 100, &failing(1, "100ms"), share));
        let mesh = run_share.mesh("api");
        assert!((700..=880).contains(&mesh.retries), "{engine:?} {mesh:?}");
        let wanted = mesh.retries + mesh.budget_denials;
        let in_flight = run_share.summary.requests.in_flight;
        assert!(
            (mesh.calls - in_flight..=mesh.calls).contains(&wanted),
            "{mesh:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Connection pool

#[test]
fn a_full_connection_pool_fails_fast_with_503_counted_as_shed_by_the_mesh() {
    // One connection, one pending slot, 100 ms per request at 50 a second: the pool passes at
    // most one request per 102 ms; the rest fail at the caller's sidecar at once.
    let mesh = "[mesh.api]\nconnection_pool = { max_connections = 1, max_pending_requests = 1 }\n";
    for engine in ENGINES {
        let run = run_on(engine, &scenario("10s", 50, &healthy(1, "100ms"), mesh));
        let overflowed: Vec<&Row> = run
            .rows
            .iter()
            .filter(|row| row.reason == "overflow")
            .collect();
        assert!(overflowed.len() > 400, "{}", overflowed.len());
        for row in &overflowed {
            assert_eq!((row.outcome.as_str(), row.status), ("shed", 503), "{row:?}");
            assert!(row.latency_ms.abs() < 1e-9, "{row:?}");
        }
        assert_eq!(run.mesh("api").overflows, overflowed.len() as u64);
        // The service never saw them, so it shed nothing itself.
        let api = &run.summary.services["api"];
        assert_eq!(api.requests.shed, 0);
        assert_eq!(
            api.requests.received + overflowed.len() as u64 + run.summary.requests.in_flight,
            500
        );
    }
}

#[test]
fn pending_calls_wait_for_a_connection_in_order() {
    for engine in ENGINES {
        // One connection, plenty of pending room, a request every 20 ms that holds the connection
        // for 27 ms (two hops and 25 ms of work): calls queue instead of failing, and leave the
        // queue oldest first, so each waits longer than the one before.
        let mesh =
            "[mesh.api]\nconnection_pool = { max_connections = 1, max_pending_requests = 100 }\n";
        let run = run_on(engine, &scenario("2s", 50, &healthy(1, "25ms"), mesh));
        assert_eq!(run.reasons("overflow"), 0, "{engine:?}");
        assert_eq!(
            run.summary.requests.succeeded,
            run.rows.len() as u64,
            "{engine:?}"
        );
        let mut rows: Vec<&Row> = run.rows.iter().collect();
        rows.sort_by(|a, b| a.sent_s.total_cmp(&b.sent_s));
        for pair in rows.windows(2) {
            assert!(
                (pair[1].latency_ms - pair[0].latency_ms - 7.0).abs() < 1e-6,
                "{pair:?}"
            );
        }
        assert!(run.metrics_max("api", "pending") >= 1.0, "{engine:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Outlier detection

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

// ---------------------------------------------------------------------------------------------
// Circuit breaker (opossum)

/// `api` crashes at 2 s and comes back at 6 s; a breaker with a 1 s reset timeout guards it.
fn breaker_scenario(fallback: &str) -> String {
    let extra = format!(
        "[[fault]]\nat = \"2s\"\nkind = \"crash\"\ntarget = \"api\"\nrestart_after = \"4s\"\n\n\
         [mesh.api.circuit_breaker]\ntimeout = \"1s\"\nerror_threshold_percent = 50\n\
         volume_threshold = 5\nwindow = \"1s\"\nbuckets = 10\nreset_timeout = \"1s\"\n{fallback}"
    );
    scenario("10s", 100, &healthy(1, "1ms"), &extra)
}

#[test]
fn the_breaker_opens_tries_one_call_half_open_and_closes_when_it_succeeds() {
    for engine in ENGINES {
        let run = run_on(engine, &breaker_scenario(""));
        let moves: Vec<String> = run
            .events_of("circuit")
            .into_iter()
            .map(|(_, _, detail)| detail.rsplit(": ").next().unwrap().to_owned())
            .collect();
        assert_eq!(moves.first().map(String::as_str), Some("closed -> open"));
        assert_eq!(
            moves.last().map(String::as_str),
            Some("half_open -> closed")
        );
        // While the service is down, each half-open trial fails and the breaker opens again.
        assert!(moves.iter().any(|m| m == "half_open -> open"), "{moves:?}");
        // One trial per half-open spell: the calls between trials are rejected at once.
        let rejected: Vec<&Row> = run
            .rows
            .iter()
            .filter(|row| row.reason == "circuit_open")
            .collect();
        assert!(rejected.len() > 250, "{}", rejected.len());
        assert!(rejected.iter().all(|row| row.latency_ms.abs() < 1e-9));
        let trials = run
            .rows
            .iter()
            .filter(|row| (2.5..6.0).contains(&row.sent_s) && row.reason != "circuit_open")
            .count();
        // One trial a second at most while the service is down (plus the calls that failed
        // before the control plane took it out, which fail fast too).
        assert!(trials <= 8, "{trials} calls got through the open breaker");
        let opens = run.mesh("api").circuit_opens;
        assert!((3..=6).contains(&opens), "{opens}");
        // Back to normal after the restart.
        assert!(
            run.rows
                .iter()
                .filter(|row| row.sent_s > 8.0)
                .all(|row| row.outcome == "succeeded")
        );
    }
}

#[test]
fn an_open_breaker_answers_with_the_fallback() {
    for engine in ENGINES {
        let run = run_on(engine, &breaker_scenario("fallback_status = 200\n"));
        let fallbacks = run.reasons("fallback");
        assert!(fallbacks > 250, "{engine:?} {fallbacks}");
        assert_eq!(run.mesh("api").fallbacks, fallbacks as u64, "{engine:?}");
        // A fallback answer is a success to the caller.
        assert!(
            run.rows
                .iter()
                .filter(|row| row.reason == "fallback")
                .all(|row| row.outcome == "succeeded" && row.status == 200)
        );
        assert!(run.summary.success_rate.unwrap() > 0.95, "{engine:?}");
    }
}

#[test]
fn a_call_slower_than_the_breaker_timeout_fails() {
    for engine in ENGINES {
        // opossum's `timeout`: the call is given up after 20 ms even though the service answers.
        let extra = "[mesh.api.circuit_breaker]\ntimeout = \"20ms\"\nvolume_threshold = 1000000\n";
        let run = run_on(engine, &scenario("2s", 50, &healthy(1, "50ms"), extra));
        assert_eq!(run.reasons("breaker_timeout"), run.rows.len(), "{engine:?}");
        assert!(run.rows.len() >= 99, "{engine:?}");
        assert!(
            run.rows
                .iter()
                .all(|row| (row.latency_ms - 20.0).abs() < 1e-6)
        );
    }
}

#[test]
fn the_slow_call_rule_opens_the_breaker_on_slow_successes() {
    for engine in ENGINES {
        // resilience4j's slow-call threshold: every call succeeds but takes 30 ms, over the 10 ms
        // slow-call duration, so the slow-call rate reaches 100 % and the breaker opens.
        let extra = "[mesh.api.circuit_breaker]\nvolume_threshold = 10\nslow_call_duration = \"10ms\"\nslow_call_rate_percent = 100\n";
        let run = run_on(engine, &scenario("5s", 50, &healthy(1, "30ms"), extra));
        assert!(run.mesh("api").circuit_opens >= 1, "{engine:?}");
        assert!(run.reasons("circuit_open") > 0, "{engine:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Load balancing

/// Two instances, the second ten times slower.
fn one_slow() -> String {
    "replicas = 1\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
     service_time = { dist = \"exp\", mean = \"5ms\" }\n\n\
     [[service.version]]\nname = \"slow\"\nreplicas = 1\nservice_time_factor = 10\n"
        .to_owned()
}

fn slow_share(balancer: &str) -> f64 {
    let mesh = format!("[mesh.api]\nload_balancer = \"{balancer}\"\n");
    let mut source = scenario("20s", 200, &one_slow(), &mesh);
    if balancer == "peak_ewma" {
        // Peak EWMA is Linkerd's balancer, and only Linkerd's.
        source = source.replace("mesh = \"envoy\"", "mesh = \"linkerd\"");
    }
    let run = run(&source);
    let slow = run.received("api", "slow") as f64;
    slow / (slow + run.received("api", "v1") as f64)
}

#[test]
fn round_robin_and_random_split_evenly() {
    assert!((slow_share("round_robin") - 0.5).abs() < 0.001);
    assert!((slow_share("random") - 0.5).abs() < 0.03);
}

#[test]
fn least_request_sends_less_to_the_busier_host() {
    // Power of two choices by active requests: the slow host holds more requests at once and
    // wins fewer draws.
    let share = slow_share("least_request");
    assert!(share < 0.4, "{share}");
}

#[test]
fn peak_ewma_sends_less_to_the_slower_host() {
    // Latency × load: the slow host is ten times slower, so it gets less than least_request
    // gives it.
    let share = slow_share("peak_ewma");
    assert!(share < slow_share("least_request"), "{share}");
    assert!(share < 0.3, "{share}");
}

// ---------------------------------------------------------------------------------------------
// Fault injection, rate limits, authorization

#[test]
fn fault_injection_aborts_and_delays_the_given_shares() {
    for engine in ENGINES {
        let mesh = "[mesh.api]\nfault = { delay = \"50ms\", delay_percent = 20, abort_status = 503, abort_percent = 10 }\n";
        let run = run_on(engine, &scenario("20s", 100, &healthy(2, "1ms"), mesh));
        let n = run.rows.len() as f64;
        let aborted = run.reasons("fault_abort") as f64 / n;
        assert!((aborted - 0.10).abs() < 0.015, "{engine:?} {aborted}");
        // Envoy's fault filter delays first and draws the abort on its own once the delay is over
        // (fault_filter.cc#L153-L163, #L446-L470): an abort answers at once, or after the delay.
        let mut aborted_late = 0;
        for row in run.rows.iter().filter(|row| row.reason == "fault_abort") {
            assert_eq!(
                (row.status, row.outcome.as_str()),
                (503, "failed"),
                "{engine:?}"
            );
            let late = (row.latency_ms - 50.0).abs() < 1e-9;
            assert!(row.latency_ms.abs() < 1e-9 || late, "{engine:?} {row:?}");
            aborted_late += usize::from(late);
        }
        // The draws are independent: a fifth of the aborted waited first.
        let late_share = aborted_late as f64 / run.reasons("fault_abort") as f64;
        assert!((late_share - 0.20).abs() < 0.06, "{engine:?} {late_share}");
        // A fifth of all calls waited 50 ms, aborted or not.
        let delayed = run.rows.iter().filter(|row| row.latency_ms >= 50.0).count() as f64;
        let share = delayed / n;
        assert!((share - 0.20).abs() < 0.02, "{engine:?} {share}");
        let mesh = run.mesh("api");
        assert_eq!(
            mesh.fault_aborts,
            run.reasons("fault_abort") as u64,
            "{engine:?}"
        );
        // Calls delayed in the last 50 ms are still in flight at the end: counted, not in a row.
        assert!(
            (delayed as u64..=delayed as u64 + 5).contains(&mesh.fault_delays),
            "{engine:?}"
        );
    }
}

#[test]
fn the_local_rate_limit_answers_429_beyond_its_token_bucket() {
    // 10 tokens to start and 10 a second, accruing continuously as Envoy refills since 1.34
    // (local_ratelimit_impl.cc#L77-L83): a request every 10 ms finds a whole token every
    // 100 ms once the first 10 are spent, so over 10 s 10 + 99 requests pass; the other 891
    // are answered 429 by the callee's sidecar and never reach the service.
    let mesh = "[mesh.api]\nrate_limit = { max_tokens = 10, tokens_per_fill = 10, fill_interval = \"1s\" }\n";
    for engine in ENGINES {
        let run = run_on(engine, &scenario("10s", 100, &healthy(1, "1ms"), mesh));
        assert_eq!(run.summary.services["api"].requests.received, 109);
        assert_eq!(run.mesh("api").rate_limited, 891);
        assert_eq!(run.reasons("rate_limited"), 891);
        assert!(
            run.rows
                .iter()
                .filter(|row| row.reason == "rate_limited")
                .all(|row| row.status == 429 && row.outcome == "shed")
        );
        // One episode a second, logged when it starts.
        let episodes = run
            .events_of("rate_limit")
            .iter()
            .filter(|(_, _, detail)| detail.starts_with("over the limit"))
            .count();
        assert!((1..=10).contains(&episodes), "{episodes}");
    }
}

#[test]
fn allow_from_denies_every_other_caller_with_403() {
    // `front` calls `api`; only `front` may. The workload calls `api` directly and is denied.
    let source = format!(
        "{}\n[[service]]\nname = \"front\"\nexposed = true\n\n[[service.endpoint]]\nname = \"get\"\n\
         calls = [ {{ service = \"api\", endpoint = \"get\" }} ]\n\n\
         [[workload]]\nname = \"via-front\"\ntarget = \"front\"\nendpoint = \"get\"\n\
         arrival = {{ kind = \"constant\", rate = 10 }}\n\n\
         [mesh.api]\nallow_from = [\"front\"]\n",
        scenario("5s", 10, &healthy(1, "1ms"), "")
    );
    for engine in ENGINES {
        let run = run_on(engine, &source);
        let direct = &run.summary.workloads["load"];
        assert_eq!(direct.requests.failed, 50);
        let via_front = &run.summary.workloads["via-front"];
        assert_eq!(via_front.requests.succeeded, 50);
        assert_eq!(run.mesh("api").denied, 50);
        let denials = run.events_of("denied");
        assert_eq!(denials.len(), 1, "{denials:?}");
        assert_eq!(denials[0].2, "403 to load: not in allow_from");
    }
}

// ---------------------------------------------------------------------------------------------
// What the mesh makes visible

#[test]
fn summary_gives_retry_amplification_per_edge() {
    for engine in ENGINES {
        // Half the tries fail and are retried once: 1.5 attempts per call on average.
        let api = "replicas = 2\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
                   service_time = { dist = \"const\", value = \"1ms\" }\nerror_rate = 0.5\n";
        let mesh = "[mesh.api.retries]\nattempts = 1\nretry_on = [\"5xx\"]\n";
        let run = run_on(engine, &scenario("20s", 100, api, mesh));
        let edge = run.summary.edges["load -> api"];
        assert_eq!(edge.calls, 2000, "{engine:?}");
        assert_eq!(edge.attempts, edge.calls + edge.retries, "{engine:?}");
        assert!(
            (edge.amplification - 1.5).abs() < 0.03,
            "{engine:?} {edge:?}"
        );
        let mesh = run.mesh("api");
        assert_eq!(mesh.amplification, Some(edge.amplification), "{engine:?}");
        // metrics.csv counts the retries per interval.
        let retries_column: f64 = {
            let mut reader = csv::Reader::from_reader(run.metrics.as_bytes());
            let headers = reader.headers().unwrap().clone();
            let index = headers.iter().position(|name| name == "retries").unwrap();
            reader
                .records()
                .map(Result::unwrap)
                .filter(|row| &row[1] == "service" && &row[2] == "api")
                .map(|row| row[index].parse::<f64>().unwrap())
                .sum()
        };
        assert_eq!(retries_column as u64, edge.retries, "{engine:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Routes

/// `order` with v1 (2 instances) and v2 (1), a workload sending `user-type` with `beta_share`
/// beta, and `routes` as `[[mesh.order.route]]` tables.
fn routed(beta_share: f64, routes: &str) -> String {
    format!(
        r#"
[scenario]
name = "routes"
duration = "20s"

[network]
latency = {{ dist = "const", value = "1ms" }}

[[service]]
name = "order"
replicas = 2
exposed = true

[[service.endpoint]]
name = "get"
service_time = {{ dist = "const", value = "1ms" }}

[[service.version]]
name = "v2"
replicas = 1

[[workload]]
name = "load"
target = "order"
endpoint = "get"
arrival = {{ kind = "constant", rate = 200 }}
headers = {{ "user-type" = {{ beta = {beta_share}, regular = {regular} }} }}
{routes}"#,
        regular = 1.0 - beta_share
    )
}

fn version_shares(run: &Run) -> (u64, u64) {
    (run.received("order", "v1"), run.received("order", "v2"))
}

#[test]
fn the_first_matching_route_wins_and_weights_split_the_rest() {
    // 20 % beta all to v2; the rest 80/20: v2 takes 0.2 + 0.8 × 0.2 = 36 % of the requests.
    let routes = "[[mesh.order.route]]\nmatch = { headers = { \"user-type\" = \"beta\" } }\nweights = { v2 = 100 }\n\n\
                  [[mesh.order.route]]\nweights = { v1 = 80, v2 = 20 }\n";
    for engine in ENGINES {
        let run = run_on(engine, &routed(0.2, routes));
        let (v1, v2) = version_shares(&run);
        let share = v2 as f64 / (v1 + v2) as f64;
        assert!((share - 0.36).abs() < 0.02, "{engine:?} {share}");
    }
    // All beta: v1 sees nothing.
    let run = run(&routed(1.0, routes));
    assert_eq!(version_shares(&run).0, 0);
}

#[test]
fn prefix_and_regex_conditions_match_the_header_value() {
    for engine in ENGINES {
        for condition in ["{ prefix = \"be\" }", "{ regex = \"b.t[a-z]\" }"] {
            let routes = format!(
                "[[mesh.order.route]]\nmatch = {{ headers = {{ \"user-type\" = {condition} }} }}\nweights = {{ v2 = 100 }}\n\n\
                 [[mesh.order.route]]\nweights = {{ v1 = 100 }}\n"
            );
            let run = run_on(engine, &routed(0.5, &routes));
            let (v1, v2) = version_shares(&run);
            let share = v2 as f64 / (v1 + v2) as f64;
            assert!(
                (share - 0.5).abs() < 0.05,
                "{engine:?} {condition}: {share}"
            );
        }
        // A regex matches the whole value, as Envoy's does: "bet" alone does not match "beta".
        let routes = "[[mesh.order.route]]\nmatch = { headers = { \"user-type\" = { regex = \"bet\" } } }\nweights = { v2 = 100 }\n\n\
                      [[mesh.order.route]]\nweights = { v1 = 100 }\n";
        assert_eq!(version_shares(&run_on(engine, &routed(0.5, routes))).1, 0);
    }
}

#[test]
fn a_request_no_route_matches_is_answered_404() {
    for engine in ENGINES {
        let routes = "[[mesh.order.route]]\nmatch = { headers = { \"user-type\" = \"beta\" } }\nweights = { v2 = 100 }\n";
        let run = run_on(engine, &routed(0.5, routes));
        let unrouted = run.reasons("no_route");
        assert!((1_800..2_200).contains(&unrouted), "{engine:?} {unrouted}");
        assert!(
            run.rows
                .iter()
                .filter(|row| row.reason == "no_route")
                .all(|row| row.status == 404 && row.latency_ms.abs() < 1e-9)
        );
        assert_eq!(version_shares(&run).0, 0, "{engine:?}");
    }
}
