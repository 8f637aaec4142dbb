//! `deploysim compare` and `deploysim calibrate` through the binary and the library: exit codes,
//! the table and JSON renderings, the tolerance options, and calibration figures on a real trace.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use deploysim::fidelity::calibrate;
use deploysim::fidelity::trace::{self, TracePath};

fn traces() -> PathBuf {
    common::repo_root().join("tests/data/fidelity/traces")
}

fn scenario(name: &str) -> PathBuf {
    common::scenarios_dir().join("fidelity").join(format!("{name}.yml"))
}

fn s01_trace(run: u32) -> PathBuf {
    traces().join(format!("s01-rolling-basic.r{run}"))
}

fn deploysim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deploysim")).args(args).output().expect("the binary runs")
}

fn text(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn compare_passes_with_exit_0_and_prints_the_table() {
    // Checks a matching scenario: exit 0, a table with the six columns, each run judged alone
    // over the whole recording, and a score of 100 %.
    let out = deploysim(&["compare", text(&s01_trace(1)), text(&s01_trace(2)), text(&scenario("s01-rolling-basic"))]);
    let table = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{table}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(table.contains("| measure "), "{table}");
    for column in ["| real", "| simulated", "| difference", "| allowed", "| within tolerance"] {
        assert!(table.contains(column), "missing column {column}: {table}");
    }
    assert!(table.contains("vs real r1") && table.contains("vs real r2"), "{table}");
    assert!(table.contains("UpdateStatus at the window end"), "{table}");
    assert!(table.contains("window [0, 45.783s] (the recording's end)"), "{table}");
    assert!(table.contains("minimum serving tasks"), "{table}");
    assert!(table.trim_end().ends_with("each run judged alone, times within max(0.5s, 10%))"), "{table}");
    assert!(table.contains("PASS, score 100%"), "{table}");
}

#[test]
fn zero_tolerance_fails_with_exit_1() {
    // Checks the tolerance options: with no slack at all, simulated times differ from real ones
    // by milliseconds, so the comparison fails (exit 1) and says which measures.
    let out = deploysim(&[
        "compare",
        "--tolerance-abs",
        "0s",
        "--tolerance-rel",
        "0%",
        text(&s01_trace(1)),
        text(&scenario("s01-rolling-basic")),
    ]);
    let table = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{table}");
    assert!(table.contains("| NO "), "{table}");
    assert!(table.contains("FAIL"), "{table}");
    assert!(table.contains("times within max(0s, 0%)"), "{table}");
}

#[test]
fn a_missing_trace_is_bad_input_with_exit_2() {
    // Checks that a trace that does not exist is reported by path, with exit code 2.
    let missing = traces().join("no-such-trace.r1");
    let out = deploysim(&["compare", text(&missing), text(&scenario("s01-rolling-basic"))]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no-such-trace.r1.tasks.csv"), "the message must name the file: {err}");
    let out = deploysim(&["calibrate", text(&missing)]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_missing_scenario_or_bad_option_is_exit_2() {
    // Checks the other kinds of bad input: no scenario file, an unknown service, a bad tolerance.
    let out = deploysim(&["compare", text(&s01_trace(1)), "no/such/scenario.yml"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/scenario.yml"));
    let out = deploysim(&["compare", "--service", "nope", text(&s01_trace(1)), text(&scenario("s01-rolling-basic"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no service 'nope'"));
    let out =
        deploysim(&["compare", "--tolerance-rel", "lots", text(&s01_trace(1)), text(&scenario("s01-rolling-basic"))]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn json_has_a_stable_field_order() {
    // Checks `--format json`: valid JSON, the documented top-level fields in declaration order,
    // and numbers (not strings) for the score and time differences.
    let csv = traces().join("s01-rolling-basic.r1.tasks.csv");
    let out = deploysim(&["compare", "--format", "json", text(&csv), text(&scenario("s01-rolling-basic"))]);
    assert_eq!(out.status.code(), Some(0));
    let body = stdout(&out);
    let value: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
    let order = ["\"scenario\"", "\"service\"", "\"tolerance\"", "\"seeds\"", "\"passed\"", "\"score\"", "\"runs\""];
    let positions: Vec<usize> = order.iter().map(|k| body.find(k).unwrap_or_else(|| panic!("no {k}"))).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "fields out of order: {body}");
    assert_eq!(value["score"].as_f64(), Some(1.0));
    assert_eq!(value["runs"][0]["label"], "r1");
    assert_eq!(value["runs"][0]["reproduced_by"], serde_json::json!([1]));
    let measures = value["runs"][0]["shown"]["measures"].as_array().expect("measures");
    let timed = measures.iter().find(|m| m["rule"] == "time").expect("a time measure");
    assert!(timed["difference"].is_f64(), "{timed}");
    assert_eq!(value["tolerance"]["abs_s"].as_f64(), Some(0.5));
    // The same run twice gives the same bytes.
    let again = deploysim(&["compare", "--format", "json", text(&csv), text(&scenario("s01-rolling-basic"))]);
    assert_eq!(stdout(&again), body);
}

#[test]
fn any_run_is_gone_in_favour_of_seeds() {
    // Checks that the removed --any-run says what replaces it (exit 2), and that --seeds
    // reproduces both runs of the s05 race, printing who took which path.
    let s05 = |r: u32| traces().join(format!("s05-bad-health-rollback.r{r}"));
    let (r1, r2, yml) = (s05(1), s05(2), scenario("s05-bad-health-rollback"));
    let args = [text(&r1), text(&r2), text(&yml)];
    let any = deploysim(&[&["compare", "--any-run"][..], &args].concat());
    assert_eq!(any.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&any.stderr).contains("--seeds"), "{}", String::from_utf8_lossy(&any.stderr));
    let seeds = deploysim(&[&["compare", "--seeds", "1..20"][..], &args].concat());
    let table = stdout(&seeds);
    assert!(table.contains("over seeds 1-20:"), "{table}");
    assert!(table.contains("real r1: reproduced by ") && table.contains("real r2: reproduced by "), "{table}");
    assert_eq!(seeds.status.code(), Some(0), "{table}");
}

#[test]
fn trace_path_forms_are_equivalent() {
    // Checks that a prefix and the path of any of its csv files name the same trace.
    let by_prefix = trace::load(&TracePath::new(&s01_trace(1))).expect("loads");
    for kind in ["tasks", "containers", "service"] {
        let file = traces().join(format!("s01-rolling-basic.r1.{kind}.csv"));
        assert_eq!(trace::load(&TracePath::new(&file)).expect("loads"), by_prefix, "{kind}");
    }
    assert_eq!(by_prefix.run.label, "r1");
    assert_eq!(by_prefix.run.min_serving(by_prefix.run.window_end()), Some(4), "two of six replaced at a time");
    assert!(
        by_prefix.run.window_end() > by_prefix.run.last_row.unwrap() + 10.0,
        "the recording ran on after its last row"
    );
}

#[test]
fn calibrate_s01_gives_the_documented_latencies() {
    // Checks calibration on s01 r1 against summary_notes.md: first healthy probe ≈ 1.07 s after
    // start with a 1 s interval, prepare 0.2–0.3 s, a TERM-trapping old image that exits 0 in
    // about 50 ms.
    let t = trace::load(&TracePath::new(&s01_trace(1))).expect("loads");
    let c = calibrate::calibrate(&t);
    let v2 = c.images.iter().find(|i| i.image == "websim:v2-trap").expect("v2 measured");
    let healthy = v2.healthy.as_ref().expect("healthy probes seen");
    assert_eq!(healthy.n, 6);
    assert!((1.04..=1.15).contains(&healthy.median_s), "{healthy:?}");
    assert!((healthy.min_s - 1.07).abs() < 0.01, "{healthy:?}");
    assert_eq!(v2.inferred_interval_s, Some(1.0));
    let prepare = v2.prepare.as_ref().expect("creations seen");
    assert!((0.15..=0.35).contains(&prepare.median_s), "{prepare:?}");
    let v1 = c.images.iter().find(|i| i.image == "websim:v1-trap").expect("v1 measured");
    let stop = v1.stop.as_ref().expect("stops seen");
    assert!(stop.median_s < 0.2 && !v1.ignores_sigterm && v1.stop_exit_codes == vec![0], "{v1:?}");
    assert!(c.yaml.starts_with("x-simulation:\n  images:\n    websim:v1-trap:\n"), "{}", c.yaml);
    assert!(c.yaml.contains("health: healthy"), "{}", c.yaml);
}

#[test]
fn calibrate_detects_an_image_that_ignores_sigterm() {
    // Checks s09a (grace period 10 s): SIGTERM → exit ≈ 10.1 s, exit 137, `stop: ignore_sigterm`;
    // and the command prints the block and a JSON form.
    let prefix = traces().join("s09a-slow-stop-grace10.r1");
    let out = deploysim(&["calibrate", text(&prefix)]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("stop: ignore_sigterm"), "{}", stdout(&out));
    let out = deploysim(&["calibrate", "--format", "json", text(&prefix)]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    let v1 = value["images"].as_array().unwrap().iter().find(|i| i["image"] == "websim:v1").expect("v1").clone();
    assert_eq!(v1["ignores_sigterm"], true);
    let median = v1["stop"]["median_s"].as_f64().unwrap();
    assert!((10.0..10.3).contains(&median), "{median}");
}

#[test]
fn seeds_and_widening_options() {
    // Checks --seeds' two spellings and its bounds (bad input is exit 2 with the expected form),
    // that --seed and --seeds exclude each other, and that --widen-by-spread is opt-in and says
    // so in the verdict line.
    let (r1, r2, yml) = (s01_trace(1), s01_trace(2), scenario("s01-rolling-basic"));
    for bad in ["0", "5..2", "x", "1..20000", "0..18446744073709551615"] {
        let out = deploysim(&["compare", "--seeds", bad, text(&r1), text(&yml)]);
        assert_eq!(out.status.code(), Some(2), "--seeds {bad}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let both = deploysim(&["compare", "--seed", "3", "--seeds", "4", text(&r1), text(&yml)]);
    assert_eq!(both.status.code(), Some(2));
    let out = deploysim(&["compare", "--seeds", "3..5", text(&r1), text(&r2), text(&yml)]);
    let table = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{table}");
    assert!(
        table.contains("over seeds 3-5:") && table.contains("real r2: reproduced by 3 of 3 seeds (100%): 3-5"),
        "{table}"
    );
    assert!(!table.contains("own spread"), "{table}");
    let widened = stdout(&deploysim(&["compare", "--widen-by-spread", text(&r1), text(&r2), text(&yml)]));
    assert!(widened.trim_end().ends_with("or the real runs' own spread where larger)"), "{widened}");
}

#[test]
fn widening_never_lets_one_race_path_excuse_another() {
    // Checks that --widen-by-spread widens a measure only by runs that took the same path: of
    // the eight s05 runs, r1 rolled back in 2 ms and r2 in 8 s; r1's rollback_completed must keep
    // (about) the strict allowance, not the seconds between the two paths.
    let runs: Vec<PathBuf> = (1..=8).map(|r| traces().join(format!("s05-bad-health-rollback.r{r}"))).collect();
    let mut args: Vec<&str> = vec!["compare", "--widen-by-spread", "--format", "json", "--seeds", "1..5"];
    args.extend(runs.iter().map(|p| text(p)));
    let yml = scenario("s05-bad-health-rollback");
    args.push(text(&yml));
    let value: serde_json::Value = serde_json::from_str(&stdout(&deploysim(&args))).expect("JSON");
    let r1 = &value["runs"][0]["shown"]["measures"];
    let completed = r1
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["measure"].as_str().is_some_and(|s| s.ends_with(": rollback_completed")))
        .expect("r1's rollback_completed");
    assert!(completed["allowed_s"].as_f64().unwrap() < 1.5, "{completed}");
}

#[test]
fn a_recording_cut_mid_update_is_judged_up_to_its_end() {
    // Checks a trace whose recording stopped while the update was still going (s01 r1 cut at
    // 14 s): the simulation is counted up to the same end, so the correct scenario passes.
    let dir = tempfile::tempdir().expect("temp dir");
    let src = s01_trace(1);
    for kind in ["tasks", "containers", "service"] {
        let text = std::fs::read_to_string(format!("{}.{kind}.csv", src.display())).expect("trace");
        let mut lines = text.lines();
        let mut out = format!("{}\n", lines.next().unwrap());
        for line in lines.filter(|l| l.split(',').next().unwrap().parse::<f64>().unwrap() <= 14.0) {
            out.push_str(line);
            out.push('\n');
        }
        std::fs::write(dir.path().join(format!("cut.r1.{kind}.csv")), out).expect("write");
    }
    std::fs::write(dir.path().join("cut.r1.recording.csv"), "t_end_s,end_reason\n14.000,cut\n").expect("write");
    let cut = dir.path().join("cut.r1");
    let out = deploysim(&["compare", "--seeds", "5", text(&cut), text(&scenario("s01-rolling-basic"))]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn the_update_judged_is_the_one_that_follows_the_action() {
    // Checks that when the aligned action is not the update (m06 cuts a node 5 s before it),
    // the slots-replaced measure still names the update's image.
    let m06 = traces().join("m06-node-down-before-update.r1");
    let out = deploysim(&["compare", text(&m06), text(&scenario("m06-node-down-before-update"))]);
    assert!(stdout(&out).contains("slots the update gave a v2-trap task before it first stopped"), "{}", stdout(&out));
}

#[test]
fn a_simulation_that_ends_before_the_recording_is_bad_input() {
    // Checks that a scenario whose `until` stops the simulation before the recording ended is
    // refused (exit 2) with what to change, instead of judged on a truncated run.
    let dir = tempfile::tempdir().expect("temp dir");
    let text_in = std::fs::read_to_string(scenario("s01-rolling-basic")).expect("scenario");
    assert!(text_in.contains("  until: 150s\n"), "the scenario's until moved: update this test");
    let short = dir.path().join("short.yml");
    std::fs::write(&short, text_in.replace("  until: 150s\n", "  until: 60s\n")).expect("write");
    let out = deploysim(&["compare", text(&s01_trace(1)), text(&short)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("raise x-simulation.until to at least 77s"), "{err}");
}
