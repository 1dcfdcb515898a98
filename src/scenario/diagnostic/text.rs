//! How messages quote user text, so that every message quotes the same way and none can drive
//! the user's terminal.

/// Messages quote user text; control characters in it are escaped (line breaks of a long hint
/// are kept), so that a message cannot drive the terminal.
pub(crate) fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        if character.is_control() && character != '\n' {
            out.extend(character.escape_default());
        } else {
            out.push(character);
        }
    }
    out
}

/// Quotes user text for a message: `` `text` ``, with control characters escaped and long text
/// cut, so a message stays one readable line whatever the file holds.
pub(crate) fn quote(text: &str) -> String {
    const SHOWN_CHARS_MAX: usize = 80;
    let mut out = String::from("`");
    for (count, character) in text.chars().enumerate() {
        if count == SHOWN_CHARS_MAX {
            out.push('…');
            break;
        }
        if character.is_control() {
            out.extend(character.escape_default());
        } else {
            out.push(character);
        }
    }
    out.push('`');
    out
}
