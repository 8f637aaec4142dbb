//! Variable substitution in compose files as `docker stack deploy` does it before it checks
//! any type: docker/cli `cli/compose/template/template.go` (the `${VAR}`, `${VAR:-default}`,
//! `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`, `$VAR` and `$$` forms, tried in that
//! file's order: soft default, hard default, required non-empty, required) and
//! `cli/compose/interpolation/interpolation.go` with `cli/compose/loader/interpolate.go` (every
//! string value of the file, never a key; the values at a few paths are then cast to an
//! integer, a float or a boolean, so that `replicas: ${N}` is a number).
//!
//! The variables come from `x-simulation.env`, then `--env-file` files, then `--env KEY=VALUE`
//! (later wins). Unlike Docker, deploysim never reads its own process environment: the same
//! files and flags always give the same scenario. `x-simulation` itself is not interpolated: its
//! `run:` lines are shell commands, where `$` is the shell's.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::scenario::locate::Path;
use crate::scenario::raw::Yaml;
use crate::scenario::validate::{Checker, Entries, yaml11_bool};

/// Variables given on the command line (`--env`, `--env-file`), set once by `main`.
static CLI_VARIABLES: OnceLock<BTreeMap<String, String>> = OnceLock::new();

/// Sets the command line's variables for every scenario this process loads (first call wins).
pub fn set_cli_variables(vars: BTreeMap<String, String>) {
    let _ = CLI_VARIABLES.set(vars);
}

/// Reads `--env-file` files and `--env KEY=VALUE` flags (in that order, later wins) into the
/// variables [`set_cli_variables`] takes. An env file holds `KEY=VALUE` lines; blank lines and
/// lines starting with `#` are skipped; a line without `=` is refused, since it would take its
/// value from the environment, which deploysim does not read.
pub fn cli_variables(env_files: &[std::path::PathBuf], env: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut vars = BTreeMap::new();
    for file in env_files {
        let text = super::read_bounded(file).map_err(|e| format!("cannot read env file {}: {e}", file.display()))?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = assignment(line).map_err(|e| format!("{}:{}: {e}", file.display(), n + 1))?;
            vars.insert(k, v);
        }
    }
    for pair in env {
        let (k, v) = assignment(pair).map_err(|e| format!("--env {pair}: {e}"))?;
        vars.insert(k, v);
    }
    Ok(vars)
}

/// `KEY=VALUE`, with Docker's rule for the key (docker/cli `opts/envfile.go`: no whitespace).
fn assignment(text: &str) -> Result<(String, String), String> {
    let Some((key, value)) = text.split_once('=') else {
        return Err(format!(
            "{text:?} has no value: write KEY=VALUE (deploysim does not read variables from its own environment)"
        ));
    };
    if key.is_empty() {
        return Err("no variable name before =".to_string());
    }
    if key.contains(char::is_whitespace) {
        return Err(format!("variable '{key}' contains whitespaces"));
    }
    Ok((key.to_string(), value.to_string()))
}

/// The command line's variables alone (`--env-file`, then `--env`), for a compose file read
/// without a simulation file around it (`deploysim plan`).
pub(super) fn cli_only() -> BTreeMap<String, String> {
    CLI_VARIABLES.get().cloned().unwrap_or_default()
}

/// The variables for a file: `x-simulation.env` (`env` in `entries`, a mapping of names to
/// scalars), then the command line's.
pub(super) fn variables(c: &mut Checker<'_>, entries: &Entries, path: &Path) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    let env_path = path.key("env");
    if let Some(v) = super::validate::get(entries, "env")
        && let Some(map) = c.entries(v, &env_path)
    {
        for (k, value) in map {
            let text = match value {
                Yaml::Null => Some(String::new()),
                other => c.scalar_text(other, &env_path.key(k)),
            };
            if let Some(text) = text {
                vars.insert(k.clone(), text);
            }
        }
    }
    if let Some(cli) = CLI_VARIABLES.get() {
        vars.extend(cli.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    vars
}

/// The top-level entries of a compose file with every string value substituted (and cast where
/// docker/cli casts). Problems are recorded in `c`; a value that
/// failed keeps its text, so that later checks still see a value. `x-simulation` stays as a key
/// (the version gate checks top-level keys) with nothing under it: the stack reader never looks.
pub(super) fn apply(c: &mut Checker<'_>, root: &Entries, vars: &BTreeMap<String, String>) -> Vec<(String, Yaml)> {
    let mut out = Vec::with_capacity(root.len());
    let mut unset = Vec::new();
    for (key, value) in root {
        if key == "x-simulation" {
            out.push((key.clone(), Yaml::Null));
            continue;
        }
        let mut value = value.clone();
        let path = Path::root().key(key);
        walk(c, &mut value, &path, &mut vec![key.clone()], vars, &mut unset);
        out.push((key.clone(), value));
    }
    for (name, path) in unset {
        // Docker Compose's wording; docker stack deploy substitutes silently.
        let message = format!("The \"{name}\" variable is not set. Defaulting to a blank string.");
        let hint = format!("set it in x-simulation.env or pass --env {name}=VALUE");
        c.warn(&path, message, Some(hint));
    }
    out
}

/// Substitutes in every string under `value`; `docker_path` is the path as docker/cli shows it
/// (`services.web.command.[]`).
fn walk(
    c: &mut Checker<'_>,
    value: &mut Yaml,
    path: &Path,
    docker_path: &mut Vec<String>,
    vars: &BTreeMap<String, String>,
    unset: &mut Vec<(String, Path)>,
) {
    match value {
        Yaml::Str(s) => {
            let mut missing = Vec::new();
            // Only a plain `${VAR}` / `$VAR` left unset is worth a warning: the other forms say
            // what an unset variable means (a default, or an error).
            let lookup = |name: &str, plain: bool| {
                let found = vars.get(name).cloned();
                if found.is_none() && plain {
                    missing.push(name.to_string());
                }
                found
            };
            let shown = docker_path.join(".");
            match substitute(s, lookup) {
                Err(template) => {
                    let message = format!(
                        "invalid interpolation format for {shown}: {template:?}; you may need to escape any $ with another $"
                    );
                    c.unreadable_at(&Path::root(), path, message);
                }
                Ok(new) if new != *s => {
                    unset.extend(missing.into_iter().map(|name| (name, path.clone())));
                    match cast(docker_path, &new) {
                        Some(Ok(typed)) => *value = typed,
                        Some(Err(e)) => {
                            let message =
                                format!("error while interpolating {shown}: failed to cast to expected type: {e}");
                            c.unreadable_at(&Path::root(), path, message);
                        }
                        None => *value = Yaml::Str(new),
                    }
                }
                Ok(_) => {}
            }
        }
        Yaml::Seq(items) => {
            docker_path.push("[]".to_string());
            for (i, item) in items.iter_mut().enumerate() {
                walk(c, item, &path.index(i), docker_path, vars, unset);
            }
            docker_path.pop();
        }
        Yaml::Map(entries) => {
            for (k, item) in entries.iter_mut() {
                docker_path.push(k.clone());
                walk(c, item, &path.key(k), docker_path, vars, unset);
                docker_path.pop();
            }
        }
        _ => {}
    }
}

/// What a value at a path is cast to after substitution (docker/cli `interpolateTypeCastMapping`).
#[derive(Clone, Copy)]
enum Cast {
    Int,
    Float,
    Bool,
}

/// docker/cli's cast table: `*` matches any one key, `[]` any list item.
const CASTS: &[(&str, Cast)] = &[
    ("services.*.configs.[].mode", Cast::Int),
    ("services.*.secrets.[].mode", Cast::Int),
    ("services.*.healthcheck.retries", Cast::Int),
    ("services.*.healthcheck.disable", Cast::Bool),
    ("services.*.deploy.replicas", Cast::Int),
    ("services.*.deploy.update_config.parallelism", Cast::Int),
    ("services.*.deploy.update_config.max_failure_ratio", Cast::Float),
    ("services.*.deploy.rollback_config.parallelism", Cast::Int),
    ("services.*.deploy.rollback_config.max_failure_ratio", Cast::Float),
    ("services.*.deploy.restart_policy.max_attempts", Cast::Int),
    ("services.*.deploy.placement.max_replicas_per_node", Cast::Int),
    ("services.*.ports.[].target", Cast::Int),
    ("services.*.ports.[].published", Cast::Int),
    ("services.*.ulimits.*", Cast::Int),
    ("services.*.ulimits.*.hard", Cast::Int),
    ("services.*.ulimits.*.soft", Cast::Int),
    ("services.*.privileged", Cast::Bool),
    ("services.*.oom_score_adj", Cast::Int),
    ("services.*.read_only", Cast::Bool),
    ("services.*.stdin_open", Cast::Bool),
    ("services.*.tty", Cast::Bool),
    ("services.*.volumes.[].read_only", Cast::Bool),
    ("services.*.volumes.[].volume.nocopy", Cast::Bool),
    ("networks.*.external", Cast::Bool),
    ("networks.*.internal", Cast::Bool),
    ("networks.*.attachable", Cast::Bool),
    ("volumes.*.external", Cast::Bool),
    ("secrets.*.external", Cast::Bool),
    ("configs.*.external", Cast::Bool),
];

/// The cast for `path`, applied to `text`, with Go's error wording (`strconv.Atoi: parsing
/// "x": invalid syntax`, `invalid boolean: x`).
fn cast(path: &[String], text: &str) -> Option<Result<Yaml, String>> {
    let (_, kind) = CASTS.iter().find(|(pattern, _)| {
        let parts: Vec<&str> = pattern.split('.').collect();
        parts.len() == path.len() && parts.iter().zip(path).all(|(p, k)| *p == "*" || p == k)
    })?;
    Some(match kind {
        Cast::Int => {
            // Go's Atoi: an optional sign and decimal digits, within 64 bits.
            let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
            let ok = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            match text.parse::<i64>() {
                Ok(i) if ok => Ok(Yaml::Int(i128::from(i))),
                _ if ok => Err(format!("strconv.Atoi: parsing {text:?}: value out of range")),
                _ => Err(format!("strconv.Atoi: parsing {text:?}: invalid syntax")),
            }
        }
        Cast::Float => match text.parse::<f64>() {
            Ok(x) if !text.is_empty() => Ok(Yaml::Float(x)),
            _ => Err(format!("strconv.ParseFloat: parsing {text:?}: invalid syntax")),
        },
        Cast::Bool => match yaml11_bool(&text.to_ascii_lowercase()) {
            Some(b) => Ok(Yaml::Bool(b)),
            None => Err(format!("invalid boolean: {text}")),
        },
    })
}

/// Substitutes the variables in `template` as docker/cli's `template.Substitute` does. The
/// error is the text of Docker's `InvalidTemplateError`: the whole template for a malformed
/// `$`, or `required variable X is missing a value: message`.
/// `lookup(name, plain)` answers a variable's value; `plain` is true for `${VAR}` and `$VAR`,
/// false for the forms with a default or a required message.
pub(super) fn substitute(
    template: &str,
    mut lookup: impl FnMut(&str, bool) -> Option<String>,
) -> Result<String, String> {
    let bytes = template.as_bytes();
    let mut out = String::with_capacity(template.len());
    let mut i = 0;
    let mut literal_from = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        out.push_str(&template[literal_from..i]);
        let (substitution, next) = match bytes.get(i + 1) {
            Some(b'$') => {
                out.push('$');
                i += 2;
                literal_from = i;
                continue;
            }
            Some(b'{') => {
                let body_start = i + 2;
                let end = template[body_start..].find('}').map(|e| body_start + e);
                match end.filter(|&e| is_substitution(&template[body_start..e])) {
                    Some(e) => (&template[body_start..e], e + 1),
                    None => return Err(template.to_string()),
                }
            }
            _ => {
                let end = named_end(template, i + 1);
                if end == i + 1 {
                    return Err(template.to_string());
                }
                (&template[i + 1..end], end)
            }
        };
        out.push_str(&resolve(substitution, &mut lookup)?);
        i = next;
        literal_from = i;
    }
    out.push_str(&template[literal_from..]);
    Ok(out)
}

/// docker/cli's `subst` pattern, case-insensitive: `[_a-z][_a-z0-9]*(?::?[-?][^}]*)?`, whole.
fn is_substitution(s: &str) -> bool {
    let name_len = name_len(s);
    if name_len == 0 {
        return false;
    }
    let rest = &s[name_len..];
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    rest.is_empty() && !s[name_len..].starts_with(':') || rest.starts_with(['-', '?'])
}

/// Length of the variable name at the start of `s` (`[_a-zA-Z][_a-zA-Z0-9]*`).
fn name_len(s: &str) -> usize {
    let b = s.as_bytes();
    if b.first().is_none_or(|c| !(c.is_ascii_alphabetic() || *c == b'_')) {
        return 0;
    }
    b.iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count()
}

/// Where an unbraced `$NAME` ends: the name, then (as Docker's regular expression has it) an
/// optional `:-`, `-`, `:?` or `?` and everything up to the next `}` or the end.
fn named_end(template: &str, start: usize) -> usize {
    let rest = &template[start..];
    let n = name_len(rest);
    if n == 0 {
        return start;
    }
    let after = &rest[n..];
    let op = after.strip_prefix(':').unwrap_or(after);
    if op.starts_with(['-', '?']) {
        let tail = after.find('}').unwrap_or(after.len());
        start + n + tail
    } else {
        start + n
    }
}

/// One substitution, with docker/cli's functions in its order.
fn resolve(substitution: &str, lookup: &mut impl FnMut(&str, bool) -> Option<String>) -> Result<String, String> {
    if let Some((name, default)) = substitution.split_once(":-") {
        return Ok(lookup(name, false).filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string()));
    }
    if let Some((name, default)) = substitution.split_once('-') {
        return Ok(lookup(name, false).unwrap_or_else(|| default.to_string()));
    }
    if let Some((name, message)) = substitution.split_once(":?") {
        return lookup(name, false)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("required variable {name} is missing a value: {message}"));
    }
    if let Some((name, message)) = substitution.split_once('?') {
        return lookup(name, false).ok_or_else(|| format!("required variable {name} is missing a value: {message}"));
    }
    Ok(lookup(substitution, true).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(template: &str) -> Result<String, String> {
        let vars: BTreeMap<&str, &str> = [("TAG", "1.2"), ("EMPTY", ""), ("n", "3")].into_iter().collect();
        substitute(template, |k, _| vars.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn every_form_of_dockers_template() {
        assert_eq!(sub("nginx:${TAG}").unwrap(), "nginx:1.2");
        assert_eq!(sub("nginx:$TAG").unwrap(), "nginx:1.2");
        assert_eq!(sub("${n}").unwrap(), "3", "names are any case");
        assert_eq!(sub("${MISSING}").unwrap(), "");
        assert_eq!(sub("${MISSING:-d}|${EMPTY:-d}|${TAG:-d}").unwrap(), "d|d|1.2");
        assert_eq!(sub("${MISSING-d}|${EMPTY-d}|${TAG-d}").unwrap(), "d||1.2");
        assert_eq!(sub("${EMPTY?m}").unwrap(), "");
        assert_eq!(sub("cost: $$5 and $${TAG}").unwrap(), "cost: $5 and ${TAG}");
        assert_eq!(
            sub("${MISSING:?set the tag}").unwrap_err(),
            "required variable MISSING is missing a value: set the tag"
        );
        assert_eq!(sub("${EMPTY:?no}").unwrap_err(), "required variable EMPTY is missing a value: no");
        assert_eq!(sub("${MISSING?}").unwrap_err(), "required variable MISSING is missing a value: ");
        // A malformed `$` makes the whole value the error's template.
        for bad in ["a $ b", "${", "${1x}", "${TAG", "x ${TA G}"] {
            assert_eq!(sub(bad).unwrap_err(), bad, "{bad}");
        }
        // Docker's quirks, kept: an unbraced name takes an operator and the rest up to `}`.
        assert_eq!(sub("$MISSING-rest of it").unwrap(), "rest of it");
        assert_eq!(sub("${MISSING:?a-b}").unwrap(), "b", "hard default is tried before required");
    }

    #[test]
    fn casts_follow_dockers_table() {
        let path = |p: &str| p.split('.').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(cast(&path("services.web.deploy.replicas"), "3"), Some(Ok(Yaml::Int(3))));
        assert_eq!(
            cast(&path("services.web.deploy.replicas"), "x"),
            Some(Err("strconv.Atoi: parsing \"x\": invalid syntax".into()))
        );
        assert_eq!(cast(&path("services.web.healthcheck.disable"), "Yes"), Some(Ok(Yaml::Bool(true))));
        assert_eq!(cast(&path("services.web.secrets.[].mode"), "0400"), Some(Ok(Yaml::Int(400))));
        assert_eq!(cast(&path("services.web.image"), "3"), None);
    }
}
