//! Loader tests over whole files: the happy paths, defaults, and each class of error with its
//! location and hint.

use std::path::Path;

use crate::model::cluster::{Availability, NodeRole};
use crate::model::image::{ExitBehavior, HealthBehavior, StopBehavior};
use crate::model::scenario::{Action, EngineVersion, Latencies};
use crate::model::spec::{ConstraintOp, FailureAction, Healthcheck, RestartCondition, ServiceMode, UpdateOrder};
use crate::rng::Dist;
use crate::scenario::{Diagnostic, ScenarioError, load, load_str, load_str_with_warnings, load_with_warnings};
use crate::time::{SimDuration, SimTime};

fn secs(n: u64) -> SimDuration {
    SimDuration::from_secs(n)
}

fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

fn errors(text: &str) -> Vec<Diagnostic> {
    match load_str(text, Path::new("stack.yml")) {
        Ok(_) => panic!("accepted invalid input:\n{text}"),
        Err(e) => e.diagnostics,
    }
}

/// The one diagnostic whose headline contains `needle`.
fn find(diags: &[Diagnostic], needle: &str) -> Diagnostic {
    let hits: Vec<&Diagnostic> = diags.iter().filter(|d| d.headline().contains(needle)).collect();
    assert_eq!(hits.len(), 1, "want one {needle:?} in {diags:#?}");
    hits[0].clone()
}

const FULL: &str = r#"
version: "3.8"
services:
  web:
    image: nginx:1.12-alpine
    stop_grace_period: 20s
    environment:
      A: "1"
    secrets:
      - db
      - source: api
        target: /run/api
    deploy:
      replicas: 4
      update_config:
        parallelism: 2
        delay: 10s
        monitor: 30s
        failure_action: rollback
        max_failure_ratio: 0.5
        order: start-first
      rollback_config:
        parallelism: 0
      restart_policy:
        condition: on-failure
        max_attempts: 3
        window: 2m
      placement:
        constraints: ["node.role == worker", "node.labels.zone != b"]
        max_replicas_per_node: 2
    healthcheck:
      test: curl -f http://localhost/
      interval: 2s
      retries: 5
  agent:
    image: agent
    deploy:
      mode: global
    healthcheck:
      test: ["NONE"]
secrets:
  db:
    external: true
  api:
    name: api-key
    external: true
x-simulation:
  stack: shop
  seed: 42
  until: 10m
  max_events: 5000
  engine: "20.10"
  latencies:
    stop_signal: 1.13s
    dispatch: {uniform: [10ms, 90ms]}
  cluster:
    nodes:
      - name: manager-1
        role: manager
        labels: {zone: a, rack: 7}
      - name: worker-1
        availability: drain
        images: [nginx:1.12-alpine, agent]
  images:
    "nginx:1.12-alpine": {start: 500ms}
    "nginx:1.14-alpine":
      pull: {lognormal: {median: 2s, sigma: 0.5}}
      pull_failure: 0.1
      start: {normal: {mean: 1s, stddev: 200ms}}
      healthcheck: "HEALTHCHECK --interval=30s --timeout=10s --retries=3 --start-period=60s CMD curl -f http://localhost/ || exit 1"
      health: {healthy_after: 5s}
      exit: {code: 1, after: 8s}
      stop: ignore_sigterm
    agent:
      cached: true
      health: {flaky: 0.25}
      stop: {after: 2s, exit_code: 143}
  timeline:
    - at: 90s
      node_up: worker-1
    - at: 30s
      run: docker service update --image nginx:1.14-alpine shop_web
    - at: 40s
      node_down: worker-1
    - at: 30s
      run: docker service scale shop_web=6
    - at: 10s
      registry_outage: 60s
    - at: 2m
      run: docker node update --availability active worker-1
"#;

#[test]
fn full_embedded_scenario() {
    let (s, warnings) = load_str_with_warnings(FULL, Path::new("dir/rolling.yml")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!((s.name.as_str(), s.stack.as_str()), ("rolling", "shop"));
    assert_eq!(
        (s.seed, s.until, s.max_events, s.engine),
        (42, SimTime(600 * 1_000_000_000), 5000, EngineVersion::V20_10)
    );
    assert_eq!(s.latencies.stop_signal, Dist::Fixed(ms(1130)));
    assert_eq!(s.latencies.dispatch, Dist::Uniform(ms(10), ms(90)));
    assert_eq!(s.latencies.probe, Dist::Fixed(ms(70)), "unset latencies keep the calibrated values");
    assert!(s.input_digest.starts_with("sha256:") && s.input_digest.len() == 7 + 64, "{}", s.input_digest);

    let web = &s.services[0];
    assert_eq!(web.name, "shop_web");
    assert_eq!(web.mode, ServiceMode::Replicated { replicas: 4 });
    assert_eq!(web.task.image, "nginx:1.12-alpine");
    assert_eq!(web.task.stop_grace_period, Some(secs(20)));
    let secrets: Vec<(&str, String)> = web.task.secrets.iter().map(|r| (r.source.as_str(), r.mount_path())).collect();
    assert_eq!(secrets, [("db", "/run/secrets/db".to_string()), ("api-key", "/run/api".to_string())]);
    assert_eq!(web.task.extra.get("environment").map(String::as_str), Some("{A: 1}"));
    assert_eq!((web.update.parallelism, web.update.delay, web.update.monitor), (2, secs(10), secs(30)));
    assert_eq!(
        (web.update.failure_action, web.update.max_failure_ratio, web.update.order),
        (FailureAction::Rollback, 0.5, UpdateOrder::StartFirst)
    );
    assert_eq!(web.rollback.parallelism, 0);
    assert_eq!(web.rollback.monitor, secs(5));
    assert_eq!(
        (web.task.restart.condition, web.task.restart.max_attempts, web.task.restart.window),
        (RestartCondition::OnFailure, 3, secs(120))
    );
    assert_eq!(web.task.restart.delay, secs(5));
    let c = &web.task.placement.constraints;
    assert_eq!((c[0].key.as_str(), c[0].op, c[0].value.as_str()), ("node.role", ConstraintOp::Eq, "worker"));
    assert_eq!((c[1].key.as_str(), c[1].op), ("node.labels.zone", ConstraintOp::Ne));
    assert_eq!(web.task.placement.max_replicas_per_node, 2);
    let Some(Healthcheck::Check(h)) = &web.task.healthcheck else { panic!("no healthcheck") };
    assert_eq!(h.test, ["CMD-SHELL", "curl -f http://localhost/"]);
    assert_eq!((h.interval, h.retries, h.timeout), (Some(secs(2)), Some(5), None));

    let agent = &s.services[1];
    assert_eq!((agent.name.as_str(), agent.mode), ("shop_agent", ServiceMode::Global));
    assert_eq!(agent.task.image, "agent:latest");
    assert_eq!(agent.task.healthcheck, Some(Healthcheck::Disabled));

    assert_eq!(s.nodes.len(), 2);
    assert_eq!((s.nodes[0].role, s.nodes[0].labels.get("rack").map(String::as_str)), (NodeRole::Manager, Some("7")));
    assert_eq!((s.nodes[1].role, s.nodes[1].availability), (NodeRole::Worker, Availability::Drain));
    assert_eq!(s.nodes[0].cached_images, ["agent:latest"], "cached: true puts the image on every node");
    assert_eq!(s.nodes[1].cached_images, ["nginx:1.12-alpine", "agent:latest"]);

    let nginx = &s.images["nginx:1.14-alpine"];
    assert_eq!(nginx.pull, Dist::LogNormal { median: secs(2), sigma: 0.5 });
    assert_eq!(nginx.start, Dist::Normal { mean: secs(1), stddev: ms(200) });
    assert_eq!(nginx.pull_failure, 0.1);
    assert_eq!(nginx.health, HealthBehavior::HealthyAfter(Dist::Fixed(secs(5))));
    assert_eq!(nginx.exit, ExitBehavior::ExitsAfter { code: 1, after: Dist::Fixed(secs(8)) });
    assert_eq!(nginx.stop, StopBehavior::IgnoresSigterm);
    assert_eq!(nginx.healthcheck.as_ref().unwrap().start_period, Some(secs(60)));
    let agent_img = &s.images["agent:latest"];
    assert_eq!(agent_img.health, HealthBehavior::Flaky(0.25));
    assert_eq!(agent_img.stop, StopBehavior::Graceful { after: Dist::Fixed(secs(2)), exit_code: 143 });

    let times: Vec<u64> = s.timeline.iter().map(|a| a.at.0 / 1_000_000_000).collect();
    assert_eq!(times, [10, 30, 30, 40, 90, 120], "sorted by time");
    assert!(
        matches!(s.timeline[1].action, Action::ServiceUpdate { ref service, .. } if service == "shop_web"),
        "stable for equal times"
    );
    assert_eq!(s.timeline[2].action, Action::ServiceScale { service: "shop_web".into(), replicas: 6 });
    assert_eq!(s.timeline[0].action, Action::RegistryOutage { duration: secs(60) });
    assert_eq!(s.timeline[3].text, "node_down worker-1");
    assert_eq!(
        s.timeline[5].action,
        Action::NodeAvailability { node: "worker-1".into(), availability: Availability::Active }
    );
}

#[test]
fn defaults() {
    let text = "services:\n  web:\n    image: nginx\n    deploy:\n      update_config:\n        delay: 1s\n";
    let s = load_str(text, Path::new("/x/plain.yaml")).unwrap();
    assert_eq!((s.name.as_str(), s.stack.as_str()), ("plain", "plain"));
    assert_eq!(s.services[0].name, "plain_web");
    assert_eq!(s.services[0].mode, ServiceMode::Replicated { replicas: 1 });
    let u = &s.services[0].update;
    assert_eq!(
        (u.parallelism, u.delay, u.monitor, u.failure_action, u.order),
        (1, secs(1), secs(5), FailureAction::Pause, UpdateOrder::StopFirst)
    );
    assert_eq!(s.services[0].task.restart.delay, secs(5));
    assert_eq!(s.services[0].task.restart.condition, RestartCondition::Any);
    assert_eq!(
        (s.seed, s.until, s.max_events, s.engine),
        (1, SimTime(3600 * 1_000_000_000), 10_000_000, EngineVersion::V27)
    );
    assert_eq!(s.nodes.len(), 1);
    assert_eq!((s.nodes[0].name.as_str(), s.nodes[0].role), ("node-1", NodeRole::Manager));
    assert!(s.timeline.is_empty());
}

#[test]
fn zero_monitor_means_five_seconds_and_counted_nodes() {
    let text = "services:\n  web:\n    image: a:1\n    deploy:\n      update_config:\n        monitor: 0s\nx-simulation:\n  cluster:\n    nodes: 3\n";
    let s = load_str(text, Path::new("s.yml")).unwrap();
    assert_eq!(s.services[0].update.monitor, secs(5));
    let names: Vec<(&str, NodeRole)> = s.nodes.iter().map(|n| (n.name.as_str(), n.role)).collect();
    assert_eq!(names, [("node-1", NodeRole::Manager), ("node-2", NodeRole::Worker), ("node-3", NodeRole::Worker)]);
}

const TUTORIAL: &str = r#"version: "3.5"
services:
  web:
    image: nginx:1.12-alpine
    ports:
      - 80:80
    deploy:
      replicas: 10
      update_config:
      parallelism: 2
      delay: 10s
      
      failure_action: rollback
      monitor: 10s
      
    healthcheck:
      test: ["CMD", "wget", "-qO", "-", "http://localhost"]
      interval: 2s
      timeout: 2s
      retries: 3
      start_period: 2s
"#;

#[test]
fn misindented_tutorial_file_is_rejected_with_hints() {
    let diags = errors(TUTORIAL);
    assert_eq!(diags.len(), 4, "{diags:#?}");
    let d = find(&diags, "parallelism");
    assert_eq!(d.headline(), "services.web.deploy Additional property parallelism is not allowed");
    assert_eq!((d.line, d.column), (Some(10), Some(7)));
    assert_eq!(d.source_line.as_deref(), Some("      parallelism: 2"));
    assert_eq!(
        d.hint.as_deref(),
        Some("did you mean update_config.parallelism? (update_config keys must be indented under it)")
    );
    assert_eq!(find(&diags, "property monitor").line, Some(14));
    assert!(find(&diags, "property delay").hint.unwrap().starts_with("did you mean update_config.delay?"));
    let shown = ScenarioError { file: "stack.yml".into(), diagnostics: diags }.to_string();
    assert!(shown.contains("--> stack.yml:10:7"), "{shown}");
    assert!(shown.contains("10 |       parallelism: 2"), "{shown}");
}

#[test]
fn null_update_config_is_an_empty_block() {
    let fixed = TUTORIAL.replace(
        "      parallelism: 2\n      delay: 10s\n      \n      failure_action: rollback\n      monitor: 10s\n",
        "",
    );
    let s = load_str(&fixed, Path::new("t.yml")).unwrap();
    assert_eq!(s.services[0].update.parallelism, 1);
    assert_eq!(s.services[0].mode, ServiceMode::Replicated { replicas: 10 });
    let Some(Healthcheck::Check(h)) = &s.services[0].task.healthcheck else { panic!() };
    assert_eq!(h.test, ["CMD", "wget", "-qO", "-", "http://localhost"]);
}

#[test]
fn enum_typo_lists_values_and_suggests() {
    let text = "services:\n  web:\n    image: a\n    deploy:\n      update_config:\n        failure_action: rollbak\n";
    let d = find(&errors(text), "failure_action");
    assert_eq!(
        d.headline(),
        "services.web.deploy.update_config.failure_action must be one of the following: \"continue\", \"pause\", \"rollback\""
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean \"rollback\"?"));
    assert_eq!(d.line, Some(6));
}

#[test]
fn bare_number_duration() {
    let text = "services:\n  web:\n    image: a\n    deploy:\n      update_config:\n        delay: 10\n";
    let d = find(&errors(text), "delay");
    assert_eq!(d.headline(), "services.web.deploy.update_config.delay must be a string");
    assert!(d.hint.unwrap().starts_with("write \"10s\""));
    let unitless = "services:\n  web:\n    image: a\n    stop_grace_period: \"10\"\n";
    assert!(find(&errors(unitless), "stop_grace_period").message.contains("no unit"));
}

#[test]
fn stack_file_errors() {
    let text = r#"version: "2.4"
services:
  web:
    imgae: a
    deploy:
      mode: global
      replicas: 2
    build: .
  db:
    image: b
    foo: 1
"#;
    let diags = errors(text);
    assert_eq!(find(&diags, "version").headline(), "unsupported Compose file version: 2.4");
    let d = find(&diags, "imgae");
    assert_eq!(
        (d.headline().as_str(), d.hint.as_deref()),
        ("services.web Additional property imgae is not allowed", Some("did you mean image?"))
    );
    assert_eq!(find(&diags, "image is required").path, "services.web");
    assert_eq!(
        find(&diags, "replicas").headline(),
        "services.web.deploy.replicas replicas can only be used with replicated mode"
    );
    assert_eq!(find(&diags, "foo").line, Some(11));
    assert_eq!(diags.len(), 5, "{diags:#?}");
}

#[test]
fn unsupported_options_are_warnings() {
    let text = "services:\n  web:\n    image: a\n    restart: always\n    build: .\n    depends_on: [db]\n    container_name: x\n";
    let (_, warnings) = load_str_with_warnings(text, Path::new("w.yml")).unwrap();
    assert!(
        warnings.iter().any(|w| w.contains("Ignoring unsupported options: build, depends_on, restart")),
        "{warnings:?}"
    );
    assert!(warnings.iter().any(|w| w.contains("Ignoring deprecated options: container_name")), "{warnings:?}");
}

#[test]
fn versions() {
    for ok in ["\"3\"", "\"3.0\"", "\"3.13\""] {
        assert!(
            load_str(&format!("version: {ok}\nservices:\n  w:\n    image: a\n"), Path::new("v.yml")).is_ok(),
            "{ok}"
        );
    }
    for bad in ["\"3.14\"", "\"3.08\"", "\"4\""] {
        let diags = errors(&format!("version: {bad}\nservices:\n  w:\n    image: a\n"));
        assert!(diags[0].message.starts_with("unsupported Compose file version"), "{bad}");
    }
    assert_eq!(errors("version: 3.8\nservices:\n  w:\n    image: a\n")[0].message, "must be a string");
}

#[test]
fn simulation_key_errors() {
    let text = r#"services:
  web:
    image: a
x-simulation:
  sead: 3
  engine: "26"
  cluster:
    nodes:
      - name: a
      - name: a
  images:
    a:
      pull: {unifrom: [1s, 2s]}
      health: {flaky: 2}
  timeline:
    - at: 5s
      node_down: b
    - at: 6s
      node_up: a
      run: docker service rollback web_web
"#;
    let diags = errors(text);
    let d = find(&diags, "sead");
    assert_eq!(
        (d.headline().as_str(), d.hint.as_deref(), d.line),
        ("x-simulation Additional property sead is not allowed", Some("did you mean seed?"), Some(5))
    );
    assert!(find(&diags, "engine").message.contains("\"20.10\", \"27\", \"current\""));
    assert!(find(&diags, "used twice").path.contains("nodes[1]"));
    assert!(find(&diags, "has no manager").hint.is_some());
    assert_eq!(find(&diags, "unifrom").hint.as_deref(), Some("did you mean uniform?"));
    assert!(find(&diags, "flaky").message.contains("between 0 and 1"));
    let d = find(&diags, "no such node: b");
    assert_eq!((d.path.as_str(), d.line), ("x-simulation.timeline[0].node_down", Some(17)));
    assert!(find(&diags, "exactly one of").path.ends_with("timeline[1]"));
}

#[test]
fn timeline_command_errors_point_at_the_entry() {
    let text = r#"services:
  web:
    image: a
x-simulation:
  stack: web
  timeline:
    - at: 1s
      run: docker service update --force web_web
    - at: 2s
      run: docker service update --rollback --image b web_web
    - at: 3s
      run: docker service update --image b web
"#;
    let diags = errors(text);
    assert_eq!(diags.len(), 2, "{diags:#?}");
    let d = find(&diags, "--rollback");
    assert_eq!((d.path.as_str(), d.line), ("x-simulation.timeline[1].run", Some(10)));
    let d = find(&diags, "no such service");
    assert_eq!(d.path, "x-simulation.timeline[2].run");
    assert!(d.hint.unwrap().contains("\"web_web\""));
}

#[test]
fn image_behaviour_healthcheck_missing_backslash() {
    let text = "services:\n  web:\n    image: a\nx-simulation:\n  images:\n    a:\n      healthcheck: |\n        HEALTHCHECK --interval=5s\n          --retries=3 CMD true\n";
    let d = find(&errors(text), "continuation");
    assert_eq!(d.path, "x-simulation.images.a.healthcheck");
    assert_eq!(d.line, Some(7));
    assert!(d.hint.unwrap().contains('\\'));
}

#[test]
fn separate_simulation_file_with_relative_stack() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("stacks")).unwrap();
    let stack = "services:\n  web:\n    image: a:1\n";
    std::fs::write(dir.path().join("stacks/app.yml"), stack).unwrap();
    let sim = "stack: stacks/app.yml\nname: prod\nseed: 9\ntimeline:\n  - at: 1s\n    run: docker service update --image a:2 prod_web\n";
    let sim_path = dir.path().join("run.yml");
    std::fs::write(&sim_path, sim).unwrap();
    let (s, _) = load_with_warnings(&sim_path).unwrap();
    assert_eq!((s.name.as_str(), s.stack.as_str(), s.seed), ("run", "prod", 9));
    assert_eq!(s.services[0].name, "prod_web");
    assert_eq!(s.timeline.len(), 1);
    let embedded_digest = load_str(stack, Path::new("app.yml")).unwrap().input_digest;
    assert_ne!(s.input_digest, embedded_digest, "both files are hashed");

    // Without `name`, the stack is named after the stack file; errors name the right file.
    std::fs::write(dir.path().join("stacks/app.yml"), "services:\n  web:\n    image: a\n    replica: 2\n").unwrap();
    std::fs::write(&sim_path, "stack: stacks/app.yml\n").unwrap();
    let e = load(&sim_path).unwrap_err();
    assert!(e.diagnostics[0].file.ends_with("app.yml"), "{e}");
    assert_eq!(e.diagnostics[0].line, Some(4));

    std::fs::write(&sim_path, "stack: nowhere.yml\n").unwrap();
    let e = load(&sim_path).unwrap_err();
    assert!(e.diagnostics[0].message.contains("cannot read stack file"), "{e}");
    assert_eq!(e.diagnostics[0].path, "stack");
}

#[test]
fn never_panics_on_odd_input() {
    let odd = [
        "",
        "~",
        "- a",
        "services: 3",
        "services:\n  web: [1]",
        "x-simulation: []\nservices: {}",
        "services:\n  w:\n    image: a\nx-simulation:\n  timeline: [{at: 1s, run: \"docker 'x\"}]",
        "services:\n  w:\n    image: a\n    deploy:\n      placement:\n        constraints: [\"node.role\"]",
        "a: [\n",
        "services:\n  é:\n    image: ü\n    healthcheck:\n      test: 3",
        "services:\n  w:\n    image: a\nx-simulation:\n  cluster:\n    nodes: 18446744073709551615",
    ];
    for text in odd {
        let _ = load_str(text, Path::new("odd.yml"));
    }
    let e = load_str("a: [\n", Path::new("bad.yml")).unwrap_err();
    assert!(e.diagnostics[0].line.is_some());
    assert!(e.diagnostics[0].message.starts_with("invalid YAML"));
}

#[test]
fn distributions() {
    let ok = "services:\n  w:\n    image: a\nx-simulation:\n  images:\n    a:\n      pull: 1.5s\n      start: {uniform: [1s, 3s]}\n  latencies:\n    probe: {normal: {mean: 2s, stddev: 500ms}}\n    exit_report: {lognormal: {median: 2s, sigma: 0.5}}\n";
    let s = load_str(ok, Path::new("d.yml")).unwrap();
    assert_eq!(s.images["a:latest"].pull, Dist::Fixed(ms(1500)));
    assert_eq!(s.images["a:latest"].start, Dist::Uniform(secs(1), secs(3)));
    assert_eq!(s.latencies.probe, Dist::Normal { mean: secs(2), stddev: ms(500) });
    assert_eq!(s.latencies.exit_report, Dist::LogNormal { median: secs(2), sigma: 0.5 });
    let bad = "services:\n  w:\n    image: a\nx-simulation:\n  latencies:\n    probe: {uniform: [3s, 1s]}\n    dispatch: {normal: {mean: 2s}}\n    schedule: {lognormal: {median: 2s, sigma: -1}}\n    allocate: {uniform: [1s], normal: {}}\n    stop_signal: 2\n";
    let diags = errors(bad);
    assert!(find(&diags, "probe").message.contains("lower bound 3s is above upper bound 1s"));
    assert_eq!(find(&diags, "stddev is required").path, "x-simulation.latencies.dispatch.normal");
    assert!(find(&diags, "sigma").message.contains("negative"));
    assert!(find(&diags, "allocate").message.contains("exactly one of uniform, normal, lognormal"));
    assert_eq!(find(&diags, "stop_signal").hint.as_deref(), Some("write \"2s\" (durations are strings with a unit)"));
}

#[test]
fn start_spread_is_a_shape_between_0_and_1() {
    let with = |v: &str| format!("services:\n  w:\n    image: a\nx-simulation:\n  latencies:\n    start_spread: {v}\n");
    assert_eq!(Latencies::calibrated().start_spread, 0.0, "off unless asked for");
    assert_eq!(load_str(&with("0.17"), Path::new("d.yml")).unwrap().latencies.start_spread, 0.17);
    for (bad, says) in [("-0.1", "between 0 and 1, not -0.1"), ("3", "between 0 and 1, not 3"), ("200ms", "a number")] {
        let diags = errors(&with(bad));
        let d = find(&diags, "start_spread");
        assert_eq!(d.path, "x-simulation.latencies.start_spread", "{bad}");
        assert!(d.message.contains(says), "{bad}: {}", d.message);
    }
}

#[test]
fn strategy_mistakes_are_named_at_the_entry() {
    let text = r#"version: "3.7"
services:
  web:
    image: a
x-simulation:
  stack: web
  timeline:
    - at: 1s
      run: docker service update --image b web_web
      strategy: {canray: {}}
    - at: 2s
      run: docker service update --image b web_web
      strategy: {canary: {steps: [{weight: 150%, pause: 1m}, {weight: 0.5, pause: 1m}]}}
    - at: 3s
      run: docker service scale web_web=3
      strategy: blue_green
    - at: 4s
      run: docker service scale web_web=3
      strategy: rolling
"#;
    let diags = errors(text);
    assert_eq!(diags.len(), 5, "{diags:#?}");
    assert_eq!(find(&diags, "unknown strategy \"canray\"").hint.as_deref(), Some("did you mean \"canary\"?"));
    let d = find(&diags, "not 150%");
    assert_eq!(d.path, "x-simulation.timeline[1].strategy.canary.steps[0].weight");
    assert!(find(&diags, "not 0.5").message.contains("whole percentage from 1% to 99%"));
    assert_eq!(find(&diags, "blue_green needs").path, "x-simulation.timeline[2].strategy");
    assert_eq!(find(&diags, "rolling needs").path, "x-simulation.timeline[3].strategy");
}

#[test]
fn a_canary_weight_may_be_written_as_argo_writes_set_weight() {
    let text = "version: \"3.7\"\nservices:\n  web:\n    image: a\nx-simulation:\n  stack: web\n  timeline:\n    - at: 1s\n      run: docker service update --image b web_web\n      strategy: {canary: {steps: [{weight: 20, pause: 1m}, {weight: 40%, pause: 1m}]}}\n";
    let s = crate::scenario::load_str(text, std::path::Path::new("s.yml")).unwrap();
    let Action::Rollout { strategy, .. } = &s.timeline[0].action else { panic!("not a rollout") };
    let crate::model::strategy::Strategy::Canary(c) = &**strategy else { panic!("not a canary") };
    assert_eq!(c.steps.iter().map(|s| s.weight_pct).collect::<Vec<_>>(), [20, 40]);
}
