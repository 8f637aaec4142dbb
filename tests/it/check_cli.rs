//! `deploysim check` through the binary: the tutorial's files as the tutorial gives them
//! (`tests/data/tutorial/`, copied verbatim from shared/tutorial), exit codes, `--strict`, and the
//! JSON format.

use crate::common;

use std::path::PathBuf;
use std::process::{Command, Output};

fn tutorial(name: &str) -> String {
    common::repo_root().join("tests/data/tutorial").join(name).display().to_string()
}

fn deploysim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deploysim")).args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn tutorial_stack_files_without_simulation_load() {
    let out = deploysim(&["check", &tutorial("rolling-update.yml"), &tutorial("stack-health.yml")]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // A plain stack file: named after the file, with swarmkit's defaults filled in.
    assert!(text.contains("Name:\t\trolling-update_web\nService Mode:\tReplicated\n Replicas:\t10\n"), "{text}");
    assert!(
        text.contains("UpdateConfig:\n Parallelism:\t2\n Delay:\t\t10s\n On failure:\tpause\n Monitoring Period: 5s\n"),
        "{text}"
    );
    assert!(text.contains(" Start period:\t15s\n"), "{text}");
    assert!(text.contains("RestartPolicy:\n Condition:\tany\n Delay:\t\t5s\n"), "{text}");
    // stack-health: one replica, stop-first, default monitor against its health check.
    assert!(text.contains("warning[stop-first-full-outage]"), "{text}");
    assert!(text.contains("warning[monitor-misses-unhealthy]"), "{text}");
}

#[test]
fn strict_makes_warnings_exit_1() {
    assert_eq!(deploysim(&["check", "--strict", &tutorial("rolling-update.yml")]).status.code(), Some(0));
    let out = deploysim(&["check", "--strict", &tutorial("stack-health.yml")]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
}

#[test]
fn tutorial_rollback_file_fails_with_the_misindentation_diagnostic() {
    let file = tutorial("rollback.yml");
    let out = deploysim(&["check", &tutorial("rolling-update.yml"), &file]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("error: services.web.deploy Additional property parallelism is not allowed"), "{text}");
    assert!(text.contains(&format!("--> {file}:10:7")), "{text}");
    assert!(text.contains("10 |       parallelism: 2"), "{text}");
    assert!(text.contains("did you mean update_config.parallelism?"), "{text}");
    assert!(text.contains(&format!("--> {file}:14:7")), "monitor is reported too: {text}");
    assert!(text.contains("1 invalid (4 errors)"), "{text}");
}

#[test]
fn tutorial_dockerfile_healthcheck_gets_the_continuation_diagnostic() {
    let dockerfile = std::fs::read_to_string(tutorial("Dockerfile.healthcheck")).unwrap();
    let start = dockerfile.find("HEALTHCHECK").expect("the snippet has a HEALTHCHECK");
    let snippet: Vec<&str> = dockerfile[start..].lines().take_while(|l| *l != "...").collect();
    let block: String = snippet.iter().map(|l| format!("        {l}\n")).collect();
    let scenario = format!(
        "services:\n  web:\n    image: app:1\nx-simulation:\n  images:\n    app:1:\n      healthcheck: |\n{block}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.yml");
    std::fs::write(&path, scenario).unwrap();
    let out = deploysim(&["check", path.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("error: x-simulation.images.app:1.healthcheck line 2 of the HEALTHCHECK (\"--timeout=10s\") does not end with a \\ continuation"), "{text}");
    assert!(text.contains("reads \"--retries=3\" as a new instruction"), "{text}");
    assert!(text.contains(":7:7"), "{text}");
}

#[test]
fn json_has_a_fixed_field_order_and_the_exit_code() {
    let out = deploysim(&["check", "--format", "json", &tutorial("stack-health.yml"), &tutorial("rollback.yml")]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(doc["exit_code"], 2);
    assert_eq!(doc["totals"]["invalid"], 1);
    let health = &doc["files"][0]["services"][0];
    assert_eq!(health["service"], "stack-health_web");
    assert_eq!(health["policy"]["healthcheck"]["start_interval"], "5s");
    assert_eq!(health["findings"][0]["id"], "monitor-misses-unhealthy");
    let rollback = &doc["files"][1];
    assert_eq!((rollback["valid"].as_bool(), rollback["errors"][0]["line"].as_u64()), (Some(false), Some(10)));
    let order = [
        "\"files\"",
        "\"file\"",
        "\"valid\"",
        "\"errors\"",
        "\"warnings\"",
        "\"services\"",
        "\"totals\"",
        "\"exit_code\"",
    ];
    let positions: Vec<usize> = order.iter().map(|k| text.find(k).unwrap_or_else(|| panic!("{k}"))).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[test]
fn a_missing_file_is_an_error_not_a_crash() {
    let missing: PathBuf = common::repo_root().join("tests/data/tutorial/nope.yml");
    let out = deploysim(&["check", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("cannot read scenario file"));
}

#[test]
fn every_bundled_scenario_passes_check() {
    let files = common::yml_files(&common::scenarios_dir());
    let args: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let mut all = vec!["check".to_string()];
    all.extend(args);
    let out = Command::new(env!("CARGO_BIN_EXE_deploysim")).args(&all).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn env_and_env_file_flags_fill_compose_variables_and_a_required_one_is_dockers_error() {
    // Checks issue 17: `${VAR}` in a stack file takes --env-file, then --env (which wins); an
    // unset `${VAR:?}` is Docker's interpolation error, exit 2.
    let dir = tempfile::tempdir().expect("temp dir");
    let stack = dir.path().join("app.yml");
    std::fs::write(
        &stack,
        "services:\n  web:\n    image: \"web:${TAG:?need a tag}\"\n    deploy:\n      replicas: ${N}\n",
    )
    .expect("write");
    let vars = dir.path().join("vars.env");
    std::fs::write(&vars, "# defaults\nTAG=1\nN=3\n").expect("write");
    let file = stack.display().to_string();
    let out = deploysim(&["check", &file, "--env-file", &vars.display().to_string(), "--env", "TAG=2"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("web:2") && text.contains(" Replicas:\t3\n"), "{text}");
    let out = deploysim(&["check", &file, "--env", "N=1"]);
    let all = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("invalid interpolation format for services.web.image: \"required variable TAG is missing a value: need a tag\""),
        "{all}"
    );
    assert!(all.contains("app.yml:3:5"), "{all}");
    let out = deploysim(&["check", &file, "--env", "NO VALUE"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_output_of_docker_compose_config_loads_as_it_is() {
    // Checks issue 17: `docker compose config` (Compose v2) output — top-level name:, no version,
    // `networks: {default: null}`, published ports as strings, secret and config files by
    // absolute path, long-syntax modes in decimal — is a stack deploysim simulates. (Its
    // fixture's paths are made absolute here, as compose writes them.)
    let dir = tempfile::tempdir().expect("temp dir");
    let source = common::repo_root().join("tests/data/compose-config");
    for name in ["db_password.txt", "site.conf"] {
        std::fs::copy(source.join(name), dir.path().join(name)).expect("copy");
    }
    let text = std::fs::read_to_string(source.join("shop.yml")).expect("fixture");
    let folder = format!("{}/", dir.path().display());
    std::fs::write(dir.path().join("shop.yml"), text.replace("/FIXTURE_DIR/", &folder)).expect("write");
    let stack = dir.path().join("shop.yml").display().to_string();
    let out = deploysim(&["check", &stack]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("(root) Additional property name is not allowed"), "Docker's refusal, as a warning: {text}");
    let sim = dir.path().join("sim.yml");
    std::fs::write(
        &sim,
        "stack: shop.yml\nname: shop\nuntil: 60s\ntimeline:\n  - at: 5s\n    run: docker service update --image registry.example.com/shop/api:1.4.3 shop_api\n",
    )
    .expect("write");
    let report = dir.path().join("out");
    let out = deploysim(&["run", &sim.display().to_string(), "--out", &report.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let mounts = std::fs::read_to_string(report.join("mounts.csv")).expect("mounts.csv");
    assert!(mounts.contains("shop_db_password,/run/secrets/db_password,1000,1000,0400\n"), "{mounts}");
    for file in std::fs::read_dir(&report).expect("report").flatten() {
        let bytes = std::fs::read(file.path()).expect("read");
        assert!(!String::from_utf8_lossy(&bytes).contains("s3cr3t"), "the secret's value is never written");
    }
}

#[test]
fn a_file_that_is_not_yaml_gets_libyamls_message_at_libyamls_place() {
    // A key indented one column short of its siblings: libyaml (Docker's reader, ported by
    // gopkg.in/yaml.v2) stops at the key and names the block mapping it was in; both `check`
    // and `run` show it with the file's line and a caret, and exit 2. The stack file named by a
    // simulation file is read by the same path and located in its own file.
    let dir = tempfile::tempdir().expect("temp dir");
    let stack = "services:\n  web:\n    image: nginx:1\n    deploy:\n      replicas: 2\n     update_config:\n        parallelism: 1\n";
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, format!("{stack}x-simulation:\n  until: 1m\n")).unwrap();
    let bad = bad.display().to_string();
    let message = "error: invalid YAML: did not find expected key at line 6 column 6, while parsing a block mapping at line 3 column 5";
    let out = deploysim(&["check", &bad]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains(&format!("{message}\n  --> {bad}:6:6\n   |\n 6 |      update_config:\n   |      ^\n")),
        "{text}"
    );
    let run = deploysim(&["run", &bad, "--out", &dir.path().join("out").display().to_string(), "--quiet"]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("{message}\n  --> {bad}:6:6\n")), "{err}");

    let app = dir.path().join("app.yml");
    std::fs::write(&app, stack).unwrap();
    let sim = dir.path().join("sim.yml");
    std::fs::write(&sim, "stack: app.yml\nuntil: 1m\n").unwrap();
    let out = deploysim(&["check", &sim.display().to_string()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains(&format!("{message}\n  --> {}:6:6\n", app.display())), "{text}");
}
