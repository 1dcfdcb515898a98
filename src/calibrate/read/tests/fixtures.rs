//! Each format's fixture, span by span.

use super::{fixture, lines, read_all};
use crate::calibrate::read::{ReadCounts, TraceFormat};

#[test]
fn jaeger_shop_reads_span_by_span() {
    let file = fixture("jaeger/shop.json");
    let (traces, counts) = read_all(&[&file], None).unwrap();
    assert_eq!(traces.len(), 2);
    assert_eq!(traces[0].trace_id, "0af7651916cd43dd8448eb211c80319c");
    assert!(
        traces[0].origin.ends_with("shop.json, trace 0"),
        "{}",
        traces[0].origin
    );
    assert_eq!(
        lines(&traces[0]),
        [
            "b7ad6b7169203331 <- - | gateway@gateway-7d9f-1 - | Server GET /orders | GET /orders 200 | ok | 1700000000000000000+50000000 | - -",
            "00f067aa0ba902b7 <- b7ad6b7169203331 | gateway@gateway-7d9f-1 - | Client POST | - - - | ok | 1700000000001000000+45000000 | - order",
            "53995c3f42cd8ad8 <- 00f067aa0ba902b7 | order@order-5c4b-1 v1 | Server POST /orders | POST /orders 201 | ok | 1700000000002000000+40000000 | - -",
            "1d3e5f7a9b2c4d6e <- 53995c3f42cd8ad8 | order@order-5c4b-1 v1 | Client POST | - - - | ok | 1700000000005000000+20000000 | - payment",
            // Clock skew: it starts 1 ms before its client parent, and is passed on as read.
            "2e4f6a8b0c1d3e5f <- 1d3e5f7a9b2c4d6e | payment@10.0.2.7 - | Server POST /pay | - - 503 | error | 1700000000004000000+18000000 | - -",
            "3f5a7b9c1d2e4f60 <- 53995c3f42cd8ad8 | order@order-5c4b-1 v1 | Producer order.created publish | - - - | ok | 1700000000030000000+1000000 | order.created -",
            "4a6b8c0d2e3f5061 <- 3f5a7b9c1d2e4f60 | shipping@- - | Consumer order.created process | - - - | ok | 1700000000035000000+8000000 | order.created -",
        ]
    );
    assert_eq!(
        traces[1].trace_id, "4b1d3c5e6f708192",
        "a 64-bit id stays 16 digits"
    );
    assert_eq!(
        lines(&traces[1]),
        [
            "5b7c9d1e3f405162 <- - | gateway@gateway-7d9f-1 - | Server GET /orders/{id} | GET - - | ok | 1700000001000000000+30000000 | - -",
            // Its parent is in no span of the trace, and it is on order's second process.
            "6c8d0e2f40516273 <- aaaaaaaaaaaaaaaa | order@order-5c4b-2 - | Server GET /orders/{id} | - - - | error | 1700000001002000000+25000000 | - -",
        ]
    );
    let bytes = std::fs::metadata(&file).unwrap().len();
    assert_eq!(
        counts,
        ReadCounts {
            files: 1,
            bytes,
            traces: 2,
            spans: 9,
            spans_without_service: 1,
            traces_too_large: 0,
            spans_incomplete: 0
        }
    );
}

#[test]
fn zipkin_shop_splits_shared_spans() {
    let file = fixture("zipkin/shop.json");
    let (traces, counts) = read_all(&[&file], None).unwrap();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].trace_id, "463ac35c9f6413ad");
    assert_eq!(
        lines(&traces[0]),
        [
            "a000000000000001 <- - | gateway@10.0.0.1 - | Server get /orders | GET /orders 200 | ok | 1700000000000000000+50000000 | - -",
            // The client half of a shared id takes a new id; the server half hangs under it.
            "a000000000000002-client <- a000000000000001 | gateway@10.0.0.1 - | Client post | - - - | ok | 1700000000001000000+45000000 | - order",
            "a000000000000002 <- a000000000000002-client | order@10.0.1.1 - | Server post /orders | POST /orders 201 | ok | 1700000000002000000+40000000 | - -",
            "a000000000000003-client <- a000000000000002 | order@10.0.1.1 - | Client post | - - - | ok | 1700000000005000000+20000000 | - payment",
            "a000000000000003 <- a000000000000003-client | payment@10.0.2.7 - | Server post /pay | - - 500 | error | 1700000000004000000+18000000 | - -",
            "a000000000000004 <- a000000000000002 | order@10.0.1.2 - | Producer send | - - - | ok | 1700000000030000000+1000000 | order.created kafka",
            "a000000000000005 <- a000000000000004 | shipping@2001:db8::5 - | Consumer poll | - - - | ok | 1700000000035000000+8000000 | order.created -",
        ]
    );
    assert_eq!(
        (counts.spans_without_service, counts.spans_incomplete),
        (1, 1)
    );
}

#[test]
fn zipkin_list_of_traces_reads_each() {
    let file = fixture("zipkin/traces.json");
    let (traces, counts) = read_all(&[&file], Some(TraceFormat::Zipkin)).unwrap();
    let ids: Vec<&str> = traces.iter().map(|trace| trace.trace_id.as_str()).collect();
    assert_eq!(
        ids,
        ["5af7183fb1d4cf5f0c9a2b3d4e5f6a7b", "6b08294c0e1f2a3b"]
    );
    assert_eq!(
        lines(&traces[0]),
        [
            // A gateway's 404 is the caller's error, not the server's.
            "b000000000000001 <- - | gateway@10.0.0.1 - | Server get /orders/{id} | GET - 404 | ok | 1700000002000000000+12000000 | - -",
            "b000000000000002 <- ccccccccccccccc1 | order@10.0.1.2 - | Server get /orders/{id} | - - - | ok | 1700000002001000000+9000000 | - -",
        ]
    );
    assert_eq!((counts.traces, counts.spans), (2, 3));
}

#[test]
fn otlp_lines_assemble_interleaved_traces() {
    let file = fixture("otlp/shop.jsonl");
    let (traces, counts) = read_all(&[&file], None).unwrap();
    let ids: Vec<&str> = traces.iter().map(|trace| trace.trace_id.as_str()).collect();
    // Closed at the end, least recently active first: trace A's last span comes before B's.
    assert_eq!(
        ids,
        [
            "5b8efff798038103d269b633813fc60c",
            "0123456789abcdef0123456789abcdef"
        ]
    );
    assert_eq!(
        lines(&traces[0]),
        [
            "eee19b7ec3c1b174 <- - | gateway@gateway-1 - | Server GET /orders | GET /orders 200 | ok | 1700000000000000000+50000000 | - -",
            "eee19b7ec3c1b175 <- eee19b7ec3c1b174 | gateway@gateway-1 - | Client POST | - - - | ok | 1700000000001000000+45000000 | - order",
            "eee19b7ec3c1b176 <- eee19b7ec3c1b175 | order@order-1 1.4.2 | Server POST /orders | POST /orders 201 | ok | 1700000000002000000+40000000 | - -",
            "eee19b7ec3c1b177 <- eee19b7ec3c1b176 | order@order-1 1.4.2 | Client POST | - - - | ok | 1700000000005000000+20000000 | - payment",
            "eee19b7ec3c1b179 <- eee19b7ec3c1b176 | order@order-1 1.4.2 | Producer order.created publish | - - - | ok | 1700000000030000000+1000000 | order.created -",
            "eee19b7ec3c1b178 <- eee19b7ec3c1b177 | payment@- - | Server POST /pay | - - 500 | error | 1700000000004000000+18000000 | - -",
            "eee19b7ec3c1b17a <- eee19b7ec3c1b179 | shipping@- - | Consumer order.created process | - - - | ok | 1700000000035000000+8000000 | order.created -",
        ]
    );
    assert_eq!(
        lines(&traces[1]),
        [
            "1111111111111111 <- - | gateway@gateway-1 - | Server GET /orders/{id} | - - - | ok | 1700000001000000000+30000000 | - -",
            // Base64 ids; service.instance.id over host.name; a parent in no span.
            "2222222222222222 <- ffffffffffffffff | order@order-2 - | Server GET /orders/{id} | - - - | error | 1700000001002000000+25000000 | - -",
        ]
    );
    assert_eq!(
        (counts.traces, counts.spans, counts.spans_without_service),
        (2, 9, 1)
    );
}

#[test]
fn otlp_pretty_file_with_its_resource_last() {
    let file = fixture("otlp/pretty.json");
    let (traces, counts) = read_all(&[&file], None).unwrap();
    assert_eq!(traces.len(), 1, "{counts:?}");
    assert_eq!(
        lines(&traces[0]),
        [
            "4444444444444444 <- - | inventory@- 2.0.0 | Server GET /stock | GET /stock - | ok | 1700000005000000000+4000000 | - -",
            "5555555555555555 <- 4444444444444444 | inventory@- 2.0.0 | Client SELECT stock | - - - | ok | 1700000005001000000+2000000 | - stock-db",
        ]
    );
}

#[test]
fn files_of_different_formats_read_in_one_go() {
    let files = [
        fixture("jaeger/shop.json"),
        fixture("zipkin/shop.json"),
        fixture("otlp/shop.jsonl"),
    ];
    let paths: Vec<&std::path::Path> = files.iter().map(std::path::PathBuf::as_path).collect();
    let (traces, counts) = read_all(&paths, None).unwrap();
    assert_eq!(counts.files, 3);
    assert_eq!(traces.len(), 2 + 1 + 2);
    // The same files give the same traces in the same order.
    assert_eq!(read_all(&paths, None).unwrap().0, traces);
}
