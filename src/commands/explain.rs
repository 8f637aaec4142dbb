//! `deploysim explain`: simulate a scenario with its decisions recorded and print why Swarm did
//! what it did (see [`crate::explain`]), with the scenario's lesson when it has one (a sibling
//! `.md` file: `scenarios/lessons/rollback.yml` → `scenarios/lessons/rollback.md`), and how often
//! each path happens over seeds 1..N.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::commands::Error;
use crate::commands::args::parse_duration_arg;
use crate::commands::simulate::{SimulateOptions, load, simulate};
use crate::explain::{self, RacePaths};
use crate::model::scenario::{Races, Scenario};
use crate::time::{SimDuration, SimTime};

/// Largest lesson file read (a few paragraphs).
const MAX_LESSON_BYTES: u64 = 16 * 1024;

/// Replicas above which the seed sweep is skipped (it simulates the scenario N more times).
pub(crate) const MAX_RACE_REPLICAS: u64 = 2_000;

/// Output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One sentence a paragraph, its evidence and rule below.
    #[default]
    Text,
    /// A JSON array of `{t_ms, service, kind, text, evidence, rule}`.
    Json,
}

/// Simulate a scenario and explain every decision Swarm made: each failure and whether it
/// counted, each pause or rollback with its ratio arithmetic, each wait, the completion, and
/// the races the outcome depended on.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A stack file with an `x-simulation:` section, or a simulation file naming its stack.
    pub scenario: PathBuf,
    /// Seed for every random stream (overrides `x-simulation.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Only this service's sentences (`web_web` or `web`).
    #[arg(long)]
    pub service: Option<String>,
    /// Only what was decided up to this simulated instant.
    #[arg(long, value_parser = parse_duration_arg)]
    pub at: Option<SimDuration>,
    /// text or json.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Run seeds 1..N to show how often each path happens (0: skip).
    #[arg(long, default_value_t = 20)]
    pub race_seeds: u64,
}

/// The lesson beside a scenario (`NAME.md`), if any.
pub fn lesson(scenario: &Path) -> Result<Option<String>, Error> {
    let path = scenario.with_extension("md");
    let Ok(meta) = std::fs::metadata(&path) else { return Ok(None) };
    if meta.len() > MAX_LESSON_BYTES {
        return Err(Error::input(format!(
            "{}: a lesson is at most {MAX_LESSON_BYTES} bytes (this one has {})",
            path.display(),
            meta.len()
        )));
    }
    std::fs::read_to_string(&path).map(Some).map_err(Error::io(format!("could not read {}", path.display())))
}

/// The sentences of `scenario` run with `seed`, with the race tally over seeds 1..=`race_seeds`
/// (skipped for large scenarios and `races: fixed`): what `explain` prints, before filtering.
pub fn explanations(
    scenario: &Scenario,
    seed: Option<u64>,
    lesson: Option<&str>,
    race_seeds: u64,
) -> Vec<explain::Explanation> {
    let options = SimulateOptions { decisions: true, ..SimulateOptions::default() };
    let record = simulate(scenario.clone(), seed, &options);
    let mut sentences = explain::explain(scenario, &record, lesson);
    if race_seeds > 0 && scenario.races == Races::Random && scenario.replicas() <= MAX_RACE_REPLICAS {
        let mut paths = RacePaths::default();
        for s in 1..=race_seeds {
            paths.add(s, &simulate(scenario.clone(), Some(s), &SimulateOptions::default()));
        }
        sentences.push(paths.sentence(&record));
    }
    sentences
}

/// `deploysim explain`.
pub fn run(args: &ExplainArgs) -> Result<(), Error> {
    let scenario = load(&args.scenario)?;
    if let Some(service) = &args.service {
        let known = scenario.services.iter().any(|s| {
            s.name == *service || s.name.strip_prefix(&format!("{}_", scenario.stack)) == Some(service.as_str())
        });
        if !known {
            let names: Vec<&str> = scenario.services.iter().map(|s| s.name.as_str()).collect();
            return Err(Error::input(format!(
                "--service {service}: no such service in {} (services: {})",
                args.scenario.display(),
                names.join(", ")
            )));
        }
    }
    if args.race_seeds > crate::limits::MAX_EXPLAIN_RACE_SEEDS {
        return Err(Error::input(format!(
            "--race-seeds {}: at most {}",
            args.race_seeds,
            crate::limits::MAX_EXPLAIN_RACE_SEEDS
        )));
    }
    let lesson = lesson(&args.scenario)?;
    let all = explanations(&scenario, args.seed, lesson.as_deref(), args.race_seeds);
    let at = args.at.map(|d| SimTime(d.as_nanos()));
    let shown = explain::filter(all, &scenario, args.service.as_deref(), at);
    let text = match args.format {
        Format::Text => explain::text(&shown),
        Format::Json => explain::json(&shown),
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Error::io("")),
    }
}
