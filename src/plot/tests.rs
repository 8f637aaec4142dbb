//! Plot tests on hand-made report files: validity, determinism, scale, and the requests panel.

use super::*;
use input::MarkKind;

pub(crate) const HEADER: &str =
    "t_s,service,desired,running_old,running_new,healthy_old,healthy_new,starting,stopping,serving,update_state\n";

/// A three-replica stop-first update with a rollback.
pub(crate) fn small_timeline() -> String {
    let rows = [
        "0.000,web_web,3,0,0,0,0,3,0,0,",
        "5.000,web_web,3,3,0,3,0,0,0,3,",
        "60.000,web_web,3,2,0,3,0,1,1,3,updating",
        "61.200,web_web,3,2,0,2,0,1,1,2,updating",
        "62.000,web_web,3,2,0,2,0,1,0,2,updating",
        "66.000,web_web,3,2,1,2,1,0,0,3,updating",
        "70.000,web_web,3,2,0,2,0,1,1,2,rollback_started",
        "75.000,web_web,3,3,0,3,0,0,0,3,rollback_completed",
    ];
    format!("{HEADER}{}\n", rows.join("\n"))
}

/// 3,000 replicas replaced 100 at a time, a row every 10 ms, with a one-row dip to zero.
fn large_timeline() -> String {
    let mut text = String::from(HEADER);
    text.push_str("0.000,big,3000,3000,0,3000,0,0,0,3000,\n");
    for i in 0..3000u64 {
        let t = 10_000 + i * 10;
        let new = i + 1;
        let old = 3000 - new;
        let serving = if i == 1500 { 0 } else { 3000 - 50 };
        let (ho, hn) = (old.min(serving), serving.saturating_sub(old.min(serving)));
        text.push_str(&format!(
            "{}.{:03},big,3000,{old},{new},{ho},{hn},50,50,{serving},updating\n",
            t / 1000,
            t % 1000
        ));
    }
    text.push_str("45.000,big,3000,0,3000,0,3000,0,0,3000,completed\n");
    text
}

fn is_svg(bytes: &[u8]) -> bool {
    let text = std::str::from_utf8(bytes).expect("SVG is UTF-8");
    (text.starts_with("<svg") || text.starts_with("<?xml")) && text.trim_end().ends_with("</svg>")
}

/// Width and height from the IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

/// Decodes the PNG fully: a truncated or corrupt stream fails here.
fn decode(bytes: &[u8]) -> Vec<u8> {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    reader.next_frame(&mut buf).expect("PNG data");
    buf
}

fn render_one(timeline: &str) -> Vec<(String, Vec<u8>)> {
    render(&Sources { timeline: timeline.as_bytes(), ..Default::default() }).unwrap()
}

#[test]
fn a_small_and_a_large_timeline_render_valid_images() {
    for text in [small_timeline(), large_timeline()] {
        let files = render_one(&text);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["timeline.svg", "timeline.png"]);
        assert!(is_svg(&files[0].1));
        assert_eq!(png_size(&files[1].1), (style::WIDTH, style::HEIGHT));
        decode(&files[1].1);
    }
}

#[test]
fn the_same_csv_gives_the_same_bytes() {
    let summary = br#"{"scenario":"demo","seed":7}"#;
    let timeline = small_timeline();
    let sources = Sources { timeline: timeline.as_bytes(), summary: Some(summary), ..Default::default() };
    assert_eq!(render(&sources).unwrap(), render(&sources).unwrap());
}

#[test]
fn the_title_names_scenario_service_and_seed_when_the_summary_is_there() {
    let timeline = small_timeline();
    let with = Sources {
        timeline: timeline.as_bytes(),
        summary: Some(br#"{"scenario":"demo","seed":7}"#),
        ..Default::default()
    };
    let svg = String::from_utf8(render(&with).unwrap().remove(0).1).unwrap();
    assert!(svg.contains("demo — web_web"), "title");
    assert!(svg.contains("seed 7"));
    let without = String::from_utf8(render_one(&timeline).remove(0).1).unwrap();
    assert!(!without.contains("seed"));
    assert!(without.contains("web_web"));
}

#[test]
fn status_changes_and_bands_are_labelled() {
    let svg = String::from_utf8(render_one(&small_timeline()).remove(0).1).unwrap();
    for text in ["updating 60.0 s", "rollback started 70.0 s", "rollback completed 75.0 s", "background: rolling back"]
    {
        assert!(svg.contains(text), "missing {text:?}");
    }
}

#[test]
fn several_services_get_one_pair_of_files_each() {
    let text =
        format!("{HEADER}0.000,a_web,1,0,0,0,0,1,0,0,\n0.000,a_db,1,0,0,0,0,1,0,0,\n1.000,a_web,1,1,0,1,0,0,0,1,\n");
    let names: Vec<String> = render_one(&text).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["timeline-a_web.svg", "timeline-a_web.png", "timeline-a_db.svg", "timeline-a_db.png"]);
    assert!(names.iter().all(|n| is_plot_file(n)));
    assert!(!is_plot_file("timeline.csv"));
}

#[test]
fn events_add_markers_and_requests_add_a_panel() {
    let timeline = small_timeline();
    let events = "t_s,service,task_id,slot,node,image,desired_state,state,message\n\
        0.000,web_web,a,1,,img:1,running,new,created\n\
        60.000,web_web,b,1,,img:2,ready,new,created\n\
        70.000,web_web,b,1,n1,img:2,running,failed,task: non-zero exit (1)\n";
    let requests =
        "t_s,service,ok,failed\n0.000,web_web,0,10\n5.000,web_web,10,0\n61.000,web_web,7,3\n62.000,web_web,10,0\n";
    let sources = Sources {
        timeline: timeline.as_bytes(),
        events: Some(super::Csv::Bytes(events.as_bytes())),
        requests: Some(requests.as_bytes()),
        ..Default::default()
    };
    let files = render(&sources).unwrap();
    let svg = String::from_utf8(files[0].1.clone()).unwrap();
    for text in ["task failed or exited", "new task takes a slot", "requests failed / s", "requests per second"] {
        assert!(svg.contains(text), "missing {text:?}");
    }
    assert_eq!(png_size(&files[1].1), (style::WIDTH, style::HEIGHT + style::REQUESTS_HEIGHT));
    let plain = String::from_utf8(render_one(&timeline).remove(0).1).unwrap();
    assert!(!plain.contains("task failed") && !plain.contains("requests"));
}

#[test]
fn node_changes_get_labelled_lines_and_first_rows_none() {
    let timeline = small_timeline();
    let nodes = "t_s,node,state,availability,message\n0.000,n1,ready,active,\n0.000,n2,down,active,heartbeat failure\n\
        41.779,n1,down,active,heartbeat failure\n60.040,n1,down,drain,heartbeat failure\n\
        70.000,n2,down,active,removed from the swarm (docker node rm)\n";
    let sources = Sources { timeline: timeline.as_bytes(), nodes: Some(nodes.as_bytes()), ..Default::default() };
    let svg = String::from_utf8(render(&sources).unwrap().remove(0).1).unwrap();
    for text in ["n1 down 41.7 s", "n1 drain 60.0 s", "n2 removed 70.0 s", "node change"] {
        assert!(svg.contains(text), "missing {text:?}");
    }
    // A node's first row is where it started: n2 declared down gets no line at 0 s.
    assert!(!svg.contains("n2 down"));
    let plain = String::from_utf8(render_one(&timeline).remove(0).1).unwrap();
    assert!(!plain.contains("node change"));
    let bad = Sources { timeline: timeline.as_bytes(), nodes: Some(b"t_s,node\n"), ..Default::default() };
    let err = render(&bad).unwrap_err();
    assert_eq!((err.file.as_str(), err.line), ("nodes.csv", 1), "{err}");
}

/// The markers of `events.csv`'s bytes (what `deploysim plot` reads) and of the record it is
/// written from (what `deploysim run` draws from).
fn marks_both_ways(
    run: &crate::model::record::RunRecord,
) -> (std::collections::BTreeMap<String, Vec<Mark>>, std::collections::BTreeMap<String, Vec<Mark>>) {
    let timelines = input::timeline("timeline.csv", &crate::report::timeline_csv(run)).unwrap();
    let from_file = input::marks("events.csv", &crate::report::events_csv(run)[..], &timelines).unwrap();
    let from_record = input::marks_of_record(run, &crate::ps::replay::canonical_names(run), &timelines);
    (from_file, from_record)
}

#[test]
fn markers_from_the_record_are_those_of_its_events_csv() {
    use crate::commands::simulate::{SimulateOptions, simulate};
    let mut kinds = std::collections::BTreeSet::new();
    // Rolling updates with rollbacks and crashes, a global service losing a node, services
    // removed and created again (names spelt twice in the record).
    for (path, seed) in [
        ("scenarios/rollback.yml", 1),
        ("scenarios/fidelity/s29-alternate-crash.yml", 2),
        ("scenarios/fidelity/m07-global-node-down.yml", 1),
        ("scenarios/strategies/blue-green-by-hand.yml", 1),
    ] {
        let scenario = crate::scenario::load_with_warnings(std::path::Path::new(path)).unwrap().0;
        let run = simulate(scenario, Some(seed), &SimulateOptions::default());
        let (from_file, from_record) = marks_both_ways(&run);
        assert_eq!(from_record, from_file, "{path}");
        kinds.extend(from_file.values().flatten().map(|m| format!("{:?}", m.kind)));
    }
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["Failure", "SlotTaken"], "both kinds were compared");
}

#[test]
fn markers_from_the_record_key_names_by_their_text() {
    use crate::model::record::{Name, TaskEvent};
    use crate::model::task::TaskState::{Failed, New, Running, Shutdown};
    use crate::report::fixtures::{empty_run, task_event};
    let mut run = empty_run();
    let mut update = crate::report::fixtures::sample("web_web", 0, 1, 0);
    update.update_state = "updating";
    run.timeline.push(update);
    // Task abc123 in slot 3, failing while wanted running.
    run.push_event(task_event(1_000_000_000, Running, New, "created"));
    run.push_event(task_event(2_000_000_000, Running, Failed, "task: non-zero exit (1)"));
    // The same texts under second names (as a recorder interning by string identity makes
    // them): the same task, so no second failure; then a new task in the same slot.
    let second = |run: &mut crate::model::record::RunRecord, text: &str| run.names.push(std::sync::Arc::from(text));
    let (service, task, node) = (second(&mut run, "web_web"), second(&mut run, "abc123"), second(&mut run, "node-1"));
    let (image, message, other) = (second(&mut run, "web:2"), second(&mut run, "failed"), second(&mut run, "def456"));
    let row = |t: u64, task_id: Name, slot: u64, state| TaskEvent {
        t: crate::time::SimTime(t),
        service,
        task_id,
        slot,
        node,
        image,
        desired_state: Running,
        state,
        message,
    };
    run.task_events.push(row(3_000_000_000, task, 3, Failed));
    run.task_events.push(row(4_000_000_000, other, 3, New));
    // Global tasks (slot 0) are slotted by node: a second task on node-1 takes its slot.
    run.task_events.push(row(5_000_000_000, task, 0, Shutdown));
    // (abc123's row above put its node's slot in use: a later task there takes it.)
    let third = second(&mut run, "ghi789");
    run.task_events.push(row(6_000_000_000, third, 0, New));
    let (from_file, from_record) = marks_both_ways(&run);
    assert_eq!(from_record, from_file);
    let kinds: Vec<(u64, MarkKind)> = from_file["web_web"].iter().map(|m| (m.t_ms, m.kind)).collect();
    assert_eq!(kinds, [(2_000, MarkKind::Failure), (4_000, MarkKind::SlotTaken), (6_000, MarkKind::SlotTaken)]);
}
