//! YAML text to a plain tree. The only file that touches `serde_yaml`, so that changing the YAML
//! library is a one-file change.

/// A YAML value, reduced to what a compose file can hold. Mappings keep file order.
#[derive(Clone, Debug, PartialEq)]
pub enum Yaml {
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
    pub fn kind(&self) -> &'static str {
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
    pub fn render(&self) -> String {
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
pub fn parse(text: &str) -> Result<Yaml, ParseError> {
    let mut value: serde_yaml::Value = serde_yaml::from_str(text).map_err(to_parse_error)?;
    value.apply_merge().map_err(to_parse_error)?;
    Ok(convert(value))
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
}
