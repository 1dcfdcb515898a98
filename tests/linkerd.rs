//! Conformance of the Linkerd profile: one test per semantic of Linkerd's proxy that
//! `src/profile/linkerd.rs` lists, each a small simulation whose numbers follow from the source
//! it quotes (linkerd2@edge-26.8.3, linkerd2-proxy@v2.366.0, tower@tower-0.5.3; docs/mesh.md
//! has the Linkerd table that cites these tests).
//!
//! Every scenario has constant 1 ms hops, so a request's latency is an exact sum of hops,
//! service times, back-offs and timeouts. Tests whose numbers do not depend on the engine's tick
//! run on both engines. Where another mesh would do otherwise, the test runs it too, so that a
//! Linkerd semantic that quietly fell back to Envoy's would fail.

mod support;

use std::ops::Range;

use meshsim::EngineKind;
use meshsim::scenario::load_str;
use support::probe::{self, Row, Run, System};

/// The probe system (`support::probe::System`) under `mesh`, its requests giving up after 30 s.
fn scenario(mesh: &str, duration: &str, rate: f64, api: &str, extra: &str) -> String {
    System {
        mesh,
        duration,
        rate,
        timeout: "30s",
        network: "",
        api,
        extra,
    }
    .text()
}

/// `replicas` instances answering after `service_time`, failing a share `error_rate`.
fn endpoint(replicas: u32, service_time: &str, error_rate: f64) -> String {
    format!(
        "replicas = {replicas}\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
         service_time = {{ dist = \"const\", value = \"{service_time}\" }}\nerror_rate = {error_rate}\n"
    )
}

/// One healthy 1 ms instance (`v1`, `api/0`) and one of version `name` (`api/1`) with `keys`.
fn two_versions(name: &str, keys: &str) -> String {
    format!(
        "{}\n[[service.version]]\nname = \"{name}\"\nreplicas = 1\n{keys}",
        endpoint(1, "1ms", 0.0)
    )
}

fn run_on(engine: EngineKind, source: &str) -> Run {
    probe::run_on(engine, "linkerd.toml", source)
}

fn run(source: &str) -> Run {
    run_on(EngineKind::Event, source)
}

const ENGINES: [EngineKind; 2] = [EngineKind::Event, EngineKind::Turmoil];

/// Linkerd's first retry waits 25 ms plus a jitter of up to 25 ms (the controller sends min
/// 25 ms, max 250 ms, jitter ratio 1.0: linkerd2@edge-26.8.3:policy-controller/grpc/src/
/// outbound/http.rs#L562-L585; the wait is `min × 2^0 + U[0, 1) × 1.0 × base`:
/// linkerd2-proxy@v2.366.0:linkerd/exp-backoff/src/lib.rs#L103-L135).
const FIRST_BACKOFF_MS: Range<f64> = 25.0..50.0;

/// Whether `value` is `expected`, to the microsecond the CSV files write.
fn near(value: f64, expected: f64) -> bool {
    (value - expected).abs() < 1e-6
}

/// Whether `latency_ms` is `before` + the first back-off + `after`.
fn one_backoff_between(latency_ms: f64, before: f64, after: f64) -> bool {
    let backoff = latency_ms - before - after;
    (FIRST_BACKOFF_MS.start..=FIRST_BACKOFF_MS.end).contains(&backoff)
}

// ---------------------------------------------------------------------------------------------
// Retries and timeouts

#[test]
fn linkerd_retries_a_5xx_once_by_default() {
    // linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index/http.rs#L371-L445:
    // `5xx` is 500–599 and `limit: limit.unwrap_or(1)`. Each call is two 2 ms tries around one
    // back-off, so 29–54 ms; a second retry would add at least 50 ms more, none would leave 2 ms.
    let failing = endpoint(1, "0ms", 1.0);
    let five_xx = "[mesh.api.retries]\nretry_on = [\"5xx\"]\n";
    for engine in ENGINES {
        let run = run_on(engine, &scenario("linkerd", "2s", 50.0, &failing, five_xx));
        assert!(run.rows.len() >= 97, "{}", run.rows.len());
        for row in &run.rows {
            assert!(row.is(500, "error"), "{engine:?} {row:?}");
            assert!(
                one_backoff_between(row.latency_ms, 2.0, 2.0),
                "{engine:?} {row:?}"
            );
        }
        let mesh = run.mesh("api");
        let ended = run.rows.len() as u64;
        assert!(
            (ended..=mesh.calls).contains(&mesh.retries),
            "{engine:?} {mesh:?}"
        );
        assert_eq!(mesh.attempts, mesh.calls + mesh.retries, "{engine:?}");
    }
    // Only `retry.linkerd.io/limit`: the status list is empty (http.rs builds the ranges from
    // the `http` conditions alone; linkerd/proxy/client-policy/src/http.rs#L397-L405), so a 500
    // is answered as it is, however many retries the limit allows.
    let limit_only = "[mesh.api.retries]\nattempts = 3\n";
    let run = run(&scenario("linkerd", "2s", 50.0, &failing, limit_only));
    assert_eq!(run.mesh("api").retries, 0);
    assert!(
        run.rows
            .iter()
            .all(|row| row.is(500, "error") && near(row.latency_ms, 2.0))
    );
}

#[test]
fn linkerd_retries_a_try_that_runs_out_of_time() {
    // linkerd2-proxy@v2.366.0:linkerd/app/outbound/src/http/logical/policy/route/retry.rs
    // #L127-L154: a try whose response headers miss `retry.linkerd.io/timeout` is retryable
    // whatever the status conditions; #L84-L94: `if !retries_remain { timeouts.response_headers
    // = None; }`, so the last try waits as long as it takes. The instance answers in 100 ms:
    // the first try is given up at 30 ms, the retry waits 25–50 ms and then 102 ms.
    let slow = endpoint(1, "100ms", 0.0);
    let linkerd = "[mesh.api.retries]\nper_try_timeout = \"30ms\"\n";
    for engine in ENGINES {
        let run = run_on(engine, &scenario("linkerd", "2s", 20.0, &slow, linkerd));
        assert!(run.rows.len() >= 37, "{}", run.rows.len());
        for row in &run.rows {
            assert!(row.is(200, "ok"), "{engine:?} {row:?}");
            assert!(
                one_backoff_between(row.latency_ms, 30.0, 102.0),
                "{engine:?} {row:?}"
            );
        }
        let mesh = run.mesh("api");
        assert!(
            (run.rows.len() as u64..=mesh.calls).contains(&mesh.retries),
            "{mesh:?}"
        );
    }
    // Envoy times every try, the last one too: both give up at 30 ms, around a back-off under
    // 25 ms, and the call ends with 504.
    let envoy = "[mesh.api.retries]\nper_try_timeout = \"30ms\"\nretry_on = [\"reset\"]\n";
    let run = run(&scenario("envoy", "2s", 20.0, &slow, envoy));
    for row in &run.rows {
        assert!(row.is(504, "route_timeout"), "{row:?}");
        assert!((60.0..85.0).contains(&row.latency_ms), "{row:?}");
    }
}

#[test]
fn linkerd_request_timeout_covers_every_try() {
    // timeout.linkerd.io/request is one deadline set when the route sees the request and copied
    // to every try (linkerd2-proxy@v2.366.0:linkerd/http/stream-timeouts/src/lib.rs#L154-L162;
    // linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index.rs#L2236-L2256), and
    // it answers 504 (linkerd/app/core/src/errors/respond.rs#L99-L117). Tries take 22 ms and
    // fail: the first retry starts at 47–72 ms and ends by 94 ms, the second would wait 50–100
    // ms more, so every call has exactly two tries and ends at 100 ms. A timeout per try would
    // never fire on 22 ms tries.
    let mesh = "[mesh.api]\ntimeout = \"100ms\"\n\n[mesh.api.retries]\nattempts = 3\nretry_on = [\"5xx\"]\n";
    let failing = endpoint(1, "20ms", 1.0);
    for engine in ENGINES {
        let run = run_on(engine, &scenario("linkerd", "5s", 20.0, &failing, mesh));
        assert!(run.rows.len() >= 97, "{}", run.rows.len());
        for row in &run.rows {
            assert!(row.is(504, "route_timeout"), "{engine:?} {row:?}");
            assert!(near(row.latency_ms, 100.0), "{engine:?} {row:?}");
        }
        let mesh = run.mesh("api");
        assert!(
            (run.rows.len() as u64..=mesh.calls).contains(&mesh.retries),
            "{mesh:?}"
        );
    }
}

#[test]
fn linkerd_service_profile_retries_spend_a_budget() {
    // A ServiceProfile deposits for each outcome it will not retry and withdraws for each retry
    // (linkerd2-proxy@v2.366.0:linkerd/app/outbound/src/http/retry.rs#L87-L124), in tower's
    // TpsBudget (tower@tower-0.5.3:tower/src/retry/budget/tps_budget.rs#L77-L107) with the
    // defaults 0.2, 10 a second, 10 s (linkerd2@edge-26.8.3:controller/api/destination/
    // profile_translator.go#L159-L167): deposit 1, withdraw 1 / 0.2 = 5, and a reserve of
    // 10 × 10 s × 5 = 500, that is 100 retries, always in the balance. Retries go at once with no
    // limit of their own.
    //
    // Every answer a 500: nothing deposits, so only the reserve pays, 100 retries whenever the
    // withdrawals against it have expired. tower's ring of ten 1 s slots expires them after
    // 10 s the first time (its first expiry, at 1.002 s, skips a slot) and after 11 s since (the
    // slot that comes round is only overwritten at the next expiry, #L114-L137): bursts at 0,
    // 10, 21, 32, 43 and 54 s, 600 retries in 60 s, the 10 a second of min_retries_per_second.
    let budget = "[mesh.api.retries]\nretry_budget = {}\n";
    let failing = endpoint(1, "0ms", 1.0);
    for engine in ENGINES {
        let run = run_on(engine, &scenario("linkerd", "60s", 20.0, &failing, budget));
        assert_eq!(run.mesh("api").retries, 600, "{engine:?}");
        assert!(
            run.rows.iter().all(|row| row.is(500, "error")),
            "{engine:?}"
        );
        let mut bursts: Vec<u64> = run
            .rows
            .iter()
            .filter(|row| row.latency_ms > 2.0)
            .map(|row| row.sent_s as u64)
            .collect();
        bursts.dedup();
        assert_eq!(bursts, [0, 10, 21, 32, 43, 54], "{engine:?}");
    }
    // Half the answers fail: each success deposits 1 and each retry takes 5, so the retries are
    // a fifth of the successes (the calls that succeeded) plus the reserve's 10 a second. At
    // 100 calls a second that is r = (50 + r/2) / 5 + 10, about 22 retries a second, fewer than
    // the 50-odd failures a second that ask: the budget is what limits them. 2 % tolerance.
    let explicit = "[mesh.api.retries]\nretry_budget = { retry_ratio = 0.2, min_retries_per_second = 10, ttl = \"10s\" }\n";
    let half = endpoint(1, "0ms", 0.5);
    let run = run(&scenario("linkerd", "60s", 100.0, &half, explicit));
    let mesh = run.mesh("api");
    let deposits = run.summary.requests.succeeded as f64;
    let expected = deposits / 5.0 + 10.0 * 60.0;
    let retries = mesh.retries as f64;
    assert!(
        (retries - expected).abs() < 0.02 * expected,
        "{retries} retries, {deposits} deposits"
    );
    assert!(mesh.budget_denials > 1000, "{mesh:?}");
}

// ---------------------------------------------------------------------------------------------
// Failure accrual and the balancer's queue

#[test]
fn linkerd_failure_accrual_shuts_an_endpoint_and_probes_it() {
    // linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index.rs#L2105-L2136: 7
    // failures, penalties from 1 s to 60 s, jitter 0.5. linkerd2-proxy@v2.366.0:linkerd/app/
    // outbound/src/http/breaker/consecutive_failures.rs#L44-L105: the gate shuts at exactly the
    // seventh failure in a row, opens for one probe when the penalty is over, and shuts again
    // for the next penalty when the probe fails. The penalties are ExponentialBackoff waits
    // whose jitter scales whole seconds and nanoseconds apart (linkerd/exp-backoff/src/lib.rs
    // #L103-L135): exactly 1 s, exactly 2 s, 4 or 5 s, 8 to 11 s, 16 to 23 s.
    let api = two_versions("bad", "error_rate = 1.0\n");
    let accrual = "[mesh.api.failure_accrual]\n";
    for engine in ENGINES {
        let run = run_on(engine, &scenario("linkerd", "20s", 100.0, &api, accrual));
        let shut = run.events_of("ejection");
        let opened = run.events_of("return");
        let penalties: Vec<u64> = shut
            .iter()
            .map(|(_, subject, detail)| {
                assert_eq!(subject, "api/1", "{engine:?}");
                assert!(detail.contains("(failure accrual)"), "{engine:?} {detail}");
                let millis = detail.rsplit("out for ").next().unwrap();
                millis.trim_end_matches(" ms").parse().unwrap()
            })
            .collect();
        // 1 + 2 + 5 + 11 s at most, 1 + 2 + 4 + 8 s at least: five shut spells start in 20 s.
        assert_eq!(penalties.len(), 5, "{engine:?} {penalties:?}");
        assert_eq!(penalties[..2], [1000, 2000], "{engine:?}");
        assert!(
            [4000, 5000].contains(&penalties[2]),
            "{engine:?} {penalties:?}"
        );
        assert!(
            (8000..=11_000).contains(&penalties[3]),
            "{engine:?} {penalties:?}"
        );
        assert!(
            (16_000..=23_000).contains(&penalties[4]),
            "{engine:?} {penalties:?}"
        );
        // Seven failures shut it the first time, before anything else failed.
        let first_shut_at = shut[0].0;
        let failed_before = run
            .rows
            .iter()
            .filter(|row| row.status == 500 && row.done_s <= first_shut_at);
        assert_eq!(failed_before.count(), 7, "{engine:?}");
        // Each penalty ends exactly on time with probation, and the one probe goes out with the
        // next call (10 ms apart) and fails 3 ms later, shutting the gate again.
        assert_eq!(opened.len(), 4, "{engine:?} {opened:?}");
        for (index, (opened_at, _, detail)) in opened.iter().enumerate() {
            assert!(detail.contains("one probe"), "{engine:?} {detail}");
            let penalty_s = penalties[index] as f64 / 1000.0;
            assert!(
                near(opened_at - shut[index].0, penalty_s),
                "{opened:?} {shut:?}"
            );
            assert!(
                shut[index + 1].0 - opened_at <= 0.013 + 1e-9,
                "{opened:?} {shut:?}"
            );
        }
        // So the failing instance took 7 calls and 4 probes of the 2000, and every other call
        // went to the healthy one.
        assert_eq!(run.received("api", "bad"), 7 + 4, "{engine:?}");
        assert_eq!(
            run.rows.iter().filter(|row| row.status == 500).count(),
            11,
            "{engine:?}"
        );
    }
    // Without failure accrual nothing takes it out: both answer in 3 ms, peak EWMA sees two
    // equal endpoints and the failing one keeps half the calls.
    let run = run(&scenario("linkerd", "20s", 100.0, &api, ""));
    let share = run.received("api", "bad") as f64 / 2000.0;
    assert!((share - 0.5).abs() < 0.05, "{share}");
}

#[test]
fn linkerd_fails_fast_after_3_s_without_an_instance() {
    // linkerd2-proxy@v2.366.0: the balancer's queue holds calls while no endpoint is ready
    // (10 000 of them, failfast 3 s: linkerd/app/src/env.rs#L300-L301); when 3 s pass without
    // one, every call waiting fails and the gate shuts (linkerd/proxy/balance/queue/src/
    // worker.rs#L44-L50) until an endpoint is ready again. A FailFastError is a 504, the
    // LoadShedError of a shut gate a 503 (linkerd/app/outbound/src/http/server.rs#L124-L133).
    // The only instance is ready 5 s after its start. A call every 80 ms, so that none is sent
    // at the instant the failfast timer fires: 38 calls wait from 0 to 2.96 s and fail at
    // 3 s, 25 are shed at once from 3.04 to 4.96 s, and the 37 from 5.04 s succeed.
    let api = format!("start_time = \"5s\"\n{}", endpoint(1, "1ms", 0.0));
    for engine in ENGINES {
        let run = run_on(engine, &scenario("linkerd", "8s", 12.5, &api, ""));
        let waited: Vec<&Row> = run.sent_in(0.0..3.0).collect();
        assert_eq!(waited.len(), 38, "{engine:?}");
        for row in &waited {
            assert!(
                row.is(504, "fail_fast") && row.outcome == "failed",
                "{row:?}"
            );
            assert!(near(row.done_s, 3.0), "{engine:?} {row:?}");
        }
        assert!(near(waited[0].latency_ms, 3000.0), "{engine:?}");
        let shed: Vec<&Row> = run.sent_in(3.0..5.0).collect();
        assert_eq!(shed.len(), 25, "{engine:?}");
        assert!(
            shed.iter()
                .all(|row| row.is(503, "load_shed") && near(row.latency_ms, 0.0))
        );
        let after: Vec<&Row> = run.sent_in(5.0..8.0).collect();
        assert_eq!(after.len(), 37, "{engine:?}");
        assert!(after.iter().all(|row| row.is(200, "ok")), "{engine:?}");
        let failfast = run.events_of("failfast");
        assert_eq!(failfast.len(), 1, "{engine:?} {failfast:?}");
        assert!(near(failfast[0].0, 3.0), "{engine:?}");
    }
    // Envoy under Istio has no queue: "no healthy upstream" at once, until the instance is ready.
    let istio = run(&scenario("istio", "8s", 12.5, &api, ""));
    assert!(
        istio
            .sent_in(0.0..5.0)
            .all(|row| row.is(503, "no_healthy_upstream") && near(row.latency_ms, 0.0))
    );
    assert!(istio.sent_in(5.0..8.0).all(|row| row.is(200, "ok")));
}

#[test]
fn linkerd_answers_502_for_a_refused_connection() {
    // linkerd2-proxy@v2.366.0:linkerd/app/outbound/src/http/endpoint.rs#L162-L175: below the
    // retry layer, `ClientRescue` answers an I/O error with a 502 of its own. The instance
    // crashes at once and the control plane notices after the 1 s of the run, so every call is
    // refused: one hop there and the refusal back, 2 ms.
    let api = endpoint(1, "1ms", 0.0);
    let crash = "[[fault]]\nat = \"0s\"\nkind = \"crash\"\ntarget = \"api\"\n";
    for engine in ENGINES {
        let run = run_on(engine, &scenario("linkerd", "1s", 20.0, &api, crash));
        assert_eq!(run.rows.len(), 20, "{engine:?}");
        assert!(
            run.rows
                .iter()
                .all(|row| row.is(502, "connection_refused") && near(row.latency_ms, 2.0))
        );
    }
    // Envoy answers a refused connection with 503 (UF).
    let envoy = run(&scenario("envoy", "1s", 20.0, &api, crash));
    assert!(
        envoy
            .rows
            .iter()
            .all(|row| row.is(503, "connection_refused"))
    );
    // Being a 502 answer, it is retried by the status conditions that cover 502: the retry is
    // refused too, 2 + 25–50 + 2 ms after the call started.
    for word in ["5xx", "gateway-error"] {
        let retries = format!("{crash}\n[mesh.api.retries]\nretry_on = [\"{word}\"]\n");
        let run = run(&scenario("linkerd", "1s", 20.0, &api, &retries));
        assert!(run.rows.len() >= 19, "{}", run.rows.len());
        for row in &run.rows {
            assert!(row.is(502, "connection_refused"), "{word}: {row:?}");
            assert!(
                one_backoff_between(row.latency_ms, 2.0, 2.0),
                "{word}: {row:?}"
            );
        }
        assert!(run.mesh("api").retries >= run.rows.len() as u64, "{word}");
    }
}

// ---------------------------------------------------------------------------------------------
// The callee's policy, and what Linkerd does not have

#[test]
fn linkerd_rate_limit_allows_a_second_of_burst() {
    // linkerd2-proxy@v2.366.0:linkerd/proxy/server-policy/src/local_rate_limit.rs#L50-L103:
    // `RateLimiter::direct(governor::Quota::per_second(rps))`, GCRA with a burst of rps and one
    // cell back every 1/rps s; over it, 429. At 20 a second and a request every 10 ms, the
    // request k passes while 10k ms ≥ (k + 1 − 20) × 50 ms: the first 24 (k = 0..=23, the 20 of
    // the burst and 4 that came back meanwhile), then one every 50 ms from 250 ms, 95 more to
    // 4.95 s: 119 of 500, that is 20 + 20 × 5 s − 1.
    let mesh = "[mesh.api]\nrate_limit = { requests_per_second = 20 }\n";
    let api = endpoint(1, "1ms", 0.0);
    for engine in ENGINES {
        let run = run_on(engine, &scenario("linkerd", "5s", 100.0, &api, mesh));
        assert_eq!(run.received("api", "v1"), 119, "{engine:?}");
        assert_eq!(run.mesh("api").rate_limited, 381, "{engine:?}");
        assert!(
            run.sent_in(0.0..0.235).all(|row| row.is(200, "ok")),
            "{engine:?}"
        );
        assert!(
            run.sent_in(0.235..0.245)
                .all(|row| row.is(429, "rate_limited"))
        );
        // Steady state: 20 a second.
        assert_eq!(
            run.sent_in(1.0..5.0)
                .filter(|row| row.status == 200)
                .count(),
            80
        );
        assert!(
            run.rows
                .iter()
                .filter(|row| row.status == 429)
                .all(|row| row.outcome == "shed" && near(row.latency_ms, 2.0))
        );
    }
}

#[test]
fn linkerd_has_no_connection_pool() {
    // The proxy has no per-service connection or request limits, only a global 100 000 in
    // flight (linkerd2-proxy@v2.366.0:linkerd/app/src/env.rs#L355-L356); it has no outlier
    // detection but failure accrual; and its HTTPRoute filters inject no faults
    // (linkerd2@edge-26.8.3:policy-controller/k8s/api/src/policy/httproute.rs#L167-L196).
    let has = "Linkerd's [mesh.NAME] has timeout, load_balancer, retries, failure_accrual, rate_limit, allow_from, route";
    let cases = [
        (
            "[mesh.api]\nconnection_pool = { max_connections = 1 }\n",
            "`connection_pool` is not a setting of Linkerd edge-26.8.3",
            "Linkerd's proxy has no per-service connection or request limits",
        ),
        (
            "[mesh.api.outlier_detection]\nconsecutive_5xx = 5\n",
            "`outlier_detection` is not a setting of Linkerd edge-26.8.3",
            "Linkerd takes failing endpoints out by failure accrual: [mesh.NAME.failure_accrual]",
        ),
        (
            "[mesh.api]\nfault = { abort_status = 503, abort_percent = 10 }\n",
            "`fault` is not a setting of Linkerd edge-26.8.3",
            "Linkerd has no fault injection; split traffic to a version that fails instead",
        ),
    ];
    let api = endpoint(1, "1ms", 0.0);
    for (block, error, instead) in cases {
        let Err(refused) = load_str("l.toml", &scenario("linkerd", "1s", 1.0, &api, block)) else {
            panic!("Linkerd accepted {block}");
        };
        let text = refused.to_string();
        assert_eq!(refused.error_count(), 1, "{text}");
        for expected in [error, instead, has] {
            assert!(text.contains(expected), "{expected:?} not in\n{text}");
        }
        // It is the profile that refuses them: Envoy has all three.
        assert!(load_str("e.toml", &scenario("envoy", "1s", 1.0, &api, block)).is_ok());
    }
}

// ---------------------------------------------------------------------------------------------
// Routes

#[test]
fn linkerd_passes_over_a_backend_failing_fast() {
    // Each backendRef is a balancer of its own (linkerd2-proxy@v2.366.0:linkerd/app/outbound/
    // src/http/logical/policy/router.rs#L148-L181), and the weighted distribution zeroes the
    // weight of a backend that is not ready for this call and draws again (linkerd/distribute/
    // src/service/random.rs#L77-L107). v2's only instance crashes at once: refused (502) until
    // the control plane takes it out at 1 s, then v2's calls wait in its queue and fail (504)
    // 3 s after the first of them; from then on v2's gate is shut and its half goes to v1. A
    // call every 16 ms, so that none is sent at the instant the failfast timer fires.
    let extra = "[[fault]]\nat = \"0s\"\nkind = \"crash\"\ntarget = \"api/1\"\n\n\
                 [[mesh.api.route]]\nweights = { v1 = 50, v2 = 50 }\n";
    let api = two_versions("v2", "");
    for engine in ENGINES {
        let run = run_on(engine, &scenario("linkerd", "10s", 62.5, &api, extra));
        let failfast = run.events_of("failfast");
        assert_eq!(failfast.len(), 1, "{engine:?} {failfast:?}");
        let failing_at = failfast[0].0;
        assert!((4.0..4.1).contains(&failing_at), "{engine:?} {failing_at}");
        for row in run.sent_in(0.0..1.0) {
            assert!(
                row.is(200, "ok") || row.is(502, "connection_refused"),
                "{row:?}"
            );
        }
        let waited: Vec<&Row> = run
            .sent_in(1.0..failing_at)
            .filter(|row| row.status != 200)
            .collect();
        // About half of the 190 calls in those 3 s.
        assert!((70..=120).contains(&waited.len()), "{}", waited.len());
        for row in waited {
            assert!(row.is(504, "fail_fast"), "{engine:?} {row:?}");
            assert!(near(row.done_s, failing_at), "{engine:?} {row:?}");
        }
        // After: every call succeeds on v1, none is shed.
        let after: Vec<&Row> = run.sent_in(failing_at..10.0).collect();
        assert!(after.len() > 350, "{}", after.len());
        assert!(after.iter().all(|row| row.is(200, "ok")), "{engine:?}");
        assert_eq!(run.received("api", "v2"), 0, "{engine:?}");
    }
    // Istio's weighted clusters keep sending v2 its half, which fails with no healthy upstream.
    let istio = run(&scenario("istio", "10s", 62.5, &api, extra));
    let late: Vec<&Row> = istio.sent_in(5.0..10.0).collect();
    let failed = late
        .iter()
        .filter(|row| row.is(503, "no_healthy_upstream"))
        .count();
    let share = failed as f64 / late.len() as f64;
    assert!((share - 0.5).abs() < 0.08, "{share}");
}

// Two semantics of the same layering that the models do not follow yet. Linkerd's retry layer
// sits above the distribution over backends (linkerd2-proxy@v2.366.0:linkerd/app/outbound/src/
// http/logical/policy/route.rs#L118-L137: MatchedBackend, NewDistribute, LoadShed, filters,
// then NewHttpRetry), so each retry draws its backend again, and `retryable_error` retries a
// FailFastError "since retrying may put us in another backend that is available"
// (route/retry.rs#L127-L154).

/// v2's only instance crashed for good, routes 50/50, and `[mesh.api.retries]` with `retries`.
fn failover_routes(retries: &str) -> String {
    format!(
        "[[fault]]\nat = \"0s\"\nkind = \"crash\"\ntarget = \"api/1\"\n\n\
         [[mesh.api.route]]\nweights = {{ v1 = 50, v2 = 50 }}\n\n[mesh.api.retries]\n{retries}"
    )
}

#[test]

fn linkerd_retries_a_call_that_failed_fast_on_another_backend() {
    for engine in ENGINES {
        // v2's calls wait from 1 s (the control plane took its instance out) until its balancer
        // fails fast about 3 s later; each is then retried 25–50 ms on, when v2's gate is shut and
        // the distribution passes over it: v1 answers. None ends with 504.
        let api = two_versions("v2", "");
        let run = run_on(
            engine,
            &scenario(
                "linkerd",
                "10s",
                62.5,
                &api,
                &failover_routes("attempts = 1\n"),
            ),
        );
        assert_eq!(run.events_of("failfast").len(), 1, "{engine:?}");
        let failed: Vec<&Row> = run
            .sent_in(1.0..10.0)
            .filter(|row| row.status != 200)
            .collect();
        assert!(
            failed.is_empty(),
            "{} failed, first {:?}",
            failed.len(),
            failed.first()
        );
    }
}

#[test]

fn linkerd_draws_the_backend_again_for_each_retry() {
    for engine in ENGINES {
        // Before the control plane notices the crash (1 s), half the calls go to v2 and are refused
        // (502). Their retries are drawn 50/50 again, so half of them reach v1 and succeed: a
        // quarter of the calls fail, not half. 200 calls: the binomial's standard deviation is 6.
        let api = two_versions("v2", "");
        let run = run_on(
            engine,
            &scenario(
                "linkerd",
                "1s",
                200.0,
                &api,
                &failover_routes("retry_on = [\"5xx\"]\n"),
            ),
        );
        let refused = run
            .rows
            .iter()
            .filter(|row| row.is(502, "connection_refused"))
            .count();
        let share = refused as f64 / run.rows.len() as f64;
        assert!(
            (share - 0.25).abs() < 0.1,
            "{refused} of {} refused",
            run.rows.len()
        );
    }
}
