//! `heatmap.svg` (only when exactly two parameters vary): the objective's value for every pair
//! of values, so the shape of the trade-off is visible at a glance.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::plot::style::{self, FONT};

/// What the heat map shows.
pub(crate) struct Grid<'a> {
    /// Scenario name, for the title.
    pub title: &'a str,
    /// The metric drawn (the objective's).
    pub metric: &'a str,
    /// Decimals to print values with.
    pub decimals: usize,
    /// Parameter on the x axis and its values.
    pub x: (&'a str, &'a [String]),
    /// Parameter on the y axis and its values.
    pub y: (&'a str, &'a [String]),
    /// `value(ix, iy)`: the metric and whether the policy meets every constraint.
    pub cells: Vec<(usize, usize, f64, bool)>,
    /// The recommended cell, if any.
    pub best: Option<(usize, usize)>,
}

fn text_style(size: f64, color: RGBColor) -> TextStyle<'static> {
    let mut style = TextStyle::from((FONT, size).into_font());
    style.color = color.to_backend_color();
    style.pos(Pos::new(HPos::Center, VPos::Center))
}

/// Pale sky blue (low) to strong blue (high): a value's colour on the finite values' range.
fn shade(value: f64, low: f64, high: f64) -> RGBColor {
    if !value.is_finite() {
        return style::BAND_ROLLBACK;
    }
    let t = if high > low { (value - low) / (high - low) } else { 0.0 };
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    let (a, b) = (style::BAND_UPDATING, style::OLD);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The SVG document.
pub(crate) fn svg(grid: &Grid<'_>) -> String {
    style::register_fonts();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (style::WIDTH, style::HEIGHT)).into_drawing_area();
        draw(&root, grid).expect("drawing into a string cannot fail");
        root.present().expect("presenting into a string cannot fail");
    }
    text
}

/// The same picture as a PNG file.
pub(crate) fn png(grid: &Grid<'_>) -> Vec<u8> {
    style::register_fonts();
    let (w, h) = (style::WIDTH, style::HEIGHT);
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(&root, grid).expect("drawing into a buffer cannot fail");
        root.present().expect("presenting into a buffer cannot fail");
    }
    crate::plot::encode::png(&rgb, w, h)
}

type Area<DB> = DrawingArea<DB, plotters::coord::Shift>;
type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(root: &Area<DB>, grid: &Grid<'_>) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (nx, ny) = (grid.x.1.len(), grid.y.1.len());
    let finite: Vec<f64> = grid.cells.iter().map(|c| c.2).filter(|v| v.is_finite()).collect();
    let low = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let high = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let caption = format!("{} — {} (✗: fails a constraint; outlined: recommended)", grid.title, grid.metric);
    let mut chart = ChartBuilder::on(root)
        .caption(caption, (FONT, 20).into_font())
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)?;
    let xs = grid.x.1;
    let ys = grid.y.1;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(nx * 2 + 1)
        .y_labels(ny * 2 + 1)
        .x_label_formatter(&|v| label_at(xs, *v))
        .y_label_formatter(&|v| label_at(ys, *v))
        .x_desc(grid.x.0)
        .y_desc(grid.y.0)
        .label_style(TextStyle::from((FONT, 13).into_font()))
        .draw()?;
    for &(ix, iy, value, feasible) in &grid.cells {
        let (x, y) = (ix as f64, iy as f64);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x, y), (x + 1.0, y + 1.0)],
            shade(value, low, high).filled(),
        )))?;
        let dark = value.is_finite() && high > low && (value - low) / (high - low) > 0.55;
        let ink = if dark { WHITE } else { style::INK };
        let mark = if feasible { "" } else { " ✗" };
        let text = format!("{}{mark}", super::policy_stats::format_value(value, grid.decimals));
        chart.draw_series(std::iter::once(Text::new(text, (x + 0.5, y + 0.5), text_style(14.0, ink))))?;
    }
    if let Some((ix, iy)) = grid.best {
        let (x, y) = (ix as f64, iy as f64);
        let outline = Rectangle::new([(x + 0.02, y + 0.02), (x + 0.98, y + 0.98)], style::FAILURE.stroke_width(4));
        chart.draw_series(std::iter::once(outline))?;
    }
    Ok(())
}

/// The value name at a cell's centre (`i + 0.5`), empty elsewhere.
fn label_at(values: &[String], v: f64) -> String {
    let i = v - 0.5;
    if i >= 0.0 && (i - i.round()).abs() < 1e-6 {
        values.get(i.round() as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}
