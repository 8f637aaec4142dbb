//! JUnit XML for CI systems (GitHub, GitLab, Jenkins display it): one `testsuite` per scenario,
//! one `testcase` per assertion, a `failure` for each that did not hold, an `error` for a file
//! that could not be loaded. No times: the file must be the same on every run.

use crate::expect::results::{AssertionResult, ScenarioResult, Status, failure_text};

/// The whole document.
pub(crate) fn render(results: &[ScenarioResult]) -> String {
    let shown: Vec<&ScenarioResult> = results.iter().filter(|r| r.status != Status::Skipped).collect();
    let tests: usize = shown.iter().map(|r| r.assertions.len().max(1)).sum();
    let failures: usize = shown.iter().map(|r| failed(r)).sum();
    let errors = shown.iter().filter(|r| matches!(r.status, Status::Invalid(_))).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"deploysim test\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n"
    ));
    for r in shown {
        out.push_str(&suite(r));
    }
    out.push_str("</testsuites>\n");
    out
}

fn failed(r: &ScenarioResult) -> usize {
    r.assertions.iter().filter(|a| !a.outcome.passed).count()
}

fn suite(r: &ScenarioResult) -> String {
    let name = escape(&r.path);
    if let Status::Invalid(message) = &r.status {
        return format!(
            "  <testsuite name=\"{name}\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testcase classname=\"{name}\" name=\"load\">\n      <error message=\"invalid scenario\">{}</error>\n    </testcase>\n  </testsuite>\n",
            escape(message)
        );
    }
    let mut out = format!(
        "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n",
        r.assertions.len(),
        failed(r)
    );
    for a in &r.assertions {
        out.push_str(&case(&r.path, a));
    }
    out.push_str("  </testsuite>\n");
    out
}

fn case(path: &str, a: &AssertionResult) -> String {
    let head = format!("    <testcase classname=\"{}\" name=\"{}\"", escape(path), escape(&a.origin));
    if a.outcome.passed {
        return format!("{head}/>\n");
    }
    let message = format!("expected {}, got {}", a.outcome.expected, a.outcome.actual);
    format!(
        "{head}>\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
        escape(&message),
        escape(failure_text(path, a).trim_end())
    )
}

/// Escapes text for XML attributes and content; drops characters XML 1.0 cannot hold.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}
