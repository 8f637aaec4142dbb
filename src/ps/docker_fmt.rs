//! The docker CLI's text helpers, reproduced so that tables read exactly as Docker prints them:
//! go-units `HumanDuration`, `formatter.PrettyPrint`, `formatter.Ellipsis`, `TruncateID`,
//! `sortorder.NaturalLess` and the `text/tabwriter` layout the CLI's table formats use.

use std::cmp::Ordering;

use crate::time::SimDuration;

const SEC: u64 = 1_000_000_000;

/// go-units `HumanDuration`, as `docker service ps` prints it (lowercased by the caller there):
/// integer seconds truncate, minutes truncate, hours round.
pub fn human_duration(d: SimDuration) -> String {
    let seconds = d.as_nanos() / SEC;
    let minutes = seconds / 60;
    // Go rounds hours (`int(d.Hours() + 0.5)`); integer arithmetic gives the same result.
    let hours = (d.as_nanos() + 1800 * SEC) / (3600 * SEC);
    match () {
        _ if seconds < 1 => "Less than a second".to_string(),
        _ if seconds == 1 => "1 second".to_string(),
        _ if seconds < 60 => format!("{seconds} seconds"),
        _ if minutes == 1 => "About a minute".to_string(),
        _ if minutes < 60 => format!("{minutes} minutes"),
        _ if hours == 1 => "About an hour".to_string(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", seconds / 3600 / 24 / 365),
    }
}

/// `formatter.PrettyPrint` of a state: first letter upper case, the rest lower case.
pub fn pretty(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        // Go lowercases a one-character string instead (capitalizeFirst); no state is that short.
        Some(first) if s.len() > 1 => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
        _ => s.to_lowercase(),
    }
}

/// `formatter.Ellipsis` for the text the simulator produces (one column per character): longer
/// than `max` characters becomes its first `max - 1` characters and `…`.
pub fn ellipsis(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `formatter.TruncateID`: the first 12 characters.
pub fn truncate_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// The image as the CLI shows it when truncating: any `@sha256:…` digest stripped.
pub fn strip_digest(image: &str) -> &str {
    image.split_once('@').map_or(image, |(name, _)| name)
}

/// `sortorder.NaturalLess` as an ordering: runs of digits compare as numbers, so `web.2` sorts
/// before `web.10` (Docker sorts task names this way).
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let (na, ea) = digit_run(a, i);
            let (nb, eb) = digit_run(b, j);
            let by_value = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            // Equal values: fewer leading zeros first, as sortorder does.
            let order = by_value.then_with(|| (ea - i).cmp(&(eb - j)));
            if order != Ordering::Equal {
                return order;
            }
            (i, j) = (ea, eb);
        } else {
            if a[i] != b[j] {
                return a[i].cmp(&b[j]);
            }
            (i, j) = (i + 1, j + 1);
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

/// The digits starting at `start` without leading zeros, and the index after the run.
fn digit_run(s: &[u8], start: usize) -> (&[u8], usize) {
    let end = start + s[start..].iter().take_while(|c| c.is_ascii_digit()).count();
    let first_nonzero = (start..end).find(|&k| s[k] != b'0').unwrap_or(end);
    (&s[first_nonzero..end], end)
}

/// Lays rows out as the CLI's table formats do (`tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`):
/// every cell but the last of a row is padded to its column's width, the widest cell plus 3
/// and at least 10; the last cell is written as is. Empty cells are padded too, which is why
/// Docker's rows end in spaces when ERROR is empty.
pub fn tabulate(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns.saturating_sub(1))
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count() + 3).max().unwrap_or(0).max(10))
        .collect();
    let mut out = String::new();
    for row in rows {
        for (c, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if c + 1 < row.len() {
                let pad = widths[c].saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

/// A 25-character id in Docker's alphabet derived from a name (FNV-1a, then a mixing step), for
/// objects the record names but gives no id: services, and nodes in global task names.
pub fn pseudo_id(label: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut x: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        x = (x ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    (0..25)
        .map(|_| {
            x = (x ^ (x >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            ALPHABET[((x >> 33) % 36) as usize] as char
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> SimDuration {
        SimDuration::from_secs(s)
    }

    #[test]
    fn human_duration_uses_go_units_wording() {
        assert_eq!(human_duration(SimDuration::from_millis(999)), "Less than a second");
        assert_eq!(human_duration(SimDuration::from_millis(1999)), "1 second");
        assert_eq!(human_duration(secs(9)), "9 seconds");
        assert_eq!(human_duration(secs(59)), "59 seconds");
        assert_eq!(human_duration(secs(60)), "About a minute");
        assert_eq!(human_duration(secs(119)), "About a minute");
        assert_eq!(human_duration(secs(120)), "2 minutes");
        assert_eq!(human_duration(secs(3599)), "59 minutes");
        assert_eq!(human_duration(secs(3600)), "About an hour");
        // Hours round: 1 h 30 min is "2 hours".
        assert_eq!(human_duration(secs(5400)), "2 hours");
        assert_eq!(human_duration(secs(3 * 86_400)), "3 days");
    }

    #[test]
    fn pretty_capitalises_like_docker() {
        assert_eq!(pretty("running"), "Running");
        assert_eq!(pretty("shutdown"), "Shutdown");
        assert_eq!(pretty("REMOVE"), "Remove");
    }

    #[test]
    fn ellipsis_keeps_thirty_characters() {
        let err = "task: non-zero exit (143): dockerexec: unhealthy container";
        assert_eq!(ellipsis(err, 30), "task: non-zero exit (143): do…");
        assert_eq!(ellipsis("task: non-zero exit (1)", 30), "task: non-zero exit (1)");
    }

    #[test]
    fn natural_order_puts_slot_2_before_slot_10() {
        assert_eq!(natural_cmp("web_web.2", "web_web.10"), Ordering::Less);
        assert_eq!(natural_cmp("web_web.10", "web_web.9"), Ordering::Greater);
        assert_eq!(natural_cmp("a_b.1", "a_c.1"), Ordering::Less);
        assert_eq!(natural_cmp("web.1", "web.1"), Ordering::Equal);
    }

    #[test]
    fn tabulate_pads_all_but_the_last_cell() {
        let rows =
            vec![vec!["ID".to_string(), "NAME".into(), "PORTS".into()], vec!["abc".into(), "".into(), "".into()]];
        assert_eq!(tabulate(&rows), "ID        NAME      PORTS\nabc                 \n");
    }

    #[test]
    fn pseudo_ids_are_stable_and_distinct() {
        assert_eq!(pseudo_id("web_web"), pseudo_id("web_web"));
        assert_ne!(pseudo_id("web_web"), pseudo_id("web_db"));
        assert_eq!(pseudo_id("web_web").len(), 25);
    }
}
