//! The fault windows of a run as shaded bands behind the time series, and their labels laid out
//! in rows above the plot so that none overlaps another.

use std::fmt::Write as _;

use crate::summary_file::FaultWindow;

/// One shaded window: faults that start and end together share one band and one label.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FaultBand {
    pub start_s: f64,
    pub end_s: f64,
    pub label: String,
    /// Drawn in the second run's shade, when two runs with different faults are compared.
    pub second: bool,
}

/// Label rows above a chart at most; faults beyond are still shaded, and counted.
pub(crate) const LABEL_ROWS_MAX: usize = 3;

/// A label placed in a row, from `x_px` on, cut to fit the plot.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlacedLabel {
    pub band: usize,
    pub row: usize,
    pub x_px: i32,
    pub text: String,
}

/// The bands of a run's faults, a window without an end reaching `end_s`. `prefix` names the
/// run when two are compared.
pub(crate) fn fault_bands(
    faults: &[FaultWindow],
    end_s: f64,
    prefix: &str,
    second: bool,
) -> Vec<FaultBand> {
    // Faults of the same window, kind and detail read best as one phrase with their subjects:
    // "latency a<->b, c<->d (+250ms per hop)".
    let mut phrases: Vec<(f64, f64, &str, &str, Vec<&str>)> = Vec::new();
    for fault in faults {
        let fault_end_s = fault.end_s.unwrap_or(end_s).max(fault.start_s);
        let same = phrases.iter_mut().find(|(start, end, kind, detail, _)| {
            same_s(*start, fault.start_s)
                && same_s(*end, fault_end_s)
                && *kind == fault.kind
                && *detail == fault.detail
        });
        match same {
            Some((.., subjects)) => subjects.push(&fault.subject),
            None => phrases.push((
                fault.start_s,
                fault_end_s,
                &fault.kind,
                &fault.detail,
                vec![&fault.subject],
            )),
        }
    }
    let mut bands: Vec<FaultBand> = Vec::new();
    for (start_s, end_s, kind, detail, subjects) in phrases {
        let mut phrase = format!("{kind} {}", subjects.join(", "));
        if !detail.is_empty() {
            write!(phrase, " ({detail})").expect("writing to a String cannot fail");
        }
        match bands
            .iter_mut()
            .find(|band| same_s(band.start_s, start_s) && same_s(band.end_s, end_s))
        {
            Some(band) => {
                band.label.push_str("; ");
                band.label.push_str(&phrase);
            }
            None => bands.push(FaultBand {
                start_s,
                end_s,
                label: format!("{prefix}{phrase}"),
                second,
            }),
        }
    }
    bands
}

/// Places each band's label in the first row where it overlaps no other, starting at the
/// band's left edge (`pixel` maps seconds to pixels), moved left or cut so it stays between
/// `left_px` and `right_px`. Labels that find no row are left out; the count of them is
/// returned.
pub(crate) fn place_labels(
    bands: &[FaultBand],
    pixel: impl Fn(f64) -> i32,
    (left_px, right_px): (i32, i32),
    char_px: f64,
) -> (Vec<PlacedLabel>, usize) {
    const GAP_PX: i32 = 10;
    let mut row_ends: Vec<i32> = Vec::new();
    let mut placed = Vec::new();
    let mut left_out = 0;
    let mut order: Vec<usize> = (0..bands.len()).collect();
    order.sort_by(|a, b| bands[*a].start_s.total_cmp(&bands[*b].start_s));
    for index in order {
        let band = &bands[index];
        let (start_px, end_px) = (pixel(band.start_s), pixel(band.end_s));
        let fits = (f64::from(right_px - left_px) / char_px) as usize;
        let text = shorten(&band.label, fits);
        let width_px = (text.chars().count() as f64 * char_px).ceil() as i32;
        let x_px = start_px.min(right_px - width_px).max(left_px);
        let occupied_end_px = (x_px + width_px).max(end_px);
        let row = row_ends.iter().position(|end| *end + GAP_PX <= x_px);
        let row = match row {
            Some(row) => row,
            None if row_ends.len() < LABEL_ROWS_MAX => {
                row_ends.push(i32::MIN);
                row_ends.len() - 1
            }
            None => {
                left_out += 1;
                continue;
            }
        };
        row_ends[row] = occupied_end_px;
        placed.push(PlacedLabel {
            band: index,
            row,
            x_px,
            text,
        });
    }
    (placed, left_out)
}

/// Whether two times read from the same run are the same instant: the same bits, since they
/// come from the same text.
fn same_s(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

/// `text` cut to at most `chars` characters, ending in `...` when cut.
pub(crate) fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let kept: String = text.chars().take(chars.saturating_sub(3)).collect();
    format!("{}...", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(kind: &str, subject: &str, start_s: f64, end_s: Option<f64>) -> FaultWindow {
        FaultWindow {
            kind: kind.into(),
            subject: subject.into(),
            start_s,
            end_s,
            detail: "+250ms per hop".into(),
        }
    }

    #[test]
    fn faults_of_one_window_share_a_band() {
        let bands = fault_bands(
            &[
                window("latency", "a<->b", 20.0, Some(35.0)),
                window("latency", "c<->d", 20.0, Some(35.0)),
                window("loss", "e<->f", 50.0, None),
            ],
            120.0,
            "",
            false,
        );
        assert_eq!(bands.len(), 2);
        assert_eq!(bands[0].label, "latency a<->b, c<->d (+250ms per hop)");
        assert_eq!(
            bands[1].end_s.to_bits(),
            120.0_f64.to_bits(),
            "a fault without end lasts to the end of the run"
        );
    }

    #[test]
    fn overlapping_labels_go_to_separate_rows() {
        let bands = fault_bands(
            &[
                window("latency", "a<->b", 10.0, Some(20.0)),
                window("crash", "c/0", 12.0, Some(90.0)),
                window("pause", "d/0", 95.0, Some(99.0)),
            ],
            100.0,
            "",
            false,
        );
        let (placed, left_out) = place_labels(&bands, |s| (s * 6.0) as i32, (0, 600), 6.0);
        assert_eq!(left_out, 0);
        let rows: Vec<usize> = placed.iter().map(|label| label.row).collect();
        assert_eq!(rows, [0, 1, 0]);
        // The last label would run past the plot: it is moved left to end inside.
        let last = &placed[2];
        assert!(last.x_px + (last.text.len() as f64 * 6.0) as i32 <= 600);
    }

    #[test]
    fn labels_beyond_the_rows_are_counted() {
        let faults: Vec<FaultWindow> = (0..6)
            .map(|index| window("crash", &format!("s/{index}"), f64::from(index), Some(50.0)))
            .collect();
        let bands = fault_bands(&faults, 100.0, "", false);
        let (placed, left_out) = place_labels(&bands, |s| (s * 6.0) as i32, (0, 600), 6.0);
        assert_eq!(placed.len(), LABEL_ROWS_MAX);
        assert_eq!(left_out, 6 - LABEL_ROWS_MAX);
    }
}
