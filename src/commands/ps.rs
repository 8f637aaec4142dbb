//! `deploysim ps`: load and simulate a scenario, then print what `docker service ps`,
//! `docker service ls` or the UpdateStatus would show at an instant, or replay them (`--watch`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::commands::Error;
use crate::commands::args::parse_duration_arg;
use crate::commands::simulate::{SimulateOptions, load, simulate};
use crate::limits::MAX_WATCH_FRAMES;
use crate::ps::service;
use crate::ps::view::{Listing, View, snapshot};
use crate::ps::watch::{self, Mode};
use crate::time::{SimDuration, SimTime};

/// Simulate a scenario and print `docker service ps` (or `service ls`, or the UpdateStatus) as
/// it would look at a simulated instant; --watch replays the rollout.
#[derive(Debug, clap::Args)]
pub struct PsArgs {
    /// A stack file with an `x-simulation:` section, or a simulation file naming its stack.
    pub scenario: PathBuf,
    /// Services to show (`web_web` or `web`; default: every service, as `docker stack ps`).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// The simulated instant (default: the end of the run; with --watch, where it starts).
    #[arg(long, value_parser = parse_duration_arg)]
    pub at: Option<SimDuration>,
    /// Seed for every random stream (overrides `x-simulation.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Do not truncate ids, images or errors (as `docker service ps --no-trunc`).
    #[arg(long)]
    pub no_trunc: bool,
    /// What to print: `docker service ps`, `docker service ls`, the UpdateStatus JSON, all three,
    /// or `docker node ls`.
    #[arg(long, value_enum, default_value_t)]
    pub format: Listing,
    /// Replay the rollout from --at (default 0) to the end, like `watch docker stack ps`;
    /// without a terminal, print snapshots one after another.
    #[arg(long)]
    pub watch: bool,
    /// Replay speed with --watch in a terminal: simulated seconds per wall second.
    #[arg(long, value_parser = crate::ps::watch::parse_speed, default_value = "1x")]
    pub speed: f64,
    /// Simulated time between --watch frames (default: 1s in a terminal, 10s otherwise).
    #[arg(long, value_parser = parse_duration_arg)]
    pub interval: Option<SimDuration>,
}

/// `deploysim ps`.
pub fn run(args: &PsArgs) -> Result<(), Error> {
    let scenario = load(&args.scenario)?;
    let record = simulate(scenario.clone(), args.seed, &SimulateOptions::default());
    let specs = service::all_specs(&scenario, &record);
    let mut services = service::select(&scenario, &specs, &args.services).map_err(Error::input)?;
    if args.services.is_empty() && args.format == Listing::Ls {
        // `docker service ls` lists every service, not only the stack's.
        services = specs.iter().collect();
    }
    let view = View { record: &record, services, listing: args.format, trunc: !args.no_trunc };
    let mut out = std::io::stdout().lock();
    if !args.watch {
        let at = args.at.map_or(record.end_time, |d| SimTime(d.as_nanos()));
        return quiet_broken_pipe(out.write_all(snapshot(&view, at).as_bytes()));
    }
    let terminal = std::io::stdout().is_terminal();
    let step = args.interval.unwrap_or(SimDuration::from_secs(if terminal { 1 } else { 10 }));
    if step == SimDuration::ZERO {
        return Err(Error::input("--interval must be longer than 0s"));
    }
    let from = SimTime(args.at.map_or(0, SimDuration::as_nanos));
    let frames = record.end_time.0.saturating_sub(from.0) / step.as_nanos() + 1;
    if frames > MAX_WATCH_FRAMES {
        // Rounded up to whole milliseconds: a hint to type, not a figure to the nanosecond.
        let ms = record.end_time.0.saturating_sub(from.0).div_ceil(MAX_WATCH_FRAMES - 1).div_ceil(1_000_000);
        let shortest = SimDuration::from_millis(ms.max(1));
        return Err(Error::input(format!(
            "--interval {step} makes {frames} frames of the run's {}: more than deploysim's limit of \
             {MAX_WATCH_FRAMES}\n  hint: use --interval {shortest} or longer",
            SimDuration(record.end_time.0.saturating_sub(from.0))
        )));
    }
    let times = watch::frame_times(from, record.end_time, step);
    let mode = if terminal {
        let title = format!("Every {step} at {}x: deploysim ps {}", args.speed, scenario.name);
        Mode::Terminal { title, end: record.end_time, pause: watch::pause(step, args.speed) }
    } else {
        Mode::Snapshots
    };
    let frames = watch::frames(&record, times, |tasks, t| view.render(tasks, t));
    quiet_broken_pipe(watch::play(&mut out, frames, &mode))
}

/// A reader that stopped reading (`deploysim ps --watch | head`) is not an error.
fn quiet_broken_pipe(result: std::io::Result<()>) -> Result<(), Error> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Error::io("")),
    }
}
