//! "did you mean `payment`?": the name closest to a typo, and the list of names a hint offers.

use std::fmt::Write as _;

use super::text::quote;

/// The candidate closest to `wanted` by edit distance, if it is close enough to be a typo:
/// case-insensitively equal, or at most a third of the length apart (at least one edit).
pub(crate) fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Names are short; a long "name" is pasted text, and comparing it costs length squared.
    const COMPARED_CHARS_MAX: usize = 128;
    let wanted_length = wanted.chars().count();
    if wanted_length > COMPARED_CHARS_MAX {
        return None;
    }
    let wanted_lower = wanted.to_lowercase();
    let threshold = (wanted_length / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == wanted || candidate.chars().count() > COMPARED_CHARS_MAX {
            continue;
        }
        // Levenshtein over characters, so a typo in `注文` counts one edit, not three bytes.
        let distance = strsim::levenshtein(&wanted_lower, &candidate.to_lowercase());
        // Strictly smaller keeps the first of equally close candidates: declaration order.
        if distance <= threshold && best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// A list of names for a hint, sorted, past ten cut to "and N more".
pub(crate) fn name_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    const SHOWN_MAX: usize = 10;
    let mut sorted: Vec<&str> = names.into_iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    let shown: Vec<String> = sorted
        .iter()
        .take(SHOWN_MAX)
        .map(|name| {
            if name.chars().any(char::is_control) || name.chars().count() > 80 {
                quote(name)
            } else {
                (*name).to_owned()
            }
        })
        .collect();
    let mut list = shown.join(", ");
    if sorted.len() > SHOWN_MAX {
        let _ = write!(list, " and {} more", sorted.len() - SHOWN_MAX);
    }
    list
}

/// "did you mean `x`? LABEL: a, b, c", or only the list when nothing is close; `None` when
/// there is nothing to list. `label` says what the names are: "services here".
pub(crate) fn suggestion(wanted: &str, label: &str, names: &[&str]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let list = name_list(names.iter().copied());
    Some(match did_you_mean(wanted, names.iter().copied()) {
        Some(close) => format!("did you mean {}? {label}: {list}", quote(close)),
        None => format!("{label}: {list}"),
    })
}
