//! Circuit breaker (opossum).

use super::*;

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
