//! Hand-built records shared by the report tests.

use crate::model::record::{
    EndReason, EventView, RunRecord, ServiceRecord, StatusChange, TimelineSample, UpdateRecord, UpdateState,
};
use crate::model::task::TaskState;
use crate::time::SimTime;

/// Nanoseconds in one millisecond, for writing test times readably.
pub(crate) const MS: u64 = 1_000_000;
/// Nanoseconds in one second.
pub(crate) const S: u64 = 1_000_000_000;

/// A quiescent run with no services, events or samples.
pub(crate) fn empty_run() -> RunRecord {
    RunRecord {
        scenario: "web".into(),
        seed: 42,
        input_digest: "sha256:feed".into(),
        engine: "docker-27".into(),
        end_reason: EndReason::Quiescent,
        end_time: SimTime(100 * S),
        events_handled: 1234,
        task_events: Default::default(),
        names: Default::default(),
        timeline: Default::default(),
        services: Vec::new(),
        actions: Vec::new(),
        outputs: Vec::new(),
        secret_mounts: Vec::new(),
        serving: Default::default(),
        requests: Vec::new(),
        image_changes: Vec::new(),
        routes: Vec::new(),
        containers: Default::default(),
        reservations: None,
        strategies: Vec::new(),
        decisions: Vec::new(),
        decisions_dropped: 0,
        nodes: Vec::new(),
        node_events: Vec::new(),
        process_events: Default::default(),
        figures_only: false,
    }
}

/// A task event of `web_web` slot 3 on `node-1` (add it with [`RunRecord::push_event`]).
pub(crate) fn task_event(t: u64, desired: TaskState, state: TaskState, message: &str) -> EventView<'_> {
    EventView {
        t: SimTime(t),
        service: "web_web",
        task_id: "abc123",
        slot: 3,
        node: "node-1",
        image: "web:2",
        desired_state: desired,
        state,
        message,
    }
}

/// A sample where only `desired` and `serving` matter.
pub(crate) fn sample(service: &str, t: u64, desired: u64, serving: u64) -> TimelineSample {
    TimelineSample {
        t: SimTime(t),
        service: service.into(),
        desired,
        running_old: 0,
        running_new: 0,
        healthy_old: 0,
        healthy_new: 0,
        starting: 0,
        stopping: 0,
        serving,
        update_state: "",
    }
}

/// A service that never updated.
pub(crate) fn service(name: &str, desired: u64) -> ServiceRecord {
    ServiceRecord {
        name: name.into(),
        desired_replicas: desired,
        update: UpdateRecord::default(),
        previous_updates: Vec::new(),
        status_changes: Vec::new(),
        status_resets: Vec::new(),
        created_at: SimTime::ZERO,
        removed_at: None,
    }
}

/// An update of 10 tasks, all replaced, that started at 30.050 s and completed at `completed_at`
/// (nanoseconds), with Docker's two status changes.
pub(crate) fn completed_update(completed_at: u64) -> UpdateRecord {
    let change = |t: u64, state, message: &str| StatusChange { t: SimTime(t), state, message: message.into() };
    UpdateRecord {
        state: Some(UpdateState::Completed),
        message: "update completed".into(),
        started_at: Some(SimTime(30 * S + 50 * MS)),
        completed_at: Some(SimTime(completed_at)),
        tasks_replaced: 10,
        updater_tasks: Vec::new(),
        failures: 0,
        slots_updated: 10,
        slots_rolled_back: 0,
        restart_tasks: 0,
        task_failures: 0,
        rollback_started_at: None,
        status_changes: vec![
            change(30 * S + 50 * MS, UpdateState::Updating, "update in progress"),
            change(completed_at, UpdateState::Completed, "update completed"),
        ],
    }
}
