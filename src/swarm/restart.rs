//! The restart supervisor's decisions, mirroring swarmkit's
//! `manager/orchestrator/restart/restart.go` (`shouldRestart`, `RecordRestartHistory`,
//! `DelayStart`'s timing) and the trigger in `replicated/tasks.go: handleTaskChange`.

use std::collections::VecDeque;

use crate::model::spec::{RestartCondition, RestartPolicy};
use crate::model::task::{SpecVersion, TaskState};
use crate::time::{SimDuration, SimTime};

/// `handleTaskChange`: a task needs restarting when it should be running but has stopped, or
/// its node is gone (down, drained, deleted).
pub fn needs_restart(desired: TaskState, observed: TaskState, node_invalid: bool) -> bool {
    desired <= TaskState::Running && (observed > TaskState::Running || node_invalid)
}

/// Restart history of one slot (replicated) or node (global): `restartedInstances` and
/// `totalRestarts` in swarmkit, kept only when `max_attempts > 0`.
#[derive(Clone, Debug, Default)]
pub struct RestartHistory {
    spec_version: Option<SpecVersion>,
    total_restarts: u64,
    /// Creation times of the replacements made, oldest first.
    restarts: VecDeque<SimTime>,
}

impl RestartHistory {
    /// `shouldRestart` for a task of `spec_version` (the failed task's own) that ended in
    /// `state` at `now`. The history counts the replacements of one spec version; a task of
    /// another version than the history's (an old task failing after an update began) is
    /// restarted without counting — the history is reset only when a replacement of another
    /// version is recorded.
    pub fn should_restart(
        &mut self,
        policy: &RestartPolicy,
        spec_version: SpecVersion,
        state: TaskState,
        now: SimTime,
    ) -> bool {
        let condition_allows = match policy.condition {
            RestartCondition::None => false,
            // A task that completed (exit 0) is not restarted under on-failure.
            RestartCondition::OnFailure => state != TaskState::Complete,
            RestartCondition::Any => true,
        };
        if !condition_allows {
            return false;
        }
        if policy.max_attempts == 0 {
            return true;
        }
        if self.spec_version != Some(spec_version) {
            return true;
        }
        if policy.window == SimDuration::ZERO {
            return self.total_restarts < policy.max_attempts;
        }
        // Restarts whose replacement was created in [now - window, now).
        let lookback = SimTime(now.0.saturating_sub(policy.window.as_nanos()));
        while self.restarts.front().is_some_and(|&t| t < lookback) {
            self.restarts.pop_front();
        }
        (self.restarts.len() as u64) < policy.max_attempts
    }

    /// `RecordRestartHistory`: a replacement was created at `now`.
    pub fn record(&mut self, policy: &RestartPolicy, spec_version: SpecVersion, now: SimTime) {
        if policy.max_attempts == 0 {
            return;
        }
        if self.spec_version != Some(spec_version) {
            self.spec_version = Some(spec_version);
            self.total_restarts = 0;
            self.restarts.clear();
        }
        self.total_restarts += 1;
        self.restarts.push_back(now);
    }
}

/// `Restart`'s delay: the policy's delay, but none when the old task's node is drained.
pub fn restart_delay(policy: &RestartPolicy, node_drained: bool) -> SimDuration {
    if node_drained { SimDuration::ZERO } else { policy.delay }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(condition: RestartCondition, max_attempts: u64, window_s: u64) -> RestartPolicy {
        RestartPolicy {
            condition,
            delay: SimDuration::from_secs(5),
            max_attempts,
            window: SimDuration::from_secs(window_s),
        }
    }

    #[test]
    fn conditions() {
        let mut h = RestartHistory::default();
        let v = SpecVersion(1);
        assert!(!h.should_restart(&policy(RestartCondition::None, 0, 0), v, TaskState::Failed, SimTime::ZERO));
        assert!(!h.should_restart(&policy(RestartCondition::OnFailure, 0, 0), v, TaskState::Complete, SimTime::ZERO));
        assert!(h.should_restart(&policy(RestartCondition::OnFailure, 0, 0), v, TaskState::Failed, SimTime::ZERO));
        assert!(h.should_restart(&policy(RestartCondition::Any, 0, 0), v, TaskState::Complete, SimTime::ZERO));
    }

    #[test]
    fn max_attempts_without_window_counts_all_restarts_and_resets_on_new_spec() {
        let p = policy(RestartCondition::Any, 3, 0);
        let mut h = RestartHistory::default();
        let v1 = SpecVersion(1);
        for i in 0..3 {
            assert!(h.should_restart(&p, v1, TaskState::Failed, SimTime(i)));
            h.record(&p, v1, SimTime(i));
        }
        assert!(!h.should_restart(&p, v1, TaskState::Failed, SimTime(10)), "1 run + 3 restarts");
        assert!(h.should_restart(&p, SpecVersion(2), TaskState::Failed, SimTime(11)), "an update resets the count");
    }

    #[test]
    fn window_counts_only_recent_restarts() {
        let p = policy(RestartCondition::Any, 2, 60);
        let mut h = RestartHistory::default();
        let v = SpecVersion(0);
        let s = |x: u64| SimTime(x * 1_000_000_000);
        h.record(&p, v, s(0));
        h.record(&p, v, s(30));
        assert!(!h.should_restart(&p, v, TaskState::Failed, s(59)));
        assert!(h.should_restart(&p, v, TaskState::Failed, s(61)), "the restart at 0 s left the window");
    }

    #[test]
    fn trigger() {
        assert!(needs_restart(TaskState::Running, TaskState::Failed, false));
        assert!(needs_restart(TaskState::Running, TaskState::Running, true));
        assert!(!needs_restart(TaskState::Shutdown, TaskState::Shutdown, false));
        assert!(!needs_restart(TaskState::Running, TaskState::Running, false));
    }
}
