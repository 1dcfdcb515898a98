//! What the mesh makes visible.

use super::*;

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
