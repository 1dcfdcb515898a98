//! Cache-aside through a Redis store, on both engines: hits answer without the calls, misses
//! make them and fill the cache, keys expire, and a crashed cache fails open and comes back
//! empty.

mod support;

use meshsim::EngineKind;
use meshsim_record::{RecorderOutputs, RunSummary};
use support::simulate_source;

const ENGINES: [EngineKind; 2] = [EngineKind::Event, EngineKind::Turmoil];

fn run(engine: EngineKind, source: &str) -> (RunSummary, Vec<(String, bool)>) {
    let (checked, summary) = simulate_source(
        engine,
        "cache.toml",
        source,
        Some(1),
        RecorderOutputs::default(),
    );
    let outcomes = meshsim::check_expectations(&summary, checked.resolved())
        .into_iter()
        .map(|outcome| (outcome.metric, outcome.ok))
        .collect();
    (summary, outcomes)
}

/// A catalog of 100 products of Zipf popularity behind a 10 s cache; `extra` adds faults.
fn catalog(extra: &str) -> String {
    format!(
        r#"
[scenario]
name = "cache"
duration = "60s"

[[service]]
name = "api"
exposed = true

[[service.endpoint]]
name = "GET /products/:id"
cache = {{ store = "cache" }}
calls = [{{ service = "product", endpoint = "GET /products/:id" }}]

[[service]]
name = "product"

[[service.endpoint]]
name = "GET /products/:id"
service_time = {{ dist = "const", value = "5ms" }}

[[store]]
name = "cache"
kind = "redis"
workers = 1
keys = 100
key_skew = 1.0
ttl = "10s"
service_time = {{ dist = "const", value = "100us" }}

[[workload]]
name = "browsers"
target = "api"
endpoint = "GET /products/:id"
arrival = {{ kind = "constant", rate = 100 }}

[[expect]]
metric = "store.cache.hit_ratio"
min = 0.5
{extra}
"#
    )
}

#[test]
fn hits_skip_the_calls_and_misses_fill_the_cache() {
    for engine in ENGINES {
        let (summary, outcomes) = run(engine, &catalog(""));
        let cache = &summary.stores["cache"];
        let (hits, misses) = (cache["hits"], cache["misses"]);
        let browsers = &summary.workloads["browsers"].requests;
        assert_eq!(browsers.failed, 0, "{engine:?}");
        // Every request asked the cache once; only the misses reached the product service.
        assert_eq!(
            hits + misses,
            browsers.sent - browsers.in_flight,
            "{engine:?}"
        );
        let product = summary.services["product"].requests.received;
        assert!(
            product.abs_diff(misses) <= 2,
            "{engine:?}: {product} calls, {misses} misses"
        );
        // 100 keys of Zipf(1) refreshed every 10 s at 100 a second: most requests hit.
        let ratio = hits as f64 / (hits + misses) as f64;
        assert!(
            (0.6..0.95).contains(&ratio),
            "{engine:?}: hit ratio {ratio}"
        );
        assert_eq!(outcomes, vec![("store.cache.hit_ratio".to_owned(), true)]);
        // A hit answers in the cache's time, a miss takes the product's 5 ms more: the median
        // is a hit, the p99 a miss.
        let latency = &summary.workloads["browsers"].latency_ms;
        assert!(latency.p99 - latency.p50 > 4.9, "{engine:?}: {latency:?}");
    }
}

#[test]
fn a_crashed_cache_fails_open_and_comes_back_empty() {
    let faults =
        "[[fault]]\nat = \"20s\"\nkind = \"crash\"\ntarget = \"cache\"\nrestart_after = \"10s\"";
    for engine in ENGINES {
        let (healthy, _) = run(engine, &catalog(""));
        let (crashed, _) = run(engine, &catalog(faults));
        // Nothing fails: while the cache is down every request goes to the product service.
        let browsers = &crashed.workloads["browsers"].requests;
        assert_eq!(browsers.failed, 0, "{engine:?}");
        let product = |summary: &RunSummary| summary.services["product"].requests.received;
        assert!(
            product(&crashed) > product(&healthy) + 900,
            "{engine:?}: {} calls with the crash, {} without",
            product(&crashed),
            product(&healthy)
        );
    }
}
