//! The pieces both pages are built from: escaping, the page's frame, tables, figures in the
//! report's units, and charts' SVG made fit to sit inside an HTML page.

use std::fmt::Write;

use crate::chart::Chart;

/// The stylesheet, inlined in every page so the file opens from disk with nothing to fetch.
const STYLE: &str = include_str!("style.css");

/// Text made safe for HTML, in element content and in quoted attribute values alike.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// The whole document around a page's body: doctype, inline style, no external resource.
pub(crate) fn page(title: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + STYLE.len() + 512);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = write!(out, "<style>\n{STYLE}</style>\n</head>\n<body>\n{body}");
    out.push_str("<footer>Written by meshsim. This page needs no network and runs no script.");
    out.push_str("</footer>\n</body>\n</html>\n");
    out
}

/// One table cell, its content already HTML.
pub(crate) struct Cell {
    html: String,
    class: &'static str,
}

impl Cell {
    pub(crate) fn text(text: &str) -> Cell {
        Cell::html(escape(text))
    }

    pub(crate) fn html(html: String) -> Cell {
        Cell { html, class: "" }
    }

    /// A figure: right-aligned, in tabular digits.
    pub(crate) fn number(text: &str) -> Cell {
        Cell::text(text).class("n")
    }

    pub(crate) fn class(mut self, class: &'static str) -> Cell {
        self.class = class;
        self
    }
}

/// One table row, with an optional class (`total`, `sub`, `fail`).
pub(crate) struct Row {
    pub(crate) class: &'static str,
    pub(crate) cells: Vec<Cell>,
}

impl Row {
    pub(crate) fn new(cells: Vec<Cell>) -> Row {
        Row { class: "", cells }
    }

    pub(crate) fn class(mut self, class: &'static str) -> Row {
        self.class = class;
        self
    }
}

/// A table in a box that scrolls sideways on a narrow screen. Headings of numeric columns
/// (a label ending in `#`, which is not shown) are right-aligned like their figures.
pub(crate) fn table(out: &mut String, headings: &[&str], rows: &[Row]) {
    out.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for heading in headings {
        match heading.strip_suffix('#') {
            Some(label) => {
                let _ = write!(out, "<th class=\"n\">{}</th>", escape(label));
            }
            None => {
                let _ = write!(out, "<th>{}</th>", escape(heading));
            }
        }
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        open_tag(out, "tr", row.class);
        for cell in &row.cells {
            open_tag(out, "td", cell.class);
            out.push_str(&cell.html);
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
}

fn open_tag(out: &mut String, tag: &str, class: &str) {
    if class.is_empty() {
        let _ = write!(out, "<{tag}>");
    } else {
        let _ = write!(out, "<{tag} class=\"{class}\">");
    }
}

/// An expectation's or a check's verdict: a coloured mark that also says it in words, so it
/// reads the same in grey or on paper.
pub(crate) fn verdict(ok: bool) -> String {
    if ok {
        "<span class=\"mark ok\">ok</span>".to_owned()
    } else {
        "<span class=\"mark fail\">FAIL</span>".to_owned()
    }
}

/// Milliseconds as the terminal table shows them: three significant figures or so.
pub(crate) fn ms(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 1.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

/// An expectation's actual value as the terminal table shows it: strings bare, `none` for null.
pub(crate) fn json_figure(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "none".to_owned(),
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A mesh counter: a count as it is, a ratio (amplification) to three decimals.
pub(crate) fn counter(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Number(number) if number.is_f64() => number
            .as_f64()
            .map_or_else(|| number.to_string(), |v| format!("{v:.3}")),
        other => json_figure(other),
    }
}

/// `order -> payment` drawn with an arrow.
pub(crate) fn arrow(text: &str) -> String {
    text.replace(" -> ", " → ")
}

/// The charts, each a figure under its title; `none` says why the section is empty.
pub(crate) fn charts_section(out: &mut String, charts: &[Chart], none: &str) {
    charts_section_with_notes(out, charts, none, &|_| None);
}

/// The charts, each with its id taken from its file name (`chart-route-weights-service-order`,
/// so a link to it holds from run to run) and the note `note` gives it, if any, under its title.
pub(crate) fn charts_section_with_notes(
    out: &mut String,
    charts: &[Chart],
    none: &str,
    note: &dyn Fn(&Chart) -> Option<String>,
) {
    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    if charts.is_empty() {
        let _ = writeln!(out, "<p class=\"muted\">{}</p>", escape(none));
    }
    for (index, chart) in charts.iter().enumerate() {
        let note = note(chart).map_or(String::new(), |note| {
            format!("<p class=\"note\">{}</p>\n", escape(&note))
        });
        let _ = write!(
            out,
            "<figure id=\"{}\">\n<h3>{}</h3>\n{note}{}\n<figcaption>{}</figcaption>\n</figure>\n",
            chart_id(chart),
            escape(&chart.title),
            inline_svg(&chart.svg, &chart.title, index + 1),
            escape(&chart.file_name)
        );
    }
    out.push_str("</section>\n");
}

/// A chart's id on its page: `chart-` and its file name without `.svg`.
pub(crate) fn chart_id(chart: &Chart) -> String {
    format!("chart-{}", escape(chart.file_name.trim_end_matches(".svg")))
}

/// Namespace declarations an HTML parser supplies itself; dropped so the page names no URL.
const NAMESPACES: [&str; 4] = [
    " xmlns=\"http://www.w3.org/2000/svg\"",
    " xmlns:xlink=\"http://www.w3.org/1999/xlink\"",
    " xmlns='http://www.w3.org/2000/svg'",
    " xmlns:xlink='http://www.w3.org/1999/xlink'",
];

/// A standalone SVG document made into an element of the page: the XML prolog and the
/// namespace declarations go, a `viewBox` is added where it lacks one so CSS can scale it to a
/// narrow screen, and its ids get the chart's number so two charts' clip paths cannot collide.
pub(crate) fn inline_svg(svg: &str, title: &str, number: usize) -> String {
    let (Some(start), Some(end)) = (svg.find("<svg"), svg.rfind("</svg>")) else {
        return format!(
            "<p class=\"muted\">This chart is not an SVG document: {}</p>",
            escape(title)
        );
    };
    let element = without_caption(&svg[start..end + "</svg>".len()], title);
    let element = element.as_str();
    let root_end = element.find('>').unwrap_or(element.len());
    let (root, rest) = element.split_at(root_end);
    let mut root = root.to_owned();
    for namespace in NAMESPACES {
        root = root.replace(namespace, "");
    }
    if !root.contains("viewBox")
        && let (Some(width), Some(height)) = (attribute(&root, "width"), attribute(&root, "height"))
    {
        let _ = write!(root, " viewBox=\"0 0 {width} {height}\"");
    }
    let _ = write!(root, " role=\"img\" aria-label=\"{}\"", escape(title));
    prefix_ids(&format!("{root}{rest}"), &format!("c{number}-"))
}

/// The SVG without the `<text>` that repeats its title: a chart file carries its own caption so
/// it reads alone, but in the page the figure's heading already says it.
fn without_caption(svg: &str, title: &str) -> String {
    let mut from = 0;
    while let Some(found) = svg[from..].find("<text") {
        let start = from + found;
        let Some(open) = svg[start..].find('>') else {
            break;
        };
        let Some(close) = svg[start..].find("</text>") else {
            break;
        };
        let content = svg[start + open + 1..start + close].trim();
        let end = start + close + "</text>".len();
        if unescape(content) == title {
            let end = if svg[end..].starts_with('\n') {
                end + 1
            } else {
                end
            };
            return format!("{}{}", &svg[..start], &svg[end..]);
        }
        from = end;
    }
    svg.to_owned()
}

/// XML text as it reads: the five named entities and `&#39;`, however the renderer spelled them.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The numeric value of `name="…"` in an SVG root tag, when it is a plain number of pixels.
fn attribute(tag: &str, name: &str) -> Option<f64> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let value = &tag[start..start + tag[start..].find('"')?];
    value.trim_end_matches("px").parse::<f64>().ok()
}

/// Every `id="x"` becomes `id="PREFIXx"`, and each reference to it (`url(#x)`, `href="#x"`) with
/// it. The SVG renderer only writes ids for clip paths and gradients, so this touches little.
fn prefix_ids(svg: &str, prefix: &str) -> String {
    let mut ids = Vec::new();
    let mut rest = svg;
    while let Some(found) = rest.find(" id=\"") {
        let start = found + " id=\"".len();
        let Some(length) = rest[start..].find('"') else {
            break;
        };
        let id = &rest[start..start + length];
        if !ids.contains(&id) {
            ids.push(id);
        }
        rest = &rest[start + length..];
    }
    let mut out = svg.to_owned();
    for id in ids {
        for (before, after) in [
            (format!(" id=\"{id}\""), format!(" id=\"{prefix}{id}\"")),
            (format!("url(#{id})"), format!("url(#{prefix}{id})")),
            (format!("href=\"#{id}\""), format!("href=\"#{prefix}{id}\"")),
        ] {
            out = out.replace(&before, &after);
        }
    }
    out
}
