//! Connection pool.

use super::*;

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
