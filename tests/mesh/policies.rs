//! Fault injection, rate limits, authorization.

use super::*;

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
