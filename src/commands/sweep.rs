//! `deploysim sweep`: run a scenario under every combination of policy values over many seeds
//! (or, with `--shard I/N`, one share of those runs), write the outputs, recommend a policy.

use crate::limits::{MAX_SWEEP_RUNS, SWEEP_MAX_CHUNK, SWEEP_REORDER_WINDOW};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use crate::commands::Error;
use crate::commands::simulate::{simulate, world};
use crate::model::scenario::Scenario;
use crate::sweep::collect::Collector;
use crate::sweep::exec::{RunFigures, Shard, figures};
use crate::sweep::recommend::{Constraint, Objective};
use crate::sweep::{
    Plan, Scenarios, check_traffic, files_after_runs, goals, outputs, plan, policy_count, shard, story, wants_capacity,
};
use crate::world::World;

/// Run a scenario under every combination of policy values over many seeds, write runs.csv
/// and sweep.csv, and recommend a policy (see the README's sweep section).
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// A stack file with an `x-simulation:` section.
    pub scenario: PathBuf,
    /// PATH=V1,V2,… (or a range `1..6`, inclusive): a dotted path in the scenario file and the
    /// values to try, e.g. services.web.deploy.update_config.parallelism=1,2,4. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUES")]
    pub sets: Vec<String>,
    /// Runs per policy: seeds 1..=N, the same for every policy (common random numbers).
    #[arg(long, default_value_t = 20)]
    pub seeds: u64,
    /// Report folder (default: reports/<scenario name>-sweep/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: every core); the results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// What to optimise: min:METRIC or max:METRIC, METRIC a sweep.csv column
    /// (default min:duration_p95).
    #[arg(long)]
    pub objective: Option<String>,
    /// A bound the recommended policy must meet: METRIC>=V, <=, > or <. Repeatable
    /// (default, when none: min_serving_ratio_p5>=0.8).
    #[arg(long = "constraint", value_name = "METRIC<OP>V")]
    pub constraints: Vec<String>,
    /// Print nothing (the files are still written).
    #[arg(long, short)]
    pub quiet: bool,
    /// Run only share I of N of the runs (1 <= I <= N) and write DIR/shard.json for
    /// `deploysim merge` (default DIR: reports/<scenario name>-sweep/shard-I-of-N/).
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
}

/// `deploysim sweep`: the whole sweep, or with `--shard` one share of its runs.
pub fn run(args: &SweepArgs) -> Result<(), Error> {
    if args.seeds == 0 {
        return Err(Error::input("--seeds must be at least 1"));
    }
    let (objective, constraints) = goals(args.objective.as_deref(), &args.constraints).map_err(Error::input)?;
    let text = read_scenario(&args.scenario)?;
    // The size first: a sweep over the limit is refused before any policy is made.
    let policies = policy_count(&args.sets).map_err(Error::input)?;
    let total = policies.saturating_mul(args.seeds);
    if total > MAX_SWEEP_RUNS {
        return Err(Error::input(format!(
            "{policies} policies x {} seeds = {total} runs: more than deploysim's limit of {MAX_SWEEP_RUNS} per sweep",
            args.seeds
        )));
    }
    let (plan, scenarios) = plan(&text, &args.scenario, &args.sets).map_err(Error::input)?;
    let first = scenarios.load(0).map_err(Error::input)?;
    check_traffic(&first, &plan.service, &objective, &constraints).map_err(Error::input)?;
    let threads = args.threads.unwrap_or_else(default_threads).max(1);
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    if !args.quiet {
        eprintln!("{}", estimate(&first, &plan.service, shard.jobs(total as usize).count(), threads));
    }
    drop(first);
    let show = !args.quiet && std::io::stderr().is_terminal();
    let mut bar = progress_bar();
    let progress = show.then_some(&mut bar as &mut dyn FnMut(usize, usize));
    let default_dir = PathBuf::from("reports").join(format!("{}-sweep", plan.name));
    match args.shard {
        None => {
            let dir = args.out.clone().unwrap_or(default_dir);
            let runs = Runs { scenarios: &scenarios, seeds: args.seeds, threads, progress };
            write_streamed(&plan, runs, (&objective, &constraints), &dir, args.quiet)
        }
        Some(shard) => {
            let runs = run_all(&scenarios, &plan.service, args.seeds, shard, threads, progress);
            let definition = shard::Definition {
                scenario: plan.name.clone(),
                input_digest: crate::scenario::digest(&[&text]),
                service: plan.service.clone(),
                sets: args.sets.clone(),
                seeds: args.seeds,
                objective: args.objective.clone(),
                constraints: args.constraints.clone(),
                snippets: plan.snippets.clone(),
            };
            let dir = args
                .out
                .clone()
                .unwrap_or_else(|| default_dir.join(format!("shard-{}-of-{}", shard.index, shard.count)));
            let bytes = shard::to_bytes(&definition, shard, &runs);
            // One file: its rename alone is atomic, and the folder (--out) may be the user's.
            crate::report::write_atomically(&dir, &[(shard::FILE_NAME, bytes)])
                .map_err(Error::io(format!("could not write the shard to '{}'", dir.display())))?;
            if !args.quiet {
                let total = plan.policies.len() as u64 * args.seeds;
                println!(
                    "sweep shard {shard}: {} of the {total} runs ({} policies x {} seeds) of {} (service {})",
                    runs.len(),
                    plan.policies.len(),
                    args.seeds,
                    plan.name,
                    plan.service
                );
                println!("shard: {}", dir.join(shard::FILE_NAME).display());
                println!("when all {} shards are done: deploysim merge SHARD_DIR... [--out DIR]", shard.count);
            }
            Ok(())
        }
    }
}

/// Writes `runs.csv`, `sweep.csv` and the plots of a whole sweep, and prints the
/// recommendation: the same bytes whether the runs were made here or merged from shards.
pub(crate) fn write_outputs(
    plan: &Plan,
    seeds: u64,
    runs: &[RunFigures],
    (objective, constraints): (&Objective, &[Constraint]),
    dir: &Path,
    quiet: bool,
) -> Result<(), Error> {
    let out = outputs(plan, runs, objective, constraints).map_err(Error::input)?;
    crate::report::replace_folder(dir, &out.files, &SWEEP_FOLDER)
        .map_err(Error::report(format!("could not write the sweep to '{}'", dir.display())))?;
    tell(plan, seeds, &out.columns, (objective, constraints), dir, quiet)
}

/// The folder is the sweep's report: runs.csv, sweep.csv and the plots are replaced whole (a
/// heat map of an earlier two-parameter sweep goes with them); the default shard folders
/// (`shard-I-of-N/`, which `merge` may just have read) are kept across the swap.
const SWEEP_FOLDER: crate::report::Folder<'static> =
    crate::report::Folder { owns: &is_sweep_report_file, carries: &is_shard_folder };

/// The runs of a whole sweep still to be made.
struct Runs<'a> {
    scenarios: &'a Scenarios,
    seeds: u64,
    threads: usize,
    progress: Option<&'a mut dyn FnMut(usize, usize)>,
}

/// Why a streamed sweep's folder was not written.
enum WriteFailure {
    /// The folder could not be written.
    Write(crate::report::WriteError),
    /// A goal names a figure the runs lack.
    Content(String),
}

impl From<crate::report::WriteError> for WriteFailure {
    fn from(e: crate::report::WriteError) -> WriteFailure {
        WriteFailure::Write(e)
    }
}

impl From<std::io::Error> for WriteFailure {
    fn from(e: std::io::Error) -> WriteFailure {
        WriteFailure::Write(crate::report::WriteError::Io(e))
    }
}

/// [`write_outputs`] for the runs made here, as they finish: each `runs.csv` row goes into
/// the report's staging folder as soon as the runs before it are in, and only each policy's
/// figures are kept (see [`crate::sweep::collect`]), so a sweep's memory does not grow with its
/// runs. The same bytes, and as before nothing written when a goal names a figure the runs
/// lack.
fn write_streamed(
    plan: &Plan,
    runs: Runs<'_>,
    (objective, constraints): (&Objective, &[Constraint]),
    dir: &Path,
    quiet: bool,
) -> Result<(), Error> {
    let Runs { scenarios, seeds, threads, progress } = runs;
    let mut columns = Vec::new();
    let written = crate::report::replace_folder_with(dir, &SWEEP_FOLDER, |stage| -> Result<(), WriteFailure> {
        stage.stream("runs.csv", |out| {
            let mut collector = Collector::new(plan, scenarios.traffic(), out)?;
            let mut failed = None;
            run_each(scenarios, &plan.service, seeds, Shard::WHOLE, threads, progress, &mut |run| {
                failed = collector.push(run).err();
                failed.is_none()
            });
            if let Some(e) = failed {
                return Err(e);
            }
            columns = collector.finish(wants_capacity(objective, constraints))?.0;
            Ok(())
        })?;
        let files = files_after_runs(plan, &columns, objective, constraints).map_err(WriteFailure::Content)?;
        for (name, bytes) in &files {
            stage.bytes(name, bytes)?;
        }
        Ok(())
    });
    match written {
        Ok(()) => tell(plan, seeds, &columns, (objective, constraints), dir, quiet),
        Err(WriteFailure::Write(e)) => {
            Err(Error::report(format!("could not write the sweep to '{}'", dir.display()))(e))
        }
        Err(WriteFailure::Content(refused)) => Err(Error::input(refused)),
    }
}

/// Prints the recommendation (unless `quiet`); a sweep where no policy meets the constraints
/// is a check that failed (exit 1).
fn tell(
    plan: &Plan,
    seeds: u64,
    columns: &[Vec<crate::sweep::policy_stats::Column>],
    (objective, constraints): (&Objective, &[Constraint]),
    dir: &Path,
    quiet: bool,
) -> Result<(), Error> {
    if !quiet {
        print!("{}", story(plan, seeds, columns, objective, constraints));
        println!("report: {}", dir.display());
    }
    if crate::sweep::recommend::ranked(columns, objective, constraints).is_empty() {
        return Err(Error::Checked(None));
    }
    Ok(())
}

/// Whether `name` is a file some whole sweep (or merge) writes.
fn is_sweep_report_file(name: &str) -> bool {
    matches!(name, "runs.csv" | "sweep.csv" | "heatmap.svg" | "heatmap.png" | "pareto.svg" | "pareto.png")
}

/// Whether `name` is a default shard folder, `shard-I-of-N`.
fn is_shard_folder(name: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    name.strip_prefix("shard-").and_then(|rest| rest.split_once("-of-")).is_some_and(|(i, n)| digits(i) && digits(n))
}

/// The scenario file named on the command line (bad input when it cannot be read).
pub(crate) fn read_scenario(path: &Path) -> Result<String, Error> {
    crate::scenario::read_bounded(path).map_err(|e| Error::input(format!("cannot read '{}': {e}", path.display())))
}

/// Every core the OS gives us (1 if it will not say).
pub(crate) fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// The sweep's size and how long it should take, said before it starts: one run of the first
/// policy is timed (wall time feeds only this line, never the results).
#[allow(clippy::disallowed_methods)]
fn estimate(first: &Scenario, service: &str, runs: usize, threads: usize) -> String {
    let started = std::time::Instant::now();
    let _ = figures(&simulate(first.clone(), Some(1), &crate::sweep::exec::run_options()), service, 0);
    let per_run = started.elapsed().as_secs_f64();
    let wall = per_run * runs as f64 / threads.min(runs.max(1)) as f64;
    let wall = match wall {
        w if w < 1.0 => "under a second".to_string(),
        w if w < 120.0 => format!("about {w:.0} s"),
        w if w < 7200.0 => format!("about {:.0} min", w / 60.0),
        w => format!("about {:.1} h", w / 3600.0),
    };
    format!(
        "sweep: {runs} runs on {threads} threads, {wall} (one run of the first policy took {:.1} ms)",
        per_run * 1e3
    )
}

/// A one-line progress bar with an ETA on stderr (only used on a terminal).
#[allow(clippy::disallowed_methods)] // wall time only feeds the ETA display, never the results
fn progress_bar() -> impl FnMut(usize, usize) {
    let started = std::time::Instant::now();
    move |done, total| {
        let elapsed = started.elapsed().as_secs_f64();
        let eta = if done == 0 { f64::NAN } else { elapsed * (total - done) as f64 / done as f64 };
        let width = 30;
        let filled = done * width / total.max(1);
        let bar = format!("{}{}", "#".repeat(filled), "-".repeat(width - filled));
        let eta = if eta.is_nan() { "?".to_string() } else { format!("{eta:.1}s") };
        eprint!("\r[{bar}] {done}/{total} runs, ETA {eta} ");
        if done >= total {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    }
}

/// Runs seeds `1..=seeds` of every scenario — or only `shard`'s share of those jobs — on
/// `threads` threads and returns the figures in (policy, seed) order, whatever the thread
/// count (see [`run_each`]).
pub(crate) fn run_all(
    scenarios: &Scenarios,
    service: &str,
    seeds: u64,
    shard: Shard,
    threads: usize,
    on_progress: Option<&mut dyn FnMut(usize, usize)>,
) -> Vec<RunFigures> {
    let mut runs = Vec::with_capacity(shard.job_count(scenarios.len() * seeds as usize));
    run_each(scenarios, service, seeds, shard, threads, on_progress, &mut |r| {
        runs.push(r);
        true
    });
    runs
}

/// Runs seeds `1..=seeds` of every scenario — or only `shard`'s share of those jobs — on
/// `threads` threads and hands each run's figures to `each`, on the calling thread, in
/// (policy, seed) order whatever the thread count: each job is a pure function of its scenario
/// and seed, and results that finish early wait in a reorder buffer until those before them
/// are handed on; a worker does not take a job more than [`SWEEP_REORDER_WINDOW`] ahead of the
/// first one not handed on, so the buffer stays bounded even behind one slow run.
///
/// Workers take the jobs a run of seeds of one policy at a time (a worker's share of a policy,
/// at most [`SWEEP_MAX_CHUNK`], smaller runs toward the end so that no thread idles long), so a
/// policy's scenario is copied once per worker that runs it and reused for its seeds, and a slow
/// policy is shared between the workers. `each` returns false when it can take no more runs
/// (a write failed): no more jobs are taken and the rest are dropped. `on_progress`, if any, is
/// called (from the calling thread) with the jobs done so far.
pub(crate) fn run_each(
    scenarios: &Scenarios,
    service: &str,
    seeds: u64,
    shard: Shard,
    threads: usize,
    mut on_progress: Option<&mut dyn FnMut(usize, usize)>,
    each: &mut dyn FnMut(RunFigures) -> bool,
) {
    let threads = threads.max(1);
    let total = shard.job_count(scenarios.len() * seeds as usize);
    let policy_of = |i: usize| shard.job(i) / seeds as usize;
    // A policy's seeds are shared between the workers (one slow policy must not run on one
    // thread while the other finishes everything else and waits in the reorder buffer).
    let per_worker = (seeds as usize).div_ceil(threads).clamp(1, SWEEP_MAX_CHUNK);
    let shared = Shared { state: Mutex::new(TakeState::default()), changed: Condvar::new() };
    let take = || -> Option<std::ops::Range<usize>> {
        let mut state = shared.lock();
        loop {
            let start = state.next;
            if start >= total || state.stop {
                return None;
            }
            // Too far ahead of the first run not yet handed on: wait for it (the worker
            // running it is not waiting, so it comes).
            if start < state.done + SWEEP_REORDER_WINDOW {
                let most = ((total - start) / (2 * threads)).clamp(1, per_worker);
                let policy = policy_of(start);
                let mut end = start + 1;
                while end < total && end - start < most && policy_of(end) == policy {
                    end += 1;
                }
                state.next = end;
                return Some(start..end);
            }
            state = shared.changed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    };
    let mut stopped = false;
    std::thread::scope(|scope| {
        let (sender, finished) = std::sync::mpsc::channel::<(usize, Vec<RunFigures>)>();
        for _ in 0..threads {
            let sender = sender.clone();
            let take = &take;
            let shared = &shared;
            scope.spawn(move || {
                // A worker that panics must not leave the others waiting for its runs.
                let _on_panic = StopOnPanic(shared);
                // The policy this worker ran last and its world (its next jobs mostly share it).
                let mut current: Option<(usize, World)> = None;
                while let Some(jobs) = take() {
                    let start = jobs.start;
                    let figures =
                        jobs.map(|i| run_one(scenarios, &mut current, service, seeds, shard.job(i))).collect();
                    if sender.send((start, figures)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        // Runs finished ahead of those before them, by the index of their first job.
        let mut waiting: std::collections::BTreeMap<usize, Vec<RunFigures>> = std::collections::BTreeMap::new();
        let mut done = 0;
        let mut shown = 0;
        if let Some(report) = on_progress.as_mut() {
            report(0, total);
        }
        for (start, figures) in finished {
            if stopped {
                continue;
            }
            waiting.insert(start, figures);
            while let Some(figures) = waiting.remove(&done) {
                done += figures.len();
                for run in figures {
                    if !stopped && !each(run) {
                        // The caller cannot use more runs (a write failed): take no more.
                        stopped = true;
                        shared.lock().stop = true;
                    }
                }
            }
            shared.lock().done = done;
            shared.changed.notify_all();
            // At most about 200 updates, whatever the size of the sweep.
            if let Some(report) = on_progress.as_mut()
                && (done * 200 / total.max(1) > shown * 200 / total.max(1) || done == total)
            {
                shown = done;
                report(done, total);
            }
        }
        assert!(stopped || (waiting.is_empty() && done == total), "every job ran");
    });
}

/// What [`run_each`]'s workers share: the next job, how far the caller got, whether to stop.
struct Shared {
    state: Mutex<TakeState>,
    /// Signalled when `done` advances or `stop` is set.
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, TakeState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Default)]
struct TakeState {
    /// The next job not yet taken (an index into the shard's jobs).
    next: usize,
    /// Jobs handed on to the caller, in order.
    done: usize,
    /// No more jobs are to be taken.
    stop: bool,
}

/// Sets `stop` if its worker unwinds, so that no other worker waits for runs that will never
/// come (the panic then reaches the caller when the threads are joined).
struct StopOnPanic<'a>(&'a Shared);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().stop = true;
            self.0.changed.notify_all();
        }
    }
}

/// Job `job` is run `job % seeds + 1` of policy `job / seeds`, in the worker's world: the
/// world of its last run (and the policy it ran), renewed for this one rather than built anew
/// — the same run as a new world's (see `World::renew`), without a world built and dropped per
/// run, nor a copy of the policy's scenario per seed.
fn run_one(
    scenarios: &Scenarios,
    current: &mut Option<(usize, World)>,
    service: &str,
    seeds: u64,
    job: usize,
) -> RunFigures {
    let policy = job / seeds as usize;
    let seed = (job as u64 % seeds) + 1;
    // `plan` loaded every policy once already: the same text loads the same way again.
    let load = |policy| scenarios.take(policy).expect("every policy's scenario was checked by plan");
    let world = match current {
        Some((ran, world)) if *ran == policy => {
            world.renew(|scenario| scenario.seed = seed);
            world
        }
        Some((ran, world)) => {
            let mut next = load(policy);
            next.seed = seed;
            world.renew(|scenario| *scenario = next);
            *ran = policy;
            world
        }
        None => &mut current.insert((policy, world(load(policy), Some(seed), &crate::sweep::exec::run_options()))).1,
    };
    let record = world.run();
    let ran = figures(&record, service, policy);
    // Its lists go back to the world for the next run (the figures are all a sweep reads).
    world.recycle(record);
    ran
}
