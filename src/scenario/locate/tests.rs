use super::{DocPath, Locator, PathTarget};

const SOURCE: &str = r#"[scenario]
name = "x"

[[service]]
name = "order"

[[service.endpoint]]
name = "POST /orders"
calls = [
  { service = "product", endpoint = "GET /stock" },
  { service = "paymnt", endpoint = "POST /payments" },
]

[[service]]
name = "payment"

[mesh.payment.retries]
attempts = 3

[[mesh.order.route]]
weights = { v1 = 90, v3 = 10 }
"#;

fn text(span: Option<std::ops::Range<usize>>) -> &'static str {
    span.map_or("<none>", |span| &SOURCE[span])
}

#[test]
fn finds_values_in_tables_arrays_and_inline_tables() {
    let locator = Locator::new(SOURCE);
    let path = crate::doc_path!["service", 0, "endpoint", 0, "calls", 1, "service"];
    assert_eq!(text(locator.value_span(path.parts())), "\"paymnt\"");
    assert_eq!(text(locator.key_span(path.parts())), "service");
    assert_eq!(
        text(locator.value_span(crate::doc_path!["service", 1, "name"].parts())),
        "\"payment\""
    );
    let calls = crate::doc_path!["service", 0, "endpoint", 0, "calls", 0];
    assert_eq!(
        text(locator.value_span(calls.parts())),
        "{ service = \"product\", endpoint = \"GET /stock\" }"
    );
    let weight = crate::doc_path!["mesh", "order", "route", 0, "weights", "v3"];
    assert_eq!(text(locator.key_span(weight.parts())), "v3");
    assert_eq!(text(locator.value_span(weight.parts())), "10");
    assert_eq!(
        text(locator.key_span(crate::doc_path!["mesh", "payment"].parts())),
        "payment"
    );
    assert_eq!(
        text(locator.value_span(crate::doc_path!["scenario"].parts())),
        "[scenario]"
    );
}

#[test]
fn falls_back_to_the_nearest_written_parent() {
    let locator = Locator::new(SOURCE);
    assert_eq!(
        text(locator.value_span(crate::doc_path!["service", 1, "replicas"].parts())),
        "[[service]]"
    );
    assert!(!locator.exists(crate::doc_path!["service", 1, "replicas"].parts()));
    let missing = crate::doc_path!["service", 0, "endpoint", 0, "calls", 1, "topic"];
    assert_eq!(
        text(locator.key_span(missing.parts())),
        "{ service = \"paymnt\", endpoint = \"POST /payments\" }"
    );
    assert_eq!(
        text(locator.value_span(crate::doc_path!["service", 9, "name"].parts())),
        "[[service]]"
    );
    assert_eq!(
        locator.value_span(crate::doc_path!["nothing"].parts()),
        None
    );
    assert_eq!(locator.value_span(DocPath::root().parts()), None);
    let broken = Locator::new("[scenario\nname = ");
    assert_eq!(
        broken.value_span(crate::doc_path!["scenario"].parts()),
        None
    );
}

#[test]
fn finds_the_path_of_a_span() {
    let locator = Locator::new(SOURCE);
    let start = SOURCE.find("\"paymnt\"").unwrap();
    let (path, target) = locator.path_at(&(start..start + 8)).unwrap();
    assert_eq!(path.to_string(), "service[0].endpoint[0].calls[1].service");
    assert_eq!(target, PathTarget::Value);
    let attempts = SOURCE.find("attempts").unwrap();
    let (path, target) = locator.path_at(&(attempts..attempts + 8)).unwrap();
    assert_eq!(path.to_string(), "mesh.payment.retries.attempts");
    assert_eq!(target, PathTarget::Key);
}

#[test]
fn displays_paths_with_quoted_keys() {
    let path = DocPath::root()
        .key("mesh")
        .key("my svc")
        .key("route")
        .index(2);
    assert_eq!(path.to_string(), "mesh.\"my svc\".route[2]");
    assert_eq!(path.last_key(), "route");
}
