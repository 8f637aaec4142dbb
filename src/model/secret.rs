//! Swarm secrets as the simulator knows them: names, sizes and where they are mounted — never
//! their values, which the loader reads only to measure and then drops.

use std::collections::BTreeMap;

/// A secret that exists in the swarm (created by `docker stack deploy` from the stack's
/// top-level `secrets:`, by `docker secret create`, or `external: true` and assumed present).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretDef {
    /// Swarm name: `<stack>_<key>` for a stack secret unless `name:` is set; the key itself for
    /// an external one.
    pub name: String,
    /// Size of the value in bytes, when known (Docker requires 1 ≤ size < 512000).
    pub size_bytes: Option<u64>,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// Declared `external: true` (must already exist; the simulator assumes it does).
    pub external: bool,
    /// The file the value comes from (a stack's `file:`, `docker secret create NAME FILE`);
    /// `None` for standard input and external secrets. Only the loader opens it, to compare.
    pub file: Option<std::path::PathBuf>,
    /// Which of the scenario's values for this name it carries: definitions whose files hold
    /// the same bytes share the number, assigned by the loader by comparing the files byte for
    /// byte (never by hashing the value); `None` when unknown (standard input, external). Swarm
    /// refuses to change a secret's data (`only updates to Labels are allowed`): the only use.
    pub value: Option<u32>,
}

/// A service's reference to a secret (`--secret source=NAME,target=T,uid=U,gid=G,mode=M`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretRef {
    /// Swarm name of the secret.
    pub source: String,
    /// Target: a file name under `/run/secrets/`, or an absolute path used as is.
    pub target: String,
    /// Owner uid (default "0").
    pub uid: String,
    /// Owner gid (default "0").
    pub gid: String,
    /// File mode (default 0o444).
    pub mode: u32,
}

impl SecretRef {
    /// A reference with Docker's defaults: target = name, uid/gid 0, mode 0444.
    pub fn named(name: &str) -> SecretRef {
        SecretRef { source: name.to_string(), target: name.to_string(), uid: "0".into(), gid: "0".into(), mode: 0o444 }
    }

    /// Where the container sees the file (`getSecretTargetPath`): relative targets go under
    /// `/run/secrets/`, absolute ones are used as they are.
    pub fn mount_path(&self) -> String {
        if self.target.starts_with('/') { self.target.clone() } else { format!("/run/secrets/{}", self.target) }
    }
}

/// Docker's secret name rule: 1–64 characters of `[a-zA-Z0-9-_.]`, starting and ending with an
/// alphanumeric character.
pub fn valid_secret_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let allowed = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes.iter().all(allowed)
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
}

/// Docker's size rule (`validateSecretSpec`): the data must be non-empty and under 500 KiB.
pub const MAX_SECRET_BYTES: u64 = 512_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_paths_follow_dockers_rule() {
        assert_eq!(SecretRef::named("db").mount_path(), "/run/secrets/db");
        let mut r = SecretRef::named("api");
        r.target = "/run/my-secrets/api-secret-key".into();
        assert_eq!(r.mount_path(), "/run/my-secrets/api-secret-key");
    }

    #[test]
    fn names_follow_dockers_rule() {
        assert!(valid_secret_name("sample-secret"));
        assert!(valid_secret_name("a.b_c-1"));
        assert!(!valid_secret_name(""));
        assert!(!valid_secret_name("-bad"));
        assert!(!valid_secret_name("bad."));
        assert!(!valid_secret_name("has space"));
        assert!(!valid_secret_name(&"x".repeat(65)));
        assert!(valid_secret_name(&"x".repeat(64)));
    }
}
