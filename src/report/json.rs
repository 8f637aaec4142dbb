//! A minimal ordered JSON tree and pretty printer for `summary.json`.
//!
//! Why not `serde_json::Value`: without the `preserve_order` and `arbitrary_precision` features
//! (not enabled in this crate) it sorts keys and prints numbers through `f64`, so `51.200` would
//! come out as `51.2` and the services would lose their scenario order. Here keys keep insertion
//! order and numbers are printed from exact decimal text. Strings are escaped by serde_json.

use crate::report::availability::Ratio;
use crate::time::{SimDuration, SimTime};

/// A JSON value whose numbers are already decimal text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// An integer.
    pub fn uint(n: u64) -> Json {
        Json::Number(n.to_string())
    }

    /// Seconds since the start, with exactly three decimals.
    pub fn time(t: SimTime) -> Json {
        Json::Number(t.secs_ms())
    }

    /// A duration in seconds, with exactly three decimals.
    pub fn secs(d: SimDuration) -> Json {
        Json::Number(d.secs_ms())
    }

    /// A ratio with exactly four decimals.
    pub fn ratio(r: Ratio) -> Json {
        Json::Number(r.fixed(4))
    }

    /// A string.
    pub fn str(s: &str) -> Json {
        Json::String(s.to_string())
    }

    /// `null` for `None`, else `f(value)`.
    pub fn opt<T>(value: Option<T>, f: impl FnOnce(T) -> Json) -> Json {
        value.map_or(Json::Null, f)
    }

    /// An object with the keys in the order given.
    pub fn object(pairs: Vec<(&str, Json)>) -> Json {
        Json::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// Two-space indented text, laid out as `serde_json::to_string_pretty` does, without a
    /// trailing newline.
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Number(text) => out.push_str(text),
            Json::String(s) => push_string(out, s),
            Json::Array(items) => {
                write_container(out, depth, ('[', ']'), items, |out, item| item.write(out, depth + 1))
            }
            Json::Object(pairs) => write_container(out, depth, ('{', '}'), pairs, |out, (key, value)| {
                push_string(out, key);
                out.push_str(": ");
                value.write(out, depth + 1);
            }),
        }
    }
}

/// `[]`/`{}` when empty, else one indented item per line.
fn write_container<T>(
    out: &mut String,
    depth: usize,
    (open, close): (char, char),
    items: &[T],
    mut write_item: impl FnMut(&mut String, &T),
) {
    out.push(open);
    if !items.is_empty() {
        for (i, item) in items.iter().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            indent(out, depth + 1);
            write_item(out, item);
        }
        out.push('\n');
        indent(out, depth);
    }
    out.push(close);
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn push_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).expect("a str always serializes"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_serde_json_pretty() {
        // Keys already sorted, and numbers whose text serde_json keeps, so the two must agree.
        let tree = Json::object(vec![
            ("a", Json::uint(1)),
            ("b", Json::Array(vec![Json::Null, Json::str("x\"y\n"), Json::Array(vec![])])),
            ("c", Json::object(vec![])),
            ("d", Json::object(vec![("e", Json::Number("1.5".into()))])),
        ]);
        let text = tree.to_pretty();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(text, serde_json::to_string_pretty(&value).unwrap());
    }

    #[test]
    fn keeps_key_order_and_decimal_text() {
        let tree = Json::object(vec![
            ("z", Json::secs(SimDuration(51_200_000_000))),
            ("a", Json::ratio(Ratio { num: 4, den: 5 })),
        ]);
        assert_eq!(tree.to_pretty(), "{\n  \"z\": 51.200,\n  \"a\": 0.8000\n}");
    }
}
