//! Routes.

use super::*;

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
