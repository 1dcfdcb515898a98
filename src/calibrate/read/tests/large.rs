//! A large OTLP file read in memory bounded by its open traces, not its size. Too slow for the
//! suite (it writes and reads a gigabyte), so it is ignored; run it with
//! `LARGE_TRACES_MB=1024 cargo test --lib calibrate::read::tests::large -- --ignored --nocapture`
//! under `/usr/bin/time -v` to see the peak memory (its maximum resident set size).

use std::io::{BufWriter, Write};

use super::round_trip::otlp_run;
use crate::calibrate::read::TraceFormat;

#[test]
#[ignore = "writes and reads a large file: run by hand to measure memory"]
#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // Times the read for the note, outside any run.
fn a_large_file_streams() {
    let megabytes: u64 = std::env::var("LARGE_TRACES_MB")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(64);
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("large.jsonl");
    let mut writer = BufWriter::new(std::fs::File::create(&path).unwrap());
    let (mut written, mut traces) = (0_u64, 0_u64);
    let chunk = 200;
    while written < megabytes << 20 {
        let text = otlp_run(traces, chunk);
        writer.write_all(text.as_bytes()).unwrap();
        written += text.len() as u64;
        traces += chunk;
    }
    writer.flush().unwrap();
    drop(writer);
    let started = std::time::Instant::now();
    let mut spans_max = 0;
    let mut seen = 0_u64;
    let options = crate::calibrate::read::ReadOptions {
        format: Some(TraceFormat::Otlp),
        progress: false,
    };
    let counts = crate::calibrate::read::read_traces(&[&path], options, &mut |trace| {
        spans_max = spans_max.max(trace.spans.len());
        seen += 1;
    })
    .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "read {written} bytes, {} traces, {} spans in {seconds:.1} s ({:.0} MB/s)",
        counts.traces,
        counts.spans,
        written as f64 / seconds / 1e6
    );
    assert_eq!((seen, counts.traces, spans_max), (traces, traces, 6));
    assert_eq!(counts.spans, traces * 6);
}
