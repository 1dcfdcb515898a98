//! How a run's subjects are named in its file names: the charts' SVGs and the report's links
//! to them must agree.

/// A scenario name as part of a file name: lower case, each run of anything but letters and
/// digits as one `-` (`order.created -> payment` is `order-created-payment`).
pub(crate) fn file_part(name: &str) -> String {
    let mut part = String::with_capacity(name.len());
    for character in name.chars() {
        if character.is_ascii_alphanumeric() {
            part.push(character.to_ascii_lowercase());
        } else if !part.ends_with('-') {
            part.push('-');
        }
    }
    part
}
