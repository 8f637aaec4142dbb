//! `events.csv`: one row per recorded task state change.

use crate::model::record::{EventView, RunRecord};

/// Column names, in order.
pub const HEADER: [&str; 9] =
    ["t_s", "service", "task_id", "slot", "node", "image", "desired_state", "state", "message"];

/// Renders every [`TaskEvent`](crate::model::record::TaskEvent) of the run as CSV: header
/// `t_s,service,task_id,slot,node,image,desired_state,state,message`, then one row per event in
/// record order. `t_s` is seconds with millisecond precision (`12.345`); states are the
/// lowercase names `docker service ps` prints. Fields containing commas or quotes are quoted.
pub fn events_csv(run: &RunRecord) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    write_row(&mut out, &HEADER);
    for event in run.events() {
        write_row(&mut out, &row(&event));
    }
    finish(out)
}

fn row(event: &EventView<'_>) -> [String; 9] {
    [
        event.t.secs_ms(),
        event.service.to_string(),
        event.task_id.to_string(),
        event.slot.to_string(),
        event.node.to_string(),
        event.image.to_string(),
        event.desired_state.as_str().to_string(),
        event.state.as_str().to_string(),
        event.message.to_string(),
    ]
}

/// Appends one record; the sink is a `Vec`, so the only possible failure is a bug.
pub(crate) fn write_row<S: AsRef<[u8]>>(out: &mut csv::Writer<Vec<u8>>, fields: &[S]) {
    out.write_record(fields).expect("writing CSV into memory cannot fail");
}

/// Flushes the writer and hands back its bytes.
pub(crate) fn finish(out: csv::Writer<Vec<u8>>) -> Vec<u8> {
    out.into_inner().expect("flushing CSV into memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::task::TaskState;
    use crate::report::fixtures::{empty_run, task_event};

    #[test]
    fn header_only_when_nothing_happened() {
        let bytes = events_csv(&empty_run());
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "t_s,service,task_id,slot,node,image,desired_state,state,message\n"
        );
    }

    #[test]
    fn rows_use_exact_millis_and_docker_state_names() {
        let mut run = empty_run();
        run.push_event(task_event(30_050_999_999, TaskState::Running, TaskState::Starting, "starting"));
        let text = String::from_utf8(events_csv(&run)).unwrap();
        let row = text.lines().nth(1).unwrap();
        // 30.050999999 s truncates to 30.050, not rounds to 30.051.
        assert_eq!(row, "30.050,web_web,abc123,3,node-1,web:2,running,starting,starting");
    }

    #[test]
    fn messages_with_commas_and_quotes_are_quoted() {
        let mut run = empty_run();
        run.push_event(task_event(
            1_000_000_000,
            TaskState::Shutdown,
            TaskState::Failed,
            "task: non-zero exit (1), said \"boom\"",
        ));
        let text = String::from_utf8(events_csv(&run)).unwrap();
        let row = text.lines().nth(1).unwrap();
        assert_eq!(
            row,
            "1.000,web_web,abc123,3,node-1,web:2,shutdown,failed,\
             \"task: non-zero exit (1), said \"\"boom\"\"\""
        );
        // And a CSV reader gets the original message back in one field.
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(record.len(), 9);
        assert_eq!(&record[8], "task: non-zero exit (1), said \"boom\"");
    }
}
