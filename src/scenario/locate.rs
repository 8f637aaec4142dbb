//! Field paths (`services.web.deploy`) and where they are in the text. The YAML parser gives no
//! positions for keys, so a small indentation scanner finds the line of each block-style key and
//! list item; flow style (`{a: 1}`) falls back to the nearest enclosing key that it can find.

use std::fmt;

/// One step of a path: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Seg {
    /// `.key`
    Key(String),
    /// `[i]`
    Index(usize),
}

/// A path from the document root, shown in Docker's dotted style.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Path(pub Vec<Seg>);

impl Path {
    /// The document root.
    pub(super) fn root() -> Path {
        Path(Vec::new())
    }
    /// This path followed by `key`.
    pub(super) fn key(&self, key: &str) -> Path {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.to_string()));
        Path(segs)
    }
    /// This path followed by `[index]`.
    pub(super) fn index(&self, index: usize) -> Path {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        Path(segs)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// What a line (or the part of a line after `- `) starts.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Key(String),
    Item,
    Other,
}

/// A block-structure token: its 0-based line, its column (= indentation) and what it starts.
#[derive(Clone, Debug)]
struct Entry {
    line: usize,
    indent: usize,
    kind: Kind,
}

/// The block structure of a text, for finding paths.
#[derive(Clone, Debug)]
pub(super) struct Locator {
    lines: Vec<String>,
    entries: Vec<Entry>,
}

impl Locator {
    /// Scans `text`.
    pub(super) fn new(text: &str) -> Locator {
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            scan_line(n, line, &mut entries);
        }
        // Only the lines as they may be shown are kept: with standard-input feeds hidden.
        Locator { lines: super::stdin_feed::shown_source_lines(text), entries }
    }

    /// The source line `line` (1-based), with what a `run:` feeds to standard input hidden.
    pub(super) fn source_line(&self, line: usize) -> Option<&str> {
        self.lines.get(line.checked_sub(1)?).map(String::as_str)
    }

    /// 1-based (line, column) of the deepest part of `path` that can be found.
    pub(super) fn find(&self, path: &Path) -> Option<(usize, usize)> {
        self.find_depth(path).map(|(_, at)| at)
    }

    /// [`Locator::find`] with how many segments of `path` were found: of several files merged
    /// into one tree, the one that holds more of a path is the one that set it.
    pub(super) fn find_depth(&self, path: &Path) -> Option<(usize, (usize, usize))> {
        let mut range = 0..self.entries.len();
        let mut found: Option<(usize, &Entry)> = None;
        for (depth, seg) in path.0.iter().enumerate() {
            let Some(i) = self.find_child(range.clone(), seg) else { break };
            let e = &self.entries[i];
            found = Some((depth + 1, e));
            range = (i + 1)..self.block_end(i, range.end);
        }
        found.map(|(depth, e)| (depth, (e.line + 1, e.indent + 1)))
    }

    /// The entry for `seg` among the direct children in `range` (those at the first indent).
    fn find_child(&self, range: std::ops::Range<usize>, seg: &Seg) -> Option<usize> {
        let level = self.entries.get(range.start)?.indent;
        let mut items = 0;
        for i in range {
            let e = &self.entries[i];
            if e.indent != level {
                continue;
            }
            match (&e.kind, seg) {
                (Kind::Key(k), Seg::Key(want)) if k == want => return Some(i),
                (Kind::Item, Seg::Index(want)) => {
                    if items == *want {
                        return Some(i);
                    }
                    items += 1;
                }
                _ => {}
            }
        }
        None
    }

    /// One past the last entry of the block that entry `i` opens. A key's block also takes list
    /// items at its own indentation (`key:\n- a` is valid YAML).
    fn block_end(&self, i: usize, limit: usize) -> usize {
        let head = &self.entries[i];
        let mut j = i + 1;
        while j < limit {
            let e = &self.entries[j];
            let inside = e.indent > head.indent
                || (e.indent == head.indent && e.kind == Kind::Item && matches!(head.kind, Kind::Key(_)));
            if !inside {
                break;
            }
            j += 1;
        }
        j
    }
}

/// Adds the entries a line starts: `- - key: v` gives two items and a key.
fn scan_line(n: usize, line: &str, out: &mut Vec<Entry>) {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let mut rest = &line[indent..];
    let mut col = indent;
    if rest.is_empty() || rest.starts_with('#') || rest.starts_with("---") || rest.starts_with("...") {
        return;
    }
    while rest == "-" || rest.starts_with("- ") {
        out.push(Entry { line: n, indent: col, kind: Kind::Item });
        let after = &rest[1..];
        let skip = after.len() - after.trim_start_matches(' ').len();
        col += 1 + skip;
        rest = &after[skip..];
        if rest.is_empty() || rest.starts_with('#') {
            return;
        }
    }
    let kind = match key_of(rest) {
        Some(k) => Kind::Key(k),
        None => Kind::Other,
    };
    out.push(Entry { line: n, indent: col, kind });
}

/// The key a line starts with (`key:`, `"quoted key":`), if it is a mapping entry.
fn key_of(s: &str) -> Option<String> {
    let first = s.chars().next()?;
    if first == '"' || first == '\'' {
        let close = s[1..].find(first)? + 1;
        let after = &s[close + 1..];
        return after.trim_start().starts_with(':').then(|| s[1..close].to_string());
    }
    if matches!(first, '{' | '[' | '|' | '>' | '&' | '*' | '!') {
        return None;
    }
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ' || bytes[i + 1] == b'\t') {
            return Some(s[..i].trim_end().to_string());
        }
        if b == b' ' && bytes.get(i + 1) == Some(&b'#') {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(parts: &[&str]) -> Path {
        let mut path = Path::root();
        for part in parts {
            path = match part.parse::<usize>() {
                Ok(i) => path.index(i),
                Err(_) => path.key(part),
            };
        }
        path
    }

    const TEXT: &str = "\
services:
  web:
    image: x
    deploy:
      update_config:
      parallelism: 2
x-simulation:
  \"images\":
    \"nginx:1\": {pull: 1s}
  timeline:
  - at: 1s
    run: a
  -   at: 2s
      run: b
";

    #[test]
    fn finds_keys_items_and_falls_back() {
        let l = Locator::new(TEXT);
        assert_eq!(l.find(&p(&["services", "web", "deploy", "parallelism"])), Some((6, 7)));
        assert_eq!(l.find(&p(&["services", "web", "image"])), Some((3, 5)));
        assert_eq!(l.find(&p(&["x-simulation", "images", "nginx:1", "pull"])), Some((9, 5)));
        assert_eq!(l.find(&p(&["x-simulation", "timeline", "1", "run"])), Some((14, 7)));
        assert_eq!(l.find(&p(&["x-simulation", "timeline", "0", "run"])), Some((12, 5)));
        assert_eq!(p(&["x-simulation", "timeline", "1", "run"]).to_string(), "x-simulation.timeline[1].run");
        assert_eq!(l.find(&p(&["nope"])), None);
    }
}
