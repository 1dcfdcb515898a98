//! The progress of a read: bytes read over the total size of the files, on stderr, hidden when
//! stderr is not a terminal or in CI (as `meshsim run`'s bar).

use std::io::{self, IsTerminal, Read};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar for `total_bytes`, or a hidden one.
pub(crate) fn progress_bar(wanted: bool, total_bytes: u64) -> ProgressBar {
    let visible = wanted && io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {bar:40} {bytes}/{total_bytes} of traces read · {elapsed}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// A reader that moves the bar by the bytes it reads.
pub(crate) struct Progress<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R> Progress<R> {
    pub(crate) fn new(inner: R, bar: ProgressBar) -> Self {
        Self { inner, bar }
    }
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.bar.inc(count as u64);
        Ok(count)
    }
}
