//! Loader tests for compose files as `docker stack deploy` reads them (issue 17): variable
//! substitution, Docker's errors for it, and the casts after it.

use std::path::Path;

use crate::model::spec::ServiceMode;
use crate::scenario::{load_str, load_str_with_warnings};

const STACK: &str = "services:\n  web:\n    image: \"nginx:${TAG:-1.14}\"\n    deploy:\n      replicas: ${N}\n      update_config:\n        parallelism: $PAR\n    healthcheck:\n      disable: ${OFF}\n      retries: 3\n    environment:\n      PRICE: \"$$5\"\n";

#[test]
fn variables_from_x_simulation_env_are_substituted_before_types_are_checked() {
    let text = format!(
        "{STACK}x-simulation:\n  env:\n    N: 4\n    PAR: \"2\"\n    OFF: \"no\"\n  timeline:\n    - at: 1s\n      run: docker service update --image \"web:$HOME\" s_web\n"
    );
    let s = load_str(&text, Path::new("s.yml")).unwrap_or_else(|e| panic!("{e}"));
    let web = &s.services[0];
    assert_eq!(web.task.image, "nginx:1.14", "the default applies");
    assert_eq!(web.mode, ServiceMode::Replicated { replicas: 4 });
    assert_eq!(web.update.parallelism, 2);
    assert!(matches!(web.task.healthcheck, Some(crate::model::spec::Healthcheck::Check(_))), "disable: no");
    let env = format!("{:?}", web.task.extra);
    assert!(env.contains("$5") && !env.contains("$$5"), "$$ is a literal $: {env}");
}

#[test]
fn a_required_variable_that_is_unset_gets_dockers_error_at_its_value() {
    let text = "services:\n  web:\n    image: \"nginx:${TAG:?set TAG to the release}\"\n";
    let e = load_str(text, Path::new("s.yml")).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(
        d.message,
        "invalid interpolation format for services.web.image: \"required variable TAG is missing a value: set TAG to the release\"; you may need to escape any $ with another $"
    );
    assert_eq!((d.line, d.column), (Some(3), Some(5)));
    let text = "services:\n  web:\n    image: a\n    command: [\"echo\", \"$\"]\n";
    let e = load_str(text, Path::new("s.yml")).unwrap_err();
    assert_eq!(
        e.diagnostics[0].message,
        "invalid interpolation format for services.web.command.[]: \"$\"; you may need to escape any $ with another $"
    );
}

#[test]
fn a_value_that_cannot_be_cast_gets_dockers_error() {
    let text =
        "services:\n  web:\n    image: a\n    deploy:\n      replicas: ${N}\nx-simulation:\n  env:\n    N: three\n";
    let e = load_str(text, Path::new("s.yml")).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(
        d.message,
        "error while interpolating services.web.deploy.replicas: failed to cast to expected type: strconv.Atoi: parsing \"three\": invalid syntax"
    );
    assert_eq!((d.line, d.column), (Some(5), Some(7)));
}

#[test]
fn a_value_interpolation_could_not_read_gets_one_error_not_a_second_type_error() {
    // Docker stops at the interpolation error; the loader goes on to find other mistakes but
    // must not add `must be an integer` for the text a failed `${N:?}` or cast left behind.
    for text in [
        "services:\n  web:\n    image: a\n    deploy:\n      replicas: ${N:?set N}\n",
        "services:\n  web:\n    image: a\n    deploy:\n      replicas: ${N}\nx-simulation:\n  env:\n    N: three\n",
    ] {
        let e = load_str(text, Path::new("s.yml")).unwrap_err();
        let at_replicas: Vec<&str> =
            e.diagnostics.iter().filter(|d| d.line == Some(5)).map(|d| d.message.as_str()).collect();
        assert_eq!(at_replicas.len(), 1, "{at_replicas:?}");
        assert!(at_replicas[0].contains("interpolat"), "{at_replicas:?}");
    }
    // Other errors of the file are still found.
    let text = "services:\n  web:\n    image: a\n    deploy:\n      replicas: ${N:?set N}\n      mode: replicate\n";
    let e = load_str(text, Path::new("s.yml")).unwrap_err();
    assert!(e.diagnostics.iter().any(|d| d.line == Some(6)), "{:?}", e.diagnostics);
}

#[test]
fn an_unset_variable_is_blank_with_a_warning() {
    let text = "services:\n  web:\n    image: \"nginx${SUFFIX}\"\n";
    let (s, warnings) = load_str_with_warnings(text, Path::new("s.yml")).unwrap();
    assert_eq!(s.services[0].task.image, "nginx:latest");
    assert!(warnings[0].contains("The \"SUFFIX\" variable is not set. Defaulting to a blank string."), "{warnings:?}");
    assert!(warnings[0].contains("s.yml:3:5"), "{warnings:?}");
}

#[test]
fn an_unset_variable_with_a_default_is_silent() {
    // `${VAR:-d}` and `${VAR-d}` say what an unset variable means: no warning (docker compose
    // warns only for a plain `${VAR}`).
    let text = "services:\n  web:\n    image: \"nginx:${TAG:-1.25}${SUFFIX-}\"\n";
    let (s, warnings) = load_str_with_warnings(text, Path::new("s.yml")).unwrap();
    assert_eq!(s.services[0].task.image, "nginx:1.25");
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn a_simulation_file_gives_its_env_to_the_stack_file_it_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stack.yml"), "services:\n  web:\n    image: \"web:${TAG}\"\n").unwrap();
    let sim = dir.path().join("sim.yml");
    std::fs::write(&sim, "stack: stack.yml\nenv:\n  TAG: \"2\"\n").unwrap();
    let s = crate::scenario::load(&sim).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.services[0].task.image, "web:2");
}

#[test]
fn env_files_and_flags_are_read_with_dockers_rules() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vars.env");
    std::fs::write(&file, "# release\nTAG=1\n\nN=3\n").unwrap();
    let vars = crate::scenario::cli_variables(std::slice::from_ref(&file), &["TAG=2".to_string()]).unwrap();
    assert_eq!(vars.get("TAG").map(String::as_str), Some("2"), "--env wins over --env-file");
    assert_eq!(vars.get("N").map(String::as_str), Some("3"));
    let e = crate::scenario::cli_variables(&[], &["BAD KEY=1".to_string()]).unwrap_err();
    assert!(e.contains("variable 'BAD KEY' contains whitespaces"), "{e}");
    let e = crate::scenario::cli_variables(&[], &["HOME".to_string()]).unwrap_err();
    assert!(e.contains("does not read variables from its own environment"), "{e}");
}

/// A stack with a config `conf` (file `site.conf` when `file_bytes` is given) used by `web`.
fn config_stack(
    dir: &Path,
    service_configs: &str,
    definition: &str,
) -> Result<crate::model::scenario::Scenario, Vec<crate::scenario::Diagnostic>> {
    let text =
        format!("services:\n  web:\n    image: a\n    configs:\n{service_configs}configs:\n  conf:\n{definition}");
    let path = dir.join("app.yml");
    std::fs::write(&path, &text).unwrap();
    crate::scenario::load(&path).map_err(|e| e.diagnostics)
}

#[test]
fn configs_are_named_after_the_stack_and_keep_their_long_syntax() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.conf"), "listen 80;\n").unwrap();
    let s = config_stack(
        dir.path(),
        "      - source: conf\n        target: /etc/nginx/conf.d/site.conf\n        uid: \"101\"\n        mode: 0440\n",
        "    file: ./site.conf\n",
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let r = &s.services[0].task.configs[0];
    assert_eq!((r.source.as_str(), r.target.as_str()), ("app_conf", "/etc/nginx/conf.d/site.conf"));
    assert_eq!((r.uid.as_str(), r.gid.as_str(), r.mode), ("101", "0", 0o440));
    let s = config_stack(dir.path(), "      - conf\n", "    external: true\n").unwrap();
    assert_eq!(s.services[0].task.configs[0].source, "conf", "an external config keeps its key");
}

#[test]
fn a_missing_config_file_or_an_undefined_config_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let e = config_stack(dir.path(), "      - conf\n", "    file: ./missing.conf\n").unwrap_err();
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].path, "configs.conf.file");
    assert!(
        e[0].message.starts_with("open ") && e[0].message.ends_with("missing.conf: no such file or directory"),
        "{e:?}"
    );
    assert_eq!((e[0].line, e[0].column), (Some(8), Some(5)), "the file: line");
    std::fs::write(dir.path().join("empty.conf"), "").unwrap();
    let e = config_stack(dir.path(), "      - conf\n", "    file: ./empty.conf\n").unwrap_err();
    assert_eq!(e[0].message, "config data must be larger than 0 and less than 1024000 bytes");
    let e = config_stack(dir.path(), "      - other\n", "    external: true\n").unwrap_err();
    assert_eq!(e[0].message, "service web: undefined config \"other\"");
    assert_eq!((e[0].line, e[0].column), (Some(4), Some(5)));
}

#[test]
fn a_changed_config_reference_changes_the_task_spec() {
    let dir = tempfile::tempdir().unwrap();
    let a = config_stack(dir.path(), "      - conf\n", "    external: true\n").unwrap();
    let b = config_stack(dir.path(), "      - source: conf\n        mode: 0400\n", "    external: true\n").unwrap();
    assert_ne!(a.services[0].task, b.services[0].task, "a new mode replaces tasks, as swarmkit compares task specs");
}

/// Writes `files` (name, text) into a temporary folder and returns it.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

const BASE: &str = "version: \"3.8\"\nservices:\n  web:\n    image: web:1\n    environment:\n      - A=1\n      - B=2\n    secrets: [db]\n    deploy:\n      replicas: 2\n      update_config:\n        parallelism: 1\n        order: start-first\n      placement:\n        constraints: [node.role == worker]\n  api:\n    image: api:1\nsecrets:\n  db:\n    external: true\n";
const PROD: &str = "version: \"3.8\"\nservices:\n  web:\n    image: web:${TAG}\n    environment:\n      B: \"3\"\n    secrets:\n      - source: db\n        mode: 0400\n    deploy:\n      replicas: 5\n      update_config:\n        parallelism: 2\n      placement:\n        constraints: [node.labels.zone == a]\n  cache:\n    image: redis\n";

#[test]
fn several_files_merge_as_docker_stack_deploy_merges_them() {
    let dir = folder(&[("base.yml", BASE), ("prod.yml", PROD)]);
    let paths = [dir.path().join("base.yml"), dir.path().join("prod.yml")];
    let vars = [("TAG".to_string(), "2".to_string())].into_iter().collect();
    let (stack, warnings) = super::compose::load_stack_files(&paths, "app", &vars).unwrap_or_else(|e| panic!("{e}"));
    assert!(warnings.is_empty(), "{warnings:?}");
    let names: Vec<&str> = stack.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["app_api", "app_cache", "app_web"], "merged services are sorted by name, as docker/cli's");
    let web = &stack.services[2];
    assert_eq!(web.task.image, "web:2", "each file is interpolated");
    assert_eq!(web.mode, ServiceMode::Replicated { replicas: 5 });
    assert_eq!(web.update.parallelism, 2, "the later value wins");
    assert_eq!(web.update.order, crate::model::spec::UpdateOrder::StartFirst, "an unset key keeps the earlier value");
    assert_eq!(web.task.placement.constraints.len(), 2, "other lists are appended");
    assert_eq!(web.task.secrets.len(), 1, "secrets merge by source");
    assert_eq!(web.task.secrets[0].mode, 0o400);
    let env = format!("{:?}", web.task.extra.get("environment"));
    assert!(env.contains("A: 1") && env.contains("B: 3"), "environment merges by name: {env}");
}

#[test]
fn a_problem_in_a_later_file_is_shown_in_that_file_and_versions_must_match() {
    let bad = PROD.replace("parallelism: 2", "parallelism: two");
    let dir = folder(&[("base.yml", BASE), ("prod.yml", &bad)]);
    let paths = [dir.path().join("base.yml"), dir.path().join("prod.yml")];
    let vars = [("TAG".to_string(), "2".to_string())].into_iter().collect();
    let e = super::compose::load_stack_files(&paths, "app", &vars).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(d.path, "services.web.deploy.update_config.parallelism");
    assert!(d.file.ends_with("prod.yml"), "{d:?}");
    assert_eq!((d.line, d.column), (Some(13), Some(9)));
    let old = PROD.replace("\"3.8\"", "\"3.7\"");
    let dir = folder(&[("base.yml", BASE), ("prod.yml", &old)]);
    let paths = [dir.path().join("base.yml"), dir.path().join("prod.yml")];
    let e = super::compose::load_stack_files(&paths, "app", &vars).unwrap_err();
    assert_eq!(e.diagnostics[0].message, "version mismatched between two composefiles : 3.8 and 3.7");
    assert!(e.diagnostics[0].file.ends_with("prod.yml"));
}

#[test]
fn a_simulation_file_may_name_several_stack_files() {
    let dir = folder(&[
        ("base.yml", BASE),
        ("prod.yml", PROD),
        ("sim.yml", "stack: [base.yml, prod.yml]\nname: app\nenv:\n  TAG: \"3\"\n"),
    ]);
    let s = crate::scenario::load(&dir.path().join("sim.yml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.services.len(), 3);
    assert_eq!(s.services[2].task.image, "web:3");
    let one = crate::scenario::load(&dir.path().join("base.yml")).unwrap();
    assert_ne!(one.input_digest, s.input_digest, "every file is in the digest");
}
