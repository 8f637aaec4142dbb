//! `nodes.csv`: one row per change of a node as the manager's store has it — `Status.State`
//! (swarmkit `manager/dispatcher/dispatcher.go`: `markNodeReady`, `markNodeNotReady`),
//! `Spec.Availability` (`docker node update --availability`, controlapi `UpdateNode`) and the
//! node's removal (`docker node rm`, controlapi `RemoveNode`).

use crate::model::record::{NodeEvent, RunRecord};
use crate::report::events::{finish, write_row};

/// Column names, in order.
pub const HEADER: [&str; 5] = ["t_s", "node", "state", "availability", "message"];

/// Renders every [`NodeEvent`] of the run as CSV: header `t_s,node,state,availability,message`,
/// then one row per change in record order, each node's declared state first at `0.000`.
/// `state` is `ready` or `down`, `availability` `active`, `pause` or `drain` (Docker's
/// lowercase spellings); `message` is the node's `Status.Message` (`heartbeat failure` once
/// its heartbeat deadline passed), or says that it was removed.
pub fn nodes_csv(run: &RunRecord) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    write_row(&mut out, &HEADER);
    for e in &run.node_events {
        write_row(&mut out, &row(run, e));
    }
    finish(out)
}

fn row(run: &RunRecord, e: &NodeEvent) -> [String; 5] {
    [
        e.t.secs_ms(),
        run.name(e.node).to_string(),
        e.state.as_str().to_string(),
        e.availability.as_str().to_string(),
        run.name(e.message).to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cluster::Availability;
    use crate::model::record::NodeState;
    use crate::report::fixtures::{S, empty_run};
    use crate::time::SimTime;

    #[test]
    fn rows_follow_the_header_in_record_order() {
        let mut run = empty_run();
        let (node, empty, failure) = (run.intern("node-2"), run.intern(""), run.intern("heartbeat failure"));
        let at = |t: u64, state, availability, message| NodeEvent {
            t: SimTime(t),
            node,
            state,
            availability,
            removed: false,
            message,
        };
        run.node_events = vec![
            at(0, NodeState::Ready, Availability::Active, empty),
            at(12 * S, NodeState::Down, Availability::Active, failure),
            at(30 * S, NodeState::Down, Availability::Drain, failure),
        ];
        let text = String::from_utf8(nodes_csv(&run)).unwrap();
        assert_eq!(
            text,
            "t_s,node,state,availability,message\n0.000,node-2,ready,active,\n\
             12.000,node-2,down,active,heartbeat failure\n30.000,node-2,down,drain,heartbeat failure\n"
        );
    }
}
