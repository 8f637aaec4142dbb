//! `docker secret create|rm|ls|inspect` in a scenario's timeline. A value given on the command
//! line (`echo "v" | docker secret create NAME -`) or in a file is measured for Docker's size
//! rule and then dropped: no secret value is kept anywhere in the simulator.

use std::path::Path;

use crate::model::scenario::Action;
use crate::model::secret::SecretDef;
use crate::scenario::shell;

use super::docker_cli::CommandError;

fn error(message: impl Into<String>, hint: Option<&str>) -> CommandError {
    CommandError { message: message.into(), hint: hint.map(str::to_string) }
}

const SECRET_USAGE: &str = "supported: docker secret create [--label K=V] NAME FILE, \
    echo VALUE | docker secret create NAME -, docker secret rm NAME..., docker secret ls, docker secret inspect NAME";

/// Parses a `docker secret ...` line (possibly fed by `echo`/`printf` through a pipe);
/// `base_dir` anchors a relative FILE. Returns None when the line is not a secret command.
pub(super) fn parse(line: &str, base_dir: &Path) -> Option<Result<Vec<Action>, Vec<CommandError>>> {
    let (feed, command) = match line.split_once('|') {
        Some((left, right)) if right.trim_start().starts_with("docker secret") => (Some(left), right),
        _ => (None, line),
    };
    let words = match shell::split(command) {
        Ok(w) => w,
        Err(e) => return Some(Err(vec![error(e, None)])),
    };
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let result = match words.as_slice() {
        ["docker", "secret", "create", args @ ..] => create(args, feed, base_dir),
        ["docker", "secret", "rm" | "remove", names @ ..] if !names.is_empty() => {
            Ok(names.iter().map(|n| Action::SecretRm { name: n.to_string() }).collect())
        }
        ["docker", "secret", "ls" | "list"] => Ok(vec![Action::SecretLs]),
        ["docker", "secret", "inspect", name] => Ok(vec![Action::SecretInspect { name: name.to_string() }]),
        ["docker", "secret", ..] => Err(vec![error("unsupported docker secret command", Some(SECRET_USAGE))]),
        _ => return None,
    };
    Some(result)
}

/// The command as it may be shown: a value piped into `docker secret create` is replaced by
/// `<value hidden>`.
pub(super) fn redact(line: &str) -> String {
    match line.split_once('|') {
        Some((_, right)) if right.trim_start().starts_with("docker secret") => {
            format!("echo <value hidden> |{right}")
        }
        _ => line.to_string(),
    }
}

fn create(args: &[&str], feed: Option<&str>, base_dir: &Path) -> Result<Vec<Action>, Vec<CommandError>> {
    let mut labels = std::collections::BTreeMap::new();
    let mut positional = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i] {
            "--label" | "-l" => {
                let Some(kv) = args.get(i + 1) else {
                    return Err(vec![error("flag needs an argument: --label", None)]);
                };
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                labels.insert(k.to_string(), v.to_string());
                i += 2;
            }
            flag if flag.starts_with('-') && flag != "-" => {
                return Err(vec![error(format!("unknown flag: {flag}"), Some(SECRET_USAGE))]);
            }
            word => {
                positional.push(word);
                i += 1;
            }
        }
    }
    let [name, source] = positional.as_slice() else {
        return Err(vec![error(
            "\"docker secret create\" requires exactly 2 arguments: NAME FILE|-",
            Some(SECRET_USAGE),
        )]);
    };
    let size = if *source == "-" {
        match feed {
            Some(feed) => fed_size(feed)?,
            None => {
                return Err(vec![error(
                    "reading the value from standard input needs a feed in the scenario",
                    Some("write: echo \"value\" | docker secret create NAME -"),
                )]);
            }
        }
    } else {
        let path = base_dir.join(source);
        match std::fs::metadata(&path) {
            Ok(m) => m.len(),
            Err(e) => return Err(vec![error(format!("open {}: {e}", path.display()), None)]),
        }
    };
    let secret = SecretDef { name: name.to_string(), size_bytes: Some(size), labels, external: false };
    Ok(vec![Action::SecretCreate { secret }])
}

/// The byte length `echo ARGS` or `printf FORMAT` would write (echo adds a newline).
fn fed_size(feed: &str) -> Result<u64, Vec<CommandError>> {
    let words = shell::split(feed).map_err(|e| vec![error(e, None)])?;
    match words.split_first() {
        Some((cmd, rest)) if cmd == "echo" => {
            let (newline, rest) = match rest.split_first() {
                Some((flag, rest)) if flag == "-n" => (0, rest),
                _ => (1, rest),
            };
            Ok(rest.join(" ").len() as u64 + newline)
        }
        Some((cmd, [value, ..])) if cmd == "printf" => Ok(value.len() as u64),
        _ => Err(vec![error("only `echo ...` or `printf ...` can feed a secret", None)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tutorial_echo_pipe_creates_a_measured_secret_without_its_value() {
        let actions = parse("echo \"sample secret value\" | docker secret create sample-secret -", Path::new("."))
            .expect("a secret command")
            .expect("valid");
        let Action::SecretCreate { secret } = &actions[0] else { panic!("{actions:?}") };
        assert_eq!(secret.name, "sample-secret");
        assert_eq!(secret.size_bytes, Some("sample secret value\n".len() as u64));
        assert!(!format!("{actions:?}").contains("sample secret value"), "the value must not be kept");
        let shown = redact("echo \"sample secret value\" | docker secret create sample-secret -");
        assert_eq!(shown, "echo <value hidden> | docker secret create sample-secret -");
    }

    #[test]
    fn rm_ls_inspect_and_errors() {
        let p = |l: &str| parse(l, Path::new(".")).expect("a secret command");
        assert_eq!(p("docker secret rm a b").unwrap().len(), 2);
        assert_eq!(p("docker secret ls").unwrap(), vec![Action::SecretLs]);
        assert_eq!(p("docker secret inspect a").unwrap(), vec![Action::SecretInspect { name: "a".into() }]);
        assert!(p("docker secret create a").is_err());
        assert!(p("docker secret create a missing-file.txt").is_err());
        assert!(parse("docker service ls", Path::new(".")).is_none());
    }
}
