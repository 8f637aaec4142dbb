//! `deploysim ps` and `deploysim run --trace` through the binary on the tutorial's rolling
//! update, and the table layout checked byte for byte against a real Docker 20.10
//! `docker service ps` output (`tests/data/ps/`, copied from shared/fidelity/raw).

use crate::common;

use std::process::{Command, Output};

use deploysim::ps::docker_fmt::tabulate;

fn deploysim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deploysim")).args(args).output().expect("the binary runs")
}

fn scenario() -> String {
    common::scenarios_dir().join("rolling-update.yml").display().to_string()
}

/// The tutorial's scenario with `races: fixed`: slots in ascending order, the first node among
/// equals (the readable order a teacher shows), so that the rows below are known in advance.
fn fixed_scenario() -> String {
    // Written once per test process: the tests run in parallel and must never read it half-written.
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let text = std::fs::read_to_string(scenario()).expect("the tutorial scenario");
        let fixed = text.replacen("x-simulation:\n", "x-simulation:\n  races: fixed\n", 1);
        assert_ne!(fixed, text, "the scenario's x-simulation line moved: update this test");
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ps-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp folder");
        let path = dir.join("rolling-update.yml");
        std::fs::write(&path, fixed).expect("write the fixed-order copy");
        path.display().to_string()
    })
    .clone()
}

/// When the update completed, from `ps --format update-status` at the end (`+135.500s` → 135.5).
fn completed_at() -> f64 {
    let status = ps(&["--at", "10m", "--format", "update-status"]);
    let (_, rest) = status.split_once("\"CompletedAt\":\"+").expect("a completed update");
    rest.split_once('s').and_then(|(t, _)| t.parse().ok()).expect("a time")
}

/// stdout of a successful `deploysim ps rolling-update.yml ARGS…` (races fixed).
fn ps(args: &[&str]) -> String {
    let scenario = fixed_scenario();
    let mut all = vec!["ps", scenario.as_str()];
    all.extend_from_slice(args);
    let out = deploysim(&all);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    text
}

const HEADER: &str = "ID             NAME            IMAGE               NODE      DESIRED STATE   CURRENT STATE";

#[test]
fn mid_update_shows_history_rows_and_docker_wording() {
    // The update starts at 60 s with parallelism 2: in the fixed order, slots 1 and 2 first. The
    // old tasks stop at 63.4 s: a stack service's tasks are on the stack's overlay network, and
    // moby waits its 2 s gossip delay before each stop.
    let text = ps(&["--at", "75s", "web"]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with(HEADER), "{text}");
    assert!(lines[0].ends_with("ERROR     PORTS"), "{text}");
    assert!(lines[1].starts_with(
        "y4uuw10x3g3v   web_web.1       nginx:1.14-alpine   node-2    Running         Running 9 seconds ago"
    ));
    assert!(lines[2].starts_with(
        "4nag6qn3f231    \\_ web_web.1   nginx:1.13-alpine   node-1    Shutdown        Shutdown 11 seconds ago"
    ));
    assert!(
        text.contains("web_web.10      nginx:1.13-alpine   node-1    Running         Running about a minute ago"),
        "{text}"
    );
    // 10 current tasks and 2 history rows; slot 10 sorts last (natural order).
    assert_eq!(lines.len(), 13, "{text}");
    assert!(lines[12].contains("web_web.10 "), "{text}");
}

#[test]
fn service_ls_counts_running_tasks_against_desired() {
    let text = ps(&["--at", "62s", "--format", "ls"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "ID             NAME      MODE         REPLICAS   IMAGE               PORTS");
    let cells: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(cells[1..], ["web_web", "replicated", "8/10", "nginx:1.14-alpine"], "{text}");
}

#[test]
fn update_status_is_null_before_the_update_and_updating_during_it() {
    assert_eq!(ps(&["--at", "30s", "--format", "update-status"]), "null\n");
    assert_eq!(
        ps(&["--at", "90s", "--format", "update-status"]),
        // The command at 60 s takes effect after the CLI's round trip (latencies.command, 40 ms).
        "{\"State\":\"updating\",\"StartedAt\":\"+60.040s\",\"Message\":\"update in progress\"}\n"
    );
}

#[test]
fn at_zero_every_task_is_new_and_nothing_runs() {
    let text = ps(&["--at", "0s", "--format", "all"]);
    assert!(text.starts_with("$ docker service ls\n"), "{text}");
    assert!(text.contains("   0/10       nginx:1.13-alpine"), "{text}");
    assert!(text.contains("$ docker service inspect --format '{{json .UpdateStatus}}' web_web\nnull\n"), "{text}");
    let tasks: Vec<&str> = text.lines().filter(|l| l.contains("   web_web.")).collect();
    assert_eq!(tasks.len(), 10, "{text}");
    assert!(tasks.iter().all(|l| l.contains("Running         New less than a second ago")), "{text}");
    assert!(!text.contains("\\_"), "{text}");
}

#[test]
fn after_the_end_every_slot_runs_the_new_image_over_one_history_row() {
    let text = ps(&["--at", "10m", "--no-trunc"]);
    let current: Vec<&str> = text.lines().filter(|l| l.contains("   web_web.")).collect();
    let history: Vec<&str> = text.lines().filter(|l| l.contains(" \\_ web_web.")).collect();
    assert_eq!((current.len(), history.len()), (10, 10), "{text}");
    // The first batch ran from about 65 s, the last from about 130 s: 8 and 7 minutes before 10m.
    let ran = |l: &&str| l.contains("Running 8 minutes ago") || l.contains("Running 7 minutes ago");
    assert!(current.iter().all(|l| l.contains("nginx:1.14-alpine") && ran(l)), "{text}");
    assert!(history.iter().all(|l| l.contains("nginx:1.13-alpine") && l.contains("Shutdown")), "{text}");
    // --no-trunc: 25-character ids.
    assert!(current[0].split_whitespace().next().is_some_and(|id| id.len() == 25), "{text}");
    let ls = ps(&["--at", "10m", "--format", "ls"]);
    assert!(ls.contains("  10/10  "), "{ls}");
    let status = ps(&["--at", "10m", "--format", "update-status"]);
    assert!(status.contains("\"State\":\"completed\",\"StartedAt\":\"+60.040s\",\"CompletedAt\":\"+"), "{status}");
    // 5 batches of 2, each about 17 s (the 2 s gossip delay, stop, start, first probe, delay
    // 10 s), then the monitor.
    assert!((135.0..150.0).contains(&completed_at()), "{status}");
}

#[test]
fn watch_without_a_terminal_prints_snapshots_without_sleeping() {
    // stdout is a pipe here, so --watch must degrade to snapshots and never sleep (at 1x a
    // terminal replay of this run would take over two minutes).
    let text = ps(&["--watch", "--speed", "1x", "--format", "ls"]);
    let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("--- simulated t=")).collect();
    // Every 10 simulated seconds from 0 to the end (the update's completion), the end included.
    let end = completed_at();
    let expected = (end / 10.0).floor() as usize + 1 + usize::from(end % 10.0 != 0.0);
    assert_eq!(headers.len(), expected, "{text}");
    assert_eq!(headers[0], "--- simulated t=0.000s ---");
    assert_eq!(headers[expected - 1], format!("--- simulated t={end:.3}s ---"));
    assert!(!text.contains('\x1b'), "no terminal control codes in a pipe");
    let every_5s = ps(&["--watch", "--interval", "5s", "--at", "60s"]);
    // From 60 s to the end every 5 s, the end included.
    let expected = ((end - 60.0) / 5.0).floor() as usize + 1 + usize::from((end - 60.0) % 5.0 != 0.0);
    assert_eq!(every_5s.lines().filter(|l| l.starts_with("--- simulated t=")).count(), expected, "{every_5s}");
}

#[test]
fn unknown_service_is_a_usage_error() {
    let scenario = scenario();
    let out = deploysim(&["ps", &scenario, "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such service: nope (the scenario has: web_web)"));
}

#[test]
fn run_trace_prints_one_line_per_event_before_the_summary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out_dir = dir.path().display().to_string();
    let out = deploysim(&["run", &fixed_scenario(), "--trace", "--out", &out_dir]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "   0.000 web_web.1 t=4nag6qn3f231 created (desired running)");
    for expected in [
        // Logged as typed; it takes effect after the CLI's round trip (40 ms).
        "  60.000 $ docker service update --image nginx:1.14-alpine web_web",
        "  60.040 web_web update: none -> updating \"update in progress\"",
        "  60.040 web_web.1 t=4nag6qn3f231 desired running -> shutdown",
        // The shutdown reaches the node with its replacement's placement (51 ms later), in the
        // batch the node's assignments stream sends 100 ms after that, 2 ms on the way; SIGTERM
        // 1.025 s later plus the overlay's 2 s gossip delay; SHUTDOWN reported `stop_report`
        // after the exit (its median, 92 ms, with `races: fixed`).
        "  63.360 web_web.1 t=4nag6qn3f231 running -> shutdown",
        &format!("{:8.3} web_web update: updating -> completed \"update completed\"", completed_at()),
    ] {
        assert!(lines.contains(&expected), "missing {expected:?} in\n{text}");
    }
    // The old task's stop: SIGTERM, then its exit, between the desired and the observed change.
    for expected in ["  63.218 web_web.1 t=4nag6qn3f231 SIGTERM", "  63.268 web_web.1 t=4nag6qn3f231 exited (0)"] {
        assert!(lines.iter().any(|l| l.contains(expected)), "missing {expected:?} in\n{text}");
    }
    // One line per recorded task event that changed something, plus the action, 2 statuses and
    // each signal and exit (one SIGTERM and one exit per replaced replica: no node changed).
    let events = std::fs::read_to_string(dir.path().join("events.csv")).expect("events.csv");
    let trace_lines = lines.iter().take_while(|l| !l.starts_with("seed:")).count();
    let signals = lines.iter().filter(|l| l.ends_with(" SIGTERM")).count();
    let exits = lines.iter().filter(|l| l.contains(" exited (")).count();
    assert_eq!((signals, exits), (10, 10), "{text}");
    assert_eq!(trace_lines, events.lines().count() - 1 + 3 + signals + exits, "{text}");
    // The narrative follows the trace.
    assert!(lines[trace_lines].starts_with("seed: "), "{text}");
}

/// Cuts a fixed-width table into cells at the header's column starts (names never contain
/// two spaces, so each header word starts a column).
fn cells(text: &str) -> Vec<Vec<String>> {
    let header = text.lines().next().expect("a header");
    let starts: Vec<usize> = ["ID", "NAME", "IMAGE", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR", "PORTS"]
        .iter()
        .map(|h| header.find(h).expect("a column"))
        .collect();
    text.lines()
        .map(|line| {
            (0..starts.len())
                .map(|i| {
                    let end = starts.get(i + 1).copied().unwrap_or(line.len()).min(line.len());
                    line.get(starts[i]..end).unwrap_or("").trim_end().to_string()
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_layout_is_byte_for_byte_dockers() {
    let path = common::repo_root().join("tests/data/ps/s04-bad-health-pause.r1.service-ps.txt");
    let real = std::fs::read_to_string(path).expect("the recorded output");
    assert_eq!(tabulate(&cells(&real)), real);
}

/// A scenario that pauses and drains nodes: every availability change is in `nodes.csv`, in the
/// trace, and in `ps --format node-ls` at the instants between them.
#[test]
fn node_changes_show_in_nodes_csv_trace_and_node_ls() {
    let path = common::scenarios_dir().join("fidelity/m10-global-pause-drain.yml").display().to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let out_dir = dir.path().display().to_string();
    let out = deploysim(&["run", &path, "--seed", "1", "--trace", "--quiet", "--out", &out_dir]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    let csv = std::fs::read_to_string(dir.path().join("nodes.csv")).expect("nodes.csv");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "t_s,node,state,availability,message");
    // The declared nodes at 0 s, then each `docker node update` once the CLI's round trip is over.
    assert_eq!(rows[1..4], ["0.000,vm,ready,active,", "0.000,mn-w1,ready,active,", "0.000,mn-w2,ready,active,"]);
    for (row, line) in [
        ("30.040,mn-w2,ready,pause,", "  30.040 node mn-w2: availability active -> pause"),
        ("60.040,mn-w1,ready,drain,", "  60.040 node mn-w1: availability active -> drain"),
        ("75.040,mn-w1,ready,active,", "  75.040 node mn-w1: availability drain -> active"),
    ] {
        assert!(rows.contains(&row), "missing {row:?} in\n{csv}");
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    // `docker kill` (SIGKILL) shows as its exit status.
    assert!(text.lines().any(|l| l.starts_with("  35.065 fid_web.mn-w2 ") && l.ends_with(" exited (137)")), "{text}");
    let node_ls = |at: &str| {
        let out = deploysim(&["ps", &path, "--seed", "1", "--format", "node-ls", "--at", at]);
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let availability = |table: &str, host: &str| {
        let line = table.lines().find(|l| l.split_whitespace().nth(1) == Some(host)).expect("the node's row");
        line.split_whitespace().nth(3).expect("an availability").to_string()
    };
    for (at, w1, w2) in [("30s", "Active", "Active"), ("61s", "Drain", "Pause"), ("80s", "Active", "Active")] {
        let table = node_ls(at);
        assert!(
            table.starts_with(
                "ID                            HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n"
            ),
            "{table}"
        );
        assert_eq!(
            (availability(&table, "mn-w1"), availability(&table, "mn-w2")),
            (w1.to_string(), w2.to_string()),
            "{at}\n{table}"
        );
    }
}

/// A node whose heartbeat stops is marked down (with swarmkit's message) after the heartbeat
/// deadline, not when it was cut, and ready again once it registers.
#[test]
fn a_cut_node_goes_down_after_its_heartbeat_deadline() {
    let path = common::scenarios_dir().join("fidelity/m01-node-down.yml").display().to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let out_dir = dir.path().display().to_string();
    let out = deploysim(&["run", &path, "--seed", "1", "--out", &out_dir]);
    assert_eq!(out.status.code(), Some(0));
    let story = String::from_utf8_lossy(&out.stdout).into_owned();
    let csv = std::fs::read_to_string(dir.path().join("nodes.csv")).expect("nodes.csv");
    let down: Vec<&str> = csv.lines().filter(|l| l.contains(",mn-w2,down,")).collect();
    assert_eq!(down.len(), 1, "{csv}");
    assert!(down[0].ends_with(",mn-w2,down,active,heartbeat failure"), "{csv}");
    let t: f64 = down[0].split(',').next().and_then(|t| t.parse().ok()).expect("a time");
    let yaml = std::fs::read_to_string(&path).expect("the scenario");
    assert!(yaml.contains("node_down: mn-w2"), "the scenario cuts mn-w2");
    // swarmkit: heartbeat period 5 s (± jitter) × grace multiplier 3 after the last heartbeat.
    let cut_at = 30.0;
    assert!(t > cut_at + 5.0 && t < cut_at + 19.0, "down at {t} s\n{csv}");
    assert!(csv.lines().last().is_some_and(|l| l.ends_with(",mn-w2,ready,active,")), "{csv}");
    // The narrative tells when, with the delay after the fault.
    let line = format!("nodes: mn-w2 down at {}s (\"heartbeat failure\", ", down[0].split(',').next().unwrap_or(""));
    assert!(story.contains(&line) && story.contains("after node_down mn-w2), ready at "), "{story}");
}

/// `docker service ps` lists what the simulated manager's store holds: at the end of s34's crash
/// loop (a swarm whose task history limit is 2), every slot shows its current task and one
/// history row, and none of the tasks `run --trace` says the reaper deleted.
#[test]
fn ps_leaves_out_the_tasks_the_task_reaper_deleted() {
    let scenario = common::repo_root().join("scenarios/fidelity/s34-reaper-crash-limit2.yml").display().to_string();
    let out = deploysim(&["ps", &scenario, "--no-trunc"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "two slots, two tasks each:\n{text}");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ps-reaper-{}", std::process::id()));
    let out = deploysim(&["run", &scenario, "--trace", "--out", &dir.display().to_string()]);
    let trace = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{trace}");
    let deleted: Vec<&str> = trace
        .lines()
        .filter(|l| l.ends_with("deleted from the store"))
        .filter_map(|l| l.split_whitespace().nth(2)?.strip_prefix("t="))
        .collect();
    assert!(deleted.len() >= 20, "{} deletions", deleted.len());
    for id in deleted {
        assert!(!text.contains(id), "ps still lists {id}, which the reaper deleted:\n{text}");
    }
}
