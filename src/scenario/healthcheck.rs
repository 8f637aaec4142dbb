//! Dockerfile `HEALTHCHECK` instructions (an image's built-in check), parsed as Docker's builder
//! parses them: `--option=value` flags, then `CMD ...` or `NONE`.

use crate::model::spec::HealthConfig;
use crate::time::{SimDuration, parse_go_duration};

/// A problem with a `HEALTHCHECK` string: what is wrong and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct HealthcheckError {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

fn err(message: impl Into<String>, hint: Option<&str>) -> HealthcheckError {
    HealthcheckError { message: message.into(), hint: hint.map(str::to_string) }
}

/// Parses a `HEALTHCHECK` instruction (the leading word is optional). `Ok(None)` is
/// `HEALTHCHECK NONE`.
pub(super) fn parse_dockerfile(text: &str) -> Result<Option<HealthConfig>, HealthcheckError> {
    check_continuations(text)?;
    let joined = join_lines(text);
    let mut rest = joined.trim();
    if rest.get(..11).is_some_and(|w| w.eq_ignore_ascii_case("HEALTHCHECK")) {
        rest = rest[11..].trim_start();
    }
    let mut config = HealthConfig::default();
    while rest.starts_with("--") {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        apply_flag(&rest[2..end], &mut config)?;
        rest = rest[end..].trim_start();
    }
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (kind, command) = (&rest[..end], rest[end..].trim());
    match kind.to_ascii_uppercase().as_str() {
        "NONE" => Ok(None),
        "CMD" if command.is_empty() => Err(err("Missing command after HEALTHCHECK CMD", None)),
        "CMD" => {
            config.test = command_test(command);
            Ok(Some(config))
        }
        "" => Err(err("Missing command after HEALTHCHECK", Some("end it with CMD <command> or NONE"))),
        other => Err(err(format!("Unknown type \"{other}\" in HEALTHCHECK (try CMD)"), None)),
    }
}

/// A line of options that does not end in `\` ends the instruction in a Dockerfile, so the next
/// `--option` line would be read as an unknown instruction: explain that rather than guess.
fn check_continuations(text: &str) -> Result<(), HealthcheckError> {
    let lines: Vec<&str> = text.lines().collect();
    for (i, pair) in lines.windows(2).enumerate() {
        let (line, next) = (pair[0].trim_end(), pair[1].trim_start());
        if !line.ends_with('\\') && next.starts_with("--") {
            let message = format!(
                "line {} of the HEALTHCHECK (\"{}\") does not end with a \\ continuation, so Docker \
                 ends the instruction there and reads \"{}\" as a new instruction",
                i + 1,
                line.trim_start(),
                next
            );
            return Err(err(message, Some("end every line but the last with \" \\\"")));
        }
    }
    Ok(())
}

/// Joins `\`-continued lines (and any other line breaks YAML kept) into one line.
fn join_lines(text: &str) -> String {
    let parts: Vec<&str> =
        text.lines().map(|l| l.trim_end().strip_suffix('\\').unwrap_or(l.trim_end()).trim()).collect();
    parts.join(" ")
}

fn apply_flag(flag: &str, config: &mut HealthConfig) -> Result<(), HealthcheckError> {
    let Some((name, value)) = flag.split_once('=') else {
        return Err(err(format!("Missing a value on flag: --{flag}"), Some("write --flag=value")));
    };
    match name {
        "interval" => config.interval = Some(probe_duration(name, value)?),
        "timeout" => config.timeout = Some(probe_duration(name, value)?),
        "start-period" => config.start_period = Some(duration(name, value)?),
        "start-interval" => config.start_interval = Some(probe_duration(name, value)?),
        "retries" => {
            let n = value
                .parse::<u32>()
                .map_err(|_| err(format!("--retries must be a non-negative integer, not \"{value}\""), None))?;
            config.retries = Some(n);
        }
        _ => {
            const KNOWN: [&str; 5] = ["interval", "timeout", "start-period", "start-interval", "retries"];
            let hint = crate::scenario::suggest::closest(name, &KNOWN).map(|c| format!("did you mean --{c}?"));
            return Err(HealthcheckError { message: format!("Unknown flag: {name}"), hint });
        }
    }
    Ok(())
}

fn duration(name: &str, value: &str) -> Result<SimDuration, HealthcheckError> {
    parse_go_duration(value).map_err(|e| err(format!("--{name}: {e}"), None))
}

/// Docker's builder rejects probe durations under 1ms (0 means "use the default").
fn probe_duration(name: &str, value: &str) -> Result<SimDuration, HealthcheckError> {
    let d = duration(name, value)?;
    if d != SimDuration::ZERO && d < SimDuration::from_millis(1) {
        return Err(err(format!("--{name} cannot be less than 1ms"), None));
    }
    Ok(d)
}

/// Exec form (`CMD ["curl", "-f", "..."]`) when the text is a JSON string array, shell form
/// (`CMD-SHELL`) otherwise, as Docker's builder decides.
fn command_test(command: &str) -> Vec<String> {
    if let Ok(words) = serde_json::from_str::<Vec<String>>(command) {
        let mut test = vec!["CMD".to_string()];
        test.extend(words);
        return test;
    }
    vec!["CMD-SHELL".to_string(), command.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_options_and_shell_form() {
        let text = "HEALTHCHECK --interval=30s --timeout=10s --retries=3 --start-period=60s CMD curl -f http://localhost/ || exit 1";
        let c = parse_dockerfile(text).unwrap().unwrap();
        assert_eq!(c.interval, Some(SimDuration::from_secs(30)));
        assert_eq!(c.timeout, Some(SimDuration::from_secs(10)));
        assert_eq!(c.retries, Some(3));
        assert_eq!(c.start_period, Some(SimDuration::from_secs(60)));
        assert_eq!(c.start_interval, None);
        assert_eq!(c.test, ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]);
    }

    #[test]
    fn exec_form_none_and_continuations() {
        let c = parse_dockerfile("--start-interval=1s \\\n  CMD [\"wget\", \"-q\", \"x\"]").unwrap().unwrap();
        assert_eq!(c.test, ["CMD", "wget", "-q", "x"]);
        assert_eq!(c.start_interval, Some(SimDuration::from_secs(1)));
        assert_eq!(parse_dockerfile("HEALTHCHECK NONE").unwrap(), None);
    }

    #[test]
    fn missing_backslash_is_explained() {
        let e = parse_dockerfile("HEALTHCHECK --interval=5s\n  --retries=3 CMD true").unwrap_err();
        assert!(e.message.contains("line 1"), "{}", e.message);
        assert!(e.message.contains("\"--retries=3 CMD true\" as a new instruction"), "{}", e.message);
        assert!(e.hint.unwrap().contains('\\'));
    }

    #[test]
    fn rejects_bad_flags_and_types() {
        assert_eq!(
            parse_dockerfile("--intervl=5s CMD true").unwrap_err().hint.as_deref(),
            Some("did you mean --interval?")
        );
        assert!(parse_dockerfile("--interval=5 CMD true").unwrap_err().message.contains("no unit"));
        assert!(parse_dockerfile("--interval=5s").unwrap_err().message.contains("Missing command"));
        assert!(parse_dockerfile("RUN true").unwrap_err().message.contains("Unknown type \"RUN\""));
        assert!(parse_dockerfile("--timeout=1us CMD x").unwrap_err().message.contains("less than 1ms"));
    }
}
