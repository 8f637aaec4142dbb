//! Capacity as the scheduler sees it (issue 18): reservations against node capacity, host-mode
//! ports, node labels changed at run time, and `check` and `sweep` agreeing with what `run`
//! does. Each scenario is written here, small, so that what it asserts is plain.

use std::path::Path;
use std::process::{Command, Output};

fn deploysim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deploysim")).args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn all(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Writes `text` as `name` in `dir` and returns its path as a string.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the scenario");
    path.display().to_string()
}

/// `deploysim run --trace` of `file`: the trace lines.
fn trace(file: &str, out: &Path) -> String {
    let o = deploysim(&["run", "--trace", "-q", "--out", &out.display().to_string(), file]);
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    stdout(&o)
}

/// Three nodes of 1 CPU; six replicas reserving 0.4 CPU fill them (two per node).
const FULL: &str = r#"
version: "3.8"
services:
  web:
    image: "app:v1"
    deploy:
      replicas: 6
      resources:
        reservations: {cpus: "0.4", memory: 64M}
      update_config: {order: ORDER, parallelism: 1}
x-simulation:
  stack: full
  cluster: {nodes: 3, cpus: 1}
  until: 200s
  images:
    app:v1: {start: 1s}
    app:v2: {start: 1s}
  timeline:
    - at: 30s
      run: docker service update --image app:v2 full_web
"#;

#[test]
fn start_first_on_a_full_cluster_waits_pending_and_check_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "full.yml", &FULL.replace("ORDER", "start-first"));
    let text = trace(&file, &dir.path().join("r"));
    assert!(
        text.contains("pending \"no suitable node (insufficient resources on 3 nodes)\""),
        "the surge task waits with swarmkit's explanation:\n{text}"
    );
    assert!(!text.contains("updating -> completed"), "the update never completes:\n{text}");
    assert!(!text.contains("running -> shutdown"), "no old task is told to stop, none stops:\n{text}");
    let summary = std::fs::read_to_string(dir.path().join("r/summary.json")).unwrap();
    assert!(summary.contains("\"peak_reserved_cpus\": \"2.4\""), "{summary}");
    assert!(summary.contains("\"cpu_headroom\": \"0.6\""), "{summary}");
    let check = stdout(&deploysim(&["check", &file]));
    assert!(check.contains("warning[reservation-blocks-surge]"), "{check}");
}

#[test]
fn check_notes_a_surge_wider_than_the_room_left_in_one_readable_sentence() {
    // 4 replicas of 0.4 CPU on 3 one-CPU nodes (2 fit on each): room for 2 more, parallelism 3.
    let dir = tempfile::tempdir().unwrap();
    let text = FULL
        .replace("ORDER", "start-first")
        .replace("replicas: 6", "replicas: 4")
        .replace("parallelism: 1", "parallelism: 3");
    let file = write(dir.path(), "surge.yml", &text);
    let check = stdout(&deploysim(&["check", &file]));
    assert!(check.contains("note[reservation-limits-surge]"), "{check}");
    assert!(check.contains("room for only 2 more tasks reserving"), "{check}");
    let line = check.lines().find(|l| l.contains("room for only")).expect("the note's line");
    assert!(!line.trim().contains("  "), "no run of spaces inside the sentence: {line}");
}

#[test]
fn stop_first_on_a_full_cluster_completes_each_new_task_after_its_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "full.yml", &FULL.replace("ORDER", "stop-first"));
    let text = trace(&file, &dir.path().join("r"));
    assert!(text.contains("updating -> completed"), "{text}");
    // The first new task is refused until its old task has stopped and then placed.
    let lines: Vec<&str> = text.lines().collect();
    let refused = lines.iter().position(|l| l.contains("insufficient resources")).expect("a new task waits for room");
    let stopped = lines
        .iter()
        .position(|l| l.contains("running -> shutdown") && !l.contains("desired"))
        .expect("an old task stops");
    let placed = refused
        + lines[refused..]
            .iter()
            .position(|l| l.contains("pending -> assigned"))
            .expect("the new task is placed later");
    assert!(refused < stopped && stopped < placed, "{text}");
    let check = stdout(&deploysim(&["check", &file]));
    assert!(!check.contains("reservation-"), "stop-first fits: {check}");
}

#[test]
fn a_reservation_no_node_can_hold_leaves_tasks_pending() {
    let dir = tempfile::tempdir().unwrap();
    let text = FULL.replace("ORDER", "stop-first").replace("cpus: \"0.4\"", "cpus: \"0.6\"");
    let file = write(dir.path(), "over.yml", &text);
    let text = trace(&file, &dir.path().join("r"));
    let pending =
        text.lines().filter(|l| l.contains("\"no suitable node (insufficient resources on 3 nodes)\"")).count();
    assert!(pending >= 3, "three of six replicas find no room (one 0.6 per 1-CPU node):\n{text}");
    let check = stdout(&deploysim(&["check", &file]));
    assert!(check.contains("warning[reservation-over-capacity]"), "{check}");
    assert!(check.contains("only 3 fit"), "{check}");
}

#[test]
fn host_mode_ports_conflict_per_node_as_check_predicts() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
version: "3.8"
services:
  web:
    image: "app:v1"
    ports:
      - {mode: host, target: 80, published: 8080}
      - "9090:90"
    deploy:
      replicas: 3
x-simulation:
  cluster: {nodes: 2}
  until: 60s
  images:
    app:v1: {start: 1s}
"#;
    let file = write(dir.path(), "ports.yml", text);
    let out = dir.path().join("r");
    let text = trace(&file, &out);
    assert!(text.contains("pending \"no suitable node (host-mode port already in use on 2 nodes)\""), "{text}");
    assert_eq!(text.matches("starting -> running").count(), 2, "one task per node holds port 8080:\n{text}");
    let check = stdout(&deploysim(&["check", &file]));
    assert!(check.contains("warning[host-port-over-capacity]"), "{check}");
}

#[test]
fn node_labels_changed_at_run_time_move_constrained_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
version: "3.8"
services:
  web:
    image: "app:v1"
    deploy:
      replicas: 2
      placement:
        constraints: ["node.labels.zone == a"]
x-simulation:
  cluster:
    nodes:
      - {name: m1, role: manager}
      - {name: w1}
  until: 90s
  images:
    app:v1: {start: 1s}
  timeline:
    - at: 20s
      run: docker node update --label-add zone=a w1
    - at: 40s
      run: docker node update --label-rm zone w1
    - at: 50s
      run: docker node update --label-rm zone w1
"#;
    let file = write(dir.path(), "labels.yml", text);
    let out = dir.path().join("r");
    let text = trace(&file, &out);
    assert!(text.contains("scheduling constraints not satisfied on 2 nodes"), "nothing fits at first:\n{text}");
    let placed = text.find("pending -> assigned").expect("placed once w1 has the label");
    assert!(text[..placed].contains("--label-add zone=a w1"), "{text}");
    let after_rm = &text[text.find("--label-rm zone w1").unwrap()..];
    assert!(after_rm.contains("desired running -> shutdown"), "w1's tasks leave once it loses the label:\n{text}");
    assert!(text.contains("(refused: key zone doesn't exist in node's labels)"), "{text}");
}

#[test]
fn resource_flags_and_cluster_capacity_are_checked_with_dockers_words() {
    let dir = tempfile::tempdir().unwrap();
    let bad = FULL
        .replace("ORDER", "stop-first")
        .replace("cluster: {nodes: 3, cpus: 1}", "cluster: {nodes: 3, cpus: lots, memory: 1k}")
        .replace("--image app:v2", "--reserve-cpu 0.0001 --limit-memory 12x");
    let file = write(dir.path(), "bad.yml", &bad);
    let out = deploysim(&["check", &file]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("failed to parse lots as a rational number"), "{text}");
    assert!(text.contains("invalid memory value 1024: Must be at least 4MiB"), "{text}");
    assert!(text.contains("invalid cpu value 0.0001: Must be at least 0.001"), "{text}");
    assert!(text.contains("invalid argument \"12x\" for \"--limit-memory\" flag: invalid size: '12x'"), "{text}");
}

#[test]
fn sweep_constrains_capacity_and_fails_when_no_policy_fits() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "full.yml", &FULL.replace("ORDER", "start-first"));
    let out_dir = dir.path().join("sweep").display().to_string();
    let order = "services.web.deploy.update_config.order=start-first,stop-first";
    let sweep = |constraint: &str| {
        deploysim(&["sweep", &file, "--set", order, "--seeds", "2", "--out", &out_dir, "--constraint", constraint])
    };
    let ok = sweep("peak_extra_tasks<=0");
    let text = stdout(&ok);
    assert_eq!(ok.status.code(), Some(0), "{}", all(&ok));
    // start-first never completes here: the recommendation is the policy that fits.
    assert!(text.contains("recommended: policy 2 (order=stop-first)"), "{text}");
    let csv = std::fs::read_to_string(dir.path().join("sweep/sweep.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with("peak_extra_tasks,peak_reserved_cpus,cpu_headroom,peak_reserved_memory_mib,memory_headroom_mib"),
        "{csv}"
    );
    let none = sweep("cpu_headroom>=1");
    let text = stdout(&none);
    assert_eq!(none.status.code(), Some(1), "{}", all(&none));
    assert!(text.contains("no policy meets every constraint"), "{text}");
    assert!(text.contains("misses cpu_headroom >= 1: 0.6 by 0.4"), "{text}");
}
