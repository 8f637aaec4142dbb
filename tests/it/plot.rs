//! `deploysim run` writes timeline plots, and `deploysim plot` redraws them byte for byte from
//! the report files alone; bad input exits 2 naming file, line and column.

use std::path::Path;
use std::process::{Command, Output};

fn deploysim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deploysim")).args(args).output().expect("the binary runs")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

fn is_svg(bytes: &[u8]) -> bool {
    let text = std::str::from_utf8(bytes).expect("SVG is UTF-8");
    (text.starts_with("<svg") || text.starts_with("<?xml")) && text.contains("</svg>")
}

/// Checks the signature and decodes the whole image; returns its dimensions.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    (info.width, info.height)
}

fn run_into(scenario: &str, dir: &Path) {
    let out = deploysim(&["run", scenario, "--quiet", "--out", path(dir)]);
    assert!(out.status.success(), "run failed: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn run_writes_plots_that_plot_regenerates_byte_for_byte() {
    let root = tempfile::tempdir().unwrap();
    let report = root.path().join("report");
    run_into("scenarios/rollback.yml", &report);
    let svg = std::fs::read(report.join("timeline.svg")).unwrap();
    let png = std::fs::read(report.join("timeline.png")).unwrap();
    assert!(is_svg(&svg));
    assert_eq!(png_size(&png), (1200, 640));
    let text = String::from_utf8(svg.clone()).unwrap();
    assert!(text.contains("rollback — web_web") && text.contains("seed 1"), "title");

    let again = root.path().join("again");
    let out = deploysim(&["plot", path(&report.join("timeline.csv")), "--out", path(&again)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(again.join("timeline.svg")).unwrap(), svg);
    assert_eq!(std::fs::read(again.join("timeline.png")).unwrap(), png);
}

#[test]
fn the_csv_alone_is_enough() {
    let root = tempfile::tempdir().unwrap();
    let report = root.path().join("report");
    run_into("scenarios/stack-health.yml", &report);
    let alone = root.path().join("alone");
    std::fs::create_dir(&alone).unwrap();
    std::fs::copy(report.join("timeline.csv"), alone.join("timeline.csv")).unwrap();
    let out = deploysim(&["plot", path(&alone.join("timeline.csv"))]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let svg = std::fs::read_to_string(alone.join("timeline.svg")).unwrap();
    assert!(svg.contains("myapp_web") && !svg.contains("seed"), "title without seed");
    png_size(&std::fs::read(alone.join("timeline.png")).unwrap());
}

#[test]
fn a_large_timeline_renders() {
    // 3,000 replicas on 100 nodes, 100 at a time: tens of thousands of timeline rows.
    let root = tempfile::tempdir().unwrap();
    let scenario = root.path().join("big.yml");
    std::fs::write(
        &scenario,
        "version: \"3.5\"\nservices:\n  web:\n    image: app:1\n    deploy:\n      replicas: 3000\n      \
         update_config: {parallelism: 100, delay: 5s}\nx-simulation:\n  stack: big\n  until: 30m\n  \
         cluster: {nodes: 100}\n  images:\n    app:1: {pull: 2s, start: 300ms}\n    \
         app:2: {pull: {uniform: [2s, 4s]}, start: {uniform: [200ms, 900ms]}}\n  timeline:\n    \
         - {at: 1m, run: docker service update --image app:2 big_web}\n",
    )
    .unwrap();
    let report = root.path().join("report");
    run_into(path(&scenario), &report);
    let rows = std::fs::read_to_string(report.join("timeline.csv")).unwrap().lines().count();
    assert!(rows > 3000, "expected a long timeline, got {rows} rows");
    assert!(is_svg(&std::fs::read(report.join("timeline.svg")).unwrap()));
    assert_eq!(png_size(&std::fs::read(report.join("timeline.png")).unwrap()), (1200, 640));
}

#[test]
fn bad_input_exits_2_naming_file_line_and_column() {
    let root = tempfile::tempdir().unwrap();
    let csv = root.path().join("timeline.csv");
    std::fs::write(
        &csv,
        "t_s,service,desired,running_old,running_new,healthy_old,healthy_new,starting,stopping,serving,update_state\n\
         0.000,web,3,0,0,0,0,3,0,0,\n\
         1.5x,web,3,3,0,3,0,0,0,3,\n",
    )
    .unwrap();
    let out = deploysim(&["plot", path(&csv)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}: line 3, column t_s:", csv.display())), "{stderr}");

    let missing = deploysim(&["plot", path(&root.path().join("missing.csv"))]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("missing.csv: cannot read the file"));
}
