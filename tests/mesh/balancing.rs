//! Load balancing.

use super::*;

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
