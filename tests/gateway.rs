//! The seed's API gateway as service keys, on both engines: authentication answers 401 before
//! any work or call, a per-client rate limit answers 429 in fixed windows, and a refused
//! upstream connection becomes 503.

mod support;

use meshsim::EngineKind;
use meshsim_record::{RecorderOutputs, RunSummary};
use support::{SharedBuffer, simulate_source};

const ENGINES: [EngineKind; 2] = [EngineKind::Event, EngineKind::Turmoil];

/// The summary and requests.csv's (workload, status, reason) per request.
fn run(engine: EngineKind, source: &str) -> (RunSummary, Vec<(String, u16, String)>) {
    let requests = SharedBuffer::default();
    let outputs = RecorderOutputs {
        requests: Some(Box::new(requests.clone())),
        ..RecorderOutputs::default()
    };
    let (_, summary) = simulate_source(engine, "gateway.toml", source, Some(1), outputs);
    let text = String::from_utf8(requests.bytes()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows = reader
        .records()
        .map(Result::unwrap)
        .map(|row| {
            (
                row[1].to_owned(),
                row[6].parse().unwrap(),
                row[7].to_owned(),
            )
        })
        .collect();
    (summary, rows)
}

const GATEWAY: &str = r#"
[scenario]
name = "gateway"
duration = "30s"

[[service]]
name = "gateway"
exposed = true
refused_status = 503
client_rate_limit = { max = 100, window = "10s" }

[[service.endpoint]]
name = "GET /api/users/:id"
auth = "authorization"
calls = [{ service = "user", endpoint = "GET /users/:id" }]

[[service.endpoint]]
name = "GET /api/products/:id"
calls = [{ service = "product", endpoint = "GET /products/:id" }]

[[service]]
name = "user"

[[service.endpoint]]
name = "GET /users/:id"
service_time = { dist = "const", value = "2ms" }

[[service]]
name = "product"

[[service.endpoint]]
name = "GET /products/:id"
service_time = { dist = "const", value = "2ms" }

[[workload]]
name = "members"
target = "gateway"
endpoint = "GET /api/users/:id"
arrival = { kind = "constant", rate = 8 }
headers = { authorization = { "Bearer t" = 0.9, "" = 0.1 } }

[[workload]]
name = "scraper"
target = "gateway"
endpoint = "GET /api/products/:id"
arrival = { kind = "constant", rate = 20 }

[[fault]]
at = "20s"
kind = "crash"
target = "product"
"#;

#[test]
fn the_gateway_authenticates_limits_each_client_and_says_503_for_a_refused_upstream() {
    for engine in ENGINES {
        let (summary, rows) = run(engine, GATEWAY);
        let members: Vec<_> = rows.iter().filter(|row| row.0 == "members").collect();
        let unauthenticated = members.iter().filter(|row| row.1 == 401).count();
        // A tenth of the members send no token: 401 at the gateway, never at `user`.
        assert!(
            (10..=40).contains(&unauthenticated),
            "{engine:?}: {unauthenticated} of {}",
            members.len()
        );
        assert!(
            members
                .iter()
                .filter(|row| row.1 == 401)
                .all(|row| row.2 == "unauthenticated")
        );
        let user = summary.services["user"].requests.received as usize;
        assert_eq!(user + unauthenticated, members.len(), "{engine:?}");
        // The members stay under 100 requests per 10 s: none is limited.
        assert!(members.iter().all(|row| row.1 != 429), "{engine:?}");
        // The scraper sends 200 per 10 s window: the second hundred of each gets 429 (until
        // product crashes at 20 s; 429s still come first then).
        let scraper: Vec<_> = rows.iter().filter(|row| row.0 == "scraper").collect();
        let limited = scraper.iter().filter(|row| row.1 == 429).count();
        assert_eq!(limited, 300, "{engine:?}");
        assert_eq!(
            summary.workloads["scraper"].requests.shed, 300,
            "{engine:?}"
        );
        // After product crashed, the requests within the limit are refused upstream: 503.
        let unavailable = scraper.iter().filter(|row| row.1 == 503).count();
        assert_eq!(unavailable, 100, "{engine:?}");
        assert!(
            scraper
                .iter()
                .filter(|row| row.1 == 503)
                .all(|row| row.2 == "connection_refused" || row.2 == "no_healthy_upstream")
        );
    }
}
