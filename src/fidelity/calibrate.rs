//! `deploysim calibrate`: estimates each image's behaviour (prepare, start, first healthy probe,
//! stop, crashes) from a trace, and writes it as an `x-simulation.images` block.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::time::SimDuration;

use super::observe::TaskObs;
use super::trace::{ContainerEvent, Trace};

/// Docker's probe takes this long after its interval elapses (summary_notes.md §1: start →
/// running = interval + about 0.07 s); subtracted to infer the interval.
const PROBE_LATENCY_S: f64 = 0.07;

/// Exit code of a container killed by SIGKILL (128 + 9): it ignored SIGTERM for the grace period.
const SIGKILL_EXIT: i64 = 137;

/// min / median / max of one duration over the tasks that showed it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    /// How many tasks showed it.
    pub n: usize,
    /// Seconds.
    pub min_s: f64,
    /// Seconds (the mean of the two middle values for an even count).
    pub median_s: f64,
    /// Seconds.
    pub max_s: f64,
}

impl Stats {
    fn of(mut samples: Vec<f64>) -> Option<Stats> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        let median = if n % 2 == 1 { samples[n / 2] } else { (samples[n / 2 - 1] + samples[n / 2]) / 2.0 };
        Some(Stats { n, min_s: round_ms(samples[0]), median_s: round_ms(median), max_s: round_ms(samples[n - 1]) })
    }

    /// Whether the spread is worth a distribution: wider than 100 ms and than a quarter of the median.
    fn is_wide(&self) -> bool {
        let spread = self.max_s - self.min_s;
        spread > 0.1 && spread > 0.25 * self.median_s
    }
}

/// What one image did in the trace.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImageCalibration {
    /// `image:tag`.
    pub image: String,
    /// Tasks of this image in the trace.
    pub tasks: usize,
    /// Task created → `ready` (prepared: pull attempt and container create; includes scheduling).
    pub prepare: Option<Stats>,
    /// Task `starting` → container `start` event.
    pub start: Option<Stats>,
    /// Container start → first `health_status: healthy`.
    pub healthy: Option<Stats>,
    /// Container start → first `health_status: unhealthy`.
    pub unhealthy: Option<Stats>,
    /// The health-check interval the first healthy probe suggests (median − 70 ms, to 0.1 s).
    pub inferred_interval_s: Option<f64>,
    /// SIGTERM (`kill` signal 15) → `die`.
    pub stop: Option<Stats>,
    /// Exit codes after SIGTERM, each once, ascending.
    pub stop_exit_codes: Vec<i64>,
    /// Every SIGTERM ended in SIGKILL (exit 137): the process ignores SIGTERM.
    pub ignores_sigterm: bool,
    /// Container start → `die` with no signal sent (a crash or an exit of its own).
    pub exit: Option<Stats>,
    /// Exit codes of those exits, each once, ascending.
    pub exit_codes: Vec<i64>,
}

/// Every image of a trace, by name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calibration {
    /// The trace's path prefix.
    pub trace: String,
    /// Per image, by name.
    pub images: Vec<ImageCalibration>,
    /// The `x-simulation.images` block to paste.
    pub yaml: String,
}

/// Measures every image of the trace.
pub fn calibrate(trace: &Trace) -> Calibration {
    let mut images: BTreeMap<&str, Vec<&TaskObs>> = BTreeMap::new();
    for task in &trace.run.tasks {
        images.entry(task.image.as_str()).or_default().push(task);
    }
    for c in &trace.containers {
        images.entry(c.image.as_str()).or_default();
    }
    let images: Vec<ImageCalibration> =
        images.into_iter().map(|(image, tasks)| image_calibration(image, &tasks, &trace.containers)).collect();
    let yaml = yaml_block(&images);
    Calibration { trace: trace.path.prefix.display().to_string(), images, yaml }
}

fn image_calibration(image: &str, tasks: &[&TaskObs], containers: &[ContainerEvent]) -> ImageCalibration {
    let events: Vec<&ContainerEvent> = containers.iter().filter(|c| c.image == image).collect();
    let by_task = group_by_task(&events);
    let prepare = tasks.iter().filter_map(|t| Some(first(t, "ready")? - created(t)?)).collect();
    let start = tasks
        .iter()
        .filter_map(|t| {
            let starting = first(t, "starting")?;
            let started = by_task.get(t.id.as_str())?.iter().find(|e| e.event == "start" && e.t >= starting)?.t;
            Some(started - starting)
        })
        .collect();
    let (mut stops, mut stop_codes, mut exits, mut exit_codes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut healthy, mut unhealthy) = (Vec::new(), Vec::new());
    for evs in by_task.values() {
        let started = evs.iter().find(|e| e.event == "start").map(|e| e.t);
        let after_start = |name: &str| {
            let s = started?;
            evs.iter().find(|e| e.event == name && e.t >= s).map(|e| e.t - s)
        };
        healthy.extend(after_start("health_status: healthy"));
        unhealthy.extend(after_start("health_status: unhealthy"));
        let term = evs.iter().find(|e| e.event == "kill" && e.signal == Some(15)).map(|e| e.t);
        let any_kill = evs.iter().find(|e| e.event == "kill").map(|e| e.t);
        let die = evs.iter().find(|e| e.event == "die");
        match (die, term, any_kill) {
            (Some(d), Some(k), _) if d.t >= k => {
                stops.push(d.t - k);
                stop_codes.extend(d.exit_code);
            }
            (Some(d), _, None) if started.is_some_and(|s| d.t >= s) => {
                exits.push(d.t - started.unwrap_or(d.t));
                exit_codes.extend(d.exit_code);
            }
            _ => {}
        }
    }
    let ignores_sigterm = !stop_codes.is_empty() && stop_codes.iter().all(|c| *c == SIGKILL_EXIT);
    let healthy = Stats::of(healthy);
    ImageCalibration {
        image: image.to_string(),
        tasks: tasks.len(),
        prepare: Stats::of(prepare),
        start: Stats::of(start),
        inferred_interval_s: healthy.as_ref().map(|h| ((h.median_s - PROBE_LATENCY_S) * 10.0).round().max(1.0) / 10.0),
        healthy,
        unhealthy: Stats::of(unhealthy),
        stop: Stats::of(stops),
        stop_exit_codes: distinct(stop_codes),
        ignores_sigterm,
        exit: Stats::of(exits),
        exit_codes: distinct(exit_codes),
    }
}

/// Container events per task, in time order.
fn group_by_task<'a>(events: &[&'a ContainerEvent]) -> BTreeMap<&'a str, Vec<&'a ContainerEvent>> {
    let mut out: BTreeMap<&str, Vec<&ContainerEvent>> = BTreeMap::new();
    for e in events {
        out.entry(e.task_id.as_str()).or_default().push(e);
    }
    out
}

/// Creation time, when the trace saw the task being created.
fn created(task: &TaskObs) -> Option<f64> {
    task.states.first().filter(|(_, s)| s == "new").map(|(t, _)| *t)
}

/// When the task was first seen in `state`.
fn first(task: &TaskObs, state: &str) -> Option<f64> {
    task.states.iter().find(|(_, s)| s == state).map(|(t, _)| *t)
}

fn distinct(mut codes: Vec<i64>) -> Vec<i64> {
    codes.sort_unstable();
    codes.dedup();
    codes
}

fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

/// A distribution in scenario syntax: the median, or `{uniform: [min, max]}` when the spread is wide.
fn distribution(s: &Stats) -> String {
    if s.is_wide() { format!("{{uniform: [{}, {}]}}", go(s.min_s), go(s.max_s)) } else { go(s.median_s) }
}

/// Seconds as a Go duration, to the millisecond: `1.07s`, `190ms`.
fn go(secs: f64) -> String {
    SimDuration::from_millis((secs.max(0.0) * 1000.0).round() as u64).to_string()
}

/// `median 1.07s over 6 (1.04s–1.27s)`.
fn describe(s: &Stats) -> String {
    format!("median {} over {} ({}–{})", go(s.median_s), s.n, go(s.min_s), go(s.max_s))
}

/// The `x-simulation:` block, one entry per image, with the evidence as comments.
fn yaml_block(images: &[ImageCalibration]) -> String {
    let mut out = String::from("x-simulation:\n  images:\n");
    for im in images {
        let _ = writeln!(out, "    {}:", yaml_key(&im.image));
        let lines = image_lines(im);
        if lines.is_empty() {
            let _ = writeln!(out, "      {{}}  # nothing measurable in this trace");
        }
        for (line, comment) in lines {
            let _ = writeln!(out, "      {line}  # {comment}");
        }
    }
    out
}

/// The keys of one image: (`key: value`, comment).
fn image_lines(im: &ImageCalibration) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    if let Some(p) = &im.prepare {
        lines.push((
            format!("pull: {}", distribution(p)),
            format!("task created → ready (includes scheduling), {}", describe(p)),
        ));
    }
    if let Some(s) = &im.start {
        lines.push((format!("start: {}", distribution(s)), format!("starting → container start, {}", describe(s))));
    }
    match (&im.healthy, &im.unhealthy) {
        (Some(h), _) => lines.push((
            "health: healthy".to_string(),
            format!(
                "container start → first healthy probe, {}: health-check interval ≈ {}",
                describe(h),
                go(im.inferred_interval_s.unwrap_or(0.0))
            ),
        )),
        (None, Some(u)) => lines.push((
            "health: never".to_string(),
            format!("never healthy; container start → unhealthy, {}", describe(u)),
        )),
        (None, None) => {}
    }
    if let Some(s) = &im.stop {
        let line = if im.ignores_sigterm {
            "stop: ignore_sigterm".to_string()
        } else {
            let code = im.stop_exit_codes.iter().find(|c| **c != SIGKILL_EXIT).copied().unwrap_or(0);
            format!("stop: {{after: {}, exit_code: {code}}}", go(s.median_s))
        };
        lines.push((line, format!("SIGTERM → exit, {}; exit codes {:?}", describe(s), im.stop_exit_codes)));
    }
    if let Some(e) = &im.exit {
        let code = im.exit_codes.last().copied().unwrap_or(0);
        lines.push((
            format!("exit: {{code: {code}, after: {}}}", distribution(e)),
            format!("exited unasked, container start → die, {}; exit codes {:?}", describe(e), im.exit_codes),
        ));
    }
    lines
}

/// Image references contain `:` and `/`: quote them as YAML keys only when needed.
fn yaml_key(image: &str) -> String {
    if image.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/@".contains(c)) {
        image.to_string()
    } else {
        format!("{image:?}")
    }
}

/// The readable report: a table per image, then the YAML block.
pub fn render(c: &Calibration) -> String {
    let mut out = format!("calibration from {}\n", c.trace);
    let _ = writeln!(out, "| image | measure | n | min | median | max |");
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for im in &c.images {
        let rows = [
            ("created → ready (prepare)", &im.prepare),
            ("starting → container start", &im.start),
            ("start → first healthy probe", &im.healthy),
            ("start → unhealthy", &im.unhealthy),
            ("SIGTERM → exit (stop)", &im.stop),
            ("start → exit unasked", &im.exit),
        ];
        for (name, stats) in rows {
            if let Some(s) = stats {
                let _ = writeln!(
                    out,
                    "| {} | {name} | {} | {:.3}s | {:.3}s | {:.3}s |",
                    im.image, s.n, s.min_s, s.median_s, s.max_s
                );
            }
        }
    }
    out.push('\n');
    out.push_str(&c.yaml);
    out
}

/// JSON with a fixed field order.
pub fn json(c: &Calibration) -> String {
    let mut s = serde_json::to_string_pretty(c).expect("a calibration always serialises");
    s.push('\n');
    s
}
