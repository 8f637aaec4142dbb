//! `index.html`: one self-contained page (no network access needed: styles and script inline,
//! plots embedded as SVG) with the story, the key figures, a time slider, the plots, the
//! UpdateStatus changes, the node changes, the actions and the event table — for sharing a
//! result with a team.
//!
//! The slider (play/pause, step to the previous or next event) shows at the chosen instant
//! what `deploysim ps --at` prints there — `docker service ps` of every service, `docker node
//! ls`, each UpdateStatus — from texts rendered in Rust by the same code ([`super::scrub`]), so
//! the script only picks texts and moves a cursor over the plots. Clicking a row of any table
//! with a time jumps there. The page carries its data as one JSON block
//! (`<script type="application/json" id="deploysim-data">`): `frames` (`[t_ns, ps, node_ls,
//! update_status]`, indices into `texts`, `null` past the page's size budget), `texts`, and
//! `explain`, a list of `[t_ns, sentence]` the page shows as the slider passes them (`deploysim
//! explain`'s sentences, which `run` records for scenarios up to 2,000 replicas).

use std::fmt::Write as _;

use crate::model::record::{RunRecord, UpdateState};
use crate::time::SimTime;

use super::availability::availability;
use super::scrub::Scrub;

/// Rows of the event table shown on the page; the full log is always in events.csv.
pub const MAX_EVENT_ROWS: usize = 5000;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;max-width:1250px;color:#222}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}\
pre{white-space:pre-wrap;background:#f7f7f7;padding:.8rem;border-radius:4px}\
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}\
th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.plot svg{max-width:100%;height:auto}.muted{color:#777}\
#scrub{position:sticky;top:0;background:#fff;padding:.4rem 0;border-bottom:1px solid #ddd;z-index:1}\
#scrub-slider{width:60%;vertical-align:middle}#scrub button{min-width:2.2rem}\
#scrub-time{font-variant-numeric:tabular-nums;font-weight:600;margin-left:.5rem}\
.scrub-grid pre{font-size:.78rem;overflow-x:auto;white-space:pre}\
#scrub-explain:empty::before{content:\"(no decision explained yet at this instant; deploysim explain prints them all)\";color:#777}\
tr[data-t]{cursor:pointer}tr[data-t]:hover{background:#eef6fb}tr.at{background:#fdf3d0}";

/// The slider's script: picks the texts of the frame the slider is on, moves the plots'
/// cursors, shows the explain sentences passed, and jumps to a clicked row's time.
const SCRIPT: &str = r#"(function(){
var d=JSON.parse(document.getElementById('deploysim-data').textContent);
var F=d.frames,T=d.texts,X=d.explain;
function $(id){return document.getElementById(id);}
var slider=$('scrub-slider'),timer=null,cursors=[];
slider.max=String(F.length-1);
document.querySelectorAll('div.plot[data-x0]').forEach(function(div){
  var svg=div.querySelector('svg');if(!svg)return;
  var l=document.createElementNS(svg.namespaceURI,'line');
  l.setAttribute('stroke','#D55E00');l.setAttribute('stroke-width','2');l.setAttribute('class','scrub-cursor');
  l.setAttribute('y1',div.dataset.y0);l.setAttribute('y2',div.dataset.y1);svg.appendChild(l);
  cursors.push({l:l,x0:+div.dataset.x0,x1:+div.dataset.x1,end:+div.dataset.endMs});
});
function secs(ns){var ms=Math.floor(ns/1e6),r=ms%1000;return Math.floor(ms/1000)+'.'+('00'+r).slice(-3);}
function text(i,t){return i===null?'(not kept: this run is too large for the page; deploysim ps --at '+secs(t)+'s prints it)':T[i];}
function frameAt(t){var lo=0,hi=F.length-1;while(lo<hi){var m=(lo+hi+1)>>1;if(F[m][0]<=t)lo=m;else hi=m-1;}return lo;}
function show(i){
  i=Math.max(0,Math.min(F.length-1,i));var f=F[i],t=f[0];
  slider.value=String(i);slider.dataset.t=String(t);
  $('scrub-time').textContent=secs(t)+' s ('+(i+1)+' of '+F.length+')';
  $('scrub-ps').textContent=text(f[1],t);$('scrub-nodes').textContent=text(f[2],t);$('scrub-status').textContent=text(f[3],t);
  cursors.forEach(function(c){var ms=Math.min(t/1e6,c.end),x=c.x0+(c.end>0?ms/c.end:0)*(c.x1-c.x0);c.l.setAttribute('x1',x);c.l.setAttribute('x2',x);});
  var passed=X.filter(function(e){return e[0]<=t;}).slice(-6);
  $('scrub-explain').textContent=passed.length?passed.map(function(e){return secs(e[0])+' s  '+e[1];}).join('\n'):'';
  document.querySelectorAll('tr.at').forEach(function(r){r.classList.remove('at');});
  document.querySelectorAll('tr[data-t="'+t+'"]').forEach(function(r){r.classList.add('at');});
}
function stop(){if(timer!==null){clearInterval(timer);timer=null;}$('scrub-play').textContent='\u25B6';}
slider.addEventListener('input',function(){stop();show(+slider.value);});
$('scrub-prev').addEventListener('click',function(){stop();show(+slider.value-1);});
$('scrub-next').addEventListener('click',function(){stop();show(+slider.value+1);});
$('scrub-play').addEventListener('click',function(){
  if(timer!==null){stop();return;}
  if(+slider.value>=F.length-1)show(0);
  $('scrub-play').textContent='\u23F8';
  timer=setInterval(function(){if(+slider.value>=F.length-1){stop();return;}show(+slider.value+1);},300);
});
document.querySelectorAll('tr[data-t]').forEach(function(r){r.addEventListener('click',function(){stop();show(frameAt(+r.dataset.t));$('scrub').scrollIntoView();});});
show(0);
})();"#;

/// What the page's interactive part needs beyond the record.
#[derive(Clone, Debug, Default)]
pub struct Interactive {
    /// The slider's frames and texts.
    pub scrub: Scrub,
    /// Per plot file name, where its time axis lies: pixels `x0`, `x1` (0 s and `end_ms`), `y0`,
    /// `y1` (the panels' top and bottom), and `end_ms`.
    pub axes: Vec<(String, [u32; 4], u64)>,
    /// Sentences shown as the slider passes their instant (`deploysim explain`'s).
    pub explain: Vec<(SimTime, String)>,
}

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
pub fn html_report(run: &RunRecord, plots: &[(String, String)], interactive: &Interactive) -> String {
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
    scrub_controls(&mut p, interactive);
    for (name, svg) in plots {
        let axis = match interactive.axes.iter().find(|(n, _, _)| n == name) {
            Some((_, [x0, x1, y0, y1], end_ms)) => {
                format!(" data-x0=\"{x0}\" data-x1=\"{x1}\" data-y0=\"{y0}\" data-y1=\"{y1}\" data-end-ms=\"{end_ms}\"")
            }
            None => String::new(),
        };
        let _ = write!(p, "<h2>Plot: {}</h2>\n<div class=\"plot\"{axis}>{}</div>\n", esc(name), inline_svg(svg));
    }
    scrub_tables(&mut p);
    status_changes(&mut p, run);
    node_changes(&mut p, run);
    actions(&mut p, run);
    events(&mut p, run);
    let _ = write!(
        p,
        "<script type=\"application/json\" id=\"deploysim-data\">{}</script>\n<script>{SCRIPT}</script>\n",
        data_json(interactive)
    );
    p.push_str("</body></html>\n");
    p
}

/// The slider and its controls (sticky at the top of the window while scrolling), above the
/// plots its cursor moves on.
fn scrub_controls(p: &mut String, interactive: &Interactive) {
    p.push_str(
        "<h2>At any instant</h2>\n<div id=\"scrub\"><button id=\"scrub-play\" title=\"play / pause\">&#9654;</button> \
         <button id=\"scrub-prev\" title=\"previous event\">&#9664;&#9664;</button> \
         <button id=\"scrub-next\" title=\"next event\">&#9654;&#9654;</button> \
         <input id=\"scrub-slider\" type=\"range\" min=\"0\" max=\"0\" step=\"1\" value=\"0\" aria-label=\"simulated time\">\
         <span id=\"scrub-time\"></span></div>\n<p class=\"muted\">Each position is an instant something changed; \
         the tables are what <code>deploysim ps --at</code> prints then. Click a row with a time below to jump there.",
    );
    if interactive.scrub.truncated {
        p.push_str(" This run is large: some positions carry no tables (use <code>deploysim ps --at</code>).");
    }
    p.push_str("</p>\n");
}

/// What the slider shows at its instant, under the plots.
fn scrub_tables(p: &mut String) {
    p.push_str(
        "<div class=\"scrub-grid\"><h3>docker service ps</h3><pre id=\"scrub-ps\"></pre>\
         <h3>docker node ls</h3><pre id=\"scrub-nodes\"></pre><h3>UpdateStatus</h3><pre id=\"scrub-status\"></pre>\
         <h3>Why</h3><pre id=\"scrub-explain\"></pre></div>\n",
    );
}

/// The page's data block (see the module documentation), with `<` escaped so that no text can
/// close the script element.
fn data_json(interactive: &Interactive) -> String {
    let frames: Vec<serde_json::Value> =
        interactive.scrub.frames.iter().map(|f| serde_json::json!([f.t.0, f.ps, f.nodes, f.status])).collect();
    let explain: Vec<serde_json::Value> =
        interactive.explain.iter().map(|(t, text)| serde_json::json!([t.0, text])).collect();
    let data = serde_json::json!({ "frames": frames, "texts": interactive.scrub.texts, "explain": explain });
    data.to_string().replace('<', "\\u003c")
}

fn node_changes(p: &mut String, run: &RunRecord) {
    p.push_str(
        "<h2>Node changes</h2>\n<table><tr><th>t (s)</th><th>node</th><th>state</th><th>availability</th>\
         <th>message</th></tr>\n",
    );
    for e in &run.node_events {
        let _ = writeln!(
            p,
            "<tr data-t=\"{}\"><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.t.0,
            e.t.secs_ms(),
            esc(run.name(e.node)),
            e.state.as_str(),
            e.availability.as_str(),
            esc(run.name(e.message))
        );
    }
    p.push_str("</table>\n");
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
        // A reset to nil that lasted (`docker service scale` after an update) shows as `none`.
        for (t, state, message) in s.status_timeline() {
            let _ = writeln!(
                p,
                "<tr data-t=\"{}\"><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                t.0,
                t.secs_ms(),
                esc(&s.name),
                state.map_or("none", UpdateState::as_str),
                esc(message)
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
            "<tr data-t=\"{}\"><td class=\"n\">{}</td><td><code>{}</code></td><td>{}</td></tr>",
            t.0,
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
            "<tr data-t=\"{}\"><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td><code>{}</code></td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.t.0,
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
        let page = html_report(
            &run,
            &[("timeline.svg".into(), "<?xml version=\"1.0\"?>\n<svg></svg>".into())],
            &Interactive::default(),
        );
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
        let page = html_report(&run, &[], &Interactive::default());
        assert!(page.contains(&format!("{MAX_EVENT_ROWS} of {} rows", MAX_EVENT_ROWS + 3)));
        assert_eq!(page.matches("<td>started</td>").count(), MAX_EVENT_ROWS);
    }
}
