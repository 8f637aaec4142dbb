//! `docker service ps` / `docker stack ps` as the docker CLI prints them
//! (`cli/command/task/print.go`, `formatter.go`): the default table format
//! `ID NAME IMAGE NODE DESIRED STATE CURRENT STATE ERROR PORTS`.

use crate::model::task::TaskState;
use crate::ps::docker_fmt::{
    ellipsis, human_duration, natural_cmp, pretty, pseudo_id, strip_digest, tabulate, truncate_id,
};
use crate::ps::replay::TaskRow;
use crate::time::SimTime;

/// The ERROR column's width when truncating (`maxErrLength`).
const MAX_ERR_LENGTH: usize = 30;

/// The header row of the default task table.
pub const HEADER: [&str; 8] = ["ID", "NAME", "IMAGE", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR", "PORTS"];

/// `service.slot`, or for a global service's task `service.<node id>` (Docker prints the node's
/// id there, not its name; the simulator derives a stable id from the node name).
pub fn task_name(row: &TaskRow) -> String {
    if row.slot != 0 {
        format!("{}.{}", row.service, row.slot)
    } else {
        format!("{}.{}", row.service, pseudo_id(&row.node))
    }
}

/// `Status.Err`: the record keeps the error in the message of a failed or rejected task, and of
/// a pending task no node can take (`no suitable node (…)`).
pub fn task_error(row: &TaskRow) -> &str {
    let failed = matches!(row.state, TaskState::Failed | TaskState::Rejected);
    let unplaced = row.state == TaskState::Pending && row.message.starts_with("no suitable node");
    if failed || unplaced { &row.message } else { "" }
}

/// CURRENT STATE: `Running 9 seconds ago`.
pub fn current_state(row: &TaskRow, now: SimTime) -> String {
    format!("{} {} ago", pretty(row.state.as_str()), human_duration(now.since(row.status_at)).to_lowercase())
}

/// Sorts as `tasksSortable` does: by name in natural order (slot 2 before slot 10), then newest
/// first within a name; the id breaks remaining ties so output never depends on input order.
pub fn sort_tasks(rows: &mut [TaskRow]) {
    rows.sort_by(|a, b| {
        natural_cmp(&task_name(a), &task_name(b)).then_with(|| b.created.cmp(&a.created)).then_with(|| a.id.cmp(&b.id))
    });
}

/// The table at instant `now`. `trunc` is the CLI's default (`--no-trunc` clears it): 12-character
/// ids, images without digest, errors cut to 30 characters.
pub fn render(rows: &[TaskRow], now: SimTime, trunc: bool) -> String {
    let mut sorted = rows.to_vec();
    sort_tasks(&mut sorted);
    let mut table = vec![HEADER.iter().map(|h| h.to_string()).collect()];
    let mut previous = String::new();
    for row in &sorted {
        let name = task_name(row);
        // Older tasks of a slot are indented under the newest, which the sort put first.
        let shown = if name == previous { format!(" \\_ {name}") } else { name.clone() };
        previous = name;
        table.push(cells(row, shown, now, trunc));
    }
    tabulate(&table)
}

fn cells(row: &TaskRow, name: String, now: SimTime, trunc: bool) -> Vec<String> {
    let id = if trunc { truncate_id(&row.id) } else { &row.id };
    let image = if trunc { strip_digest(&row.image) } else { &row.image };
    let err = task_error(row);
    let err = if trunc { ellipsis(err, MAX_ERR_LENGTH) } else { err.to_string() };
    vec![
        id.to_string(),
        name,
        image.to_string(),
        row.node.to_string(),
        pretty(row.desired.as_str()),
        current_state(row, now),
        if err.is_empty() { err } else { format!("\"{err}\"") },
        String::new(),
    ]
}
