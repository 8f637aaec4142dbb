//! The checker every reader uses: typed accessors over the YAML tree that record a diagnostic
//! (with file, line, column, path and hint) instead of failing, so that one pass reports every
//! problem in the file.

use crate::rng::Dist;
use crate::scenario::error::Diagnostic;
use crate::scenario::locate::{Locator, Path, Seg};
use crate::scenario::raw::Yaml;
use crate::scenario::suggest;
use crate::time::{SimDuration, parse_go_duration};

/// A file being read: its name for messages and its block structure for line numbers.
pub(super) struct Doc {
    /// The file name as the user gave it (the first one, when several files are merged: docker
    /// stack deploy resolves relative paths from the first file's folder).
    pub file: String,
    /// Finds the lines of paths.
    pub locator: Locator,
    /// Files merged over this one (`docker stack deploy -c a.yml -c b.yml`), in order: a path
    /// is shown in the file that holds most of it, the later one on a tie (it won the merge).
    pub overrides: Vec<(String, Locator)>,
}

impl Doc {
    /// Prepares `text`, read from `file` and parsed with `spans`, for locating paths.
    pub(super) fn new(file: &str, text: &str, spans: crate::scenario::raw::Spans) -> Doc {
        Doc { file: file.to_string(), locator: Locator::new(text, spans), overrides: Vec::new() }
    }
}

/// Everything found so far, across files.
#[derive(Debug, Default)]
pub(super) struct Findings {
    /// Problems that make the scenario invalid.
    pub errors: Vec<Diagnostic>,
    /// Things Docker would ignore or warn about.
    pub warnings: Vec<Diagnostic>,
    /// Where a value could not be read at all (an interpolation that failed): a later error at
    /// the same place would only be a consequence of the first (`must be an integer` of a
    /// `${N:?}` left as text), so it is not reported.
    pub unreadable: Vec<(String, usize, usize)>,
}

/// Reads values out of one document, recording problems in `out`.
pub(super) struct Checker<'a> {
    /// The document.
    pub doc: &'a Doc,
    /// Where problems go.
    pub out: &'a mut Findings,
}

/// A mapping's entries, in file order.
pub(super) type Entries = [(String, Yaml)];

/// A YAML 1.1 boolean word as gopkg.in/yaml.v2's `resolve` table lists it.
pub(super) fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// The value of `key` in a mapping.
pub(super) fn get<'v>(entries: &'v Entries, key: &str) -> Option<&'v Yaml> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl<'a> Checker<'a> {
    /// A diagnostic shown as `shown` but located at `at` (e.g. the offending child key).
    pub(super) fn diagnostic(&self, shown: &Path, at: &Path, message: String, hint: Option<String>) -> Diagnostic {
        let mut file = &self.doc.file;
        let mut locator = &self.doc.locator;
        let mut found = self.doc.locator.find_depth(at);
        for (other_file, other) in &self.doc.overrides {
            if let Some(hit) = other.find_depth(at)
                && found.is_none_or(|(depth, _)| hit.0 >= depth)
            {
                (file, locator, found) = (other_file, other, Some(hit));
            }
        }
        let found = found.map(|(_, at)| at);
        Diagnostic {
            file: file.clone(),
            line: found.map(|(l, _)| l),
            column: found.map(|(_, c)| c),
            path: shown.to_string(),
            message,
            hint,
            // The locator's lines have whatever a `run:` feeds to standard input hidden.
            source_line: found.and_then(|(l, _)| locator.source_line(l)).map(str::to_string),
        }
    }

    /// Records an error at `path`.
    pub(super) fn error(&mut self, path: &Path, message: impl Into<String>, hint: Option<String>) {
        self.error_at(path, path, message, hint);
    }

    /// Records an error shown as `shown` and located at `at`.
    pub(super) fn error_at(&mut self, shown: &Path, at: &Path, message: impl Into<String>, hint: Option<String>) {
        let d = self.diagnostic(shown, at, message.into(), hint);
        if let (Some(line), Some(column)) = (d.line, d.column)
            && self.out.unreadable.iter().any(|(f, l, c)| *f == d.file && *l == line && *c == column)
        {
            return;
        }
        self.out.errors.push(d);
    }

    /// Records an error at `at` that leaves its value unreadable: later errors there are not
    /// reported (see [`Findings::unreadable`]).
    pub(super) fn unreadable_at(&mut self, shown: &Path, at: &Path, message: impl Into<String>) {
        let d = self.diagnostic(shown, at, message.into(), None);
        if let (Some(line), Some(column)) = (d.line, d.column) {
            self.out.unreadable.push((d.file.clone(), line, column));
        }
        self.out.errors.push(d);
    }

    /// Records a warning at `path`.
    pub(super) fn warn(&mut self, path: &Path, message: impl Into<String>, hint: Option<String>) {
        self.warn_at(path, path, message, hint);
    }

    /// The plain scalar at `path` as written in the file, for a `key: value` on one line, in
    /// block or flow style (None otherwise): YAML reads `20.10` as the number 20.1, and a hint
    /// must show what the user typed. In `{engine: 20.10, until: 10s}` it ends at the `,` (a
    /// plain scalar in a flow collection ends at `,`, `}` or `]`; one that YAML read as a number
    /// has none of them).
    pub(super) fn written(&self, path: &Path) -> Option<String> {
        let Some(Seg::Key(key)) = path.0.last() else { return None };
        let (line, column) = self.doc.locator.find(path)?;
        let text = self.doc.locator.source_line(line)?;
        let rest = text.get(column - 1..)?.strip_prefix(key.as_str())?.trim_start().strip_prefix(':')?;
        let value = rest.split(" #").next().unwrap_or_default();
        let value = value.split([',', '}', ']']).next().unwrap_or_default().trim();
        (!value.is_empty()).then(|| value.to_string())
    }

    /// Records a warning shown as `shown` and located at `at`.
    pub(super) fn warn_at(&mut self, shown: &Path, at: &Path, message: impl Into<String>, hint: Option<String>) {
        let d = self.diagnostic(shown, at, message.into(), hint);
        self.out.warnings.push(d);
    }

    /// The entries of a mapping; `null` (a key with nothing under it) counts as an empty one.
    pub(super) fn entries<'v>(&mut self, v: &'v Yaml, path: &Path) -> Option<&'v Entries> {
        match v {
            Yaml::Map(entries) => Some(entries),
            Yaml::Null => Some(&[]),
            other => {
                self.error(path, "must be a mapping", Some(format!("found {}", other.kind())));
                None
            }
        }
    }

    /// Rejects keys not in `allowed` (and not `x-*` when `allow_x`) in Docker's wording. A key
    /// that belongs to one of the `nested` blocks gets the hint that it must be indented there.
    pub(super) fn check_keys(
        &mut self,
        entries: &Entries,
        path: &Path,
        allowed: &[&str],
        allow_x: bool,
        nested: &[(&str, &[&str])],
    ) {
        for (key, _) in entries {
            if allowed.contains(&key.as_str()) || (allow_x && key.starts_with("x-")) {
                continue;
            }
            // The schemas allow extension keys only at the top level and in service, network,
            // volume, secret and config definitions, never inside deploy or healthcheck.
            let extension = key.starts_with("x-").then(|| {
                "extension (x-) keys are allowed only at the top level and directly in a service or secret".to_string()
            });
            let hint = extension
                .or_else(|| misplaced_hint(key, entries, nested))
                .or_else(|| suggest::closest(key, allowed).map(|c| format!("did you mean {c}?")));
            let message = format!("Additional property {key} is not allowed");
            self.error_at(path, &path.key(key), message, hint);
        }
    }

    /// A string.
    pub(super) fn string(&mut self, v: &Yaml, path: &Path) -> Option<String> {
        match v {
            Yaml::Str(s) => Some(s.clone()),
            _ => {
                self.error(path, "must be a string", Some(format!("found {}", v.kind())));
                None
            }
        }
    }

    /// A string, a number or a boolean, as text (label values, secret names).
    pub(super) fn scalar_text(&mut self, v: &Yaml, path: &Path) -> Option<String> {
        match v {
            Yaml::Str(_) | Yaml::Int(_) | Yaml::Float(_) | Yaml::Bool(_) => Some(v.render()),
            _ => {
                self.error(path, "must be a string", Some(format!("found {}", v.kind())));
                None
            }
        }
    }

    /// A non-negative integer. Numeric strings pass: compose casts them after interpolation.
    pub(super) fn u64(&mut self, v: &Yaml, path: &Path) -> Option<u64> {
        let n = match v {
            Yaml::Int(i) => Some(*i),
            Yaml::Str(s) => s.trim().parse::<i128>().ok(),
            _ => None,
        };
        match n {
            Some(i) if (0..=u64::MAX as i128).contains(&i) => Some(i as u64),
            Some(_) => {
                self.error(path, "must be a non-negative integer", None);
                None
            }
            None => {
                self.error(path, "must be an integer", Some(format!("found {}", v.kind())));
                None
            }
        }
    }

    /// An integer that fits `i32` (exit codes).
    pub(super) fn i32(&mut self, v: &Yaml, path: &Path) -> Option<i32> {
        match v {
            Yaml::Int(i) if i32::try_from(*i).is_ok() => Some(*i as i32),
            _ => {
                self.error(path, "must be an integer between -2147483648 and 2147483647", None);
                None
            }
        }
    }

    /// A finite number (numeric strings pass, as for integers).
    pub(super) fn f64(&mut self, v: &Yaml, path: &Path) -> Option<f64> {
        let x = match v {
            Yaml::Int(i) => Some(*i as f64),
            Yaml::Float(f) => Some(*f),
            Yaml::Str(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match x {
            Some(x) if x.is_finite() => Some(x),
            _ => {
                self.error(path, "must be a number", Some(format!("found {}", v.kind())));
                None
            }
        }
    }

    /// A number in `[0, 1]`.
    pub(super) fn probability(&mut self, v: &Yaml, path: &Path) -> Option<f64> {
        let x = self.f64(v, path)?;
        if (0.0..=1.0).contains(&x) {
            Some(x)
        } else {
            self.error(path, format!("must be between 0 and 1, not {x}"), None);
            None
        }
    }

    /// A share: a number in [0, 1] or a percentage (`"20%"`), in parts per million.
    pub(super) fn share_ppm(&mut self, v: &Yaml, path: &Path) -> Option<u32> {
        let x = match v {
            Yaml::Str(s) if s.trim().ends_with('%') => {
                let number = s.trim().trim_end_matches('%').trim();
                match number.parse::<f64>() {
                    Ok(p) => p / 100.0,
                    Err(_) => {
                        self.error(path, format!("{s:?} is not a percentage"), Some("write e.g. 20% or 0.2".into()));
                        return None;
                    }
                }
            }
            other => self.f64(other, path)?,
        };
        if (0.0..=1.0).contains(&x) {
            Some((x * 1_000_000.0).round() as u32)
        } else {
            self.error(path, format!("must be between 0 and 1 (or 0% and 100%), not {x}"), None);
            None
        }
    }

    /// A boolean (`"true"`/`"false"` strings pass, as compose casts them).
    /// A boolean. docker/cli reads compose files with gopkg.in/yaml.v2, a YAML 1.1 reader, where
    /// `yes`/`no`, `on`/`off` and `y`/`n` (in any of their three casings) are booleans; the YAML
    /// 1.2 parser here reads them as strings, so they are taken where a boolean is expected.
    pub(super) fn bool(&mut self, v: &Yaml, path: &Path) -> Option<bool> {
        match v {
            Yaml::Bool(b) => Some(*b),
            Yaml::Str(s) if yaml11_bool(s).is_some() => yaml11_bool(s),
            _ => {
                self.error(path, "must be a boolean", Some(format!("found {}", v.kind())));
                None
            }
        }
    }

    /// A file mode (`mode: 0400`): an integer, or digits with a leading zero, which YAML 1.1
    /// (Docker's reader) takes as octal and the YAML 1.2 parser here leaves as a string.
    pub(super) fn file_mode(&mut self, v: &Yaml, path: &Path) -> Option<u32> {
        let mode = match v {
            Yaml::Int(i) => u32::try_from(*i).ok(),
            Yaml::Str(s) if s.len() > 1 && s.starts_with('0') => u32::from_str_radix(&s[1..], 8).ok(),
            Yaml::Str(s) => s.parse::<u32>().ok(),
            _ => None,
        };
        if mode.is_none() {
            let hint = "write the mode in octal with a leading zero, e.g. mode: 0440 (as chmod takes it)";
            self.error(path, "must be a file mode", Some(format!("found {}; {hint}", v.kind())));
        }
        mode
    }

    /// A Go duration string. A bare number is rejected as Docker rejects it (no unit).
    pub(super) fn duration(&mut self, v: &Yaml, path: &Path) -> Option<SimDuration> {
        match v {
            Yaml::Str(s) => match parse_go_duration(s) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.error(path, format!("is not a valid duration: {e}"), None);
                    None
                }
            },
            Yaml::Int(_) | Yaml::Float(_) => {
                let hint = format!("write \"{}s\" (durations are strings with a unit)", v.render());
                self.error(path, "must be a string", Some(hint));
                None
            }
            _ => {
                self.error(path, "must be a string", Some(format!("found {}; write e.g. \"10s\"", v.kind())));
                None
            }
        }
    }

    /// One of `options`, in Docker's wording, with a did-you-mean.
    pub(super) fn choice<T: Copy>(&mut self, v: &Yaml, path: &Path, options: &[(&str, T)]) -> Option<T> {
        if let Yaml::Str(s) = v
            && let Some((_, t)) = options.iter().find(|(name, _)| name == s)
        {
            return Some(*t);
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let message = format!("must be one of the following: {}", suggest::one_of(&names));
        let hint = match v {
            Yaml::Str(s) => suggest::did_you_mean_value(s, &names),
            other => Some(format!("found {}", other.kind())),
        };
        self.error(path, message, hint);
        None
    }

    /// A distribution: a duration, `{uniform: [a, b]}`, `{normal: {mean, stddev}}` or
    /// `{lognormal: {median, sigma}}`.
    pub(super) fn dist(&mut self, v: &Yaml, path: &Path) -> Option<Dist> {
        let Yaml::Map(entries) = v else {
            return self.duration(v, path).map(Dist::Fixed);
        };
        const KINDS: [&str; 3] = ["uniform", "normal", "lognormal"];
        if entries.len() != 1 {
            let hint = "write a duration (\"2s\"), {uniform: [1s, 3s]}, {normal: {mean: 2s, stddev: 500ms}} or {lognormal: {median: 2s, sigma: 0.5}}";
            self.error(
                path,
                "must be a duration or a mapping with exactly one of uniform, normal, lognormal",
                Some(hint.into()),
            );
            return None;
        }
        let (kind, body) = (&entries[0].0, &entries[0].1);
        let at = path.key(kind);
        match kind.as_str() {
            "uniform" => self.uniform(body, &at),
            "normal" => self.normal(body, &at),
            "lognormal" => self.lognormal(body, &at),
            _ => {
                self.check_keys(entries, path, &KINDS, false, &[]);
                None
            }
        }
    }

    fn uniform(&mut self, v: &Yaml, path: &Path) -> Option<Dist> {
        let Yaml::Seq(items) = v else {
            self.error(path, "must be a list of two durations", Some("write uniform: [1s, 3s]".into()));
            return None;
        };
        if items.len() != 2 {
            self.error(path, "must be a list of two durations", Some("write uniform: [1s, 3s]".into()));
            return None;
        }
        let lo = self.duration(&items[0], &path.index(0));
        let hi = self.duration(&items[1], &path.index(1));
        let (lo, hi) = (lo?, hi?);
        if lo > hi {
            self.error(path, format!("lower bound {lo} is above upper bound {hi}"), None);
            return None;
        }
        Some(Dist::Uniform(lo, hi))
    }

    fn normal(&mut self, v: &Yaml, path: &Path) -> Option<Dist> {
        let entries = self.entries(v, path)?;
        self.check_keys(entries, path, &["mean", "stddev"], false, &[]);
        let mean = self.required(entries, path, "mean", Self::duration);
        let stddev = self.required(entries, path, "stddev", Self::duration);
        Some(Dist::Normal { mean: mean?, stddev: stddev? })
    }

    fn lognormal(&mut self, v: &Yaml, path: &Path) -> Option<Dist> {
        let entries = self.entries(v, path)?;
        self.check_keys(entries, path, &["median", "sigma"], false, &[]);
        let median = self.required(entries, path, "median", Self::duration);
        let sigma = self.required(entries, path, "sigma", Self::f64);
        let sigma = sigma?;
        if sigma < 0.0 {
            self.error(&path.key("sigma"), "must not be negative", None);
            return None;
        }
        Some(Dist::LogNormal { median: median?, sigma })
    }

    /// Reads `key` with `read`, or records `key is required`.
    pub(super) fn required<T>(
        &mut self,
        entries: &Entries,
        path: &Path,
        key: &str,
        read: impl FnOnce(&mut Self, &Yaml, &Path) -> Option<T>,
    ) -> Option<T> {
        match get(entries, key) {
            Some(v) => read(self, v, &path.key(key)),
            None => {
                self.error(path, format!("{key} is required"), None);
                None
            }
        }
    }

    /// Reads `key` with `read` when present.
    pub(super) fn optional<T>(
        &mut self,
        entries: &Entries,
        path: &Path,
        key: &str,
        read: impl FnOnce(&mut Self, &Yaml, &Path) -> Option<T>,
    ) -> Option<T> {
        get(entries, key).and_then(|v| read(self, v, &path.key(key)))
    }
}

/// `did you mean update_config.parallelism? (...)` when `key` belongs to a nested block;
/// a block present as a sibling (the mis-indented case) is preferred.
fn misplaced_hint(key: &str, siblings: &Entries, nested: &[(&str, &[&str])]) -> Option<String> {
    let owners: Vec<&str> = nested.iter().filter(|(_, keys)| keys.contains(&key)).map(|(block, _)| *block).collect();
    let block = owners.iter().find(|b| siblings.iter().any(|(k, _)| k == *b)).or_else(|| owners.first())?;
    Some(format!("did you mean {block}.{key}? ({block} keys must be indented under it)"))
}
