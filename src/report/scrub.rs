//! The data behind `index.html`'s time slider: at each instant something happened, what
//! `docker service ps` (every service), `docker node ls` and each service's UpdateStatus
//! showed — the very texts `deploysim ps --at T` prints (`--format node-ls`,
//! `--format update-status`), rendered here by the same code — and where each plot's time axis
//! lies, for the cursor. Everything is a pure function of the record: the page stays
//! byte-identical for a seed.

use std::collections::BTreeMap;

use crate::model::record::{Name, RunRecord};
use crate::ps::replay::Replay;
use crate::ps::{nodes, service, table};
use crate::time::SimTime;

/// At most this many slider positions; a run with more instants keeps an evenly spaced subset
/// (always the first and the last).
pub const MAX_FRAMES: usize = 600;
/// At most this many bytes of distinct table text; past it later frames carry no tables (the
/// page says so and names `deploysim ps --at`).
pub const MAX_TEXT_BYTES: usize = 4_000_000;
/// A table with more rows than this is not kept (a run of thousands of replicas or nodes):
/// one frame of it would outgrow the page.
pub const MAX_TABLE_ROWS: usize = 2_000;

/// One slider position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The instant.
    pub t: SimTime,
    /// Index into [`Scrub::texts`] of `docker service ps` then, `None` past the byte budget or
    /// the row limit.
    pub ps: Option<usize>,
    /// Index of `docker node ls` then.
    pub nodes: Option<usize>,
    /// Index of the UpdateStatus lines then.
    pub status: Option<usize>,
}

/// The slider's data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scrub {
    /// Slider positions, in time order.
    pub frames: Vec<Frame>,
    /// Each distinct text once.
    pub texts: Vec<String>,
    /// True when some frames lost a table to [`MAX_TEXT_BYTES`] or [`MAX_TABLE_ROWS`].
    pub truncated: bool,
}

/// Every instant the record changed something a table shows (task events, node changes,
/// UpdateStatus changes, timeline actions), with 0 and the run's end.
fn instants(run: &RunRecord) -> Vec<SimTime> {
    let mut all: Vec<SimTime> = vec![SimTime::ZERO, run.end_time];
    // Millions of task events share a few thousand instants: runs of one instant are dropped
    // here (the sort and dedup below make the result the same whatever the order).
    let mut last = None;
    for e in run.task_events.iter() {
        if last != Some(e.t) {
            last = Some(e.t);
            all.push(e.t);
        }
    }
    all.extend(run.node_events.iter().map(|e| e.t));
    all.extend(run.services.iter().flat_map(|s| s.status_changes.iter().map(|c| c.t)));
    all.extend(run.actions.iter().map(|a| a.0));
    all.sort_unstable();
    all.dedup();
    if all.len() > MAX_FRAMES {
        let last = all.len() - 1;
        all = (0..MAX_FRAMES).map(|i| all[i * last / (MAX_FRAMES - 1)]).collect();
        all.dedup();
    }
    all
}

/// The slider's frames for `run`.
pub fn scrub(run: &RunRecord) -> Scrub {
    scrub_with(run, crate::ps::replay::canonical_names(run))
}

/// [`scrub`] with the record's [`canonical_names`](crate::ps::replay::canonical_names) at hand.
pub fn scrub_with(run: &RunRecord, canonical: crate::model::record::PerName<Name>) -> Scrub {
    let mut out = Scrub::default();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut bytes = 0usize;
    let mut replay = Replay::with_canonical(run, canonical);
    for t in instants(run) {
        replay.advance_to(t);
        if bytes > MAX_TEXT_BYTES {
            out.truncated = true;
            out.frames.push(Frame { t, ps: None, nodes: None, status: None });
            continue;
        }
        let mut keep = |text: String| -> usize {
            if let Some(&i) = index.get(&text) {
                return i;
            }
            bytes += text.len();
            out.texts.push(text.clone());
            index.insert(text, out.texts.len() - 1);
            out.texts.len() - 1
        };
        let ps = (replay.len() <= MAX_TABLE_ROWS).then(|| keep(table::render(&replay.tasks(), t, true)));
        let node_ls = (run.nodes.len() <= MAX_TABLE_ROWS).then(|| keep(nodes::render_node_ls(run, t)));
        let status: String = run
            .services
            .iter()
            .map(|s| format!("{} {}\n", s.name, service::update_status_json(run, &s.name, t)))
            .collect();
        let status = keep(status);
        out.truncated |= ps.is_none() || node_ls.is_none();
        out.frames.push(Frame { t, ps, nodes: node_ls, status: Some(status) });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::task::TaskState;
    use crate::report::fixtures::{S, empty_run, task_event};

    #[test]
    fn frames_are_the_changed_instants_and_tables_are_ps_at_them() {
        let mut run = empty_run();
        run.push_event(task_event(S, TaskState::Running, TaskState::New, "created"));
        run.push_event(task_event(3 * S, TaskState::Running, TaskState::Running, "started"));
        let s = scrub(&run);
        let times: Vec<u64> = s.frames.iter().map(|f| f.t.0 / S).collect();
        assert_eq!(times, [0, 1, 3, 100]);
        for f in &s.frames {
            let tasks = crate::ps::tasks_at(&run, f.t);
            assert_eq!(s.texts[f.ps.unwrap()], table::render(&tasks, f.t, true));
        }
        assert!(s.texts[s.frames[3].ps.unwrap()].contains("Running about a minute ago"));
        assert!(!s.truncated);
    }

    #[test]
    fn many_instants_are_thinned_to_the_limit_keeping_both_ends() {
        let mut run = empty_run();
        run.end_time = SimTime(10_000 * S);
        for i in 0..(MAX_FRAMES as u64 * 3) {
            run.push_event(task_event(i * S, TaskState::Running, TaskState::Running, "started"));
        }
        let s = scrub(&run);
        assert!(s.frames.len() <= MAX_FRAMES && s.frames.len() > MAX_FRAMES - 5, "{}", s.frames.len());
        assert_eq!((s.frames[0].t, s.frames.last().unwrap().t), (SimTime::ZERO, run.end_time));
    }
}
