//! A chart as drawn: a title, the fault labels, and panels one above the other, each with its
//! legend in a column on the right, rendered by plotters' SVG backend into a string.
//!
//! Text stays text: the SVG backend writes `<text font-family="sans-serif">` and lets the viewer
//! pick the font, and without plotters' `ttf` feature it sizes labels with a fixed estimate
//! (0.7 em per character) instead of reading a font file. So no system font is read, and the
//! document is the same on every machine; how the glyphs look is up to the viewer.

use std::iter;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Axis;
use super::event_mark::EventMark;
use super::fault_band::{FaultBand, PlacedLabel, place_labels, shorten};
use super::palette::{self, LineStyle, Marker, Side};
use super::panel::Panel;
use super::series::{Mark, Series};

/// What the horizontal axis shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum XScale {
    /// Simulated time from 0 to the end of the run.
    Time { end_s: f64 },
    /// Latency on a logarithmic scale; the series' x are `log10(ms)`.
    LogMs,
    /// A plain number over the span of the data (from zero if `from_zero`), with ticks no
    /// closer than `step_min`: seeds are whole, so they take 1.
    Linear {
        label: &'static str,
        from_zero: bool,
        step_min: f64,
    },
}

/// A chart before it is drawn.
#[derive(Debug, Clone)]
pub(crate) struct Figure {
    pub title: String,
    pub x: XScale,
    pub panels: Vec<Panel>,
    pub faults: Vec<FaultBand>,
    /// Actions drawn as labelled rules on a time chart; empty elsewhere.
    pub marks: Vec<EventMark>,
}

const WIDTH_PX: u32 = 960;
const LEGEND_PX: u32 = 250;
const TITLE_PX: u32 = 34;
const FAULT_ROW_PX: u32 = 17;
/// One panel gets more height than each of several.
const PANEL_ALONE_PX: u32 = 340;
const PANEL_PX: u32 = 250;
const MARGIN_PX: u32 = 10;
/// Room for tick labels like `half-open` beside the rotated axis description.
const Y_LABELS_PX: u32 = 86;
const X_LABELS_PX: u32 = 42;
const LEGEND_ROW_PX: i32 = 18;
/// Markers per line: enough to tell lines apart, few enough to keep a long run's SVG small.
const MARKERS_PER_LINE: usize = 10;
/// Lines with more points than this are drawn 1 pixel wide, so dense data does not blot (and,
/// by the same measure, without dashes: see `palette::DASHED_POINTS_MAX`).
const THIN_ABOVE_POINTS: usize = palette::DASHED_POINTS_MAX;

/// plotters writes a font size as its size / 1.24, so these give 12 and 16 pixel text (and
/// exactly: `font-size="12"`, where 16.12 for 13 pixels would write 13.000000000000002).
const LABEL_FONT: f64 = 14.88;
const TITLE_FONT: f64 = 19.84;
/// A generous width of one character of 12 pixel sans-serif text, for keeping fault labels
/// apart: about 5.5 pixels in `Liberation Sans` or Arial, 6.5 in `DejaVu Sans`.
const LABEL_CHAR_PX: f64 = 7.0;
/// The same for cutting legend labels, where a little overlap of the margin does no harm.
const LEGEND_CHAR_PX: f64 = 6.2;
/// Characters of the 16 pixel bold title that fit the width: about 7.5 to 8.3 pixels each.
const TITLE_CHARS_MAX: usize = 112;

/// Drawing into a `String` has no I/O to fail; an error here is a layout bug.
const DRAWING: &str = "plotters draws a chart into a string";

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

impl Figure {
    /// The whole SVG document.
    pub(crate) fn render(&self) -> String {
        assert!(
            !self.panels.is_empty(),
            "a chart without panels: {}",
            self.title
        );
        let x_axis = self.x_axis();
        // A window reaching past the run (a fault scheduled after its end) is cut to it.
        let faults: Vec<FaultBand> = self
            .faults
            .iter()
            .filter(|band| band.start_s < x_axis.max && band.end_s >= x_axis.min)
            .map(|band| FaultBand {
                start_s: band.start_s.max(x_axis.min),
                end_s: band.end_s.min(x_axis.max),
                ..band.clone()
            })
            .collect();
        let plot_px = (
            (MARGIN_PX + Y_LABELS_PX) as i32,
            (WIDTH_PX - LEGEND_PX - MARGIN_PX) as i32,
        );
        let pixel = |x: f64| {
            let share = (x - x_axis.min) / (x_axis.max - x_axis.min);
            plot_px.0 + (share * f64::from(plot_px.1 - plot_px.0)) as i32
        };
        let (labels, left_out) = place_labels(&faults, pixel, plot_px, LABEL_CHAR_PX);
        let label_rows = labels.iter().map(|label| label.row + 1).max().unwrap_or(0);
        let label_rows = label_rows.max(usize::from(left_out > 0)) as u32;
        let strip_px = label_rows * FAULT_ROW_PX;
        // The marks' labels get rows of their own under the faults', laid out the same way: a
        // mark is a window of no width.
        let marks: Vec<&EventMark> = self
            .marks
            .iter()
            .filter(|mark| mark.time_s >= x_axis.min && mark.time_s <= x_axis.max)
            .collect();
        let mark_bands: Vec<FaultBand> = marks
            .iter()
            .map(|mark| FaultBand {
                start_s: mark.time_s,
                end_s: mark.time_s,
                label: mark.label.clone(),
                second: false,
            })
            .collect();
        let (mark_labels, _) = place_labels(&mark_bands, pixel, plot_px, LABEL_CHAR_PX);
        let mark_rows = mark_labels
            .iter()
            .map(|label| label.row + 1)
            .max()
            .unwrap_or(0) as u32;
        let mark_strip_px = mark_rows * FAULT_ROW_PX;
        let panel_px = if self.panels.len() == 1 {
            PANEL_ALONE_PX
        } else {
            PANEL_PX
        };
        let height_px = TITLE_PX + strip_px + mark_strip_px + panel_px * self.panels.len() as u32;

        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH_PX, height_px)).into_drawing_area();
            root.fill(&WHITE).expect(DRAWING);
            let title = shorten(&self.title, TITLE_CHARS_MAX);
            let title_style = TextStyle::from((FontFamily::SansSerif, TITLE_FONT, FontStyle::Bold))
                .color(&palette::TEXT);
            root.draw(&Text::new(title, (MARGIN_PX as i32, 9), title_style))
                .expect(DRAWING);

            let body = root.split_vertically(TITLE_PX + strip_px + mark_strip_px).1;
            let mut band_px = Vec::new();
            let mut mark_px = Vec::new();
            for (index, (panel, area)) in self
                .panels
                .iter()
                .zip(body.split_evenly((self.panels.len(), 1)))
                .enumerate()
            {
                let (spans, marks_at) = draw_panel(&root, &area, panel, &x_axis, &faults, &marks);
                if index == 0 {
                    band_px = spans;
                    mark_px = marks_at;
                }
            }

            draw_fault_labels(&root, &labels, left_out, &band_px);
            let marks_top = (TITLE_PX + strip_px) as i32;
            draw_mark_labels(&root, marks_top, &mark_labels, &marks, &mark_px);
            root.present().expect(DRAWING);
        }
        palette::dash_lines(&svg)
    }

    fn x_axis(&self) -> Axis {
        match self.x {
            XScale::Time { end_s } => Axis::time(end_s),
            XScale::LogMs => {
                let (lowest, highest) = self.x_span();
                Axis::log_ms("latency (ms, log scale)", lowest, highest)
            }
            XScale::Linear {
                label,
                from_zero,
                step_min,
            } => {
                let (lowest, highest) = self.x_span();
                let lowest = if from_zero { lowest.min(0.0) } else { lowest };
                Axis::span(label, lowest, highest, step_min)
            }
        }
    }

    /// The lowest and highest x with a value, or 0 and 1 when there is none.
    fn x_span(&self) -> (f64, f64) {
        let xs = self
            .panels
            .iter()
            .flat_map(|panel| &panel.series)
            .flat_map(|series| &series.points)
            .filter(|(_, y)| y.is_some())
            .map(|(x, _)| *x);
        let (lowest, highest) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        if lowest.is_finite() {
            (lowest, highest)
        } else {
            (0.0, 1.0)
        }
    }
}

/// The fault labels in their rows above the panels, each over a bar as wide as its window
/// (`band_px`, from the first panel), and the count of those left out.
fn draw_fault_labels(root: &Area, labels: &[PlacedLabel], left_out: usize, band_px: &[(i32, i32)]) {
    let strip_top = TITLE_PX as i32;
    let row_y = |row: usize| strip_top + row as i32 * FAULT_ROW_PX as i32;
    for label in labels {
        let y = row_y(label.row);
        let (start_px, end_px) = band_px[label.band];
        // The bar spans the window, so a label moved left to fit still shows where it is.
        let bar = Rectangle::new(
            [(start_px, y + 13), (end_px.max(start_px + 2), y + 15)],
            palette::FAULT_EDGE.filled(),
        );
        root.draw(&bar).expect(DRAWING);
        root.draw(&Text::new(
            label.text.clone(),
            (label.x_px, y),
            fault_text(),
        ))
        .expect(DRAWING);
    }
    if left_out > 0 {
        let note = format!("+{left_out} more fault windows, shaded, not labelled");
        let last_row = labels.iter().map(|label| label.row).max().unwrap_or(0);
        let style = fault_text().pos(Pos::new(HPos::Right, VPos::Top));
        let x = (WIDTH_PX - MARGIN_PX) as i32;
        root.draw(&Text::new(note, (x, row_y(last_row)), style))
            .expect(DRAWING);
    }
}

/// The marks' labels in their rows above the panels, each in its tone's colour over a tick at
/// its instant (`mark_px`, from the first panel).
fn draw_mark_labels(
    root: &Area,
    top_px: i32,
    labels: &[PlacedLabel],
    marks: &[&EventMark],
    mark_px: &[i32],
) {
    for label in labels {
        let y = top_px + label.row as i32 * FAULT_ROW_PX as i32;
        let colour = palette::tone(marks[label.band].tone);
        let x = mark_px[label.band];
        let tick = Rectangle::new([(x - 1, y + 12), (x + 1, y + 16)], colour.filled());
        root.draw(&tick).expect(DRAWING);
        let style = fault_text().color(&colour);
        root.draw(&Text::new(label.text.clone(), (label.x_px, y), style))
            .expect(DRAWING);
    }
}

/// Draws one panel and its legend; returns the pixel span of each fault band and the pixel of
/// each mark.
fn draw_panel(
    root: &Area,
    area: &Area,
    panel: &Panel,
    x_axis: &Axis,
    faults: &[FaultBand],
    marks: &[&EventMark],
) -> (Vec<(i32, i32)>, Vec<i32>) {
    let y_axis = panel.axis();
    let (plot_area, legend_area) = area.split_horizontally(WIDTH_PX - LEGEND_PX);
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(MARGIN_PX)
        .x_label_area_size(X_LABELS_PX)
        .y_label_area_size(Y_LABELS_PX)
        .build_cartesian_2d(x_axis.clone(), y_axis.clone())
        .expect(DRAWING);

    // The bands go first, so the grid and the lines are drawn over them.
    let mut spans = Vec::with_capacity(faults.len());
    for band in faults {
        let fill = if band.second {
            palette::FAULT_FILL_SECOND
        } else {
            palette::FAULT_FILL
        };
        let corners = [(band.start_s, y_axis.min), (band.end_s, y_axis.max)];
        chart
            .draw_series(iter::once(Rectangle::new(corners, fill.filled())))
            .expect(DRAWING);
        spans.push((
            chart.backend_coord(&(band.start_s, y_axis.min)).0,
            chart.backend_coord(&(band.end_s, y_axis.min)).0,
        ));
    }

    let x_format = |x: &f64| x_axis.label_at(*x);
    let y_format = |y: &f64| y_axis.label_at(*y);
    chart
        .configure_mesh()
        .x_desc(x_axis.label.as_str())
        .y_desc(y_axis.label.as_str())
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .bold_line_style(palette::GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(palette::AXIS.stroke_width(1))
        .label_style(label_text())
        .axis_desc_style(label_text())
        .draw()
        .expect(DRAWING);

    // Marks over the grid and under the data: a thin rule in the tone's colour.
    let mut marks_px = Vec::with_capacity(marks.len());
    for mark in marks {
        let rule = vec![(mark.time_s, y_axis.min), (mark.time_s, y_axis.max)];
        chart
            .draw_series(iter::once(PathElement::new(
                rule,
                palette::tone(mark.tone).mix(0.7).stroke_width(1),
            )))
            .expect(DRAWING);
        marks_px.push(chart.backend_coord(&(mark.time_s, y_axis.min)).0);
    }

    if panel.stacked() {
        draw_stack(&mut chart, panel, y_axis.min);
    } else {
        for series in panel.series.iter().filter(|series| !series.is_empty()) {
            let style = palette::line_style(series.role, series.side);
            draw_line(&mut chart, root, series, style);
        }
    }
    // The fault windows' edges over the data, so a stacked area cannot hide where one begins.
    for band in faults {
        for edge_s in [band.start_s, band.end_s] {
            let edge = vec![(edge_s, y_axis.min), (edge_s, y_axis.max)];
            chart
                .draw_series(iter::once(PathElement::new(
                    edge,
                    palette::FAULT_EDGE.stroke_width(1),
                )))
                .expect(DRAWING);
        }
    }
    draw_legend(&legend_area, panel);
    (spans, marks_px)
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;

/// A line, broken where a value is missing, with a marker every few points.
fn draw_line(chart: &mut Chart, root: &Area, series: &Series, style: LineStyle) {
    let stroke_width = if series.points.len() > THIN_ABOVE_POINTS {
        1
    } else {
        2
    };
    let shape = style.colour.stroke_width(stroke_width);
    let mut segment: Vec<(f64, f64)> = Vec::new();
    let mut points: Vec<(f64, f64)> = Vec::new();
    for (x, y) in series.points.iter().chain(iter::once(&(0.0, None))) {
        match y {
            Some(y) => {
                segment.push((*x, *y));
                points.push((*x, *y));
            }
            None if segment.len() > 1 => {
                let path = PathElement::new(std::mem::take(&mut segment), shape);
                chart.draw_series(iter::once(path)).expect(DRAWING);
            }
            None => {
                // A lone point has no line to show it: it always gets its marker.
                if let Some(point) = segment.pop() {
                    draw_marker(root, chart.backend_coord(&point), style);
                }
            }
        }
    }
    // Markers every few points, shifted by role and run so that two lines' markers do not sit
    // on each other.
    let step = points.len().div_ceil(MARKERS_PER_LINE).max(1);
    let run_shift = if series.side == Side::Second {
        step / 2
    } else {
        0
    };
    let offset = (series.role * step / 4 + step / 2 + run_shift) % step;
    for point in points.iter().skip(offset).step_by(step) {
        draw_marker(root, chart.backend_coord(point), style);
    }
}

/// The bands of a stacked area, each from the top of the one below, outlined in white.
fn draw_stack(chart: &mut Chart, panel: &Panel, floor: f64) {
    let tops = panel.stack_tops();
    for (index, series) in panel.series.iter().enumerate() {
        let fill = palette::OUTCOME_FILLS[series.role % palette::OUTCOME_FILLS.len()];
        let mut upper: Vec<(f64, f64)> = Vec::new();
        let mut lower: Vec<(f64, f64)> = Vec::new();
        for (point, (x, top)) in tops[index].iter().enumerate() {
            let Some(top) = top else { continue };
            let bottom = index
                .checked_sub(1)
                .and_then(|below| tops[below][point].1)
                .unwrap_or(floor);
            upper.push((*x, *top));
            lower.push((*x, bottom));
        }
        if upper.len() < 2 || series.is_zero() {
            continue;
        }
        let outline: Vec<(f64, f64)> = upper
            .iter()
            .copied()
            .chain(lower.into_iter().rev())
            .collect();
        chart
            // A little see-through, so the fault shading behind still shows.
            .draw_series(iter::once(Polygon::new(outline, fill.mix(0.8).filled())))
            .expect(DRAWING);
        // A white edge parts neighbouring bands; along a dense, jagged top it would only speckle.
        if upper.len() <= THIN_ABOVE_POINTS {
            chart
                .draw_series(iter::once(PathElement::new(upper, WHITE.stroke_width(1))))
                .expect(DRAWING);
        }
    }
}

/// The legend column: an optional caption, then a swatch and a label for each series.
fn draw_legend(area: &Area, panel: &Panel) {
    let left = 6;
    let mut y = MARGIN_PX as i32 + 8;
    if let Some(caption) = &panel.caption {
        let style = TextStyle::from((FontFamily::SansSerif, LABEL_FONT, FontStyle::Bold))
            .color(&palette::TEXT)
            .pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(shorten(caption, 30), (left, y), style))
            .expect(DRAWING);
        y += LEGEND_ROW_PX + 2;
    }
    let entries: Vec<&Series> = panel
        .series
        .iter()
        .filter(|series| !series.is_empty())
        .collect();
    let height_px = area.dim_in_pixel().1 as i32;
    let room = ((height_px - y - 12) / LEGEND_ROW_PX).max(1) as usize;
    let label_chars = (f64::from(LEGEND_PX - 56) / LEGEND_CHAR_PX) as usize;
    for (index, series) in entries.iter().enumerate() {
        if index + 1 == room && entries.len() > room {
            let more = format!("+{} more", entries.len() - index);
            area.draw(&Text::new(more, (left + 42, y), legend_text()))
                .expect(DRAWING);
            break;
        }
        match series.mark {
            Mark::Line => {
                let style = palette::line_style(series.role, series.side);
                let swatch = PathElement::new(
                    vec![(left, y), (left + 34, y)],
                    style.colour.stroke_width(2),
                );
                area.draw(&swatch).expect(DRAWING);
                draw_marker(area, (left + 17, y), style);
            }
            Mark::Band => {
                let fill = palette::OUTCOME_FILLS[series.role % palette::OUTCOME_FILLS.len()];
                let swatch = Rectangle::new([(left, y - 6), (left + 34, y + 6)], fill.filled());
                area.draw(&swatch).expect(DRAWING);
            }
        }
        let label = shorten(&series.label, label_chars);
        area.draw(&Text::new(label, (left + 42, y), legend_text()))
            .expect(DRAWING);
        y += LEGEND_ROW_PX;
    }
}

/// A filled marker centred on `centre`, in pixels of `area`.
fn draw_marker(area: &Area, centre: (i32, i32), style: LineStyle) {
    let (x, y) = centre;
    let fill = style.colour.filled();
    let drawn = match style.marker {
        Marker::Circle => area.draw(&Circle::new(centre, 3, fill)),
        Marker::Square => area.draw(&Rectangle::new([(x - 3, y - 3), (x + 3, y + 3)], fill)),
        Marker::Triangle => area.draw(&Polygon::new(
            vec![(x, y - 4), (x + 4, y + 3), (x - 4, y + 3)],
            fill,
        )),
        Marker::Diamond => area.draw(&Polygon::new(
            vec![(x, y - 4), (x + 4, y), (x, y + 4), (x - 4, y)],
            fill,
        )),
    };
    drawn.expect(DRAWING);
}

fn label_text() -> TextStyle<'static> {
    TextStyle::from((FontFamily::SansSerif, LABEL_FONT)).color(&palette::TEXT)
}

fn legend_text() -> TextStyle<'static> {
    label_text().pos(Pos::new(HPos::Left, VPos::Center))
}

fn fault_text() -> TextStyle<'static> {
    TextStyle::from((FontFamily::SansSerif, LABEL_FONT))
        .color(&palette::FAULT_TEXT)
        .pos(Pos::new(HPos::Left, VPos::Top))
}
