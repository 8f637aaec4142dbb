//! `docker stack deploy` in a timeline and `deploysim plan`: a changed file rolls out exactly
//! the services whose task spec changed, under their new update_config; service-only changes
//! and an identical redeploy replace nothing; `--prune`; errors at load time with the deployed
//! file's own line; plan's report and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use deploysim::model::record::RunRecord;

use crate::common;

fn shop() -> PathBuf {
    common::scenarios_dir().join("stack-deploy/shop.yml")
}

/// A scratch folder holding `files` (name, text).
fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("deploysim-stack-deploy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (file, text) in files {
        std::fs::write(dir.join(file), text).expect("write");
    }
    dir
}

/// The bundled scenario with its timeline's deploy replaced by `run`, written beside the
/// bundled v2 file so that relative paths resolve as they do there.
fn shop_with(name: &str, run: &str) -> PathBuf {
    let text = std::fs::read_to_string(shop()).expect("bundled scenario");
    let text = text.replace("docker stack deploy -c shop-v2.yml --with-registry-auth shop", run);
    let v2 = std::fs::read_to_string(common::scenarios_dir().join("stack-deploy/shop-v2.yml")).expect("v2");
    folder(name, &[("shop.yml", &text), ("shop-v2.yml", &v2)]).join("shop.yml")
}

fn service<'r>(run: &'r RunRecord, name: &str) -> &'r deploysim::model::record::ServiceRecord {
    run.services.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no service {name}"))
}

/// Tasks the service created after `t` seconds (any slot).
fn tasks_created_after(run: &RunRecord, name: &str, t: u64) -> usize {
    let mut ids: Vec<&str> =
        run.events().filter(|e| e.service == name && e.t.0 > t * 1_000_000_000).map(|e| e.task_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let before: Vec<&str> =
        run.events().filter(|e| e.service == name && e.t.0 <= t * 1_000_000_000).map(|e| e.task_id).collect();
    ids.iter().filter(|id| !before.contains(id)).count()
}

/// The most tasks with a container above the desired count, after `t` seconds.
fn peak_extra(run: &RunRecord, name: &str, t: u64) -> u64 {
    run.timeline
        .iter()
        .filter(|s| *s.service == *name && s.t.0 > t * 1_000_000_000)
        .map(|s| (s.running_old + s.running_new + s.starting).saturating_sub(s.desired))
        .max()
        .unwrap_or(0)
}

#[test]
fn a_changed_file_rolls_out_only_the_task_spec_changes_under_the_new_update_config() {
    let run = common::simulate_file(&shop(), None).expect("bundled scenario loads");
    let web = service(&run, "shop_web");
    assert_eq!(web.update.state.map(|s| s.as_str()), Some("completed"));
    assert_eq!(web.update.tasks_replaced, 6);
    // The new update_config: start-first, two at a time (the old one was stop-first, one at a
    // time, which never runs a task above the desired count).
    assert_eq!(peak_extra(&run, "shop_web", 60), 2, "start-first with parallelism 2");
    // api: replicas 3 -> 4, labels and update_config only: one task added, none replaced, no
    // UpdateStatus.
    let api = service(&run, "shop_api");
    assert_eq!(api.update.state, None);
    assert_eq!(api.desired_replicas, 4);
    assert_eq!(tasks_created_after(&run, "shop_api", 60), 1);
    // worker: identical — no task, no UpdateStatus.
    assert_eq!(service(&run, "shop_worker").update.state, None);
    assert_eq!(tasks_created_after(&run, "shop_worker", 60), 0);
    // cron: not in the new file, kept without --prune.
    assert_eq!(service(&run, "shop_cron").removed_at, None);
    assert_eq!(run.actions.last().and_then(|a| a.2.clone()), None, "the deploy was accepted");
}

#[test]
fn an_identical_redeploy_replaces_nothing() {
    // The scenario deploys its own file again (Docker ignores the x-simulation key).
    let path = shop_with("identical", "docker stack deploy -c shop.yml shop");
    let run = common::simulate_file(&path, None).expect("loads");
    for name in ["shop_web", "shop_api", "shop_worker", "shop_cron"] {
        assert_eq!(service(&run, name).update.state, None, "{name}: no UpdateStatus");
        assert_eq!(tasks_created_after(&run, name, 60), 0, "{name}: no new task");
    }
}

#[test]
fn several_files_merge_and_read_the_scenarios_variables() {
    // `-c shop.yml -c override.yml`: the override changes web's image through ${WEB_TAG}, set in
    // x-simulation.env; merged as docker/cli merges, only web's task spec changed.
    let path = shop_with("merged", "docker stack deploy -c shop.yml -c override.yml shop");
    let text = std::fs::read_to_string(&path).expect("scenario");
    let text = text.replacen("x-simulation:\n", "x-simulation:\n  env: {WEB_TAG: \"1.1\"}\n", 1);
    std::fs::write(&path, text).expect("write");
    let dir = path.parent().expect("folder");
    std::fs::write(dir.join("override.yml"), "services:\n  web:\n    image: shop/web:${WEB_TAG}\n").expect("write");
    let run = common::simulate_file(&path, None).expect("loads");
    assert_eq!(service(&run, "shop_web").update.state.map(|s| s.as_str()), Some("completed"));
    assert!(run.events().any(|e| e.service == "shop_web" && e.image == "shop/web:1.1"), "the variable's image");
    for name in ["shop_api", "shop_worker", "shop_cron"] {
        assert_eq!(tasks_created_after(&run, name, 60), 0, "{name}: untouched by the override");
    }
}

#[test]
fn prune_removes_the_services_the_file_no_longer_has() {
    let path = shop_with("prune", "docker stack deploy --prune -c shop-v2.yml shop");
    let run = common::simulate_file(&path, None).expect("loads");
    assert!(service(&run, "shop_cron").removed_at.is_some(), "cron is pruned");
    assert_eq!(service(&run, "shop_web").update.tasks_replaced, 6);
    assert_eq!(service(&run, "shop_worker").removed_at, None);
}

#[test]
fn a_new_service_is_created_and_later_commands_may_name_it() {
    let scenario = [
        "version: \"3.8\"",
        "services:",
        "  web:",
        "    image: shop/web:1",
        "x-simulation:",
        "  stack: shop",
        "  until: 5m",
        "  timeline:",
        "    - at: 10s",
        "      run: docker stack deploy -c v3.yml shop",
        "    - at: 60s",
        "      run: docker service update --env-add MODE=fast shop_queue",
    ]
    .join("\n");
    let v3 = "version: \"3.8\"\nservices:\n  web:\n    image: shop/web:1\n  queue:\n    image: shop/queue:1\n    deploy:\n      replicas: 2\n";
    let dir = folder("create", &[("shop.yml", &scenario), ("v3.yml", v3)]);
    let run = common::simulate_file(&dir.join("shop.yml"), None).expect("loads");
    let queue = service(&run, "shop_queue");
    assert_eq!(queue.desired_replicas, 2);
    assert_eq!(queue.update.tasks_replaced, 2, "--env-add rolls it out");
    assert_eq!(service(&run, "shop_web").update.state, None, "web is identical");
}

#[test]
fn mistakes_are_reported_at_load_time_with_their_place() {
    let load = |p: &Path| deploysim::scenario::load(p).expect_err("refused").to_string();
    let missing = shop_with("missing", "docker stack deploy -c nope.yml shop");
    let e = load(&missing);
    assert!(e.contains("cannot read compose file") && e.contains("nope.yml"), "{e}");
    assert!(e.contains("x-simulation.timeline[0].run"), "{e}");
    let bad = "version: \"3.8\"\nservices:\n  web:\n    image: shop/web:2\n    deploy:\n      replicas: lots\n";
    let path = shop_with("bad", "docker stack deploy -c bad.yml shop");
    std::fs::write(path.with_file_name("bad.yml"), bad).expect("write");
    let e = load(&path);
    assert!(e.contains("bad.yml:6:"), "the deployed file's own line: {e}");
    let e = load(&shop_with("noc", "docker stack deploy shop"));
    assert!(e.contains("Please specify a Compose file (with --compose-file)"), "{e}");
    let e = load(&shop_with("resolve", "docker stack deploy -c shop-v2.yml --resolve-image maybe shop"));
    assert!(e.contains("Invalid option maybe for flag --resolve-image"), "{e}");
}

fn deploysim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deploysim")).args(args).output().expect("the binary runs")
}

#[test]
fn plan_reports_each_service_and_exits_by_whether_tasks_are_replaced() {
    let old = shop().display().to_string();
    let new = common::scenarios_dir().join("stack-deploy/shop-v2.yml").display().to_string();
    let out = deploysim(&["plan", &old, &new]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "tasks would be replaced: {text}");
    assert!(text.contains("~ shop_web     update, replaces tasks"), "{text}");
    assert!(text.contains("task spec: image (shop/web:1.0 -> shop/web:1.1)"), "{text}");
    assert!(text.contains("rollout: completed in"), "{text}");
    assert!(text.contains("up to 2 extra tasks"), "{text}");
    assert!(text.contains("~ shop_api     update, replaces no task"), "{text}");
    assert!(text.contains("deploy.replicas (3 replicas -> 4 replicas)"), "{text}");
    assert!(text.contains("= shop_worker  unchanged"), "{text}");
    assert!(text.contains("shop_cron    left running"), "{text}");

    let out = deploysim(&["plan", "--prune", "--format", "json", &old, &new]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(1));
    let cron = json["services"].as_array().unwrap().iter().find(|s| s["service"] == "shop_cron").unwrap();
    assert_eq!(cron["change"], "remove");
    assert_eq!(json["replacing"], 1);

    // The same file again: nothing replaced, exit 0.
    let out = deploysim(&["plan", &old, &old]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    // Bad input: exit 2.
    assert_eq!(deploysim(&["plan", &old, "/nonexistent/new.yml"]).status.code(), Some(2));
}

/// The recorded s28 action was `docker stack deploy` of the same file with only the image
/// changed; its scenario writes it as `docker service update --image`. Both must be the same
/// update: a stack deploy of the changed file gives byte-identical events, so it matches the
/// s28 traces exactly as the bundled scenario does.
#[test]
fn a_stack_deploy_of_an_image_change_is_the_recorded_s28_update() {
    let fidelity = common::scenarios_dir().join("fidelity");
    let text = std::fs::read_to_string(fidelity.join("s28-stack-deploy-update.yml")).expect("s28");
    let stack_part = &text[..text.find("x-simulation:").expect("x-simulation")];
    let v2 = stack_part.replace("image: \"websim:v1-trap\"", "image: \"websim:v2-trap\"");
    assert_ne!(v2, stack_part, "the v2 file changes the image");
    let deployed = text
        .replace("docker service update --detach --image websim:v2-trap fid_web", "docker stack deploy -c v2.yml fid");
    assert_ne!(deployed, text);
    let dir = folder("s28", &[("s28.yml", &deployed), ("v2.yml", &v2)]);
    for seed in 1..=3 {
        let by_update = common::simulate_file(&fidelity.join("s28-stack-deploy-update.yml"), Some(seed)).expect("s28");
        let by_deploy = common::simulate_file(&dir.join("s28.yml"), Some(seed)).expect("deploy");
        let events = deploysim::report::events::events_csv;
        assert_eq!(events(&by_update), events(&by_deploy), "seed {seed}: the same task events");
        assert_eq!(by_update.services[0].update, by_deploy.services[0].update, "seed {seed}: the same UpdateStatus");
    }
}

#[test]
fn a_stack_secret_whose_file_changed_is_refused_and_the_deploy_stops_there() {
    // docker/cli `createSecrets` updates a secret that exists, and swarmkit's `UpdateSecret`
    // refuses any change but its labels: a redeploy whose secret file holds other bytes fails
    // before any service is touched (the reason people version secret names). The same bytes in
    // another file are no change. The comparison is of the files' bytes: no value is printed.
    let stack = |file: &str, image: &str| {
        format!(
            "services:\n  web:\n    image: {image}\n    secrets: [db]\n    deploy:\n      replicas: 2\nsecrets:\n  db:\n    file: {file}\n"
        )
    };
    let scenario = format!(
        "{}x-simulation:\n  stack: s\n  until: 60s\n  timeline:\n    - at: 10s\n      run: docker stack deploy -c next.yml s\n",
        stack("./db-1.txt", "web:1")
    );
    for (file, refused) in [("./db-2.txt", true), ("./db-1-copy.txt", false)] {
        let dir = folder(
            if refused { "secret-changed" } else { "secret-same" },
            &[
                ("scenario.yml", &scenario),
                ("next.yml", &stack(file, "web:2")),
                ("db-1.txt", "first-value\n"),
                ("db-1-copy.txt", "first-value\n"),
                ("db-2.txt", "second-value\n"),
            ],
        );
        let run = common::simulate_file(&dir.join("scenario.yml"), None).expect("loads");
        let error = run.actions.last().and_then(|a| a.2.clone());
        let web = service(&run, "s_web");
        if refused {
            assert_eq!(
                error.as_deref(),
                Some(
                    "failed to update secret s_db: Error response from daemon: rpc error: code = InvalidArgument \
                     desc = only updates to Labels are allowed"
                )
            );
            assert_eq!(web.update.state, None, "the deploy stopped before the services");
        } else {
            assert_eq!(error, None, "same bytes: no change to the secret");
            assert_eq!(web.update.state.map(|s| s.as_str()), Some("completed"));
        }
        let shown = format!("{:?}", run.actions);
        assert!(!shown.contains("value"), "no secret value in the action log: {shown}");
    }
}
