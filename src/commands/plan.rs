//! `deploysim plan OLD.yml NEW.yml`: loads the old scenario (or plain stack file) and the new
//! stack file, simulates `docker stack deploy -c NEW STACK` once the old stack has settled, and
//! prints which services would be created, updated, removed or left, which would replace tasks,
//! and the predicted rollout and hazards of each (see [`crate::plan`]). Exit 0: nothing would
//! be replaced; 1: tasks would be replaced (like `terraform plan -detailed-exitcode`); 2: bad
//! input.

use std::path::PathBuf;

use crate::commands::Error;
use crate::commands::args::Format;
use crate::commands::simulate::{SimulateOptions, load, simulate};
use crate::model::record::EndReason;
use crate::model::scenario::{Action, TimedAction};
use crate::time::{SimDuration, SimTime};

/// Predict what `docker stack deploy` of NEW over OLD would do (exit 0: nothing replaced; 1:
/// tasks would be replaced; 2: bad input).
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The stack as it runs now: a scenario (its x-simulation gives the cluster and images) or a
    /// plain stack file (the simulator's defaults).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The stack file to deploy over it.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// As `docker stack deploy --prune`: services OLD has and NEW does not are removed.
    #[arg(long)]
    pub prune: bool,
    /// Seed of the simulated rollout (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// How long the old stack may take to settle before the deploy is simulated anyway.
const SETTLE_LIMIT: SimDuration = SimDuration::from_secs(600);

/// How long the rollout is simulated for at most.
const ROLLOUT_LIMIT: SimDuration = SimDuration::from_secs(6 * 3600);

/// Runs `plan`.
pub fn run(args: &PlanArgs) -> Result<(), Error> {
    let mut old = load(&args.old)?;
    // The old stack alone, its own timeline left out: when it has settled, the deploy runs.
    old.timeline.clear();
    old.expect.clear();
    old.traffic.clear();
    old.until = SimTime(SETTLE_LIMIT.0);
    let settled = simulate(old.clone(), args.seed, &SimulateOptions::default());
    let settled_at = match settled.end_reason {
        EndReason::Quiescent => settled.end_time,
        _ => SimTime(SETTLE_LIMIT.0),
    };
    let deployed_at = SimTime(((settled_at.0 / 1_000_000_000) + 1) * 1_000_000_000);
    let members = old.services.iter().map(|s| s.name.clone()).collect();
    let deploy = crate::scenario::read_deploy(&args.new, &old.stack, members, args.prune)?;
    let new_specs = deploy.services.clone();
    let mut scenario = old.clone();
    let text = format!("docker stack deploy -c {} {}", args.new.display(), old.stack);
    scenario.timeline = vec![TimedAction {
        at: deployed_at,
        jitter: SimDuration::ZERO,
        action: Action::StackDeploy(Box::new(deploy)),
        text,
    }];
    scenario.until = deployed_at.plus(ROLLOUT_LIMIT);
    let record = simulate(scenario.clone(), args.seed, &SimulateOptions::default());
    if let Some((_, _, Some(refusal))) = record.actions.iter().find(|(t, _, _)| *t == deployed_at) {
        return Err(Error::input(format!("docker stack deploy would fail: {refusal}")));
    }
    // The new policy's hazards, judged on the old scenario's cluster and images.
    let mut checked = scenario.clone();
    checked.services = new_specs.clone();
    let checks: Vec<(String, crate::check::ServiceCheck)> =
        new_specs.iter().map(|s| s.name.clone()).zip(crate::check::check(&checked)).collect();
    let header =
        (args.old.display().to_string(), args.new.display().to_string(), old.stack.clone(), args.prune, record.seed);
    let plan = crate::plan::plan(header, &old.services, &new_specs, &record, deployed_at, &checks);
    match args.format {
        Format::Text => print!("{}", crate::plan::text(&plan)),
        Format::Json => print!("{}", crate::plan::json(&plan)),
    }
    if plan.replacing > 0 { Err(Error::Checked(None)) } else { Ok(()) }
}
