//! The values of the `docker service create|update` flags that change the task spec without
//! changing anything the simulation reads — `--env(-add)`, `--container-label(-add)`,
//! `--mount(-add)`, `--config(-add)`, `--publish(-add)`, `--args`, `--user`, `--workdir`,
//! `--stop-signal` (the resource and placement-preference flags are modelled: see
//! `scenario/resources.rs` and `docker_cli::placement_pref`) — parsed with docker/cli's
//! rules and error wording (v20.10: `opts/opts.go` `ValidateEnv`, `ValidateLabel`, `ParseCPUs`;
//! `opts/mount.go` `MountOpt.Set`; `opts/port.go` `PortOpt.Set`; `opts/config.go`;
//! `cli/command/service/opts.go` `placementPrefOpts`, `ShlexOpt`; go-units `RAMInBytes`).
//! Each becomes a [`TaskEdit`] (or a [`PublishedPort`]), which makes the tasks dirty — their
//! observable effect in a simulation — the way docker/cli's `updateService` edits the spec.

use crate::model::scenario::{PublishedPort, TaskEdit};
use crate::scenario::docker_cli::{CommandError, invalid};

/// The flags of `docker service update` handled here (besides `--publish-add|rm`).
pub(super) const UPDATE_TASK_FLAGS: &[&str] = &[
    "env-add",
    "env-rm",
    "container-label-add",
    "container-label-rm",
    "mount-add",
    "mount-rm",
    "config-add",
    "config-rm",
    "args",
    "user",
    "workdir",
    "stop-signal",
];

/// The `docker service create` flags handled here, with the update flag each matches.
pub(super) const CREATE_TASK_FLAGS: &[(&str, &str)] = &[
    ("env", "env-add"),
    ("container-label", "container-label-add"),
    ("mount", "mount-add"),
    ("config", "config-add"),
    ("user", "user"),
    ("workdir", "workdir"),
    ("stop-signal", "stop-signal"),
];

/// The edit one flag makes; `flag` is the name typed (for messages), `kind` the update flag
/// it acts as.
pub(super) fn edit(flag: &str, kind: &str, v: &str) -> Result<TaskEdit, CommandError> {
    let put = |field: &'static str, key: &str| TaskEdit::Put { field, key: key.to_string(), value: v.to_string() };
    let remove = |field: &'static str, key: &str| TaskEdit::Remove { field, key: key.to_string() };
    let set = |field: &'static str| TaskEdit::Set { field, value: v.to_string() };
    Ok(match kind {
        "env-add" => put("env", env_name(flag, v)?),
        // `updateEnvironment`: removed by the variable's name.
        "env-rm" => remove("env", v.split('=').next().unwrap_or(v)),
        "container-label-add" => put("container-label", &label_key(flag, v)?),
        "container-label-rm" => remove("container-label", v),
        "mount-add" => put("mount", &mount_target(flag, v)?),
        // `updateMounts`: removed by target path.
        "mount-rm" => remove("mount", v),
        "config-add" => put("config", &config_source(flag, v)?),
        "config-rm" => remove("config", v),
        "args" => {
            let words = crate::scenario::shell::split(v).map_err(|e| invalid(flag, v, e, None))?;
            TaskEdit::Set { field: "args", value: words.join("\u{1f}") }
        }
        "user" => set("user"),
        "workdir" => set("workdir"),
        "stop-signal" => set("stop-signal"),
        _ => unreachable!("{kind} is not a task flag"),
    })
}

/// `ValidateEnv`: `NAME=VALUE` or `NAME` (then taken from the CLI's environment, which a
/// simulation does not have: kept as typed).
fn env_name<'v>(flag: &str, v: &'v str) -> Result<&'v str, CommandError> {
    let name = v.split('=').next().unwrap_or("");
    if name.is_empty() {
        return Err(invalid(flag, v, format!("invalid environment variable: {v}"), None));
    }
    Ok(name)
}

/// `ValidateLabel`: a non-empty key without whitespace.
fn label_key(flag: &str, v: &str) -> Result<String, CommandError> {
    let key = v.split('=').next().unwrap_or("").trim_start();
    if key.is_empty() {
        return Err(invalid(flag, v, format!("invalid label '{v}': empty name"), None));
    }
    if key.contains(char::is_whitespace) {
        return Err(invalid(flag, v, format!("label '{key}' contains whitespaces"), None));
    }
    Ok(key.to_string())
}

/// `MountOpt.Set` (v20.10): `type=…,source=…,target=…[,readonly][,…]`; returns the target.
fn mount_target(flag: &str, v: &str) -> Result<String, CommandError> {
    let fail = |why: String| invalid(flag, v, why, None);
    let mut target = String::new();
    let mut kind = "volume".to_string();
    let (mut volume_opts, mut bind_opts, mut tmpfs_opts) = (false, false, false);
    for field in v.split(',') {
        let (key, value) = match field.split_once('=') {
            Some((k, val)) => (k.to_ascii_lowercase(), Some(val)),
            None => (field.to_ascii_lowercase(), None),
        };
        let Some(value) = value else {
            if matches!(key.as_str(), "readonly" | "ro" | "volume-nocopy" | "bind-nonrecursive") {
                volume_opts |= key == "volume-nocopy";
                bind_opts |= key == "bind-nonrecursive";
                continue;
            }
            return Err(fail(format!("invalid field '{field}' must be a key=value pair")));
        };
        let bad_value = || fail(format!("invalid value for {key}: {value}"));
        match key.as_str() {
            "type" => kind = value.to_ascii_lowercase(),
            "source" | "src" | "consistency" => {}
            "target" | "dst" | "destination" => target = value.to_string(),
            "readonly" | "ro" => {
                parse_go_bool(value).ok_or_else(bad_value)?;
            }
            "bind-propagation" => bind_opts = true,
            "bind-nonrecursive" => {
                parse_go_bool(value).ok_or_else(bad_value)?;
                bind_opts = true;
            }
            "volume-nocopy" => {
                parse_go_bool(value).ok_or_else(|| fail(format!("invalid value for volume-nocopy: {value}")))?;
                volume_opts = true;
            }
            "volume-label" | "volume-driver" | "volume-opt" => volume_opts = true,
            "tmpfs-size" => {
                crate::scenario::resources::parse_memory(value).map_err(|_| bad_value())?;
                tmpfs_opts = true;
            }
            "tmpfs-mode" => {
                u32::from_str_radix(value, 8).map_err(|_| bad_value())?;
                tmpfs_opts = true;
            }
            _ => return Err(fail(format!("unexpected key '{key}' in '{field}'"))),
        }
    }
    if kind.is_empty() {
        return Err(fail("type is required".into()));
    }
    if target.is_empty() {
        return Err(fail("target is required".into()));
    }
    for (given, wanted, name) in
        [(volume_opts, "volume", "volume"), (bind_opts, "bind", "bind"), (tmpfs_opts, "tmpfs", "tmpfs")]
    {
        if given && kind != wanted {
            return Err(fail(format!("cannot mix '{name}-*' options with mount type '{kind}'")));
        }
    }
    Ok(target)
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// `ConfigOpt.Set`: `NAME` or `source=NAME,target=…,uid=…,gid=…,mode=…`; returns the name.
fn config_source(flag: &str, v: &str) -> Result<String, CommandError> {
    let fields: Vec<&str> = v.split(',').collect();
    let mut source = String::new();
    for field in &fields {
        match field.split_once('=') {
            None if fields.len() == 1 => source = field.to_string(),
            None => return Err(invalid(flag, v, format!("invalid field '{field}' must be a key=value pair"), None)),
            Some((k, val)) => match k.to_ascii_lowercase().as_str() {
                "source" | "src" => source = val.to_string(),
                "target" | "uid" | "gid" => {}
                "mode" => {
                    u32::from_str_radix(val, 8).map_err(|_| {
                        invalid(
                            flag,
                            v,
                            format!("invalid mode specified: strconv.ParseUint: parsing \"{val}\": invalid syntax"),
                            None,
                        )
                    })?;
                }
                other => return Err(invalid(flag, v, format!("invalid field in config request: {other}"), None)),
            },
        }
    }
    if source.is_empty() {
        return Err(invalid(flag, v, "source is required", None));
    }
    Ok(source)
}

/// `PortOpt.Set` (v20.10): the long syntax (`published=8080,target=80[,protocol=udp][,mode=host]`)
/// or the short one (`8080:80[/udp]`, `80`). Ranges publish one port per number.
pub(super) fn publish(flag: &str, v: &str) -> Result<Vec<PublishedPort>, CommandError> {
    let fail = |why: String| invalid(flag, v, why, None);
    // docker/cli matches `\w+=\w+(,\w+=\w+)*` anywhere in the value: one `=` between word
    // characters makes it the long syntax.
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let chars: Vec<char> = v.chars().collect();
    let long = chars.windows(3).any(|w| w[1] == '=' && word(w[0]) && word(w[2]));
    if long {
        let mut p = PublishedPort { target: 0, published: 0, protocol: "tcp".into(), host_mode: false };
        for field in v.split(',') {
            let Some((key, value)) = field.split_once('=') else { return Err(fail(format!("invalid field {field}"))) };
            let (key, value) = (key.to_ascii_lowercase(), value.to_ascii_lowercase());
            let number = |value: &str| {
                value
                    .parse::<u16>()
                    .map_err(|_| fail(format!("strconv.ParseUint: parsing \"{value}\": invalid syntax")))
            };
            match key.as_str() {
                "protocol" if matches!(value.as_str(), "tcp" | "udp" | "sctp") => p.protocol = value,
                "protocol" => return Err(fail(format!("invalid protocol value {value}"))),
                "mode" if matches!(value.as_str(), "ingress" | "host") => p.host_mode = value == "host",
                "mode" => return Err(fail(format!("invalid publish mode value {value}"))),
                "target" => p.target = number(&value)?,
                "published" => p.published = number(&value)?,
                _ => return Err(fail(format!("invalid field key {key}"))),
            }
        }
        if p.target == 0 {
            return Err(fail("missing mandatory field \"target\"".into()));
        }
        return Ok(vec![p]);
    }
    // nat.ParsePortSpec: [[IP:]PUBLISHED:]TARGET[/PROTO], ranges allowed.
    let (ports, proto) = v.split_once('/').unwrap_or((v, "tcp"));
    let proto = proto.to_ascii_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(fail(format!("Invalid proto: {proto}")));
    }
    let parts: Vec<&str> = ports.rsplitn(3, ':').collect();
    let (ip, published, target) = match parts.as_slice() {
        [t] => ("", "", *t),
        [t, p] => ("", *p, *t),
        [t, p, ip] => (*ip, *p, *t),
        _ => unreachable!("rsplitn(3) gives one to three parts"),
    };
    if !ip.is_empty() {
        return Err(fail("hostip is not supported".into()));
    }
    if target.is_empty() {
        return Err(fail(format!("No port specified: {v}<empty>")));
    }
    let range = |text: &str| -> Option<(u16, u16)> {
        let (low, high) = text.split_once('-').unwrap_or((text, text));
        let (low, high) = (low.parse::<u16>().ok()?, high.parse::<u16>().ok()?);
        (low <= high).then_some((low, high))
    };
    let (t_low, t_high) = range(target).ok_or_else(|| fail(format!("Invalid containerPort: {target}")))?;
    let (p_low, p_high) = if published.is_empty() {
        (0, 0)
    } else {
        range(published).ok_or_else(|| fail(format!("Invalid hostPort: {published}")))?
    };
    if !published.is_empty() && t_high - t_low != p_high - p_low && t_high != t_low {
        return Err(fail(format!("Invalid ranges specified for container and host Ports: {target} and {published}")));
    }
    let ports = (t_low..=t_high)
        .enumerate()
        .map(|(i, t)| PublishedPort {
            target: t,
            published: if published.is_empty() { 0 } else { p_low.saturating_add(i as u16).min(p_high) },
            protocol: proto.clone(),
            host_mode: false,
        })
        .collect();
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(r: Result<impl std::fmt::Debug, CommandError>) -> String {
        r.expect_err("refused").message
    }

    #[test]
    fn each_flag_keys_its_entry_as_docker_replaces_it() {
        let put = |f: &'static str, k: &str, v: &str| TaskEdit::Put { field: f, key: k.into(), value: v.into() };
        assert_eq!(edit("env-add", "env-add", "A=1").unwrap(), put("env", "A", "A=1"));
        assert_eq!(edit("env", "env-add", "A").unwrap(), put("env", "A", "A"));
        assert_eq!(edit("env-rm", "env-rm", "A").unwrap(), TaskEdit::Remove { field: "env", key: "A".into() });
        let m = "type=bind,source=/srv,target=/data,readonly";
        assert_eq!(edit("mount-add", "mount-add", m).unwrap(), put("mount", "/data", m));
        assert_eq!(
            edit("config-add", "config-add", "source=app,target=/etc/app.conf").unwrap().clone(),
            put("config", "app", "source=app,target=/etc/app.conf")
        );
        assert_eq!(
            edit("user", "user", "1000:1000").unwrap(),
            TaskEdit::Set { field: "user", value: "1000:1000".into() }
        );
        assert!(edit("args", "args", "--port 80 'a b'").is_ok());
    }

    #[test]
    fn mistakes_have_dockers_messages() {
        assert_eq!(
            message(edit("env-add", "env-add", "=1")),
            "invalid argument \"=1\" for \"--env-add\" flag: invalid environment variable: =1"
        );
        assert!(
            message(edit("container-label-add", "container-label-add", "=x"))
                .ends_with("invalid label '=x': empty name")
        );
        assert!(
            message(edit("container-label-add", "container-label-add", "a b=x"))
                .ends_with("label 'a b' contains whitespaces")
        );
        assert!(message(edit("mount-add", "mount-add", "type=bind,source=/x")).ends_with("target is required"));
        assert!(
            message(edit("mount-add", "mount-add", "type=bind,target=/x,size=1"))
                .ends_with("unexpected key 'size' in 'size=1'")
        );
        assert!(
            message(edit("mount-add", "mount-add", "target=/x,bind-propagation=rshared"))
                .ends_with("cannot mix 'bind-*' options with mount type 'volume'")
        );
        assert!(
            message(edit("mount-add", "mount-add", "target"))
                .ends_with("invalid field 'target' must be a key=value pair")
        );
        assert!(message(edit("config-add", "config-add", "target=/x")).ends_with("source is required"));
        assert!(
            message(edit("config-add", "config-add", "source=a,owner=1"))
                .ends_with("invalid field in config request: owner")
        );
        assert!(message(edit("args", "args", "'open")).contains("--args"));
    }

    #[test]
    fn ports_long_and_short() {
        let p = publish("publish", "8000:8000").unwrap();
        assert_eq!((p[0].published, p[0].target, p[0].protocol.as_str(), p[0].host_mode), (8000, 8000, "tcp", false));
        let p = publish("publish-add", "published=8080,target=80,mode=host,protocol=udp").unwrap();
        assert_eq!((p[0].published, p[0].target, p[0].protocol.as_str(), p[0].host_mode), (8080, 80, "udp", true));
        assert_eq!(publish("p", "8080-8081:80-81").unwrap().len(), 2);
        assert_eq!(publish("publish", "80").unwrap()[0].published, 0);
        assert!(message(publish("publish", "published=8080")).ends_with("missing mandatory field \"target\""));
        assert!(message(publish("publish", "target=80,mode=vip")).ends_with("invalid publish mode value vip"));
        assert!(message(publish("publish", "target=80,proto=tcp")).ends_with("invalid field key proto"));
        assert!(message(publish("publish", "127.0.0.1:80:80")).ends_with("hostip is not supported"));
        assert!(message(publish("publish", "80:http")).ends_with("Invalid containerPort: http"));
        assert!(message(publish("publish", "80:80/icmp")).ends_with("Invalid proto: icmp"));
    }
}
