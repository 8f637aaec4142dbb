//! The scheduler's load index (from 256 nodes on, `world/manager/scheduler.rs`): a test build
//! checks every indexed placement against a full scan of the nodes, so running a large cluster
//! through node loss, a drain, constraints, max replicas, crashes and a scale-up exercises the
//! index's upkeep; the placements must also honour the constraints.

use std::collections::BTreeMap;

use crate::common;
use deploysim::model::task::TaskState;

#[test]
fn indexed_placements_match_a_full_scan_on_three_hundred_nodes() {
    let path = common::repo_root().join("tests/data/scale/three-hundred-nodes.yml");
    for seed in 1..=2 {
        let run = common::simulate_file(&path, Some(seed)).expect("loads");
        let mut api_per_node: BTreeMap<String, u64> = BTreeMap::new();
        let mut assigned = 0;
        for e in run.events() {
            if e.state != TaskState::Assigned {
                continue;
            }
            assigned += 1;
            let index: u32 = e.node.trim_start_matches('n').parse().expect("node names are nNNN");
            if e.service == "big_api" {
                assert_eq!(index % 3, 0, "seed {seed}: big_api placed on {} outside zone a", e.node);
                *api_per_node.entry(e.node.to_string()).or_default() += 1;
            }
            assert_ne!(
                (e.node, e.t.0 >= 61_000_000_000),
                ("n010", true),
                "seed {seed}: a task placed on the drained node"
            );
        }
        assert!(assigned > 2_000, "seed {seed}: only {assigned} placements");
        assert!(api_per_node.len() >= 80, "seed {seed}: big_api spread over {} nodes", api_per_node.len());
    }
}
