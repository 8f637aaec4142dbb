//! `docker secret create|rm|ls|inspect` in a scenario's timeline. A value fed on standard input
//! (`echo "v" | docker secret create NAME -`, `<<< "v"`, a heredoc, `< FILE`) or given in a file
//! is measured for Docker's size rule and then dropped: no secret value is kept anywhere in the
//! simulator. Hiding it in what is shown is `stdin_feed`'s job, for every command.

use std::path::Path;

use crate::model::scenario::Action;
use crate::model::secret::SecretDef;
use crate::scenario::shell;
use crate::scenario::stdin_feed::{self, Split};

use super::docker_cli::CommandError;

fn error(message: impl Into<String>, hint: Option<&str>) -> CommandError {
    CommandError { message: message.into(), hint: hint.map(str::to_string) }
}

const SECRET_USAGE: &str = "supported: docker secret create [--label K=V] NAME FILE, \
    echo VALUE | docker secret create NAME -, docker secret rm NAME..., docker secret ls, docker secret inspect NAME";

/// Parses the words of a `docker secret ...` command (`words[..2] == ["docker", "secret"]`);
/// `line` is its whole `run:` line cut by [`stdin_feed::split`], whose feed `create NAME -`
/// measures; `base_dir` anchors a relative FILE. Messages never quote the feed.
pub(super) fn parse(words: &[&str], line: &Split<'_>, base_dir: &Path) -> Result<Vec<Action>, Vec<CommandError>> {
    match words {
        ["docker", "secret", "create", args @ ..] => create(args, line, base_dir),
        ["docker", "secret", "rm" | "remove", names @ ..] if !names.is_empty() => {
            Ok(names.iter().map(|n| Action::SecretRm { name: n.to_string() }).collect())
        }
        ["docker", "secret", "ls" | "list"] => Ok(vec![Action::SecretLs]),
        ["docker", "secret", "inspect", name] => Ok(vec![Action::SecretInspect { name: name.to_string() }]),
        _ => Err(vec![error("unsupported docker secret command", Some(SECRET_USAGE))]),
    }
}

fn create(args: &[&str], line: &Split<'_>, base_dir: &Path) -> Result<Vec<Action>, Vec<CommandError>> {
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
    let (size, file) = if *source == "-" {
        (stdin_size(line, base_dir)?, None)
    } else {
        let path = base_dir.join(source);
        match std::fs::metadata(&path) {
            Ok(m) => (m.len(), Some(path)),
            Err(e) => return Err(vec![error(format!("open {}: {e}", path.display()), None)]),
        }
    };
    let secret =
        SecretDef { name: name.to_string(), size_bytes: Some(size), labels, external: false, file, value: None };
    Ok(vec![Action::SecretCreate { secret }])
}

/// The byte length of what reaches `docker secret create NAME -` on standard input: the output
/// of `echo`/`printf` through a pipe, a here-string, a heredoc or a redirected file.
fn stdin_size(line: &Split<'_>, base_dir: &Path) -> Result<u64, Vec<CommandError>> {
    match (line.separator, line.redirect.is_empty()) {
        (Some('|'), true) => piped_size(line.before),
        (None, false) => redirected_size(line.redirect, base_dir),
        (Some('|'), false) => Err(vec![error(
            "standard input is given twice (a pipe and a redirection)",
            Some("keep one: echo \"value\" | docker secret create NAME -"),
        )]),
        _ => Err(vec![error(
            "reading the value from standard input needs a feed in the scenario",
            Some("write: echo \"value\" | docker secret create NAME -"),
        )]),
    }
}

/// The byte length `echo ARGS` or `printf FORMAT` would write (echo adds a newline).
fn piped_size(feed: &str) -> Result<u64, Vec<CommandError>> {
    let only_echo = || vec![error("only `echo ...` or `printf ...` can feed a secret", None)];
    let feed = stdin_feed::split(feed).map_err(|e| vec![error(e, None)])?;
    if feed.has_feed() {
        return Err(only_echo());
    }
    let words = shell::split(feed.command).map_err(|e| vec![error(e, None)])?;
    match words.split_first() {
        Some((cmd, rest)) if cmd == "echo" => {
            let (newline, rest) = match rest.split_first() {
                Some((flag, rest)) if flag == "-n" => (0, rest),
                _ => (1, rest),
            };
            Ok(rest.join(" ").len() as u64 + newline)
        }
        Some((cmd, [value, ..])) if cmd == "printf" => Ok(value.len() as u64),
        _ => Err(only_echo()),
    }
}

/// The byte length a redirection feeds: `<<< WORD` (with the newline the shell adds), a heredoc
/// `<<DELIM` / `<<-DELIM` (its body lines, each with its newline) or `< FILE` (its size; the
/// content is not read).
fn redirected_size(redirect: &str, base_dir: &Path) -> Result<u64, Vec<CommandError>> {
    let one_word = |rest: &str, what: &str| match shell::split(rest) {
        Ok(words) if words.len() == 1 => Ok(words.into_iter().next().unwrap_or_default()),
        Ok(_) => Err(vec![error(format!("{what} must be one word (quote it)"), None)]),
        Err(e) => Err(vec![error(e, None)]),
    };
    if let Some(rest) = redirect.strip_prefix("<<<") {
        return Ok(one_word(rest, "a here-string")?.len() as u64 + 1);
    }
    if let Some(rest) = redirect.strip_prefix("<<") {
        let (strip_tabs, rest) = match rest.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let (first, body) = rest.split_once('\n').unwrap_or((rest, ""));
        let delimiter = one_word(first, "a heredoc's delimiter")?;
        let mut size = 0;
        for l in body.lines() {
            let l = if strip_tabs { l.trim_start_matches('\t') } else { l };
            if l == delimiter {
                return Ok(size);
            }
            size += l.len() as u64 + 1;
        }
        return Err(vec![error(
            "here-document not ended by its delimiter line",
            Some("end the heredoc with a line holding only its delimiter"),
        )]);
    }
    if let Some(rest) = redirect.strip_prefix('<').filter(|r| !r.starts_with(['&', '>', '('])) {
        let path = base_dir.join(one_word(rest, "the redirected file")?);
        // The file's name is fed material too: the message does not quote it.
        return std::fs::metadata(path).map(|m| m.len()).map_err(|e| {
            vec![error(format!("cannot open the file redirected to standard input: {}", e.kind()), None)]
        });
    }
    Err(vec![error(
        "unsupported input redirection",
        Some("feed the value with echo \"value\" |, <<< \"value\", a heredoc or < FILE"),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `line` as `command::parse` does: cut off the feed, split the command.
    fn p(line: &str) -> Result<Vec<Action>, Vec<CommandError>> {
        let cut = stdin_feed::split(line).expect("cuttable");
        let words = shell::split(cut.command).expect("words");
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        parse(&words, &cut, Path::new("."))
    }

    fn created_size(line: &str) -> Option<u64> {
        match p(line).expect("valid").remove(0) {
            Action::SecretCreate { secret } => secret.size_bytes,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tutorial_echo_pipe_creates_a_measured_secret_without_its_value() {
        let actions = p("echo \"sample secret value\" | docker secret create sample-secret -").expect("valid");
        let Action::SecretCreate { secret } = &actions[0] else { panic!("{actions:?}") };
        assert_eq!(secret.name, "sample-secret");
        assert_eq!(secret.size_bytes, Some("sample secret value\n".len() as u64));
        assert!(!format!("{actions:?}").contains("sample secret value"), "the value must not be kept");
        let shown = stdin_feed::shown("echo \"sample secret value\" | docker secret create sample-secret -");
        assert_eq!(shown, "<stdin hidden> | docker secret create sample-secret -");
    }

    #[test]
    fn every_feed_shape_is_measured() {
        assert_eq!(created_size("echo \"abc\" | docker  secret  create  x  -"), Some(4), "doubled spaces");
        assert_eq!(created_size("echo -n abc |\tdocker\tsecret create x -"), Some(3), "tabs");
        assert_eq!(created_size("printf '%s' abc | docker secret create x -"), Some(2), "printf: its format's length");
        assert_eq!(created_size("docker secret create x - <<< 'a b'"), Some(4), "here-string adds a newline");
        assert_eq!(created_size("docker secret create x - <<EOF\nab\ncd\nEOF\n"), Some(6), "heredoc");
        assert_eq!(created_size("docker secret create x - <<-'END'\n\tab\n\tEND"), Some(3), "heredoc, tabs stripped");
        assert_eq!(
            created_size("docker secret create x - < Cargo.toml"),
            std::fs::metadata("Cargo.toml").ok().map(|m| m.len())
        );
    }

    #[test]
    fn feed_errors_do_not_quote_the_feed() {
        for line in [
            "docker secret create x - <<< S3CR3T more",
            "docker secret create x - <<EOF\nS3CR3T\n",
            "docker secret create x - < ./S3CR3T",
            "echo S3CR3T | base64 | docker secret create x -",
            "cat S3CR3T | docker secret create x -",
            "echo S3CR3T | docker secret create x - <<< S3CR3T",
            "docker secret create x -",
        ] {
            let errors = p(line).expect_err(line);
            assert!(!format!("{errors:?}").contains("S3CR3T"), "{line}: {errors:?}");
        }
    }

    #[test]
    fn rm_ls_inspect_and_errors() {
        assert_eq!(p("docker secret rm a b").unwrap().len(), 2);
        assert_eq!(p("docker secret ls").unwrap(), vec![Action::SecretLs]);
        assert_eq!(p("docker secret inspect a").unwrap(), vec![Action::SecretInspect { name: "a".into() }]);
        assert!(p("docker secret create a").is_err());
        assert!(p("docker secret create a missing-file.txt").is_err());
        assert!(p("docker secret frobnicate").is_err());
    }
}
