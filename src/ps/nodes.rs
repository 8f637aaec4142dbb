//! `docker node ls` at an instant (docker/cli `cli/command/node/list.go` and `formatter.go`):
//! the nodes sorted by hostname (`sortorder.NaturalLess`), in the default table format
//! `{{.ID}} {{if .Self}}*{{else}} {{ end }}\t{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t
//! {{.ManagerStatus}}\t{{.EngineVersion}}`, laid out by the CLI's tabwriter. A node removed by
//! `docker node rm` is no longer listed.

use crate::model::cluster::NodeRole;
use crate::model::record::{NodeEvent, NodeInfo, NodeState, RunRecord};
use crate::ps::docker_fmt::{natural_cmp, pretty, tabulate};
use crate::time::SimTime;

/// Each listed node with its row in force at `at` (its last [`NodeEvent`] at or before it),
/// in `docker node ls` order.
pub fn nodes_at(record: &RunRecord, at: SimTime) -> Vec<(&NodeInfo, NodeEvent)> {
    let mut shown: Vec<(&NodeInfo, NodeEvent)> = record
        .nodes
        .iter()
        .filter_map(|info| {
            let row = record.node_events.iter().take_while(|e| e.t <= at).filter(|e| record.name(e.node) == info.name);
            row.last().copied().filter(|e| !e.removed).map(|e| (info, e))
        })
        .collect();
    shown.sort_by(|a, b| natural_cmp(&a.0.name, &b.0.name));
    shown
}

/// `docker node ls` as the CLI on the leader prints it at `at`.
pub fn render_node_ls(record: &RunRecord, at: SimTime) -> String {
    let mut rows = vec![vec![
        "ID  ".to_string(),
        "HOSTNAME".to_string(),
        "STATUS".to_string(),
        "AVAILABILITY".to_string(),
        "MANAGER STATUS".to_string(),
        "ENGINE VERSION".to_string(),
    ]];
    let version = engine_version(&record.engine);
    for (info, e) in nodes_at(record, at) {
        rows.push(vec![
            format!("{} {}", info.docker_id, if info.leader { "*" } else { " " }),
            info.name.clone(),
            pretty(e.state.as_str()),
            pretty(e.availability.as_str()),
            manager_status(info, e.state),
            version.to_string(),
        ]);
    }
    tabulate(&rows)
}

/// MANAGER STATUS: `Leader`, a reachable manager's `Reachable` (`Unreachable` while it is
/// down), empty for a worker.
fn manager_status(info: &NodeInfo, state: NodeState) -> String {
    match (info.role, info.leader, state) {
        (NodeRole::Worker, _, _) => String::new(),
        (NodeRole::Manager, true, _) => "Leader".to_string(),
        (NodeRole::Manager, false, NodeState::Ready) => "Reachable".to_string(),
        (NodeRole::Manager, false, NodeState::Down | NodeState::Unknown) => "Unreachable".to_string(),
    }
}

/// ENGINE VERSION for the engine a run reproduces: 20.10 is the recorded traces' 20.10.24; 27
/// is shown as 27.0.0 (nominal: deploysim models the 27 line, not a patch release).
pub fn engine_version(engine: &str) -> &'static str {
    if engine.starts_with("20.10") { "20.10.24" } else { "27.0.0" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cluster::Availability;
    use crate::report::fixtures::{S, empty_run};

    fn run() -> RunRecord {
        let mut run = empty_run();
        run.engine = "20.10".into();
        for (i, (name, role)) in
            [("node-10", NodeRole::Worker), ("node-2", NodeRole::Worker), ("node-1", NodeRole::Manager)]
                .into_iter()
                .enumerate()
        {
            run.nodes.push(NodeInfo {
                name: name.into(),
                docker_id: format!("{i}bcdefghijklmnopqrstuvwxy"),
                role,
                leader: role == NodeRole::Manager,
            });
        }
        let (empty, failure) = (run.intern(""), run.intern("heartbeat failure"));
        for name in ["node-10", "node-2", "node-1"] {
            let node = run.intern(name);
            let e = NodeEvent {
                t: SimTime(0),
                node,
                state: NodeState::Ready,
                availability: Availability::Active,
                removed: false,
                message: empty,
            };
            run.node_events.push(e);
        }
        let node = run.intern("node-2");
        let down = NodeEvent {
            t: SimTime(12 * S),
            node,
            state: NodeState::Down,
            availability: Availability::Active,
            removed: false,
            message: failure,
        };
        run.node_events.push(down);
        run.node_events.push(NodeEvent { t: SimTime(20 * S), availability: Availability::Drain, ..down });
        run.node_events.push(NodeEvent { t: SimTime(30 * S), removed: true, ..down });
        run
    }

    #[test]
    fn node_ls_reads_as_docker_prints_it_at_each_instant() {
        let run = run();
        assert_eq!(
            render_node_ls(&run, SimTime(15 * S)),
            "ID                            HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n\
             2bcdefghijklmnopqrstuvwxy *   node-1     Ready     Active         Leader           20.10.24\n\
             1bcdefghijklmnopqrstuvwxy     node-2     Down      Active                          20.10.24\n\
             0bcdefghijklmnopqrstuvwxy     node-10    Ready     Active                          20.10.24\n"
        );
        let drained = render_node_ls(&run, SimTime(25 * S));
        assert!(drained.contains("node-2     Down      Drain "), "{drained}");
        let removed = render_node_ls(&run, SimTime(30 * S));
        assert!(!removed.contains("node-2"), "{removed}");
        assert_eq!(removed.lines().count(), 3, "{removed}");
    }
}
