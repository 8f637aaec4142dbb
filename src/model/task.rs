//! Tasks and their states, numbered as in swarmkit's `api.TaskState` so that "greater" means
//! "later" and comparisons read like the Go code (`state > RUNNING`).

use std::fmt;

/// swarmkit's task states (`api/types.proto: TaskState`), in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaskState {
    /// Created by the orchestrator.
    New = 0,
    /// Waiting for the scheduler.
    Pending = 64,
    /// Placed on a node.
    Assigned = 192,
    /// Picked up by the node's agent.
    Accepted = 256,
    /// Pulling the image and creating the container.
    Preparing = 320,
    /// Prepared; held here until desired state is RUNNING.
    Ready = 384,
    /// Container started; waiting for the first healthy probe when there is a health check.
    Starting = 448,
    /// Running (and healthy, when there is a health check).
    Running = 512,
    /// Exited 0.
    Complete = 576,
    /// Stopped because desired state went to SHUTDOWN.
    Shutdown = 640,
    /// Failed after starting (non-zero exit, unhealthy).
    Failed = 704,
    /// Failed before starting (pull or create error).
    Rejected = 768,
    /// Desired state only: removed by scale-down or service removal.
    Remove = 800,
    /// Its node has been down too long.
    Orphaned = 832,
}

impl TaskState {
    /// The lowercase name `docker service ps` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::New => "new",
            TaskState::Pending => "pending",
            TaskState::Assigned => "assigned",
            TaskState::Accepted => "accepted",
            TaskState::Preparing => "preparing",
            TaskState::Ready => "ready",
            TaskState::Starting => "starting",
            TaskState::Running => "running",
            TaskState::Complete => "complete",
            TaskState::Shutdown => "shutdown",
            TaskState::Failed => "failed",
            TaskState::Rejected => "rejected",
            TaskState::Remove => "remove",
            TaskState::Orphaned => "orphaned",
        }
    }

    /// True once the task can never run again (COMPLETE and later).
    pub fn is_terminal(self) -> bool {
        self > TaskState::Running
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Index of a task in the world's task table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub u32);

/// Index of a node in the world's node table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// Index of a service in the world's service table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceId(pub u32);

/// Index of a spec version in a service's spec history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpecVersion(pub u32);

/// Task ids [`TaskId::write_docker_id`] keeps per thread (100 KB when all are made).
const CACHED_DOCKER_IDS: usize = 4096;

/// Characters of a task's Docker id (lowercase letters and digits).
pub const DOCKER_ID_LEN: usize = 25;

impl TaskId {
    /// A 25-character id in Docker's alphabet, derived from the index (stable across runs, so
    /// reports diff cleanly).
    pub fn docker_id(self) -> String {
        let mut out = String::with_capacity(DOCKER_ID_LEN);
        self.write_docker_id(&mut out);
        out
    }

    /// Appends [`TaskId::docker_id`] to `out` (the run's name table packs the ids it names).
    /// The ids of the first [`CACHED_DOCKER_IDS`] tasks are made once per thread and copied:
    /// a sweep's runs name the same first tasks again and again.
    pub fn write_docker_id(self, out: &mut String) {
        thread_local! {
            static IDS: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        let index = self.0 as usize;
        if index >= CACHED_DOCKER_IDS {
            return self.make_docker_id(out);
        }
        IDS.with_borrow_mut(|ids| {
            while ids.len() < (index + 1) * DOCKER_ID_LEN {
                TaskId((ids.len() / DOCKER_ID_LEN) as u32).make_docker_id(ids);
            }
            out.push_str(&ids[index * DOCKER_ID_LEN..(index + 1) * DOCKER_ID_LEN]);
        });
    }

    fn make_docker_id(self, out: &mut String) {
        const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        let mut x = (self.0 as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5851_F42D_4C95_7F2D;
        for _ in 0..DOCKER_ID_LEN {
            out.push(ALPHABET[(x % 36) as usize] as char);
            x = (x / 36) ^ x.rotate_left(29).wrapping_mul(0x2545_F491_4F6C_DD1D);
        }
    }
}
