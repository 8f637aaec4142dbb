//! A node's image store and its pulls, as moby's image service (`daemon/images`) serves the
//! swarm executor's `Prepare`: Swarm always asks for a pull; a failed pull is fine when the
//! image is in the local cache, and one download serves every task waiting for the same image.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::task::TaskId;
use crate::time::SimTime;
use crate::world::{AgentStep, Event, Io};

use super::Cluster;

/// The images a node has, and those it is downloading.
pub(super) struct ImageStore {
    /// Images in the local cache.
    cache: BTreeSet<String>,
    /// Downloads in progress: image → (when it ends, whether it succeeds).
    pulling: BTreeMap<String, (SimTime, bool)>,
}

impl ImageStore {
    /// A store holding `cached`.
    pub(super) fn new(cached: &[String]) -> ImageStore {
        ImageStore { cache: cached.iter().cloned().collect(), pulling: BTreeMap::new() }
    }

    /// A download ended well: the image is local from now on.
    pub(super) fn pulled(&mut self, image: &str) {
        self.pulling.remove(image);
        if !self.cache.contains(image) {
            self.cache.insert(image.to_string());
        }
    }
}

impl Cluster {
    /// Starts the pull a task's preparation begins with; `PullDone` follows.
    pub(super) fn begin_pull(&mut self, id: TaskId, io: &mut Io<'_>) {
        // Read where they are kept: no copy, no reference counted.
        let Cluster { runs, machines, behaviors, default_behavior, registry_down_until, .. } = self;
        let run = runs[id.0 as usize].as_ref().expect("the node has heard of the task");
        let image_ref = &run.spec.image;
        let image = behaviors.get(image_ref.as_str()).unwrap_or(default_behavior);
        let now = io.now();
        let registry_down = now < *registry_down_until;
        let store = &mut machines[run.node.0 as usize].images;
        let cached = store.cache.contains(image_ref);
        if !cached {
            // The daemon downloads an image once: a task that asks for an image already being
            // pulled on its node waits for that download.
            if let Some(&(done_at, ok)) = store.pulling.get(image_ref)
                && done_at >= now
            {
                io.q.at(done_at, Event::Agent { task: id, step: AgentStep::PullDone { ok } });
                return;
            }
        }
        let pull_fails = image.missing || registry_down || io.rng.pull.chance(image.pull_failure);
        let duration = match (&image.failed_pull, pull_fails) {
            (Some(d), true) => d.sample(&mut io.rng.pull),
            _ if cached || pull_fails => io.latency(|l| &l.pull_cached),
            _ => image.pull.sample(&mut io.rng.pull),
        };
        if !cached && !pull_fails {
            store.pulling.insert(image_ref.clone(), (now.plus(duration), true));
        }
        io.q.after(duration, Event::Agent { task: id, step: AgentStep::PullDone { ok: cached || !pull_fails } });
    }
}
