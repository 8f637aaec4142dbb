//! Draws one [`ServicePlot`] with plotters onto any backend (SVG text or an RGB buffer).

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::ServicePlot;
use super::encode;
use super::input::{MarkKind, RequestRow, TimelineRow};
use super::series::{Columns, Step, min_max, runs, segments};
use super::style::{self, FONT};

type Area<DB> = DrawingArea<DB, Shift>;
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, YAxis>>;

/// Pixels between the plot's top edge and the highest data, for labels and marker rows.
const HEADROOM_PX: f64 = 104.0;
/// Title block height.
const TITLE_PX: u32 = 58;
/// Legend block height.
const LEGEND_PX: u32 = 62;
/// Space left of the plot for the y axis labels (same in both panels, so time lines up).
const Y_LABELS_PX: u32 = 64;

/// The SVG document for a plot.
pub(super) fn svg(plot: &ServicePlot) -> String {
    style::register_fonts();
    let size = size(plot);
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        draw(&root, plot).expect("drawing into a string cannot fail");
        root.present().expect("presenting into a string cannot fail");
    }
    text
}

/// Where simulated time lies on a plot's image, for a cursor drawn over it: pixels
/// `(x0, x1)` are 0 s and the axis end, `(y0, y1)` the panels' top and bottom.
pub(super) fn cursor_axis(plot: &ServicePlot) -> super::CursorAxis {
    let (w, h) = size(plot);
    // As `draw_tasks` builds its chart: the y labels and left margin before the plotting area,
    // the right margin after it, the title and top margin above, the legend and x labels below.
    let x0 = Y_LABELS_PX + 8;
    super::CursorAxis {
        x0,
        x1: w - 25,
        y0: TITLE_PX + 4,
        y1: h - LEGEND_PX - 44,
        end_ms: TimeAxis::for_plot(plot).end_ms,
    }
}

/// The PNG file for a plot.
pub(super) fn png(plot: &ServicePlot) -> Vec<u8> {
    style::register_fonts();
    let (w, h) = size(plot);
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(&root, plot).expect("drawing into a buffer cannot fail");
        root.present().expect("presenting into a buffer cannot fail");
    }
    encode::png(&rgb, w, h)
}

fn size(plot: &ServicePlot) -> (u32, u32) {
    let extra = if plot.requests.is_some() { style::REQUESTS_HEIGHT } else { 0 };
    (style::WIDTH, style::HEIGHT + extra)
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The whole image: title, task panel, optional requests panel, legend.
fn draw<DB: DrawingBackend>(root: &Area<DB>, plot: &ServicePlot) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (title, rest) = root.split_vertically(TITLE_PX);
    draw_title(&title, plot)?;
    let (body, legend) = rest.split_vertically(rest.dim_in_pixel().1 - LEGEND_PX);
    let time = TimeAxis::for_plot(plot);
    let legend_items = match &plot.requests {
        Some(requests) => {
            let (tasks, lower) = body.split_vertically(body.dim_in_pixel().1 - style::REQUESTS_HEIGHT);
            let mut items = draw_tasks(root, &tasks, plot, &time, false)?;
            items.extend(draw_requests(&lower, requests, &time)?);
            items
        }
        None => draw_tasks(root, &body, plot, &time, true)?,
    };
    draw_legend(&legend, &legend_items)
}

fn text_style(size: f64, color: RGBColor) -> TextStyle<'static> {
    let mut style = TextStyle::from((FONT, size).into_font());
    style.color = color.to_backend_color();
    style
}

fn draw_title<DB: DrawingBackend>(area: &Area<DB>, plot: &ServicePlot) -> DrawResult<DB> {
    let service = &plot.timeline.name;
    let (title, detail) = match &plot.info {
        Some(info) => (format!("{} — {service}", info.scenario), format!("seed {}", info.seed)),
        None => (service.clone(), "from timeline.csv (no summary.json beside it)".to_string()),
    };
    let subtitle = plot
        .overrides
        .subtitle
        .clone()
        .unwrap_or_else(|| format!("{detail} · tasks of the service over simulated time"));
    area.draw(&Text::new(title, (16, 10), text_style(22.0, style::INK)))?;
    area.draw(&Text::new(subtitle, (16, 36), text_style(14.0, style::MUTED)))
}

/// How simulated time maps to the x axis: the span shown and whether it reads in minutes.
struct TimeAxis {
    end_ms: u64,
    minutes: bool,
}

impl TimeAxis {
    /// From 0 to a little past the last thing that happened, in minutes past 5 minutes.
    fn for_plot(plot: &ServicePlot) -> TimeAxis {
        let last_row = plot.timeline.rows.last().map_or(0, |r| r.t_ms);
        let last_mark = plot.marks.iter().map(|m| m.t_ms).max().unwrap_or(0);
        let last_request = plot.requests.iter().flatten().map(|r| r.t_ms + 1_000).max().unwrap_or(0);
        let last = last_row.max(last_mark).max(last_request);
        // A margin after the last change shows the final state holds.
        let end_ms = plot.overrides.end_ms.unwrap_or_else(|| (last + (last / 25).max(1_000)).max(1_000));
        TimeAxis { end_ms, minutes: end_ms > 300_000 }
    }

    fn unit(&self) -> f64 {
        if self.minutes { 60_000.0 } else { 1_000.0 }
    }

    fn x(&self, t_ms: u64) -> f64 {
        t_ms as f64 / self.unit()
    }

    fn label(&self) -> &'static str {
        if self.minutes { "simulated time (minutes)" } else { "simulated time (seconds)" }
    }
}

/// A legend entry: how its swatch looks and what it says.
#[derive(Clone, Debug)]
enum Swatch {
    Area(RGBColor),
    Line(RGBColor),
    Dashed(RGBColor),
    Triangle(RGBColor),
    Cross(RGBColor),
}

type LegendItem = (Swatch, String);

/// The cumulative boundaries of the stacked areas, one series each.
struct Stack {
    old: Step,
    serving: Step,
    idle: Step,
    starting: Step,
    stopping: Step,
    desired: Step,
}

impl Stack {
    fn new(rows: &[TimelineRow]) -> Stack {
        let series = |f: &dyn Fn(&TimelineRow) -> u64| Step::from_pairs(rows.iter().map(|r| (r.t_ms, f(r) as i64)));
        // `timeline.csv` counts tasks on the spec of the latest update as new, so before any
        // update the deployed tasks are "new"; drawn that way they would turn from new to old
        // when the update starts. Until the first UpdateStatus they are the old version.
        let first_update = rows.iter().position(|r| !r.update_state.is_empty()).unwrap_or(rows.len());
        let old =
            |i: usize, r: &TimelineRow| if i < first_update { r.healthy_old + r.healthy_new } else { r.healthy_old };
        Stack {
            old: Step::from_pairs(rows.iter().enumerate().map(|(i, r)| (r.t_ms, old(i, r) as i64))),
            serving: series(&|r| r.healthy_old + r.healthy_new),
            idle: series(&|r| r.idle),
            starting: series(&|r| r.starting),
            stopping: series(&|r| r.stopping),
            desired: series(&|r| r.desired),
        }
    }
}

/// The task panel. Returns the legend entries for what it drew.
fn draw_tasks<DB: DrawingBackend>(
    root: &Area<DB>,
    area: &Area<DB>,
    plot: &ServicePlot,
    time: &TimeAxis,
    with_x_label: bool,
) -> Result<Vec<LegendItem>, DrawingAreaErrorKind<DB::ErrorType>> {
    let stack = Stack::new(&plot.timeline.rows);
    let up = Step::from_pairs(
        plot.timeline.rows.iter().map(|r| (r.t_ms, (r.healthy_old + r.healthy_new + r.starting) as i64)),
    );
    let top = up.max().max(stack.desired.max()).max(1) as f64;
    let bottom = if stack.stopping.max() > 0 { -(stack.stopping.max() as f64) * 1.15 } else { 0.0 };
    let plot_px = f64::from(area.dim_in_pixel().1) - 60.0;
    // Leave HEADROOM_PX above `top` for the status labels and marker rows.
    let y_max = top + (top - bottom) * HEADROOM_PX / (plot_px - HEADROOM_PX).max(1.0);
    let mut chart = ChartBuilder::on(area)
        .margin_left(8)
        .margin_right(24)
        .margin_top(4)
        .x_label_area_size(if with_x_label { 44 } else { 28 })
        .y_label_area_size(Y_LABELS_PX)
        .build_cartesian_2d(0.0..time.x(time.end_ms), YAxis::new(bottom, y_max, top))?;
    let cols = columns(&chart, time);
    let mut items = draw_bands(&mut chart, plot, time)?;
    configure_mesh(&mut chart, time, "tasks (stopping below 0)", with_x_label, top)?;
    items.splice(0..0, draw_stack(&mut chart, &stack, cols, time)?);
    items.extend(draw_status_changes(root, &mut chart, plot, time)?);
    items.extend(draw_node_changes(root, &chart, plot, time)?);
    items.extend(draw_marks(root, &chart, plot, time, cols)?);
    items.extend(draw_outages(root, &chart, &stack, time, cols)?);
    Ok(items)
}

/// A y axis over `bottom..y_max` whose ticks and labels stop at `top`, the highest value drawn:
/// the headroom above it (status labels, marker rows) gets grid lines but no tick, where
/// plotters' own ticks over the whole range would put one there, unlabelled. Ticks are whole
/// counts at a round step (1, 2 or 5 × 10^k) giving about six of them.
struct YAxis {
    range: RangedCoordf64,
    ticks: Vec<f64>,
    grid: Vec<f64>,
}

impl YAxis {
    fn new(bottom: f64, y_max: f64, top: f64) -> YAxis {
        let raw = ((top - bottom.min(0.0)) / 6.0).max(1.0);
        let decade = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * decade).find(|s| *s >= raw * (1.0 - 1e-9)).unwrap_or(raw);
        let points = |step: f64, to: f64| {
            let (first, last) = ((bottom / step).ceil() as i64, (to / step + 1e-9).floor() as i64);
            (first..=last).map(|k| k as f64 * step).collect()
        };
        let grid_step = if step >= 5.0 { step / 5.0 } else { step / 2.0 };
        YAxis { range: (bottom..y_max).into(), ticks: points(step, top), grid: points(grid_step, y_max) }
    }
}

impl Ranged for YAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.range.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() { self.grid.clone() } else { self.ticks.clone() }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.range()
    }
}

/// One column per pixel of the plotting area.
fn columns<DB: DrawingBackend>(chart: &Chart<'_, DB>, time: &TimeAxis) -> Columns {
    let width = chart.plotting_area().dim_in_pixel().0.max(1);
    Columns { start: 0, end: time.end_ms, count: width as usize }
}

fn configure_mesh<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    time: &TimeAxis,
    y_desc: &str,
    with_x_label: bool,
    top: f64,
) -> DrawResult<DB> {
    let abs = |v: &f64| {
        // Counts are whole; the headroom above `top` gets no tick label.
        let whole = (v - v.round()).abs() < 1e-6;
        if *v > top * 1.0001 || !whole { String::new() } else { format!("{}", v.abs().round()) }
    };
    let time_label = |v: &f64| format!("{}", (v * 100.0).round() / 100.0);
    let mut mesh = chart.configure_mesh();
    mesh.light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
        .bold_line_style(RGBColor(0xDD, 0xDD, 0xDD))
        .y_desc(y_desc)
        .y_label_formatter(&abs)
        .x_label_formatter(&time_label)
        .label_style(text_style(12.0, style::INK))
        .axis_desc_style(text_style(14.0, style::INK))
        .y_labels(8)
        .x_labels(12);
    if with_x_label {
        mesh.x_desc(time.label());
    }
    mesh.draw()
}

/// Pale background bands for the UpdateStatus states an update spends time in.
fn draw_bands<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    plot: &ServicePlot,
    time: &TimeAxis,
) -> Result<Vec<LegendItem>, DrawingAreaErrorKind<DB::ErrorType>> {
    let y_range = chart.plotting_area().get_y_range();
    let (y0, y1) = (y_range.start, y_range.end);
    let points = plot.timeline.rows.iter().map(|r| (r.t_ms, r.update_state.as_str()));
    let mut seen: Vec<&str> = Vec::new();
    for (start, end, state) in segments(points, time.end_ms) {
        let Some(colour) = style::band(state) else { continue };
        chart
            .draw_series(std::iter::once(Rectangle::new([(time.x(start), y0), (time.x(end), y1)], colour.filled())))?;
        let name = band_name(state);
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    let order = ["update in progress", "paused", "rolling back"];
    Ok(order
        .iter()
        .filter(|n| seen.contains(n))
        .map(|n| (Swatch::Area(style::band(band_state(n)).expect("banded")), format!("background: {n}")))
        .collect())
}

fn band_name(state: &str) -> &'static str {
    match state {
        "paused" | "rollback_paused" => "paused",
        "rollback_started" => "rolling back",
        _ => "update in progress",
    }
}

fn band_state(name: &str) -> &'static str {
    match name {
        "update in progress" => "updating",
        "paused" => "paused",
        _ => "rollback_started",
    }
}

/// The stacked areas and the desired line.
fn draw_stack<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    stack: &Stack,
    cols: Columns,
    time: &TimeAxis,
) -> Result<Vec<LegendItem>, DrawingAreaErrorKind<DB::ErrorType>> {
    let zero = vec![Some((0, 0)); cols.count];
    let lo = |s: &Step| min_max(s, cols).into_iter().map(|c| c.map(|(lo, _)| (lo, lo))).collect::<Vec<_>>();
    let hi = |s: &Step| min_max(s, cols).into_iter().map(|c| c.map(|(_, hi)| (hi, hi))).collect::<Vec<_>>();
    let old = lo(&stack.old);
    let serving = lo(&stack.serving);
    // Serving layers use each column's minimum (a dip is never hidden); starting and stopping
    // use the maximum (a brief start or stop is never hidden either). Starting is stacked as
    // its own maximum on the serving minimum, never as max(serving + starting): that would
    // draw a task that stopped serving as a task starting.
    let idle = stacked(&serving, &hi(&stack.idle));
    let up = stacked(&idle, &hi(&stack.starting));
    let stopping: Vec<_> = hi(&stack.stopping).into_iter().map(|c| c.map(|(v, _)| (-v, -v))).collect();
    let layers = [
        (&zero, &old, style::OLD, "serving, old version"),
        (&old, &serving, style::NEW, "serving, new version"),
        (&serving, &idle, style::IDLE, "running, sent no requests"),
        (&idle, &up, style::STARTING, "starting (not serving yet)"),
        (&stopping, &zero, style::STOPPING, "stopping (drawn below 0)"),
    ];
    let mut items = Vec::new();
    for (lower, upper, colour, label) in layers {
        let polygons = band_polygons(lower, upper, cols, time);
        if polygons.is_empty() {
            continue;
        }
        chart.draw_series(polygons.into_iter().map(|p| Polygon::new(p, colour.filled())))?;
        items.push((Swatch::Area(colour), label.to_string()));
    }
    let desired = step_line(&min_max(&stack.desired, cols), cols, time);
    chart.draw_series(desired.into_iter().map(|p| PathElement::new(p, style::INK.stroke_width(2))))?;
    items.push((Swatch::Line(style::INK), "desired replicas".to_string()));
    Ok(items)
}

/// Per column, `base + extra` (empty where either is).
fn stacked(base: &[Option<(i64, i64)>], extra: &[Option<(i64, i64)>]) -> Vec<Option<(i64, i64)>> {
    base.iter().zip(extra).map(|(b, e)| b.zip(*e).map(|((b, _), (e, _))| (b + e, b + e))).collect()
}

/// Polygons filling between two per-column series wherever the upper one is above the lower.
fn band_polygons(
    lower: &[Option<(i64, i64)>],
    upper: &[Option<(i64, i64)>],
    cols: Columns,
    time: &TimeAxis,
) -> Vec<Vec<(f64, f64)>> {
    let pairs: Vec<Option<(i64, i64)>> = lower
        .iter()
        .zip(upper)
        .map(|(l, u)| match (l, u) {
            (Some((l, _)), Some((u, _))) if u > l => Some((*l, *u)),
            _ => None,
        })
        .collect();
    let mut polygons: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut top: Vec<(f64, f64)> = Vec::new();
    let mut base: Vec<(f64, f64)> = Vec::new();
    let mut last_end = usize::MAX;
    for (start, end, (l, u)) in runs(&pairs) {
        if start != last_end && !top.is_empty() {
            polygons.push(close(&mut top, &mut base));
        }
        let (x0, x1) = (time.x(cols.edge(start)), time.x(cols.edge(end)));
        top.extend([(x0, u as f64), (x1, u as f64)]);
        base.extend([(x0, l as f64), (x1, l as f64)]);
        last_end = end;
    }
    if !top.is_empty() {
        polygons.push(close(&mut top, &mut base));
    }
    polygons
}

fn close(top: &mut Vec<(f64, f64)>, base: &mut Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let mut polygon = std::mem::take(top);
    polygon.extend(base.drain(..).rev());
    polygon
}

/// A step line through per-column values, drawn at the maximum, with a vertical stroke where a
/// column spans several values.
fn step_line(values: &[Option<(i64, i64)>], cols: Columns, time: &TimeAxis) -> Vec<Vec<(f64, f64)>> {
    let mut paths: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut last_end = usize::MAX;
    for (start, end, (lo, hi)) in runs(values) {
        let (x0, x1) = (time.x(cols.edge(start)), time.x(cols.edge(end)));
        if start != last_end {
            paths.push(Vec::new());
        }
        let path = paths.last_mut().expect("pushed above");
        path.extend([(x0, lo as f64), (x0, hi as f64), (x1, hi as f64)]);
        last_end = end;
    }
    paths
}

/// A vertical line and a label at each UpdateStatus change.
fn draw_status_changes<DB: DrawingBackend>(
    root: &Area<DB>,
    chart: &mut Chart<'_, DB>,
    plot: &ServicePlot,
    time: &TimeAxis,
) -> Result<Vec<LegendItem>, DrawingAreaErrorKind<DB::ErrorType>> {
    let points = plot.timeline.rows.iter().map(|r| (r.t_ms, r.update_state.as_str()));
    let changes: Vec<(u64, &str)> =
        segments(points, time.end_ms).into_iter().filter(|s| !s.2.is_empty()).map(|s| (s.0, s.2)).collect();
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let (px_x, px_y) = chart.plotting_area().get_pixel_range();
    let mut row_ends = [i32::MIN; 2];
    for (t, state) in changes {
        let x = chart.backend_coord(&(time.x(t), 0.0)).0;
        let line = DashedPathElement::new(vec![(x, px_y.start), (x, px_y.end)], 4, 3, style::MUTED.stroke_width(1));
        root.draw(&line)?;
        let label = format!("{} {}", state.replace('_', " "), seconds(t));
        let style = text_style(14.0, style::INK);
        let width = root.estimate_text_size(&label, &style)?.0 as i32;
        // Two label rows: a change close to the previous one goes to the other row; labels
        // that would run past the right edge are right-aligned to their line.
        let row = if row_ends[0] < x { 0 } else { 1 };
        let flip = x + 4 + width > px_x.end;
        let (left, anchor_x, pos) = if flip { (x - 4 - width, x - 4, HPos::Right) } else { (x + 4, x + 4, HPos::Left) };
        row_ends[row] = left + width + 8;
        let y = px_y.start + 4 + 19 * row as i32;
        root.draw(&Text::new(label, (anchor_x, y), style.pos(Pos::new(pos, VPos::Top))))?;
    }
    let legend = plot.overrides.change_legend.clone().unwrap_or_else(|| "UpdateStatus change".to_string());
    Ok(vec![(Swatch::Dashed(style::MUTED), legend)])
}

/// A dotted vertical line at each node change, labelled at the foot of the panel (up to three
/// label rows), so a drop in serving tasks reads next to
/// the node that caused it.
fn draw_node_changes<DB: DrawingBackend>(
    root: &Area<DB>,
    chart: &Chart<'_, DB>,
    plot: &ServicePlot,
    time: &TimeAxis,
) -> Result<Vec<LegendItem>, DrawingAreaErrorKind<DB::ErrorType>> {
    if plot.nodes.is_empty() {
        return Ok(Vec::new());
    }
    let (px_x, px_y) = chart.plotting_area().get_pixel_range();
    let mut rows: [Vec<(i32, i32)>; 3] = Default::default();
    for mark in &plot.nodes {
        let t = mark.t_ms.min(time.end_ms);
        let x = chart.backend_coord(&(time.x(t), 0.0)).0;
        let line = DashedPathElement::new(vec![(x, px_y.start), (x, px_y.end)], 2, 2, style::NODE.stroke_width(1));
        root.draw(&line)?;
        let label = format!("{} {}", mark.label, seconds(mark.t_ms));
        let style = text_style(13.0, style::NODE);
        let width = root.estimate_text_size(&label, &style)?.0 as i32;
        let flip = x + 4 + width > px_x.end;
        let (left, anchor_x, pos) = if flip { (x - 4 - width, x - 4, HPos::Right) } else { (x + 4, x + 4, HPos::Left) };
        // The lowest of three rows where the label overlaps none placed before it.
        let span = (left - 4, left + width + 4);
        let free = |spans: &Vec<(i32, i32)>| spans.iter().all(|&(l, r)| span.1 < l || span.0 > r);
        let row = rows.iter().position(free).unwrap_or(rows.len() - 1);
        rows[row].push(span);
        let y = px_y.end - 4 - 17 * row as i32;
        root.draw(&Text::new(label, (anchor_x, y), style.pos(Pos::new(pos, VPos::Bottom))))?;
    }
    Ok(vec![(Swatch::Dashed(style::NODE), "node change".to_string())])
}

/// `12.345` s as `12.3 s`, the precision a reader needs next to a line.
fn seconds(t_ms: u64) -> String {
    format!("{}.{} s", t_ms / 1000, (t_ms % 1000) / 100)
}

/// Marker rows for new tasks taking a slot and for task failures, one marker per pixel column
/// (a thousand slots taken in one column are one tick, not a smear).
fn draw_marks<DB: DrawingBackend>(
    root: &Area<DB>,
    chart: &Chart<'_, DB>,
    plot: &ServicePlot,
    time: &TimeAxis,
    cols: Columns,
) -> Result<Vec<LegendItem>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (_, px_y) = chart.plotting_area().get_pixel_range();
    let mut items = Vec::new();
    let rows = [
        (MarkKind::SlotTaken, px_y.start + 50, "new task takes a slot (update)"),
        (MarkKind::Failure, px_y.start + 68, "task failed or exited"),
    ];
    for (kind, y, label) in rows {
        let mut columns: Vec<usize> =
            plot.marks.iter().filter(|m| m.kind == kind).map(|m| cols.of(m.t_ms.min(time.end_ms))).collect();
        columns.dedup();
        if columns.is_empty() {
            continue;
        }
        for c in columns {
            let x = chart.backend_coord(&(time.x(cols.edge(c)), 0.0)).0;
            match kind {
                MarkKind::SlotTaken => root.draw(&TriangleMarker::new((x, y), 5, style::INK.filled()))?,
                MarkKind::Failure => root.draw(&Cross::new((x, y), 5, style::FAILURE.stroke_width(2)))?,
            }
        }
        let swatch = match kind {
            MarkKind::SlotTaken => Swatch::Triangle(style::INK),
            MarkKind::Failure => Swatch::Cross(style::FAILURE),
        };
        items.push((swatch, label.to_string()));
    }
    Ok(items)
}

/// A bar in its own row wherever no task served after the service first served: the outage a
/// newcomer should not have to infer from the absence of colour.
fn draw_outages<DB: DrawingBackend>(
    root: &Area<DB>,
    chart: &Chart<'_, DB>,
    stack: &Stack,
    time: &TimeAxis,
    cols: Columns,
) -> Result<Vec<LegendItem>, DrawingAreaErrorKind<DB::ErrorType>> {
    // The initial deployment's wait for the first healthy task is not an outage.
    let Some(first) = stack.serving.times.iter().zip(&stack.serving.values).position(|(_, v)| *v > 0) else {
        return Ok(Vec::new());
    };
    let after = Step { times: stack.serving.times[first..].to_vec(), values: stack.serving.values[first..].to_vec() };
    let outage: Vec<Option<(i64, i64)>> =
        min_max(&after, cols).into_iter().map(|v| v.filter(|(lo, _)| *lo == 0).map(|_| (1, 1))).collect();
    let spans = runs(&outage);
    if spans.is_empty() {
        return Ok(Vec::new());
    }
    let (_, px_y) = chart.plotting_area().get_pixel_range();
    let y = px_y.start + 84;
    for (start, end, _) in spans {
        let x0 = chart.backend_coord(&(time.x(cols.edge(start)), 0.0)).0;
        let x1 = chart.backend_coord(&(time.x(cols.edge(end)), 0.0)).0.max(x0 + 1);
        root.draw(&Rectangle::new([(x0, y - 4), (x1, y + 4)], style::FAILURE.filled()))?;
    }
    Ok(vec![(Swatch::Area(style::FAILURE), "no task serving (outage)".to_string())])
}

/// The requests panel: successful requests per second with failed ones stacked on top, so the
/// top edge is the load offered.
fn draw_requests<DB: DrawingBackend>(
    area: &Area<DB>,
    rows: &[RequestRow],
    time: &TimeAxis,
) -> Result<Vec<LegendItem>, DrawingAreaErrorKind<DB::ErrorType>> {
    let ok = Step::from_pairs(rows.iter().map(|r| (r.t_ms, r.ok as i64)));
    let failed = Step::from_pairs(rows.iter().map(|r| (r.t_ms, r.failed as i64)));
    let total = Step::from_pairs(rows.iter().map(|r| (r.t_ms, (r.ok + r.failed) as i64)));
    let top = total.max().max(1) as f64 * 1.1;
    let mut chart = ChartBuilder::on(area)
        .margin_left(8)
        .margin_right(24)
        .margin_top(8)
        .x_label_area_size(44)
        .y_label_area_size(Y_LABELS_PX)
        .build_cartesian_2d(0.0..time.x(time.end_ms), YAxis::new(0.0, top, top / 1.1))?;
    let cols = columns(&chart, time);
    configure_mesh(&mut chart, time, "requests per second", true, top)?;
    let zero = vec![Some((0, 0)); cols.count];
    // Successful requests at each column's minimum, failed ones at their maximum stacked on it:
    // neither a drop in service nor a burst of failures is averaged away, and a column where
    // the load changes shows no failure that did not happen.
    let ok_lo: Vec<_> = min_max(&ok, cols).into_iter().map(|c| c.map(|(lo, _)| (lo, lo))).collect();
    let failed_hi: Vec<_> = min_max(&failed, cols).into_iter().map(|c| c.map(|(_, hi)| (hi, hi))).collect();
    let total_hi = stacked(&ok_lo, &failed_hi);
    let mut items = Vec::new();
    let layers = [
        (&zero, &ok_lo, style::REQUESTS_OK, "requests answered / s"),
        (&ok_lo, &total_hi, style::FAILURE, "requests failed / s"),
    ];
    for (lower, upper, colour, label) in layers {
        let polygons = band_polygons(lower, upper, cols, time);
        chart.draw_series(polygons.into_iter().map(|p| Polygon::new(p, colour.filled())))?;
        items.push((Swatch::Area(colour), label.to_string()));
    }
    Ok(items)
}

/// The legend: swatches and labels in rows, left to right.
fn draw_legend<DB: DrawingBackend>(area: &Area<DB>, items: &[LegendItem]) -> DrawResult<DB> {
    let style = text_style(14.0, style::INK);
    let (width, _) = area.dim_in_pixel();
    let (mut x, mut y) = (Y_LABELS_PX as i32 + 8, 6);
    for (swatch, label) in items {
        let w = area.estimate_text_size(label, &style)?.0 as i32 + 22 + 18;
        if x + w > width as i32 - 16 {
            x = Y_LABELS_PX as i32 + 8;
            y += 20;
        }
        draw_swatch(area, swatch, (x, y + 8))?;
        area.draw(&Text::new(label.as_str(), (x + 22, y + 1), style.clone()))?;
        x += w;
    }
    Ok(())
}

fn draw_swatch<DB: DrawingBackend>(area: &Area<DB>, swatch: &Swatch, (x, y): (i32, i32)) -> DrawResult<DB> {
    match swatch {
        Swatch::Area(c) => {
            area.draw(&Rectangle::new([(x, y - 6), (x + 16, y + 6)], c.filled()))?;
            area.draw(&Rectangle::new([(x, y - 6), (x + 16, y + 6)], RGBColor(0x99, 0x99, 0x99).stroke_width(1)))
        }
        Swatch::Line(c) => area.draw(&PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))),
        Swatch::Dashed(c) => {
            area.draw(&DashedPathElement::new(vec![(x + 8, y - 7), (x + 8, y + 7)], 4, 3, c.stroke_width(1)))
        }
        Swatch::Triangle(c) => area.draw(&TriangleMarker::new((x + 8, y), 5, c.filled())),
        Swatch::Cross(c) => area.draw(&Cross::new((x + 8, y), 5, c.stroke_width(2))),
    }
}

#[cfg(test)]
mod y_axis_tests {
    use super::YAxis;

    #[test]
    fn ticks_stop_at_the_highest_value_and_the_grid_goes_on() {
        // The rolling-update plot: 10 replicas, 2 stopping drawn below 0, headroom to 15.
        let axis = YAxis::new(-2.3, 15.4, 10.0);
        assert_eq!(axis.ticks, [0.0, 5.0, 10.0]);
        assert!(axis.grid.last().is_some_and(|&g| g > 14.0), "grid lines in the headroom: {:?}", axis.grid);
        assert!(axis.grid.first().is_some_and(|&g| g >= -2.3), "{:?}", axis.grid);
        // A large service: round steps, all whole, none above the top.
        let axis = YAxis::new(0.0, 130_000.0, 100_000.0);
        assert_eq!(axis.ticks, [0.0, 20_000.0, 40_000.0, 60_000.0, 80_000.0, 100_000.0]);
        // One replica: a tick per task.
        assert_eq!(YAxis::new(0.0, 1.5, 1.0).ticks, [0.0, 1.0]);
    }
}
