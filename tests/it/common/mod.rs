//! Helpers shared by the integration tests: where the scenarios and golden files live, and how
//! to simulate one.
// Each test crate uses only part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The crate's root folder (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `scenarios/` under the crate root.
pub fn scenarios_dir() -> PathBuf {
    repo_root().join("scenarios")
}

/// Every `*.yml` file under `dir`, recursively, sorted so that runs and messages are stable.
pub fn yml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot read {}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "yml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// `path` relative to the crate root, for messages.
pub fn rel(path: &Path) -> String {
    path.strip_prefix(repo_root()).unwrap_or(path).display().to_string()
}

/// Loads `path` and simulates it (with `seed` in place of the scenario's, when given), as
/// `deploysim run` does without writing the report.
pub fn simulate_file(
    path: &Path,
    seed: Option<u64>,
) -> Result<deploysim::model::record::RunRecord, deploysim::scenario::ScenarioError> {
    let scenario = deploysim::scenario::load(path)?;
    let options = deploysim::commands::simulate::SimulateOptions::default();
    Ok(deploysim::commands::simulate::simulate(scenario, seed, &options))
}
