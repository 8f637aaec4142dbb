//! YAML text to a plain tree, with the position of every key and list item. The only file (with
//! its `libyaml` submodule) that touches the YAML libraries: `saphyr-parser`, an event parser
//! that gives a span on every event, builds the tree; when it refuses a text, libyaml re-reads
//! it for the error, so that a syntax error has libyaml's wording and position (Docker's own). Scalars are resolved as docker/cli's compose loader
//! reads them through gopkg.in/yaml.v2 (`resolve.go`): YAML 1.1 booleans (`yes`, `no`, `on`,
//! `off`, `y`, `n`), integers in Go's `strconv.ParseInt(s, 0, 64)` syntax (`0400` is octal, as a
//! file mode is written), floats, `~`/`null`; merge keys (`<<`) are applied as serde_yaml's
//! `apply_merge` did (explicit keys win, merged ones follow in order).

use std::collections::BTreeMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::limits::{MAX_YAML_ALIAS_NODES, MAX_YAML_DEPTH, MAX_YAML_FLOW_DEPTH};

// libyaml-rs has libyaml's C interface: its calls are `unsafe` (each block says why it is sound).
#[allow(unsafe_code)]
mod libyaml;

/// A YAML value, reduced to what a compose file can hold. Mappings keep file order.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Yaml {
    /// `~`, `null` or an empty value (`update_config:`).
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer (wide enough for both `u64` and `i64`).
    Int(i128),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Yaml>),
    /// A mapping; keys are rendered as strings (compose keys always are).
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    /// A short name of the value's type for messages.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Yaml::Null => "null",
            Yaml::Bool(_) => "a boolean",
            Yaml::Int(_) => "an integer",
            Yaml::Float(_) => "a number",
            Yaml::Str(_) => "a string",
            Yaml::Seq(_) => "a list",
            Yaml::Map(_) => "a mapping",
        }
    }

    /// The value in one line, for messages and for comparing settings.
    pub(super) fn render(&self) -> String {
        match self {
            Yaml::Null => "null".to_string(),
            Yaml::Bool(b) => b.to_string(),
            Yaml::Int(i) => i.to_string(),
            Yaml::Float(x) => x.to_string(),
            Yaml::Str(s) => s.clone(),
            Yaml::Seq(items) => {
                let parts: Vec<String> = items.iter().map(Yaml::render).collect();
                format!("[{}]", parts.join(", "))
            }
            Yaml::Map(entries) => {
                let parts: Vec<String> = entries.iter().map(|(k, v)| format!("{k}: {}", v.render())).collect();
                format!("{{{}}}", parts.join(", "))
            }
        }
    }
}

/// A YAML syntax error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The parser's message.
    pub message: String,
    /// 1-based line, when the parser gives one.
    pub line: Option<usize>,
    /// 1-based column, when the parser gives one.
    pub column: Option<usize>,
}

impl ParseError {
    /// An error at a 1-based `(line, column)`, which the message repeats as libyaml did.
    fn at(message: &str, (line, column): Pos) -> ParseError {
        ParseError {
            message: format!("{message} at line {line} column {column}"),
            line: Some(line),
            column: Some(column),
        }
    }
}

/// A 1-based `(line, column)`; columns count characters.
pub(super) type Pos = (usize, usize);

/// Where the keys and list items of a tree are written, in the tree's shape: what the loader's
/// messages point at. Values that were not written where they are used (an alias `*x`, the
/// keys a `<<` merge brings in) have no entries, so a path into them finds the nearest written
/// key above.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) enum Spans {
    /// A scalar, an alias or an empty collection.
    #[default]
    Leaf,
    /// Each key with where it is written and the spans of its value.
    Map(Vec<(String, Pos, Spans)>),
    /// Each item with where it starts (its `- ` in block style) and its spans.
    Seq(Vec<(Pos, Spans)>),
}

/// Parses one YAML document, applying `<<` merge keys (compose files use them with anchors).
pub(super) fn parse(text: &str) -> Result<(Yaml, Spans), ParseError> {
    check_flow_depth(text)?;
    Composer::new(text, true).run()
}

/// A collection being built.
enum Frame {
    Seq {
        items: Vec<Yaml>,
        spans: Vec<(Pos, Spans)>,
        anchor: usize,
        start: Pos,
    },
    Map {
        entries: Vec<(String, Yaml)>,
        spans: Vec<(String, Pos, Spans)>,
        key: Option<(String, Pos)>,
        anchor: usize,
        start: Pos,
    },
}

/// Builds the tree from the parser's events without recursion (nesting is bounded by
/// [`MAX_YAML_DEPTH`]), expanding aliases within [`MAX_YAML_ALIAS_NODES`].
struct Composer<'t> {
    text: &'t str,
    lines: Vec<&'t str>,
    merge: bool,
    frames: Vec<Frame>,
    /// Anchored values by the parser's anchor id, with their node counts.
    anchors: BTreeMap<usize, (Yaml, usize)>,
    alias_nodes: usize,
    documents: usize,
    root: Option<(Yaml, Spans)>,
}

impl<'t> Composer<'t> {
    fn new(text: &'t str, merge: bool) -> Composer<'t> {
        let lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
        Composer {
            text,
            lines,
            merge,
            frames: Vec::new(),
            anchors: BTreeMap::new(),
            alias_nodes: 0,
            documents: 0,
            root: None,
        }
    }

    fn run(mut self) -> Result<(Yaml, Spans), ParseError> {
        let mut parser = Parser::new_from_str(self.text);
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| self.syntax_error(&e))?;
            self.event(event, span)?;
        }
        Ok(self.root.unwrap_or((Yaml::Null, Spans::Leaf)))
    }

    /// A text saphyr-parser refused: libyaml's error for it, as serde_yaml showed it and as
    /// Docker's reader words and places it (saphyr words its own and may stop at another
    /// token). The composer saw no error of its own before saphyr's (a duplicate key would have
    /// been reported first, as serde_yaml, which composed the events read before libyaml's
    /// error, did). Should libyaml read the text without error, saphyr's is kept.
    fn syntax_error(&self, e: &saphyr_parser::ScanError) -> ParseError {
        libyaml::first_error(self.text).unwrap_or_else(|| {
            let m = e.marker();
            let info = e.info().strip_prefix("while parsing node, found ").unwrap_or(e.info());
            ParseError::at(info, (m.line(), m.col() + 1))
        })
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), ParseError> {
        let pos = (span.start.line(), span.start.col() + 1);
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    // serde_yaml's wording, without a location as it had none.
                    let message = "deserializing from YAML containing more than one document is not supported";
                    return Err(ParseError { message: message.into(), line: None, column: None });
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let core_str = tag.as_ref().is_some_and(|t| t.is_yaml_core_schema() && t.suffix == "str");
                let node = if style == ScalarStyle::Plain && !core_str {
                    resolve_plain(&value)
                } else {
                    Yaml::Str(value.to_string())
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), 1));
                }
                self.add(node, Spans::Leaf, pos, Some(value.as_ref()))?;
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id) else {
                    return Err(ParseError::at("unknown anchor", pos));
                };
                self.alias_nodes += size;
                if self.alias_nodes > MAX_YAML_ALIAS_NODES {
                    let message = format!(
                        "aliases expand to more than {MAX_YAML_ALIAS_NODES} nodes (deploysim's limit: is this a \"billion laughs\"?)"
                    );
                    return Err(ParseError::at(&message, pos));
                }
                let node = node.clone();
                self.add(node, Spans::Leaf, pos, None)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.open(Frame::Seq { items: Vec::new(), spans: Vec::new(), anchor, start: pos }, pos)?;
            }
            Event::MappingStart(anchor, _) => {
                let frame = Frame::Map { entries: Vec::new(), spans: Vec::new(), key: None, anchor, start: pos };
                self.open(frame, pos)?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.frames.pop() else { return Ok(()) };
                // Flow collections (`{a: 1}`, `[x, y]`) keep their keys' and items' positions too:
                // a message about `parallelism` in `update_config: {parallelism: two}` points at
                // `parallelism`, not at `update_config`.
                let (node, spans, anchor, start) = match frame {
                    Frame::Seq { items, spans, anchor, start, .. } => {
                        (Yaml::Seq(items), Spans::Seq(spans), anchor, start)
                    }
                    Frame::Map { mut entries, mut spans, anchor, start, .. } => {
                        if self.merge {
                            apply_merge(&mut entries, &mut spans).map_err(|m| ParseError::at(&m, start))?;
                        }
                        (Yaml::Map(entries), Spans::Map(spans), anchor, start)
                    }
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), count_nodes(&node)));
                }
                self.add(node, spans, start, None)?;
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, pos: Pos) -> Result<(), ParseError> {
        if self.frames.len() >= MAX_YAML_DEPTH {
            let message = format!("collections nested more than {MAX_YAML_DEPTH} levels deep (deploysim's limit)");
            return Err(ParseError::at(&message, pos));
        }
        self.frames.push(frame);
        Ok(())
    }

    /// Puts a finished node into the collection being built (or makes it the document).
    /// `key_text` is a scalar's text as written, which a mapping key keeps.
    fn add(&mut self, node: Yaml, spans: Spans, pos: Pos, key_text: Option<&str>) -> Result<(), ParseError> {
        let item_pos = self.item_position(pos);
        let path = self.path_text();
        match self.frames.last_mut() {
            None => self.root = Some((node, spans)),
            Some(Frame::Seq { items, spans: item_spans, .. }) => {
                items.push(node);
                item_spans.push((item_pos, spans));
            }
            Some(Frame::Map { entries, spans: key_spans, key, start, .. }) => match key.take() {
                None => {
                    let text = match (&node, key_text) {
                        (Yaml::Str(s), _) => s.clone(),
                        (_, Some(written)) => written.to_string(),
                        _ => node.render(),
                    };
                    // serde_yaml's Mapping refused a key it already had as soon as it read the
                    // key, before its value (so before any error inside the value), and pointed
                    // at the mapping (its first key).
                    if key_spans.iter().any(|(e, _, _)| *e == text) {
                        let head = if path.is_empty() { String::new() } else { format!("{path}: ") };
                        return Err(ParseError::at(&format!("{head}duplicate entry with key \"{text}\""), *start));
                    }
                    *key = Some((text, pos));
                }
                Some((k, key_pos)) => {
                    entries.push((k.clone(), node));
                    key_spans.push((k, key_pos, spans));
                }
            },
        }
        Ok(())
    }

    /// Where a list item starts: its `-` when it is written `- value` on the value's line.
    fn item_position(&self, (line, column): Pos) -> Pos {
        if !matches!(self.frames.last(), Some(Frame::Seq { .. })) {
            return (line, column);
        }
        let Some(text) = self.lines.get(line - 1) else { return (line, column) };
        let before: Vec<char> = text.chars().take(column - 1).collect();
        let mut i = before.len();
        while i > 0 && before[i - 1] == ' ' {
            i -= 1;
        }
        if i > 0 && before[i - 1] == '-' { (line, i) } else { (line, column) }
    }

    /// The dotted path of the collection being built, as serde_yaml showed it in messages.
    fn path_text(&self) -> String {
        let mut out = String::new();
        for (i, frame) in self.frames.iter().enumerate() {
            let Some(next) = self.frames.get(i + 1) else { break };
            let _ = next;
            match frame {
                Frame::Seq { items, .. } => out.push_str(&format!("[{}]", items.len())),
                Frame::Map { key: Some((k, _)), .. } => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Frame::Map { .. } => {}
            }
        }
        out
    }
}

/// Nodes in a tree (what an alias of it copies).
fn count_nodes(node: &Yaml) -> usize {
    let mut count = 0;
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        count += 1;
        match n {
            Yaml::Seq(items) => stack.extend(items),
            Yaml::Map(entries) => stack.extend(entries.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    count
}

/// Applies a `<<` entry: its mapping (or each mapping of its list, the first winning) adds the
/// keys the mapping does not have, after its own, as serde_yaml's `apply_merge` did. Merged
/// keys have no position of their own: messages about them point at the mapping's key.
fn apply_merge(entries: &mut Vec<(String, Yaml)>, spans: &mut Vec<(String, Pos, Spans)>) -> Result<(), String> {
    let Some(at) = entries.iter().position(|(k, _)| k == "<<") else { return Ok(()) };
    let (_, merged) = entries.remove(at);
    spans.retain(|(k, _, _)| k != "<<");
    let sources = match merged {
        Yaml::Map(m) => vec![m],
        Yaml::Seq(items) => {
            let mut maps = Vec::new();
            for item in items {
                match item {
                    Yaml::Map(m) => maps.push(m),
                    other => return Err(format!("expected a mapping for merging, but found {}", other.kind())),
                }
            }
            maps
        }
        other => return Err(format!("expected a mapping or list of mappings for merging, but found {}", other.kind())),
    };
    for source in sources {
        for (k, v) in source {
            if !entries.iter().any(|(e, _)| *e == k) {
                entries.push((k, v));
            }
        }
    }
    Ok(())
}

/// A plain scalar as gopkg.in/yaml.v2's `resolve` reads it (YAML 1.1, which docker/cli's compose
/// loader uses): `~`/`null`, the 1.1 booleans, Go-syntax integers, YAML floats; else a string.
pub(super) fn resolve_plain(s: &str) -> Yaml {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Yaml::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => return Yaml::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Yaml::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Yaml::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Yaml::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Yaml::Float(f64::NAN),
        _ => {}
    }
    if !s.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        return Yaml::Str(s.to_string());
    }
    let plain = s.replace('_', "");
    if let Some(i) = go_int(&plain) {
        return Yaml::Int(i);
    }
    if is_yaml_float(&plain)
        && let Ok(x) = plain.parse::<f64>()
    {
        return Yaml::Float(x);
    }
    Yaml::Str(s.to_string())
}

/// Go's `strconv.ParseInt(s, 0, 64)` (then `ParseUint`): an optional sign, then `0x`, `0o`,
/// `0b` or a leading `0` (octal) or decimal digits.
fn go_int(s: &str) -> Option<i128> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()? as i128;
    let value = if negative { -magnitude } else { magnitude };
    (value >= i64::MIN as i128).then_some(value)
}

/// yaml.v2's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// Refuses flow collections nested deeper than the parser's own recursion limit before the
/// parser sees them: its scanner would spend time quadratic in the depth first. Brackets inside
/// quoted scalars and comments do not count; a bracket inside a plain scalar (`CMD [ -f x ]`)
/// does, which only matters past 128 unmatched ones.
fn check_flow_depth(text: &str) -> Result<(), ParseError> {
    let (mut depth, mut quote, mut line, mut column) = (0usize, None::<char>, 1usize, 0usize);
    let mut previous = '\n';
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        column += 1;
        match (quote, ch) {
            (_, '\n') => {
                line += 1;
                column = 0;
            }
            (Some('"'), '\\') => {
                chars.next();
                column += 1;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '#') if previous.is_whitespace() => {
                // A comment runs to the end of the line.
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
            }
            (None, '\'' | '"') if depth > 0 || matches!(previous, ' ' | '\t' | '\n' | ':' | '-') => quote = Some(ch),
            (None, '[' | '{') => {
                depth += 1;
                if depth > MAX_YAML_FLOW_DEPTH {
                    return Err(ParseError {
                        message: format!(
                            "flow collections nested more than {MAX_YAML_FLOW_DEPTH} levels deep (deploysim's limit, the YAML parser's own)"
                        ),
                        line: Some(line),
                        column: Some(column),
                    });
                }
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = ch;
    }
    Ok(())
}

/// A YAML document kept whole, for tools that edit a scenario before loading it (`deploysim
/// sweep`): the tree as written (aliases expanded, `<<` kept as a key), written back as block
/// YAML in the layout serde_yaml (libyaml's emitter) gave it.
#[derive(Clone, Debug)]
pub struct Document(Yaml);

/// Keys whose children name things (services, images): a missing child is a typo, never a key
/// to create, since creating `services.wbe` would silently add a service.
const NAMED_LEVELS: &[&str] = &["", "services", "x-simulation.images", "x-simulation.cluster"];

impl Document {
    /// Parses one YAML document (no merge keys applied: the text is re-serialised as written).
    pub fn parse(text: &str) -> Result<Document, ParseError> {
        check_flow_depth(text)?;
        Composer::new(text, false).run().map(|(tree, _)| Document(tree))
    }

    /// The document as YAML text (comments are lost; the loader does not need them).
    pub fn to_text(&self) -> String {
        emit_document(&self.0)
    }

    /// Sets the value at a dotted `path` to `value` (YAML text: `2`, `10s`, `{uniform: [1s, 2s]}`).
    /// Keys may themselves hold dots (`nginx:1.14-alpine`): at each level the longest existing
    /// key that prefixes the rest of the path wins. Missing keys are created, except children of
    /// [`NAMED_LEVELS`] and near-misses of an existing key (errors with a did-you-mean).
    pub fn set(&mut self, path: &str, value: &str) -> Result<(), String> {
        let parsed = Document::parse(value).map_err(|e| format!("value {value:?} is not YAML: {}", e.message))?.0;
        let mut node = &mut self.0;
        let mut rest = path;
        let mut walked = String::new();
        loop {
            let key = next_key(node, rest, &walked)?;
            rest = rest.get(key.len()..).unwrap_or("").strip_prefix('.').unwrap_or("");
            node = child(node, &key, &walked)?;
            walked = if walked.is_empty() { key } else { format!("{walked}.{key}") };
            if rest.is_empty() {
                *node = parsed;
                return Ok(());
            }
        }
    }

    /// The mappings at `blocks` (dotted paths as given to [`Document::set`], each naming a
    /// mapping), nested under their parent keys, as YAML text to paste into a stack file.
    pub fn snippet(&self, blocks: &[String]) -> String {
        let mut out = Yaml::Map(Vec::new());
        for block in blocks {
            let mut source = &self.0;
            let mut target = &mut out;
            let mut rest = block.as_str();
            let mut walked = String::new();
            while !rest.is_empty() {
                let Ok(key) = next_key(source, rest, &walked) else { break };
                rest = rest.get(key.len()..).unwrap_or("").strip_prefix('.').unwrap_or("");
                let Some(next) = lookup(source, &key) else { break };
                source = next;
                let Yaml::Map(map) = target else { break };
                let at = match map.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        let placeholder = if rest.is_empty() { source.clone() } else { Yaml::Map(Vec::new()) };
                        map.push((key.clone(), placeholder));
                        map.len() - 1
                    }
                };
                target = &mut map[at].1;
                walked = if walked.is_empty() { key } else { format!("{walked}.{key}") };
            }
        }
        emit_document(&out)
    }
}

/// The child `key` of a mapping, or item `key` of a list.
fn lookup<'v>(node: &'v Yaml, key: &str) -> Option<&'v Yaml> {
    match node {
        Yaml::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        Yaml::Seq(items) => items.get(key.parse::<usize>().ok()?),
        _ => None,
    }
}

/// The key of `node` that `rest` starts with: the longest existing one, else the text up to the
/// next dot (checked for typos and for named levels).
fn next_key(node: &Yaml, rest: &str, walked: &str) -> Result<String, String> {
    let existing: Vec<String> = match node {
        Yaml::Map(entries) => entries.iter().map(|(k, _)| k.clone()).collect(),
        Yaml::Seq(items) => (0..items.len()).map(|i| i.to_string()).collect(),
        _ => Vec::new(),
    };
    let prefixes = |k: &&String| rest == k.as_str() || rest.starts_with(&format!("{k}."));
    if let Some(found) = existing.iter().filter(prefixes).max_by_key(|k| k.len()) {
        return Ok(found.clone());
    }
    let wanted = rest.split('.').next().unwrap_or(rest).to_string();
    let names: Vec<&str> = existing.iter().map(String::as_str).collect();
    let at = if walked.is_empty() { "the top level".to_string() } else { walked.to_string() };
    let near = near_key(rest, &names);
    // With a near miss, the wanted key is as long as the key it resembles (keys may hold dots).
    let wanted = near.map_or(wanted, |k| rest.chars().take(k.chars().count()).collect());
    let hint = near.map(|c| format!("; did you mean {c}?"));
    if hint.is_some() || NAMED_LEVELS.contains(&walked) || matches!(node, Yaml::Seq(_)) {
        let known = if names.is_empty() { String::new() } else { format!(" (it has {})", names.join(", ")) };
        return Err(format!("no key {wanted} in {at}{}", hint.unwrap_or(known)));
    }
    Ok(wanted)
}

/// The existing key closest to the start of `rest` (keys may hold dots, so each key is compared
/// with as many characters of `rest` as it has), if close enough to be a typo.
fn near_key<'k>(rest: &str, keys: &[&'k str]) -> Option<&'k str> {
    keys.iter()
        .filter_map(|k| {
            let prefix: String = rest.chars().take(k.chars().count()).collect();
            super::suggest::closest(&prefix, &[k]).map(|c| (super::suggest::levenshtein(&prefix, c), c))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The child `key` of `node`, created (as null) when missing; a null becomes a map.
fn child<'v>(node: &'v mut Yaml, key: &str, walked: &str) -> Result<&'v mut Yaml, String> {
    if *node == Yaml::Null {
        *node = Yaml::Map(Vec::new());
    }
    match node {
        Yaml::Seq(items) => {
            let index: usize = key.parse().map_err(|_| format!("{walked} is a list: use an index"))?;
            items.get_mut(index).ok_or_else(|| format!("{walked} has no item {index}"))
        }
        Yaml::Map(map) => {
            let at = match map.iter().position(|(k, _)| k == key) {
                Some(i) => i,
                None => {
                    map.push((key.to_string(), Yaml::Null));
                    map.len() - 1
                }
            };
            Ok(&mut map[at].1)
        }
        _ => Err(format!("{walked} is a plain value, not a mapping")),
    }
}

/// A tree as block YAML, laid out as libyaml's emitter (serde_yaml) did: two-space indents, lists
/// in a mapping not indented, `{}`/`[]` for empty collections, strings quoted when they would
/// read back as something else, multi-line strings as literal blocks.
fn emit_document(tree: &Yaml) -> String {
    let mut out = String::new();
    match tree {
        Yaml::Map(m) if !m.is_empty() => emit_map(m, 0, false, &mut out),
        Yaml::Seq(s) if !s.is_empty() => emit_seq(s, 0, false, &mut out),
        other => {
            emit_inline(other, 0, &mut out);
            out.push('\n');
        }
    }
    out
}

fn emit_map(entries: &[(String, Yaml)], indent: usize, inline_first: bool, out: &mut String) {
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&scalar_text(k, indent));
        out.push(':');
        match v {
            Yaml::Map(m) if !m.is_empty() => {
                out.push('\n');
                emit_map(m, indent + 2, false, out);
            }
            Yaml::Seq(s) if !s.is_empty() => {
                out.push('\n');
                emit_seq(s, indent, false, out);
            }
            other => {
                out.push(' ');
                emit_inline(other, indent + 2, out);
                out.push('\n');
            }
        }
    }
}

fn emit_seq(items: &[Yaml], indent: usize, inline_first: bool, out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match item {
            Yaml::Map(m) if !m.is_empty() => emit_map(m, indent + 2, true, out),
            Yaml::Seq(s) if !s.is_empty() => emit_seq(s, indent + 2, true, out),
            other => {
                emit_inline(other, indent + 2, out);
                out.push('\n');
            }
        }
    }
}

/// A scalar or an empty collection; a literal block's lines are indented by `indent`.
fn emit_inline(value: &Yaml, indent: usize, out: &mut String) {
    match value {
        Yaml::Null => out.push_str("null"),
        Yaml::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Yaml::Int(i) => out.push_str(&i.to_string()),
        Yaml::Float(x) if x.is_nan() => out.push_str(".nan"),
        Yaml::Float(x) if x.is_infinite() => out.push_str(if *x > 0.0 { ".inf" } else { "-.inf" }),
        Yaml::Float(x) => out.push_str(&format!("{x:?}")),
        Yaml::Str(s) => out.push_str(&scalar_text(s, indent)),
        Yaml::Seq(_) => out.push_str("[]"),
        Yaml::Map(_) => out.push_str("{}"),
    }
}

/// A string as libyaml writes it: plain when it reads back as the same string, a literal block
/// when it has line breaks, else single-quoted, or double-quoted when it holds control
/// characters.
fn scalar_text(s: &str, indent: usize) -> String {
    if s.contains('\n') && !s.chars().any(|c| c.is_control() && c != '\n') {
        return literal_block(s, indent);
    }
    // libyaml counts a tab as a special character too: double quotes, with `\t`.
    if s.chars().any(char::is_control) {
        let escaped: String = s
            .chars()
            .map(|c| match c {
                '"' => "\\\"".to_string(),
                '\\' => "\\\\".to_string(),
                '\n' => "\\n".to_string(),
                '\t' => "\\t".to_string(),
                c if c.is_control() => format!("\\x{:02X}", c as u32),
                c => c.to_string(),
            })
            .collect();
        return format!("\"{escaped}\"");
    }
    let reads_back = resolve_plain(s) == Yaml::Str(s.to_string()) && !serde_yaml_special(s);
    if reads_back && plain_allowed(s) { s.to_string() } else { format!("'{}'", s.replace('\'', "''")) }
}

/// Strings YAML 1.2 readers (serde_yaml among them) take for numbers: quoted too, so that both
/// kinds of reader read the text back alike.
fn serde_yaml_special(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    body.len() > 1 && body.starts_with('0') && body[1..].bytes().all(|b| b.is_ascii_digit())
}

/// libyaml's test for a plain scalar in block context (`yaml_emitter_analyze_scalar`).
fn plain_allowed(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    if s.starts_with("---") || s.starts_with("...") || s.starts_with(' ') || s.ends_with(' ') {
        return false;
    }
    let chars: Vec<char> = s.chars().collect();
    let followed_by_blank = |i: usize| chars.get(i + 1).is_none_or(|c| *c == ' ' || *c == '\t');
    if "#,[]{}&*!|>'\"%@`".contains(first) || (matches!(first, '?' | ':' | '-') && followed_by_blank(0)) {
        return false;
    }
    for (i, &c) in chars.iter().enumerate() {
        if c == ':' && followed_by_blank(i) {
            return false;
        }
        if c == '#' && i > 0 && (chars[i - 1] == ' ' || chars[i - 1] == '\t') {
            return false;
        }
    }
    true
}

/// `|`, `|-` or `|+` with the lines indented by `indent` (blank lines left empty).
fn literal_block(s: &str, indent: usize) -> String {
    let trailing = s.len() - s.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let indicator = if s.starts_with(' ') { "2" } else { "" };
    let mut out = format!("|{indicator}{chomp}");
    let body = if trailing == 1 { &s[..s.len() - 1] } else { s.trim_end_matches('\n') };
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&" ".repeat(indent));
            out.push_str(line);
        }
    }
    for _ in 1..trailing.max(1) {
        if trailing > 1 {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_types_and_merges() {
        let (y, _) = parse("b: 1\na: [x, 2.5, true, ~]\nbase: &b {k: v}\nm:\n  <<: *b\n  j: 3\n").unwrap();
        let Yaml::Map(entries) = y else { panic!("not a map") };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "base", "m"]);
        assert_eq!(entries[1].1.render(), "[x, 2.5, true, null]");
        assert_eq!(entries[3].1.render(), "{j: 3, k: v}");
    }

    #[test]
    fn plain_scalars_resolve_as_yaml_1_1_reads_them() {
        let (y, _) =
            parse("a: [yes, No, on, OFF, y, 0400, 0x1F, -12, 1_000, 08, 3.8, .5, 1e3, ~, '0400', 3.8.1, 1:20]\n")
                .unwrap();
        assert_eq!(
            y.render(),
            "{a: [true, false, true, false, true, 256, 31, -12, 1000, 8, 3.8, 0.5, 1000, null, 0400, 3.8.1, 1:20]}"
        );
        let Yaml::Map(e) = y else { panic!("a map") };
        let Yaml::Seq(items) = &e[0].1 else { panic!("a list") };
        assert_eq!(items[9], Yaml::Float(8.0), "08 is not octal: yaml.v2 falls back to its float pattern");
        assert_eq!(items[14], Yaml::Str("0400".into()), "quoted stays a string");
    }

    #[test]
    fn every_key_and_item_has_its_position_in_block_and_flow_style() {
        let text =
            "services:\n  web:\n    ports:\n      - 80:80\n      -   target: 81\n    x: {a: 1}\n    y: [p, {b: 2}]\n";
        let (_, spans) = parse(text).unwrap();
        let Spans::Map(top) = &spans else { panic!("a map") };
        let Spans::Map(services) = &top[0].2 else { panic!("services") };
        let Spans::Map(web) = &services[0].2 else { panic!("web") };
        assert_eq!((web[0].0.as_str(), web[0].1), ("ports", (3, 5)));
        let Spans::Seq(ports) = &web[0].2 else { panic!("ports") };
        assert_eq!(ports[0].0, (4, 7), "an item is located at its dash");
        assert_eq!(ports[1].0, (5, 7));
        let Spans::Map(long) = &ports[1].1 else { panic!("a long port") };
        assert_eq!(long[0].1, (5, 11));
        let Spans::Map(flow) = &web[1].2 else { panic!("a flow mapping keeps its keys") };
        assert_eq!((flow[0].0.as_str(), flow[0].1), ("a", (6, 9)));
        let Spans::Seq(items) = &web[2].2 else { panic!("a flow sequence keeps its items") };
        assert_eq!(items[0].0, (7, 9));
        assert_eq!(items[1].0, (7, 12));
        let Spans::Map(inner) = &items[1].1 else { panic!("a mapping in a flow sequence") };
        assert_eq!(inner[0].1, (7, 13));
    }

    #[test]
    fn aliases_are_bounded_and_nesting_is_limited() {
        let mut laughs = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            laughs.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let e = parse(&laughs).unwrap_err();
        assert!(e.message.contains("aliases expand to more than 1000000 nodes"), "{e:?}");
        let mut deep = String::new();
        for level in 0..130 {
            deep.push_str(&format!("{}k:\n", "  ".repeat(level)));
        }
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nested more than 128 levels deep"), "{e:?}");
        let ok = "base: &b {image: a, deploy: {replicas: 2}}\nweb:\n  <<: *b\n  image: c\n";
        let (y, _) = parse(ok).unwrap();
        assert_eq!(y.render(), "{base: {image: a, deploy: {replicas: 2}}, web: {image: c, deploy: {replicas: 2}}}");
    }

    #[test]
    fn duplicate_keys_and_several_documents_are_serde_yamls_errors() {
        let e = parse("a:\n  b: 1\n  c: 2\n  b: 3\n").unwrap_err();
        assert_eq!(e.message, "a: duplicate entry with key \"b\" at line 2 column 3");
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(e.message, "deserializing from YAML containing more than one document is not supported");
        let (y, _) = parse("x: {run: echo s | docker secret create s -}\n").unwrap();
        assert_eq!(y.render(), "{x: {run: echo s | docker secret create s -}}", "the vendored scanner fix");
    }

    #[test]
    fn the_emitter_quotes_what_would_read_back_as_something_else() {
        let text =
            "a: 'yes'\nb: '0400'\nc: \"x: y\"\nd: \"multi\\nline\\n\"\ne: [1, '2']\nf: {}\ng: ''\nh: nginx:1.14\n";
        let doc = Document::parse(text).unwrap();
        let out = doc.to_text();
        assert_eq!(
            out,
            "a: 'yes'\nb: '0400'\nc: 'x: y'\nd: |\n  multi\n  line\ne:\n- 1\n- '2'\nf: {}\ng: ''\nh: nginx:1.14\n"
        );
        assert_eq!(parse(&out).unwrap().0, parse(text).unwrap().0, "it reads back the same");
    }

    #[test]
    fn syntax_errors_have_libyamls_words_and_location() {
        // libyaml's problem and context, each at its mark, as serde_yaml wrote them (a context
        // at the problem's own mark, or at the very start, without it), and the problem's mark
        // as the location; saphyr-parser words these differently and stops elsewhere for some.
        let cases = [
            ("a: 1\n b: 2\n", "mapping values are not allowed in this context at line 2 column 3", (2, 3)),
            (
                "a:\n  b: 1\n c: 2\n",
                "did not find expected key at line 3 column 2, while parsing a block mapping",
                (3, 2),
            ),
            (
                "x:\n  a: 1\n  b: [1, 2\n",
                "did not find expected ',' or ']' at line 4 column 1, while parsing a flow sequence at line 3 column 6",
                (4, 1),
            ),
            (
                "x:\n  - a\n  b: 1\n",
                "did not find expected '-' indicator at line 3 column 3, while parsing a block collection at line 2 column 3",
                (3, 3),
            ),
            (
                "a:\n\t- b\n",
                "found character that cannot start any token at line 2 column 1, while scanning for the next token",
                (2, 1),
            ),
            (
                "k: \"x\n",
                "found unexpected end of stream at line 2 column 1, while scanning a quoted scalar at line 1 column 4",
                (2, 1),
            ),
            ("a: *x\n", "unknown anchor at line 1 column 4", (1, 4)),
        ];
        for (text, message, (line, column)) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!((e.message.as_str(), e.line, e.column), (message, Some(line), Some(column)), "{text:?}");
        }
    }

    #[test]
    fn a_repeated_key_is_refused_before_its_value_is_read() {
        // serde_yaml's order: the outer duplicate, not the one inside its value.
        let e = parse("a:\n  c: 1\na:\n  c: 1\n  c: 2\n").unwrap_err();
        assert_eq!(e.message, "duplicate entry with key \"a\" at line 1 column 1");
        // And before a syntax error further on.
        let e = parse("x:\n  a: 1\n  a: 2\n  b: [\n").unwrap_err();
        assert_eq!(e.message, "x: duplicate entry with key \"a\" at line 2 column 3");
    }

    #[test]
    fn a_syntax_error_after_the_first_document_is_the_several_documents_error() {
        let e = parse("a: 1\n---\nb: [\n").unwrap_err();
        assert_eq!(e.message, "deserializing from YAML containing more than one document is not supported");
        assert_eq!((e.line, e.column), (None, None));
        let e = parse("a: 1\n...\n]\n").unwrap_err();
        assert_eq!(e.message, "deserializing from YAML containing more than one document is not supported");
    }

    #[test]
    fn inputs_that_panic_the_safe_libyaml_port_are_errors() {
        // libyaml-safer 0.3.0 panics on both (its issues 6 and 7); libyaml-rs reports errors.
        let e = parse("x: [!a,b] ]\n").unwrap_err();
        assert_eq!(e.message, "did not find expected key at line 1 column 11, while parsing a block mapping");
        let e = parse("a: ''|\n 0").unwrap_err();
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn deep_flow_nesting_is_refused_before_parsing_and_quoted_brackets_do_not_count() {
        let deep = format!("x: {}{}\n", "[".repeat(129), "]".repeat(129));
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nested more than 128 levels"), "{e:?}");
        assert_eq!((e.line, e.column), (Some(1), Some(4 + 128)));
        let within = format!("x: {}{}\n", "{a: ".repeat(120), "}".repeat(120));
        assert!(parse(&within).is_ok(), "the parser's own limit counts the block levels too (128 in all)");
        let quoted = format!("x: \"{}\"\ny: '{}'\n# {}\n", "[".repeat(500), "{".repeat(500), "[".repeat(500));
        assert!(parse(&quoted).is_ok());
    }

    #[test]
    fn sets_values_at_dotted_paths() {
        let text = "services:\n  web:\n    deploy:\n      update_config:\n        parallelism: 2\n\
                    x-simulation:\n  images:\n    nginx:1.14-alpine:\n      pull: 3s\n";
        let mut doc = Document::parse(text).unwrap();
        doc.set("services.web.deploy.update_config.parallelism", "4").unwrap();
        doc.set("services.web.deploy.update_config.delay", "10s").unwrap();
        doc.set("services.web.deploy.rollback_config.delay", "1s").unwrap();
        doc.set("x-simulation.images.nginx:1.14-alpine.pull", "{uniform: [1s, 2s]}").unwrap();
        let (back, _) = parse(&doc.to_text()).unwrap();
        let rendered = back.render();
        assert!(rendered.contains("update_config: {parallelism: 4, delay: 10s}"), "{rendered}");
        assert!(rendered.contains("rollback_config: {delay: 1s}"), "{rendered}");
        assert!(rendered.contains("nginx:1.14-alpine: {pull: {uniform: [1s, 2s]}}"), "{rendered}");
        let snippet = doc.snippet(&["services.web.deploy.update_config".to_string()]);
        assert_eq!(
            snippet,
            "services:\n  web:\n    deploy:\n      update_config:\n        parallelism: 4\n        delay: 10s\n"
        );
    }

    #[test]
    fn unknown_paths_are_errors_with_a_hint() {
        let mut doc =
            Document::parse("services:\n  web:\n    deploy:\n      update_config:\n        parallelism: 2\n").unwrap();
        let e = doc.set("services.wbe.deploy.replicas", "1").unwrap_err();
        assert_eq!(e, "no key wbe in services (it has web)");
        let e = doc.set("services.web.deploy.update_config.paralelism", "1").unwrap_err();
        assert_eq!(e, "no key paralelism in services.web.deploy.update_config; did you mean parallelism?");
        let e = doc.set("servics.web", "1").unwrap_err();
        assert!(e.contains("did you mean services?"), "{e}");
    }
}
