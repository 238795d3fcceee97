//! Charts for the benchmark reports, drawn by plotters as SVG documents to inline in HTML:
//! lines over a linear x axis, a histogram with marker lines, percentile curves, and lines
//! on two y axes. Text is left to whatever renders the SVG (no font files are read here).

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;

/// A chart that could not be drawn (an SVG string backend only fails on bad geometry).
#[derive(Debug, thiserror::Error)]
#[error("drawing the chart {title:?}: {message}")]
pub struct ChartError {
    title: String,
    message: String,
}

type Result<T> = std::result::Result<T, ChartError>;

/// Width and height of every chart, px.
pub const SIZE: (u32, u32) = (960, 380);

const FONT: &str = "sans-serif";
/// Font sizes as plotters takes them (it writes 1/1.24 of this as the SVG font size).
const TITLE_SIZE: f64 = 27.0;
const TEXT_SIZE: f64 = 18.0;

/// Colors of the series, in order (colour-blind safe, after Okabe and Ito).
const COLORS: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
];

pub use plotters::style::RGBColor;

/// The `i`th series color.
pub fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

/// One named series of points; points with a non-finite coordinate are left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

impl Line {
    pub fn new(name: impl Into<String>, points: impl IntoIterator<Item = (f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points: points
                .into_iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect(),
        }
    }
}

/// What a chart says about itself.
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a> {
    pub title: &'a str,
    /// The x axis's description, with its unit.
    pub x: &'a str,
    /// The y axis's description, with its unit.
    pub y: &'a str,
}

/// Draws into an SVG document of [`SIZE`].
fn svg(
    title: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> std::result::Result<(), String>,
) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        let fail = |message: String| ChartError {
            title: title.to_owned(),
            message,
        };
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        draw(&root).map_err(fail)?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    Ok(out)
}

/// `0..max` with headroom above the data for a legend of `entries` lines in the upper
/// corner (so it covers no data), `0..1` when there is nothing above 0.
fn upto(max: f64, entries: usize) -> Range<f64> {
    let top = 1.08 + 0.14 * entries as f64;
    if max.is_finite() && max > 0.0 {
        0.0..max * top
    } else {
        0.0..1.0
    }
}

fn max_y<'a>(lines: impl IntoIterator<Item = &'a Line>) -> f64 {
    lines
        .into_iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0, f64::max)
}

/// Up to 3 significant digits, without trailing zeros: 0.25, 1.5, 120, 4500.
pub fn number(v: f64) -> String {
    let a = v.abs();
    let digits = if a == 0.0 || a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        3
    };
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// A chart on `root` over `x` and `y`, with its title, axis names and a light grid
/// labelled in plain numbers.
fn plain<'a, DB: DrawingBackend + 'a>(
    root: &DrawingArea<DB, Shift>,
    labels: Labels<'_>,
    x: Range<f64>,
    y: Range<f64>,
) -> std::result::Result<
    ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    String,
> {
    let mut chart = ChartBuilder::on(root)
        .caption(labels.title, (FONT, TITLE_SIZE))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(80)
        .build_cartesian_2d(x, y)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(labels.x)
        .y_desc(labels.y)
        .x_label_formatter(&|v| number(*v))
        .y_label_formatter(&|v| number(*v))
        .label_style((FONT, TEXT_SIZE))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

/// Lines over a shared x range; the y axis starts at 0.
pub fn lines(labels: Labels<'_>, x: Range<f64>, lines: &[Line]) -> Result<String> {
    svg(labels.title, |root| {
        let mut chart = plain(root, labels, x, upto(max_y(lines), lines.len()))?;
        draw_lines(&mut chart, lines)?;
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// Draws each line in its colour, named in the legend.
fn draw_lines<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    lines: &[Line],
) -> std::result::Result<(), String> {
    for (i, line) in lines.iter().enumerate() {
        let style = color(i).stroke_width(2);
        chart
            .draw_series(LineSeries::new(line.points.iter().copied(), style))
            .map_err(|e| e.to_string())?
            .label(line.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    Ok(())
}

fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> std::result::Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, TEXT_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .draw()
        .map_err(|e| e.to_string())
}

/// Bars of `bin` width from 0 (`heights[i]` over `[i * bin, (i + 1) * bin)`), with dashed
/// vertical markers (e.g. percentiles) named in the legend.
pub fn histogram(
    labels: Labels<'_>,
    bin: f64,
    heights: &[f64],
    markers: &[(String, f64)],
) -> Result<String> {
    svg(labels.title, |root| {
        let width = (heights.len() as f64 * bin).max(bin);
        let top = heights.iter().copied().fold(0.0, f64::max);
        let y = upto(top, markers.len());
        let mut chart = plain(root, labels, 0.0..width, y.clone())?;
        let bars = color(0).mix(0.75).filled();
        chart
            .draw_series(heights.iter().enumerate().map(|(i, h)| {
                let x0 = i as f64 * bin;
                Rectangle::new([(x0, 0.0), (x0 + bin, *h)], bars)
            }))
            .map_err(|e| e.to_string())?;
        for (i, (name, at)) in markers.iter().enumerate() {
            let style = color(i + 1).stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(
                    [(*at, 0.0), (*at, y.end)],
                    6,
                    4,
                    style,
                ))
                .map_err(|e| e.to_string())?
                .label(format!("{name}: {} {}", number(*at), unit(labels.x)))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// The unit in an axis description such as "latency (ms)".
fn unit(desc: &str) -> &str {
    desc.rsplit_once('(')
        .and_then(|(_, u)| u.strip_suffix(')'))
        .unwrap_or("")
}

/// Where a percentile (0 to 100) sits on a percentile curve's x axis: 90% at 1, 99% at 2,
/// 99.9% at 3, each "nine" as far as the one before, so the tail gets room.
pub fn nines(percentile: f64) -> f64 {
    -(1.0 - percentile / 100.0).max(1e-9).log10()
}

/// The percentile at a point of the curve's x axis (the inverse of [`nines`]).
fn percentile_label(x: f64) -> String {
    let p = 100.0 * (1.0 - 10f64.powf(-x));
    let digits = (x.ceil() as usize).saturating_sub(2);
    format!("{p:.digits$}%")
}

/// Latency (y) by percentile (x, on the [`nines`] scale) for each line, whose points are
/// `(percentile 0..100, value)`.
pub fn percentile_curves(labels: Labels<'_>, curves: &[Line]) -> Result<String> {
    let curves: Vec<Line> = curves
        .iter()
        .map(|c| {
            Line::new(
                c.name.clone(),
                c.points.iter().map(|(p, v)| (nines(*p), *v)),
            )
        })
        .collect();
    let reach = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .fold(1.0, f64::max)
        .ceil();
    svg(labels.title, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(labels.title, (FONT, TITLE_SIZE))
            .margin(14)
            .margin_right(40)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..reach, upto(max_y(&curves), curves.len()))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(labels.x)
            .y_desc(labels.y)
            .x_labels(reach as usize + 1)
            .x_label_formatter(&|v| percentile_label(*v))
            .y_label_formatter(&|v| number(*v))
            .label_style((FONT, TEXT_SIZE))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| e.to_string())?;
        draw_lines(&mut chart, &curves)?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// One line against the left y axis and one against the right, over a shared x axis; each
/// point is marked and may carry a label (e.g. the run it came from).
pub fn two_axes(
    title: &str,
    x_desc: &str,
    (left_desc, left): (&str, &Line),
    (right_desc, right): (&str, &Line),
    point_labels: &[(f64, String)],
) -> Result<String> {
    let xs = || left.points.iter().chain(&right.points).map(|p| p.0);
    let (x_min, x_max) = (
        xs().fold(f64::INFINITY, f64::min),
        xs().fold(f64::NEG_INFINITY, f64::max),
    );
    let x = if x_min.is_finite() && x_max > x_min {
        let pad = (x_max - x_min) * 0.06;
        (x_min - pad).max(0.0)..x_max + pad
    } else if x_min.is_finite() {
        (x_min * 0.5)..(x_min * 1.5).max(1.0)
    } else {
        0.0..1.0
    };
    svg(title, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, TITLE_SIZE))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .right_y_label_area_size(80)
            .build_cartesian_2d(x.clone(), upto(max_y([left]), 2))
            .map_err(|e| e.to_string())?
            .set_secondary_coord(x, upto(max_y([right]), 2));
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(left_desc)
            .x_label_formatter(&|v| number(*v))
            .y_label_formatter(&|v| number(*v))
            .label_style((FONT, TEXT_SIZE))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .configure_secondary_axes()
            .y_desc(right_desc)
            .y_label_formatter(&|v| number(*v))
            .label_style((FONT, TEXT_SIZE))
            .draw()
            .map_err(|e| e.to_string())?;
        let (l, r) = (color(0).stroke_width(2), color(1).stroke_width(2));
        chart
            .draw_series(LineSeries::new(left.points.iter().copied(), l).point_size(4))
            .map_err(|e| e.to_string())?
            .label(format!("{} (left)", left.name))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], l));
        chart
            .draw_secondary_series(LineSeries::new(right.points.iter().copied(), r).point_size(4))
            .map_err(|e| e.to_string())?
            .label(format!("{} (right)", right.name))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], r));
        // Each run's name just above its point on the left line.
        let style =
            TextStyle::from((FONT, TEXT_SIZE - 2.0).into_font()).color(&RGBColor(80, 80, 80));
        chart
            .draw_series(point_labels.iter().filter_map(|(at, text)| {
                let y = left.points.iter().find(|p| p.0 == *at)?.1;
                Some(
                    EmptyElement::at((*at, y)) + Text::new(text.clone(), (-14, -20), style.clone()),
                )
            }))
            .map_err(|e| e.to_string())?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const LABELS: Labels<'static> = Labels {
        title: "Latency over the window",
        x: "time (s)",
        y: "latency (ms)",
    };

    /// Every text element's text, trimmed.
    pub(crate) fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                Some(
                    t.split_once('>')?
                        .1
                        .split_once("</text>")?
                        .0
                        .trim()
                        .to_owned(),
                )
            })
            .collect()
    }

    fn has_text(svg: &str, text: &str) -> bool {
        texts(svg).iter().any(|t| t == text)
    }

    /// The point lists of the chart's polylines (plotters draws each line series as one).
    fn polylines(svg: &str) -> Vec<usize> {
        svg.split("<polyline")
            .skip(1)
            .filter_map(|p| {
                let points = p.split_once("points=\"")?.1.split_once('"')?.0;
                Some(points.split_whitespace().count())
            })
            .collect()
    }

    #[test]
    fn a_line_chart_has_its_labels_and_series() {
        let svg = lines(
            LABELS,
            0.0..3.0,
            &[
                Line::new("p50", [(0.5, 10.0), (1.5, 12.0), (2.5, f64::NAN)]),
                Line::new("p99", [(0.5, 30.0), (1.5, 33.0), (2.5, 34.0)]),
            ],
        )
        .expect("drawn");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        for text in [
            "Latency over the window",
            "time (s)",
            "latency (ms)",
            "p50",
            "p99",
        ] {
            assert!(has_text(&svg, text), "{text}: {:?}", texts(&svg));
        }
        // The data lines (2 and 3 points; NaN left out) and the two legend marks.
        let lines = polylines(&svg);
        assert!(lines.contains(&2) && lines.contains(&3), "{lines:?}");
    }

    #[test]
    fn a_histogram_has_a_bar_per_bin_and_its_markers() {
        let svg = histogram(
            Labels {
                title: "Input to snapshot",
                x: "latency (ms)",
                y: "share of inputs (%)",
            },
            0.5,
            &[0.0, 10.0, 50.0, 30.0, 10.0],
            &[("p50".into(), 1.2), ("p99".into(), 2.4)],
        )
        .expect("drawn");
        assert!(has_text(&svg, "p50: 1.2 ms") && has_text(&svg, "p99: 2.4 ms"));
        assert!(svg.matches("<rect").count() >= 5);
    }

    #[test]
    fn percentile_axis() {
        assert_eq!(nines(0.0), 0.0);
        assert!((nines(99.0) - 2.0).abs() < 1e-12);
        assert_eq!(percentile_label(0.0), "0%");
        assert_eq!(percentile_label(1.0), "90%");
        assert_eq!(percentile_label(2.0), "99%");
        assert_eq!(percentile_label(3.0), "99.9%");
        assert_eq!(percentile_label(4.0), "99.99%");
        let svg = percentile_curves(
            Labels {
                title: "Percentiles",
                x: "percentile",
                y: "latency (ms)",
            },
            &[Line::new(
                "input to snapshot",
                [(0.0, 1.0), (90.0, 30.0), (99.9, 40.0)],
            )],
        )
        .expect("drawn");
        assert!(has_text(&svg, "99.9%") && has_text(&svg, "input to snapshot"));
    }

    #[test]
    fn numbers() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(33.33), "33.3");
        assert_eq!(number(4500.0), "4500");
    }

    #[test]
    fn two_axes_with_run_labels() {
        let svg = two_axes(
            "Sweep",
            "clients",
            (
                "server CPU (cores)",
                &Line::new("server CPU", [(80.0, 0.1), (200.0, 0.2)]),
            ),
            (
                "p99 (ms)",
                &Line::new("input to snapshot p99", [(80.0, 34.0), (200.0, 36.0)]),
            ),
            &[(80.0, "10x8".into()), (200.0, "10x20".into())],
        )
        .expect("drawn");
        for text in [
            "server CPU (left)",
            "input to snapshot p99 (right)",
            "10x8",
            "10x20",
            "p99 (ms)",
        ] {
            assert!(has_text(&svg, text), "{text}: {:?}", texts(&svg));
        }
    }
}
