//! Retries and timeouts.

use super::*;

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
