//! YAML text to a plain tree. The only file that touches `serde_yaml`, so that changing the YAML
//! library is a one-file change.

use crate::limits::MAX_YAML_FLOW_DEPTH;

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

/// Parses one YAML document, applying `<<` merge keys (compose files use them with anchors).
pub(super) fn parse(text: &str) -> Result<Yaml, ParseError> {
    check_flow_depth(text)?;
    let mut value: serde_yaml::Value = serde_yaml::from_str(text).map_err(to_parse_error)?;
    value.apply_merge().map_err(to_parse_error)?;
    Ok(convert(value))
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

fn to_parse_error(e: serde_yaml::Error) -> ParseError {
    let location = e.location();
    ParseError {
        message: e.to_string(),
        line: location.as_ref().map(|l| l.line()),
        column: location.as_ref().map(|l| l.column()),
    }
}

fn convert(value: serde_yaml::Value) -> Yaml {
    use serde_yaml::Value;
    match value {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Bool(b),
        Value::Number(n) => convert_number(&n),
        Value::String(s) => Yaml::Str(s),
        Value::Sequence(items) => Yaml::Seq(items.into_iter().map(convert).collect()),
        Value::Mapping(map) => Yaml::Map(map.into_iter().map(|(k, v)| (convert(k).render(), convert(v))).collect()),
        // Tags (`!reset`, `!override`) carry no meaning for a v3 stack: keep the value.
        Value::Tagged(tagged) => convert(tagged.value),
    }
}

fn convert_number(n: &serde_yaml::Number) -> Yaml {
    if let Some(u) = n.as_u64() {
        Yaml::Int(u as i128)
    } else if let Some(i) = n.as_i64() {
        Yaml::Int(i as i128)
    } else {
        Yaml::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// A YAML document kept whole, for tools that edit a scenario before loading it (`deploysim
/// sweep`). Editing happens here so that `serde_yaml` stays in this file.
#[derive(Clone, Debug)]
pub struct Document(serde_yaml::Value);

/// Keys whose children name things (services, images): a missing child is a typo, never a key
/// to create, since creating `services.wbe` would silently add a service.
const NAMED_LEVELS: &[&str] = &["", "services", "x-simulation.images", "x-simulation.cluster"];

impl Document {
    /// Parses one YAML document (no merge keys applied: the text is re-serialised as written).
    pub fn parse(text: &str) -> Result<Document, ParseError> {
        serde_yaml::from_str(text).map(Document).map_err(to_parse_error)
    }

    /// The document as YAML text (comments are lost; the loader does not need them).
    pub fn to_text(&self) -> String {
        // Serialising a tree that was parsed from YAML cannot fail.
        serde_yaml::to_string(&self.0).unwrap_or_default()
    }

    /// Sets the value at a dotted `path` to `value` (YAML text: `2`, `10s`, `{uniform: [1s, 2s]}`).
    /// Keys may themselves hold dots (`nginx:1.14-alpine`): at each level the longest existing
    /// key that prefixes the rest of the path wins. Missing keys are created, except children of
    /// [`NAMED_LEVELS`] and near-misses of an existing key (errors with a did-you-mean).
    pub fn set(&mut self, path: &str, value: &str) -> Result<(), String> {
        let parsed: serde_yaml::Value =
            serde_yaml::from_str(value).map_err(|e| format!("value {value:?} is not YAML: {e}"))?;
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
        let mut out = serde_yaml::Value::Mapping(serde_yaml::Mapping::new());
        for block in blocks {
            let mut source = &self.0;
            let mut target = &mut out;
            let mut rest = block.as_str();
            let mut walked = String::new();
            while !rest.is_empty() {
                let Ok(key) = next_key(source, rest, &walked) else { break };
                rest = rest.get(key.len()..).unwrap_or("").strip_prefix('.').unwrap_or("");
                let Some(next) = source.get(key.as_str()) else { break };
                source = next;
                let map = target.as_mapping_mut().expect("the snippet is built from mappings");
                let k = serde_yaml::Value::String(key.clone());
                let placeholder = if rest.is_empty() { source.clone() } else { empty_map() };
                target = map.entry(k).or_insert(placeholder);
                walked = if walked.is_empty() { key } else { format!("{walked}.{key}") };
            }
        }
        serde_yaml::to_string(&out).unwrap_or_default()
    }
}

fn empty_map() -> serde_yaml::Value {
    serde_yaml::Value::Mapping(serde_yaml::Mapping::new())
}

/// The key of `node` that `rest` starts with: the longest existing one, else the text up to the
/// next dot (checked for typos and for named levels).
fn next_key(node: &serde_yaml::Value, rest: &str, walked: &str) -> Result<String, String> {
    let existing: Vec<String> = match node {
        serde_yaml::Value::Mapping(map) => map.keys().map(|k| convert(k.clone()).render()).collect(),
        serde_yaml::Value::Sequence(items) => (0..items.len()).map(|i| i.to_string()).collect(),
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
    if hint.is_some() || NAMED_LEVELS.contains(&walked) || matches!(node, serde_yaml::Value::Sequence(_)) {
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

/// The child `key` of `node`, created (as an empty mapping) when missing; a null becomes a map.
fn child<'v>(node: &'v mut serde_yaml::Value, key: &str, walked: &str) -> Result<&'v mut serde_yaml::Value, String> {
    if node.is_null() {
        *node = empty_map();
    }
    match node {
        serde_yaml::Value::Sequence(items) => {
            let index: usize = key.parse().map_err(|_| format!("{walked} is a list: use an index"))?;
            items.get_mut(index).ok_or_else(|| format!("{walked} has no item {index}"))
        }
        serde_yaml::Value::Mapping(map) => {
            let existing = map.keys().find(|k| convert((*k).clone()).render() == key).cloned();
            let k = existing.unwrap_or_else(|| serde_yaml::Value::String(key.to_string()));
            Ok(map.entry(k).or_insert(serde_yaml::Value::Null))
        }
        _ => Err(format!("{walked} is a plain value, not a mapping")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_types_and_merges() {
        let y = parse("b: 1\na: [x, 2.5, true, ~]\nbase: &b {k: v}\nm:\n  <<: *b\n  j: 3\n").unwrap();
        let Yaml::Map(entries) = y else { panic!("not a map") };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "base", "m"]);
        assert_eq!(entries[1].1.render(), "[x, 2.5, true, null]");
        assert_eq!(entries[3].1.render(), "{j: 3, k: v}");
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let e = parse("a: 1\n b: 2\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.column.is_some());
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
        let back = parse(&doc.to_text()).unwrap();
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
