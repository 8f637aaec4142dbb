//! A secret's value never leaves the loader: a unique value is put in a stack secret file and
//! piped into `docker secret create` (also on an invalid line), and every byte `deploysim`
//! writes — stdout, stderr and every file of every command — is searched for it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Unlikely to appear anywhere by chance.
const VALUE: &str = "leak-canary-5e1f0d93b7";

fn stack(timeline: &str) -> String {
    format!(
        r#"version: "3.8"
services:
  web:
    image: app:1
    secrets:
      - db
    deploy:
      replicas: 2
secrets:
  db:
    file: ./secrets/value.txt
x-simulation:
  stack: app
  until: 2m
  timeline:
    - at: 10s
      run: echo "{VALUE}" | docker secret create piped -
    - at: 11s
      run: docker secret create from_file ./secrets/value.txt
    - at: 12s
      run: docker secret inspect piped
    - at: 13s
      run: docker secret ls
    - at: 20s
      run: docker service update --secret-add source=piped,target=p app_web
    - at: 40s
      run: echo "{VALUE}" | docker secret create piped -
{timeline}"#
    )
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
    let needle = VALUE.as_bytes();
    assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{what} contains the secret value");
}

#[test]
fn no_command_writes_the_secret_value() {
    let input = tempfile::tempdir().unwrap();
    std::fs::create_dir(input.path().join("secrets")).unwrap();
    std::fs::write(input.path().join("secrets/value.txt"), format!("{VALUE}\n")).unwrap();
    let valid = input.path().join("valid.yml");
    std::fs::write(&valid, stack("")).unwrap();
    let invalid = input.path().join("invalid.yml");
    let bad_lines = format!(
        "    - at: 50s\n      run: echo \"{VALUE}\" | docker secret frobnicate x -\n    - at: 51s\n      run: echo \"{VALUE}\" | docker secret create -x y -\n"
    );
    std::fs::write(&invalid, stack(&bad_lines)).unwrap();

    // Commands run in an empty folder, so every file they write (reports/...) is found there.
    let work = tempfile::tempdir().unwrap();
    let (v, i) = (valid.to_str().unwrap(), invalid.to_str().unwrap());
    let out_dir = work.path().join("out");
    let runs: Vec<Vec<&str>> = vec![
        vec!["run", v],
        vec!["run", v, "--out", out_dir.to_str().unwrap()],
        vec!["run", i],
        vec!["check", v, i],
        vec!["check", "--format", "json", v, i],
        vec!["check", "--strict", v],
        vec!["compare", "no-such-trace.r1", v],
    ];
    let mut exit_codes = Vec::new();
    for args in &runs {
        let o = Command::new(env!("CARGO_BIN_EXE_deploysim")).args(args).current_dir(work.path()).output().unwrap();
        assert_clean(&format!("stdout of {args:?}"), &o.stdout);
        assert_clean(&format!("stderr of {args:?}"), &o.stderr);
        exit_codes.push(o.status.code());
    }
    assert_eq!(exit_codes[0], Some(0), "the valid scenario runs");
    assert_eq!(exit_codes[2], Some(2), "the invalid one is refused");
    assert_eq!(exit_codes[3], Some(2));
    let written = files(work.path());
    assert!(written.len() >= 6, "two reports were written: {written:?}");
    for f in written {
        assert_clean(&f.display().to_string(), &std::fs::read(&f).unwrap());
    }
}
