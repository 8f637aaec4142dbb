//! `deploysim import` on real `docker service inspect` captures (the `inspect_before` of fidelity
//! recordings, in tests/data/import): the imported scenario loads, its services are the
//! hand-written fidelity scenario's, and simulating the recorded action on it reproduces the real
//! traces as the hand-written scenario does; bad input exits 2 with a location.

use std::path::{Path, PathBuf};
use std::process::Command;

use deploysim::commands::simulate::{SimulateOptions, simulate};
use deploysim::fidelity::trace::{self, TracePath};
use deploysim::fidelity::{Tolerance, align};
use deploysim::model::scenario::Scenario;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data(name: &str) -> PathBuf {
    root().join("tests/data/import").join(name)
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_deploysim")).args(args).output().expect("the binary runs")
}

/// Imports `NAME.inspect.json` (with `NAME.nodes.jsonl` when there) under stack `fid`, as the
/// hand-written scenarios name it.
fn import(name: &str) -> String {
    let nodes = data(&format!("{name}.nodes.jsonl"));
    let nodes = nodes.is_file().then_some(nodes);
    deploysim::commands::import::import(&data(&format!("{name}.inspect.json")), nodes.as_deref(), Some("fid"))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn load_text(dir: &Path, file: &str, text: &str) -> Scenario {
    let path = dir.join(file);
    std::fs::write(&path, text).expect("write scenario");
    deploysim::scenario::load(&path).unwrap_or_else(|e| panic!("{file} does not load: {e}\n{text}"))
}

fn hand_written(name: &str) -> Scenario {
    let path = root().join("scenarios/fidelity").join(format!("{name}.yml"));
    deploysim::scenario::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn imported_services_equal_the_hand_written_scenarios() {
    // Checks every recorded field (image, replicas, healthcheck, stop grace, update, rollback and
    // restart policies, labels) against the scenario written by hand from the same recording, on
    // the loaded model, so that a wrong unit (nanoseconds), a wrong default or a lost field fails.
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["s01-rolling-basic", "s02-start-first", "s05-bad-health-rollback", "m03-update-spread"] {
        let imported = load_text(dir.path(), &format!("{name}.yml"), &import(name));
        let expected = hand_written(name);
        assert_eq!(imported.stack, expected.stack, "{name}");
        assert_eq!(imported.services.len(), expected.services.len(), "{name}");
        for (got, want) in imported.services.iter().zip(&expected.services) {
            assert_eq!(got.name, want.name, "{name}");
            assert_eq!(got.mode, want.mode, "{name}: mode/replicas");
            assert_eq!(got.update, want.update, "{name}: update_config");
            assert_eq!(got.rollback, want.rollback, "{name}: rollback_config");
            assert_eq!(got.task, want.task, "{name}: task (image, healthcheck, stop grace, restart policy)");
            assert_eq!(got.labels, want.labels, "{name}: labels");
        }
    }
}

#[test]
fn nodes_come_from_the_node_list_or_one_assumed_manager() {
    // Checks m03's recorded `docker node ls` (a manager vm, workers mn-w1 and mn-w2) gives the
    // hand-written cluster, and that without --nodes the one assumed manager is said to be assumed.
    let dir = tempfile::tempdir().expect("tempdir");
    let imported = load_text(dir.path(), "m03.yml", &import("m03-update-spread"));
    let roles = |s: &Scenario| {
        let mut v: Vec<(String, String)> = s.nodes.iter().map(|n| (n.name.clone(), format!("{:?}", n.role))).collect();
        v.sort();
        v
    };
    assert_eq!(roles(&imported), roles(&hand_written("m03-update-spread")));
    let single = import("s01-rolling-basic");
    assert!(single.contains("# assumed: one manager node"), "{single}");
    let loaded = load_text(dir.path(), "s01.yml", &single);
    assert_eq!(loaded.nodes.len(), 1);
    assert!(single.contains("deployed_with: \"docker service create\""), "{single}");
    for line in single.lines().filter(|l| l.trim_start().starts_with("start:") || l.contains("health:")) {
        assert!(line.contains("# assumed: measure with `deploysim calibrate"), "unmarked assumption: {line}");
    }
}

#[test]
fn importing_s01_and_running_its_action_reproduces_the_real_traces() {
    // Checks the acceptance: the imported service plus the recorded action (at 30 s) and
    // the calibrated images of the hand-written scenario reproduces both real runs, as
    // `deploysim compare --seeds 1..20` judges, like the hand-written scenario does.
    let name = "s01-rolling-basic";
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = load_text(dir.path(), "s01.yml", &with_recorded_action(&import(name), name, "fid_web"));
    for (label, s) in [("imported", scenario), ("hand-written", hand_written(name))] {
        if let Err(report) = reproduces(&s, name, "fid_web") {
            panic!("{label} scenario does not reproduce {name}:\n{report}");
        }
    }
}

/// `imported` with the hand-written scenario `name`'s calibrated images and its recorded action
/// (`--image websim:v2-trap` at 30 s) on `service`.
fn with_recorded_action(imported: &str, name: &str, service: &str) -> String {
    let cut = imported.find("  images:\n").expect("an images section");
    let hand = std::fs::read_to_string(root().join("scenarios/fidelity").join(format!("{name}.yml"))).unwrap();
    let images: String = hand
        .lines()
        .skip_while(|l| *l != "  images:")
        .take_while(|l| *l != "  timeline:")
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(images.contains("websim:v2-trap"), "{images}");
    format!(
        "{}{images}  timeline:\n    - at: 30s\n      run: docker service update --detach --image websim:v2-trap {service}\n",
        &imported[..cut]
    )
}

/// Whether seeds 1..20 of `scenario` reproduce both real runs of `name`, as `deploysim compare
/// --seeds 1..20` judges (Err: the judge's table).
fn reproduces(scenario: &Scenario, name: &str, service: &str) -> Result<(), String> {
    let traces: Vec<_> = (1..=2)
        .map(|r| {
            let prefix = root().join(format!("tests/data/fidelity/traces/{name}.r{r}"));
            trace::load(&TracePath::new(&prefix)).expect("trace")
        })
        .collect();
    let records: Vec<_> =
        (1..=20).map(|seed| simulate(scenario.clone(), Some(seed), &SimulateOptions::default())).collect();
    let comparison =
        align::compare_records(&records, service, None, &traces, Tolerance::default(), false).expect("compare");
    if comparison.passed { Ok(()) } else { Err(deploysim::fidelity::render::table(&comparison)) }
}

#[test]
fn a_stack_service_keeps_its_stack_and_reproduces_the_stack_deploy_trace() {
    // Checks the stack path on a real capture (s28: `docker stack deploy -c FILE app`): the
    // stack name comes from the com.docker.stack.namespace label (no --stack), the labels stack
    // deploy writes itself are not the file's, the service is deployed with stack deploy (so on
    // the stack's network, whose 2 s gossip delay before every stop s28 shows), and the recorded
    // action on it reproduces both real runs like the hand-written scenario.
    let name = "s28-stack-deploy-update";
    let imported = deploysim::commands::import::import(&data(&format!("{name}.inspect.json")), None, None)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(!imported.contains("com.docker.stack"), "stack deploy's own labels were imported:\n{imported}");
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = load_text(dir.path(), "s28.yml", &with_recorded_action(&imported, name, "app_web"));
    assert_eq!(scenario.stack, "app");
    let expected = hand_written(name);
    assert_eq!(scenario.services[0].name, "app_web");
    assert_eq!(scenario.services[0].task, expected.services[0].task, "task spec, networks included");
    assert_eq!(scenario.services[0].labels, expected.services[0].labels);
    if let Err(report) = reproduces(&scenario, name, "app_web") {
        panic!("{report}");
    }
}

#[test]
fn networks_of_a_created_service_are_kept_as_external_networks() {
    // Checks a service made with `docker service create --network` (no stack label): its
    // networks (inspect gives their ids) become external networks it lists, so its tasks wait
    // the gossip delay like the real ones; without networks it has none.
    let raw = std::fs::read_to_string(data("s01-rolling-basic.inspect.json")).unwrap();
    let mut services: serde_json::Value = serde_json::from_str(&raw).unwrap();
    services[0]["Spec"]["TaskTemplate"]["Networks"] = serde_json::json!([{"Target": "8oqmvvlqd5bx33o7kkbhdcmfx"}]);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("net.inspect.json");
    std::fs::write(&file, serde_json::to_string(&services).unwrap()).unwrap();
    let text = deploysim::commands::import::import(&file, None, None).expect("import");
    assert!(text.contains("networks: [\"net-8oqmvvlqd5bx\"]"), "{text}");
    let with = load_text(dir.path(), "net.yml", &text);
    assert_eq!(with.services[0].task.networks, ["net-8oqmvvlqd5bx"]);
    let without = load_text(dir.path(), "plain.yml", &import("s01-rolling-basic"));
    assert!(without.services[0].task.networks.is_empty());
}

#[test]
fn bad_input_exits_2_with_a_location_and_never_writes() {
    // Checks a truncated file (serde_json's line:column), a single object instead of the array,
    // and a job-mode service (not modelled) are refused with exit 2 and a message saying where.
    let dir = tempfile::tempdir().expect("tempdir");
    let out_file = dir.path().join("out.yml");
    let cases: [(&str, &str, &str); 3] = [
        ("trunc.json", "[\n  {\"Spec\": {\"Name\": \"web\",\n", "trunc.json:3:0"),
        ("object.json", "{\"Spec\": {\"Name\": \"web\"}}", "expected a JSON array of services"),
        (
            "job.json",
            "[{\"Spec\": {\"Name\": \"j\", \"TaskTemplate\": {\"ContainerSpec\": {\"Image\": \"busybox\"}}, \"Mode\": {\"ReplicatedJob\": {}}}}]",
            "[0].Spec.Mode: unknown mode {ReplicatedJob}",
        ),
    ];
    for (file, text, expected) in cases {
        let path = dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        let out = cli(&["import", path.to_str().unwrap(), "-o", out_file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        assert!(stderr.contains(expected), "{file}: expected {expected:?} in: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out_file.exists(), "{file}: a scenario was written");
    }
}

#[test]
fn the_cli_writes_a_scenario_check_accepts() {
    // Checks the command end to end: -o writes the file, and `deploysim check` accepts it.
    let dir = tempfile::tempdir().expect("tempdir");
    let out_file = dir.path().join("m03.yml");
    let inspect = data("m03-update-spread.inspect.json");
    let nodes = data("m03-update-spread.nodes.jsonl");
    let out = cli(&[
        "import",
        inspect.to_str().unwrap(),
        "--nodes",
        nodes.to_str().unwrap(),
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let check = cli(&["check", out_file.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
}
