//! Loader tests for each error class not covered in `tests.rs`: version gating, the version
//! itself, type errors, enums, extension keys, the long port syntax and the secret rules, each
//! checking the message text, line and column.

use std::path::Path;

use crate::scenario::{Diagnostic, load_str};

fn errors(text: &str) -> Vec<Diagnostic> {
    match load_str(text, Path::new("stack.yml")) {
        Ok(_) => panic!("accepted invalid input:\n{text}"),
        Err(e) => e.diagnostics,
    }
}

/// The one diagnostic whose headline is exactly `headline`.
fn find(diags: &[Diagnostic], headline: &str) -> Diagnostic {
    let hits: Vec<&Diagnostic> = diags.iter().filter(|d| d.headline() == headline).collect();
    assert_eq!(hits.len(), 1, "want one {headline:?} in {diags:#?}");
    hits[0].clone()
}

fn at(d: &Diagnostic) -> (Option<usize>, Option<usize>) {
    (d.line, d.column)
}

const OLD_FILE: &str = r#"version: "3.3"
services:
  web:
    image: a
    deploy:
      update_config:
        order: start-first
      rollback_config:
        parallelism: 2
      placement:
        max_replicas_per_node: 2
    healthcheck:
      test: ["CMD", "true"]
      start_period: 10s
      start_interval: 1s
    x-note: hi
secrets:
  db:
    name: db-v1
    external: true
x-simulation:
  seed: 3
"#;

#[test]
fn keys_newer_than_the_declared_version_are_all_rejected() {
    let diags = errors(OLD_FILE);
    assert_eq!(diags.len(), 8, "{diags:#?}");
    let d = find(&diags, "services.web.deploy.update_config Additional property order is not allowed");
    assert_eq!(at(&d), (Some(7), Some(9)));
    assert_eq!(
        d.hint.as_deref(),
        Some(
            "order needs compose file format 3.4 or later; this file declares version \"3.3\": write version: \"3.4\" (or later)"
        )
    );
    assert_eq!(d.source_line.as_deref(), Some("        order: start-first"));
    let d = find(&diags, "services.web.deploy Additional property rollback_config is not allowed");
    assert_eq!(at(&d), (Some(8), Some(7)));
    assert!(d.hint.unwrap().contains("3.7"));
    let d = find(&diags, "services.web.deploy.placement Additional property max_replicas_per_node is not allowed");
    assert_eq!((at(&d), d.hint.unwrap().contains("3.8")), ((Some(11), Some(9)), true));
    let d = find(&diags, "services.web.healthcheck Additional property start_period is not allowed");
    assert_eq!((at(&d), d.hint.unwrap().contains("3.4")), ((Some(14), Some(7)), true));
    let d = find(&diags, "services.web.healthcheck Additional property start_interval is not allowed");
    assert_eq!((at(&d), d.hint.unwrap().contains("3.12")), ((Some(15), Some(7)), true));
    let d = find(&diags, "services.web Additional property x-note is not allowed");
    assert_eq!((at(&d), d.hint.unwrap().contains("3.7")), ((Some(16), Some(5)), true));
    let d = find(&diags, "Additional property x-simulation is not allowed");
    assert_eq!((at(&d), d.hint.unwrap().contains("3.4")), ((Some(21), Some(1)), true));
    // 3.3 has secrets (3.1) but not their name (3.5).
    let d = find(&diags, "secrets.db Additional property name is not allowed");
    assert_eq!((at(&d), d.hint.unwrap().contains("3.5")), ((Some(19), Some(5)), true));
    let all = errors(&OLD_FILE.replace("\"3.3\"", "\"3.0\""));
    let d = find(&all, "Additional property secrets is not allowed");
    assert_eq!((at(&d), d.hint.unwrap().contains("3.1")), ((Some(17), Some(1)), true));
}

#[test]
fn the_same_keys_pass_in_a_recent_or_missing_version() {
    let recent = OLD_FILE.replace("\"3.3\"", "\"3.12\"");
    assert!(load_str(&recent, Path::new("s.yml")).is_ok());
    let latest = OLD_FILE.replace("version: \"3.3\"\n", "");
    assert!(load_str(&latest, Path::new("s.yml")).is_ok());
    let three = OLD_FILE.replace("\"3.3\"", "\"3\"");
    assert!(load_str(&three, Path::new("s.yml")).is_ok());
}

#[test]
fn secret_name_needs_3_5() {
    let text =
        "version: \"3.4\"\nservices:\n  web:\n    image: a\nsecrets:\n  db:\n    name: db-v1\n    external: true\n";
    let d = find(&errors(text), "secrets.db Additional property name is not allowed");
    assert_eq!(at(&d), (Some(7), Some(5)));
    assert!(d.hint.unwrap().contains("3.5"));
}

#[test]
fn unsupported_version_points_at_the_version_line() {
    let diags = errors("services:\n  web:\n    image: a\nversion: \"3.14\"\n");
    let d = find(&diags, "unsupported Compose file version: 3.14");
    assert_eq!(at(&d), (Some(4), Some(1)));
    assert!(d.hint.unwrap().contains("3.8"));
    assert_eq!(diags.len(), 1, "an unknown version gates nothing: {diags:#?}");
}

#[test]
fn type_errors_use_dockers_words() {
    let text = r#"services:
  web:
    image: [a]
    deploy:
      replicas: many
      update_config:
        max_failure_ratio: half
      placement:
        constraints: node.role == manager
  db:
    image: b
    deploy: 3
"#;
    let diags = errors(text);
    assert_eq!(diags.len(), 5, "{diags:#?}");
    assert_eq!(at(&find(&diags, "services.web.image must be a string")), (Some(3), Some(5)));
    assert_eq!(at(&find(&diags, "services.web.deploy.replicas must be an integer")), (Some(5), Some(7)));
    assert_eq!(
        at(&find(&diags, "services.web.deploy.update_config.max_failure_ratio must be a number")),
        (Some(7), Some(9))
    );
    assert_eq!(at(&find(&diags, "services.web.deploy.placement.constraints must be a list")), (Some(9), Some(9)));
    let d = find(&diags, "services.db.deploy must be a mapping");
    assert_eq!((at(&d), d.hint.as_deref()), ((Some(12), Some(5)), Some("found an integer")));
}

#[test]
fn enums_list_their_values() {
    let text = "services:\n  web:\n    image: a\n    deploy:\n      update_config:\n        order: start-frist\n      restart_policy:\n        condition: always\n";
    let diags = errors(text);
    let d = find(
        &diags,
        "services.web.deploy.update_config.order must be one of the following: \"start-first\", \"stop-first\"",
    );
    assert_eq!((at(&d), d.hint.as_deref()), ((Some(6), Some(9)), Some("did you mean \"start-first\"?")));
    let d = find(
        &diags,
        "services.web.deploy.restart_policy.condition must be one of the following: \"any\", \"none\", \"on-failure\"",
    );
    assert_eq!(at(&d), (Some(8), Some(9)));
}

#[test]
fn extension_keys_are_not_allowed_inside_deploy() {
    let text =
        "services:\n  web:\n    image: a\n    deploy:\n      x-team: core\n      update_config:\n        x-why: fast\n";
    let diags = errors(text);
    let d = find(&diags, "services.web.deploy Additional property x-team is not allowed");
    assert_eq!(at(&d), (Some(5), Some(7)));
    assert!(d.hint.unwrap().contains("extension (x-) keys"));
    assert_eq!(
        at(&find(&diags, "services.web.deploy.update_config Additional property x-why is not allowed")),
        (Some(7), Some(9))
    );
}

#[test]
fn long_port_syntax_needs_3_2() {
    let text = "version: \"3.1\"\nservices:\n  web:\n    image: a\n    ports:\n      - \"80:80\"\n      - target: 443\n        published: 8443\n";
    let d = find(&errors(text), "services.web.ports[1] must be a string or number");
    assert_eq!(at(&d), (Some(7), Some(7)), "the list item's dash");
    assert!(d.hint.unwrap().contains("3.2"));
    let ok = text.replace("\"3.1\"", "\"3.2\"");
    assert!(load_str(&ok, Path::new("s.yml")).is_ok());
}

/// A stack with one file secret, written beside `file_bytes` in a temporary folder.
fn secret_stack(
    dir: &Path,
    key_and_name: &str,
    file_bytes: Option<&[u8]>,
) -> Result<crate::model::scenario::Scenario, Vec<Diagnostic>> {
    if let Some(bytes) = file_bytes {
        std::fs::create_dir_all(dir.join("secrets")).unwrap();
        std::fs::write(dir.join("secrets/value.txt"), bytes).unwrap();
    }
    let text = format!(
        "version: \"3.8\"\nservices:\n  web:\n    image: a\n    secrets: [db]\nsecrets:\n  db:\n{key_and_name}    file: ./secrets/value.txt\n"
    );
    let path = dir.join("stack.yml");
    std::fs::write(&path, &text).unwrap();
    crate::scenario::load(&path).map_err(|e| e.diagnostics)
}

#[test]
fn stack_secret_files_are_measured_relative_to_the_stack_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = secret_stack(dir.path(), "", Some(b"s3cret\n")).unwrap();
    assert_eq!(s.secrets[0].name, "stack_db");
    assert_eq!(s.secrets[0].size_bytes, Some(7));
    assert!(!format!("{s:?}").contains("s3cret"), "the value is never kept");
}

#[test]
fn stack_secret_rules() {
    let dir = tempfile::tempdir().unwrap();
    let missing = secret_stack(dir.path(), "", None).unwrap_err();
    let d = &missing[0];
    assert!(
        d.message.starts_with("open ") && d.message.ends_with("secrets/value.txt: no such file or directory"),
        "{d:?}"
    );
    assert_eq!((d.path.as_str(), d.line, d.column), ("secrets.db.file", Some(8), Some(5)));

    let empty = secret_stack(dir.path(), "", Some(b"")).unwrap_err();
    assert_eq!(empty[0].message, "secret data must be larger than 0 and less than 512000 bytes");
    assert!(empty[0].hint.as_deref().unwrap().ends_with("is 0 bytes"));
    let big = vec![b'x'; 512_000];
    let too_big = secret_stack(dir.path(), "", Some(&big)).unwrap_err();
    assert!(too_big[0].hint.as_deref().unwrap().ends_with("is 512000 bytes"));
    assert!(secret_stack(dir.path(), "", Some(&big[..511_999])).is_ok());

    let bad = secret_stack(dir.path(), "    name: -db\n", Some(b"v")).unwrap_err();
    let d = &bad[0];
    assert_eq!(
        d.message,
        "invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]"
    );
    assert_eq!((d.path.as_str(), d.line, d.column), ("secrets.db.name", Some(8), Some(5)));
}

#[test]
fn per_container_changes_are_checked_item_by_item() {
    // A misspelt form gets a did-you-mean; a pull key cannot be counted per container (the pull
    // comes before the container); an item that is not a mapping says what it found.
    let diags = errors(
        "services:\n  web:\n    image: web:1\nx-simulation:\n  images:\n    web:1:\n      per_container: {cycel: [{}]}\n    web:2:\n      per_container:\n        first:\n          - {pull: 3s}\n          - []\n",
    );
    let d = find(&diags, "x-simulation.images.web:1.per_container Additional property cycel is not allowed");
    assert_eq!(d.hint.as_deref(), Some("did you mean cycle?"));
    assert_eq!(at(&d), (Some(7), Some(23)), "at the misspelt key inside the flow mapping");
    let d = find(&diags, "x-simulation.images.web:2.per_container.first[0] pull cannot change per container");
    assert_eq!(at(&d), (Some(11), Some(14)), "at `pull`, inside the item's flow mapping");
    assert!(d.hint.as_deref().is_some_and(|h| h.contains("timeline image:")), "{d:#?}");
    let d = find(&diags, "x-simulation.images.web:2.per_container.first[1] must be a mapping");
    assert_eq!(at(&d), (Some(12), Some(11)));
}

#[test]
fn a_sole_managers_daemon_may_restart_but_its_link_and_one_of_several_managers_stay_refused() {
    // A single manager's dockerd kill and start are simulated (the control plane stops and a new
    // leader marks the nodes UNKNOWN: recorded in m12/m12b). Cutting a manager off from its
    // workers, or a fault of one manager among several (raft elections), is not: refused at load.
    let sole = "services:\n  web:\n    image: web:1\nx-simulation:\n  cluster: {nodes: 2}\n  timeline:\n    - {at: 2s, daemon_kill: node-1}\n    - {at: 3s, daemon_start: node-1}\n    - {at: 4s, daemon_kill: node-2}\n";
    let scenario = load_str(sole, Path::new("stack.yml")).expect("a sole manager's daemon kill and start are accepted");
    assert_eq!(scenario.timeline.len(), 3);
    let diags = errors(
        "services:\n  web:\n    image: web:1\nx-simulation:\n  cluster: {nodes: 2}\n  timeline:\n    - {at: 1s, node_down: node-1}\n    - {at: 3s, daemon_kill: node-2}\n",
    );
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = find(
        &diags,
        "x-simulation.timeline[0].node_down node_down node-1: cutting a manager's link is not simulated (node-1 is a manager, where the control plane runs)",
    );
    assert!(d.hint.as_deref().is_some_and(|h| h.contains("cut every worker")), "{d:#?}");
    let diags = errors(
        "services:\n  web:\n    image: web:1\nx-simulation:\n  cluster:\n    nodes:\n      - {name: m1, role: manager}\n      - {name: m2, role: manager}\n      - {name: w1}\n  timeline:\n    - {at: 2s, daemon_kill: m2}\n",
    );
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = find(
        &diags,
        "x-simulation.timeline[0].daemon_kill daemon_kill m2: killing or starting the daemon of one manager among several is not simulated (m2 is a manager, where the control plane runs)",
    );
    assert_eq!(d.hint.as_deref(), Some("give daemon_kill to a worker (role: worker), or declare a single manager"));
}

#[test]
fn an_unquoted_number_is_quoted_back_as_written() {
    // YAML reads 20.10 as 20.1 and 3.10 as 3.1: the hint shows what was typed.
    let d = find(
        &errors("services:\n  web:\n    image: a\nx-simulation:\n  engine: 20.10\n"),
        "x-simulation.engine must be a string",
    );
    assert_eq!(d.hint.as_deref(), Some("quote it: engine: \"20.10\" (unquoted, YAML reads 20.10 as the number 20.1)"));
    let d = find(&errors("version: 3.10\nservices:\n  web:\n    image: a\n"), "version must be a string");
    assert_eq!(d.hint.as_deref(), Some("quote it: version: \"3.10\" (unquoted, YAML reads 3.10 as the number 3.1)"));
    let d = find(&errors("version: 3\nservices:\n  web:\n    image: a\n"), "version must be a string");
    assert_eq!(d.hint.as_deref(), Some("quote it: version: \"3\""));
}

#[test]
fn an_unquoted_number_in_a_flow_mapping_is_quoted_back_as_written() {
    // Inside `{…}` the key's position is known (37ec6c2): what was typed ends at the `,` or `}`
    // (review20 found the hint quoting `20.10, until: 10s}`).
    let d = find(
        &errors("services:\n  web:\n    image: a\nx-simulation: {engine: 20.10, until: 10s}\n"),
        "x-simulation.engine must be a string",
    );
    assert_eq!(d.hint.as_deref(), Some("quote it: engine: \"20.10\" (unquoted, YAML reads 20.10 as the number 20.1)"));
    let d = find(&errors("{version: 3.10, services: {web: {image: a}}}\n"), "version must be a string");
    assert_eq!(d.hint.as_deref(), Some("quote it: version: \"3.10\" (unquoted, YAML reads 3.10 as the number 3.1)"));
}

#[test]
fn malformed_short_ports_get_dockers_words() {
    let diags = errors(
        "services:\n  web:\n    image: a\n    ports: [\"8080:80\", \"80:abc\", \"1-3:4-5\", \"127.0.0.1:80:80/tcpx\", 70000, \"x.y:80:80\", \"[::1]:80:80\"]\n",
    );
    for (i, headline) in [
        (1, "Invalid containerPort: abc"),
        (2, "Invalid ranges specified for container and host Ports: 4-5 and 1-3"),
        (3, "Invalid proto: tcpx"),
        (4, "Invalid containerPort: 70000"),
        (5, "Invalid ip address: x.y"),
    ] {
        find(&diags, &format!("services.web.ports[{i}] {headline}"));
    }
    assert_eq!(diags.len(), 5, "8080:80 and [::1]:80:80 are valid: {diags:#?}");
}

fn warnings_of(text: &str) -> Vec<String> {
    crate::scenario::load_str_with_warnings(text, Path::new("stack.yml")).expect("valid").1
}

#[test]
fn an_image_missing_from_a_described_set_and_an_unplaceable_service_are_warned() {
    let text = "services:\n  web:\n    image: nginx:1.14\n    deploy:\n      placement:\n        constraints: [node.labels.zone == east]\nx-simulation:\n  cluster:\n    nodes:\n      - {name: a, role: manager, labels: {zone: west}}\n  images:\n    nginx:1.14-alpine: {start: 1s}\n  timeline:\n    - at: 10s\n      run: docker service update --image nginx:1.14-alpine stack_web\n";
    let w = warnings_of(text);
    let image = w.iter().find(|w| w.contains("image nginx:1.14 is not described")).expect("image warning");
    assert!(image.contains("did you mean nginx:1.14-alpine?"), "{image}");
    assert!(!w.iter().any(|w| w.contains("image nginx:1.14-alpine is not described")), "{w:?}");
    let placement = w.iter().find(|w| w.contains("no node of the cluster meets")).expect("placement warning");
    assert!(placement.contains("node.labels.zone == east") && placement.contains("stay pending"), "{placement}");
    // The same constraint met by one node, and no images section at all: nothing to say.
    let fine = text.replace("zone: west", "zone: east").replace("  images:\n    nginx:1.14-alpine: {start: 1s}\n", "");
    let w = warnings_of(&fine);
    assert!(!w.iter().any(|w| w.contains("not described") || w.contains("no node of")), "{w:?}");
}

#[test]
fn a_fault_with_nothing_to_undo_or_break_is_warned() {
    // node_up of a node never cut, node_down of one already cut, daemon_start of a running
    // dockerd, daemon_kill of a dead one: each does nothing, and says so; the faults in their
    // right order (and a node declared down, brought up) say nothing.
    let timeline = |entries: &str| {
        format!(
            "services:\n  web:\n    image: a\nx-simulation:\n  cluster:\n    nodes:\n      - {{name: m, role: manager}}\n      - {{name: w, role: worker, status: down}}\n      - {{name: x, role: worker}}\n  timeline:\n{entries}"
        )
    };
    let noop = timeline(
        "    - {at: 1s, node_up: x}\n    - {at: 2s, node_down: x}\n    - {at: 3s, node_down: x}\n    - {at: 4s, daemon_start: x}\n    - {at: 5s, daemon_kill: x}\n    - {at: 6s, daemon_kill: x}\n",
    );
    let w: Vec<String> = warnings_of(&noop).into_iter().filter(|w| w.contains("does nothing")).collect();
    assert_eq!(w.len(), 4, "{w:#?}");
    assert!(w[0].contains("x's link is not cut at 1s"), "{}", w[0]);
    assert!(w[1].contains("x's link is already cut at 3s"), "{}", w[1]);
    assert!(w[2].contains("x's dockerd runs at 4s"), "{}", w[2]);
    assert!(w[3].contains("x's dockerd is already killed at 6s"), "{}", w[3]);
    let fine = timeline(
        "    - {at: 1s, node_up: w}\n    - {at: 2s, node_down: x}\n    - {at: 3s, node_up: x}\n    - {at: 4s, daemon_kill: x}\n    - {at: 5s, daemon_start: x}\n",
    );
    assert!(!warnings_of(&fine).iter().any(|w| w.contains("does nothing")), "{:#?}", warnings_of(&fine));
}

/// A stack whose service mounts `db` with the long syntax `long` (indented under `- `).
fn long_secret_stack(dir: &Path, long: &str) -> Result<crate::model::scenario::Scenario, Vec<Diagnostic>> {
    std::fs::write(dir.join("value.txt"), b"v").unwrap();
    let text = format!(
        "services:\n  web:\n    image: a\n    secrets:\n      - source: db\n{long}secrets:\n  db:\n    file: ./value.txt\n    external: no\n"
    );
    let path = dir.join("stack.yml");
    std::fs::write(&path, &text).unwrap();
    crate::scenario::load(&path).map_err(|e| e.diagnostics)
}

#[test]
fn a_long_syntax_secret_keeps_its_target_uid_gid_and_octal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let s = long_secret_stack(
        dir.path(),
        "        target: api\n        uid: \"103\"\n        gid: \"104\"\n        mode: 0400\n",
    )
    .unwrap();
    let r = &s.services[0].task.secrets[0];
    assert_eq!((r.source.as_str(), r.target.as_str()), ("stack_db", "api"));
    assert_eq!((r.uid.as_str(), r.gid.as_str(), r.mode), ("103", "104", 0o400), "0400 is octal, as YAML 1.1 reads it");
    assert!(!s.secrets[0].external, "external: no is YAML 1.1's false");
    let s = long_secret_stack(dir.path(), "        mode: 288\n").unwrap();
    assert_eq!(s.services[0].task.secrets[0].mode, 0o440, "a decimal mode is taken as written");
    let e = long_secret_stack(dir.path(), "        uid: 103\n        mode: rw\n").unwrap_err();
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!((e[0].path.as_str(), e[0].message.as_str()), ("services.web.secrets[0].uid", "must be a string"));
    assert_eq!((e[0].line, e[0].column), (Some(6), Some(9)));
    assert_eq!(e[0].hint.as_deref(), Some("quote it: \"103\""));
    assert_eq!((e[1].path.as_str(), e[1].message.as_str()), ("services.web.secrets[0].mode", "must be a file mode"));
}

#[test]
fn yaml_1_1_booleans_are_read_where_a_boolean_is_expected() {
    for (word, disabled) in [("yes", true), ("on", true), ("Y", true), ("no", false), ("OFF", false)] {
        let text = format!("services:\n  web:\n    image: a\n    healthcheck:\n      disable: {word}\n");
        let s = load_str(&text, Path::new("s.yml")).unwrap_or_else(|e| panic!("{word}: {e}"));
        let off = matches!(s.services[0].task.healthcheck, Some(crate::model::spec::Healthcheck::Disabled));
        assert_eq!(off, disabled, "{word}");
    }
    let e = load_str("services:\n  web:\n    image: a\n    healthcheck:\n      disable: maybe\n", Path::new("s.yml"))
        .unwrap_err();
    assert_eq!(e.diagnostics[0].message, "must be a boolean");
}

#[test]
fn a_network_a_service_names_must_be_declared_except_default() {
    // docker/cli `convertServiceNetworks`: `service web: undefined network "backnd"`, at the
    // service's networks key, with the declared name suggested; `default` needs no declaration.
    let text = "services:\n  web:\n    image: a\n    networks: [default, backnd]\nnetworks:\n  backend: {}\nx-simulation:\n  stack: s\n";
    let diags = errors(text);
    let d = find(&diags, "services.web.networks service web: undefined network \"backnd\"");
    assert_eq!(at(&d), (Some(4), Some(5)));
    assert_eq!(d.hint.as_deref(), Some("did you mean \"backend\"?"));
    let declared = "services:\n  web:\n    image: a\n    networks:\n      backend: {aliases: [api]}\n      default: {}\nnetworks:\n  backend: {}\nx-simulation:\n  stack: s\n";
    let scenario = load_str(declared, Path::new("stack.yml")).expect("declared networks load");
    assert_eq!(scenario.services[0].task.networks, ["backend", "default"]);
}

#[test]
fn restart_condition_always_points_to_swarms_any() {
    // A newcomer's `condition: always` (docker run / compose `restart:` wording) is refused with
    // the list and the Swarm word to use.
    let text = "services:\n  web:\n    image: a\n    deploy:\n      restart_policy:\n        condition: always\nx-simulation:\n  stack: s\n";
    let d = find(
        &errors(text),
        "services.web.deploy.restart_policy.condition must be one of the following: \"any\", \"none\", \"on-failure\"",
    );
    assert_eq!(at(&d), (Some(6), Some(9)));
    assert_eq!(d.hint.as_deref(), Some("\"always\" is docker run's --restart; Swarm's equivalent is \"any\""));
}
