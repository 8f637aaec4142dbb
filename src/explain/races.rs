//! How often each path happens over seeds: Swarm's races (Go map order, Go's `select`,
//! goroutines committing first) are drawn from the seed, so running the same scenario over
//! seeds 1..N shows every path a real swarm may take, and how often.

use std::collections::BTreeMap;

use crate::model::record::{RunRecord, UpdateRecord};
use crate::time::SimTime;

use super::Explanation;

/// The path a run took, in words: each service's UpdateStatus states in order and its counts.
/// Two runs took the same path when their paths are equal.
pub fn race_path(run: &RunRecord) -> String {
    let mut parts = Vec::new();
    for s in &run.services {
        let updates: Vec<&UpdateRecord> =
            s.previous_updates.iter().chain(std::iter::once(&s.update)).filter(|u| u.started_at.is_some()).collect();
        if updates.is_empty() {
            continue;
        }
        // A lasting reset to nil (`docker service scale` after an update) is part of the path.
        let states: Vec<&str> =
            s.status_timeline().map(|(_, state, _)| state.map_or("none", |st| st.as_str())).collect();
        let sum = |f: fn(&UpdateRecord) -> u64| updates.iter().map(|u| f(u)).sum::<u64>();
        parts.push(format!(
            "{}: {}; {} updated, {} rolled back, {} counted",
            s.name,
            states.join(" → "),
            plural(sum(|u| u.slots_updated), "slot"),
            sum(|u| u.slots_rolled_back),
            plural(sum(|u| u.failures), "failure")
        ));
    }
    if parts.is_empty() { "no update".to_string() } else { parts.join("; ") }
}

/// The paths of the runs of one scenario over seeds, each with the seeds that took it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RacePaths {
    /// Path → seeds, in seed order.
    pub paths: BTreeMap<String, Vec<u64>>,
    /// Seeds run.
    pub seeds: u64,
}

impl RacePaths {
    /// Adds a run.
    pub fn add(&mut self, seed: u64, run: &RunRecord) {
        self.paths.entry(race_path(run)).or_default().push(seed);
        self.seeds += 1;
    }

    /// One sentence: the paths, most frequent first, and which one `this` run took.
    pub fn sentence(&self, this: &RunRecord) -> Explanation {
        let mine = race_path(this);
        let mut paths: Vec<(&String, &Vec<u64>)> = self.paths.iter().collect();
        paths.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.1.cmp(b.1)));
        let text = if paths.len() <= 1 {
            format!(
                "Over {} seeds every run took the same path: the outcome does not depend on Swarm's races here.",
                self.seeds
            )
        } else {
            format!(
                "Over {} seeds the runs took {} paths: the outcome depends on a race (see the race sentences); this \
                 run (seed {}) took the {} one.",
                self.seeds,
                paths.len(),
                this.seed,
                if paths.first().is_some_and(|p| *p.0 == mine) { "most frequent" } else { "less frequent" }
            )
        };
        let evidence = paths
            .iter()
            .map(|(path, seeds)| {
                let list: Vec<String> = seeds.iter().take(10).map(u64::to_string).collect();
                let more = if seeds.len() > 10 { ", …" } else { "" };
                format!("{}/{} seeds ({}{more}): {path}", seeds.len(), self.seeds, list.join(", "))
            })
            .collect::<Vec<_>>();
        Explanation::new(
            this.end_time.max(SimTime::ZERO),
            "",
            "race",
            text,
            "deploysim: every race is drawn from the seed (x-simulation.races: random)",
        )
        .with(evidence)
    }
}

fn plural(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}
