//! `--set PATH=V1,V2,…` parsing and the cartesian product of every parameter's values.

/// One swept parameter: a dotted path in the scenario file and the values it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Param {
    /// Dotted path (`services.web.deploy.update_config.parallelism`).
    pub path: String,
    /// Values as YAML text, in the order given.
    pub values: Vec<String>,
}

/// Parses one `--set PATH=V1,V2,…`. A value `A..B` (integers) expands to every integer from A
/// to B inclusive, as the shell's `{1..6}` does. Commas inside `[]` or `{}` do not split, so
/// `pull={uniform: [1s, 2s]},3s` is two values.
pub(crate) fn parse_set(text: &str) -> Result<Param, String> {
    let (path, list) = text.split_once('=').ok_or_else(|| format!("--set {text:?}: expected PATH=V1,V2,…"))?;
    let path = path.trim();
    if path.is_empty() {
        return Err(format!("--set {text:?}: the path is empty"));
    }
    let mut values = Vec::new();
    for item in split_top_level(list) {
        values.extend(expand_range(item.trim())?);
    }
    if values.is_empty() || values.iter().any(String::is_empty) {
        return Err(format!("--set {text:?}: give one or more non-empty values"));
    }
    Ok(Param { path: path.to_string(), values })
}

/// Splits on commas that are not inside brackets or braces.
fn split_top_level(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in list.char_indices() {
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts
}

/// `1..6` → `1,2,3,4,5,6`; anything else is kept as one value.
fn expand_range(item: &str) -> Result<Vec<String>, String> {
    let Some((low, high)) = item.split_once("..") else { return Ok(vec![item.to_string()]) };
    let (Ok(low), Ok(high)) = (low.trim().parse::<i64>(), high.trim().parse::<i64>()) else {
        return Ok(vec![item.to_string()]);
    };
    if high < low || high - low >= 10_000 {
        return Err(format!("range {item}: needs A <= B and fewer than 10,000 values"));
    }
    Ok((low..=high).map(|v| v.to_string()).collect())
}

/// Every combination of values, the last parameter varying fastest (like nested loops in the
/// order the `--set`s were given). Each policy is the index of its value in each parameter.
pub(crate) fn cartesian(params: &[Param]) -> Vec<Vec<usize>> {
    let mut policies: Vec<Vec<usize>> = vec![Vec::new()];
    for param in params {
        policies = policies
            .into_iter()
            .flat_map(|prefix| {
                (0..param.values.len()).map(move |i| {
                    let mut p = prefix.clone();
                    p.push(i);
                    p
                })
            })
            .collect();
    }
    policies
}

/// The policy's values as `path=value`, with each path cut to its last key for display.
pub(crate) fn describe(params: &[Param], policy: &[usize]) -> String {
    let parts: Vec<String> =
        params.iter().zip(policy).map(|(p, &i)| format!("{}={}", short_name(&p.path), p.values[i])).collect();
    parts.join(", ")
}

/// `services.web.deploy.update_config.delay` → `delay`.
pub(crate) fn short_name(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}
