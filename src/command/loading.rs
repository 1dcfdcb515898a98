//! Loading a command's scenario file: what did not load and what looks wrong are told on stderr,
//! the same way by every command.

use std::io::IsTerminal;
use std::path::Path;

use super::color::color_for;
use super::status::Status;
use crate::scenario::{self, LoadError, Loaded};

/// Prints the diagnostics of a scenario that did not load, and the count that closes them.
pub(crate) fn report_load_error(error: &LoadError) {
    let color = color_for(std::io::stderr().is_terminal());
    eprint!("{}", error.render(color));
    if let Some(summary) = error.summary(color) {
        eprint!("\n{summary}");
    }
}

/// Loads `file`; when it does not load, its diagnostics are printed and the status is bad input.
pub(crate) fn load_or_report(file: &Path) -> Result<Loaded, Status> {
    scenario::load_file(file).map_err(|error| {
        report_load_error(&error);
        Status::BadInput
    })
}

/// Prints the warnings of a scenario that loaded: what it runs, but likely not as meant.
pub(crate) fn print_warnings(loaded: &Loaded) {
    let color = color_for(std::io::stderr().is_terminal());
    for warning in &loaded.warnings {
        eprint!("{}", loaded.render(warning, color));
    }
    eprint!("{}", loaded.included.summary());
}
