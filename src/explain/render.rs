//! `explain`'s two formats: text (one paragraph per sentence, its evidence and rule indented
//! below) and JSON (the sentences as they are).

use super::Explanation;

/// `  73.515s  web_web  rollback  Task y4uuw10x3g3v ended …` with the evidence and the rule
/// under it.
pub fn text(explanations: &[Explanation]) -> String {
    let mut out = String::new();
    for e in explanations {
        let t = crate::time::SimTime(e.t_ms * 1_000_000).secs_ms();
        let service = if e.service.is_empty() { String::new() } else { format!("{}  ", e.service) };
        out += &format!("{t:>9}s  {service}[{}] {}\n", e.kind, e.text);
        for ev in &e.evidence {
            out += &format!("             · {ev}\n");
        }
        out += &format!("             rule: {}\n", e.rule);
    }
    out
}

/// The sentences as a pretty JSON array, with a trailing newline.
pub fn json(explanations: &[Explanation]) -> String {
    let mut s = serde_json::to_string_pretty(explanations).expect("plain data serializes");
    s.push('\n');
    s
}
