//! `deploysim sweep`: runs a scenario under every combination of update-policy values, over many
//! seeds, and recommends a policy.
//!
//! # Policies
//!
//! Each `--set PATH=V1,V2,…` names a key of the scenario file by its dotted path (stack keys like
//! `services.web.deploy.update_config.parallelism`, or `x-simulation.images.nginx:1.14-alpine.pull`)
//! and the values to try; a policy is one value per parameter, and the sweep runs the cartesian
//! product. Each policy's file is edited as YAML ([`crate::scenario::Document`]) and loaded
//! through the normal validation, so a bad value is reported like a bad scenario.
//!
//! # Common random numbers
//!
//! Run `i` of every policy uses seed `i` (seeds `1..=--seeds`; `x-simulation.seed` is ignored).
//! Every random stream (pull times, start times, health outcomes, faults, latencies) is derived
//! from the seed and a subsystem label ([`crate::rng::SimRng::stream`]), so policies are compared
//! on the same luck: the difference between two policies' runs with the same seed is due to the
//! policy, not to the draws, which makes comparisons far sharper than with independent seeds.
//! Draws are taken from each stream in event order, so when a policy changes the order of events
//! (a larger parallelism pulls on more nodes at once) the same draws may land on other tasks;
//! a value that changes nothing gives exactly the same runs (tested).
//!
//! # Figures
//!
//! Of the scenario's updated service (the first named by a `docker service update` in the
//! timeline, else the first service); see [`policy_stats::columns`] for `sweep.csv` and
//! [`stats`] for the statistics (nearest-rank percentiles; 95 % intervals: normal approximation
//! for means, Wilson score for probabilities). Only an update that reached `completed` has a
//! duration in the statistics; any other outcome counts as infinitely long.
//!
//! # Outputs
//!
//! `runs.csv`, `sweep.csv`, `pareto.svg`/`.png`, and `heatmap.svg`/`.png` when exactly two
//! parameters vary, written together with [`crate::report::replace_folder`]; stdout gives the
//! recommendation ([`recommend`]).
//!
//! # Determinism
//!
//! Runs are spread over threads, but every run is a pure function of (policy, seed) and results
//! are gathered in (policy, seed) order, so the files are byte-identical for any `--threads`.
//!
//! # Beyond one machine
//!
//! `--shard I/N` runs every N-th job (numbered in (policy, seed) order, starting at job I − 1)
//! and writes only a shard file ([`shard`]) with those runs' exact figures; `deploysim merge`
//! checks that the shards given are all the shards of one sweep and writes, from the same
//! integers, the very bytes and stdout the whole sweep would have. A batch engine (a
//! Kubernetes Indexed Job, `xargs -P`, a CI matrix) does the distributing.

pub(crate) mod collect;
pub(crate) mod exec;
pub(crate) mod heatmap;
pub(crate) mod params;
pub(crate) mod pareto;
pub(crate) mod policy_stats;
pub(crate) mod recommend;
pub(crate) mod shard;
pub(crate) mod stats;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use crate::limits::{MAX_SWEEP_POLICIES, SWEEP_KEPT_SCENARIO_BYTES};

use crate::model::scenario::{Action, Scenario};
use crate::scenario::Document;
use collect::Collector;
use exec::RunFigures;
use params::Param;
use policy_stats::Column;
use recommend::{Constraint, Objective};

/// What a sweep is, apart from its runs: everything the outputs need. `merge` rebuilds it from
/// the shard files, without the scenario (see [`shard`]).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    /// The scenario's name (report titles, the default folder).
    pub name: String,
    /// Swept parameters.
    pub params: Vec<Param>,
    /// Each policy as the index of its value in each parameter.
    pub policies: Vec<Vec<usize>>,
    /// The service whose figures are kept.
    pub service: String,
    /// Each policy's stack-file block to paste (empty when only `x-simulation` keys vary).
    pub snippets: Vec<String>,
}

/// Each policy's scenario, made from the scenario file when a run needs it: a sweep of 100,000
/// policies holds one scenario per worker thread, not 100,000. The scenarios [`plan`] loaded
/// to check them are kept for the runs while their files come to at most
/// [`SWEEP_KEPT_SCENARIO_BYTES`] (estimated, see [`loaded_weight`]: a tutorial-sized sweep of a
/// few hundred policies): each is then loaded once per sweep, not once by `plan` and again by
/// every worker that runs it.
pub(crate) struct Scenarios {
    base: Document,
    params: Vec<Param>,
    policies: Vec<Vec<usize>>,
    path: PathBuf,
    /// The scenarios `plan` kept, by policy: copied for each worker that runs the policy.
    kept: Vec<Option<Scenario>>,
    /// Some policy's scenario sends client traffic to the swept service: `runs.csv` then has a
    /// `failed_requests` column (a run has the figure exactly when its scenario has traffic on
    /// the service).
    traffic: bool,
}

impl Scenarios {
    /// Number of policies.
    pub(crate) fn len(&self) -> usize {
        self.policies.len()
    }

    /// Policy `policy`'s scenario (bad input when its values do not load).
    pub(crate) fn load(&self, policy: usize) -> Result<Scenario, String> {
        let values = &self.policies[policy];
        let doc = edit(&self.base, &self.params, values)?;
        crate::scenario::load_str(&doc.to_text(), &self.path)
            .map_err(|e| format!("policy {}: {e}", params::describe(&self.params, values)))
    }

    /// Policy `policy`'s scenario for its runs: a copy of the one `plan` kept, if it kept one
    /// (a copy is much cheaper than a load, and a policy's seeds may be shared between
    /// workers), else loaded again (the same text loads the same way).
    pub(crate) fn take(&self, policy: usize) -> Result<Scenario, String> {
        match self.kept.get(policy) {
            Some(Some(scenario)) => Ok(scenario.clone()),
            _ => self.load(policy),
        }
    }

    /// Whether `runs.csv` has a `failed_requests` column (see `traffic`).
    pub(crate) fn traffic(&self) -> bool {
        self.traffic
    }
}

/// The number of policies the `--set`s make (the product of their value counts), without
/// making them: a sweep too large is refused before any work.
pub(crate) fn policy_count(sets: &[String]) -> Result<u64, String> {
    let params: Vec<Param> = sets.iter().map(|s| params::parse_set(s)).collect::<Result<_, _>>()?;
    Ok(params.iter().fold(1u64, |n, p| n.saturating_mul(p.values.len() as u64)))
}

/// Parses the `--set`s and checks that every policy's scenario loads from `text` (the scenario
/// file at `path`), in policy order, keeping none of them. Errors are bad input: a bad `--set`,
/// too many policies, or a policy whose scenario does not load.
pub(crate) fn plan(text: &str, path: &Path, sets: &[String]) -> Result<(Plan, Scenarios), String> {
    let count = policy_count(sets)?;
    if count > MAX_SWEEP_POLICIES {
        return Err(format!(
            "the --set values make {count} policies: more than deploysim's limit of {MAX_SWEEP_POLICIES} per sweep"
        ));
    }
    let base = Document::parse(text).map_err(|e| format!("{}: invalid YAML: {}", path.display(), e.message))?;
    let params: Vec<Param> = sets.iter().map(|s| params::parse_set(s)).collect::<Result<_, _>>()?;
    let policies = params::cartesian(&params);
    let blocks = snippet_blocks(&params);
    let mut snippets = Vec::with_capacity(policies.len());
    let mut kept = Vec::new();
    let mut kept_bytes = 0;
    // The first policy's checks and names, as found; its errors are said after every policy
    // loaded, as before the scenarios were kept.
    let mut first: Option<(Result<(), String>, Option<String>, String)> = None;
    let mut traffic = false;
    for policy in &policies {
        let doc = edit(&base, &params, policy)?;
        let text = doc.to_text();
        let scenario = crate::scenario::load_str(&text, path)
            .map_err(|e| format!("policy {}: {e}", params::describe(&params, policy)))?;
        snippets.push(if blocks.is_empty() { String::new() } else { doc.snippet(&blocks) });
        let (_, service, _) = first.get_or_insert_with(|| {
            let reached = check_swept_configs_reach_the_rollout(&scenario, &params);
            (reached, target_service(&scenario), scenario.name.clone())
        });
        traffic |= scenario.traffic.iter().any(|t| Some(&t.service) == service.as_ref());
        kept_bytes += loaded_weight(&text, &scenario);
        kept.push((kept_bytes <= SWEEP_KEPT_SCENARIO_BYTES).then_some(scenario));
    }
    let (reached, service, name) = first.ok_or("the --set values make no policy")?;
    reached?;
    let service = service.ok_or("the scenario has no service")?;
    let scenarios =
        Scenarios { base, params: params.clone(), policies: policies.clone(), path: path.to_path_buf(), kept, traffic };
    Ok((Plan { name, params, policies, service, snippets }, scenarios))
}

/// About the bytes a loaded scenario takes: its text (names, commands, labels are copied from
/// it) and what loading expands beyond it — `cluster.nodes: 20000` is a short line and 20,000
/// node specs, a YAML alias a short line and a copy.
fn loaded_weight(text: &str, scenario: &Scenario) -> usize {
    const PER_ITEM: usize = 256;
    let items = scenario.nodes.len()
        + scenario.services.len() * 4
        + scenario.timeline.len()
        + scenario.traffic.len()
        + scenario.images.len()
        + scenario.secrets.len()
        + scenario.expect.len()
        + scenario.strategies.len();
    text.len() + items * PER_ITEM
}

/// The stack-file blocks holding the swept stack keys (`services.web.deploy.update_config`),
/// in the order first named: what the recommendation's snippet shows.
fn snippet_blocks(params: &[Param]) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    for param in params.iter().filter(|p| !p.path.starts_with("x-simulation.")) {
        let block = param.path.rsplit_once('.').map_or(param.path.as_str(), |(b, _)| b).to_string();
        if !blocks.contains(&block) {
            blocks.push(block);
        }
    }
    blocks
}

/// The base document with one policy's values set.
fn edit(base: &Document, params: &[Param], policy: &[usize]) -> Result<Document, String> {
    let mut doc = base.clone();
    for (param, &i) in params.iter().zip(policy) {
        doc.set(&param.path, &param.values[i]).map_err(|e| format!("--set {}: {e}", param.path))?;
    }
    Ok(doc)
}

/// A swept `update_config` / `rollback_config` of the stack the scenario starts from changes
/// nothing when the service's first rollout comes from a timeline `docker stack deploy`: Docker
/// rolls out under the *deployed file's* settings (docker/cli sends its whole converted spec),
/// and that file is read from disk, unswept. Refused as bad input, with the way to sweep it,
/// rather than a sweep of identical runs that recommends one of them.
fn check_swept_configs_reach_the_rollout(scenario: &Scenario, params: &[Param]) -> Result<(), String> {
    for param in params {
        let Some((key, field)) = param.path.strip_prefix("services.").and_then(|rest| rest.split_once('.')) else {
            continue;
        };
        if !(field.starts_with("deploy.update_config") || field.starts_with("deploy.rollback_config")) {
            continue;
        }
        let full = format!("{}_{key}", scenario.stack);
        for entry in &scenario.timeline {
            match &entry.action {
                Action::ServiceUpdate { service, .. } | Action::Rollout { service, .. } if *service == full => break,
                Action::StackDeploy(deploy) if deploy.services.iter().any(|s| s.name == full) => {
                    let file = deploy.files.first().map_or("the deployed file", String::as_str);
                    let setting = field.strip_prefix("deploy.").unwrap_or(field);
                    return Err(format!(
                        "--set {}: {full} is rolled out by `{}` at {}s, which deploys {file}'s own {setting} \
                         (Docker rolls out under the new file's settings), so the swept values would change \
                         nothing. Sweep the deployed file's value instead: write it as a variable there \
                         (e.g. parallelism: ${{PARALLELISM}}) and sweep --set x-simulation.env.PARALLELISM=1..4",
                        param.path,
                        entry.text,
                        entry.at.secs_ms()
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The first service a timeline `docker service update` names, else the first service.
fn target_service(scenario: &Scenario) -> Option<String> {
    let updated = scenario.timeline.iter().find_map(|a| match &a.action {
        Action::ServiceUpdate { service, .. } | Action::Rollout { service, .. } => Some(service.clone()),
        _ => None,
    });
    updated.or_else(|| scenario.services.first().map(|s| s.name.clone()))
}

/// Figures of every policy, grouped from the runs (which come in (policy, seed) order: one pass,
/// not a scan of every run per policy).
#[cfg(test)]
pub(crate) fn policy_columns(plan: &Plan, runs: &[RunFigures]) -> Vec<Vec<Column>> {
    collect(plan, runs, false).0
}

/// The runs, taken in order by a [`Collector`]: each policy's figures (the capacity ones when a
/// run reserved or `capacity_wanted`) and `runs.csv`.
fn collect(plan: &Plan, runs: &[RunFigures], capacity_wanted: bool) -> (Vec<Vec<Column>>, Vec<u8>) {
    let traffic = runs.iter().any(|r| r.failed_requests.is_some());
    let in_memory = "writing to memory cannot fail";
    let mut collector = Collector::new(plan, traffic, Vec::new()).expect(in_memory);
    for run in runs {
        collector.push(run.clone()).expect(in_memory);
    }
    collector.finish(capacity_wanted).expect(in_memory)
}

/// Each policy's (duration p95, min serving ratio p5).
pub(crate) fn pareto_points(plan: &Plan, columns: &[Vec<Column>]) -> Vec<pareto::Point> {
    let get = |cols: &[Column], name| policy_stats::metric(cols, name).unwrap_or(f64::NAN);
    let point = |(policy, cols): (usize, &Vec<Column>)| pareto::Point {
        policy,
        label: format!("#{} {}", policy + 1, params::describe(&plan.params, &plan.policies[policy])),
        x: get(cols, "duration_p95"),
        y: get(cols, "min_serving_ratio_p5"),
    };
    columns.iter().enumerate().map(point).collect()
}

/// The heat map of the objective, when exactly two parameters vary.
fn heat_grid<'a>(
    plan: &'a Plan,
    columns: &[Vec<Column>],
    objective: &'a Objective,
    constraints: &[Constraint],
) -> Option<heatmap::Grid<'a>> {
    let [px, py] = plan.params.as_slice() else { return None };
    let decimals = columns[0].iter().find(|(n, _, _)| *n == objective.metric).map_or(3, |c| c.2);
    let best =
        recommend::ranked(columns, objective, constraints).first().map(|&b| (plan.policies[b][0], plan.policies[b][1]));
    let cells = plan
        .policies
        .iter()
        .zip(columns)
        .map(|(policy, cols)| {
            let value = policy_stats::metric(cols, &objective.metric).unwrap_or(f64::NAN);
            let feasible =
                constraints.iter().all(|c| policy_stats::metric(cols, &c.metric).is_some_and(|v| c.holds(v)));
            (policy[0], policy[1], value, feasible)
        })
        .collect();
    let grid = heatmap::Grid {
        title: plan.name.as_str(),
        metric: &objective.metric,
        decimals,
        x: (&px.path, &px.values),
        y: (&py.path, &py.values),
        cells,
        best,
    };
    Some(grid)
}

/// `runs.csv`: one row per run.
#[cfg(test)]
pub(crate) fn runs_csv(plan: &Plan, runs: &[RunFigures]) -> Vec<u8> {
    collect(plan, runs, false).1
}

/// `sweep.csv`: one row per policy.
pub(crate) fn sweep_csv(plan: &Plan, columns: &[Vec<Column>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["policy".into()];
    header.extend(plan.params.iter().map(|p| p.path.clone()));
    header.extend(columns[0].iter().map(|(name, _, _)| name.to_string()));
    let _ = w.write_record(&header);
    for (p, cols) in columns.iter().enumerate() {
        let mut row = vec![(p + 1).to_string()];
        row.extend(plan.params.iter().zip(&plan.policies[p]).map(|(param, &i)| param.values[i].clone()));
        row.extend(cols.iter().map(|(_, v, d)| policy_stats::format_value(*v, *d)));
        let _ = w.write_record(&row);
    }
    w.into_inner().unwrap_or_default()
}

/// The objective and constraints, with the defaults when none are given.
pub(crate) fn goals(objective: Option<&str>, constraints: &[String]) -> Result<(Objective, Vec<Constraint>), String> {
    let known = policy_stats::metric_names();
    let objective = recommend::parse_objective(objective.unwrap_or(recommend::DEFAULT_OBJECTIVE), &known)?;
    let defaults = [recommend::DEFAULT_CONSTRAINT.to_string()];
    let texts = if constraints.is_empty() { &defaults[..] } else { constraints };
    let constraints = texts.iter().map(|c| recommend::parse_constraint(c, &known)).collect::<Result<_, _>>()?;
    Ok((objective, constraints))
}

/// Refuses goals naming a request figure when the service has no traffic (before any run).
pub(crate) fn check_traffic(
    scenario: &Scenario,
    service: &str,
    objective: &Objective,
    constraints: &[Constraint],
) -> Result<(), String> {
    let has_traffic = scenario.traffic.iter().any(|t| t.service == service);
    let wanted = std::iter::once(&objective.metric).chain(constraints.iter().map(|c| &c.metric));
    match wanted.into_iter().find(|m| m.starts_with("failed_requests") && !has_traffic) {
        Some(metric) => Err(format!("{metric} needs x-simulation.traffic on service {service}")),
        None => Ok(()),
    }
}

/// What a whole sweep writes and prints from: each policy's figures and the files (`runs.csv`,
/// `sweep.csv`, the plots), the same bytes whether the runs were made here or merged from
/// shards.
pub(crate) struct Outputs {
    /// Each policy's `sweep.csv` figures.
    pub columns: Vec<Vec<Column>>,
    /// The files, in writing order.
    pub files: Vec<(&'static str, Vec<u8>)>,
}

/// The outputs of a whole sweep; a goal naming a figure the runs lack (a request figure
/// without traffic) is refused.
pub(crate) fn outputs(
    plan: &Plan,
    runs: &[RunFigures],
    objective: &Objective,
    constraints: &[Constraint],
) -> Result<Outputs, String> {
    let (columns, runs_csv) = collect(plan, runs, wants_capacity(objective, constraints));
    let mut files = vec![("runs.csv", runs_csv)];
    files.extend(files_after_runs(plan, &columns, objective, constraints)?);
    Ok(Outputs { columns, files })
}

/// A goal names a capacity figure: `sweep.csv` has them even when no task reserved.
pub(crate) fn wants_capacity(objective: &Objective, constraints: &[Constraint]) -> bool {
    std::iter::once(&objective.metric)
        .chain(constraints.iter().map(|c| &c.metric))
        .any(|m| policy_stats::CAPACITY_METRICS.contains(&m.as_str()))
}

/// The files a whole sweep writes after `runs.csv` (`sweep.csv`, the plots), from each policy's
/// figures; a goal naming a figure the runs lack (a request figure without traffic, a capacity
/// figure without reservations) is refused.
pub(crate) fn files_after_runs(
    plan: &Plan,
    columns: &[Vec<Column>],
    objective: &Objective,
    constraints: &[Constraint],
) -> Result<Vec<(&'static str, Vec<u8>)>, String> {
    let wanted = std::iter::once(&objective.metric).chain(constraints.iter().map(|c| &c.metric));
    if let Some(missing) = wanted.into_iter().find(|m| policy_stats::metric(&columns[0], m).is_none()) {
        if policy_stats::CAPACITY_METRICS.contains(&missing.as_str()) {
            return Err(format!(
                "{missing} needs deploy.resources.reservations (cpus or memory) on service {}",
                plan.service
            ));
        }
        return Err(format!("{missing} needs x-simulation.traffic on service {}", plan.service));
    }
    let name = &plan.name;
    let points = pareto_points(plan, columns);
    let mut files = vec![
        ("sweep.csv", sweep_csv(plan, columns)),
        ("pareto.svg", pareto::svg(name, &points).into_bytes()),
        ("pareto.png", pareto::png(name, &points)),
    ];
    if let Some(grid) = heat_grid(plan, columns, objective, constraints) {
        files.push(("heatmap.svg", heatmap::svg(&grid).into_bytes()));
        files.push(("heatmap.png", heatmap::png(&grid)));
    }
    Ok(files)
}

/// What stdout says: the sweep's size, the recommendation, why, the runner-up and the snippet.
pub(crate) fn story(
    plan: &Plan,
    seeds: u64,
    columns: &[Vec<Column>],
    objective: &Objective,
    constraints: &[Constraint],
) -> String {
    let n = plan.policies.len();
    let mut out = format!(
        "sweep: {n} policies x {seeds} seeds = {} runs of {} (service {}); run i of every policy uses seed i\n",
        n as u64 * seeds,
        plan.name,
        plan.service
    );
    let direction = if objective.direction == recommend::Direction::Min { "min" } else { "max" };
    let goals: Vec<String> = constraints.iter().map(Constraint::describe).collect();
    out += &format!("objective: {direction} {}; constraints: {}\n", objective.metric, goals.join(", "));
    let order = recommend::ranked(columns, objective, constraints);
    let Some(&best) = order.first() else {
        out += "no policy meets every constraint: widen the values swept or relax the constraints\n";
        if let Some((nearest, misses)) = recommend::nearest(columns, constraints) {
            out += &format!(
                "nearest: policy {} ({})\n",
                nearest + 1,
                params::describe(&plan.params, &plan.policies[nearest])
            );
            out += &figures_line(&columns[nearest], objective, constraints);
            for miss in misses {
                out += &format!("  misses {miss}\n");
            }
        }
        return out;
    };
    out += &format!("recommended: policy {} ({})\n", best + 1, params::describe(&plan.params, &plan.policies[best]));
    out += &figures_line(&columns[best], objective, constraints);
    out += &format!("  best {} of the policies meeting every constraint ({} of {n})\n", objective.metric, order.len());
    if let Some(&second) = order.get(1) {
        out +=
            &format!("runner-up: policy {} ({})\n", second + 1, params::describe(&plan.params, &plan.policies[second]));
        out += &figures_line(&columns[second], objective, constraints);
    }
    out += &snippet(plan, best);
    out
}

/// `  duration_p95 = 61.234; min_serving_ratio_p5 = 0.8000 (>= 0.8)`.
fn figures_line(cols: &[Column], objective: &Objective, constraints: &[Constraint]) -> String {
    let show = |name: &str| {
        let (_, v, d) = cols.iter().find(|(n, _, _)| *n == name).copied().unwrap_or(("", f64::NAN, 3));
        policy_stats::format_value(v, d)
    };
    let mut parts = vec![format!("{} = {}", objective.metric, show(&objective.metric))];
    parts.extend(constraints.iter().map(|c| format!("{} = {} ({} {})", c.metric, show(&c.metric), c.op, c.bound)));
    format!("  {}\n", parts.join("; "))
}

/// The stack-file blocks holding the swept stack keys, with the policy's values, to paste.
fn snippet(plan: &Plan, policy: usize) -> String {
    match plan.snippets.get(policy) {
        Some(text) if !text.is_empty() => format!("paste into the stack file:\n{text}"),
        _ => String::new(),
    }
}
