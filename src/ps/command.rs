//! `deploysim ps`: load and simulate a scenario, then print what `docker service ps`,
//! `docker service ls` or the UpdateStatus would show at an instant, or replay them (`--watch`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::app::UsageError;
use crate::model::record::RunRecord;
use crate::model::scenario::Scenario;
use crate::model::spec::ServiceSpec;
use crate::ps::replay::{HistoryLimits, TaskRow, tasks_at};
use crate::ps::watch::{self, Mode};
use crate::ps::{service, table};
use crate::time::{SimDuration, SimTime};
use crate::world::World;

/// What `deploysim ps` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `docker service ps SERVICE…` (all the scenario's services: `docker stack ps STACK`).
    #[default]
    Ps,
    /// `docker service ls`.
    Ls,
    /// `docker service inspect --format '{{json .UpdateStatus}}' SERVICE…`, one line per service.
    UpdateStatus,
    /// The three above, each under the docker command it stands for.
    All,
}

/// Options of `deploysim ps`.
#[derive(Clone, Debug)]
pub struct PsOptions {
    /// Scenario file.
    pub scenario: PathBuf,
    /// Services to show (full or short names); empty: all.
    pub services: Vec<String>,
    /// The instant (default: the end of the run; with `--watch`, where the replay starts).
    pub at: Option<SimDuration>,
    /// Seed override.
    pub seed: Option<u64>,
    /// `--no-trunc`.
    pub no_trunc: bool,
    /// What to print.
    pub format: Format,
    /// Replay the rollout.
    pub watch: bool,
    /// Replay speed (simulated seconds per wall second).
    pub speed: f64,
    /// Simulated time between frames (default: 1 s in a terminal, 10 s otherwise).
    pub interval: Option<SimDuration>,
}

/// What one frame shows: the record and scenario, the chosen services and the format.
pub struct View<'a> {
    /// The run.
    pub record: &'a RunRecord,
    /// The services shown.
    pub services: Vec<&'a ServiceSpec>,
    /// What to print.
    pub format: Format,
    /// The CLI's default truncation (off with `--no-trunc`).
    pub trunc: bool,
}

impl View<'_> {
    /// The text for the task store `tasks` at `now`.
    pub fn render(&self, tasks: &[TaskRow], now: SimTime) -> String {
        match self.format {
            Format::Ps => self.ps(tasks, now),
            Format::Ls => service::render_ls(self.record, &self.services, tasks, now, self.trunc),
            Format::UpdateStatus => self.update_status(now),
            Format::All => self.all(tasks, now),
        }
    }

    fn ps(&self, tasks: &[TaskRow], now: SimTime) -> String {
        let shown: Vec<TaskRow> =
            tasks.iter().filter(|t| self.services.iter().any(|s| *s.name == *t.service)).cloned().collect();
        table::render(&shown, now, self.trunc)
    }

    fn update_status(&self, now: SimTime) -> String {
        self.services.iter().map(|s| service::update_status_json(self.record, &s.name, now) + "\n").collect()
    }

    fn all(&self, tasks: &[TaskRow], now: SimTime) -> String {
        let names: Vec<&str> = self.services.iter().map(|s| s.name.as_str()).collect();
        let names = names.join(" ");
        format!(
            "$ docker service ls\n{}\n$ docker service inspect --format '{{{{json .UpdateStatus}}}}' {names}\n{}\n$ docker service ps {names}\n{}",
            service::render_ls(self.record, &self.services, tasks, now, self.trunc),
            self.update_status(now),
            self.ps(tasks, now),
        )
    }
}

/// The text of `view` at `at` (a pure function of the run).
pub fn snapshot(view: &View<'_>, limits: &HistoryLimits, at: SimTime) -> String {
    view.render(&tasks_at(view.record, limits, at), at)
}

/// `deploysim ps`.
pub fn run(options: &PsOptions) -> anyhow::Result<()> {
    let (scenario, record) = simulate(options)?;
    let specs = service::all_specs(&scenario, &record);
    let mut services =
        service::select(&scenario, &specs, &options.services).map_err(|e| anyhow::Error::new(UsageError(e)))?;
    if options.services.is_empty() && options.format == Format::Ls {
        // `docker service ls` lists every service, not only the stack's.
        services = specs.iter().collect();
    }
    let view = View { record: &record, services, format: options.format, trunc: !options.no_trunc };
    let limits = HistoryLimits::from_scenario(&scenario);
    let mut out = std::io::stdout().lock();
    if !options.watch {
        let at = options.at.map_or(record.end_time, |d| SimTime(d.as_nanos()));
        return quiet_broken_pipe(out.write_all(snapshot(&view, &limits, at).as_bytes()));
    }
    let terminal = std::io::stdout().is_terminal();
    let step = options.interval.unwrap_or(SimDuration::from_secs(if terminal { 1 } else { 10 }));
    if step == SimDuration::ZERO {
        return Err(anyhow::Error::new(UsageError("--interval must be longer than 0s".into())));
    }
    let from = SimTime(options.at.map_or(0, SimDuration::as_nanos));
    let times = watch::frame_times(from, record.end_time, step);
    let mode = if terminal {
        let title = format!("Every {step} at {}x: deploysim ps {}", options.speed, scenario.name);
        Mode::Terminal { title, end: record.end_time, pause: watch::pause(step, options.speed) }
    } else {
        Mode::Snapshots
    };
    let frames = watch::frames(&record, limits, times, |tasks, t| view.render(tasks, t));
    quiet_broken_pipe(watch::play(&mut out, frames, &mode))
}

/// A reader that stopped reading (`deploysim ps --watch | head`) is not an error.
fn quiet_broken_pipe(result: std::io::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Loads the scenario (bad input is a usage error: exit 2) and runs it.
fn simulate(options: &PsOptions) -> anyhow::Result<(Scenario, RunRecord)> {
    let (mut scenario, warnings) = crate::scenario::load_with_warnings(&options.scenario)
        .map_err(|e| anyhow::Error::new(UsageError(e.to_string())))?;
    for w in &warnings {
        eprintln!("{w}");
    }
    if let Some(seed) = options.seed {
        scenario.seed = seed;
    }
    let record = World::new(scenario.clone()).simulate();
    Ok((scenario, record))
}
