//! A diagnostic drawn as rustc draws one, by `annotate-snippets` (the renderer rustc and cargo
//! use): a headline, an arrow to `file:line:column`, the line with carets under the offending
//! bytes, each secondary place with its label (under `:::` when it is in another file), and the
//! hint. The output depends only on the diagnostic and the source texts, so snapshots of it are
//! stable.

use annotate_snippets::renderer::{AnsiColor, Style};
use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use super::location::first_line_of;
use super::text::escape_controls;
use super::{Diagnostic, Severity, SourceSpan};

/// The width the renderer fits source lines into. A quarter of the address space (the renderer
/// doubles it in one place), so no line of any file is ever cut: meshsim has always shown the
/// whole line, and a scenario's long inline tables are where its mistakes are.
const LINE_WIDTH_UNCUT: usize = usize::MAX / 4;

/// The renderer, plain or in today's colors: errors bold red, warnings bold yellow, the gutter
/// bold blue, hints bold cyan and the message bold, as meshsim has always painted them.
fn renderer(color: bool) -> Renderer {
    let renderer = Renderer::plain().term_width(LINE_WIDTH_UNCUT);
    if !color {
        return renderer;
    }
    let bold = |color: AnsiColor| color.on_default().bold();
    renderer
        .error(bold(AnsiColor::Red))
        .warning(bold(AnsiColor::Yellow))
        .line_num(bold(AnsiColor::Blue))
        .context(bold(AnsiColor::Blue))
        .help(bold(AnsiColor::Cyan))
        .note(bold(AnsiColor::Green))
        .emphasis(Style::new().bold())
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    }
}

/// The first line of a diagnostic, `error: MESSAGE` and a line break, colored as a diagnostic's
/// when `color`; alone, it closes a list of diagnostics (`error: 9 mistakes in x.toml`).
pub(crate) fn headline(severity: Severity, message: &str, color: bool) -> String {
    let title = level(severity).primary_title(escape_controls(message));
    let mut out = renderer(color).render(&[Group::with_title(title)]);
    out.push('\n');
    out
}

/// `diagnostic` drawn with the texts of the files it points into, each `(file, text)`; a place
/// in a file whose text is not given is named without a line, its label as a note.
pub(crate) fn render(diagnostic: &Diagnostic, files: &[(&str, &str)], color: bool) -> String {
    let mut group = Group::with_title(
        level(diagnostic.severity).primary_title(escape_controls(&diagnostic.message)),
    );
    for file in files_in_order(diagnostic) {
        let text = files
            .iter()
            .find(|(name, _)| *name == file)
            .map(|(_, text)| *text);
        group = with_places_in(group, diagnostic, file, text);
    }
    if let Some(hint) = &diagnostic.hint {
        group = group.element(Level::HELP.with_name("hint").message(escape_controls(hint)));
    }
    let mut out = renderer(color).render(&[group]);
    out.push('\n');
    out
}

/// The main file first, then each other file in the order the secondary places name them.
fn files_in_order(diagnostic: &Diagnostic) -> Vec<&str> {
    let mut files = vec![diagnostic.file.as_str()];
    for (place, _) in &diagnostic.also {
        if !files.contains(&place.file.as_str()) {
            files.push(&place.file);
        }
    }
    files
}

/// `group` with the places `diagnostic` points at in `file`: the line of each with carets under
/// the main span and dashes and a label under the others; or, without a text or a span (a file
/// that cannot be read or is too large is wrong as a whole), the file's name alone.
fn with_places_in<'a>(
    group: Group<'a>,
    diagnostic: &'a Diagnostic,
    file: &'a str,
    text: Option<&'a str>,
) -> Group<'a> {
    let primary = diagnostic.span.as_ref().filter(|_| file == diagnostic.file);
    let secondaries: Vec<&(SourceSpan, String)> = diagnostic
        .also
        .iter()
        .filter(|(place, _)| place.file == file)
        .collect();
    let Some(text) = text.filter(|_| primary.is_some() || !secondaries.is_empty()) else {
        let mut group = group.element(Origin::path(file));
        for (_, label) in secondaries {
            group = group.element(Level::NOTE.message(escape_controls(label)));
        }
        return group;
    };
    let mut snippet = Snippet::source(text).path(file);
    if let Some(span) = primary {
        snippet = snippet.annotation(AnnotationKind::Primary.span(first_line_of(text, span)));
    }
    for (place, label) in secondaries {
        snippet = snippet.annotation(
            AnnotationKind::Context
                .span(first_line_of(text, &place.bytes))
                .label(escape_controls(label)),
        );
    }
    group.element(snippet)
}
