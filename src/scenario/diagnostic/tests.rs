use super::{Diagnostic, Location, SourceSpan, did_you_mean, name_list, quote};

const SOURCE: &str = "[[service]]\nname = \"order\"\n\tcalls = [ { service = \"paymnt\" } ]\n";

#[test]
fn renders_a_span_with_line_column_and_carets() {
    let start = SOURCE.find("\"paymnt\"").unwrap();
    let diagnostic = Diagnostic::error("shop.toml", "unknown service `paymnt` in `calls`")
        .with_span(Some(start..start + 8))
        .with_hint("did you mean `payment`?");
    assert_eq!(
        diagnostic.location(SOURCE),
        Some(Location {
            line: 3,
            column: 24
        })
    );
    let expected = "error: unknown service `paymnt` in `calls`\n --> shop.toml:3:24\n  |\n3 |     calls = [ { service = \"paymnt\" } ]\n  |                           ^^^^^^^^\n  |\n  = hint: did you mean `payment`?\n";
    assert_eq!(diagnostic.render(SOURCE, false), expected);
}

#[test]
fn renders_without_a_span_and_clips_to_the_first_line() {
    let diagnostic = Diagnostic::warning("x.toml", "something");
    assert_eq!(
        diagnostic.render("", false),
        "warning: something\n--> x.toml\n"
    );
    let whole = Diagnostic::error("x.toml", "whole").with_span(Some(0..SOURCE.len()));
    assert!(
        whole
            .render(SOURCE, false)
            .contains("1 | [[service]]\n  | ^^^^^^^^^^^\n")
    );
}

#[test]
fn renders_places_in_two_files() {
    let scenario = "[[service]]\nname = \"order\"\nreplicas = 3\n";
    let deployment = "kind: Deployment\nmetadata:\n  name: order\nspec:\n  replicas: 2\n";
    let in_scenario = scenario.find("replicas").unwrap();
    let in_deployment = deployment.find("replicas").unwrap();
    let diagnostic = Diagnostic::error("order.yaml", "`replicas` is set twice")
        .with_span(Some(in_deployment..in_deployment + 8))
        .with_also(
            SourceSpan::new("shop.toml", in_scenario..in_scenario + 8),
            "and here",
        )
        .with_hint("set it in one place");
    let files = [("shop.toml", scenario), ("order.yaml", deployment)];
    let expected = "error: `replicas` is set twice
 --> order.yaml:5:3
  |
5 |   replicas: 2
  |   ^^^^^^^^
  |
 ::: shop.toml:3:1
  |
3 | replicas = 3
  | -------- and here
  |
  = hint: set it in one place
";
    assert_eq!(diagnostic.render_files(&files, false), expected);
    // Without the other file's text, its place is named and its label kept.
    let alone = diagnostic.render(deployment, false);
    assert!(alone.contains("::: shop.toml\n"), "{alone}");
    assert!(alone.contains("= note: and here\n"), "{alone}");
}

#[test]
fn never_panics_on_odd_spans() {
    let source = "é\r\nx";
    // Spans from a file that changed, or from a bug elsewhere, must still render.
    let reversed = std::ops::Range { start: 7, end: 3 };
    for span in [0..0, 1..1, 1..9, reversed, 100..200, 2..3, 4..5] {
        let diagnostic = Diagnostic::error("f", "m")
            .with_span(Some(span.clone()))
            .with_also(SourceSpan::new("f", span.clone()), "l")
            .with_also(SourceSpan::new("g", span), "l");
        let _ = diagnostic.render(source, true);
        let _ = diagnostic.render_files(&[("f", source), ("g", "")], true);
        let _ = diagnostic.location(source);
    }
}

#[test]
fn colors_only_when_asked() {
    let diagnostic = Diagnostic::error("f", "m")
        .with_span(Some(0..1))
        .with_hint("h");
    assert!(!diagnostic.render("x", false).contains('\x1b'));
    assert!(
        diagnostic
            .render("x", true)
            .contains("\x1b[1m\x1b[31merror\x1b[0m")
    );
}

#[test]
fn keeps_control_characters_from_the_terminal() {
    let diagnostic = Diagnostic::error("f", "bad \u{1b}[31m name")
        .with_span(Some(0..3))
        .with_hint("h\u{7}");
    let rendered = diagnostic.render("\u{1b}[2Jx = 1\n", false);
    assert!(!rendered.contains('\u{1b}'), "{rendered:?}");
    assert!(!rendered.contains('\u{7}'), "{rendered:?}");
}

#[test]
fn suggests_close_names_only() {
    assert_eq!(
        did_you_mean("paymnt", ["order", "payment"]),
        Some("payment")
    );
    assert_eq!(did_you_mean("Order", ["order"]), Some("order"));
    assert_eq!(did_you_mean("zzz", ["order", "payment"]), None);
    assert_eq!(did_you_mean("注文x", ["注文"]), Some("注文"));
    let many: Vec<String> = (0..12).map(|index| format!("s{index:02}")).collect();
    assert_eq!(
        name_list(many.iter().map(String::as_str)),
        "s00, s01, s02, s03, s04, s05, s06, s07, s08, s09 and 2 more"
    );
    assert_eq!(quote("a\u{1b}b"), "`a\\u{1b}b`");
}
