//! One plot per strategy, all on one time axis: the tasks the router sends requests to (old and
//! new version stacked), tasks starting and stopping, the rollout's phases (or, for a rolling
//! update, its UpdateStatus changes) and, with traffic, the requests per second.

use crate::model::record::RunRecord;
use crate::plot::input::{RequestRow, RunInfo, ServiceTimeline, TimelineRow};
use crate::plot::{Overrides, ServicePlot};
use crate::report::rollout::{self, Rollout};
use crate::time::SimTime;

/// `<strategy>.svg` and `<strategy>.png` for each run (runs in strategy order, one seed).
pub(crate) fn files(
    scenario: &str,
    seed: u64,
    start: SimTime,
    names: &[&str],
    runs: &[RunRecord],
) -> Vec<(String, Vec<u8>)> {
    let end = runs.iter().map(|r| r.end_time.0 / 1_000_000).max().unwrap_or(0);
    let end_ms = (end + (end / 25).max(1_000)).max(1_000);
    let mut out = Vec::new();
    for (name, run) in names.iter().zip(runs) {
        let Some(plot) = plot(scenario, seed, name, run, (start, end_ms)) else { continue };
        out.push((format!("{name}.svg"), crate::plot::svg(&plot).into_bytes()));
        out.push((format!("{name}.png"), crate::plot::png(&plot)));
    }
    out
}

/// The plot of the rollout a run started at `start`, on an axis ending at `end_ms`.
pub(crate) fn plot(
    scenario: &str,
    seed: u64,
    strategy: &str,
    run: &RunRecord,
    (start, end_ms): (SimTime, u64),
) -> Option<ServicePlot> {
    let r = rollout::rollout_from(run, start)?;
    let labels = labels(run, &r);
    let mut rows: Vec<TimelineRow> = Vec::new();
    let route_rows: Vec<rollout::RouteRow> = rollout::route_rows(run, &r).collect();
    // Every instant where the counts or the label change.
    let mut instants: Vec<SimTime> = route_rows.iter().map(|x| x.t).chain(labels.iter().map(|l| l.0)).collect();
    instants.sort_unstable();
    instants.dedup();
    // Both lists are in time order: walk them with cursors.
    let (mut row_at, mut label_at) = (None::<usize>, None::<usize>);
    for t in instants {
        while route_rows.get(row_at.map_or(0, |i| i + 1)).is_some_and(|x| x.t <= t) {
            row_at = Some(row_at.map_or(0, |i| i + 1));
        }
        while labels.get(label_at.map_or(0, |i| i + 1)).is_some_and(|l| l.0 <= t) {
            label_at = Some(label_at.map_or(0, |i| i + 1));
        }
        let Some(row) = row_at.map(|i| &route_rows[i]) else { continue };
        let label = label_at.map_or(String::new(), |i| labels[i].1.clone());
        rows.push(TimelineRow {
            t_ms: t.0 / 1_000_000,
            desired: r.desired,
            healthy_old: row.routed_old,
            healthy_new: row.routed_new,
            starting: row.starting,
            stopping: row.stopping,
            idle: row.running.saturating_sub(row.routed_old + row.routed_new),
            update_state: label,
        });
    }
    let requests = run.requests.iter().find(|q| q.service == r.route).map(|q| {
        q.buckets.iter().map(|b| RequestRow { t_ms: b.t.0 / 1_000_000, ok: b.ok, failed: b.failed }).collect()
    });
    Some(ServicePlot {
        info: Some(RunInfo { scenario: format!("{scenario} — {strategy}"), seed }),
        timeline: ServiceTimeline { name: r.route.clone(), rows },
        marks: Vec::new(),
        requests,
        nodes: Vec::new(),
        overrides: Overrides {
            end_ms: Some(end_ms),
            subtitle: Some(format!(
                "seed {seed} · tasks receiving requests on route {} (old {} / new {}), one axis for every strategy",
                r.route,
                old_image(run, &r),
                r.image
            )),
            change_legend: Some(if run.strategies.is_empty() { "UpdateStatus change" } else { "rollout phase" }.into()),
        },
    })
}

/// The labels over time: a strategy's phases then its outcome, or the rolled-out service's
/// UpdateStatus changes.
fn labels(run: &RunRecord, r: &Rollout) -> Vec<(SimTime, String)> {
    match run.strategies.first() {
        Some(s) => {
            let mut out: Vec<(SimTime, String)> = s.phases.iter().map(|p| (p.t, p.phase.clone())).collect();
            if let (Some(outcome), Some(t)) = (&s.outcome, s.ended_at) {
                out.push((t, outcome.clone()));
            }
            out
        }
        None => run
            .services
            .iter()
            .find(|s| s.name == r.service)
            .map(|s| s.status_changes.iter().map(|c| (c.t, c.state.as_str().to_string())).collect())
            .unwrap_or_default(),
    }
}

/// The image the rolled-out service ran before.
fn old_image(run: &RunRecord, r: &Rollout) -> String {
    run.events()
        .find(|e| *e.service == *r.service && e.t <= r.start && *e.image != *r.image)
        .map_or_else(|| "?".to_string(), |e| e.image.to_string())
}
