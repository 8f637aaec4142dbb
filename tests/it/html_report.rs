//! `deploysim run` writes index.html: one self-contained page with the story, the plots inline,
//! the UpdateStatus changes and the events.

#[test]
fn run_writes_a_self_contained_page() {
    let out = tempfile::tempdir().expect("tempdir");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_deploysim"))
        .args(["run", "-q", "scenarios/rollback.yml", "--out"])
        .arg(out.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run deploysim");
    assert!(status.success());
    let page = std::fs::read_to_string(out.path().join("index.html")).expect("index.html written");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<svg"), "the plot is inline");
    assert!(page.contains("update rolled back due to failure or early termination of task"));
    assert!(page.contains("docker service update --image nginx:1.13-alpine web_web"));
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"), "nothing to fetch");
    // `deploysim explain`'s sentences ride in the page's data block, shown as the slider passes
    // them: the rollback's arithmetic and the health check's real timing.
    assert!(page.contains("Failures / dirty slots: 1/10 = 0.100 > max_failure_ratio 0"), "the rollback explained");
    assert!(page.contains("marked unhealthy 6.210s after its container starts"), "the rule of thumb checked");
}

/// The page's script, in a real headless Chromium: a harness page loads `index.html` in a
/// frame, moves the slider as a person drags it (`input` events), presses "next event" and
/// clicks an UpdateStatus row; each table the page then shows must be exactly what `deploysim
/// ps --at` prints at the instant the slider reports, and the plot's cursor must follow.
/// Chromium comes from the distribution's packages: `.ci/run` installs it when it is absent, so
/// under CI (`CI` set) a missing browser fails the test, unless `.ci/run` could not install it
/// (`DEPLOYSIM_NO_BROWSER` says why); elsewhere the test says why it did not run and passes.
#[test]
fn the_slider_shows_what_ps_prints_at_each_instant_in_a_real_browser() {
    let Some(browser) = ["chromium", "chromium-browser", "google-chrome"].into_iter().find(|b| on_path(b)) else {
        let why = "no chromium, chromium-browser or google-chrome on PATH (apt-get install chromium)";
        if let Some(failed) = std::env::var_os("DEPLOYSIM_NO_BROWSER") {
            eprintln!(
                "SKIPPED the_slider_shows_what_ps_prints_at_each_instant_in_a_real_browser: {why} ({})",
                failed.to_string_lossy()
            );
            return;
        }
        assert!(std::env::var_os("CI").is_none(), "{why}: .ci/run installs it, so CI must have it");
        eprintln!("SKIPPED the_slider_shows_what_ps_prints_at_each_instant_in_a_real_browser: {why}");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report");
    let root = env!("CARGO_MANIFEST_DIR");
    let scenario = "scenarios/rolling-update.yml";
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_deploysim"))
        .args(["run", "-q", scenario, "--seed", "1", "--out"])
        .arg(&report)
        .current_dir(root)
        .status()
        .expect("run deploysim");
    assert!(status.success());
    let page_dir = dir.path().join("page");
    std::fs::create_dir_all(&page_dir).expect("page folder");
    std::fs::copy(report.join("index.html"), page_dir.join("index.html")).expect("copy index.html");
    std::fs::write(page_dir.join("harness.html"), HARNESS).expect("harness");
    let dom = run_browser(browser, &page_dir.join("harness.html"), &dir.path().join("profile"));
    let (_, rest) = dom.split_once("<pre id=\"result\">").unwrap_or_else(|| panic!("no result in\n{dom}"));
    let (json, _) = rest.split_once("</pre>").expect("the result's end");
    let json = json.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
    let results: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let results = results.as_array().expect("a list");
    assert!(results.len() >= 5, "{json}");
    let ps = |t: &str, format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_deploysim"))
            .args(["ps", scenario, "--seed", "1", "--format", format, "--at", &format!("{t}ns")])
            .current_dir(root)
            .output()
            .expect("run deploysim ps");
        assert!(out.status.success());
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let mut cursor_at: Vec<(u64, f64)> = Vec::new();
    for r in results {
        let field = |name: &str| r[name].as_str().unwrap_or_else(|| panic!("no {name} in {r}")).to_string();
        let (what, t) = (field("what"), field("t"));
        assert_eq!(field("ps"), ps(&t, "ps"), "{what}: docker service ps at {t} ns");
        assert_eq!(field("nodes"), ps(&t, "node-ls"), "{what}: docker node ls at {t} ns");
        let status: String = ps(&t, "update-status").lines().map(|l| format!("web_web {l}\n")).collect();
        assert_eq!(field("status"), status, "{what}: UpdateStatus at {t} ns");
        let x: f64 = field("cursor").parse().expect("a cursor position");
        cursor_at.push((t.parse().expect("a time"), x));
    }
    // The cursor is further right the later the instant, and moved at all.
    cursor_at.sort_by_key(|&(t, _)| t);
    assert!(cursor_at.windows(2).all(|w| w[0].1 <= w[1].1), "{cursor_at:?}");
    assert!(cursor_at.last().expect("results").1 > cursor_at[0].1 + 100.0, "{cursor_at:?}");
    let find = |what: &str| results.iter().find(|r| r["what"] == what).unwrap_or_else(|| panic!("no {what}"));
    let t_of = |what: &str| find(what)["t"].as_str().and_then(|t| t.parse::<u64>().ok()).expect("a time");
    assert!(t_of("next") > t_of("slider 10"), "the next event comes later");
    // The UpdateStatus row clicked is `updating` at 60.040 s: the slider jumps to that instant.
    assert_eq!(t_of("click updating row"), 60_040_000_000);
    assert!(find("click updating row")["status"].as_str().is_some_and(|s| s.contains("\"State\":\"updating\"")));
    // The last position is the run's end.
    let end = find("last")["ps"].as_str().expect("a table").to_string();
    assert!(end.lines().count() > 10 && end.contains("nginx:1.14-alpine"), "{end}");
}

/// Moves the slider of the page in the frame and records, after each move, the instant, the
/// three tables and the cursor's x.
const HARNESS: &str = r#"<!DOCTYPE html><html><body><iframe id="f" src="index.html" style="width:1300px;height:900px"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
  var doc = this.contentDocument, out = [];
  var slider = doc.getElementById('scrub-slider');
  function record(what) {
    var cursor = doc.querySelector('line.scrub-cursor');
    out.push({ what: what, t: slider.dataset.t, ps: doc.getElementById('scrub-ps').textContent,
      nodes: doc.getElementById('scrub-nodes').textContent, status: doc.getElementById('scrub-status').textContent,
      cursor: cursor ? cursor.getAttribute('x1') : 'none' });
  }
  record('loaded');
  var last = +slider.max;
  [1, 10].forEach(function (i) { slider.value = String(i); slider.dispatchEvent(new Event('input')); record('slider ' + i); });
  doc.getElementById('scrub-next').click(); record('next');
  slider.value = String(Math.floor(last / 2)); slider.dispatchEvent(new Event('input')); record('slider middle');
  var rows = doc.querySelectorAll('tr[data-t]');
  for (var i = 0; i < rows.length; i++) {
    if (rows[i].textContent.indexOf('updating') >= 0 && rows[i].textContent.indexOf('update in progress') >= 0) { rows[i].click(); break; }
  }
  record('click updating row');
  slider.value = String(last); slider.dispatchEvent(new Event('input')); record('last');
  var pre = document.createElement('pre'); pre.id = 'result'; pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script></body></html>
"#;

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// The DOM of `page` after it loaded, from a headless browser (stopped after 3 minutes: a hung
/// browser fails the test instead of hanging CI).
fn run_browser(browser: &str, page: &std::path::Path, profile: &std::path::Path) -> String {
    let mut child = std::process::Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"])
        .arg("--allow-file-access-from-files")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the browser");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    // 1,800 polls 100 ms apart: about 3 minutes (a guard, not a measurement).
    for _ in 0..1_800 {
        if child.try_wait().expect("wait for the browser").is_some() {
            return reader.join().expect("reader thread").expect("browser output");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("the browser did not finish within 3 minutes");
}
