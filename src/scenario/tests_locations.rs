//! Regression of every diagnostic's location: each scenario text that the test suite loaded
//! (captured once from a run of all tests, in `tests/data/locations.jsonl`) is loaded again and
//! every error and warning it gives must keep its `file:line:column`, field path and message.
//! Written before the YAML parser was replaced (issue 17), so that the switch moves no caret:
//! the expectations are serde_yaml's, and YAML syntax errors are compared exactly like every
//! other diagnostic (libyaml's words and marks, which `raw::libyaml` reproduces; no exceptions).
//! Regenerated once on purpose since (2026-12-07): keys and items inside flow collections
//! (`{parallelism: two}`) got their own positions; 109 carets moved from the collection's key
//! to the key inside it, with the same path and message.
//! `UPDATE_LOCATIONS=1 cargo test locations` rewrites the expectations.

use std::path::Path;

/// One diagnostic as a line: `file:line:col path message`.
fn lines(diags: &[crate::scenario::Diagnostic]) -> Vec<String> {
    diags.iter().map(|d| format!("{} {}", d.location(), d.headline())).collect()
}

/// Everything loading `text` as `file` reports, errors first, then warnings.
fn outcome(file: &str, text: &str) -> Vec<String> {
    match super::load_diagnostics(text, Path::new(file)) {
        Ok((_, warnings)) => lines(&warnings).into_iter().map(|l| format!("warning {l}")).collect(),
        Err(e) => lines(&e.diagnostics).into_iter().map(|l| format!("error {l}")).collect(),
    }
}

#[test]
fn every_captured_diagnostic_keeps_its_location() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/locations.jsonl");
    let text = std::fs::read_to_string(data).expect("tests/data/locations.jsonl");
    let update = std::env::var_os("UPDATE_LOCATIONS").is_some();
    let mut rewritten = String::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in text.lines() {
        let mut case: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let file = case["file"].as_str().expect("file").to_string();
        let body = case["text"].as_str().expect("text").to_string();
        let got = outcome(&file, &body);
        if update {
            if !got.is_empty() {
                case["expect"] = serde_json::json!(got);
                rewritten.push_str(&case.to_string());
                rewritten.push('\n');
            }
            continue;
        }
        let want: Vec<String> =
            case["expect"].as_array().expect("expect").iter().map(|v| v.as_str().unwrap_or("").to_string()).collect();
        checked += want.len();
        if got != want {
            failures.push(format!("{file}:\n{body}\nwant: {want:#?}\ngot: {got:#?}"));
        }
    }
    if update {
        std::fs::write(data, rewritten).expect("rewrite tests/data/locations.jsonl");
        return;
    }
    assert!(checked > 100, "only {checked} diagnostics captured");
    assert!(failures.is_empty(), "{} of the captured scenarios changed:\n{}", failures.len(), failures.join("\n\n"));
}
