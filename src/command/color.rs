//! Whether a command colours what it writes.

/// Colour only for a terminal, and never when `NO_COLOR` is set (<https://no-color.org>).
pub(crate) fn color_for(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}
