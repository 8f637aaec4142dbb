//! `docker stack deploy -c FILE [--prune] [--with-registry-auth] [--resolve-image …] STACK` in a
//! timeline (docker/cli `cli/command/stack/deploy.go`: the flags and their checks;
//! `loader.go` `getConfigDetails`: the files; `deploy_composefile.go`: what the deploy does,
//! carried out by the manager's control API). The compose file is read and converted when the
//! scenario is loaded — exactly as the scenario's own stack file is — so a mistake in it is
//! reported at its own file, line and column (exit 2), never in the middle of a run.

use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};

use crate::model::scenario::{Action, StackDeploy};
use crate::scenario::docker_cli::{Arity, CommandError, Flag, Names, ServiceRef, error, parse_args, switch, value};
use crate::scenario::locate::Path;
use crate::scenario::raw::Yaml;
use crate::scenario::validate::{Checker, Doc, get};
use crate::scenario::{read_bounded, shell, stack, stdin_feed};

/// `docker stack deploy`'s flags (`newDeployCommand`).
const FLAGS: &[Flag] = &[
    Flag { long: "compose-file", short: Some('c'), arity: Arity::Value },
    switch("prune", None),
    switch("with-registry-auth", None),
    value("resolve-image"),
    switch("detach", Some('d')),
    switch("quiet", Some('q')),
];

/// `--resolve-image` values (`resolveImageAlways`, `…Changed`, `…Never`). The simulated
/// registry has no digests: a tag is its image, so every value deploys the same spec.
const RESOLVE_IMAGE: &[&str] = &["always", "changed", "never"];

/// The words of a `run:` line when it is `docker stack deploy|up …` (after the verb).
fn stack_deploy_args(words: &[String]) -> Option<&[String]> {
    match words {
        [docker, stack, verb, rest @ ..]
            if docker == "docker" && stack == "stack" && (verb == "deploy" || verb == "up") =>
        {
            Some(rest)
        }
        _ => None,
    }
}

/// The parsed command line: files (as given) and flags.
struct Parsed {
    files: Vec<String>,
    stack: String,
    prune: bool,
}

fn parse_line(args: &[&str]) -> Result<Parsed, Vec<CommandError>> {
    let parsed = parse_args(args, FLAGS, &[]).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut files = Vec::new();
    let mut prune = false;
    for (flag, v) in &parsed.flags {
        match *flag {
            // A string slice: `-c a.yml,b.yml` is two files, as pflag splits it.
            "compose-file" => files.extend(v.split(',').map(str::to_string)),
            "prune" => prune = parse_switch(flag, v, &mut errors),
            "resolve-image" if !RESOLVE_IMAGE.contains(&v.as_str()) => {
                errors.push(error(
                    format!("Invalid option {v} for flag --resolve-image"),
                    Some(format!("one of {}", RESOLVE_IMAGE.join(", "))),
                ));
            }
            "with-registry-auth" | "detach" | "quiet" => {
                parse_switch(flag, v, &mut errors);
            }
            _ => {}
        }
    }
    let stack = match parsed.positional.as_slice() {
        [name] => {
            // `validateStackName`: not empty once quotes and spaces are trimmed.
            if name.trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '\'').is_empty() {
                errors.push(error(format!("invalid stack name: {name:?}"), None));
            }
            name.to_string()
        }
        _ => {
            let hint = Some("usage: docker stack deploy [OPTIONS] STACK".to_string());
            errors.push(error("\"docker stack deploy\" requires exactly 1 argument.", hint));
            String::new()
        }
    };
    if files.is_empty() {
        errors.push(error(
            "Please specify a Compose file (with --compose-file)",
            Some("docker stack deploy -c stack.yml STACK".into()),
        ));
    } else if files.iter().any(|f| f == "-") {
        let hint = "name the file: docker stack deploy -c new-stack.yml STACK (read relative to the scenario file)";
        errors.push(error(
            "-c - reads the compose file from standard input, which a simulation cannot",
            Some(hint.into()),
        ));
    }
    if errors.is_empty() { Ok(Parsed { files, stack, prune }) } else { Err(errors) }
}

fn parse_switch(flag: &str, v: &str, errors: &mut Vec<CommandError>) -> bool {
    super::docker_cli::parse_bool(flag, v).map_err(|e| errors.push(e)).unwrap_or(false)
}

/// A timeline `run:` that is a `docker stack deploy`: its action (the compose file read and
/// converted, problems reported at their place in it) and the text logged. `None` when the
/// line is another command.
pub(super) fn parse(c: &mut Checker<'_>, line: &str, at: &Path, names: Names<'_>) -> Option<(Vec<Action>, String)> {
    let cut = stdin_feed::split(line.trim()).ok()?;
    let words = shell::split(cut.command).ok()?;
    let args = stack_deploy_args(&words)?;
    let failed = (Vec::new(), String::new());
    if cut.separator.is_some() || cut.has_feed() {
        // The general parser reports these with its wording.
        return None;
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let parsed = match parse_line(&args) {
        Ok(p) => p,
        Err(errors) => {
            for e in errors {
                c.error(at, e.message, e.hint);
            }
            return Some(failed);
        }
    };
    let full: Vec<PathBuf> = parsed.files.iter().map(|f| names.base_dir.join(f)).collect();
    let Some(converted) = read_files(c, &full, at, &parsed.stack, names.vars) else { return Some(failed) };
    let initial_members = if parsed.stack == names.stack { names.stack_deployed.to_vec() } else { Vec::new() };
    let deploy = StackDeploy {
        stack: parsed.stack,
        files: parsed.files,
        services: converted.services,
        secrets: converted.secrets,
        prune: parsed.prune,
        initial_members,
    };
    Some((vec![Action::StackDeploy(Box::new(deploy))], stdin_feed::shown(line)))
}

/// Reads, interpolates (`vars`), merges (several `-c`, as docker/cli's loader merges them) and
/// converts the compose files as `docker stack deploy` does; their own problems are reported at
/// their place in the file that set the value, a file that cannot be read at the `run:` line.
fn read_files(
    c: &mut Checker<'_>,
    full: &[PathBuf],
    at: &Path,
    stack_name: &str,
    vars: &BTreeMap<String, String>,
) -> Option<stack::Stack> {
    let mut files = Vec::with_capacity(full.len());
    for path in full {
        let shown = path.display().to_string();
        match read_bounded(path) {
            Ok(text) => files.push((shown, text)),
            Err(e) => {
                let hint = "a -c path is relative to the scenario file's folder";
                c.error(at, format!("cannot read compose file {shown}: {e}"), Some(hint.into()));
                return None;
            }
        }
    }
    let errors_before = c.out.errors.len();
    let (root, doc) = super::compose::merge_files(&files, vars, c.out)?;
    let mut fc = Checker { doc: &doc, out: c.out };
    if get(&root, "services").is_none() {
        fc.error(&Path::root(), "has no services: docker stack deploy needs a compose file", None);
        return None;
    }
    let converted = stack::read(&mut fc, &root, stack_name);
    (fc.out.errors.len() == errors_before).then_some(converted)
}

/// `docker stack deploy -c FILE STACK` of `file` over a swarm whose stack `STACK` holds
/// `members` (for `deploysim plan`): the file read and converted as a timeline deploy reads it.
pub fn read_deploy(
    file: &FsPath,
    stack: &str,
    members: Vec<String>,
    prune: bool,
) -> Result<StackDeploy, super::ScenarioError> {
    let shown = file.display().to_string();
    let doc = Doc::new(&shown, "", Default::default());
    let mut findings = super::validate::Findings::default();
    let mut c = Checker { doc: &doc, out: &mut findings };
    let converted = read_files(&mut c, &[file.to_path_buf()], &Path::root(), stack, &super::interpolate::cli_only());
    match converted {
        Some(converted) if findings.errors.is_empty() => Ok(StackDeploy {
            stack: stack.to_string(),
            files: vec![shown],
            services: converted.services,
            secrets: converted.secrets,
            prune,
            initial_members: members,
        }),
        _ => Err(super::ScenarioError { file: shown, diagnostics: findings.errors }),
    }
}

/// The services the timeline's `docker stack deploy` commands may create, so that later
/// commands may name them (a file that cannot be read is left for the full parse to report).
pub(super) fn deployed_services(timeline: &Yaml, base_dir: &FsPath) -> Vec<ServiceRef> {
    let mut out: Vec<ServiceRef> = Vec::new();
    let Yaml::Seq(items) = timeline else { return out };
    for item in items {
        let Yaml::Map(e) = item else { continue };
        let Some(Yaml::Str(line)) = get(e, "run") else { continue };
        let Ok(words) = shell::split(line) else { continue };
        let Some(args) = stack_deploy_args(&words) else { continue };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let Ok(parsed) = parse_line(&args) else { continue };
        // Every file's services (a later -c file may add some); their full parse comes later.
        let roots: Vec<Vec<(String, Yaml)>> = parsed
            .files
            .iter()
            .filter_map(|f| read_bounded(&base_dir.join(f)).ok())
            .filter_map(|text| match super::raw::parse(&text) {
                Ok((Yaml::Map(root), _)) => Some(root),
                _ => None,
            })
            .collect();
        let services = roots.iter().filter_map(|root| match get(root, "services") {
            Some(Yaml::Map(services)) => Some(services),
            _ => None,
        });
        for (key, body) in services.flatten() {
            let full = format!("{}_{key}", parsed.stack);
            let global = matches!(body, Yaml::Map(b) if matches!(get(b, "deploy"), Some(Yaml::Map(d))
                if matches!(get(d, "mode"), Some(Yaml::Str(m)) if m == "global")));
            if !out.iter().any(|s| s.full == full) {
                out.push(ServiceRef { full, short: key.clone(), global, in_stack: false });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(words: &str) -> Result<Parsed, Vec<CommandError>> {
        let args: Vec<&str> = words.split_whitespace().collect();
        parse_line(&args)
    }

    #[test]
    fn flags_as_docker_reads_them() {
        let p = line("-c new.yml --prune --with-registry-auth --resolve-image=never -d web").unwrap();
        assert_eq!((p.files.as_slice(), p.stack.as_str(), p.prune), (&["new.yml".to_string()][..], "web", true));
        let p = line("--compose-file=new.yml web").unwrap();
        assert!(!p.prune);
        assert_eq!(p.files, ["new.yml"]);
    }

    #[test]
    fn mistakes_have_dockers_wording() {
        let first = |w: &str| line(w).err().expect("refused").remove(0).message;
        assert_eq!(first("-c a.yml"), "\"docker stack deploy\" requires exactly 1 argument.");
        assert_eq!(first("web"), "Please specify a Compose file (with --compose-file)");
        assert_eq!(
            first("-c a.yml --resolve-image sometimes web"),
            "Invalid option sometimes for flag --resolve-image"
        );
        assert_eq!(first("-c a.yml ''"), "invalid stack name: \"''\"");
        assert_eq!(line("-c a.yml -c b.yml web").expect("several files").files, ["a.yml", "b.yml"]);
        assert_eq!(
            line("-c a.yml,b.yml web").expect("a list").files,
            ["a.yml", "b.yml"],
            "a string slice splits at commas"
        );
        assert_eq!(first("-c a.yml --prun web"), "unknown flag: --prun");
        assert!(first("-c - web").contains("standard input"));
    }
}
