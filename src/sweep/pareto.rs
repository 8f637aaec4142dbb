//! `pareto.svg`: every policy's duration p95 against its availability (min serving ratio p5),
//! with the Pareto front — the policies no other policy beats on both — highlighted.

use plotters::prelude::*;

use crate::plot::style::{self, FONT};

/// One policy's point: `x` duration p95 (s, lower is better), `y` min serving ratio p5 (higher
/// is better).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Point {
    /// Policy index.
    pub policy: usize,
    /// What the front labels the point with (the policy's values).
    pub label: String,
    /// Duration p95, seconds.
    pub x: f64,
    /// Min serving ratio p5.
    pub y: f64,
}

/// The policies on the Pareto front, by ascending duration: a point is on it when no other
/// point is at least as good on both axes and better on one. Points with an undefined or
/// infinite figure are never on it.
pub(crate) fn front(points: &[Point]) -> Vec<Point> {
    let finite: Vec<&Point> = points.iter().filter(|p| p.x.is_finite() && p.y.is_finite()).collect();
    let dominated = |p: &Point| finite.iter().any(|q| q.x <= p.x && q.y >= p.y && (q.x < p.x || q.y > p.y));
    let mut out: Vec<Point> = finite.iter().filter(|p| !dominated(p)).map(|p| (*p).clone()).collect();
    out.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.policy.cmp(&b.policy)));
    out
}

fn text_style(size: f64, color: RGBColor) -> TextStyle<'static> {
    let mut style = TextStyle::from((FONT, size).into_font());
    style.color = color.to_backend_color();
    style
}

/// The SVG document. `title` names the scenario; policies that never completed (infinite p95)
/// are counted in the subtitle rather than drawn.
pub(crate) fn svg(title: &str, points: &[Point]) -> String {
    style::register_fonts();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (style::WIDTH, style::HEIGHT)).into_drawing_area();
        draw(&root, title, points).expect("drawing into a string cannot fail");
        root.present().expect("presenting into a string cannot fail");
    }
    text
}

/// The same picture as a PNG file.
pub(crate) fn png(title: &str, points: &[Point]) -> Vec<u8> {
    style::register_fonts();
    let (w, h) = (style::WIDTH, style::HEIGHT);
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(&root, title, points).expect("drawing into a buffer cannot fail");
        root.present().expect("presenting into a buffer cannot fail");
    }
    crate::plot::encode::png(&rgb, w, h)
}

type Area<DB> = DrawingArea<DB, plotters::coord::Shift>;
type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(root: &Area<DB>, title: &str, points: &[Point]) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let best = front(points);
    let shown: Vec<&Point> = points.iter().filter(|p| p.x.is_finite() && p.y.is_finite()).collect();
    let hidden = points.len() - shown.len();
    let (x_max, y_min) = bounds(&shown);
    let subtitle =
        format!("{} policies; front highlighted; {hidden} never completed in 95 % of runs (not drawn)", points.len());
    let mut chart = ChartBuilder::on(root)
        .caption(format!("{title} — duration vs availability"), (FONT, 22).into_font())
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max, y_min..1.02)?;
    chart
        .configure_mesh()
        .x_desc(format!("update duration p95 (s) — lower is better · {subtitle}"))
        .y_desc("min serving ratio p5 — higher is better")
        .label_style(text_style(13.0, style::INK))
        .axis_desc_style(text_style(14.0, style::MUTED))
        .light_line_style(WHITE)
        .draw()?;
    chart.draw_series(shown.iter().map(|p| Circle::new((p.x, p.y), 4, style::OLD.mix(0.5).filled())))?;
    let line: Vec<(f64, f64)> = best.iter().map(|p| (p.x, p.y)).collect();
    chart.draw_series(std::iter::once(PathElement::new(line, style::FAILURE.stroke_width(2))))?;
    chart.draw_series(best.iter().map(|p| Circle::new((p.x, p.y), 6, style::FAILURE.filled())))?;
    // Labels sit just right of and above their point, in pixels, whatever the scale.
    chart
        .draw_series(best.iter().map(|p| {
            EmptyElement::at((p.x, p.y)) + Text::new(p.label.clone(), (9, -16), text_style(12.0, style::INK))
        }))?;
    Ok(())
}

/// The x range's end (a little past the longest finite p95) and the y range's start.
fn bounds(points: &[&Point]) -> (f64, f64) {
    let x = points.iter().map(|p| p.x).fold(1.0, f64::max);
    let y = points.iter().map(|p| p.y).fold(1.0, f64::min);
    (x * 1.08, (y - 0.05).clamp(0.0, 0.95))
}
