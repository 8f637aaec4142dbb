//! Sweep tests: parameter parsing, the cartesian product, statistics on known values, common
//! random numbers, thread-count determinism and the recommendation.

use std::path::PathBuf;

use super::exec::Shard;
use super::params::{cartesian, parse_set};
use super::recommend::{Objective, parse_constraint, parse_objective, ranked};
use super::stats::{mean, percentile, proportion};
use super::*;
use crate::commands::sweep::run_all;

fn tutorial() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/rolling-update.yml")
}

/// The plan of a sweep of the tutorial.
fn plan_tutorial(sets: &[String]) -> Result<(Plan, Scenarios), String> {
    let path = tutorial();
    plan(&std::fs::read_to_string(&path).unwrap(), &path, sets)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-4
}

#[test]
fn parses_lists_ranges_and_nested_values() {
    let p = parse_set("a.b=1..3,8").unwrap();
    assert_eq!((p.path.as_str(), p.values.clone()), ("a.b", vec!["1".into(), "2".into(), "3".into(), "8".into()]));
    let p = parse_set("x.pull={uniform: [1s, 2s]},3s").unwrap();
    assert_eq!(p.values, ["{uniform: [1s, 2s]}", "3s"]);
    assert!(parse_set("nothing").is_err());
    assert!(parse_set("a=1,,2").is_err());
    assert!(parse_set("a=5..1").is_err());
}

#[test]
fn cartesian_product_varies_the_last_parameter_fastest() {
    let params = [parse_set("a=1,2").unwrap(), parse_set("b=x,y,z").unwrap()];
    let product = cartesian(&params);
    assert_eq!(product.len(), 6);
    assert_eq!(product[0], [0, 0]);
    assert_eq!(product[1], [0, 1]);
    assert_eq!(product[5], [1, 2]);
    assert_eq!(cartesian(&[]), vec![Vec::<usize>::new()]);
}

#[test]
fn percentiles_use_the_nearest_rank() {
    let v: Vec<f64> = (1..=20).map(f64::from).collect();
    assert_eq!(percentile(&v, 5), 1.0);
    assert_eq!(percentile(&v, 50), 10.0);
    assert_eq!(percentile(&v, 95), 19.0);
    assert_eq!(percentile(&v, 100), 20.0);
    assert_eq!(percentile(&[7.0], 5), 7.0);
    assert!(percentile(&[], 50).is_nan());
}

#[test]
fn confidence_intervals_match_known_values() {
    let m = mean(&[1.0, 2.0, 3.0, 4.0]);
    assert!(close(m.value, 2.5) && close(m.low, 1.2349) && close(m.high, 3.7651), "{m:?}");
    let w = proportion(0, 100);
    assert!(close(w.value, 0.0) && close(w.low, 0.0) && close(w.high, 0.0370), "{w:?}");
    let w = proportion(5, 10);
    assert!(close(w.low, 0.2366) && close(w.high, 0.7634), "{w:?}");
    assert!(mean(&[1.0, f64::INFINITY]).low.is_nan());
}

#[test]
fn unknown_paths_are_usage_errors_with_a_hint() {
    let e = plan_tutorial(&["services.web.deploy.update_config.paralelism=1,2".into()]).err().unwrap();
    assert!(e.to_string().contains("did you mean parallelism?"), "{e}");
    let e = plan_tutorial(&["x-simulation.images.nginx:1.15-alpine.pull=1s".into()]).err().unwrap();
    assert!(
        e.to_string().contains("no key nginx:1.15-alpine in x-simulation.images; did you mean nginx:1.13-alpine?"),
        "{e}"
    );
    let e = plan_tutorial(&["services.web.deploy.update_config.order=sideways".into()]).err().unwrap();
    assert!(e.to_string().contains("policy order=sideways"), "{e}");
}

#[test]
fn stack_and_simulation_keys_reach_the_scenario() {
    let sets = [
        "services.web.deploy.update_config.parallelism=1,4".into(),
        "x-simulation.images.nginx:1.14-alpine.pull=2s".into(),
    ];
    let (plan, scenarios) = plan_tutorial(&sets).unwrap();
    assert_eq!(scenarios.len(), 2);
    let (first, second) = (scenarios.load(0).unwrap(), scenarios.load(1).unwrap());
    assert_eq!(first.services[0].update.parallelism, 1);
    assert_eq!(second.services[0].update.parallelism, 4);
    let pull = &first.images["nginx:1.14-alpine"].pull;
    assert_eq!(*pull, crate::rng::Dist::Fixed(crate::time::SimDuration::from_secs(2)));
    assert_eq!(plan.service, "web_web");
}

#[test]
fn common_random_numbers_give_equal_runs_when_the_value_cannot_matter() {
    // Nothing rolls back in the tutorial, so the rollback delay cannot change anything
    // (rollback_config needs compose format 3.7).
    let sets = ["version=\"3.7\"".into(), "services.web.deploy.rollback_config.delay=0s,30s".into()];
    let (plan, scenarios) = plan_tutorial(&sets).unwrap();
    let runs = run_all(&scenarios, &plan.service, 4, Shard::WHOLE, 2, None);
    let (a, b): (Vec<_>, Vec<_>) = runs.into_iter().partition(|r| r.policy == 0);
    assert_eq!(a.len(), 4);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(RunFigures { policy: 1, ..x.clone() }, *y);
    }
    // …while different seeds do draw differently (the test would be vacuous otherwise).
    assert!(a.iter().any(|r| r.duration != a[0].duration));
}

#[test]
fn runs_reach_the_caller_in_job_order_whatever_the_threads_and_shard() {
    // Results finish out of order on several threads (and a policy's seeds may be split
    // between workers toward the end): the reorder buffer must hand them on in job order,
    // each once, with the progress reaching the total.
    let sets = ["services.web.deploy.update_config.parallelism=1..5".into()];
    let (plan, scenarios) = plan_tutorial(&sets).unwrap();
    for (threads, shard) in [(3, Shard::WHOLE), (2, Shard { index: 2, count: 3 }), (4, Shard { index: 3, count: 3 })] {
        let mut seen = Vec::new();
        let mut last_progress = (0, 0);
        let mut progress = |done, total| last_progress = (done, total);
        crate::commands::sweep::run_each(&scenarios, &plan.service, 7, shard, threads, Some(&mut progress), &mut |r| {
            seen.push(super::exec::job_of(r.policy, r.seed, 7));
            true
        });
        let expected: Vec<usize> = shard.jobs(5 * 7).collect();
        assert_eq!(seen, expected, "{threads} threads, shard {shard}");
        assert_eq!(last_progress, (expected.len(), expected.len()));
    }
}

#[test]
fn a_kept_scenario_is_the_one_a_fresh_load_gives() {
    let sets = ["services.web.deploy.update_config.parallelism=1,2".into()];
    let (_, scenarios) = plan_tutorial(&sets).unwrap();
    let kept = scenarios.take(1).unwrap();
    let again = scenarios.take(1).unwrap();
    let loaded = scenarios.load(1).unwrap();
    assert_eq!(kept.services, loaded.services);
    assert_eq!(again.services, loaded.services);
    assert_eq!(kept.services[0].update.parallelism, 2);
    assert!(!scenarios.traffic(), "the tutorial sends no traffic");
}

#[test]
fn outputs_do_not_depend_on_the_thread_count() {
    let sets = [
        "services.web.deploy.update_config.parallelism=1,3".into(),
        "services.web.deploy.update_config.delay=0s,5s".into(),
    ];
    let (plan, scenarios) = plan_tutorial(&sets).unwrap();
    let files = |threads| {
        let runs = run_all(&scenarios, &plan.service, 3, Shard::WHOLE, threads, None);
        (runs_csv(&plan, &runs), sweep_csv(&plan, &policy_columns(&plan, &runs)))
    };
    let (runs1, sweep1) = files(1);
    assert_eq!((runs1.clone(), sweep1.clone()), files(2));
    let text = String::from_utf8(runs1).unwrap();
    assert_eq!(text.lines().count(), 1 + 4 * 3);
    assert!(text.starts_with("policy,services.web.deploy.update_config.parallelism,services.web.deploy.update_config.delay,seed,final_state,duration_s,"), "{text}");
    assert!(text.lines().nth(1).unwrap().starts_with("1,1,0s,1,completed,"), "{text}");
    assert_eq!(String::from_utf8(sweep1).unwrap().lines().count(), 1 + 4);
}

fn cols(duration_p95: f64, ratio_p5: f64) -> Vec<policy_stats::Column> {
    vec![("duration_p95", duration_p95, 3), ("min_serving_ratio_p5", ratio_p5, 4), ("rollback_probability", 0.0, 4)]
}

#[test]
fn recommends_the_best_policy_meeting_the_constraints() {
    let known = ["duration_p95", "min_serving_ratio_p5", "rollback_probability"];
    let objective: Objective = parse_objective("min:duration_p95", &known).unwrap();
    let constraints = vec![
        parse_constraint("min_serving_ratio_p5>=0.8", &known).unwrap(),
        parse_constraint("rollback_probability<=0.01", &known).unwrap(),
    ];
    let policies = vec![cols(30.0, 0.6), cols(50.0, 0.8), cols(40.0, 0.9), cols(40.0, 0.85), cols(f64::INFINITY, 1.0)];
    assert_eq!(ranked(&policies, &objective, &constraints), [2, 3, 1, 4]);
    let max = parse_objective("max:min_serving_ratio_p5", &known).unwrap();
    assert_eq!(ranked(&policies, &max, &[])[0], 4);
    let e = parse_objective("min:duration_p59", &known).unwrap_err();
    assert!(e.contains("did you mean"), "{e}");
    assert!(parse_constraint("duration_p95=3", &known).is_err());
}

#[test]
fn the_story_names_the_choice_the_runner_up_and_the_snippet() {
    let sets = ["services.web.deploy.update_config.parallelism=1,5".into()];
    let (plan, scenarios) = plan_tutorial(&sets).unwrap();
    let runs = run_all(&scenarios, &plan.service, 2, Shard::WHOLE, 2, None);
    let columns = policy_columns(&plan, &runs);
    let known = ["duration_p95", "min_serving_ratio_p5"];
    let objective = parse_objective("min:duration_p95", &known).unwrap();
    let constraints = vec![parse_constraint("min_serving_ratio_p5>=0.5", &known).unwrap()];
    let text = story(&plan, 2, &columns, &objective, &constraints);
    assert!(text.contains("recommended: policy 2 (parallelism=5)"), "{text}");
    assert!(text.contains("runner-up: policy 1 (parallelism=1)"), "{text}");
    assert!(text.contains("      update_config:\n        parallelism: 5\n        delay: 10s\n"), "{text}");
}

fn point(policy: usize, x: f64, y: f64) -> pareto::Point {
    pareto::Point { policy, label: String::new(), x, y }
}

#[test]
fn the_pareto_front_keeps_only_undominated_policies() {
    let points = [
        point(0, 30.0, 0.9),
        point(1, 20.0, 0.8),
        point(2, 25.0, 0.8), // slower than 1 for the same availability
        point(3, 10.0, 0.5),
        point(4, f64::INFINITY, 1.0), // never completed: cannot be on the front
        point(5, 35.0, 0.9),          // slower than 0 for the same availability
    ];
    let front: Vec<usize> = pareto::front(&points).iter().map(|p| p.policy).collect();
    assert_eq!(front, [3, 1, 0]);
    let svg = pareto::svg("t", &points);
    assert!(svg.starts_with("<svg") && svg.contains("1 never completed"), "{}", &svg[..200.min(svg.len())]);
}

#[test]
fn a_heat_map_is_drawn_only_when_two_parameters_vary() {
    let sets = [
        "services.web.deploy.update_config.parallelism=1,2".into(),
        "services.web.deploy.update_config.delay=0s,5s".into(),
    ];
    let (two, scenarios) = plan_tutorial(&sets).unwrap();
    let runs = run_all(&scenarios, &two.service, 1, Shard::WHOLE, 1, None);
    let columns = policy_columns(&two, &runs);
    let known = policy_stats::metric_names();
    let objective = parse_objective("min:duration_p95", &known).unwrap();
    let grid = heat_grid(&two, &columns, &objective, &[]).unwrap();
    assert_eq!((grid.cells.len(), grid.best), (4, Some((1, 0))));
    assert!(heatmap::svg(&grid).starts_with("<svg"));
    let (one, _) = plan_tutorial(&sets[..1]).unwrap();
    assert!(heat_grid(&one, &columns[..2], &objective, &[]).is_none());
}

#[test]
fn shards_deal_every_job_to_exactly_one_shard() {
    for count in 1..=7u64 {
        let mut seen = vec![0u32; 23];
        for index in 1..=count {
            let shard = Shard::parse(&format!("{index}/{count}")).unwrap();
            for job in shard.jobs(23) {
                assert!(shard.owns(job));
                seen[job] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n == 1), "{count}: {seen:?}");
    }
    assert_eq!(Shard::parse(" 2 / 8 ").unwrap(), Shard { index: 2, count: 8 });
    for bad in ["0/1", "3/2", "1", "1/0", "x/2", "-1/2"] {
        assert!(Shard::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_shard_file_round_trips_the_exact_figures() {
    let sets = ["services.web.deploy.update_config.parallelism=1,2".into()];
    let (plan, scenarios) = plan_tutorial(&sets).unwrap();
    let whole = run_all(&scenarios, &plan.service, 3, Shard::WHOLE, 2, None);
    let definition = shard::Definition {
        scenario: plan.name.clone(),
        input_digest: "0123456789abcdef".into(),
        service: plan.service.clone(),
        sets: sets.to_vec(),
        seeds: 3,
        objective: None,
        constraints: vec![],
        snippets: plan.snippets.clone(),
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut loaded = Vec::new();
    for index in [2, 1] {
        let part = Shard { index, count: 2 };
        let runs = run_all(&scenarios, &plan.service, 3, part, 1, None);
        assert_eq!(runs.len(), 3);
        let path = tmp.path().join(format!("{index}.json"));
        std::fs::write(&path, shard::to_bytes(&definition, part, &runs)).unwrap();
        loaded.push(shard::read(&path).unwrap());
    }
    let (back, runs) = shard::combine(loaded).unwrap();
    assert_eq!(back, definition);
    assert_eq!(runs, whole);
    assert_eq!(back.plan().unwrap(), plan);
}

#[test]
fn a_sweep_with_too_many_policies_is_refused_before_any_is_made() {
    // 1000 × 1000 × 1000 values: refused from the counts alone (making them would take hours).
    let sets: Vec<String> = ["parallelism", "delay", "monitor"]
        .iter()
        .map(|k| format!("services.web.deploy.update_config.{k}=1..1000"))
        .collect();
    assert_eq!(crate::sweep::policy_count(&sets), Ok(1_000_000_000));
    let e = plan_tutorial(&sets).err().expect("refused");
    assert!(e.contains("1000000000 policies: more than deploysim's limit of 100000"), "{e}");
}

#[test]
fn policy_columns_group_runs_by_policy_in_one_pass() {
    // Each policy's figures come from its own runs only, including a policy with no run (a
    // shard may hold none of a policy's seeds).
    let sets = ["services.web.deploy.update_config.parallelism=1,2,3".into()];
    let (plan, scenarios) = plan_tutorial(&sets).unwrap();
    let runs = run_all(&scenarios, &plan.service, 2, Shard::WHOLE, 1, None);
    let whole = policy_columns(&plan, &runs);
    let without_second: Vec<_> = runs.iter().filter(|r| r.policy != 1).cloned().collect();
    let partial = policy_columns(&plan, &without_second);
    assert_eq!(partial[0], whole[0]);
    assert_eq!(partial[2], whole[2]);
    assert_ne!(partial[1], whole[1], "the second policy has no runs left");
}

/// The tutorial swept over two parallelisms, two seeds each, as one whole shard: its
/// definition, the shard and its runs.
fn one_shard_of_two_seeds() -> (shard::Definition, Shard, Vec<RunFigures>) {
    let sets = ["services.web.deploy.update_config.parallelism=1,2".into()];
    let (plan, scenarios) = plan_tutorial(&sets).unwrap();
    let definition = shard::Definition {
        scenario: plan.name.clone(),
        input_digest: "0123456789abcdef".into(),
        service: plan.service.clone(),
        sets: sets.to_vec(),
        seeds: 2,
        objective: None,
        constraints: vec![],
        snippets: plan.snippets.clone(),
    };
    let part = Shard { index: 1, count: 1 };
    let runs = run_all(&scenarios, &plan.service, 2, part, 1, None);
    (definition, part, runs)
}

#[test]
fn a_shard_file_is_checked_against_its_content_digest() {
    let (definition, part, runs) = one_shard_of_two_seeds();
    let text = String::from_utf8(shard::to_bytes(&definition, part, &runs)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("shard.json");
    let read = |text: &str| {
        std::fs::write(&path, text).unwrap();
        shard::read(&path)
    };
    assert_eq!(read(&text).unwrap().runs, runs);
    let digest_line = text.lines().nth(2).unwrap();
    let hex = digest_line.strip_prefix("  \"content_sha256\": \"").and_then(|l| l.strip_suffix("\","));
    assert!(hex.is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())), "{digest_line}");

    // The same values laid out another way are the same content.
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(read(&serde_json::to_string(&value).unwrap()).unwrap().runs, runs);

    // Any value changed, however plausibly, is an edit: a run's figure, the sweep's definition.
    let first_duration = text.find("\"duration_ns\":").unwrap();
    let edits = [
        text[..first_duration].to_string() + "\"duration_ns\":1," + text[first_duration..].split_once(',').unwrap().1,
        text.replacen("\"seeds\": 2", "\"seeds\": 3", 1),
        text.replacen("\"paused\":false", "\"paused\":true", 1),
    ];
    for edited in edits {
        assert_ne!(edited, text);
        match read(&edited) {
            Err(shard::Unusable::Edited(why)) => {
                assert!(why.starts_with(&format!("{}: edited after", path.display())), "{why}");
                assert!(why.contains("run that shard again"), "{why}");
            }
            other => panic!("an edited shard was not refused as edited: {other:?}"),
        }
    }
    // A file of the format before digests is named as such.
    let old = text.replacen("deploysim-sweep-shard/2", "deploysim-sweep-shard/1", 1);
    assert!(matches!(read(&old), Err(shard::Unusable::Unreadable(why)) if why.contains("older deploysim")));
}

#[test]
fn a_swept_update_config_a_timeline_stack_deploy_overrides_is_refused_with_the_way_to_sweep_it() {
    // The bundled stack-deploy scenario rolls shop_web out with `docker stack deploy -c
    // shop-v2.yml`, whose own update_config applies: sweeping the starting stack's would run
    // identical policies. Refused, naming the deploy and the variable route; a key that matters
    // before the deploy (the starting replicas) and the tutorial's `docker service update`
    // rollout are still swept.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/stack-deploy/shop.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let refused = plan(&text, &path, &["services.web.deploy.update_config.parallelism=1..3".into()]).err();
    let message = refused.expect("refused");
    assert!(message.contains("docker stack deploy -c shop-v2.yml"), "{message}");
    assert!(message.contains("x-simulation.env."), "{message}");
    assert!(plan(&text, &path, &["services.api.deploy.replicas=3,4".into()]).is_ok(), "not an update config");
    assert!(plan_tutorial(&["services.web.deploy.update_config.parallelism=1..3".into()]).is_ok());
}

#[test]
fn the_sweeps_peak_extra_tasks_is_the_rollout_reports_for_every_bundled_scenario() {
    // The sweep counts the figure from the container counts alone; the report from its
    // routed-count rows. Every bundled scenario (rollouts by hand, blue-green and canary ones,
    // none at all) over a few seeds must give both the same value, and some must exceed 0.
    let (mut compared, mut above_zero) = (0, 0);
    for (path, scenario) in bundled_scenarios() {
        for seed in 1..=3 {
            let options = crate::commands::simulate::SimulateOptions::default();
            let record = crate::commands::simulate::simulate(scenario.clone(), Some(seed), &options);
            let report = crate::report::rollout::figures(&record).map_or(0, |f| f.peak_extra_tasks);
            assert_eq!(exec::peak_extra_tasks(&record), report, "{} seed {seed}", path.display());
            compared += 1;
            above_zero += usize::from(report > 0);
        }
    }
    assert!(compared > 30 && above_zero > 10, "{compared} runs compared, {above_zero} with extra tasks");
}

/// Every bundled scenario that loads on its own (files a timeline deploys do not), in path order.
fn bundled_scenarios() -> Vec<(PathBuf, crate::model::scenario::Scenario)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "yml") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios"), &mut paths);
    paths.into_iter().filter_map(|path| crate::scenario::load(&path).ok().map(|s| (path, s))).collect()
}

/// Asserts that a figures-only record holds everything the full one does but the task and
/// process rows (and the serving spans of a run where nothing reads them: `spans_read` false):
/// every field as it is, except the names table (numbered as rows came) and what names its
/// entries (serving spans, node rows), compared by text.
fn assert_same_but_rows(
    full: &crate::model::record::RunRecord,
    lean: &crate::model::record::RunRecord,
    spans_read: bool,
    what: &str,
) {
    use crate::model::record::RunRecord;
    let ends = |r: &RunRecord| (r.end_reason, r.end_time, r.events_handled, r.seed, r.reservations);
    assert_eq!(ends(full), ends(lean), "{what}");
    assert_eq!(
        (&full.services, &full.timeline, &full.requests),
        (&lean.services, &lean.timeline, &lean.requests),
        "{what}"
    );
    assert_eq!(
        (&full.containers, &full.routes, &full.image_changes),
        (&lean.containers, &lean.routes, &lean.image_changes),
        "{what}"
    );
    assert_eq!(
        (&full.strategies, &full.actions, &full.nodes),
        (&lean.strategies, &lean.actions, &lean.nodes),
        "{what}"
    );
    let spans = |r: &RunRecord| -> Vec<_> {
        r.serving
            .iter()
            .map(|s| (r.name(s.service).to_string(), r.name(s.image).to_string(), s.start, s.end, s.ended_by, s.cut))
            .collect()
    };
    if spans_read {
        assert_eq!(spans(full), spans(lean), "{what}");
    } else {
        assert!(lean.serving.is_empty(), "{what}: spans nothing reads are not followed");
    }
    let nodes = |r: &RunRecord| -> Vec<_> {
        r.node_events
            .iter()
            .map(|n| {
                (n.t, r.name(n.node).to_string(), n.state, n.availability, n.removed, r.name(n.message).to_string())
            })
            .collect()
    };
    assert_eq!(nodes(full), nodes(lean), "{what}");
}

#[test]
fn figures_only_runs_give_every_service_the_full_records_figures_and_count_every_change() {
    // A sweep records its runs figures-only (no events.csv or process rows). On every bundled
    // scenario over a few seeds, each service's figures — and every record field they are
    // computed from — must equal the full record's, while the rows really are left out.
    use crate::commands::simulate::{SimulateOptions, simulate};
    let figures_only = exec::run_options();
    assert!(figures_only.figures_only && !SimulateOptions::default().figures_only, "explicit, off by default");
    let (mut compared, mut with_rows, mut spans_kept, mut spans_left) = (0, 0, 0, 0);
    for (path, scenario) in bundled_scenarios() {
        // Only the request outcomes and a rollout's analysis read serving spans.
        let spans_read = !scenario.traffic.is_empty()
            || scenario.timeline.iter().any(|a| matches!(a.action, crate::model::scenario::Action::Rollout { .. }));
        for seed in 1..=2 {
            let full = simulate(scenario.clone(), Some(seed), &SimulateOptions::default());
            let lean = simulate(scenario.clone(), Some(seed), &figures_only);
            let what = format!("{} seed {seed}", path.display());
            assert!(lean.figures_only && !full.figures_only, "{what}");
            assert!(lean.task_events.is_empty() && lean.process_events.is_empty(), "{what}");
            assert_same_but_rows(&full, &lean, spans_read, &what);
            for service in &full.services {
                assert_eq!(exec::figures(&full, &service.name, 0), exec::figures(&lean, &service.name, 0), "{what}");
            }
            compared += 1;
            with_rows += usize::from(!full.task_events.is_empty());
            let spans = usize::from(!full.serving.is_empty());
            (spans_kept, spans_left) =
                if spans_read { (spans_kept + spans, spans_left) } else { (spans_kept, spans_left + spans) };
        }
    }
    assert!(compared > 30 && with_rows > 30, "{compared} runs compared, {with_rows} with task rows");
    // Both kinds were compared: runs whose spans the figures read, and runs whose spans were left out.
    assert!(spans_kept > 5 && spans_left > 5, "{spans_kept} runs with spans kept, {spans_left} with spans left out");

    // The history budget counts changes that were not kept as rows: a crash storm (the one of
    // limits.rs's test) stops at the same event either way.
    let yaml = "services:\n  web:\n    image: web:1\n    deploy:\n      replicas: 50\n      restart_policy: {condition: any, delay: 0s}\nx-simulation:\n  until: 10h\n  images:\n    web:1: {start: 1ms, exit: {code: 1, after: 1ms}}\n";
    let storm = crate::scenario::load_str(yaml, std::path::Path::new("storm.yml")).expect("valid");
    for seed in [1, 2] {
        let full = simulate(storm.clone(), Some(seed), &SimulateOptions::default());
        let lean = simulate(storm.clone(), Some(seed), &figures_only);
        assert_eq!(full.end_reason, crate::model::record::EndReason::HistoryLimitReached);
        assert!(lean.task_events.is_empty());
        assert_same_but_rows(&full, &lean, false, &format!("storm seed {seed}"));
        assert_eq!(exec::figures(&full, "web", 0), exec::figures(&lean, "web", 0), "storm seed {seed}");
    }
}

#[test]
fn a_caller_that_can_take_no_more_runs_stops_the_sweep() {
    // A write that fails midway (a full disk under runs.csv) must not let the workers run the
    // rest of the sweep before the error is said: after `each` says no, no more runs reach it,
    // and run_each returns (the workers waiting on the reorder window are released).
    let sets = ["services.web.deploy.update_config.parallelism=1..5".into()];
    let (plan, scenarios) = plan_tutorial(&sets).unwrap();
    for threads in [1, 2, 3] {
        let mut calls = 0;
        crate::commands::sweep::run_each(&scenarios, &plan.service, 7, Shard::WHOLE, threads, None, &mut |_| {
            calls += 1;
            calls < 3
        });
        assert_eq!(calls, 3, "{threads} threads");
    }
}

#[test]
fn a_shard_with_a_run_outside_the_sweep_is_refused_not_a_panic() {
    // The content digest stops edits, but a file whose digest was recomputed is still input:
    // seed 0 or a seed past --seeds is refused by merge with the file's name.
    let (definition, part, runs) = one_shard_of_two_seeds();
    for seed in [0, 3] {
        let mut forged = runs.clone();
        forged[1].seed = seed;
        let loaded = shard::Loaded {
            path: "forged/shard.json".into(),
            shard: part,
            definition: definition.clone(),
            runs: forged,
        };
        let err = shard::combine(vec![loaded]).unwrap_err();
        assert!(err.contains("forged/shard.json") && err.contains("outside the sweep"), "seed {seed}: {err}");
    }
}

/// The crash storm of `limits.rs`'s test: it ends at the history limit, its full record spilled
/// to the temporary file (the unit tests' small resident budget).
fn storm() -> crate::model::scenario::Scenario {
    let yaml = "services:\n  web:\n    image: web:1\n    deploy:\n      replicas: 50\n      restart_policy: {condition: any, delay: 0s}\nx-simulation:\n  until: 10h\n  images:\n    web:1: {start: 1ms, exit: {code: 1, after: 1ms}}\n";
    crate::scenario::load_str(yaml, std::path::Path::new("storm.yml")).expect("valid")
}

#[test]
fn a_renewed_world_gives_each_run_a_new_worlds_record() {
    // A sweep's worker runs one world after another (`World::renew`): each run must be the one
    // a new world gives — the whole record compared, not a figure — whatever ran in the world
    // before: another seed, another scenario, a run stopped by `max_events` (events left
    // pending), one stopped by the history limit (its log spilled to disk), a manager killed and
    // restarted (leadership, sessions, held-back work). Both the sweep's figures-only recording
    // and a full one with decisions and the invariant checks; every other record is given back
    // to the world (`World::recycle`, as a sweep's worker does) before the next run.
    use crate::commands::simulate::{SimulateOptions, simulate, world};
    use crate::model::record::EndReason;
    let mut runs: Vec<(String, crate::model::scenario::Scenario, u64)> = Vec::new();
    for (i, (path, scenario)) in bundled_scenarios().into_iter().enumerate() {
        let name = path.display().to_string();
        runs.push((name.clone(), scenario.clone(), 1));
        runs.push((name.clone(), scenario.clone(), 2));
        // Stopped at each eighth of the way (a manager down, an update under way…): the next
        // run starts after events left in the queue and state left mid-change.
        let events = simulate(scenario.clone(), Some(1), &SimulateOptions::default()).events_handled;
        for part in (1..8).map(|k| events * k / 8) {
            let mut cut = scenario.clone();
            cut.max_events = part.max(1);
            runs.push((format!("{name} (max_events {})", cut.max_events), cut, 1));
        }
        if i % 9 == 0 {
            runs.push(("storm".into(), storm(), i as u64 + 1));
        }
        runs.push((name, scenario, 3));
    }
    let full = SimulateOptions { decisions: true, invariant_checks: true, ..Default::default() };
    for options in [exec::run_options(), full] {
        let mut reused: Option<crate::world::World> = None;
        let mut ends = std::collections::BTreeSet::new();
        for (k, (what, scenario, seed)) in runs.iter().enumerate() {
            let fresh = simulate(scenario.clone(), Some(*seed), &options);
            let world = match &mut reused {
                Some(world) => {
                    world.renew(|s| {
                        *s = scenario.clone();
                        s.seed = *seed;
                    });
                    world
                }
                None => reused.insert(world(scenario.clone(), Some(*seed), &options)),
            };
            let again = world.run();
            assert!(
                again == fresh,
                "{what} seed {seed}, {options:?}: a renewed world's record differs from a new one's"
            );
            ends.insert(format!("{:?}", fresh.end_reason));
            if k % 2 == 0 {
                world.recycle(again);
            }
        }
        // The runs did end in each of those ways (the test would be weaker otherwise).
        for end in
            [EndReason::Quiescent, EndReason::UntilReached, EndReason::MaxEventsReached, EndReason::HistoryLimitReached]
        {
            assert!(ends.contains(&format!("{end:?}")), "no run ended {end:?}: {ends:?}");
        }
    }
}

#[test]
fn a_sweep_on_renewed_worlds_gives_each_run_a_new_worlds_figures() {
    // The sweep's own path (`run_each`: one world per worker, renewed from policy to policy and
    // seed to seed, a policy's seeds split between workers) against a new world per run.
    let sets = [
        "services.web.deploy.update_config.parallelism=1..3".into(),
        "services.web.deploy.update_config.delay=0s,5s".into(),
    ];
    let (plan, scenarios) = plan_tutorial(&sets).unwrap();
    let seeds = 5;
    for threads in [1, 2] {
        let runs = run_all(&scenarios, &plan.service, seeds, Shard::WHOLE, threads, None);
        assert_eq!(runs.len(), scenarios.len() * seeds as usize);
        for run in &runs {
            let scenario = scenarios.load(run.policy).unwrap();
            let record = crate::commands::simulate::simulate(scenario, Some(run.seed), &exec::run_options());
            assert_eq!(*run, exec::figures(&record, &plan.service, run.policy), "{threads} threads");
        }
    }
}
