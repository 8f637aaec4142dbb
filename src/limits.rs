//! Every bound deploysim puts on its input and its work, in one place (TigerBeetle's style: a
//! limit on everything, named, with the reason for its value). Hitting one is a clear error that
//! names it (bad input: exit 2), or, for a run that grows past one, a reported end of the run —
//! never an allocation that brings the machine down.

/// Replicas of one service, and of all the services of a scenario together (a stack file's
/// `deploy.replicas`, `docker service scale`, `--replicas`). A million replicas on 50,000 nodes
/// is the largest workload the benchmarks run; twice that leaves room, and refuses the
/// `replicas: 1000000000` that would only exhaust memory at the deploy.
pub(crate) const MAX_REPLICAS: u64 = 2_000_000;

/// Nodes of the simulated cluster.
pub(crate) const MAX_NODES: u64 = 100_000;

/// Services of a scenario (the stack's, plus those `docker service create` adds).
pub(crate) const MAX_SERVICES: usize = 10_000;

/// Entries of `x-simulation.timeline`.
pub(crate) const MAX_TIMELINE_ACTIONS: usize = 100_000;

/// Tasks one run may create. A crash loop with no restart delay creates tasks without end; a
/// run that reaches this many ends there (`end_reason: task_limit_reached`), as one that spends
/// its event budget does. About 250 bytes each: a bound of roughly 1.5 GB on the task table.
pub(crate) const MAX_TASKS: usize = 6_000_000;

/// Task state changes one run may record (the history every report is made from), beyond
/// [`RECORDED_CHANGES_PER_REPLICA`] for each replica the scenario deploys. A crash storm changes
/// states without end; a run that reaches its budget ends there (`end_reason:
/// history_limit_reached`). The budget grows with the cluster, not with time: a 3-replica crash
/// loop is cut at about 3 million changes (a few hundred MB), a million replicas get room for two
/// full updates.
#[cfg(not(test))]
pub(crate) const MAX_RECORDED_CHANGES: usize = 3_000_000;
/// The same bound, small enough for a unit test to reach (the logic is the same).
#[cfg(test)]
pub(crate) const MAX_RECORDED_CHANGES: usize = 20_000;

/// Changes each deployed replica adds to a run's history budget: one rolling update of a
/// healthy slot records about 20 (the new task's eight states, the old one's stop), so 40 leave
/// room for an update and its rollback.
pub(crate) const RECORDED_CHANGES_PER_REPLICA: usize = 40;

/// A run's history budget: [`MAX_RECORDED_CHANGES`] plus [`RECORDED_CHANGES_PER_REPLICA`] per
/// replica of the stack (a global service counts one per node).
pub(crate) fn history_budget(scenario: &crate::model::scenario::Scenario) -> usize {
    let replicas = scenario.replicas();
    MAX_RECORDED_CHANGES.saturating_add((replicas as usize).saturating_mul(RECORDED_CHANGES_PER_REPLICA))
}

/// Bytes of encoded history a log keeps in memory before writing it to a temporary file (see
/// [`crate::model::event_log`]): the history is read back in order by the reports, never
/// searched, so it need not take memory that follows the run's length. Each history log of a
/// run has this budget of its own: task events, process events, timeline samples, serving
/// spans' beginnings and settled endings, container counts (six, at most 1.5 MiB together).
/// 256 KiB is about 19,000 task rows (a 1,000-replica update): a sweep's or a test's run never
/// touches the disk. At 1 MiB each, the logs of a long run still filling their budgets were
/// most of what `bench --crash-loop`'s 4-hour loop held beyond its 1-hour one (1.22-1.26x
/// against 1.09-1.10x at 256 KiB; W100k's CPU the same, its peak 2.4 MiB lower). After its
/// first spill a log writes each new block out as it fills (1.07x -> 1.04x, and 12 hours / 4
/// hours 1.06x -> 1.00x, as the budgets no longer fill and empty again and again). The file is
/// made in the system's temporary folder (`TMPDIR`, else `/tmp`): where that folder is a
/// tmpfs, the spilled blocks still take RAM, outside the process's own memory.
#[cfg(not(test))]
pub(crate) const EVENT_LOG_RESIDENT_BYTES: usize = 256 << 10;
/// The same bound, small enough that the unit tests' larger runs go through the spill file.
#[cfg(test)]
pub(crate) const EVENT_LOG_RESIDENT_BYTES: usize = 16 << 10;

/// The largest `x-simulation.max_events` a scenario may ask for (the default is 10 million).
pub(crate) const MAX_EVENTS: u64 = 1_000_000_000;

/// Runs of one `deploysim sweep` (policies × seeds) or shard of it.
pub(crate) const MAX_SWEEP_RUNS: u64 = 10_000_000;

/// Policies of one sweep (the product of its `--set` value counts): each has a row in
/// `sweep.csv`, a point on the Pareto plot and its snippet in memory.
pub(crate) const MAX_SWEEP_POLICIES: u64 = 100_000;

/// Estimated bytes of loaded scenarios a sweep keeps from its checks for its runs
/// (`sweep::Scenarios`; each weighed by its text and by what loading expands: nodes, services,
/// timeline, traffic): a few hundred tutorial-sized policies, none of a 20,000-node cluster; past
/// it, a policy's scenario is loaded again when its runs start.
pub(crate) const SWEEP_KEPT_SCENARIO_BYTES: usize = 1 << 20;

/// Runs a sweep's workers may finish ahead of the first one not yet handed on (its reorder
/// buffer, `commands::sweep::run_each`): a worker that would take a job further ahead waits, so
/// that one slow run holds back a bounded number of results, not the rest of the sweep's.
pub(crate) const SWEEP_REORDER_WINDOW: usize = 4_096;

/// The most runs a sweep's worker takes at once (all of one policy's seeds), so that a slow
/// policy is shared between the workers and the reorder buffer stays bounded.
pub(crate) const SWEEP_MAX_CHUNK: usize = 1_024;

/// Seeds one `deploysim compare --seeds` simulates.
pub(crate) const MAX_COMPARE_SEEDS: u64 = 10_000;

/// Runs one statistical expectation (`runs: N`) simulates.
pub(crate) const MAX_EXPECT_RUNS: u64 = 100_000;

/// Bytes of one input file (a scenario, a stack file, a trace's csv). The largest bundled
/// scenario is a few kilobytes and a 100,000-action timeline about 10 MB; a file larger than
/// this is refused before it is read, so a wrong path (a disk image, a log) costs nothing.
pub(crate) const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Nesting of YAML flow collections (`[[[…]]]`, `{a: {b: …}}`). The YAML scanner's cost grows
/// with the square of the depth before its own recursion limit (128) is reached — 80,000
/// brackets took 13 s — so the text is checked first, with the parser's own limit.
pub(crate) const MAX_YAML_FLOW_DEPTH: usize = 128;

/// Nesting of YAML collections of any style: the loader builds its tree without recursion, but
/// every reader after it recurses, and serde_yaml's limit (128) was the one users had.
pub(crate) const MAX_YAML_DEPTH: usize = 128;

/// Nodes that YAML aliases (`*name`) may add to a document in all. Each alias copies its
/// anchor's whole value, so nine nested aliases of ten (the "billion laughs") would copy a
/// billion nodes; a compose file's anchors (`x-defaults: &d`, `<<: *d`) copy a few hundred.
pub(crate) const MAX_YAML_ALIAS_NODES: usize = 1_000_000;

/// Frames of one `deploysim ps --watch` (a day of simulated time at one frame a second is
/// 86,400): `--interval 1ns` over a minute would be 60 billion.
pub(crate) const MAX_WATCH_FRAMES: u64 = 1_000_000;

/// Rows of one trace file `compare` and `calibrate` read (a recording of an hour at the
/// recorder's 0.15 s poll with 1,000 tasks changing every poll stays well below).
pub(crate) const MAX_TRACE_ROWS: usize = 5_000_000;

/// Decisions one run records for `deploysim explain` (a slot taken, a failure judged, a restart,
/// a delayed start released: a few per task). A million is about 64 MB; past it the run goes on
/// and `explain` says how many were left out.
pub(crate) const MAX_DECISIONS: usize = 1_000_000;

/// Seeds `deploysim explain --race-seeds` may run (each a whole simulation of the scenario).
pub(crate) const MAX_EXPLAIN_RACE_SEEDS: u64 = 1_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::simulate::{SimulateOptions, simulate};
    use crate::model::record::EndReason;

    #[test]
    fn a_crash_storm_ends_at_the_history_limit_as_a_reported_outcome() {
        // Containers that exit at once, restarted with no delay, for ten hours: without the
        // bound the history grows until memory runs out (issue 15: 5.8 GB).
        let yaml = "services:\n  web:\n    image: web:1\n    deploy:\n      replicas: 50\n      restart_policy: {condition: any, delay: 0s}\nx-simulation:\n  until: 10h\n  images:\n    web:1: {start: 1ms, exit: {code: 1, after: 1ms}}\n";
        let scenario = crate::scenario::load_str(yaml, std::path::Path::new("storm.yml")).expect("valid");
        let run = simulate(scenario, Some(1), &SimulateOptions::default());
        assert_eq!(run.end_reason, EndReason::HistoryLimitReached);
        // It stops after the event that reached the bound (one event may record a few changes).
        let recorded = run.task_events.len();
        let budget = MAX_RECORDED_CHANGES + 50 * RECORDED_CHANGES_PER_REPLICA;
        assert!((budget..budget + 100).contains(&recorded), "{recorded} changes, budget {budget}");
        assert!(run.end_time < crate::time::SimTime(3600 * 1_000_000_000), "well before until");
        let story = crate::report::narrative::narrative(&run);
        assert!(story.contains("deploysim's budget for this run's history"), "{story}");
    }
}
