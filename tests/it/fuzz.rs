//! The fuzz target, on stable Rust and inside `cargo test`: scenario texts built from the format's
//! own keys with values of every kind (right, wrong, huge, negative, misspelt), and byte-level
//! mutations of the bundled scenarios, go through the loader and — when they load — a whole run
//! with the world's invariants checked after every event. Nothing may panic; an error must name
//! a line of the file; a run must end for one of its bounded reasons; the same input run twice
//! gives the same record.
//!
//! proptest drives it (deterministically: a fixed seed, no failure files), so a failure shrinks to
//! a minimal text and prints it. `FUZZ_CASES=N cargo test fuzz` runs a longer campaign; CI runs the
//! default, a few seconds.

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use deploysim::commands::simulate::{SimulateOptions, simulate};
use deploysim::model::record::EndReason;

/// Cases per target when `FUZZ_CASES` is not set.
const DEFAULT_CASES: u32 = 300;

/// Events a fuzzed run may handle: enough to deploy, update and roll back a small service.
const FUZZ_MAX_EVENTS: u64 = 20_000;

fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES)
}

/// A runner with a fixed seed: the same cases on every machine, shrinking on failure.
fn runner(label: &[u8]) -> TestRunner {
    let mut seed = [7u8; 32];
    for (s, b) in seed.iter_mut().zip(label) {
        *s ^= *b;
    }
    let config = Config { cases: cases(), failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
}

/// A scalar of any kind the loader may meet.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..20).prop_map(|n| n.to_string()),
        Just("-1".to_string()),
        Just("1000000000000".to_string()),
        Just("0.5".to_string()),
        Just("20.10".to_string()),
        Just("true".to_string()),
        Just("~".to_string()),
        Just("\"\"".to_string()),
        (1u64..120).prop_map(|n| format!("{n}s")),
        (1u64..3000).prop_map(|n| format!("{n}ms")),
        Just("1h30m".to_string()),
        Just("{uniform: [1s, 3s]}".to_string()),
        Just("{uniform: [3s, 1s]}".to_string()),
        Just("[1, 2]".to_string()),
        Just("{a: 1}".to_string()),
        Just("pause".to_string()),
        Just("rollback".to_string()),
        Just("start-first".to_string()),
        Just("\"[[[\"".to_string()),
        "[a-z]{1,8}".prop_map(|s| s),
    ]
}

/// A value for a key the format knows, right more often than wrong.
fn value_for(key: &'static str) -> BoxedStrategy<String> {
    let right: BoxedStrategy<String> = match key {
        "replicas" => (0u64..8).prop_map(|n| n.to_string()).boxed(),
        "parallelism" => (0u64..4).prop_map(|n| n.to_string()).boxed(),
        "delay" | "monitor" | "interval" | "timeout" | "start_period" | "stop_grace_period" => {
            (0u64..20).prop_map(|n| format!("{n}s")).boxed()
        }
        "failure_action" => {
            prop_oneof![Just("pause"), Just("continue"), Just("rollback")].prop_map(String::from).boxed()
        }
        "order" => prop_oneof![Just("stop-first"), Just("start-first")].prop_map(String::from).boxed(),
        "max_failure_ratio" => prop_oneof![Just("0"), Just("0.3"), Just("1")].prop_map(String::from).boxed(),
        "condition" => prop_oneof![Just("any"), Just("on-failure"), Just("none")].prop_map(String::from).boxed(),
        "retries" | "max_attempts" => (0u64..4).prop_map(|n| n.to_string()).boxed(),
        "window" => (0u64..10).prop_map(|n| format!("{n}s")).boxed(),
        _ => scalar().boxed(),
    };
    prop_oneof![30 => right, 1 => scalar()].boxed()
}

fn block(keys: &'static [&'static str], indent: usize) -> impl Strategy<Value = String> {
    // Distinct keys (a repeated key is a YAML error, which the mutation target covers).
    prop::sample::subsequence(keys, 0..=keys.len().min(5)).prop_flat_map(move |picked| {
        let values: Vec<BoxedStrategy<String>> = picked.iter().map(|k| value_for(k)).collect();
        values.prop_map(move |vals| {
            picked.iter().zip(vals).map(|(k, v)| format!("{}{k}: {v}\n", " ".repeat(indent))).collect::<String>()
        })
    })
}

const UPDATE_KEYS: &[&str] = &["parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order"];
const RESTART_KEYS: &[&str] = &["condition", "delay", "max_attempts", "window"];
const HEALTH_KEYS: &[&str] = &["interval", "timeout", "retries", "start_period"];

/// A timeline entry: a docker command (right or wrong) or a fault.
fn timeline_entry() -> impl Strategy<Value = String> {
    let command = prop_oneof![
        Just("docker service update --image web:2 fz_web"),
        Just("docker service update --image web:3 --update-parallelism 2 fz_web"),
        Just("docker service update --force fz_web"),
        Just("docker service rollback fz_web"),
        Just("docker service scale fz_web=5"),
        Just("docker service scale fz_web=0"),
        Just("docker service rm fz_web"),
        Just("docker node update --availability drain node-2"),
        Just("docker node rm --force node-2"),
        Just("docker kill fz_web.1"),
        Just("echo v | docker secret create s1 -"),
        Just("docker service update --imag web:2 fz_web"),
        Just("docker stack deploy -c x.yml fz"),
        Just("kubectl apply -f x"),
    ];
    let fault = prop_oneof![
        Just("node_down: node-2"),
        Just("node_up: node-2"),
        Just("daemon_kill: node-2"),
        Just("daemon_start: node-2"),
        Just("registry_outage: 20s"),
        Just("image: {name: web:2, health: never}"),
        Just("health: {container: fz_web.1, probes: fail}"),
        Just("node_down: node-1"),
    ];
    (0u64..120, prop_oneof![command.prop_map(|c| format!("run: {c}")), fault.prop_map(String::from)])
        .prop_map(|(at, what)| format!("    - at: {at}s\n      {what}\n"))
}

/// A whole scenario text from the format's keys.
fn scenario_text() -> impl Strategy<Value = String> {
    let images = prop::sample::subsequence(
        vec![
            "    web:1: {start: 300ms}\n",
            "    web:2: {start: 300ms, health: never}\n",
            "    web:3: {per_container: {cycle: [{exit: {code: 1, after: 1s}}, {}]}}\n",
            "    web:4: {missing: true}\n",
            "    web:5: {pull: {uniform: [1s, 2s]}, pull_failure: 0.5, exit: {code: 1, after: 2s}}\n",
        ],
        0..4,
    );
    let wrong_image = prop_oneof![
        8 => Just(""),
        1 => Just("    web:6: {start: {uniform: [3s, 1s]}}\n"),
        1 => Just("    web:7: {health: {flaky: 2}}\n"),
    ];
    let images = (images, wrong_image).prop_map(|(mut v, w)| {
        v.push(w);
        v
    });
    let command_image = prop_oneof![Just("web:2"), Just("web:3"), Just("web:4"), Just("web:5"), Just("web:9")];
    (
        value_for("replicas"),
        block(UPDATE_KEYS, 8),
        block(RESTART_KEYS, 8),
        block(HEALTH_KEYS, 6),
        images,
        (prop::collection::vec(timeline_entry(), 0..6), command_image),
        (1u64..4, prop_oneof![Just("2m"), Just("30s"), Just("0s"), Just("10h")]),
        any::<bool>(),
    )
        .prop_map(|(replicas, update, restart, health, images, (timeline, image), (nodes, until), global)| {
            let mode = if global { "      mode: global\n".to_string() } else { format!("      replicas: {replicas}\n") };
            let timeline = if timeline.is_empty() {
                String::new()
            } else {
                format!("  timeline:\n{}", timeline.concat().replace("web:2", image))
            };
            format!(
                "services:\n  web:\n    image: web:1\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n{health}    deploy:\n{mode}      update_config:\n{update}      restart_policy:\n{restart}x-simulation:\n  stack: fz\n  until: {until}\n  cluster: {{nodes: {nodes}}}\n  images:\n    web:0: {{}}\n{}{timeline}",
                images.concat()
            )
        })
}

thread_local! {
    /// Cases that loaded and ran, and those refused: a target whose texts all fail to load would
    /// test only the loader's error path.
    static RAN: Cell<u32> = const { Cell::new(0) };
    static REFUSED: Cell<u32> = const { Cell::new(0) };
}

/// Loads `text`; when it loads, runs it (bounded) with the invariants checked after every
/// event, twice, and checks what a run must be.
fn load_and_run(text: &str) -> Result<(), TestCaseError> {
    let loaded = std::panic::catch_unwind(|| deploysim::scenario::load_str(text, Path::new("fuzz.yml")));
    let loaded = loaded.map_err(|_| TestCaseError::fail("the loader panicked"))?;
    let mut scenario = match loaded {
        Ok(s) => s,
        Err(e) => {
            let lines = text.lines().count().max(1);
            for d in &e.diagnostics {
                if let Some(line) = d.line {
                    prop_assert!(
                        line >= 1 && line <= lines + 1,
                        "diagnostic at line {line} of a {lines}-line file: {d:?}"
                    );
                }
                prop_assert!(!d.headline().is_empty(), "an error without words: {d:?}");
            }
            REFUSED.with(|c| c.set(c.get() + 1));
            if std::env::var("FUZZ_SHOW").is_ok() {
                eprintln!("refused: {}", e.diagnostics.first().map(|d| d.headline()).unwrap_or_default());
            }
            return Ok(());
        }
    };
    scenario.max_events = scenario.max_events.min(FUZZ_MAX_EVENTS);
    let options = SimulateOptions { invariant_checks: true, ..SimulateOptions::default() };
    let run = |s| std::panic::catch_unwind(AssertUnwindSafe(|| simulate(s, Some(3), &options)));
    let first = run(scenario.clone()).map_err(|_| TestCaseError::fail("the run panicked (or broke an invariant)"))?;
    prop_assert!(
        matches!(
            first.end_reason,
            EndReason::Quiescent
                | EndReason::UntilReached
                | EndReason::MaxEventsReached
                | EndReason::TaskLimitReached
                | EndReason::HistoryLimitReached
        ),
        "{:?}",
        first.end_reason
    );
    prop_assert!(first.events_handled <= FUZZ_MAX_EVENTS + 1);
    let second = run(scenario).map_err(|_| TestCaseError::fail("the second run panicked"))?;
    prop_assert!(first == second, "the same scenario and seed gave two different records");
    RAN.with(|c| c.set(c.get() + 1));
    Ok(())
}

/// Both paths were exercised: some cases ran, some were refused.
fn assert_both_paths(target: &str, least_share_ran: u32) {
    let (ran, refused) = (RAN.with(Cell::take), REFUSED.with(Cell::take));
    eprintln!("{target}: {ran} cases ran, {refused} refused");
    assert!(ran * 100 >= cases() * least_share_ran, "{target}: only {ran} cases loaded and ran");
    assert!(refused > 0, "{target}: no case was refused: the texts are too tame");
}

#[test]
fn fuzz_generated_scenarios_load_and_run_without_panics() {
    let mut runner = runner(b"generated");
    let result = runner.run(&scenario_text(), |text| load_and_run(&text));
    if let Err(e) = result {
        panic!("{e}");
    }
    assert_both_paths("generated", 30);
}

/// One byte-level edit of a text.
#[derive(Clone, Debug)]
enum Mutation {
    Delete { at: prop::sample::Index, len: usize },
    Insert { at: prop::sample::Index, text: String },
    DuplicateLine { at: prop::sample::Index },
    Indent { at: prop::sample::Index, by: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), 1usize..12).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (
            any::<prop::sample::Index>(),
            prop_oneof![
                Just(":"),
                Just("- "),
                Just("\n"),
                Just("{"),
                Just("]"),
                Just("&a "),
                Just("*a"),
                Just("\t"),
                Just("0"),
                Just("é"),
                Just("|")
            ]
        )
            .prop_map(|(at, t)| Mutation::Insert { at, text: t.to_string() }),
        any::<prop::sample::Index>().prop_map(|at| Mutation::DuplicateLine { at }),
        (any::<prop::sample::Index>(), 1usize..4).prop_map(|(at, by)| Mutation::Indent { at, by }),
    ]
}

/// The char boundary at or before `i`.
fn boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut out = text.to_string();
    match m {
        Mutation::Delete { at, len } => {
            let start = boundary(&out, at.index(out.len().max(1)));
            let end = boundary(&out, start + len);
            out.replace_range(start..end, "");
        }
        Mutation::Insert { at, text } => {
            let i = boundary(&out, at.index(out.len().max(1)));
            out.insert_str(i, text);
        }
        Mutation::DuplicateLine { at } => {
            let lines: Vec<&str> = out.lines().collect();
            if !lines.is_empty() {
                let i = at.index(lines.len());
                let mut all: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                all.insert(i, lines[i].to_string());
                out = all.join("\n") + "\n";
            }
        }
        Mutation::Indent { at, by } => {
            let mut lines: Vec<String> = out.lines().map(String::from).collect();
            if !lines.is_empty() {
                let i = at.index(lines.len());
                lines[i] = format!("{}{}", " ".repeat(*by), lines[i]);
                out = lines.join("\n") + "\n";
            }
        }
    }
    out
}

#[test]
fn fuzz_mutated_bundled_scenarios_load_and_run_without_panics() {
    // The bundled scenarios that stand alone (a simulation file naming another stack file is
    // loaded with its folder, which a text alone does not have).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut texts: Vec<String> = ["rolling-update.yml", "rollback.yml", "stack-health.yml"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(dir.join(f)).ok())
        .collect();
    texts.extend(
        ["s05-bad-health-rollback.yml", "m08-scale-down-balance.yml", "s29-alternate-crash.yml"]
            .iter()
            .filter_map(|f| std::fs::read_to_string(dir.join("fidelity").join(f)).ok()),
    );
    assert!(texts.len() >= 5, "the bundled scenarios moved");
    let strategy = (prop::sample::select(texts), prop::collection::vec(mutation(), 1..4));
    let mut runner = runner(b"mutated");
    let result = runner.run(&strategy, |(text, mutations)| {
        let mutated = mutations.iter().fold(text, |t, m| apply(&t, m));
        load_and_run(&mutated)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert_both_paths("mutated", 10);
}
