//! Swarm's secret store as the control API enforces it (`controlapi/secret.go`): create with
//! Docker's name and size rules, remove only when no current service spec uses it, list and
//! inspect without ever the data. Values never enter the simulator, so none can leak.

use std::collections::BTreeMap;

use crate::model::record::CommandOutput;
use crate::model::secret::{MAX_SECRET_BYTES, SecretDef, valid_secret_name};
use crate::time::SimTime;

use super::Manager;

/// A secret in the store.
struct StoredSecret {
    /// Its definition (name, size, labels).
    def: SecretDef,
    /// Docker-style id.
    id: String,
    /// When it was created.
    created_at: SimTime,
}

/// Every secret, by name.
pub(super) struct SecretStore {
    secrets: BTreeMap<String, StoredSecret>,
}

/// A stable 25-character id derived from the name (reports diff cleanly across runs), in the
/// alphabet of Docker's ids.
fn secret_id(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    crate::model::task::TaskId((h >> 40) as u32).docker_id()
}

impl SecretStore {
    /// The secrets that exist when the stack is deployed.
    pub(super) fn new(defs: &[SecretDef]) -> SecretStore {
        let secrets = defs
            .iter()
            .map(|def| {
                let stored = StoredSecret { def: def.clone(), id: secret_id(&def.name), created_at: SimTime::ZERO };
                (def.name.clone(), stored)
            })
            .collect();
        SecretStore { secrets }
    }

    /// The first secret in `names` that does not exist, for Docker's `secret not found: NAME`.
    pub(super) fn missing<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Option<String> {
        names.into_iter().find(|n| !self.secrets.contains_key(*n)).map(str::to_string)
    }

    /// swarmkit `controlapi.UpdateSecret`: only the labels may change; data known to differ
    /// from the stored secret's is refused (a value that is not known is taken as the same).
    pub(super) fn update(&mut self, def: &SecretDef) -> Result<(), String> {
        let Some(stored) = self.secrets.get_mut(&def.name) else {
            return Err(format!("Error: No such secret: {}", def.name));
        };
        if let (Some(old), Some(new)) = (stored.def.value, def.value)
            && old != new
        {
            return Err("Error response from daemon: rpc error: code = InvalidArgument desc = only updates to \
                        Labels are allowed"
                .to_string());
        }
        stored.def.labels = def.labels.clone();
        Ok(())
    }

    /// `docker secret ls`, laid out as Docker prints it.
    pub(super) fn ls(&self, now: SimTime, command: &str) -> CommandOutput {
        let mut out = format!("{:<27}{:<20}{:<9}{:<16}{}\n", "ID", "NAME", "DRIVER", "CREATED", "UPDATED");
        for s in self.secrets.values() {
            let age = human_age(now.since(s.created_at).whole_secs());
            out.push_str(&format!("{:<27}{:<20}{:<9}{:<16}{}\n", s.id, s.def.name, "", age, age));
        }
        CommandOutput { t: now, command: command.to_string(), output: out }
    }

    /// `docker secret inspect NAME`: metadata only; `Spec.Data` is never returned by the API.
    pub(super) fn inspect(&self, name: &str, now: SimTime, command: &str) -> Result<CommandOutput, String> {
        let s = self.secrets.get(name).ok_or_else(|| format!("Error: No such secret: {name}"))?;
        let labels: Vec<String> = s.def.labels.iter().map(|(k, v)| format!("            \"{k}\": \"{v}\"")).collect();
        let output = format!(
            "[\n    {{\n        \"ID\": \"{}\",\n        \"Version\": {{\n            \"Index\": 11\n        }},\n        \
             \"CreatedAt\": \"+{}s\",\n        \"UpdatedAt\": \"+{}s\",\n        \"Spec\": {{\n            \
             \"Name\": \"{}\",\n            \"Labels\": {{{}}}\n        }}\n    }}\n]\n",
            s.id,
            s.created_at.secs_ms(),
            s.created_at.secs_ms(),
            s.def.name,
            if labels.is_empty() { String::new() } else { format!("\n{}\n        ", labels.join(",\n")) },
        );
        Ok(CommandOutput { t: now, command: command.to_string(), output })
    }
}

impl Manager {
    /// `docker secret create`.
    pub(super) fn secret_create(&mut self, def: &SecretDef, now: SimTime) -> Result<(), String> {
        if !valid_secret_name(&def.name) {
            return Err(format!(
                "Error response from daemon: rpc error: code = InvalidArgument desc = invalid name, only 64 \
                 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]: {}",
                def.name
            ));
        }
        if let Some(size) = def.size_bytes
            && (size == 0 || size >= MAX_SECRET_BYTES)
        {
            return Err(format!(
                "Error response from daemon: rpc error: code = InvalidArgument desc = secret data must be \
                     larger than 0 and less than {MAX_SECRET_BYTES} bytes"
            ));
        }
        let secrets = &mut self.secrets.secrets;
        if secrets.contains_key(&def.name) {
            return Err(format!(
                "Error response from daemon: rpc error: code = AlreadyExists desc = secret {} already exists",
                def.name
            ));
        }
        let stored = StoredSecret { def: def.clone(), id: secret_id(&def.name), created_at: now };
        secrets.insert(def.name.clone(), stored);
        Ok(())
    }

    /// `docker secret rm`: refused while a service's *current* spec references it (only the
    /// current spec is indexed, so one that only a previous spec uses can be removed).
    pub(super) fn secret_rm(&mut self, name: &str) -> Result<(), String> {
        if !self.secrets.secrets.contains_key(name) {
            return Err(format!("Error: No such secret: {name}"));
        }
        let users: Vec<String> = self
            .store
            .services()
            .iter()
            .filter(|s| s.spec().task.secrets.iter().any(|r| r.source == name))
            .map(|s| s.name.to_string())
            .collect();
        if !users.is_empty() {
            let plural = if users.len() == 1 { "service" } else { "services" };
            return Err(format!(
                "Error response from daemon: rpc error: code = InvalidArgument desc = secret '{name}' is in use by \
                 the following {plural}: {}",
                users.join(", ")
            ));
        }
        self.secrets.secrets.remove(name);
        Ok(())
    }
}

/// Docker's "About a minute ago" style, for `CREATED`.
fn human_age(secs: u64) -> String {
    match secs {
        0 => "Less than a second ago".into(),
        1 => "1 second ago".into(),
        2..=59 => format!("{secs} seconds ago"),
        60..=119 => "About a minute ago".into(),
        120..=3599 => format!("{} minutes ago", secs / 60),
        3600..=7199 => "About an hour ago".into(),
        _ => format!("{} hours ago", secs / 3600),
    }
}
