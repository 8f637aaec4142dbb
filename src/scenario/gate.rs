//! Compose version gating: a key the file's declared `version` does not know yet is rejected as
//! `docker stack deploy` rejects it. Docker validates against the JSON schema of the declared
//! version (`cli/compose/schema/data/config_schema_v3.N.json`), whose objects all have
//! `additionalProperties: false`, so a key from a later version reads exactly like a typo:
//! `services.web.deploy.update_config Additional property order is not allowed`. The hint adds
//! what the schema cannot say: which version introduced the key.

use crate::scenario::locate::Path;
use crate::scenario::raw::Yaml;
use crate::scenario::validate::{Checker, Entries};

/// The minor version `version: "3"` and a missing `version` mean (the latest 3.x schema).
pub(super) const LATEST_MINOR: u32 = 13;

/// `(parent path pattern, key, first 3.x minor version whose schema allows it)`. `*` matches any
/// key (a service or secret name). From the schemas and research notes §7.
const GATES: &[(&[&str], &str, u32)] = &[
    (&[], "secrets", 1),
    (&[], "configs", 3),
    (&["services", "*"], "secrets", 1),
    (&["services", "*"], "configs", 3),
    (&["services", "*"], "credential_spec", 3),
    (&["services", "*", "deploy"], "endpoint_mode", 2),
    (&["services", "*", "deploy"], "rollback_config", 7),
    (&["services", "*", "deploy", "update_config"], "order", 4),
    (&["services", "*", "deploy", "placement"], "preferences", 3),
    (&["services", "*", "deploy", "placement"], "max_replicas_per_node", 8),
    (&["services", "*", "healthcheck"], "start_period", 4),
    (&["services", "*", "healthcheck"], "start_interval", 12),
    (&["secrets", "*"], "name", 5),
    (&["secrets", "*"], "driver", 8),
    (&["secrets", "*"], "driver_opts", 8),
    (&["secrets", "*"], "template_driver", 8),
];

/// Where extension (`x-`) keys are allowed, and from which version: the top level from 3.4,
/// service and secret definitions from 3.7 (the schemas' `patternProperties: {"^x-": {}}`).
const EXTENSIONS: &[(&[&str], u32)] = &[(&[], 4), (&["services", "*"], 7), (&["secrets", "*"], 7)];

/// The 3.x minor version `version:` declares (`None` for a version the loader rejects).
pub(super) fn declared_minor(version: Option<&Yaml>) -> Option<u32> {
    match version {
        None => Some(LATEST_MINOR),
        Some(Yaml::Str(s)) if s == "3" => Some(LATEST_MINOR),
        // "3.08" is not a version Docker knows (the loader reports it): nothing to gate.
        Some(Yaml::Str(s)) => {
            let minor = s.strip_prefix("3.")?;
            if minor.len() > 1 && minor.starts_with('0') {
                return None;
            }
            minor.parse().ok().filter(|m| *m <= LATEST_MINOR)
        }
        Some(_) => None,
    }
}

/// Rejects every key of `root` that needs a later version than `minor` (declared as `shown`).
pub(super) fn check(c: &mut Checker<'_>, root: &Entries, minor: u32, shown: &str) {
    for (pattern, key, since) in GATES.iter().filter(|(_, _, since)| *since > minor) {
        for (path, entries) in parents(root, pattern) {
            if entries.iter().any(|(k, _)| k == key) {
                reject(c, &path, key, *since, shown);
            }
        }
    }
    for (pattern, since) in EXTENSIONS.iter().filter(|(_, since)| *since > minor) {
        for (path, entries) in parents(root, pattern) {
            for (key, _) in entries.iter().filter(|(k, _)| k.starts_with("x-")) {
                reject(c, &path, key, *since, shown);
            }
        }
    }
    if minor < 2 {
        long_port_syntax(c, root, shown);
    }
}

fn reject(c: &mut Checker<'_>, parent: &Path, key: &str, since: u32, shown: &str) {
    let hint = format!(
        "{key} needs compose file format 3.{since} or later; this file declares version \"{shown}\": \
         write version: \"3.{since}\" (or later)"
    );
    c.error_at(parent, &parent.key(key), format!("Additional property {key} is not allowed"), Some(hint));
}

/// Before 3.2 a port is a string or a number: the long syntax (`{target, published, mode}`)
/// fails the schema's type check.
fn long_port_syntax(c: &mut Checker<'_>, root: &Entries, shown: &str) {
    for (path, service) in parents(root, &["services", "*"]) {
        let Some((_, Yaml::Seq(items))) = service.iter().find(|(k, _)| k == "ports") else { continue };
        for (i, _) in items.iter().enumerate().filter(|(_, item)| matches!(item, Yaml::Map(_))) {
            let at = path.key("ports").index(i);
            let hint = format!(
                "the long syntax of ports needs compose file format 3.2 or later; this file declares \
                 version \"{shown}\": write version: \"3.2\" (or later) or \"8080:80\""
            );
            c.error(&at, "must be a string or number", Some(hint));
        }
    }
}

/// The mappings at `pattern` below `root` (`*` matches every key), with their paths.
fn parents<'v>(root: &'v Entries, pattern: &[&str]) -> Vec<(Path, &'v Entries)> {
    let mut found = vec![(Path::root(), root)];
    for step in pattern {
        let mut next = Vec::new();
        for (path, entries) in found {
            for (key, value) in entries.iter().filter(|(k, _)| *step == "*" || k == step) {
                if let Yaml::Map(children) = value {
                    next.push((path.key(key), children.as_slice()));
                }
            }
        }
        found = next;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_versions() {
        let s = |t: &str| Yaml::Str(t.into());
        assert_eq!(declared_minor(None), Some(13));
        assert_eq!(declared_minor(Some(&s("3"))), Some(13));
        assert_eq!(declared_minor(Some(&s("3.4"))), Some(4));
        assert_eq!(declared_minor(Some(&s("3.14"))), None);
        assert_eq!(declared_minor(Some(&Yaml::Float(3.8))), None);
    }
}
