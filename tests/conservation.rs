//! Property: whatever the seed, topology and fault timeline, every request a workload sends
//! ends exactly once or is still in flight at the end, and a seed replays to the same digest.

use std::fmt::Write;

use meshsim::scenario::load_str;
use meshsim::simulate;
use meshsim_record::RecorderOutputs;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct FaultSpec {
    kind: &'static str,
    at_ms: u64,
    duration_ms: u64,
    first: usize,
    second: usize,
    instance: bool,
}

#[derive(Debug, Clone)]
struct Topology {
    services: usize,
    replicas: Vec<u32>,
    workers: Vec<u32>,
    queue: Vec<u32>,
    error_rate: Vec<f64>,
    /// `calls[i]` lists services (all with a larger index, so there is no cycle) that i calls.
    calls: Vec<Vec<usize>>,
    rate: u32,
    closed: bool,
    timeout_ms: Option<u64>,
    route_timeout_ms: Option<u64>,
    faults: Vec<FaultSpec>,
}

fn topology() -> impl Strategy<Value = Topology> {
    (1usize..=4).prop_flat_map(|services| {
        let calls = (0..services)
            .map(|i| {
                proptest::collection::vec((i + 1)..services.max(i + 2), 0..=2)
                    .prop_map(move |v| v.into_iter().filter(|&c| c < services).collect::<Vec<_>>())
            })
            .collect::<Vec<_>>();
        let fault = (
            prop::sample::select(vec![
                "partition",
                "partition_oneway",
                "latency",
                "loss",
                "crash",
                "pause",
            ]),
            0u64..3_000,
            1u64..2_000,
            0..services,
            0..services,
            any::<bool>(),
        )
            .prop_map(
                |(kind, at_ms, duration_ms, first, second, instance)| FaultSpec {
                    kind,
                    at_ms,
                    duration_ms,
                    first,
                    second,
                    instance,
                },
            );
        (
            proptest::collection::vec(1u32..=3, services),
            proptest::collection::vec(1u32..=4, services),
            proptest::collection::vec(0u32..=5, services),
            proptest::collection::vec(prop::sample::select(vec![0.0, 0.0, 0.1, 0.5]), services),
            calls,
            20u32..400,
            any::<bool>(),
            prop::option::of(50u64..1_000),
            prop::option::of(20u64..500),
            proptest::collection::vec(fault, 0..5),
        )
            .prop_map(
                move |(
                    replicas,
                    workers,
                    queue,
                    error_rate,
                    calls,
                    rate,
                    closed,
                    timeout_ms,
                    route_timeout_ms,
                    faults,
                )| {
                    Topology {
                        services,
                        replicas,
                        workers,
                        queue,
                        error_rate,
                        calls,
                        rate,
                        closed,
                        timeout_ms,
                        route_timeout_ms,
                        faults,
                    }
                },
            )
    })
}

fn scenario_text(topology: &Topology) -> String {
    let mut text = String::from(
        "[scenario]\nname = \"prop\"\nduration = \"4s\"\nmetrics_interval = \"500ms\"\n\n\
         [network]\nlatency = { dist = \"exp\", mean = \"2ms\" }\n",
    );
    for i in 0..topology.services {
        let _ = write!(
            text,
            "\n[[service]]\nname = \"s{i}\"\nreplicas = {}\nworkers = {}\nqueue = {}\nexposed = true\n\n\
             [[service.endpoint]]\nname = \"op\"\nservice_time = {{ dist = \"exp\", mean = \"5ms\" }}\nerror_rate = {}\n",
            topology.replicas[i], topology.workers[i], topology.queue[i], topology.error_rate[i]
        );
        let calls: Vec<String> = topology.calls[i]
            .iter()
            .map(|c| format!("{{ service = \"s{c}\", endpoint = \"op\" }}"))
            .collect();
        let _ = writeln!(text, "calls = [{}]", calls.join(", "));
        if let Some(route_timeout_ms) = topology.route_timeout_ms {
            let _ = write!(text, "\n[mesh.s{i}]\ntimeout = \"{route_timeout_ms}ms\"\n");
        }
    }
    let arrival = if topology.closed {
        format!(
            "{{ kind = \"closed\", users = {}, think_time = {{ dist = \"exp\", mean = \"20ms\" }} }}",
            topology.rate / 10 + 1
        )
    } else {
        format!("{{ kind = \"poisson\", rate = {} }}", topology.rate)
    };
    let _ = write!(
        text,
        "\n[[workload]]\nname = \"load\"\ntarget = \"s0\"\nendpoint = \"op\"\narrival = {arrival}\n"
    );
    if let Some(timeout_ms) = topology.timeout_ms {
        let _ = writeln!(text, "timeout = \"{timeout_ms}ms\"");
    }
    for fault in &topology.faults {
        let name = |index: usize| {
            if fault.instance {
                format!("s{index}/0")
            } else {
                format!("s{index}")
            }
        };
        let _ = write!(
            text,
            "\n[[fault]]\nat = \"{}ms\"\nkind = \"{}\"\n",
            fault.at_ms, fault.kind
        );
        match fault.kind {
            "crash" => {
                let _ = writeln!(
                    text,
                    "target = \"{}\"\nrestart_after = \"{}ms\"",
                    name(fault.first),
                    fault.duration_ms
                );
            }
            "pause" => {
                let _ = writeln!(
                    text,
                    "target = \"{}\"\nduration = \"{}ms\"",
                    name(fault.first),
                    fault.duration_ms
                );
            }
            kind => {
                let second = if fault.first == fault.second {
                    "load".to_owned()
                } else {
                    name(fault.second)
                };
                let _ = writeln!(
                    text,
                    "duration = \"{}ms\"\nbetween = [\"{}\", \"{second}\"]",
                    fault.duration_ms,
                    name(fault.first)
                );
                match kind {
                    "latency" => {
                        let _ = writeln!(text, "add = \"50ms\"");
                    }
                    "loss" => {
                        let _ = writeln!(text, "loss = 0.3");
                    }
                    _ => {}
                }
            }
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_request_is_accounted_for(topology in topology(), seed in any::<u64>()) {
        let text = scenario_text(&topology);
        let loaded = match load_str("prop.toml", &text) {
            Ok(loaded) => loaded,
            Err(error) => panic!("generated scenario is invalid:\n{error}\n{text}"),
        };
        let run = || simulate(loaded.resolved(), seed, RecorderOutputs::default(), &mut |_, _| {}).unwrap();
        let first = run();
        let summary = &first.summary;
        prop_assert!(summary.accounting.ok, "{:?}\n{text}", summary.accounting.problems);
        let counts = summary.requests;
        prop_assert_eq!(counts.sent, counts.ended() + counts.in_flight);
        prop_assert!(counts.sent > 0);
        let second = run();
        prop_assert_eq!(&summary.digest, &second.summary.digest, "seed {} does not replay", seed);
    }
}
