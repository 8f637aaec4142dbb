//! deploysim's bounds (`src/limits.rs`) as a user meets them: input beyond a limit is bad input
//! (exit 2) with a message naming the limit, refused before any work is done.

use std::process::{Command, Output};

fn deploysim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deploysim")).args(args).output().expect("the binary runs")
}

/// Writes `text` as a scenario and runs `deploysim <command> FILE [args]`.
fn on_scenario(text: &str, command: &str, args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("limits.yml");
    std::fs::write(&path, text).expect("write the scenario");
    let mut all = vec![command, path.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    let out = deploysim(&all);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

const STACK: &str = "services:\n  web:\n    image: web:1\n    deploy:\n      replicas: REPLICAS\n";

#[test]
fn a_billion_replicas_is_refused_naming_the_limit() {
    // Checks the reliability issue's first finding: this input used to allocate until the
    // process died. Now `run` and `check` refuse it at once, at the line of the value.
    let text = STACK.replace("REPLICAS", "1000000000");
    for command in ["run", "check"] {
        let (code, out) = on_scenario(&text, command, &[]);
        assert_eq!(code, Some(2), "{command}: {out}");
        assert!(out.contains("is 1000000000: more than deploysim's limit of 2000000 replicas"), "{command}: {out}");
        assert!(out.contains(":5:"), "{command} names the line: {out}");
    }
    let many = "services:\n".to_string()
        + &(0..3)
            .map(|i| format!("  s{i}:\n    image: web:1\n    deploy:\n      replicas: 900000\n"))
            .collect::<String>();
    let (code, out) = on_scenario(&many, "check", &[]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("2700000 replicas in all"), "{out}");
}

#[test]
fn timeline_commands_and_run_settings_beyond_a_limit_are_refused() {
    // Checks the limits a timeline or the run settings can hit: a scale beyond the replica
    // limit, --replicas likewise, and an event budget beyond the largest allowed.
    let base = STACK.replace("REPLICAS", "2");
    let cases = [
        ("x-simulation:\n  timeline:\n    - at: 1s\n      run: docker service scale limits_web=3000000\n", "3000000"),
        (
            "x-simulation:\n  timeline:\n    - at: 1s\n      run: docker service update --replicas 3000000 limits_web\n",
            "3000000",
        ),
        ("x-simulation:\n  max_events: 5000000000\n", "max_events"),
    ];
    for (sim, needle) in cases {
        let (code, out) = on_scenario(&format!("{base}{sim}"), "check", &[]);
        assert_eq!(code, Some(2), "{sim}: {out}");
        assert!(out.contains(needle) && out.contains("limit"), "{sim}: {out}");
    }
}

#[test]
fn a_sweep_beyond_the_run_limit_is_refused_before_it_starts() {
    // Checks that 1 policy x 20,000,000 seeds is refused (exit 2) instead of running for days.
    let text = STACK.replace("REPLICAS", "2")
        + "x-simulation:\n  timeline:\n    - at: 1s\n      run: docker service update --image web:2 limits_web\n";
    let (code, out) = on_scenario(
        &text,
        "sweep",
        &["--set", "services.web.deploy.update_config.parallelism=1", "--seeds", "20000000"],
    );
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("20000000 runs: more than deploysim's limit of 10000000"), "{out}");
}

#[test]
fn hostile_yaml_is_refused_quickly_and_a_huge_file_is_not_read() {
    // Checks the reliability issue's fifth finding: 80,000 nested brackets used to take the YAML
    // scanner 13 s (quadratic) before its recursion limit; now the depth is checked first. A file
    // over the input limit is refused from its size alone (a sparse file: nothing is written).
    let deep = format!("services:\n  web:\n    image: a\nx-y: {}{}\n", "[".repeat(80_000), "]".repeat(80_000));
    let (code, out) = on_scenario(&deep, "check", &[]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("nested more than 128 levels deep") && out.contains(":4:"), "{out}");
    let dir = tempfile::tempdir().expect("temp dir");
    let huge = dir.path().join("huge.yml");
    std::fs::File::create(&huge).and_then(|f| f.set_len(65 << 20)).expect("a sparse 65 MiB file");
    for command in ["check", "run"] {
        let out = deploysim(&[command, huge.to_str().expect("utf-8")]);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(2), "{command}: {text}");
        assert!(text.contains("larger than deploysim's limit of 64 MiB"), "{command}: {text}");
    }
}

#[test]
fn a_watch_with_more_frames_than_the_limit_is_refused_with_an_interval_that_fits() {
    // Checks the reliability issue's sixth finding: `ps --watch --interval 1ns` aborted (it
    // allocated one frame time per nanosecond of the run).
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/rolling-update.yml");
    let out = deploysim(&["ps", scenario, "--watch", "--interval", "1ns"]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("more than deploysim's limit of 1000000"), "{text}");
    assert!(text.contains("hint: use --interval 1ms or longer"), "{text}");
    let out = deploysim(&["ps", scenario, "--watch", "--interval", "1ms"]);
    assert_eq!(out.status.code(), Some(0), "the suggested interval works");
}
