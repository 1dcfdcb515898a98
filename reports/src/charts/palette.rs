//! The charts' small fixed palette: four hues, each in a dark solid tone and a light dashed
//! tone, each hue with its own marker. Lines stay apart in a grey print by lightness, dash and
//! marker, not by hue alone.
//!
//! plotters' SVG backend writes every line as a `<polyline>` with its colour but has no dash
//! patterns, and its own dashed series computes dash ends with the platform's `hypot`, which
//! need not round alike on every machine. So every colour of the palette stands for exactly one
//! dash pattern, and [`dash_lines`] adds `stroke-dasharray` to the polylines of the light colours
//! after plotters has written the document: the browser draws the dashes, the bytes stay the same.

use plotters::style::RGBColor;

/// Which run a series belongs to: the only one, or one of the two compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Only,
    First,
    Second,
}

/// A marker's shape, drawn every few points and in the legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Triangle,
    Square,
    Diamond,
}

/// How one line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineStyle {
    pub colour: RGBColor,
    pub dashed: bool,
    pub marker: Marker,
}

/// Dark tones, greys of about 55 to 70 (of 255): drawn solid.
const DARK: [RGBColor; 4] = [
    RGBColor(0x1B, 0x3F, 0x66),
    RGBColor(0x8E, 0x2C, 0x12),
    RGBColor(0x1E, 0x56, 0x31),
    RGBColor(0x4A, 0x23, 0x5A),
];

/// Light tones of the same hues, greys of about 140 to 155: drawn dashed.
const LIGHT: [RGBColor; 4] = [
    RGBColor(0x5B, 0x9B, 0xD5),
    RGBColor(0xE8, 0x82, 0x5A),
    RGBColor(0x6D, 0xB3, 0x6F),
    RGBColor(0xA7, 0x7B, 0xC0),
];

const MARKERS: [Marker; 4] = [
    Marker::Circle,
    Marker::Triangle,
    Marker::Square,
    Marker::Diamond,
];

/// The dash pattern of the light tones, in pixels: long enough to read at a stroke of 1 or 2.
const DASH_PATTERN: &str = "7 4";

/// The style of the `role`-th series of a chart. One run alternates tones so that neighbouring
/// series (p50 and p99) differ in lightness, dash and marker at once; two runs compared keep the
/// hue and marker for what a series is and the tone for which run it is from.
pub(crate) fn line_style(role: usize, side: Side) -> LineStyle {
    let hue = role % 4;
    let dark = match side {
        // Roles 0..3 alternate dark, light, dark, light; roles 4..7 the other way round.
        Side::Only => hue.is_multiple_of(2) == (role / 4).is_multiple_of(2),
        Side::First => true,
        Side::Second => false,
    };
    LineStyle {
        colour: if dark { DARK[hue] } else { LIGHT[hue] },
        dashed: !dark,
        marker: MARKERS[hue],
    }
}

/// Fills of the stacked outcomes, from the bottom: succeeded, timed out, failed, shed. Their
/// greys are about 210, 170, 95 and 45, so the bands stay apart without colour.
pub(crate) const OUTCOME_FILLS: [RGBColor; 4] = [
    RGBColor(0xBF, 0xD7, 0xEA),
    RGBColor(0xE9, 0xA2, 0x3B),
    RGBColor(0xC0, 0x39, 0x2B),
    RGBColor(0x3B, 0x1F, 0x4A),
];

/// The shading of a fault window, and the darker edge and label colour that go with it.
pub(crate) const FAULT_FILL: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
pub(crate) const FAULT_EDGE: RGBColor = RGBColor(0xA0, 0xA0, 0xA0);
pub(crate) const FAULT_TEXT: RGBColor = RGBColor(0x40, 0x40, 0x40);
/// The second run's fault windows, when two runs compared have different ones.
pub(crate) const FAULT_FILL_SECOND: RGBColor = RGBColor(0xEE, 0xEE, 0xF4);

/// The colour of a mark by its tone: green, red, or grey.
pub(crate) fn tone(tone: super::event_mark::Tone) -> RGBColor {
    match tone {
        super::event_mark::Tone::Good => RGBColor(0x2E, 0x7D, 0x32),
        super::event_mark::Tone::Bad => RGBColor(0xC6, 0x28, 0x28),
        super::event_mark::Tone::Neutral => RGBColor(0x61, 0x61, 0x61),
    }
}

pub(crate) const GRID: RGBColor = RGBColor(0xE0, 0xE0, 0xE0);
pub(crate) const AXIS: RGBColor = RGBColor(0x60, 0x60, 0x60);
pub(crate) const TEXT: RGBColor = RGBColor(0x20, 0x20, 0x20);

/// Lines with more points than this stay solid: along a dense, jagged line dashes break into
/// specks, and the light tone alone sets it apart.
pub(crate) const DASHED_POINTS_MAX: usize = 300;

/// Adds the dash pattern to the polylines drawn in a light tone, and round joins to every
/// polyline of the palette, in the SVG text plotters wrote (one element per line).
pub(crate) fn dash_lines(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len() + svg.len() / 16);
    for line in svg.split_inclusive('\n') {
        let Some(rest) = line.strip_prefix("<polyline ") else {
            out.push_str(line);
            continue;
        };
        let light = LIGHT
            .iter()
            .any(|colour| line.contains(&stroke_attribute(*colour)));
        let palette = light
            || DARK
                .iter()
                .any(|colour| line.contains(&stroke_attribute(*colour)));
        // Each point is written as `x,y`, and no other attribute has a comma.
        let dashed = light && line.matches(',').count() <= DASHED_POINTS_MAX;
        out.push_str("<polyline ");
        if palette {
            out.push_str("stroke-linejoin=\"round\" ");
        }
        if dashed {
            out.push_str("stroke-dasharray=\"");
            out.push_str(DASH_PATTERN);
            out.push_str("\" ");
        }
        out.push_str(rest);
    }
    out
}

/// The attribute plotters writes for a line of this colour.
fn stroke_attribute(colour: RGBColor) -> String {
    format!(
        "stroke=\"#{:02X}{:02X}{:02X}\"",
        colour.0, colour.1, colour.2
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_colour_has_one_dash_pattern() {
        // The dash pass keys on the colour, so no colour may be both dark and light.
        for dark in DARK {
            assert!(!LIGHT.contains(&dark));
        }
        for role in 0..8 {
            for side in [Side::Only, Side::First, Side::Second] {
                let style = line_style(role, side);
                assert_eq!(style.dashed, LIGHT.contains(&style.colour));
            }
        }
    }

    #[test]
    fn the_eight_styles_of_one_run_all_differ() {
        let styles: Vec<LineStyle> = (0..8).map(|role| line_style(role, Side::Only)).collect();
        for (index, style) in styles.iter().enumerate() {
            assert!(
                !styles[..index]
                    .iter()
                    .any(|earlier| earlier.colour == style.colour)
            );
        }
        // Neighbours differ in marker always, and in tone within each group of four, so that
        // p50 and p99 of one version (roles 2k, 2k + 1) always do.
        for role in 0..7 {
            assert_ne!(styles[role].marker, styles[role + 1].marker);
            if role % 2 == 0 {
                assert_ne!(
                    styles[role].dashed,
                    styles[role + 1].dashed,
                    "roles {role}, {}",
                    role + 1
                );
            }
        }
    }

    #[test]
    fn only_light_polylines_are_dashed() {
        let svg = format!(
            "<svg>\n<polyline fill=\"none\" {} points=\"1,2 \"/>\n<polyline fill=\"none\" {} points=\"1,2 \"/>\n<polyline fill=\"none\" stroke=\"#E0E0E0\" points=\"\"/>\n",
            stroke_attribute(LIGHT[1]),
            stroke_attribute(DARK[1]),
        );
        let dashed = dash_lines(&svg);
        let lines: Vec<&str> = dashed.lines().collect();
        assert!(lines[1].contains("stroke-dasharray=\"7 4\""));
        assert!(!lines[2].contains("stroke-dasharray"));
        assert!(lines[2].contains("stroke-linejoin"));
        assert_eq!(
            lines[3],
            "<polyline fill=\"none\" stroke=\"#E0E0E0\" points=\"\"/>"
        );
    }

    #[test]
    fn dense_light_lines_stay_solid() {
        let points = "1,2 ".repeat(DASHED_POINTS_MAX + 1);
        let svg = format!(
            "<polyline {} points=\"{points}\"/>\n",
            stroke_attribute(LIGHT[0])
        );
        assert!(!dash_lines(&svg).contains("stroke-dasharray"));
    }
}
