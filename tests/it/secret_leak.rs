//! A secret's value never leaves the loader (issue 15, item 3): distinctive values are fed to
//! timeline commands in every input shape — a pipe from `echo` and `printf`, doubled spaces,
//! tabs, a here-string, a heredoc, a redirected file, an anchor, a secret file — into secret
//! commands, non-secret commands and unknown ones, on valid lines, invalid lines and lines with
//! YAML syntax errors; then every byte that every command reading a scenario writes (stdout,
//! stderr and every file) is searched for any of them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The marker every planted value carries; nothing else in the inputs or outputs has it.
const MARK: &str = "S3CR3T-";

/// A planted value for one input shape, unlikely to appear anywhere by chance.
fn value(shape: &str) -> String {
    format!("{MARK}{shape}-9f1c")
}

/// A scenario that runs: every feed shape a recognised secret command accepts, then an update
/// that `compare-strategies` and `sweep` can work on.
fn valid() -> String {
    format!(
        r#"version: "3.8"
x-feed: &feed echo "{anchor}" | docker secret create anchored -
services:
  web:
    image: app:1
    secrets:
      - db
    deploy:
      replicas: 2
      update_config: {{parallelism: 1, delay: 1s}}
secrets:
  db:
    file: ./secrets/value.txt
x-simulation:
  stack: app
  until: 3m
  images:
    app:1: {{cached: true, start: 1s}}
    app:2: {{pull: 2s, start: 1s}}
  traffic:
    app_web: {{rate: 10, request_duration: 50ms}}
  timeline:
    - at: 10s
      run: echo "{pipe}" | docker secret create piped -
    - at: 11s
      run: echo "{doubled}" | docker  secret  create  doubled  -
    - at: 12s
      run: printf '%s' {printf} |	docker	secret	create	tabbed	-
    - at: 13s
      run: docker secret create herestring - <<< "{herestring}"
    - at: 14s
      run: |
        docker secret create heredoc - <<EOF
        {heredoc}
        EOF
    - at: 15s
      run: docker secret create redirected - < ./secrets/fed.txt
    - at: 16s
      run: docker secret create from_file ./secrets/value.txt
    - at: 17s
      run: *feed
    - {{at: 18s, run: echo "{flow}" | docker secret create flow -}}
    - at: 19s
      run: docker secret inspect piped
    - at: 20s
      run: docker secret ls
    - at: 21s
      run: docker service update --secret-add source=piped,target=p app_web
    - at: 40s
      run: echo "{duplicate}" | docker secret create piped -
    - at: 60s
      run: docker service update --image app:2 app_web
  expect:
    - update_state: completed
"#,
        anchor = value("anchor"),
        pipe = value("pipe"),
        doubled = value("doubled"),
        printf = value("printf"),
        herestring = value("herestring"),
        heredoc = value("heredoc"),
        flow = value("flow"),
        duplicate = value("duplicate"),
    )
}

/// A scenario whose timeline is refused line by line: feeds into commands that do not read
/// standard input, unknown commands, an open quote, and an invalid `at` on a feeding line.
fn invalid() -> String {
    let lines = [
        format!("echo \"{}\" | docker service update --force app_web", value("nonsecret")),
        format!("echo \"{}\" | docker frobnicate now", value("unknowndocker")),
        format!("echo {} | docker secret frobnicate x -", value("unknownsecret")),
        format!("docker service update --force app_web <<< {}", value("herenonsecret")),
        format!("echo \"{} | docker secret create g -", value("openquote")),
        format!("echo {} > f; docker secret create h f", value("semicolon")),
        format!("echo {} | docker secret create -x y -", value("badflag")),
        format!("docker secret create z - <<< \"{}\" extra", value("twowords")),
        format!("cat {} | docker secret create q -", value("notecho")),
        format!("echo {} | kubectl create secret", value("notdocker")),
    ];
    let mut timeline = String::new();
    for (i, line) in lines.iter().enumerate() {
        timeline.push_str(&format!("    - at: {}s\n      run: '{}'\n", 10 + i, line.replace('\'', "''")));
    }
    timeline.push_str(&format!("    - {{at: 10, run: echo \"{}\" | docker secret create fl -}}\n", value("badat")));
    format!(
        r#"version: "3.8"
services:
  web:
    image: app:1
x-simulation:
  stack: app
  timeline:
{timeline}"#
    )
}

/// Scenarios with a YAML syntax error on the line (or in the value) that holds the value.
fn syntax_errors() -> Vec<(&'static str, String)> {
    let head = "version: \"3.8\"\nservices:\n  web:\n    image: app:1\nx-simulation:\n  timeline:\n    - at: 1s\n";
    vec![
        ("yaml-colon.yml", format!("{head}      run: echo \"{}\": | docker secret create x -\n", value("yamlcolon"))),
        (
            "yaml-quote.yml",
            format!("{head}      run: \"echo \"{}\" | docker secret create x -\"\n", value("yamlquote")),
        ),
        (
            "yaml-tab.yml",
            format!(
                "{head}      run: |\n        docker secret create t - <<EOF\n\t{}\n        EOF\n",
                value("yamltab")
            ),
        ),
        (
            "yaml-here.yml",
            format!("{head}      run: docker secret create x - <<< {}: [\n    - at: 2s\n", value("yamlhere")),
        ),
    ]
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { out.extend(files(&path)) } else { out.push(path) }
    }
    out
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let needle = MARK.as_bytes();
    if let Some(at) = bytes.windows(needle.len()).position(|w| w == needle) {
        let context = String::from_utf8_lossy(&bytes[at.saturating_sub(120)..(at + 60).min(bytes.len())]);
        panic!("{what} contains a secret value:\n…{context}…");
    }
}

struct Run {
    args: Vec<String>,
    code: Option<i32>,
    stdout: String,
}

#[test]
fn no_command_writes_a_fed_or_file_secret_value() {
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    std::fs::create_dir(dir.join("secrets")).unwrap();
    std::fs::write(dir.join("secrets/value.txt"), format!("{}\n", value("file"))).unwrap();
    std::fs::write(dir.join("secrets/fed.txt"), format!("{}\n", value("redirect"))).unwrap();
    std::fs::write(dir.join("valid.yml"), valid()).unwrap();
    std::fs::write(dir.join("invalid.yml"), invalid()).unwrap();
    let mut scenarios = vec![dir.join("valid.yml"), dir.join("invalid.yml")];
    for (name, text) in syntax_errors() {
        std::fs::write(dir.join(name), text).unwrap();
        scenarios.push(dir.join(name));
    }

    // Commands run in an empty folder, so every file they write (reports/…) is found there.
    let work = tempfile::tempdir().unwrap();
    let out = |name: &str| work.path().join(name).display().to_string();
    let mut invocations: Vec<Vec<String>> = Vec::new();
    let s = |p: &PathBuf| p.display().to_string();
    for (n, scenario) in scenarios.iter().enumerate() {
        let f = s(scenario);
        let sweep_set = "services.web.deploy.update_config.parallelism=1,2".to_string();
        for args in [
            vec!["run".into(), f.clone()],
            vec!["run".into(), f.clone(), "--out".into(), out(&format!("run-{n}"))],
            vec!["run".into(), f.clone(), "--trace".into(), "--out".into(), out(&format!("trace-{n}"))],
            vec!["check".into(), f.clone()],
            vec!["check".into(), "--format".into(), "json".into(), f.clone()],
            vec!["check".into(), "--strict".into(), f.clone()],
            vec!["test".into(), f.clone()],
            vec!["test".into(), "--format".into(), "json".into(), f.clone()],
            vec!["test".into(), f.clone(), "--junit".into(), out(&format!("junit-{n}.xml"))],
            vec!["ps".into(), f.clone()],
            vec!["ps".into(), f.clone(), "--at".into(), "30s".into(), "--no-trunc".into()],
            vec!["ps".into(), f.clone(), "--format".into(), "ls".into()],
            vec!["sweep".into(), f.clone(), "--set".into(), sweep_set.clone(), "--seeds".into(), "2".into()],
            vec![
                "sweep".into(),
                f.clone(),
                "--set".into(),
                sweep_set.clone(),
                "--seeds".into(),
                "2".into(),
                "--shard".into(),
                "1/2".into(),
                "--out".into(),
                out(&format!("shard-{n}")),
            ],
            vec!["compare-strategies".into(), f.clone(), "--seeds".into(), "2".into()],
            vec!["compare".into(), "no-such-trace.r1".into(), f.clone()],
        ] {
            invocations.push(args);
        }
    }
    // Every scenario at once, as CI runs them.
    let all: Vec<String> = scenarios.iter().map(s).collect();
    invocations.push([vec!["check".to_string()], all.clone()].concat());
    invocations.push([vec!["test".to_string(), "--format".into(), "json".into()], all.clone()].concat());
    invocations.push(vec!["test".into(), s(&dir.to_path_buf()), "--junit".into(), out("junit-all.xml")]);
    // `plot` reads a report, not a scenario: it redraws the valid run's plots from its CSV.
    invocations.push(vec!["plot".into(), out("run-0/timeline.csv"), "--out".into(), out("plot")]);

    let mut runs = Vec::new();
    for args in &invocations {
        let o = Command::new(env!("CARGO_BIN_EXE_deploysim")).args(args).current_dir(work.path()).output().unwrap();
        assert_clean(&format!("stdout of {args:?}"), &o.stdout);
        assert_clean(&format!("stderr of {args:?}"), &o.stderr);
        runs.push(Run { args: args.clone(), code: o.status.code(), stdout: String::from_utf8_lossy(&o.stdout).into() });
    }
    let written = files(work.path());
    for f in &written {
        assert_clean(&f.display().to_string(), &std::fs::read(f).unwrap());
    }

    // The recognised shapes still work: the valid scenario runs, checks and passes its test...
    let code = |args: &[&str]| {
        runs.iter().find(|r| r.args.iter().map(String::as_str).eq(args.iter().copied())).map(|r| r.code)
    };
    let (v, i) = (s(&scenarios[0]), s(&scenarios[1]));
    assert_eq!(code(&["run", &v]), Some(Some(0)), "the valid scenario runs");
    assert_eq!(code(&["check", &v]), Some(Some(0)));
    assert_eq!(code(&["test", &v]), Some(Some(0)));
    assert_eq!(code(&["run", &i]), Some(Some(2)), "the invalid one is refused");
    for syntax in &scenarios[2..] {
        assert_eq!(code(&["check", &s(syntax)]), Some(Some(2)), "{}", syntax.display());
    }
    let trace = &runs.iter().find(|r| r.args.iter().any(|a| a == "--trace") && r.args.contains(&v)).unwrap().stdout;
    for shown in [
        "<stdin hidden> | docker secret create piped -",
        "<stdin hidden> | docker  secret  create  doubled  -",
        "docker secret create herestring - <stdin hidden>",
        "docker secret create heredoc - <stdin hidden>",
        "docker secret create redirected - <stdin hidden>",
        "docker secret create from_file ./secrets/value.txt",
    ] {
        assert!(trace.contains(&format!("$ {shown}\n")), "the trace logs {shown:?}:\n{trace}");
    }
    assert!(trace.contains("secret piped already exists"), "the duplicate is still refused at run time");
    // ...and each refused line is still located and explained, with its value hidden.
    let check = runs.iter().find(|r| r.args == ["check".to_string(), i.clone()]).unwrap();
    for expected in [
        "docker service update does not read standard input",
        "docker frobnicate now does not read standard input",
        "unsupported docker secret command",
        "unterminated double quote",
        "a timeline run: is one docker command",
        "unknown flag: -x",
        "a here-string must be one word",
        "only `echo ...` or `printf ...` can feed a secret",
        "kubectl create secret does not read standard input",
        "run: <stdin hidden> | docker service update --force app_web",
        "<stdin hidden> | docker secret create fl -}",
        "invalid.yml:9:7",
    ] {
        assert!(check.stdout.contains(expected), "check output has {expected:?}:\n{}", check.stdout);
    }
    assert!(written.iter().any(|f| f.ends_with("junit-all.xml")), "{written:?}");
}
