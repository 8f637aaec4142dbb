//! Shard files: what `deploysim sweep --shard I/N` writes (`shard.json`) and `deploysim merge`
//! reads back to write exactly the bytes one unsharded sweep would have written.
//!
//! A shard file holds the sweep's definition — everything the outputs need, so merge never
//! needs the scenario: its name, the input digest, the `--set`s, the seeds, the goals and each
//! policy's snippet — and the exact figures of the shard's runs: integers (nanoseconds, the
//! serving ratio as a fraction), never rounded text, so the merged statistics are computed from
//! the same numbers a single run computes them from. It never holds the scenario's text (which
//! may pipe a secret's value into `docker secret create`).
//!
//! Each file carries `content_sha256`, a SHA-256 digest of everything else in it (the file as
//! written without that line), checked on read: a shard edited after it was written — one
//! figure changed, a run dropped — is refused, naming the file. The digest is recomputed from
//! the parsed values re-serialized the way they were written, so re-indenting or reordering the
//! JSON (no change to any value) is not an edit. It detects change, not forgery: anyone can
//! recompute it.
//!
//! Merge refuses shards that do not add up to one sweep: an edited shard, a different binary
//! version, sweep definition or shard count, a shard given twice or missing, or a run that is
//! not the shard's own.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Plan;
use super::exec::{RunFigures, Shard, job_of};
use super::params;
use crate::model::record::UpdateState;
use crate::report::Ratio;
use crate::time::SimDuration;

/// The `format` value of the files this binary writes and reads (`/1` had no content digest).
pub(crate) const FORMAT: &str = "deploysim-sweep-shard/2";

/// The format before the content digest, named in the error for such a file.
const FORMAT_WITHOUT_DIGEST: &str = "deploysim-sweep-shard/1";

/// The file name inside a shard's folder.
pub(crate) const FILE_NAME: &str = "shard.json";

/// What identifies a sweep: every shard of one sweep carries an identical copy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Definition {
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file's `input_digest` (SHA-256, see `scenario::digest`): shards of an edited
    /// file do not merge.
    pub input_digest: String,
    /// The service whose figures are kept.
    pub service: String,
    /// The `--set`s as given.
    pub sets: Vec<String>,
    /// Runs per policy.
    pub seeds: u64,
    /// `--objective`, when given.
    pub objective: Option<String>,
    /// `--constraint`s as given.
    pub constraints: Vec<String>,
    /// Each policy's stack-file snippet.
    pub snippets: Vec<String>,
}

impl Definition {
    /// The plan the outputs are written from (parameters re-parsed from the `--set`s).
    pub(crate) fn plan(&self) -> Result<Plan, String> {
        let params: Vec<params::Param> = self.sets.iter().map(|s| params::parse_set(s)).collect::<Result<_, _>>()?;
        let policies = params::cartesian(&params);
        if policies.len() != self.snippets.len() {
            return Err(format!("{} policies but {} snippets", policies.len(), self.snippets.len()));
        }
        Ok(Plan {
            name: self.scenario.clone(),
            params,
            policies,
            service: self.service.clone(),
            snippets: self.snippets.clone(),
        })
    }
}

/// The first part of a shard file (without `content_sha256`, which [`to_bytes`] adds).
#[derive(Serialize)]
struct Header {
    format: String,
    deploysim_version: String,
    shard: Shard,
    sweep: Definition,
}

/// One run as stored: exact integers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    /// 1-based policy number (as in `runs.csv`).
    policy: usize,
    seed: u64,
    final_state: Option<String>,
    duration_ns: Option<u64>,
    paused: bool,
    rolled_back: bool,
    /// `[serving, desired]` at the lowest ratio.
    min_serving_ratio: [u128; 2],
    seconds_below_desired_ns: u64,
    failed_requests: Option<u64>,
    /// Left out when 0 (files from before it was kept read as 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    peak_extra_tasks: u64,
    /// `[capacity nano-CPUs, peak nano-CPUs, capacity bytes, peak bytes]`, when tasks reserved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reservations: Option<[u64; 4]>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Row {
    fn of(r: &RunFigures) -> Row {
        Row {
            policy: r.policy + 1,
            seed: r.seed,
            final_state: r.final_state.map(|s| s.as_str().to_string()),
            duration_ns: r.duration.map(|d| d.as_nanos()),
            paused: r.paused,
            rolled_back: r.rolled_back,
            min_serving_ratio: [r.min_serving_ratio.num, r.min_serving_ratio.den],
            seconds_below_desired_ns: r.seconds_below_desired.as_nanos(),
            failed_requests: r.failed_requests,
            peak_extra_tasks: r.peak_extra_tasks,
            reservations: r
                .reservations
                .map(|x| [x.capacity.nano_cpus, x.peak.nano_cpus, x.capacity.memory_bytes, x.peak.memory_bytes]),
        }
    }

    fn figures(&self) -> Result<RunFigures, String> {
        let final_state = match &self.final_state {
            None => None,
            Some(text) => Some(UpdateState::parse(text).ok_or_else(|| format!("unknown final_state {text:?}"))?),
        };
        let [num, den] = self.min_serving_ratio;
        if den == 0 || self.policy == 0 || self.seed == 0 {
            return Err("policy, seed and the ratio's denominator must be at least 1".into());
        }
        Ok(RunFigures {
            policy: self.policy - 1,
            seed: self.seed,
            final_state,
            duration: self.duration_ns.map(SimDuration),
            paused: self.paused,
            rolled_back: self.rolled_back,
            min_serving_ratio: Ratio { num, den },
            seconds_below_desired: SimDuration(self.seconds_below_desired_ns),
            failed_requests: self.failed_requests,
            peak_extra_tasks: self.peak_extra_tasks,
            reservations: self.reservations.map(|[cc, pc, cm, pm]| crate::model::record::ReservationRecord {
                capacity: crate::model::spec::Resources { nano_cpus: cc, memory_bytes: cm },
                peak: crate::model::spec::Resources { nano_cpus: pc, memory_bytes: pm },
            }),
        })
    }
}

/// A shard file's contents: the header's fields, then the runs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[allow(dead_code)] // checked before the whole file is parsed
    format: String,
    /// SHA-256 (hex) of [`body`] of the other fields.
    content_sha256: String,
    deploysim_version: String,
    shard: Shard,
    sweep: Definition,
    runs: Vec<Row>,
}

/// The bytes of a shard file: the header, its `content_sha256`, then one run per line
/// (readable, diffable).
pub(crate) fn to_bytes(definition: &Definition, shard: Shard, runs: &[RunFigures]) -> Vec<u8> {
    let header = Header {
        format: FORMAT.into(),
        deploysim_version: env!("CARGO_PKG_VERSION").into(),
        shard,
        sweep: definition.clone(),
    };
    let rows: Vec<Row> = runs.iter().map(Row::of).collect();
    let body = body(&header, &rows);
    let digest = sha256_hex(body.as_bytes());
    // After the `format` line, so the digest is near the top where people look.
    let (first, rest) = body.split_once(",\n").expect("the header has more than one field");
    format!("{first},\n  \"content_sha256\": \"{digest}\",\n{rest}").into_bytes()
}

/// A shard file without its `content_sha256` line: what the digest is computed over.
fn body(header: &Header, rows: &[Row]) -> String {
    let head = serde_json::to_string_pretty(header).expect("a header always serializes");
    let mut out = head.strip_suffix('}').expect("an object ends with }").trim_end().to_string();
    out += ",\n  \"runs\": [";
    for (i, row) in rows.iter().enumerate() {
        out += if i == 0 { "\n    " } else { ",\n    " };
        out += &serde_json::to_string(row).expect("a row always serializes");
    }
    out += if rows.is_empty() { "]\n}\n" } else { "\n  ]\n}\n" };
    out
}

/// SHA-256 of `bytes` as 64 lowercase hex digits.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a shard cannot be merged.
#[derive(Debug)]
pub(crate) enum Unusable {
    /// Not a readable shard of this binary: missing, not JSON, not a shard, another version
    /// (bad input).
    Unreadable(String),
    /// A shard whose content no longer matches its digest (merge refuses it: a failed check).
    Edited(String),
}

/// One shard, read and checked on its own.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// Where it was read from.
    pub path: PathBuf,
    /// Which share it is.
    pub shard: Shard,
    /// The sweep it belongs to.
    pub definition: Definition,
    /// Its runs, in job order.
    pub runs: Vec<RunFigures>,
}

/// `path` itself, or the shard file inside it when it is a folder.
pub(crate) fn resolve(path: &Path) -> PathBuf {
    if path.is_dir() { path.join(FILE_NAME) } else { path.to_path_buf() }
}

/// Reads a shard file (or a folder holding one) and checks its digest. Errors name the file,
/// and the line and column where the JSON is wrong.
pub(crate) fn read(path: &Path) -> Result<Loaded, Unusable> {
    let file = resolve(path);
    let shown = file.display();
    let bad = Unusable::Unreadable;
    let text = std::fs::read_to_string(&file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => bad(format!(
            "{shown}: no such file (give the folder `deploysim sweep --shard I/N --out DIR` wrote, or its {FILE_NAME})"
        )),
        _ => bad(format!("{shown}: {e}")),
    })?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(format!("{shown}: not JSON: {e}")))?;
    let format = value.get("format").and_then(|f| f.as_str()).unwrap_or("");
    if format == FORMAT_WITHOUT_DIGEST {
        return Err(bad(format!(
            "{shown}: written by an older deploysim (format {format:?}, without a content digest): run the shard again with this binary"
        )));
    }
    if format != FORMAT {
        return Err(bad(format!("{shown}: not a deploysim sweep shard (format {format:?}, expected {FORMAT:?})")));
    }
    let parsed: File = serde_json::from_str(&text).map_err(|e| bad(format!("{shown}: {e}")))?;
    let mine = env!("CARGO_PKG_VERSION");
    if parsed.deploysim_version != mine {
        return Err(bad(format!(
            "{shown}: written by deploysim {}, this is {mine}: run every shard and the merge with the same binary",
            parsed.deploysim_version
        )));
    }
    // Before the runs are read: an edited figure is an edit, whatever its value.
    let header = Header {
        format: FORMAT.into(),
        deploysim_version: parsed.deploysim_version.clone(),
        shard: parsed.shard,
        sweep: parsed.sweep.clone(),
    };
    let actual = sha256_hex(body(&header, &parsed.runs).as_bytes());
    if actual != parsed.content_sha256 {
        return Err(Unusable::Edited(format!(
            "{shown}: edited after `deploysim sweep --shard` wrote it: its content hashes to sha256 {}…, \
             not the {}… recorded in its content_sha256 (a figure, run or field changed): \
             run that shard again instead of editing it",
            &actual[..12],
            parsed.content_sha256.get(..12).unwrap_or(&parsed.content_sha256)
        )));
    }
    let runs = parsed
        .runs
        .iter()
        .map(|row| row.figures().map_err(|e| bad(format!("{shown}: run {row:?}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let File { shard, sweep, .. } = parsed;
    if shard.index == 0 || shard.index > shard.count {
        return Err(bad(format!("{shown}: shard {shard} is not a valid I/N")));
    }
    Ok(Loaded { path: file, shard, definition: sweep, runs })
}

/// Checks that `shards` are all the shards of one sweep, each once, each holding exactly its
/// own runs, and returns the sweep's definition and every run in (policy, seed) order.
pub(crate) fn combine(mut shards: Vec<Loaded>) -> Result<(Definition, Vec<RunFigures>), String> {
    let Some(first) = shards.first() else { return Err("give at least one shard".into()) };
    let (count, definition) = (first.shard.count, first.definition.clone());
    for s in &shards[1..] {
        if s.shard.count != count {
            return Err(format!(
                "{} is shard {} but {} is shard {}: every shard must come from the same --shard I/N split",
                first.path.display(),
                first.shard,
                s.path.display(),
                s.shard
            ));
        }
        if s.definition != definition {
            return Err(format!(
                "{} and {} are shards of different sweeps ({}): run every shard with the same scenario file, --set, --seeds, --objective and --constraint",
                first.path.display(),
                s.path.display(),
                difference(&definition, &s.definition)
            ));
        }
    }
    shards.sort_by_key(|s| s.shard.index);
    if let Some(pair) = shards.windows(2).find(|w| w[0].shard.index == w[1].shard.index) {
        return Err(format!(
            "shard {} given twice: {} and {}",
            pair[0].shard,
            pair[0].path.display(),
            pair[1].path.display()
        ));
    }
    let missing: Vec<String> =
        (1..=count).filter(|i| !shards.iter().any(|s| s.shard.index == *i)).map(|i| format!("{i}/{count}")).collect();
    if !missing.is_empty() {
        return Err(format!("missing shard {} of the {count}: merge needs every shard's output", missing.join(", ")));
    }
    let policies = definition.snippets.len();
    let total = policies * definition.seeds as usize;
    let mut all: Vec<Option<RunFigures>> = vec![None; total];
    for s in shards {
        let expected: Vec<usize> = s.shard.jobs(total).collect();
        let mut got = Vec::with_capacity(s.runs.len());
        for r in s.runs {
            // Seeds count from 1 (a forged file could say 0: refused, not an overflow).
            if r.policy >= policies || r.seed == 0 || r.seed > definition.seeds {
                return Err(format!(
                    "{}: run of policy {} seed {} is outside the sweep",
                    s.path.display(),
                    r.policy + 1,
                    r.seed
                ));
            }
            let job = job_of(r.policy, r.seed, definition.seeds);
            got.push(job);
            all[job] = Some(r);
        }
        if got != expected {
            return Err(format!(
                "{}: holds {} runs, not exactly shard {}'s {} (the file was edited or truncated)",
                s.path.display(),
                got.len(),
                s.shard,
                expected.len()
            ));
        }
    }
    Ok((definition, all.into_iter().map(|r| r.expect("every job checked above")).collect()))
}

/// Which field of two definitions differs first, for the error.
fn difference(a: &Definition, b: &Definition) -> String {
    let field = if a.scenario != b.scenario {
        "scenario"
    } else if a.input_digest != b.input_digest {
        "the scenario file's content"
    } else if a.service != b.service {
        "service"
    } else if a.sets != b.sets {
        "--set"
    } else if a.seeds != b.seeds {
        "--seeds"
    } else if a.objective != b.objective {
        "--objective"
    } else if a.constraints != b.constraints {
        "--constraint"
    } else {
        "the policies' snippets"
    };
    format!("{field} differs")
}
