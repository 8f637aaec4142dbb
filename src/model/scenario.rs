//! The validated scenario: everything a run needs, with every default resolved and every value
//! already checked, so the simulation never meets invalid input.

use std::collections::BTreeMap;

use crate::model::cluster::{Availability, NodeSpec};
use crate::model::image::ImageBehavior;
use crate::model::spec::{FailureAction, ServiceSpec, UpdateOrder};
use crate::rng::Dist;
use crate::time::{SimDuration, SimTime};

/// Which Docker Engine's behaviour to reproduce where versions differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineVersion {
    /// Docker 20.10 (API 1.41): no health `start_interval`; the shared traces' engine.
    V20_10,
    /// Docker 27 and later: `start_interval` supported, default 5 s.
    V27,
}

impl EngineVersion {
    /// The spelling used in scenarios and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EngineVersion::V20_10 => "20.10",
            EngineVersion::V27 => "27",
        }
    }

    /// Whether the daemon honours `start_interval` (API ≥ 1.44, Engine ≥ 25).
    pub fn supports_start_interval(self) -> bool {
        matches!(self, EngineVersion::V27)
    }

    /// The probe interval inside the start period when `start_interval` is unset: `interval`
    /// before Engine 27 (returns `None`), 5 s from 27.0 (moby commit c514952774).
    pub fn default_start_interval(self) -> Option<SimDuration> {
        match self {
            EngineVersion::V20_10 => None,
            EngineVersion::V27 => Some(SimDuration::from_secs(5)),
        }
    }
}

/// How Swarm's races resolve. Real Swarm leaves several orders to chance: the slots an update
/// takes come from a Go map (`updatableAndDeadSlots`), so does the order of a dispatcher batch's
/// status updates and of the scheduler's equally good nodes, and when one batch ends a task
/// that both the updater and the restart supervisor act on, whichever goroutine commits first
/// wins (the s05 traces took both paths).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Races {
    /// As in Swarm: at random, drawn from the seed (the same seed still gives the same bytes).
    #[default]
    Random,
    /// A fixed, readable order for teaching: slots in ascending order, the first node among
    /// equals, a batch's updates in arrival order, the updater before the restart supervisor,
    /// and a stop or an exit reported after `stop_report`'s or `exit_report`'s typical value
    /// (drawn otherwise, see there).
    /// Every seed then takes the same path through each race. (Which slots a scale-down removes
    /// is not drawn yet in either mode: running slots first, then the lowest; see m08.)
    Fixed,
}

impl Races {
    /// The spelling used in scenarios.
    pub fn as_str(self) -> &'static str {
        match self {
            Races::Random => "random",
            Races::Fixed => "fixed",
        }
    }
}

/// swarmkit's default `TaskHistoryRetentionLimit` (`docker swarm init`'s `--task-history-limit`).
pub const DEFAULT_TASK_HISTORY_LIMIT: i64 = 5;

/// `restart.Supervisor.TaskTimeout` (`defaultOldTaskTimeout`): how long a delayed start waits
/// for the old task to stop before starting the new one anyway.
pub const OLD_TASK_TIMEOUT: SimDuration = SimDuration::from_secs(60);

/// Control-plane and agent latencies. Defaults are measured on the Docker 20.10 traces in
/// `tests/data/fidelity` (see each field); all may be overridden or made random.
#[derive(Clone, Debug, PartialEq)]
pub struct Latencies {
    /// Agent state change → the report reaches the dispatcher (the traces' smallest lag
    /// between a task's own timestamp and its commit is 1–4 ms).
    pub status_report: Dist,
    /// The dispatcher's batch interval (`maxBatchInterval`, 100 ms): reports commit together at
    /// its ticks, whose phase is drawn from the seed (traces: commits 100–110 ms apart).
    /// Zero commits each report as it arrives.
    pub status_batch: SimDuration,
    /// The node's assignments batch is sent → its agent sees the changes (a task assigned,
    /// a desired state changed, a task deleted). The batch itself goes out 100 ms after the
    /// latest change to the node's set (swarmkit `Assignments`' `batchingWaitTime`, modelled
    /// by the dispatcher, not a latency): recorded m09b, ASSIGNED → PREPARING 106–109 ms, and
    /// desired RUNNING → STARTING 101–104 ms in every recorded step of s01, s05, s20, s22,
    /// s28b, s29, m03 = the batch wait + this + `start_begin`.
    pub dispatch: Dist,
    /// NEW → PENDING (allocator).
    pub allocate: Dist,
    /// PENDING → ASSIGNED (scheduler debounce).
    pub schedule: Dist,
    /// PREPARING → READY for an image the node already has: Swarm always tries to pull (in the
    /// recording lab the registry lookup fails at once: "pulling image failed" 11 ms after
    /// PREPARING in the debug logs of 2026-12-07l), then creates the container. Recorded
    /// PREPARING → READY over 322 single-node tasks: median 54 ms (10–90 %: 37–118 ms). Was
    /// 190 ms, the whole ASSIGNED → READY of an earlier split; with the assignments batch in
    /// front of it that put READY 0.14 s late, and a desired RUNNING that reached the agent within
    /// that window cancelled a `Prepare` real Swarm had already finished (s22, s22b).
    pub pull_cached: Dist,
    /// Desired SHUTDOWN reaching the agent → SIGTERM of a container the agent is waiting on.
    /// Most of it is swarmkit's task manager (`agent/task.go`): the new desired state cancels the
    /// operation in flight (`Wait` on a running container, `Start` waiting for health), `exec.Do`
    /// turns the cancellation into `ErrTaskRetry`, and the task manager runs `Do` again a fixed
    /// second later (`time.AfterFunc(time.Second)`), which now calls `controller.Shutdown`.
    /// Traces: 1.17–1.43 s after the desired SHUTDOWN in stop-first steps, whose replacement is
    /// placed on the same node 50 ms later and so is sent with it, 150 ms after the SHUTDOWN (the
    /// node's assignments batch); m09b, agent side (SIGTERM − the batch sent): 1.017–1.090 s,
    /// median 1.027 s over nine steps, one of them (r3, 24.36 s) with its replacement on another
    /// node, its SHUTDOWN sent alone 100 ms after it and its SIGTERM 1.020 s after that.
    pub stop_signal: Dist,
    /// Unhealthy → SIGTERM (traces: 20–40 ms).
    pub unhealthy_kill: Dist,
    /// A container's process exits on its own (a crash, a clean exit, the kill after an
    /// unhealthy verdict) → the agent reports the task's final state: moby's controller `Wait`
    /// returns on the `die` event. Traces: Status.Timestamp − `die` over the 537 failed or
    /// complete tasks of 61 single-node runs (16 scenarios) whose container exited on its own or
    /// after an unhealthy verdict: median 70 ms, quartiles 58 / 85 ms (10–90 %: 49–107 ms), so a
    /// log-normal of median 70 ms and σ = ln(85 / 58) / 1.349 ≈ 0.28. Drawn, not fixed, because
    /// the report then waits for the dispatcher's next status batch and only that batch's
    /// commit makes the restart supervisor create the replacement: with every latency of a
    /// crash loop fixed, each cycle is the same whole number of 100 ms batches and each report
    /// lands at the same point of the batch, 2 ms after one (s34, s37, s38: FAILED → replacement
    /// 100 ms in every cycle, 2.600 s cycles) or just before one (s20, s39: 6–7 ms), where the
    /// recordings' gap is spread over the batch (run medians 30–84 ms, pooled median about 50;
    /// `tests/data/fidelity/observations.md` § 14). `races: fixed` takes the median.
    pub exit_report: Dist,
    /// A container the agent stopped has exited → the task is reported SHUTDOWN: moby's
    /// `ContainerStop` returns once the daemon has cleaned the container up (its `stop` event,
    /// after `die`), and only then does the controller's `Shutdown` return. Traces:
    /// Status.Timestamp − `die` over 427 shut-down tasks of 44 single-node recordings: median
    /// 92 ms, quartiles 71 / 123 ms (10–90 %: 59–196 ms), so a log-normal of median 92 ms and
    /// σ = ln(123 / 71) / 1.349 ≈ 0.41 (its mean, 100 ms, is the fixed value it replaces).
    /// Drawn, not fixed, because the spread decides a race: a stop-first step's old task stops
    /// ≈ 1.3 s after the updater created its replacement at a dispatcher commit, i.e. within a
    /// few ms of the 13th batch after it, and whether SHUTDOWN makes that batch or waits for the
    /// 14th decides when the new task starts. Recorded (s29, 28 steps): 13 batches in 18, 14 in
    /// 10; a fixed 100 ms made it 14 in every step of every seed, which put s29's last update
    /// step a batch behind the first crash's restart: 94 % of seeds 1..200 paused, against 3
    /// of 7 recorded runs (`tests/data/fidelity/recording-2026-12-07j.md`).
    pub stop_report: Dist,
    /// Desired RUNNING reaching the agent → STARTING (traces: desired RUNNING → STARTING
    /// 101–104 ms in every recorded step of s01, s05, s20, s22, s28b, s29, m03 = the node's
    /// assignments batch, 100 ms, + `dispatch` + this).
    pub start_begin: Dist,
    /// Duration of one health probe (traces: probes end ~70 ms after they start).
    pub probe: Dist,
    /// A committed service change (a rollback) → the orchestrator reconciles it (traces: the
    /// rollback's first task 1–3 ms after `rollback_started`).
    pub reconcile: Dist,
    /// Time the agent spends on one task operation before the next (it handles them one at a
    /// time; traces: simultaneous SIGTERMs on one node land 10–20 ms apart).
    pub agent_step: Dist,
    /// Extra delay before one watcher of the manager's store (the updater, the orchestrator)
    /// sees a committed batch of task statuses; drawn separately for each. When both draws are
    /// equal (the default, 0), which acts first is a race (`races`).
    pub watch: Dist,
    /// `docker kill` (SIGKILL) → the container's process is dead (traces s24: 23–32 ms).
    pub container_kill: Dist,
    /// How long a `DelayStart` waits for the task it replaces to stop before starting the new
    /// one anyway (swarmkit's `defaultOldTaskTimeout`, 60 s).
    pub old_task_timeout: Dist,
    /// A docker command is typed → it takes effect in the manager or daemon (the CLI's round
    /// trip; traces: UpdateStatus `updating` 22–258 ms after the command, median 41 ms over 61
    /// recorded commands).
    pub command: Dist,
    /// A killed dockerd started again → it has loaded its containers and stops those left
    /// running (traces m09: SIGTERM 0.13–0.40 s after the start).
    pub daemon_restore: Dist,
    /// A killed dockerd started again → its agent has registered and the node is READY (traces
    /// m09: 0.59–1.08 s) when it had nothing to stop while loading. moby starts the cluster only
    /// after `restore`, which waits for the containers it stops: READY is the later of this
    /// after the start and this less `daemon_restore` after the last of them exits (recorded
    /// READY − last `die`: 0.37–0.86 s over m09–m17, stops of 0.1 s and of 10 s alike).
    pub daemon_register: Dist,
    /// The agent hears that the manager deleted a task → its container is removed (`docker
    /// events` `destroy`). Traces s20 r1–r2: `destroy` 0.354–0.414 s after the task creation
    /// that took its slot past the history limit (median 0.37 s; two outliers of 0.73 and
    /// 0.97 s), which is the reaper's 250 ms timer, the node's assignments batch (100 ms),
    /// `dispatch`, then this.
    pub container_remove: Dist,
    /// How much one container's start varies around its image's fixed `start`: the standard
    /// deviation of the log of a factor drawn for each start (a log-normal of median 1). dockerd's
    /// own part of a start (network sandbox, mounts, runc) is not the same twice: in the
    /// single-node recordings (s01–s40, 690 starts), STARTING → the `start` event divided by its
    /// run's median for that image is 0.82–1.26 (10–90 %), 0.76–1.37 (5–95 %): σ ≈ 0.17. Off by
    /// default (every start exact, so every seed gives the same timings and only races differ):
    /// with 0.17, two tasks started together drift apart as they do for real and races decided
    /// by those gaps take their recorded mix of paths (s05: one dispatcher batch or two), but each
    /// task's own times are off the median, which a long crash loop accumulates (observations
    /// § 10). An image whose `start` is itself a distribution is drawn from that alone.
    pub start_spread: f64,
}

impl Latencies {
    /// Values measured on the Docker 20.10 single-node traces.
    pub fn calibrated() -> Latencies {
        let ms = |n| Dist::Fixed(SimDuration::from_millis(n));
        Latencies {
            status_report: ms(2),
            status_batch: SimDuration::from_millis(100),
            dispatch: ms(2),
            allocate: ms(1),
            schedule: ms(50),
            pull_cached: ms(50),
            stop_signal: ms(1025),
            unhealthy_kill: ms(30),
            exit_report: Dist::LogNormal { median: SimDuration::from_millis(70), sigma: 0.28 },
            stop_report: Dist::LogNormal { median: SimDuration::from_millis(92), sigma: 0.41 },
            start_begin: ms(1),
            probe: ms(70),
            watch: ms(0),
            agent_step: ms(25),
            reconcile: ms(2),
            container_kill: ms(25),
            old_task_timeout: Dist::Fixed(OLD_TASK_TIMEOUT),
            command: ms(40),
            daemon_restore: ms(270),
            daemon_register: ms(840),
            container_remove: ms(18),
            start_spread: 0.0,
        }
    }
}

/// Changes `docker service update` flags make to an update or rollback config.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpdateConfigPatch {
    /// `--update-parallelism`
    pub parallelism: Option<u64>,
    /// `--update-delay`
    pub delay: Option<SimDuration>,
    /// `--update-monitor`
    pub monitor: Option<SimDuration>,
    /// `--update-failure-action`
    pub failure_action: Option<FailureAction>,
    /// `--update-max-failure-ratio`
    pub max_failure_ratio: Option<f32>,
    /// `--update-order`
    pub order: Option<UpdateOrder>,
}

impl UpdateConfigPatch {
    /// Sets the flags given on `config` (`docker service update` and `create` alike).
    pub fn apply_to(&self, config: &mut crate::model::spec::UpdateConfig) {
        if let Some(p) = self.parallelism {
            config.parallelism = p;
        }
        if let Some(d) = self.delay {
            config.delay = d;
        }
        if let Some(m) = self.monitor {
            // The API drops a zero monitor, so swarmkit falls back to its 5 s default.
            config.monitor = if m.as_nanos() == 0 { crate::model::spec::UpdateConfig::default().monitor } else { m };
        }
        if let Some(a) = self.failure_action {
            config.failure_action = a;
        }
        if let Some(r) = self.max_failure_ratio {
            config.max_failure_ratio = r;
        }
        if let Some(o) = self.order {
            config.order = o;
        }
    }
}

/// The flags of one `docker service update`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceUpdate {
    /// `--image`
    pub image: Option<String>,
    /// `--update-*`
    pub update: UpdateConfigPatch,
    /// `--rollback-*`
    pub rollback: UpdateConfigPatch,
    /// `--force`
    pub force: bool,
    /// `--replicas`
    pub replicas: Option<u64>,
    /// `--secret-add`
    pub secret_add: Vec<crate::model::secret::SecretRef>,
    /// `--secret-rm` (names)
    pub secret_rm: Vec<String>,
    /// `--stop-grace-period`
    pub stop_grace_period: Option<SimDuration>,
    /// `--rollback`: the same as `docker service rollback` (no other flag may be combined).
    pub rollback_now: bool,
    /// `--label-add KEY=VALUE` (service labels: no task is replaced).
    pub label_add: Vec<(String, String)>,
    /// `--label-rm KEY`.
    pub label_rm: Vec<String>,
    /// `--constraint-add KEY==VALUE` (added, then `--constraint-rm` applied, then sorted, as
    /// docker/cli's `updatePlacementConstraints` does).
    pub constraint_add: Vec<crate::model::spec::Constraint>,
    /// `--constraint-rm KEY==VALUE`: removes that exact constraint.
    pub constraint_rm: Vec<crate::model::spec::Constraint>,
    /// `--log-driver NAME` (part of the task spec: tasks are replaced).
    pub log_driver: Option<String>,
    /// `--log-opt KEY=VALUE`.
    pub log_opt: Vec<(String, String)>,
    /// `--health-*` and `--no-healthcheck` (docker/cli `updateHealthcheck`).
    pub health: HealthPatch,
    /// The other flags that change the task spec but nothing the simulation reads
    /// (`--env-add`, `--mount-add`, `--user`, …), in command-line order: each still makes the
    /// tasks dirty, which is their observable effect.
    pub task_edits: Vec<TaskEdit>,
    /// `--publish-add` (in command-line order).
    pub publish_add: Vec<PublishedPort>,
    /// `--publish-rm`: the ports removed, by target port and protocol.
    pub publish_rm: Vec<PublishedPort>,
    /// `--reserve-cpu`, `--reserve-memory`, `--limit-cpu`, `--limit-memory`.
    pub resources: ResourcesPatch,
    /// `--placement-pref-add spread=D`: spread descriptors appended (after the removals).
    pub pref_add: Vec<String>,
    /// `--placement-pref-rm spread=D`: spread descriptors removed.
    pub pref_rm: Vec<String>,
    /// `--restart-condition`, `--restart-delay`, `--restart-max-attempts`, `--restart-window`.
    pub restart: RestartPatch,
    /// `--network-add NAME` (or `name=NAME,alias=…`): networks the tasks join, each as the
    /// service's spec names it (a stack's own networks by their key under `networks:`) and as
    /// typed (for Docker's messages).
    pub network_add: Vec<(String, String)>,
    /// `--network-rm NAME`: networks the tasks leave (removals first, as docker/cli does).
    pub network_rm: Vec<String>,
}

/// `--restart-condition|-delay|-max-attempts|-window`: docker/cli `updateService` replaces
/// each field whose flag is given and keeps the others (`docker service create` starts from
/// swarmkit's defaults).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RestartPatch {
    /// `--restart-condition none|on-failure|any`.
    pub condition: Option<crate::model::spec::RestartCondition>,
    /// `--restart-delay`.
    pub delay: Option<SimDuration>,
    /// `--restart-max-attempts` (0: unlimited).
    pub max_attempts: Option<u64>,
    /// `--restart-window`.
    pub window: Option<SimDuration>,
}

impl RestartPatch {
    /// No flag given.
    pub fn is_empty(&self) -> bool {
        *self == RestartPatch::default()
    }

    /// Each flag given replaces that field of the policy.
    pub fn apply_to(&self, r: &mut crate::model::spec::RestartPolicy) {
        if let Some(c) = self.condition {
            r.condition = c;
        }
        if let Some(d) = self.delay {
            r.delay = d;
        }
        if let Some(n) = self.max_attempts {
            r.max_attempts = n;
        }
        if let Some(w) = self.window {
            r.window = w;
        }
    }
}

/// `--health-cmd|-interval|-timeout|-retries|-start-period|-start-interval` and
/// `--no-healthcheck` of one `docker service update`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HealthPatch {
    /// `--no-healthcheck`.
    pub disable: bool,
    /// `--health-cmd` (empty: the test is cleared, the image's applies).
    pub cmd: Option<String>,
    /// `--health-interval`.
    pub interval: Option<SimDuration>,
    /// `--health-timeout`.
    pub timeout: Option<SimDuration>,
    /// `--health-retries`.
    pub retries: Option<u32>,
    /// `--health-start-period`.
    pub start_period: Option<SimDuration>,
    /// `--health-start-interval`.
    pub start_interval: Option<SimDuration>,
}

impl HealthPatch {
    /// Whether any `--health-*` flag (other than `--no-healthcheck`) was given.
    pub fn sets_any(&self) -> bool {
        self.cmd.is_some()
            || self.interval.is_some()
            || self.timeout.is_some()
            || self.retries.is_some()
            || self.start_period.is_some()
            || self.start_interval.is_some()
    }
}

/// One change to a part of the task spec the simulator keeps only for dirtiness
/// (`TaskSpec::extra`): a keyed entry of a list (`--env-add A=1` sets entry `A` of `env`) or a
/// single value (`--user 1000`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskEdit {
    /// Adds or replaces the entry `key` of the list `field` with `value`.
    Put {
        /// `env`, `container-label`, `mount`, `config`, `placement-pref`.
        field: &'static str,
        /// What identifies the entry (the variable's name, the mount's target, …).
        key: String,
        /// The whole entry as given.
        value: String,
    },
    /// Removes the entry `key` of the list `field` (nothing if there is none).
    Remove {
        /// As in `Put`.
        field: &'static str,
        /// As in `Put`.
        key: String,
    },
    /// Sets a single-valued setting (`args`, `user`, `workdir`, `stop-signal`, `reserve-cpu`, …).
    Set {
        /// The flag's name.
        field: &'static str,
        /// Its value as given.
        value: String,
    },
}

impl TaskEdit {
    /// Applies the edit to a task spec's `extra` map (entries are named `cli.<field>` and
    /// `cli.<field>.<key>`, apart from the stack file's keys).
    pub fn apply(&self, extra: &mut BTreeMap<String, String>) {
        match self {
            TaskEdit::Put { field, key, value } => {
                extra.insert(format!("cli.{field}.{key}"), value.clone());
            }
            TaskEdit::Remove { field, key } => {
                extra.remove(&format!("cli.{field}.{key}"));
            }
            TaskEdit::Set { field, value } => {
                extra.insert(format!("cli.{field}"), value.clone());
            }
        }
    }
}

/// docker/cli `updatePorts`: ports removed by target port and protocol, then added (one per
/// target and protocol). An ingress port attaches the task to the `ingress` network (its
/// stops wait the gossip delay); a host-mode port is held on the task's node.
pub fn apply_ports(
    task: &mut crate::model::spec::TaskSpec,
    add: &[crate::model::scenario::PublishedPort],
    rm: &[crate::model::scenario::PublishedPort],
) {
    if add.is_empty() && rm.is_empty() {
        return;
    }
    for p in rm {
        if let Some(shown) = task.extra.remove(&format!("cli.publish.{}", p.key()))
            && let Some((published, rest)) = shown.split_once(':')
            && rest.ends_with(",host")
            && let Ok(n) = published.parse::<u64>()
        {
            task.host_ports.retain(|&h| h != n);
        }
    }
    for p in add {
        task.extra.insert(format!("cli.publish.{}", p.key()), p.shown());
        if p.host_mode && !task.host_ports.contains(&u64::from(p.published)) {
            task.host_ports.push(u64::from(p.published));
        }
    }
    let cli_ingress = task.extra.iter().any(|(k, v)| k.starts_with("cli.publish.") && !v.ends_with(",host"));
    let stack_ingress = task.extra.contains_key("ports");
    let on_ingress = task.networks.iter().any(|n| n == "ingress");
    if cli_ingress && !on_ingress {
        task.networks.push("ingress".to_string());
        task.networks.sort();
    } else if !cli_ingress && !stack_ingress && on_ingress {
        task.networks.retain(|n| n != "ingress");
    }
}

/// A published port (`--publish`, `--publish-add`; docker/cli `opts/swarmopts/port.go`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedPort {
    /// The container's port.
    pub target: u16,
    /// The port published on the swarm (0: none, Swarm picks one).
    pub published: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// `mode=host`: published on the task's own node, not through the routing mesh.
    pub host_mode: bool,
}

impl PublishedPort {
    /// How the port is kept in `TaskSpec::extra` (keyed by target and protocol, as
    /// `--publish-rm` removes it).
    pub fn key(&self) -> String {
        format!("{}/{}", self.target, self.protocol)
    }

    /// As `docker service inspect` would show it: `8080:80/tcp` (`host` appended in host mode).
    pub fn shown(&self) -> String {
        let mode = if self.host_mode { ",host" } else { "" };
        format!("{}:{}/{}{mode}", self.published, self.target, self.protocol)
    }
}

/// `--reserve-cpu` / `--reserve-memory` / `--limit-cpu` / `--limit-memory`: the amounts given
/// (nano-CPUs, bytes; 0 clears one, as docker's flags do).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResourcesPatch {
    /// `--reserve-cpu`.
    pub reserve_cpu: Option<u64>,
    /// `--reserve-memory`.
    pub reserve_memory: Option<u64>,
    /// `--limit-cpu`.
    pub limit_cpu: Option<u64>,
    /// `--limit-memory`.
    pub limit_memory: Option<u64>,
}

impl ResourcesPatch {
    /// No flag given.
    pub fn is_empty(&self) -> bool {
        *self == ResourcesPatch::default()
    }

    /// docker/cli `updateResources`: each flag given replaces that amount.
    pub fn apply_to(&self, r: &mut crate::model::spec::ResourceRequirements) {
        if let Some(n) = self.reserve_cpu {
            r.reservations.nano_cpus = n;
        }
        if let Some(n) = self.reserve_memory {
            r.reservations.memory_bytes = n;
        }
        if let Some(n) = self.limit_cpu {
            r.limits.nano_cpus = n;
        }
        if let Some(n) = self.limit_memory {
            r.limits.memory_bytes = n;
        }
    }
}

impl ServiceUpdate {
    /// Whether the update changes what tasks run (and so replaces them): a change of labels,
    /// replicas or update configs alone does not.
    pub fn touches_tasks(&self) -> bool {
        self.image.is_some()
            || self.force
            || !self.secret_add.is_empty()
            || !self.secret_rm.is_empty()
            || self.stop_grace_period.is_some()
            || !self.constraint_add.is_empty()
            || !self.constraint_rm.is_empty()
            || self.log_driver.is_some()
            || !self.log_opt.is_empty()
            || self.health.disable
            || self.health.sets_any()
            || !self.task_edits.is_empty()
            || !self.publish_add.is_empty()
            || !self.publish_rm.is_empty()
            || !self.resources.is_empty()
            || !self.pref_add.is_empty()
            || !self.pref_rm.is_empty()
            || !self.restart.is_empty()
            || !self.network_add.is_empty()
            || !self.network_rm.is_empty()
    }
}

/// One `docker stack deploy` of the timeline, its files read and converted when the scenario
/// is loaded (docker/cli `cli/command/stack/deploy_composefile.go`).
#[derive(Clone, Debug, PartialEq)]
pub struct StackDeploy {
    /// The stack (namespace): services are named `<stack>_<key>`.
    pub stack: String,
    /// The files, as given to `-c`.
    pub files: Vec<String>,
    /// Each service of the file as `docker stack deploy` converts it, in file order.
    pub services: Vec<ServiceSpec>,
    /// The file's top-level secrets (created when missing).
    pub secrets: Vec<crate::model::secret::SecretDef>,
    /// `--prune`: services of the stack that the file no longer has are removed.
    pub prune: bool,
    /// The services the scenario's own stack deployed at t = 0 when it is this stack (the
    /// namespace's members to start with; later deploys add theirs).
    pub initial_members: Vec<String>,
}

/// Something that happens at a point of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `docker service update [flags] SERVICE`
    ServiceUpdate {
        /// Full service name.
        service: String,
        /// The flags.
        update: Box<ServiceUpdate>,
    },
    /// `docker service create [flags] IMAGE`
    ServiceCreate {
        /// The new service's spec.
        spec: Box<ServiceSpec>,
    },
    /// `docker stack deploy -c FILE STACK`: each service of the file created or updated to its
    /// converted spec (see [`StackDeploy`]).
    StackDeploy(Box<StackDeploy>),
    /// `docker service rm SERVICE`
    ServiceRm {
        /// Full service name.
        service: String,
    },
    /// `docker service update --image …` under a blue-green or canary strategy (a timeline
    /// entry with `strategy:`): run by a controller from Swarm's own parts (see
    /// [`crate::strategy`]).
    Rollout {
        /// The service being rolled out (blue, or the stable one).
        service: String,
        /// The flags (at least `--image`).
        update: Box<ServiceUpdate>,
        /// How.
        strategy: Box<crate::model::strategy::Strategy>,
    },
    /// `docker service rollback SERVICE`
    ServiceRollback {
        /// Full service name.
        service: String,
    },
    /// `docker service scale SERVICE=N`
    ServiceScale {
        /// Full service name.
        service: String,
        /// New replica count.
        replicas: u64,
    },
    /// `docker node update --availability A NODE`
    NodeAvailability {
        /// Node name.
        node: String,
        /// New availability.
        availability: Availability,
    },
    /// `docker node update --label-add K=V --label-rm K NODE`: the node's labels change, and with
    /// them which services' constraints it meets.
    NodeLabels {
        /// Node name.
        node: String,
        /// `--label-add` (applied first).
        add: Vec<(String, String)>,
        /// `--label-rm` (each must exist: docker/cli refuses the command otherwise).
        rm: Vec<String>,
    },
    /// `docker node rm [--force] NODE`: the node leaves the swarm's store; its tasks are
    /// ORPHANED and replaced elsewhere, and its agent is refused from then on.
    NodeRm {
        /// Node name.
        node: String,
        /// `--force`: remove it even while it is READY.
        force: bool,
    },
    /// The node stops answering heartbeats (crash, network cut).
    NodeDown {
        /// Node name.
        node: String,
    },
    /// The node answers again.
    NodeUp {
        /// Node name.
        node: String,
    },
    /// `docker secret create NAME FILE|-`
    SecretCreate {
        /// The secret (its size measured from the file; the value itself is never kept).
        secret: crate::model::secret::SecretDef,
    },
    /// `docker secret rm NAME`
    SecretRm {
        /// Secret name.
        name: String,
    },
    /// `docker secret ls`: prints the list as Docker does at that instant.
    SecretLs,
    /// `docker secret inspect NAME`: prints the metadata (never the value).
    SecretInspect {
        /// Secret name.
        name: String,
    },
    /// Every pull fails for this long.
    RegistryOutage {
        /// Length of the outage.
        duration: SimDuration,
    },
    /// `docker kill [--signal S] CONTAINER` (also `docker container kill`): the container of a
    /// task gets a signal from outside Swarm, on its own node.
    ContainerKill {
        /// Full service name.
        service: String,
        /// Which task's container.
        target: ContainerRef,
        /// The signal.
        signal: KillSignal,
    },
    /// A `health:` timeline entry: from now on the container's health probes fail (or pass
    /// again), as `docker exec TASK touch /tmp/unhealthy` does to a check that tests a file.
    HealthProbes {
        /// Full service name.
        service: String,
        /// Which task's container.
        target: ContainerRef,
        /// Probes pass (true) or fail (false) from now on.
        pass: bool,
    },
    /// An `image:` timeline entry: the image behaves differently from now on.
    ImageChange {
        /// `name:tag`.
        image: String,
        /// What changes.
        patch: Box<crate::model::image::ImagePatch>,
    },
    /// `daemon_kill: NODE`: the node's dockerd (and its containerd) is killed; the containers
    /// keep running unwatched, the agent is gone.
    DaemonKill {
        /// Node name.
        node: String,
    },
    /// `daemon_start: NODE`: the node's dockerd starts again.
    DaemonStart {
        /// Node name.
        node: String,
    },
    /// `docker swarm update --task-history-limit N`: the task reaper keeps N tasks per slot
    /// from its next tick on.
    SwarmUpdate {
        /// The new limit (negative: never delete).
        task_history_limit: i64,
    },
}

impl Action {
    /// A docker command a person types (it takes effect after the CLI's round trip to the
    /// daemon, `latencies.command`), rather than a fault of the machines.
    pub fn is_command(&self) -> bool {
        !matches!(
            self,
            Action::NodeDown { .. }
                | Action::NodeUp { .. }
                | Action::RegistryOutage { .. }
                | Action::ImageChange { .. }
                | Action::HealthProbes { .. }
                | Action::DaemonKill { .. }
                | Action::DaemonStart { .. }
        )
    }
}

/// A task's container as a command names it: `SERVICE.SLOT` (replicated) or `SERVICE.NODE`
/// (global: one task per node).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerRef {
    /// The running task of a slot.
    Slot(u64),
    /// The running task of a global service on a node.
    Node(String),
}

/// The signals `docker kill` can send that the simulator models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillSignal {
    /// SIGKILL (the default): the process dies at once, exit 137.
    Kill,
    /// SIGTERM: the process does what its image does on SIGTERM.
    Term,
}

/// One timeline entry.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedAction {
    /// When it happens (at the earliest, with `jitter`).
    pub at: SimTime,
    /// It happens at a random instant in `[at, at + jitter)` (seeded): a person's command does
    /// not land at a chosen millisecond, e.g. relative to a container's health-probe cadence.
    pub jitter: SimDuration,
    /// What happens.
    pub action: Action,
    /// The text the user wrote (a docker command or a fault), for logs.
    pub text: String,
}

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Scenario name (the file stem), used for the report folder.
    pub name: String,
    /// Stack name: services are `<stack>_<service>`.
    pub stack: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// Nothing after this time is simulated.
    pub until: SimTime,
    /// At most this many engine events.
    pub max_events: u64,
    /// Whose behaviour to reproduce.
    pub engine: EngineVersion,
    /// Control-plane latencies.
    pub latencies: Latencies,
    /// How Swarm's races resolve.
    pub races: Races,
    /// The cluster.
    pub nodes: Vec<NodeSpec>,
    /// Image behaviour by `image:tag`; an image not listed behaves as `ImageBehavior::default()`.
    pub images: BTreeMap<String, ImageBehavior>,
    /// Services deployed at t = 0 (`docker stack deploy`), in file order.
    pub services: Vec<ServiceSpec>,
    /// Secrets that exist at t = 0 (the stack's, created by `docker stack deploy`, and external
    /// ones).
    pub secrets: Vec<crate::model::secret::SecretDef>,
    /// Actions and faults, sorted by time (stable for equal times).
    pub timeline: Vec<TimedAction>,
    /// Hex digest of the input bytes (stack and simulation files), for reports.
    pub input_digest: String,
    /// Client load per service (`x-simulation.traffic`), in file order.
    pub traffic: Vec<crate::model::traffic::TrafficSpec>,
    /// The swarm's task history retention limit (`docker swarm init|update
    /// --task-history-limit`; `x-simulation.swarm.task_history_limit`): tasks the task reaper
    /// keeps per slot. Negative: it never deletes.
    pub task_history_limit: i64,
    /// Assertions on the run's results (`x-simulation.expect`), checked by `deploysim test`;
    /// `run` ignores them.
    pub expect: Vec<crate::model::expect::Expectation>,
    /// The strategies `deploysim compare-strategies` runs the rollout under, with their
    /// settings (`x-simulation.strategies`, in file order; `None` is rolling). Empty: rolling,
    /// blue-green and canary with their defaults. `run` ignores it.
    pub strategies: Vec<(String, Option<crate::model::strategy::Strategy>)>,
}

impl Scenario {
    /// The replicas the stack deploys (a global service counts one per node).
    pub fn replicas(&self) -> u64 {
        self.services
            .iter()
            .map(|s| match s.mode {
                crate::model::spec::ServiceMode::Replicated { replicas } => replicas,
                crate::model::spec::ServiceMode::Global => self.nodes.len() as u64,
            })
            .sum()
    }

    /// How `image` behaves.
    pub fn image(&self, image: &str) -> ImageBehavior {
        self.images.get(image).cloned().unwrap_or_default()
    }

    /// The images that answer some requests with errors, and their error rates (ppm).
    pub fn error_rates(&self) -> crate::model::traffic::ErrorRates {
        self.images.iter().filter(|(_, b)| b.errors_ppm > 0).map(|(name, b)| (name.clone(), b.errors_ppm)).collect()
    }
}
