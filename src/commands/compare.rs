//! `deploysim compare`: load the traces, simulate the scenario (one seed or several), align,
//! compare, print. Bad input (a missing trace file, an unknown service) is exit 2.

use crate::limits::MAX_COMPARE_SEEDS;
use std::path::{Path, PathBuf};

use crate::commands::Error;
use crate::commands::args::{Format, parse_duration_arg, table_or_json};
use crate::commands::simulate::{SimulateOptions, load, simulate};
use crate::fidelity::align::{align, compare_records, pick_service};
use crate::fidelity::render;
use crate::fidelity::tolerance::{self, Tolerance};
use crate::fidelity::trace::{self, Trace, TracePath};
use crate::model::record::RunRecord;
use crate::time::SimDuration;

/// Simulate a scenario and compare it with traces recorded from a real swarm, each run on its
/// own (exit 0: every real run reproduced on every measure, by some seed with --seeds; 1: not;
/// 2: bad input).
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// One or more traces, each a path prefix (`traces/s01-rolling-basic.r1`) or the path of
    /// one of its csv files.
    #[arg(required = true, num_args = 1.., value_name = "TRACE")]
    pub traces: Vec<PathBuf>,
    /// The scenario reproducing them.
    #[arg(required = true, value_name = "SCENARIO")]
    pub scenario: PathBuf,
    /// Seed for every random stream (overrides `x-simulation.seed`).
    #[arg(long, conflicts_with = "seeds")]
    pub seed: Option<u64>,
    /// Simulate several seeds (`20` = 1..20, or `5..24`): Swarm's races (which goroutine
    /// commits first, Go map order) are random, so each real run must be reproduced by some
    /// seed; prints which seeds took each recorded path.
    #[arg(long, value_parser = parse_seeds_arg)]
    pub seeds: Option<Seeds>,
    /// Simulated time of the trace's t = 0 (default: the scenario's first timeline action).
    #[arg(long, value_parser = parse_duration_arg)]
    pub action_at: Option<SimDuration>,
    /// Simulated service to compare (default: the scenario's only service).
    #[arg(long)]
    pub service: Option<String>,
    /// Allow each time measure the real runs' own spread of that measure where it is larger
    /// than the tolerance (runs paired on what both show). Off by default.
    #[arg(long)]
    pub widen_by_spread: bool,
    /// Removed: a race is matched by seeds (`--seeds`), not by passing on any one run.
    #[arg(long, hide = true)]
    pub any_run: bool,
    /// Absolute timing tolerance.
    #[arg(long, value_parser = parse_duration_arg, default_value = "500ms")]
    pub tolerance_abs: SimDuration,
    /// Relative timing tolerance, of the real time after the action (`10%` or `0.1`).
    #[arg(long, value_parser = tolerance::parse_rel, default_value = "10%")]
    pub tolerance_rel: f64,
    /// Output format.
    #[arg(long, value_parser = table_or_json(), default_value = "table")]
    pub format: Format,
}

/// The seeds of `--seeds`, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seeds(pub Vec<u64>);

/// Parses `--seeds`: `N` (seeds 1 to N) or `A..B` (A to B, both included), for clap.
fn parse_seeds_arg(text: &str) -> Result<Seeds, String> {
    let bad = || format!("bad seeds '{text}': expected N (seeds 1..N) or a range A..B such as 1..20");
    let (from, to) = match text.split_once("..") {
        Some((a, b)) => (a.trim().parse::<u64>().map_err(|_| bad())?, b.trim().parse::<u64>().map_err(|_| bad())?),
        None => (1, text.trim().parse::<u64>().map_err(|_| bad())?),
    };
    if to < from || to == 0 {
        return Err(format!("seeds '{text}' name no seed: the range must not be empty"));
    }
    if to - from >= MAX_COMPARE_SEEDS {
        // `to - from + 1` overflows for 0..u64::MAX: count in u128.
        let count = u128::from(to - from) + 1;
        return Err(format!("seeds '{text}' name {count} seeds; at most {MAX_COMPARE_SEEDS} per comparison"));
    }
    Ok(Seeds((from..=to).collect()))
}

/// Loads a trace named on the command line; bad input, naming the file, when it cannot be read.
pub(crate) fn load_trace(arg: &Path) -> Result<Trace, Error> {
    trace::load(&TracePath::new(arg)).map_err(Error::input)
}

/// `deploysim compare`: prints the report; fails ([`Error::Checked`]) unless every real run is
/// reproduced, on every measure, by some seed.
pub fn run(args: &CompareArgs) -> Result<(), Error> {
    if args.any_run {
        return Err(Error::input(
            "--any-run was removed: a race is matched by seeds, e.g. --seeds 1..20 \
             (each real run must be reproduced by some seed)",
        ));
    }
    let tolerance = Tolerance { abs_s: args.tolerance_abs.0 as f64 / 1e9, rel: args.tolerance_rel };
    let traces: Vec<Trace> = args.traces.iter().map(|p| load_trace(p)).collect::<Result<_, _>>()?;
    let scenario = load(&args.scenario)?;
    let seeds = match (&args.seeds, args.seed) {
        (Some(seeds), _) => seeds.0.clone(),
        (None, Some(seed)) => vec![seed],
        (None, None) => vec![scenario.seed],
    };
    let options = SimulateOptions::default();
    let records: Vec<RunRecord> = seeds.iter().map(|&seed| simulate(scenario.clone(), Some(seed), &options)).collect();
    let service = pick_service(&records[0], args.service.as_deref()).map_err(Error::input)?;
    let alignment = align(&records[0], args.action_at);
    if let Some((_, text, Some(err))) = records[0].actions.iter().find(|a| a.0 == alignment.action_at) {
        eprintln!("warning: the simulated action '{text}' was refused: {err}");
    }
    if let Some(d) = args.action_at
        && alignment.action.is_none()
    {
        eprintln!(
            "warning: no timeline action runs at {:.3}s (--action-at {}); the trace's t = 0 is set there anyway",
            alignment.action_at.0 as f64 / 1e9,
            d
        );
    }
    let comparison = compare_records(&records, &service, args.action_at, &traces, tolerance, args.widen_by_spread)
        .map_err(Error::input)?;
    match args.format {
        Format::Text => print!("{}", render::table(&comparison)),
        Format::Json => print!("{}", render::json(&comparison)),
    }
    if comparison.passed { Ok(()) } else { Err(Error::Checked(None)) }
}
