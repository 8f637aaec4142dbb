//! `deploysim check` output: text laid out as `docker service inspect --pretty` lays out a
//! service (UpdateConfig, RollbackConfig, ...), or JSON with a fixed field order.

use serde::Serialize;

use crate::check::policy::{EffectivePolicy, Health};
use crate::check::{Finding, ServiceCheck, Severity};
use crate::model::spec::{ServiceMode, UpdateConfig};
use crate::scenario::Diagnostic;

/// What checking one file found.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    /// The file does not load: every problem.
    Invalid(Vec<Diagnostic>),
    /// It loads: the loader's warnings and each service's check.
    Checked {
        /// Options Docker ignores, settings with no effect.
        warnings: Vec<Diagnostic>,
        /// Per service.
        services: Vec<ServiceCheck>,
    },
}

/// One file's result.
#[derive(Clone, Debug)]
pub(crate) struct FileReport {
    /// As the user named it.
    pub file: String,
    /// What was found.
    pub outcome: Outcome,
}

/// Counts over all files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Totals {
    /// Files checked.
    pub files: usize,
    /// Files that do not load.
    pub invalid: usize,
    /// Errors in them.
    pub errors: usize,
    /// Loader warnings plus warning findings.
    pub warnings: usize,
    /// Note findings.
    pub notes: usize,
}

/// Counts the findings of `reports`.
pub(crate) fn totals(reports: &[FileReport]) -> Totals {
    let mut t = Totals { files: reports.len(), ..Totals::default() };
    for r in reports {
        match &r.outcome {
            Outcome::Invalid(diags) => {
                t.invalid += 1;
                t.errors += diags.len();
            }
            Outcome::Checked { warnings, services } => {
                t.warnings += warnings.len();
                for f in services.iter().flat_map(|s| &s.findings) {
                    match f.severity {
                        Severity::Warning => t.warnings += 1,
                        Severity::Note => t.notes += 1,
                    }
                }
            }
        }
    }
    t
}

/// The text report.
pub(crate) fn text(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for r in reports {
        out.push_str(&format!("== {} ==\n", r.file));
        match &r.outcome {
            Outcome::Invalid(diags) => {
                for d in diags {
                    out.push_str(&format!("{}\n\n", d.render("error")));
                }
            }
            Outcome::Checked { warnings, services } => {
                for w in warnings {
                    out.push_str(&format!("{}\n\n", w.render("warning")));
                }
                for s in services {
                    out.push_str(&service_text(s));
                }
            }
        }
    }
    let t = totals(reports);
    out.push_str(&format!(
        "check: {} {}, {} invalid ({} {}), {} {}, {} {}\n",
        t.files,
        plural(t.files, "file", "files"),
        t.invalid,
        t.errors,
        plural(t.errors, "error", "errors"),
        t.warnings,
        plural(t.warnings, "warning", "warnings"),
        t.notes,
        plural(t.notes, "note", "notes")
    ));
    out
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn service_text(s: &ServiceCheck) -> String {
    let mut out = pretty(&s.policy);
    if s.findings.is_empty() {
        out.push_str("Hazards: none found\n\n");
        return out;
    }
    out.push_str("Hazards:\n");
    for f in &s.findings {
        out.push_str(&finding_text(f));
    }
    out.push('\n');
    out
}

fn finding_text(f: &Finding) -> String {
    let mut out = format!(" {}[{}]: {}\n   {}\n", f.severity.as_str(), f.id, f.field, f.message);
    if let Some(h) = &f.hint {
        out.push_str(&format!("   = hint: {h}\n"));
    }
    out
}

/// The policy in `docker service inspect --pretty`'s layout, every default filled in.
pub(crate) fn pretty(p: &EffectivePolicy) -> String {
    let mut out = format!("Name:\t\t{}\n", p.service);
    match p.mode {
        ServiceMode::Replicated { replicas } => {
            out.push_str(&format!("Service Mode:\tReplicated\n Replicas:\t{replicas}\n"))
        }
        ServiceMode::Global => out.push_str("Service Mode:\tGlobal\n"),
    }
    out.push_str("Placement:\n");
    if !p.constraints.is_empty() {
        out.push_str(&format!(" Constraints:\t[{}]\n", p.constraints.join(" ")));
    }
    if p.max_replicas_per_node > 0 {
        out.push_str(&format!(" Max Replicas Per Node:  {}\n", p.max_replicas_per_node));
    }
    out.push_str(&update_text("UpdateConfig", "Update order", &p.update));
    out.push_str(&update_text("RollbackConfig", "Rollback order", &p.rollback));
    out.push_str(&format!("ContainerSpec:\n Image:\t\t{}\n", p.image));
    if let Some(next) = &p.update_image {
        out.push_str(&format!(" Update image:\t{next}\n"));
    }
    out.push_str(&format!(" StopGracePeriod: {}\n", p.stop_grace_period));
    out.push_str(&health_text(p));
    let r = &p.restart;
    out.push_str(&format!(
        "RestartPolicy:\n Condition:\t{}\n Delay:\t\t{}\n Max attempts:\t{}\n Window:\t{}\n",
        r.condition.as_str(),
        r.delay,
        r.max_attempts,
        r.window
    ));
    if !p.host_ports.is_empty() {
        let ports: Vec<String> = p.host_ports.iter().map(u64::to_string).collect();
        out.push_str(&format!("Ports:\n PublishedPort = {}\n  PublishMode = host\n", ports.join(", ")));
    }
    out
}

fn update_text(title: &str, order_label: &str, u: &UpdateConfig) -> String {
    format!(
        "{title}:\n Parallelism:\t{}\n Delay:\t\t{}\n On failure:\t{}\n Monitoring Period: {}\n Max failure ratio: {}\n {order_label}:    {}\n",
        u.parallelism,
        u.delay,
        u.failure_action.as_str(),
        u.monitor,
        u.max_failure_ratio,
        u.order.as_str()
    )
}

fn health_text(p: &EffectivePolicy) -> String {
    let Some(h) = &p.health else {
        let why = if p.health_disabled { "disabled" } else { "none (neither the service nor the image has one)" };
        return format!("Healthcheck:\t{why}\n");
    };
    let r = &h.resolved;
    let start_interval = match r.start_interval {
        Some(si) => si.to_string(),
        None => format!("{} (the interval: Engine {} has no start_interval)", r.interval, p.engine),
    };
    format!(
        "Healthcheck:\n Source:\t{}\n Test:\t\t{}\n Interval:\t{}\n Timeout:\t{}\n Retries:\t{}\n Start period:\t{}\n Start interval: {}\n{}",
        h.source.as_str(),
        test_text(h),
        r.interval,
        r.timeout,
        r.retries,
        r.start_period,
        start_interval,
        unhealthy_text(h)
    )
}

/// When Docker marks a never-answering task unhealthy, against the rule of thumb
/// `start_period + interval × retries` (see [`crate::check::timing::HealthTiming`]).
fn unhealthy_text(h: &Health) -> String {
    let t = crate::check::timing::health_timing(&h.resolved, h.probe);
    format!(
        " Unhealthy after: {}s from start if no probe passes (probes of {} begin at {}); {}s if every probe \
         hangs until the timeout; not start_period + interval × retries = {}s\n",
        t.unhealthy_after().secs_ms(),
        h.probe,
        crate::check::timing::HealthTiming::probe_list(&t.probes),
        t.unhealthy_after_hung().secs_ms(),
        t.rule_of_thumb.secs_ms()
    )
}

fn test_text(h: &Health) -> String {
    if h.config.test.is_empty() { "(the image's)".to_string() } else { h.config.test.join(" ") }
}

/// The JSON report (fields in a fixed order), ending with a newline.
pub(crate) fn json(reports: &[FileReport], exit_code: u8) -> String {
    let doc = JsonDoc { files: reports.iter().map(json_file).collect(), totals: totals(reports), exit_code };
    let mut s = serde_json::to_string_pretty(&doc).expect("plain data serializes");
    s.push('\n');
    s
}

#[derive(Serialize)]
struct JsonDoc {
    files: Vec<JsonFile>,
    totals: Totals,
    exit_code: u8,
}

#[derive(Serialize)]
struct JsonFile {
    file: String,
    valid: bool,
    errors: Vec<JsonDiagnostic>,
    warnings: Vec<JsonDiagnostic>,
    services: Vec<JsonService>,
}

#[derive(Serialize)]
struct JsonDiagnostic {
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    path: String,
    message: String,
    hint: Option<String>,
}

#[derive(Serialize)]
struct JsonService {
    service: String,
    policy: JsonPolicy,
    findings: Vec<Finding>,
}

#[derive(Serialize)]
struct JsonPolicy {
    mode: &'static str,
    replicas: Option<u64>,
    image: String,
    update_image: Option<String>,
    update_config: JsonUpdate,
    rollback_config: JsonUpdate,
    healthcheck: Option<JsonHealth>,
    restart_policy: JsonRestart,
    stop_grace_period: String,
    max_replicas_per_node: u64,
    constraints: Vec<String>,
    host_ports: Vec<u64>,
}

#[derive(Serialize)]
struct JsonUpdate {
    parallelism: u64,
    delay: String,
    failure_action: &'static str,
    monitor: String,
    max_failure_ratio: f32,
    order: &'static str,
}

#[derive(Serialize)]
struct JsonHealth {
    source: &'static str,
    test: Vec<String>,
    interval: String,
    timeout: String,
    retries: u32,
    start_period: String,
    start_interval: Option<String>,
}

#[derive(Serialize)]
struct JsonRestart {
    condition: &'static str,
    delay: String,
    max_attempts: u64,
    window: String,
}

fn json_file(r: &FileReport) -> JsonFile {
    let (valid, errors, warnings, services) = match &r.outcome {
        Outcome::Invalid(d) => (false, d.iter().map(json_diag).collect(), Vec::new(), Vec::new()),
        Outcome::Checked { warnings, services } => {
            (true, Vec::new(), warnings.iter().map(json_diag).collect(), services.iter().map(json_service).collect())
        }
    };
    JsonFile { file: r.file.clone(), valid, errors, warnings, services }
}

fn json_diag(d: &Diagnostic) -> JsonDiagnostic {
    JsonDiagnostic {
        file: d.file.clone(),
        line: d.line,
        column: d.column,
        path: d.path.clone(),
        message: d.message.clone(),
        hint: d.hint.clone(),
    }
}

fn json_service(s: &ServiceCheck) -> JsonService {
    let p = &s.policy;
    let (mode, replicas) = match p.mode {
        ServiceMode::Replicated { replicas } => ("replicated", Some(replicas)),
        ServiceMode::Global => ("global", None),
    };
    let policy = JsonPolicy {
        mode,
        replicas,
        image: p.image.clone(),
        update_image: p.update_image.clone(),
        update_config: json_update(&p.update),
        rollback_config: json_update(&p.rollback),
        healthcheck: p.health.as_ref().map(json_health),
        restart_policy: JsonRestart {
            condition: p.restart.condition.as_str(),
            delay: p.restart.delay.to_string(),
            max_attempts: p.restart.max_attempts,
            window: p.restart.window.to_string(),
        },
        stop_grace_period: p.stop_grace_period.to_string(),
        max_replicas_per_node: p.max_replicas_per_node,
        constraints: p.constraints.clone(),
        host_ports: p.host_ports.clone(),
    };
    JsonService { service: p.service.clone(), policy, findings: s.findings.clone() }
}

fn json_update(u: &UpdateConfig) -> JsonUpdate {
    JsonUpdate {
        parallelism: u.parallelism,
        delay: u.delay.to_string(),
        failure_action: u.failure_action.as_str(),
        monitor: u.monitor.to_string(),
        max_failure_ratio: u.max_failure_ratio,
        order: u.order.as_str(),
    }
}

fn json_health(h: &Health) -> JsonHealth {
    let r = &h.resolved;
    JsonHealth {
        source: h.source.as_str(),
        test: h.config.test.clone(),
        interval: r.interval.to_string(),
        timeout: r.timeout.to_string(),
        retries: r.retries,
        start_period: r.start_period.to_string(),
        start_interval: r.start_interval.map(|d| d.to_string()),
    }
}
