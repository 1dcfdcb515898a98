//! Ctrl-C and termination: the first asks the run to stop, and it does at the next slice of
//! simulated time (at most [`crate::simulate::SLICE_NANOS_MAX`] of it, well under a second of
//! wall time), leaving the previous output whole; a second one ends the process at once.
//!
//! The flag is process-wide because a signal is; only the command-line tool installs the
//! handler, so a library user's runs are never stopped by it.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The exit code of a process stopped by Ctrl-C, as shells report it (128 + SIGINT).
pub(crate) const INTERRUPTED_EXIT_CODE: u8 = 130;

/// Installs the handler for Ctrl-C, SIGTERM and SIGHUP.
pub fn install_handler() {
    let installed = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            // The second time: the user does not want to wait for a clean stop.
            std::process::exit(i32::from(INTERRUPTED_EXIT_CODE));
        }
        eprintln!("\nstopping at the next slice of simulated time (Ctrl-C again to quit at once)");
    });
    if let Err(error) = installed {
        tracing::warn!("Ctrl-C will end the process at once: {error}");
    }
}

/// Whether a stop was asked for.
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
