//! `index.html`: one self-contained page (no network access needed: styles inline, plots
//! embedded as SVG) with the story, the key figures, the plots, the UpdateStatus changes, the
//! actions and the event table — for sharing a result with a team.

use std::fmt::Write as _;

use crate::model::record::RunRecord;

use super::availability::availability;

/// Rows of the event table shown on the page; the full log is always in events.csv.
pub const MAX_EVENT_ROWS: usize = 5000;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;max-width:1250px;color:#222}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}\
pre{white-space:pre-wrap;background:#f7f7f7;padding:.8rem;border-radius:4px}\
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}\
th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.plot svg{max-width:100%;height:auto}.muted{color:#777}";

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Removes an SVG document's XML declaration so it can sit inline in HTML.
fn inline_svg(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

/// The page for `run`; `plots` are (file name, SVG text) pairs drawn for it.
pub fn html_report(run: &RunRecord, plots: &[(String, String)]) -> String {
    let mut p = String::new();
    let title = format!("deploysim — {}", run.scenario);
    let _ = write!(
        p,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style>\
         </head><body>\n<h1>{}</h1>\n<p class=\"muted\">seed {} · engine {} · input digest {} · deploysim {} · \
         ended {} at {}s after {} events</p>\n",
        esc(&title),
        esc(&title),
        run.seed,
        esc(&run.engine),
        esc(&run.input_digest),
        env!("CARGO_PKG_VERSION"),
        run.end_reason.as_str(),
        run.end_time.secs_ms(),
        run.events_handled
    );
    let _ = write!(p, "<h2>What happened</h2>\n<pre>{}</pre>\n", esc(&super::narrative(run)));
    key_figures(&mut p, run);
    for (name, svg) in plots {
        let _ = write!(p, "<h2>Plot: {}</h2>\n<div class=\"plot\">{}</div>\n", esc(name), inline_svg(svg));
    }
    status_changes(&mut p, run);
    actions(&mut p, run);
    events(&mut p, run);
    p.push_str("</body></html>\n");
    p
}

fn key_figures(p: &mut String, run: &RunRecord) {
    p.push_str(
        "<h2>Key figures</h2>\n<table><tr><th>service</th><th>desired</th><th>update state</th>\
                <th>duration (s)</th><th>slots updated</th><th>failures counted</th><th>min serving</th>\
                <th>seconds below desired</th><th>seconds none serving</th></tr>\n",
    );
    for s in &run.services {
        let a = availability(run, &s.name);
        let duration = match (s.update.started_at, s.update.completed_at) {
            (Some(a), Some(b)) => b.since(a).secs_ms(),
            _ => "-".into(),
        };
        let _ = writeln!(
            p,
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&s.name),
            s.desired_replicas,
            s.update.state.map_or("-", |st| st.as_str()),
            duration,
            s.update.slots_updated,
            s.update.failures,
            a.min_serving,
            a.seconds_below_desired.secs_ms(),
            a.seconds_none_serving.secs_ms()
        );
    }
    p.push_str("</table>\n");
}

fn status_changes(p: &mut String, run: &RunRecord) {
    p.push_str(
        "<h2>UpdateStatus changes</h2>\n<table><tr><th>t (s)</th><th>service</th><th>state</th><th>message</th></tr>\n",
    );
    for s in &run.services {
        for c in &s.status_changes {
            let _ = writeln!(
                p,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                c.t.secs_ms(),
                esc(&s.name),
                c.state.as_str(),
                esc(&c.message)
            );
        }
    }
    p.push_str("</table>\n");
}

fn actions(p: &mut String, run: &RunRecord) {
    p.push_str("<h2>Timeline actions</h2>\n<table><tr><th>t (s)</th><th>command</th><th>refused with</th></tr>\n");
    for (t, command, error) in &run.actions {
        let _ = writeln!(
            p,
            "<tr><td class=\"n\">{}</td><td><code>{}</code></td><td>{}</td></tr>",
            t.secs_ms(),
            esc(command),
            esc(error.as_deref().unwrap_or(""))
        );
    }
    p.push_str("</table>\n");
}

fn events(p: &mut String, run: &RunRecord) {
    let shown = run.task_events.len().min(MAX_EVENT_ROWS);
    let _ = write!(p, "<h2>Task events</h2>\n<p class=\"muted\">{shown} of {} rows", run.task_events.len());
    if shown < run.task_events.len() {
        p.push_str(" (the first ones; the full log is events.csv)");
    }
    p.push_str(
        "</p>\n<table><tr><th>t (s)</th><th>service</th><th>slot</th><th>task</th><th>node</th><th>image</th>\
                <th>desired</th><th>state</th><th>message</th></tr>\n",
    );
    for e in run.events().take(shown) {
        let _ = writeln!(
            p,
            "<tr><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td><code>{}</code></td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.t.secs_ms(),
            esc(e.service),
            e.slot,
            esc(&e.task_id[..e.task_id.len().min(12)]),
            esc(e.node),
            esc(e.image),
            e.desired_state.as_str(),
            e.state.as_str(),
            esc(e.message)
        );
    }
    p.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::task::TaskState;
    use crate::report::fixtures::{empty_run, task_event};

    #[test]
    fn page_is_self_contained_and_escaped() {
        let mut run = empty_run();
        run.push_event(task_event(1_000_000_000, TaskState::Running, TaskState::Failed, "a <b> & \"c\""));
        let page = html_report(&run, &[("timeline.svg".into(), "<?xml version=\"1.0\"?>\n<svg></svg>".into())]);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("a &lt;b&gt; &amp; &quot;c&quot;"), "messages are escaped");
        assert!(page.contains("<div class=\"plot\"><svg></svg></div>"), "SVG inline without its XML declaration");
        assert!(!page.contains("http://") && !page.contains("https://"), "no network resources");
        assert!(page.ends_with("</body></html>\n"));
    }

    #[test]
    fn event_table_is_capped() {
        let mut run = empty_run();
        for i in 0..(MAX_EVENT_ROWS as u64 + 3) {
            run.push_event(task_event(i, TaskState::Running, TaskState::Running, "started"));
        }
        let page = html_report(&run, &[]);
        assert!(page.contains(&format!("{MAX_EVENT_ROWS} of {} rows", MAX_EVENT_ROWS + 3)));
        assert_eq!(page.matches("<td>started</td>").count(), MAX_EVENT_ROWS);
    }
}
