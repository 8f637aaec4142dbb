//! A node's image store and its pulls, as moby's image service (`daemon/images`) serves the
//! swarm executor's `Prepare`: Swarm always asks for a pull; a failed pull is fine when the
//! image is in the local cache, and one download serves every task waiting for the same image.

use crate::model::task::TaskId;
use crate::time::SimTime;
use crate::world::{AgentStep, Event, Io};

use super::Cluster;

/// The images a node has, and those it is downloading: one entry per image the node ever
/// met, looked up by name (a node meets a few images; nothing reads them in any order). An
/// entry outlives a renewed world's run with its state forgotten, so that a sweep's runs do
/// not copy each image's name and make map nodes for it again, run after run.
#[derive(Default)]
pub(super) struct ImageStore {
    images: Vec<LocalImage>,
}

/// What a node has of one image.
struct LocalImage {
    /// The image reference.
    name: String,
    /// In the local cache.
    cached: bool,
    /// A download in progress: when it ends and whether it succeeds.
    pulling: Option<(SimTime, bool)>,
}

impl ImageStore {
    /// A store holding `cached`.
    pub(super) fn new(cached: &[String]) -> ImageStore {
        let mut store = ImageStore::default();
        store.renew(cached);
        store
    }

    /// Makes this store the one `ImageStore::new(cached)` makes (what the entries hold is the
    /// same; their names are kept for the next run).
    pub(super) fn renew(&mut self, cached: &[String]) {
        for image in &mut self.images {
            image.cached = false;
            image.pulling = None;
        }
        for name in cached {
            self.entry(name).cached = true;
        }
    }

    /// Its images will be read soon (see `crate::prefetch`).
    pub(super) fn prefetch(&self) {
        if let Some(first) = self.images.first() {
            crate::prefetch::prefetch(first);
        }
    }

    /// The entry of `name`, made when the node meets the image for the first time.
    fn entry(&mut self, name: &str) -> &mut LocalImage {
        let at = match self.images.iter().position(|i| i.name == name) {
            Some(at) => at,
            None => {
                self.images.push(LocalImage { name: name.to_string(), cached: false, pulling: None });
                self.images.len() - 1
            }
        };
        &mut self.images[at]
    }

    /// Whether `name` is in the local cache.
    fn is_cached(&self, name: &str) -> bool {
        self.images.iter().any(|i| i.cached && i.name == name)
    }

    /// The download of `name` in progress, if any.
    fn pulling(&self, name: &str) -> Option<(SimTime, bool)> {
        self.images.iter().find(|i| i.name == name).and_then(|i| i.pulling)
    }

    /// A download ended well: the image is local from now on.
    pub(super) fn pulled(&mut self, image: &str) {
        let entry = self.entry(image);
        entry.pulling = None;
        entry.cached = true;
    }
}

impl Cluster {
    /// Starts the pull a task's preparation begins with; `PullDone` follows.
    pub(super) fn begin_pull(&mut self, id: TaskId, io: &mut Io<'_>) {
        // Read where they are kept: no copy, no reference counted.
        let Cluster { runs, machines, behaviors, default_behavior, registry_down_until, .. } = self;
        let run = runs.get(id).expect("the node has heard of the task");
        let image_ref = &run.spec.image;
        let image = behaviors.get(image_ref.as_str()).unwrap_or(default_behavior);
        let now = io.now();
        let registry_down = now < *registry_down_until;
        let store = &mut machines[run.node.0 as usize].images;
        let cached = store.is_cached(image_ref);
        if !cached {
            // The daemon downloads an image once: a task that asks for an image already being
            // pulled on its node waits for that download.
            if let Some((done_at, ok)) = store.pulling(image_ref)
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
            store.entry(image_ref).pulling = Some((now.plus(duration), true));
        }
        io.q.after(duration, Event::Agent { task: id, step: AgentStep::PullDone { ok: cached || !pull_fails } });
    }
}
