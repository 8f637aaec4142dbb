//! Field paths (`services.web.deploy`) and where they are in the text: the parser's position of
//! each key and list item ([`super::raw::Spans`]); a path into a value that was not written
//! where it is used (an alias, merged keys) finds the nearest written key above it.

use std::fmt;

use super::raw::Spans;

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

/// The positions of a document's keys and items, for finding paths.
#[derive(Clone, Debug)]
pub(super) struct Locator {
    lines: Vec<String>,
    spans: Spans,
}

impl Locator {
    /// Locates paths of `text`, whose parse gave `spans`.
    pub(super) fn new(text: &str, spans: Spans) -> Locator {
        // Only the lines as they may be shown are kept: with standard-input feeds hidden.
        Locator { lines: super::stdin_feed::shown_source_lines(text), spans }
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
        let mut node = &self.spans;
        let mut found = None;
        for (depth, seg) in path.0.iter().enumerate() {
            let next = match (node, seg) {
                (Spans::Map(entries), Seg::Key(want)) => {
                    entries.iter().find(|(k, _, _)| k == want).map(|(_, pos, spans)| (*pos, spans))
                }
                (Spans::Seq(items), Seg::Index(i)) => items.get(*i).map(|(pos, spans)| (*pos, spans)),
                _ => None,
            };
            let Some((pos, spans)) = next else { break };
            found = Some((depth + 1, pos));
            node = spans;
        }
        found
    }
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
        let (_, spans) = super::super::raw::parse(TEXT).expect("valid YAML");
        let l = Locator::new(TEXT, spans);
        assert_eq!(l.find(&p(&["services", "web", "deploy", "parallelism"])), Some((6, 7)));
        assert_eq!(l.find(&p(&["services", "web", "image"])), Some((3, 5)));
        assert_eq!(l.find(&p(&["x-simulation", "images", "nginx:1", "pull"])), Some((9, 17)), "inside a flow mapping");
        assert_eq!(
            l.find(&p(&["x-simulation", "images", "nginx:1", "start"])),
            Some((9, 5)),
            "not written: its mapping"
        );
        assert_eq!(l.find(&p(&["x-simulation", "timeline", "1", "run"])), Some((14, 7)));
        assert_eq!(l.find(&p(&["x-simulation", "timeline", "0", "run"])), Some((12, 5)));
        assert_eq!(p(&["x-simulation", "timeline", "1", "run"]).to_string(), "x-simulation.timeline[1].run");
        assert_eq!(l.find(&p(&["nope"])), None);
    }
}
