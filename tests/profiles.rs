//! Conformance of the mesh profiles: what Istio's defaults and Envoy's semantics change against
//! the mechanisms `tests/mesh.rs` pins. Each test is a small simulation whose numbers follow from
//! the source the profile cites (`src/profile/`), and contrasts the profiles where that makes
//! the point: the same system under Istio and under a bare Envoy can tell opposite stories.
//!
//! Every scenario has constant 1 ms hops, so latencies are exact sums. Tests whose numbers do
//! not depend on the engine's tick run on both engines.

mod support;

use std::fmt::Write as _;

use meshsim::EngineKind;
use meshsim::scenario::load_str;
use support::probe::{self, Run, System};

const ENGINES: [EngineKind; 2] = [EngineKind::Event, EngineKind::Turmoil];

/// The probe system (`support::probe::System`) under `mesh`, its requests giving up after 30 s;
/// the control plane takes 1 s to publish a change of endpoints.
fn scenario(mesh: &str, duration: &str, rate: u32, api: &str, extra: &str) -> String {
    System {
        mesh,
        duration,
        rate: f64::from(rate),
        timeout: "30s",
        network: "discovery_delay = \"1s\"",
        api,
        extra,
    }
    .text()
}

fn run_on(engine: EngineKind, source: &str) -> Run {
    probe::run_on(engine, "profiles.toml", source)
}

/// `replicas` instances answering in `service_time`, with `bad` more that always answer 500.
fn instances(replicas: u32, service_time: &str, bad: u32) -> String {
    let mut text = format!(
        "replicas = {replicas}\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
         service_time = {{ dist = \"const\", value = \"{service_time}\" }}\n"
    );
    if bad > 0 {
        let _ = write!(
            text,
            "\n[[service.version]]\nname = \"bad\"\nreplicas = {bad}\nerror_rate = 1.0\n"
        );
    }
    text
}

/// A crash of `api/0` at 2 s, restarted at 5 s.
const CRASH: &str =
    "[[fault]]\nat = \"2s\"\nkind = \"crash\"\ntarget = \"api/0\"\nrestart_after = \"3s\"\n";

// ---------------------------------------------------------------------------------------------
// Retries

#[test]
fn istio_puts_no_limit_on_concurrent_retries() {
    // Every answer fails with probability 0.5; three retries on 5xx. With no cap on retries in
    // flight (istiod sets max_retries to 2^32 − 1: cluster_traffic_policy.go#L437-L451) each
    // request fails only if all four tries do: 1 − 0.5⁴ = 93.75 % succeed. Envoy's own cap of 3
    // retries at once denies most of them at 1,000 requests a second.
    let api = "replicas = 4\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
               service_time = { dist = \"const\", value = \"2ms\" }\nerror_rate = 0.5\n";
    let retries = "[mesh.api.retries]\nattempts = 3\nretry_on = [\"5xx\"]\n";
    for engine in ENGINES {
        let istio = run_on(engine, &scenario("istio", "5s", 1000, api, retries));
        let success = istio.success_rate();
        // 5,000 requests: the binomial's standard deviation is 0.34 points.
        assert!((success - 0.9375).abs() < 0.015, "{engine:?} {success}");
        assert_eq!(istio.mesh("api").budget_denials, 0, "{engine:?}");
        let envoy = run_on(engine, &scenario("envoy", "5s", 1000, api, retries));
        assert!(
            envoy.success_rate() < 0.75,
            "{engine:?} {}",
            envoy.success_rate()
        );
        assert!(
            envoy.mesh("api").budget_denials > 1000,
            "{:?}",
            envoy.mesh("api")
        );
    }
}

#[test]
fn istio_retries_a_refused_connection_twice_on_other_hosts() {
    // api/0 crashes at 2 s; for the second before the control plane notices, its connections
    // are refused. Istio's default policy (retry.go#L35-L57: 2 retries on connect-failure,
    // other hosts first) sends each refused try to another instance: nothing fails. A bare
    // Envoy retries nothing, so a third of that second's requests fail.
    for engine in ENGINES {
        let istio = run_on(
            engine,
            &scenario("istio", "8s", 90, &instances(3, "2ms", 0), CRASH),
        );
        assert_eq!(istio.summary.requests.failed, 0, "{engine:?}");
        assert!(
            istio.mesh("api").retries >= 25,
            "{engine:?} {:?}",
            istio.mesh("api")
        );
        for row in istio.rows.iter().filter(|row| row.latency_ms > 4.5) {
            // A refused try costs its round trip and a back-off below 25 ms.
            // A second refusal is rare: a retry's host is drawn again while it is one tried.
            assert!(
                row.latency_ms < 4.0 + 2.0 * (2.0 + 50.0),
                "{engine:?} {row:?}"
            );
        }
        let envoy = run_on(
            engine,
            &scenario("envoy", "8s", 90, &instances(3, "2ms", 0), CRASH),
        );
        let refused = envoy.reasons("connection_refused");
        assert!((25..=35).contains(&refused), "{engine:?} {refused}");
        assert_eq!(envoy.mesh("api").retries, 0, "{engine:?}");
    }
}

#[test]
fn istio_retries_no_answer_by_default() {
    for engine in ENGINES {
        // Since Istio 1.24 the default policy has no retriable status codes (PR #52111): a 500 or a
        // 503 from the application goes back to the caller untouched.
        let run = run_on(
            engine,
            &scenario("istio", "5s", 100, &instances(2, "1ms", 1), ""),
        );
        assert_eq!(run.mesh("api").retries, 0, "{engine:?}");
        assert!(run.reasons("error") > 100, "{engine:?}");
    }
}

#[test]
fn istio_retries_nothing_when_a_retries_block_omits_attempts() {
    for engine in ENGINES {
        // `attempts` left out is 0, which turns retries off (retry.go#L105-L112), even with a per-try
        // timeout set: the default policy's two retries are gone too. `check` says so.
        let block = "[mesh.api.retries]\nper_try_timeout = \"500ms\"\n";
        let source = scenario(
            "istio",
            "8s",
            90,
            &instances(3, "2ms", 0),
            &format!("{CRASH}{block}"),
        );
        let loaded = load_str("profiles.toml", &source).unwrap();
        let warnings = loaded.render_warnings(false);
        assert!(warnings.contains("retry nothing"), "{engine:?} {warnings}");
        let run = run_on(engine, &source);
        assert_eq!(run.mesh("api").retries, 0, "{engine:?}");
        assert!(run.reasons("connection_refused") > 20, "{engine:?}");
    }
}

#[test]
fn envoy_and_linkerd_retry_nothing_unless_asked() {
    for engine in ENGINES {
        for mesh in ["envoy", "linkerd"] {
            let run = run_on(
                engine,
                &scenario(mesh, "8s", 90, &instances(3, "2ms", 0), CRASH),
            );
            assert_eq!(run.mesh("api").retries, 0, "{engine:?} {mesh}");
            assert!(run.summary.requests.failed > 20, "{engine:?} {mesh}");
        }
    }
}

#[test]
fn envoy_retries_may_land_on_the_host_that_failed() {
    for engine in ENGINES {
        // Without the previous_hosts predicate, Envoy's retry is balanced like any try
        // (load_balancer_impl.cc#L617-L634): with random balancing over two hosts, one refusing,
        // half the retries of refused tries go back to it and fail again. With the predicate and
        // five more draws, a retry meets it again only if all six draws do: 1 in 64.
        // The cap on retries in flight is lifted: only where a retry goes matters here.
        let retries = "[mesh.api]\nload_balancer = \"random\"\nconnection_pool = { max_retries = 10000 }\n\n\
                       [mesh.api.retries]\nattempts = 1\nretry_on = [\"connect-failure\"]\n";
        let crash = "[[fault]]\nat = \"2s\"\nkind = \"crash\"\ntarget = \"api/0\"\n";
        let source = |extra: &str| {
            scenario(
                "envoy",
                "2.9s",
                1000,
                &instances(2, "1ms", 0),
                &format!("{crash}{retries}{extra}"),
            )
        };
        let plain = run_on(engine, &source(""));
        // In the 0.9 s after the crash, 900 requests; half meet api/0 first, half of their retries
        // meet it again: about 225 fail.
        let failed = plain.summary.requests.failed;
        assert!((170..=280).contains(&failed), "{engine:?} {failed}");
        let predicate = run_on(
            engine,
            &source("retry_ignore_previous_hosts = true\nhost_selection_retry_max_attempts = 5\n"),
        );
        // 450 refused first tries × 1/64: about 7.
        assert!(
            predicate.summary.requests.failed <= 20,
            "{}",
            predicate.summary.requests.failed
        );
    }
}

#[test]
fn retry_on_follows_envoys_retry_state() {
    for engine in ENGINES {
        // retry_state_impl.cc#L383-L520. A crashed api/0 refuses; the other instance answers.
        let crash = "[[fault]]\nat = \"0s\"\nkind = \"crash\"\ntarget = \"api/0\"\n";
        let refused_retries = |words: &str| {
            let mesh = format!(
                "{crash}\n[mesh.api.retries]\nattempts = 1\nretry_on = [{words}]\n\
                 retry_ignore_previous_hosts = true\n"
            );
            let run = run_on(
                engine,
                &scenario("envoy", "1s", 100, &instances(2, "1ms", 0), &mesh),
            );
            run.mesh("api").retries
        };
        // `reset` covers a refused connection (it falls through the connect-failure test to the
        // reset test, #L474-L507), as `connect-failure`, `5xx` and `gateway-error` do.
        for words in [
            "\"reset\"",
            "\"connect-failure\"",
            "\"5xx\"",
            "\"gateway-error\"",
        ] {
            assert!(refused_retries(words) > 30, "{engine:?} {words}");
        }
        // `refused-stream` is HTTP/2's REFUSED_STREAM; gRPC's names read a grpc-status.
        for words in ["\"refused-stream\"", "\"unavailable\"", "\"cancelled\""] {
            assert_eq!(refused_retries(words), 0, "{engine:?} {words}");
        }
        // A 503 answer (a full queue) is retried by `retriable-status-codes` with 503 in the list,
        // and not by the gRPC `unavailable` the word resembles.
        let shedding = "replicas = 2\nworkers = 1\nqueue = 0\n\n[[service.endpoint]]\nname = \"get\"\n\
                        service_time = { dist = \"const\", value = \"30ms\" }\n";
        let shed_retries = |retry: &str| {
            let mesh = format!("[mesh.api.retries]\nattempts = 1\n{retry}");
            run_on(engine, &scenario("envoy", "2s", 100, shedding, &mesh))
                .mesh("api")
                .retries
        };
        assert!(
            shed_retries(
                "retry_on = [\"retriable-status-codes\"]\nretriable_status_codes = [503]\n"
            ) > 50
        );
        assert_eq!(
            shed_retries("retry_on = [\"unavailable\"]\n"),
            0,
            "{engine:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Timeouts and fault injection

#[test]
fn istio_sets_no_route_timeout_unless_asked() {
    for engine in ENGINES {
        // istiod writes `timeout: 0s` on every route without one (route.go#L1335-L1358): a 20 s
        // answer is waited for.
        let slow = instances(1, "20s", 0);
        let run = run_on(engine, &scenario("istio", "21s", 1, &slow, ""));
        let first = &run.rows[0];
        assert_eq!(first.outcome, "succeeded", "{engine:?} {first:?}");
        assert!(
            (first.latency_ms - 20_002.0).abs() < 1e-6,
            "{engine:?} {first:?}"
        );
    }
}

#[test]
fn envoy_times_a_call_out_after_15_s_by_default() {
    // Envoy's route timeout defaults to 15 s (config_impl.h#L872): the same 20 s answer is a 504.
    let slow = instances(1, "20s", 0);
    for engine in ENGINES {
        let run = run_on(engine, &scenario("envoy", "21s", 1, &slow, ""));
        let first = &run.rows[0];
        assert_eq!(
            (first.status, first.reason.as_str()),
            (504, "route_timeout")
        );
        assert!(
            (first.latency_ms - 15_000.0).abs() < 1e-6,
            "{engine:?} {first:?}"
        );
    }
}

#[test]
fn the_route_timeout_starts_after_an_injected_delay() {
    // Envoy's fault filter runs before the router, which starts the route timeout only when the
    // request reaches it (fault_filter.cc#L153-L163; router.cc#L1204-L1218): a 1.5 s delay under
    // a 1 s timeout is answered in 1.5 s + 4 ms, not cut off at 1 s.
    let mesh =
        "[mesh.api]\ntimeout = \"1s\"\nfault = { delay = \"1500ms\", delay_percent = 100 }\n";
    for engine in ENGINES {
        let run = run_on(
            engine,
            &scenario("istio", "5s", 10, &instances(1, "2ms", 0), mesh),
        );
        assert!(!run.rows.is_empty(), "{engine:?}");
        for row in &run.rows {
            assert_eq!(row.outcome, "succeeded", "{engine:?} {row:?}");
            assert!((row.latency_ms - 1504.0).abs() < 1e-6, "{engine:?} {row:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Connection pool

#[test]
fn max_requests_fails_a_call_at_once_instead_of_queueing_it() {
    // Calls take 102 ms and come every 20 ms. `max_requests = 2` is checked when a call gets
    // its connection and turns it away at once with 503 when two are on connections already
    // (conn_pool_base.cc#L240-L246): nothing waits. `max_connections = 2` instead makes calls
    // wait for a connection.
    let slow = instances(1, "100ms", 0);
    for engine in ENGINES {
        let capped = run_on(
            engine,
            &scenario(
                "istio",
                "10s",
                50,
                &slow,
                "[mesh.api]\nconnection_pool = { max_requests = 2 }\n",
            ),
        );
        let overflows = capped.reasons("overflow");
        // The calls at 0 and 20 ms hold the two places until 102 and 122 ms; those at 40 to
        // 100 ms are turned away; the pattern repeats every 120 ms: 4 of 6, 333 of 500.
        assert!((331..=334).contains(&overflows), "{engine:?} {overflows}");
        for row in capped.rows.iter().filter(|row| row.reason == "overflow") {
            assert_eq!(
                (row.status, row.outcome.as_str()),
                (503, "shed"),
                "{engine:?}"
            );
            assert!(row.latency_ms.abs() < 1e-9, "{engine:?} {row:?}");
        }
        let queued = run_on(
            engine,
            &scenario(
                "istio",
                "10s",
                50,
                &slow,
                "[mesh.api]\nconnection_pool = { max_connections = 2 }\n",
            ),
        );
        assert_eq!(queued.reasons("overflow"), 0, "{engine:?}");
        assert!(
            queued.rows.iter().any(|row| row.latency_ms > 200.0),
            "{engine:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Load balancing

/// Three instances, one 20 times slower, each with 10 workers and a queue of 10: the slow one
/// serves at most 250 requests a second.
fn one_slow_of_three() -> String {
    "replicas = 2\nworkers = 10\nqueue = 10\n\n[[service.endpoint]]\nname = \"get\"\n\
     service_time = { dist = \"exp\", mean = \"2ms\" }\n\n\
     [[service.version]]\nname = \"slow\"\nreplicas = 1\nservice_time_factor = 20\n"
        .to_owned()
}

#[test]
fn istio_balances_by_least_request() {
    // istiod's default is LEAST_REQUEST (cluster_traffic_policy.go#L343-L356). At 900 requests a
    // second, round robin (Envoy's default) sends the slow instance 300, above the 250 it can
    // serve, and its queue overflows; least request sends it fewer, as it holds more at once.
    for engine in ENGINES {
        let istio = run_on(
            engine,
            &scenario("istio", "10s", 900, &one_slow_of_three(), ""),
        );
        assert!(
            istio.success_rate() > 0.999,
            "{engine:?} {}",
            istio.success_rate()
        );
        assert!(
            istio.received("api", "slow") < 2_000,
            "{}",
            istio.received("api", "slow")
        );
        let envoy = run_on(
            engine,
            &scenario("envoy", "10s", 900, &one_slow_of_three(), ""),
        );
        assert!(
            envoy.success_rate() < 0.99,
            "{engine:?} {}",
            envoy.success_rate()
        );
        assert!(envoy.reasons("shed") > 200, "{engine:?}");
    }
}

#[test]
fn envoy_balances_round_robin_by_default() {
    for engine in ENGINES {
        // cluster.proto#L90: ROUND_ROBIN; each instance in turn, from a random one.
        let run = run_on(
            engine,
            &scenario(
                "envoy",
                "10s",
                100,
                &instances(1, "1ms", 0),
                "[[service.version]]\nname = \"v2\"\nreplicas = 1\n",
            ),
        );
        let (v1, v2) = (run.received("api", "v1"), run.received("api", "v2"));
        assert!(v1.abs_diff(v2) <= 1, "{engine:?} {v1} {v2}");
    }
}

// ---------------------------------------------------------------------------------------------
// Outlier detection and panic

#[test]
fn istio_outlier_detection_ejects_nothing_below_ten_instances_by_default() {
    // Istio leaves max_ejection_percent at Envoy's 10 and never sets always_eject_one_host, and
    // since Envoy 1.31 the first ejection must fit too: 100 × 1/3 = 33 % > 10 %
    // (outlier_detection_impl.cc#L478-L486). Raised to 34, the bad instance is ejected.
    let od = "[mesh.api.outlier_detection]\nconsecutive_5xx = 5\ninterval = \"1s\"\n";
    for engine in ENGINES {
        let default = run_on(
            engine,
            &scenario("istio", "5s", 100, &instances(2, "1ms", 1), od),
        );
        assert_eq!(default.mesh("api").ejections, 0, "{engine:?}");
        // The bad instance keeps its third of the calls.
        let bad = default.received("api", "bad");
        assert!((150..=185).contains(&bad), "{engine:?} {bad}");
        let raised = format!("{od}max_ejection_percent = 34\n");
        let ejecting = run_on(
            engine,
            &scenario("istio", "5s", 100, &instances(2, "1ms", 1), &raised),
        );
        assert!(ejecting.mesh("api").ejections >= 1, "{engine:?}");
        assert!(
            ejecting.received("api", "bad") < 60,
            "{engine:?} {}",
            ejecting.received("api", "bad")
        );
    }
}

#[test]
fn istio_outlier_detection_turns_panic_mode_off() {
    // Both instances fail and both may be ejected. istiod sets the panic threshold to
    // minHealthPercent, 0 by default (cluster_traffic_policy.go#L507-L520): with every host
    // ejected the balancer finds none and answers 503 at once. Envoy's 50 % would balance over
    // them all instead (tests/mesh.rs, below_half_healthy_the_balancer_panics...).
    let od = "[mesh.api.outlier_detection]\nconsecutive_5xx = 3\ninterval = \"100ms\"\nmax_ejection_percent = 100\n";
    for engine in ENGINES {
        let run = run_on(
            engine,
            &scenario("istio", "5s", 50, &instances(0, "1ms", 2), od),
        );
        assert!(run.reasons("no_healthy_upstream") > 150, "{engine:?}");
        let envoy = run_on(
            engine,
            &scenario("envoy", "5s", 50, &instances(0, "1ms", 2), od),
        );
        assert_eq!(envoy.reasons("no_healthy_upstream"), 0, "{engine:?}");
    }
}

#[test]
fn panic_counts_only_the_instances_in_the_endpoints() {
    // A good and a bad instance in service, and two of a rolling update's new version not
    // deployed yet. Once the bad one is ejected, one of the two endpoints is healthy: 50 %, not
    // below Envoy's 50 % threshold, so no panic and the ejected host gets nothing. Counting the
    // undeployed instances (1 of 4) would panic and send it half the calls.
    let api = "replicas = 1\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
               service_time = { dist = \"const\", value = \"1ms\" }\n\n\
               [[service.version]]\nname = \"bad\"\nreplicas = 1\nerror_rate = 1.0\n\n\
               [[service.version]]\nname = \"v2\"\nreplicas = 2\n";
    let extra = "[mesh.api.outlier_detection]\nconsecutive_5xx = 5\ninterval = \"100ms\"\n\
                 base_ejection_time = \"30s\"\nmax_ejection_percent = 50\n\n\
                 [[rollout]]\nservice = \"api\"\nfrom = \"v1\"\nto = \"v2\"\nstrategy = \"rolling\"\n\
                 start = \"9s\"\ninterval = \"30s\"\nmax_surge = 1\nmax_unavailable = 0\n\
                 readiness_delay = \"10s\"\nchecks = [{ metric = \"success_rate\", min = 0.99 }]\n";
    for engine in ENGINES {
        let run = run_on(engine, &scenario("envoy", "10s", 100, api, extra));
        assert_eq!(run.mesh("api").ejections, 1, "{engine:?}");
        // Five failures, plus the few in flight when the fifth came back.
        assert!(
            run.received("api", "bad") <= 8,
            "{engine:?} {}",
            run.received("api", "bad")
        );
        assert_eq!(run.received("api", "v2"), 0, "{engine:?}");
    }
}

#[test]
fn each_version_reached_by_a_route_is_a_cluster_of_its_own() {
    // One good and one bad instance, max_ejection_percent 50. As one cluster (no route), one of
    // two is 50 %: the bad one is ejected. With a route over the two versions each is a cluster
    // of one host (Istio makes each subset a cluster: cluster_builder.go#L292-L348), where one
    // host is 100 %: nothing can be ejected.
    let od = "[mesh.api.outlier_detection]\nconsecutive_5xx = 5\ninterval = \"100ms\"\nmax_ejection_percent = 50\n";
    let route = "\n[[mesh.api.route]]\nweights = { v1 = 50, bad = 50 }\n";
    for engine in ENGINES {
        let whole = run_on(
            engine,
            &scenario("istio", "5s", 100, &instances(1, "1ms", 1), od),
        );
        assert_eq!(whole.mesh("api").ejections, 1, "{engine:?}");
        let subsets = run_on(
            engine,
            &scenario(
                "istio",
                "5s",
                100,
                &instances(1, "1ms", 1),
                &format!("{od}{route}"),
            ),
        );
        assert_eq!(subsets.mesh("api").ejections, 0, "{engine:?}");
        assert!(subsets.received("api", "bad") > 200, "{engine:?}");
    }
}

#[test]
fn split_local_origin_errors_eject_on_their_own_streak() {
    for engine in ENGINES {
        // A crashed instance refuses its connections. Without split, a refused connection counts as
        // a 503 toward consecutive 5xx; with split_external_local_origin_errors it counts only
        // toward consecutive local-origin failures (outlier_detection_impl.cc#L131-L172).
        let crash = "[[fault]]\nat = \"0s\"\nkind = \"crash\"\ntarget = \"api/0\"\n";
        let od =
            "\n[mesh.api.outlier_detection]\ninterval = \"100ms\"\nmax_ejection_percent = 50\n";
        let reason = |extra: &str| {
            let run = run_on(
                engine,
                &scenario(
                    "istio",
                    "1s",
                    100,
                    &instances(2, "1ms", 0),
                    &format!("{crash}{od}{extra}"),
                ),
            );
            run.events_of("ejection")
                .first()
                .map(|(_, _, detail)| detail.clone())
                .unwrap_or_default()
        };
        assert!(reason("").contains("consecutive 5xx"), "{}", reason(""));
        let split = reason("split_external_local_origin_errors = true\n");
        assert!(split.contains("local-origin"), "{engine:?} {split}");
    }
}

#[test]
fn failure_percentage_ejects_hosts_failing_most_calls() {
    for engine in ENGINES {
        // Envoy: an instance whose failed share of the interval's requests is at least 85 % is
        // ejected, with 5 hosts of 50 requests each (outlier_detection_impl.cc#L645-L744), but only
        // when enforcing_failure_percentage is 100: it is 0 by default.
        let api = "replicas = 5\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
                   service_time = { dist = \"const\", value = \"1ms\" }\n\n\
                   [[service.version]]\nname = \"flaky\"\nreplicas = 1\nerror_rate = 0.9\n";
        let od = "[mesh.api.outlier_detection]\nconsecutive_5xx = 1000\ninterval = \"1s\"\n\
                  max_ejection_percent = 50\nenforcing_success_rate = 0\n";
        let off = run_on(engine, &scenario("envoy", "5s", 600, api, od));
        assert_eq!(off.mesh("api").ejections, 0, "{engine:?}");
        let on = run_on(
            engine,
            &scenario(
                "envoy",
                "5s",
                600,
                api,
                &format!("{od}enforcing_failure_percentage = 100\n"),
            ),
        );
        let ejections = on.events_of("ejection");
        assert!(!ejections.is_empty(), "{engine:?}");
        assert!(
            ejections
                .iter()
                .all(|(_, subject, detail)| subject == "api/5"
                    && detail.contains("failure percentage")),
            "{ejections:?}"
        );
        // Its share of the calls falls once it is out.
        assert!(
            on.received("api", "flaky") < off.received("api", "flaky") / 2,
            "{engine:?}"
        );
    }
}
