//! Truncated and garbled files: the readers return an error or traces, never a panic.

use std::io::Write;

use proptest::prelude::*;

use super::{fixture, read_all};

fn fixtures() -> Vec<Vec<u8>> {
    [
        "jaeger/shop.json",
        "zipkin/shop.json",
        "zipkin/traces.json",
        "otlp/shop.jsonl",
        "otlp/pretty.json",
    ]
    .iter()
    .map(|name| std::fs::read(fixture(name)).unwrap())
    .collect()
}

fn read_bytes(bytes: &[u8]) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    // Either answer is fine; a panic fails the test.
    let _ = read_all(&[file.path()], None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_truncated_file_does_not_panic(which in 0_usize..5, cut in 0.0_f64..1.0) {
        let bytes = &fixtures()[which];
        read_bytes(&bytes[..(bytes.len() as f64 * cut) as usize]);
    }

    #[test]
    fn a_garbled_file_does_not_panic(
        which in 0_usize..5,
        edits in prop::collection::vec((0.0_f64..1.0, any::<u8>()), 1..8),
    ) {
        let mut bytes = fixtures()[which].clone();
        for (at, byte) in edits {
            let index = ((bytes.len() - 1) as f64 * at) as usize;
            bytes[index] = byte;
        }
        read_bytes(&bytes);
    }
}
