//! Script tests of the rolling updater state machine (`deploysim::swarm::updater::Updater`) with
//! no engine: each test feeds inputs by hand and compares the rendered command sequence with
//! what swarmkit's `manager/orchestrator/update/updater.go` would do (research note
//! `swarmkit-semantics.md` §1.5–§1.8).

use deploysim::model::record::UpdateState;
use deploysim::model::spec::{FailureAction, UpdateConfig, UpdateOrder};
use deploysim::model::task::{TaskId, TaskState};
use deploysim::swarm::updater::{SlotWork, Updater, UpdaterCommand, UpdaterTimer};
use deploysim::time::{SimDuration, SimTime};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `n` seconds after the start.
fn t(secs: u64) -> SimTime {
    SimTime(secs * 1_000_000_000)
}

/// `n` milliseconds after the start.
fn ms(n: u64) -> SimTime {
    SimTime(n * 1_000_000)
}

fn secs(n: u64) -> SimDuration {
    SimDuration::from_secs(n)
}

/// Task ids: tests use `T(10)`, `T(11)`, … for tasks the updater creates.
#[allow(non_snake_case)]
fn T(n: u32) -> TaskId {
    TaskId(n)
}

/// Seconds, printed short: `12`, `12.5`, `0.001`.
fn fmt_time(at: SimTime) -> String {
    let s = at.secs_ms();
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() { "0".to_string() } else { s.to_string() }
}

/// Messages carry 25-character Docker ids; the render shows them as `T<n>` so that scripts stay
/// readable (a few tests also compare the raw text with `TaskId::docker_id`).
fn short_ids(message: &str) -> String {
    let mut out = message.to_string();
    for n in 0..200u32 {
        let id = TaskId(n).docker_id();
        if out.contains(&id) {
            out = out.replace(&id, &format!("T{n}"));
        }
    }
    out
}

fn state_name(state: UpdateState) -> &'static str {
    state.as_str()
}

/// One compact token per command, joined by `; `. Start-first slot hand-outs say so; stop-first
/// (the default) ones do not.
fn render(commands: &[UpdaterCommand]) -> String {
    commands
        .iter()
        .map(|c| match c {
            UpdaterCommand::UpdateSlot { worker, slot, order } => match order {
                UpdateOrder::StopFirst => format!("slot(w{worker},{slot})"),
                UpdateOrder::StartFirst => format!("slot(w{worker},{slot},start-first)"),
            },
            UpdaterCommand::RemoveOldTasks { slot, keep } => format!("remove_old({slot},keep=T{})", keep.0),
            UpdaterCommand::ArmTimer { timer: UpdaterTimer::Delay { worker }, at } => {
                format!("delay(w{worker})@{}", fmt_time(*at))
            }
            UpdaterCommand::ArmTimer { timer: UpdaterTimer::MonitorDone, at } => format!("monitor@{}", fmt_time(*at)),
            UpdaterCommand::Pause { state, message } => {
                format!("pause({},{:?})", state_name(*state), short_ids(message))
            }
            UpdaterCommand::Rollback { message } => format!("rollback({:?})", short_ids(message)),
            UpdaterCommand::Complete => "complete".to_string(),
            UpdaterCommand::FailureCounted { task } => format!("failed(T{})", task.0),
            UpdaterCommand::Finished => "finished".to_string(),
            UpdaterCommand::Note(note) => format!("note({note:?})"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// An update config: `parallelism`, `delay` s, `monitor` s, the rest as given.
fn config(parallelism: u64, delay: u64, monitor: u64) -> UpdateConfig {
    UpdateConfig {
        parallelism,
        delay: secs(delay),
        monitor: secs(monitor),
        failure_action: FailureAction::Pause,
        max_failure_ratio: 0.0,
        order: UpdateOrder::StopFirst,
    }
}

fn with_action(mut c: UpdateConfig, action: FailureAction) -> UpdateConfig {
    c.failure_action = action;
    c
}

fn with_ratio(mut c: UpdateConfig, ratio: f32) -> UpdateConfig {
    c.max_failure_ratio = ratio;
    c
}

fn start_first(mut c: UpdateConfig) -> UpdateConfig {
    c.order = UpdateOrder::StartFirst;
    c
}

/// `updateTask` for `worker`: the world created `task`; its start gate opens at once (as for
/// start-first, or a stop-first old task that stopped instantly). Returns both outputs joined.
fn new_task(u: &mut Updater, now: SimTime, worker: usize, task: TaskId) -> String {
    let a = render(&u.on_slot_work(now, worker, SlotWork::NewTask { task }));
    let b = render(&u.on_gate_open(now, task));
    [a, b].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("; ")
}

fn state(u: &mut Updater, now: SimTime, task: TaskId, s: TaskState) -> String {
    render(&u.on_task_state(now, task, s))
}

fn timer(u: &mut Updater, now: SimTime, timer: UpdaterTimer) -> String {
    render(&u.on_timer(now, timer))
}

fn delay_done(u: &mut Updater, now: SimTime, worker: usize) -> String {
    timer(u, now, UpdaterTimer::Delay { worker })
}

fn monitor_done(u: &mut Updater, now: SimTime) -> String {
    timer(u, now, UpdaterTimer::MonitorDone)
}

// ---------------------------------------------------------------------------------------------
// Parallelism: a worker pool fed one slot at a time
// ---------------------------------------------------------------------------------------------

#[test]
fn parallelism_two_is_two_workers_with_no_barrier_between_batches() {
    // Checks: with parallelism 2, two workers each take one slot; a worker whose task runs
    // early takes the next slot while the other is still waiting (no batch barrier), and
    // slots_in_flight never exceeds 2. Mirrors `Updater.Run` (the unbuffered `slotQueue` loop)
    // and `Updater.worker`.
    let (mut u, out) = Updater::start(t(0), config(2, 0, 5), false, vec![1, 2, 3, 4]);
    assert_eq!(render(&out), "slot(w0,1); slot(w1,2)");
    assert_eq!(u.slots_in_flight(), 2);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(new_task(&mut u, t(0), 1, T(11)), "");
    // States below RUNNING do not release a worker.
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Starting), "");
    // w0's task runs first: w0 takes slot 3 while w1 still waits on T11.
    assert_eq!(state(&mut u, t(2), T(10), TaskState::Running), "slot(w0,3)");
    assert_eq!(u.slots_in_flight(), 2);
    assert_eq!(new_task(&mut u, t(2), 0, T(12)), "");
    // And again: w0 also takes slot 4, still before T11 runs.
    assert_eq!(state(&mut u, t(3), T(12), TaskState::Running), "slot(w0,4)");
    assert_eq!(new_task(&mut u, t(3), 0, T(13)), "");
    assert!(u.slots_in_flight() <= 2);
    assert_eq!(state(&mut u, t(4), T(13), TaskState::Running), "");
    assert_eq!(u.slots_in_flight(), 1);
    // The last worker done: wg.Wait() returns, the final monitor starts (5 s, the default).
    assert_eq!(state(&mut u, t(9), T(11), TaskState::Running), "monitor@14");
    assert_eq!(u.slots_in_flight(), 0);
    assert_eq!(monitor_done(&mut u, t(14)), "complete; finished");
    assert!(u.is_finished());
}

#[test]
fn parallelism_zero_is_one_worker_per_dirty_slot() {
    // Checks: parallelism 0 starts one worker per dirty slot, all slots handed out at once.
    // Mirrors `Updater.Run`: `if parallelism == 0 { parallelism = len(dirtySlots) }`.
    let (mut u, out) = Updater::start(t(0), config(0, 0, 5), false, vec![1, 2, 3, 4, 5]);
    assert_eq!(render(&out), "slot(w0,1); slot(w1,2); slot(w2,3); slot(w3,4); slot(w4,5)");
    assert_eq!(u.slots_in_flight(), 5);
    assert_eq!(u.dirty_slot_count(), 5);
    for w in 0..5u32 {
        assert_eq!(new_task(&mut u, t(0), w as usize, T(10 + w)), "");
    }
    for w in 0..4u32 {
        assert_eq!(state(&mut u, t(1), T(10 + w), TaskState::Running), "");
    }
    assert_eq!(state(&mut u, t(2), T(14), TaskState::Running), "monitor@7");
    assert_eq!(monitor_done(&mut u, t(7)), "complete; finished");
}

#[test]
fn parallelism_one_hands_out_slots_in_the_given_order() {
    // Checks: slots go out in the order the world passed them (the world sorts them; real
    // Swarm ranges over a Go map) and one at a time with parallelism 1. Mirrors `Updater.Run`.
    let (mut u, out) = Updater::start(t(0), config(1, 0, 5), false, vec![7, 3, 5]);
    assert_eq!(render(&out), "slot(w0,7)");
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Running), "slot(w0,3)");
    assert_eq!(new_task(&mut u, t(1), 0, T(11)), "");
    assert_eq!(state(&mut u, t(2), T(11), TaskState::Running), "slot(w0,5)");
    assert_eq!(u.slots_in_flight(), 1);
}

#[test]
fn stop_first_task_waits_for_its_gate_before_the_worker_moves_on() {
    // Checks: stop-first: a RUNNING event seen before `DelayStart` released the task is kept
    // (the watch starts before the task is created) and acted on when the gate opens.
    // Mirrors `updateTask`'s watch + `restart.Supervisor.DelayStart`.
    let (mut u, out) = Updater::start(t(0), config(1, 0, 5), false, vec![1, 2]);
    assert_eq!(render(&out), "slot(w0,1)");
    assert_eq!(render(&u.on_slot_work(t(0), 0, SlotWork::NewTask { task: T(10) })), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Running), "");
    assert_eq!(u.slots_in_flight(), 1);
    assert_eq!(render(&u.on_gate_open(t(2), T(10))), "slot(w0,2)");
}

// ---------------------------------------------------------------------------------------------
// delay
// ---------------------------------------------------------------------------------------------

#[test]
fn delay_follows_each_running_task_including_the_last_and_never_precedes_the_first() {
    // Checks: no delay before the first slot; each worker sleeps `delay` after its task is
    // observed RUNNING, also after the last slot; delay >= monitor stretches the final monitor to
    // delay + 1 s, so Complete comes 11 s after the last delay ended (delay 10 s, monitor 5 s).
    // Mirrors `Updater.worker` (the `time.After(delay)` select) and `Updater.Run`'s
    // `if delay >= monitoringPeriod { monitoringPeriod = delay + time.Second }` (swarmkit#3014).
    let (mut u, out) = Updater::start(t(100), config(1, 10, 5), false, vec![1, 2]);
    assert_eq!(render(&out), "slot(w0,1)");
    assert_eq!(new_task(&mut u, t(100), 0, T(10)), "");
    assert_eq!(state(&mut u, t(105), T(10), TaskState::Running), "delay(w0)@115");
    // A sleeping worker holds no slot.
    assert_eq!(u.slots_in_flight(), 0);
    assert_eq!(delay_done(&mut u, t(115), 0), "slot(w0,2)");
    assert_eq!(new_task(&mut u, t(115), 0, T(11)), "");
    assert_eq!(state(&mut u, t(120), T(11), TaskState::Running), "delay(w0)@130");
    assert_eq!(delay_done(&mut u, t(130), 0), "monitor@141");
    assert_eq!(monitor_done(&mut u, t(141)), "complete; finished");
}

#[test]
fn delay_shorter_than_monitor_keeps_the_monitor() {
    // Checks: with delay < monitor the final monitoring period is the monitor itself, counted
    // from the end of the last worker's delay. Mirrors `Updater.Run` after `wg.Wait()`.
    let (mut u, out) = Updater::start(t(0), config(1, 2, 5), false, vec![1]);
    assert_eq!(render(&out), "slot(w0,1)");
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(3), T(10), TaskState::Running), "delay(w0)@5");
    assert_eq!(delay_done(&mut u, t(5), 0), "monitor@10");
    assert_eq!(monitor_done(&mut u, t(10)), "complete; finished");
}

#[test]
fn delay_equal_to_monitor_also_stretches_the_monitor() {
    // Checks: the comparison is `delay >= monitor` (equality stretches too): delay 5 s,
    // monitor 5 s gives a 6 s final period. Mirrors `Updater.Run` (swarmkit#3014).
    let (mut u, _) = Updater::start(t(0), config(1, 5, 5), false, vec![1]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Running), "delay(w0)@6");
    assert_eq!(delay_done(&mut u, t(6), 0), "monitor@12");
}

#[test]
fn delay_also_follows_a_failed_task() {
    // Checks: the worker's wait ends on any state >= RUNNING, failed included, and the delay
    // follows it as after a running task (failure_action continue, so nothing else happens).
    // Mirrors `updateTask` (`if updated.Status.State >= api.TaskStateRunning`) and `worker`.
    let cfg = with_action(config(1, 3, 5), FailureAction::Continue);
    let (mut u, _) = Updater::start(t(0), cfg, false, vec![1, 2]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(4), T(10), TaskState::Failed), "delay(w0)@7");
    assert_eq!(delay_done(&mut u, t(7), 0), "slot(w0,2)");
}

#[test]
fn delay_also_follows_a_slot_with_an_existing_task() {
    // Checks: a slot that already holds a clean task (`useExistingTask`) still costs the
    // worker its delay; a clean task below RUNNING is waited for through its start gate.
    // Mirrors `Updater.worker`: the delay select runs after every slot.
    let (mut u, out) = Updater::start(t(0), config(1, 4, 5), false, vec![1, 2, 3]);
    assert_eq!(render(&out), "slot(w0,1)");
    assert_eq!(render(&u.on_slot_work(t(0), 0, SlotWork::Done)), "delay(w0)@4");
    assert_eq!(delay_done(&mut u, t(4), 0), "slot(w0,2)");
    assert_eq!(render(&u.on_slot_work(t(4), 0, SlotWork::WaitGate { task: T(5) })), "");
    assert_eq!(u.slots_in_flight(), 1);
    assert_eq!(render(&u.on_gate_open(t(6), T(5))), "delay(w0)@10");
    assert_eq!(delay_done(&mut u, t(10), 0), "slot(w0,3)");
}

#[test]
fn delay_zero_takes_the_next_slot_at_once() {
    // Checks: with delay 0 there is no timer: the next slot goes out in the same step.
    // Mirrors `Updater.worker` (`if delay != 0`).
    let (mut u, _) = Updater::start(t(0), config(1, 0, 5), false, vec![1, 2]);
    assert_eq!(render(&u.on_slot_work(t(0), 0, SlotWork::Done)), "slot(w0,2)");
}

// ---------------------------------------------------------------------------------------------
// stop-first / start-first
// ---------------------------------------------------------------------------------------------

#[test]
fn stop_first_never_asks_to_remove_old_tasks() {
    // Checks: stop-first: the world shut the old task down when it created the new one; the
    // updater emits no RemoveOldTasks when the new task runs. Mirrors `updateTask` (stop-first
    // branch: old tasks removed in the same batch as the creation).
    let (mut u, out) = Updater::start(t(0), config(1, 0, 5), false, vec![1, 2]);
    assert_eq!(render(&out), "slot(w0,1)");
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Running), "slot(w0,2)");
}

#[test]
fn start_first_removes_old_tasks_once_the_new_one_is_running() {
    // Checks: start-first: RemoveOldTasks(slot, keep = new task) exactly when the new task is
    // observed RUNNING, before the worker moves on. Mirrors `updateTask`
    // (`if startFirst && updated.Status.State == RUNNING { removeOldTasks }`).
    let (mut u, out) = Updater::start(t(0), start_first(config(1, 0, 5)), false, vec![1, 2]);
    assert_eq!(render(&out), "slot(w0,1,start-first)");
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Starting), "");
    assert_eq!(state(&mut u, t(2), T(10), TaskState::Running), "remove_old(1,keep=T10); slot(w0,2,start-first)");
}

#[test]
fn start_first_keeps_old_tasks_when_the_new_one_fails() {
    // Checks: start-first: a new task that ends FAILED (> RUNNING) without having been seen
    // RUNNING frees the worker but leaves the old task running (no RemoveOldTasks).
    // Mirrors `updateTask` (the removal requires state == RUNNING exactly).
    let cfg = with_action(start_first(config(1, 0, 5)), FailureAction::Continue);
    let (mut u, _) = Updater::start(t(0), cfg, false, vec![1, 2]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(3), T(10), TaskState::Failed), "slot(w0,2,start-first)");
}

// ---------------------------------------------------------------------------------------------
// Failure detection: which failures count
// ---------------------------------------------------------------------------------------------

#[test]
fn monitor_window_is_measured_from_when_running_was_seen() {
    // Checks: a failure within `monitor` of the task being observed RUNNING counts (the bound
    // is inclusive), one after it does not. Slots remain to hand out, so the main loop judges
    // at once. Mirrors `failureTriggersAction` (`now.Sub(startedAt) <= monitoringPeriod`).
    for (fail_at, counts) in [(ms(15_000), true), (ms(15_001), false)] {
        let (mut u, _) = Updater::start(t(0), config(1, 0, 5), false, vec![1, 2, 3]);
        // Created at 0, seen RUNNING at 10: the window runs to 15, not to 5.
        assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
        assert_eq!(state(&mut u, t(10), T(10), TaskState::Running), "slot(w0,2)");
        assert_eq!(new_task(&mut u, t(10), 0, T(11)), "");
        let got = state(&mut u, fail_at, T(10), TaskState::Failed);
        if counts {
            assert_eq!(
                got,
                "failed(T10); pause(paused,\"update paused due to failure or early termination of task T10\")",
                "failure at {} s",
                fmt_time(fail_at)
            );
        } else {
            assert_eq!(got, "", "failure at {} s", fmt_time(fail_at));
        }
    }
}

#[test]
fn failure_before_running_always_counts_even_with_a_tiny_monitor() {
    // Checks: a task that fails before it was ever seen RUNNING counts however late, because
    // its start time is still zero. Mirrors `updateTask` (`updatedTasks[id] = time.Time{}`
    // before the create) and `failureTriggersAction` (`startedAt.IsZero() || ...`).
    let mut cfg = config(1, 0, 5);
    cfg.monitor = SimDuration::from_millis(1);
    let (mut u, _) = Updater::start(t(0), cfg, false, vec![1, 2]);
    // The gate never opened (stop-first, old task still stopping): the task is still below
    // RUNNING in the updater's eyes when its rejection arrives 100 s later.
    assert_eq!(render(&u.on_slot_work(t(0), 0, SlotWork::NewTask { task: T(10) })), "");
    assert_eq!(
        state(&mut u, t(100), T(10), TaskState::Rejected),
        "failed(T10); pause(paused,\"update paused due to failure or early termination of task T10\")"
    );
}

#[test]
fn failures_of_tasks_this_run_did_not_create_are_ignored() {
    // Checks: only tasks in `updatedTasks` count: an old task, a restart replacement or any
    // unknown id failing changes nothing. Mirrors `failureTriggersAction`
    // (`if _, found := u.updatedTasks[id]; !found { return false }`).
    let (mut u, _) = Updater::start(t(0), config(1, 0, 5), false, vec![1, 2]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(1), T(99), TaskState::Failed), "");
    assert_eq!(state(&mut u, t(1), T(3), TaskState::Shutdown), "");
    assert_eq!(u.slots_in_flight(), 1);
    // The run goes on normally.
    assert_eq!(state(&mut u, t(2), T(10), TaskState::Running), "slot(w0,2)");
}

#[test]
fn each_task_is_counted_once_and_the_ratio_is_strict() {
    // Checks: a second failure event of an already counted task is ignored; with ratio 0.25
    // and 8 slots, 2 failures (0.25) do not trigger and the 3rd (0.375) does. Mirrors
    // `failureTriggersAction` (`u.failedTasks` set; `float32(failures)/float32(slots) > ratio`).
    let cfg = with_ratio(config(1, 0, 100), 0.25);
    let (mut u, out) = Updater::start(t(0), cfg, false, (1..=8).collect());
    assert_eq!(render(&out), "slot(w0,1)");
    // Three slots updated; the fourth in flight, so the main loop still judges at once.
    for i in 0..4u32 {
        assert_eq!(new_task(&mut u, t(i as u64), 0, T(10 + i)), "");
        if i < 3 {
            assert_eq!(state(&mut u, t(i as u64), T(10 + i), TaskState::Running), format!("slot(w0,{})", i + 2));
        }
    }
    assert_eq!(state(&mut u, t(5), T(10), TaskState::Failed), "failed(T10)");
    // The same task reported again (e.g. later ORPHANED): not counted twice.
    assert_eq!(state(&mut u, t(6), T(10), TaskState::Orphaned), "");
    assert_eq!(state(&mut u, t(7), T(11), TaskState::Failed), "failed(T11)");
    assert_eq!(
        state(&mut u, t(8), T(12), TaskState::Failed),
        "failed(T12); pause(paused,\"update paused due to failure or early termination of task T12\")"
    );
}

#[test]
fn every_state_past_running_is_a_failure_and_running_is_not() {
    // Checks: COMPLETE (exit 0), SHUTDOWN, FAILED, REJECTED, REMOVE and ORPHANED all count;
    // STARTING and RUNNING do not. Mirrors `Updater.Run`'s watch filter
    // `state.TaskCheckStateGreaterThan(RUNNING)`.
    for s in [
        TaskState::Complete,
        TaskState::Shutdown,
        TaskState::Failed,
        TaskState::Rejected,
        TaskState::Remove,
        TaskState::Orphaned,
    ] {
        let cfg = with_ratio(config(1, 0, 5), 1.0);
        let (mut u, _) = Updater::start(t(0), cfg, false, vec![1, 2, 3]);
        assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
        // The worker is released (state >= RUNNING) and the failure is counted.
        assert_eq!(state(&mut u, t(1), T(10), s), "failed(T10); slot(w0,2)", "state {s}");
    }
    for (s, expected) in [(TaskState::Starting, ""), (TaskState::Running, "slot(w0,2)")] {
        let cfg = with_ratio(config(1, 0, 5), 1.0);
        let (mut u, _) = Updater::start(t(0), cfg, false, vec![1, 2, 3]);
        assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
        assert_eq!(state(&mut u, t(1), T(10), s), expected, "state {s}");
    }
}

#[test]
fn failure_action_continue_never_reacts() {
    // Checks: with failure_action continue nothing is watched: no failure is counted, no
    // pause, the update goes on and completes. Mirrors `Updater.Run`
    // (`if failureAction != CONTINUE { watch }`).
    let cfg = with_action(config(1, 0, 5), FailureAction::Continue);
    let (mut u, _) = Updater::start(t(0), cfg, false, vec![1, 2]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Failed), "slot(w0,2)");
    assert_eq!(new_task(&mut u, t(1), 0, T(11)), "");
    assert_eq!(state(&mut u, t(2), T(11), TaskState::Running), "monitor@7");
    assert_eq!(state(&mut u, t(3), T(11), TaskState::Failed), "");
    assert_eq!(monitor_done(&mut u, t(7)), "complete; finished");
}

#[test]
fn ratio_point_two_with_five_slots_triggers_on_the_second_failure() {
    // Checks: 1/5 = 0.2 is not > 0.2; 2/5 is. Mirrors `failureTriggersAction`'s strict float32
    // comparison.
    let cfg = with_ratio(config(1, 0, 100), 0.2);
    let (mut u, _) = Updater::start(t(0), cfg, false, vec![1, 2, 3, 4, 5]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Running), "slot(w0,2)");
    assert_eq!(new_task(&mut u, t(1), 0, T(11)), "");
    assert_eq!(state(&mut u, t(2), T(11), TaskState::Running), "slot(w0,3)");
    assert_eq!(new_task(&mut u, t(2), 0, T(12)), "");
    assert_eq!(state(&mut u, t(3), T(10), TaskState::Failed), "failed(T10)");
    assert_eq!(
        state(&mut u, t(4), T(11), TaskState::Failed),
        "failed(T11); pause(paused,\"update paused due to failure or early termination of task T11\")"
    );
}

#[test]
fn ratio_is_compared_in_f32_not_f64() {
    // Checks: with ratio 0.7 and 10 slots, 7 failures give float32(7)/float32(10) == 0.7f32,
    // not greater, so nothing happens (in f64, 0.7 > 0.699999988 would have triggered); the 8th
    // triggers. Mirrors `failureTriggersAction`'s float32 arithmetic.
    let cfg = with_ratio(config(1, 0, 100), 0.7);
    let (mut u, _) = Updater::start(t(0), cfg, false, (1..=10).collect());
    // Eight slots updated, the ninth in flight: the main loop still judges failures at once.
    for i in 0..9u32 {
        assert_eq!(new_task(&mut u, t(0), 0, T(10 + i)), "");
        if i < 8 {
            assert_eq!(state(&mut u, t(0), T(10 + i), TaskState::Running), format!("slot(w0,{})", i + 2));
        }
    }
    for i in 0..7u32 {
        assert_eq!(state(&mut u, t(1), T(10 + i), TaskState::Failed), format!("failed(T{})", 10 + i));
    }
    assert!(state(&mut u, t(2), T(17), TaskState::Failed).starts_with("failed(T17); pause(paused,"));
}

#[test]
fn ratio_one_never_triggers() {
    // Checks: every slot failing is a ratio of 1.0, never > 1.0: the update completes.
    // Mirrors `failureTriggersAction`.
    let cfg = with_ratio(config(1, 0, 5), 1.0);
    let (mut u, _) = Updater::start(t(0), cfg, false, vec![1, 2]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Failed), "failed(T10); slot(w0,2)");
    assert_eq!(new_task(&mut u, t(1), 0, T(11)), "");
    assert_eq!(state(&mut u, t(2), T(11), TaskState::Failed), "failed(T11); monitor@7");
    assert_eq!(monitor_done(&mut u, t(7)), "complete; finished");
}

// ---------------------------------------------------------------------------------------------
// Failure actions
// ---------------------------------------------------------------------------------------------

#[test]
fn pause_stops_dispatch_with_dockers_message() {
    // Checks: pause sets PAUSED with "update paused due to failure or early termination of
    // task <docker id>" (the full 25-character id), hands out no further slot, lets the busy
    // worker finish, and returns without Complete. Mirrors `failureTriggersAction` →
    // `pauseUpdate`, then `break slotsLoop` with `stopped = true` and `wg.Wait()`.
    let (mut u, out) = Updater::start(t(0), config(2, 0, 5), false, vec![1, 2, 3, 4]);
    assert_eq!(render(&out), "slot(w0,1); slot(w1,2)");
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(new_task(&mut u, t(0), 1, T(11)), "");
    let commands = u.on_task_state(t(1), T(10), TaskState::Failed);
    let expected_message = format!("update paused due to failure or early termination of task {}", T(10).docker_id());
    assert!(
        commands.contains(&UpdaterCommand::Pause { state: UpdateState::Paused, message: expected_message }),
        "{commands:?}"
    );
    assert_eq!(
        render(&commands),
        "failed(T10); pause(paused,\"update paused due to failure or early termination of task T10\")"
    );
    assert!(!u.is_finished(), "w1 is still busy: Run waits for it (wg.Wait)");
    // w1's task runs: no slot 3, and Run returns without Complete.
    assert_eq!(state(&mut u, t(2), T(11), TaskState::Running), "finished");
    assert!(u.is_finished());
}

#[test]
fn rollback_action_starts_a_rollback_with_dockers_message() {
    // Checks: failure_action rollback outside a rollback run emits Rollback with "update
    // rolled back due to failure or early termination of task <docker id>" and no more slots.
    // Mirrors `failureTriggersAction` → `rollbackUpdate`.
    let cfg = with_action(config(1, 0, 5), FailureAction::Rollback);
    let (mut u, _) = Updater::start(t(0), cfg, false, vec![1, 2]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    let commands = u.on_task_state(t(1), T(10), TaskState::Failed);
    let expected = format!("update rolled back due to failure or early termination of task {}", T(10).docker_id());
    assert!(commands.contains(&UpdaterCommand::Rollback { message: expected }), "{commands:?}");
    assert!(!render(&commands).contains("slot("), "{}", render(&commands));
    assert!(!render(&commands).contains("complete"), "{}", render(&commands));
}

#[test]
fn a_rollback_run_never_rolls_back_but_pauses() {
    // Checks: in a rollback run (UpdateStatus ROLLBACK_STARTED) failure_action rollback gives
    // ROLLBACK_PAUSED with "rollback paused due to …", and failure_action pause gives
    // ROLLBACK_PAUSED with "update paused due to …". Mirrors `failureTriggersAction`
    // ("never roll back a rollback") and `pauseUpdate`.
    for (action, message) in [
        (FailureAction::Rollback, "rollback paused due to failure or early termination of task"),
        (FailureAction::Pause, "update paused due to failure or early termination of task"),
    ] {
        let cfg = with_action(config(1, 0, 5), action);
        let (mut u, _) = Updater::start(t(0), cfg, true, vec![1, 2]);
        assert!(u.is_rollback());
        assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
        let commands = u.on_task_state(t(1), T(10), TaskState::Failed);
        let expected = UpdaterCommand::Pause {
            state: UpdateState::RollbackPaused,
            message: format!("{message} {}", T(10).docker_id()),
        };
        assert!(commands.contains(&expected), "{action:?}: {commands:?}");
        assert!(!commands.iter().any(|c| matches!(c, UpdaterCommand::Rollback { .. })), "{commands:?}");
        assert!(!render(&commands).contains("slot("), "{}", render(&commands));
    }
}

#[test]
fn a_rollback_that_fails_with_action_rollback_pauses_then_completes() {
    // Checks `failureTriggersAction`'s "never roll back a rollback" branch, which pauses without
    // setting `stopped` (updater.go): the loop it was in ends and the run still completes, so
    // UpdateStatus goes rollback_paused → completed. The s22 recordings show both timings.
    let cfg = with_action(config(1, 0, 5), FailureAction::Rollback);
    // The only slot's task fails after the queue closed: judged when the final monitor starts,
    // which the pause breaks at once — complete in the same instant (s22 r1-r3).
    let (mut u, _) = Updater::start(t(0), cfg.clone(), true, vec![1]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(
        state(&mut u, t(4), T(10), TaskState::Complete),
        "failed(T10); pause(rollback_paused,\"rollback paused due to failure or early termination of task T10\"); complete; finished"
    );
    // Two slots: the first task fails while the second waits for a worker. No more slots are
    // handed out, but after the worker is done the whole monitor runs, then completion (s22 r4,
    // r5: completed one rollback monitor, 5 s, after the pause).
    let (mut u, _) = Updater::start(t(0), cfg, true, vec![1, 2]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(
        state(&mut u, t(4), T(10), TaskState::Complete),
        "failed(T10); pause(rollback_paused,\"rollback paused due to failure or early termination of task T10\"); monitor@9"
    );
    assert_eq!(timer(&mut u, t(9), UpdaterTimer::MonitorDone), "complete; finished");
}

#[test]
fn a_rollback_run_completes_like_an_update() {
    // Checks: a rollback run that sees no failure ends with Complete then Finished (the world
    // turns it into ROLLBACK_COMPLETED). Mirrors `Updater.Run` → `completeUpdate`.
    let (mut u, _) = Updater::start(t(0), config(1, 0, 5), true, vec![1]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Running), "monitor@6");
    assert_eq!(monitor_done(&mut u, t(6)), "complete; finished");
}

// ---------------------------------------------------------------------------------------------
// wg.Wait() and the final monitoring period
// ---------------------------------------------------------------------------------------------

#[test]
fn failures_during_wg_wait_are_queued_and_judged_when_monitoring_starts() {
    // Checks: once every slot is handed out, failures that arrive while workers are still
    // busy or sleeping their delay are not judged at once but when monitoring starts, with the
    // stretched period (delay 10 s >= monitor 5 s → 11 s): T10 ran at 1 and failed at 5, judged
    // at 12 (11 s after RUNNING ≤ 11 s) → counted → pause, and the action is emitted before
    // Run returns. Mirrors `Updater.Run`: `wg.Wait()` while failures queue in the watch
    // channel, then the monitor loop (swarmkit#3003/#3014).
    let (mut u, out) = Updater::start(t(0), config(2, 10, 5), false, vec![1, 2]);
    assert_eq!(render(&out), "slot(w0,1); slot(w1,2)");
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(new_task(&mut u, t(0), 1, T(11)), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Running), "delay(w0)@11");
    assert_eq!(state(&mut u, t(2), T(11), TaskState::Running), "delay(w1)@12");
    // Queued: nothing now.
    assert_eq!(state(&mut u, t(5), T(10), TaskState::Failed), "");
    assert_eq!(delay_done(&mut u, t(11), 0), "");
    assert_eq!(
        delay_done(&mut u, t(12), 1),
        "failed(T10); pause(paused,\"update paused due to failure or early termination of task T10\"); finished"
    );
    assert!(u.is_finished());
}

#[test]
fn queued_failures_outside_the_stretched_window_are_dropped() {
    // Checks: a queued failure is judged with `now` = the start of monitoring: with delay 3 s
    // < monitor 5 s (no stretch), T10 seen RUNNING at 1, failing at 2 but judged at 7 (6 s > 5 s)
    // does not count and the update completes. Mirrors `Updater.Run` + `failureTriggersAction`.
    let (mut u, _) = Updater::start(t(0), config(2, 3, 5), false, vec![1, 2]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(new_task(&mut u, t(0), 1, T(11)), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Running), "delay(w0)@4");
    assert_eq!(state(&mut u, t(2), T(10), TaskState::Failed), "");
    assert_eq!(delay_done(&mut u, t(4), 0), "");
    assert_eq!(state(&mut u, t(4), T(11), TaskState::Running), "delay(w1)@7");
    assert_eq!(delay_done(&mut u, t(7), 1), "monitor@12");
    assert_eq!(monitor_done(&mut u, t(12)), "complete; finished");
}

#[test]
fn failure_during_the_final_monitor_pauses_before_run_returns() {
    // Checks: a failure inside the final monitoring period (after wg.Wait) still triggers the
    // action, and the Pause command comes BEFORE Finished: the world drops the updater on
    // Finished, so anything after it is lost. Mirrors `Updater.Run`'s monitor loop
    // (`case ev := <-failureEvents: if failureTriggersAction { break monitorLoop }`, the pause
    // being written inside `failureTriggersAction`, before `Run` returns).
    let (mut u, _) = Updater::start(t(0), config(1, 0, 10), false, vec![1]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Running), "monitor@11");
    assert_eq!(
        state(&mut u, t(4), T(10), TaskState::Failed),
        "failed(T10); pause(paused,\"update paused due to failure or early termination of task T10\"); finished"
    );
    assert!(u.is_finished());
    // The stale monitor timer changes nothing.
    assert_eq!(monitor_done(&mut u, t(11)), "");
}

#[test]
fn rollback_during_the_final_monitor_comes_before_finished() {
    // Checks: as above for failure_action rollback: Rollback precedes Finished. Mirrors
    // `Updater.Run`'s monitor loop → `rollbackUpdate`.
    let cfg = with_action(config(1, 0, 10), FailureAction::Rollback);
    let (mut u, _) = Updater::start(t(0), cfg, false, vec![1]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Running), "monitor@11");
    assert_eq!(
        state(&mut u, t(4), T(10), TaskState::Failed),
        "failed(T10); rollback(\"update rolled back due to failure or early termination of task T10\"); finished"
    );
}

#[test]
fn final_monitor_tail_then_complete_then_finished() {
    // Checks: after the last worker returns, one full monitoring period passes before Complete,
    // then Finished; a failure after the window of its task (but inside the tail) is ignored.
    // Mirrors `Updater.Run` (monitor loop `time.After(monitoringPeriod)` → `completeUpdate`).
    let (mut u, _) = Updater::start(t(0), config(1, 0, 5), false, vec![1, 2]);
    assert_eq!(new_task(&mut u, t(0), 0, T(10)), "");
    assert_eq!(state(&mut u, t(1), T(10), TaskState::Running), "slot(w0,2)");
    assert_eq!(new_task(&mut u, t(1), 0, T(11)), "");
    assert_eq!(state(&mut u, t(4), T(11), TaskState::Running), "monitor@9");
    // T10 ran at 1: at 7 its own window (to 6) is over.
    assert_eq!(state(&mut u, t(7), T(10), TaskState::Failed), "");
    assert!(!u.is_finished());
    assert_eq!(monitor_done(&mut u, t(9)), "complete; finished");
    assert!(u.is_finished());
    // After Run returned, nothing reacts any more.
    assert_eq!(state(&mut u, t(10), T(11), TaskState::Failed), "");
}

// ---------------------------------------------------------------------------------------------
// slots_in_flight never exceeds parallelism (seeded random scripts)
// ---------------------------------------------------------------------------------------------

#[test]
fn slots_in_flight_never_exceed_parallelism_in_random_scripts() {
    // Checks: over random orders of gate openings, task states and timers, a run never holds
    // more than `parallelism` slots, never hands a slot out twice, and always finishes.
    // Mirrors `Updater.Run`'s fixed pool of `parallelism` workers.
    use deploysim::rng::SimRng;
    for seed in 0..300u64 {
        let mut rng = SimRng::stream(seed, "updater-script");
        let slots_n = rng.between(1, 8);
        let parallelism = rng.between(0, 3);
        let mut cfg = config(parallelism, rng.between(0, 3), rng.between(1, 5));
        cfg.order = if rng.chance(0.5) { UpdateOrder::StartFirst } else { UpdateOrder::StopFirst };
        cfg.failure_action =
            [FailureAction::Pause, FailureAction::Continue, FailureAction::Rollback][rng.between(0, 2) as usize];
        cfg.max_failure_ratio = [0.0, 0.3, 1.0][rng.between(0, 2) as usize];
        let limit = if parallelism == 0 { slots_n as usize } else { parallelism as usize };
        let slots: Vec<u64> = (1..=slots_n).collect();
        let mut now = t(0);
        let (mut u, out) = Updater::start(now, cfg.clone(), rng.chance(0.2), slots.clone());
        let mut pending: Vec<UpdaterCommand> = out;
        let mut handed: Vec<u64> = Vec::new();
        // Tasks awaiting a gate, tasks awaiting a state, timers armed.
        let mut gates: Vec<TaskId> = Vec::new();
        let mut live: Vec<TaskId> = Vec::new();
        let mut timers: Vec<(SimTime, UpdaterTimer)> = Vec::new();
        let mut next_task = 10u32;
        let mut steps = 0;
        let ctx = format!("seed {seed}: slots {slots_n}, config {cfg:?}");
        while !u.is_finished() {
            steps += 1;
            assert!(steps < 10_000, "{ctx}: no progress");
            // Apply the commands the updater asked for.
            while !pending.is_empty() {
                let c = pending.remove(0);
                match c {
                    UpdaterCommand::UpdateSlot { worker, slot, .. } => {
                        assert!(!handed.contains(&slot), "{ctx}: slot {slot} handed out twice");
                        handed.push(slot);
                        let work = match rng.between(0, 5) {
                            0 => SlotWork::Done,
                            1 => {
                                let id = TaskId(next_task);
                                next_task += 1;
                                gates.push(id);
                                SlotWork::WaitGate { task: id }
                            }
                            _ => {
                                let id = TaskId(next_task);
                                next_task += 1;
                                gates.push(id);
                                live.push(id);
                                SlotWork::NewTask { task: id }
                            }
                        };
                        pending.extend(u.on_slot_work(now, worker, work));
                    }
                    UpdaterCommand::ArmTimer { timer, at } => timers.push((at, timer)),
                    _ => {}
                }
                assert!(u.slots_in_flight() <= limit, "{ctx}: {} slots in flight", u.slots_in_flight());
            }
            if u.is_finished() {
                break;
            }
            // Pick the next input at random among those possible.
            now = now.plus(SimDuration::from_millis(rng.between(0, 1500)));
            let choice = rng.between(0, 2);
            if choice == 0 && !gates.is_empty() {
                let id = gates.remove(rng.between(0, gates.len() as u64 - 1) as usize);
                pending.extend(u.on_gate_open(now, id));
            } else if choice == 1 && !live.is_empty() {
                let id = live.remove(rng.between(0, live.len() as u64 - 1) as usize);
                let s = [TaskState::Running, TaskState::Failed, TaskState::Rejected, TaskState::Complete]
                    [rng.between(0, 3) as usize];
                pending.extend(u.on_task_state(now, id, s));
                if s == TaskState::Running && rng.chance(0.3) {
                    now = now.plus(SimDuration::from_millis(rng.between(0, 8000)));
                    pending.extend(u.on_task_state(now, id, TaskState::Failed));
                }
            } else if !timers.is_empty() {
                timers.sort_by_key(|(at, _)| *at);
                let (at, timer) = timers.remove(0);
                now = now.max(at);
                pending.extend(u.on_timer(now, timer));
            } else if !gates.is_empty() {
                let id = gates.remove(0);
                pending.extend(u.on_gate_open(now, id));
            } else if !live.is_empty() {
                let id = live.remove(0);
                pending.extend(u.on_task_state(now, id, TaskState::Running));
            } else {
                panic!("{ctx}: the updater waits for nothing the script can give");
            }
            assert!(u.slots_in_flight() <= limit, "{ctx}: {} slots in flight", u.slots_in_flight());
        }
    }
}
