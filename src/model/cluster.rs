//! Nodes as the scenario declares them.

use std::collections::BTreeMap;

use crate::model::spec::Resources;

/// A node's CPUs when the scenario does not say (`x-simulation.cluster.cpus`): 2, the machine
/// the fidelity recordings ran on (its node advertised `NanoCPUs` 2000000000).
pub const DEFAULT_NODE_NANO_CPUS: u64 = 2_000_000_000;
/// A node's memory when the scenario does not say (`x-simulation.cluster.memory`): 8 GiB.
pub const DEFAULT_NODE_MEMORY: u64 = 8 << 30;

/// The capacity every node has unless the scenario says otherwise.
pub const DEFAULT_NODE_CAPACITY: Resources =
    Resources { nano_cpus: DEFAULT_NODE_NANO_CPUS, memory_bytes: DEFAULT_NODE_MEMORY };

/// `node.role`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeRole {
    /// A manager (it also runs tasks unless drained).
    Manager,
    /// A worker.
    Worker,
}

impl NodeRole {
    /// Docker's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeRole::Manager => "manager",
            NodeRole::Worker => "worker",
        }
    }
}

/// `docker node update --availability`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Availability {
    /// Accepts new tasks.
    Active,
    /// Keeps its tasks, takes no new ones.
    Pause,
    /// Its replicated tasks move elsewhere; global tasks stop.
    Drain,
}

impl Availability {
    /// Docker's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Active => "active",
            Availability::Pause => "pause",
            Availability::Drain => "drain",
        }
    }
}

/// One node of the simulated cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSpec {
    /// Hostname, unique.
    pub name: String,
    /// manager or worker.
    pub role: NodeRole,
    /// `node.labels.*`.
    pub labels: BTreeMap<String, String>,
    /// Initial availability.
    pub availability: Availability,
    /// Images already in the node's local cache at the start.
    pub cached_images: Vec<String>,
    /// The node is DOWN from the start (its link cut, the manager already knowing): e.g. a
    /// machine that never came back from a reboot. `node_up` brings it back.
    pub down: bool,
    /// What the node advertises (`Description.Resources`): the scheduler's `ResourceFilter`
    /// sets task reservations against it.
    pub capacity: Resources,
}
