//! `events.csv`: one row per recorded task state change.

use std::io::Write as _;

use crate::model::record::{EventView, RunRecord};

/// Column names, in order.
pub const HEADER: [&str; 9] =
    ["t_s", "service", "task_id", "slot", "node", "image", "desired_state", "state", "message"];

/// Renders every [`TaskEvent`](crate::model::record::TaskEvent) of the run as CSV: header
/// `t_s,service,task_id,slot,node,image,desired_state,state,message`, then one row per event in
/// record order. `t_s` is seconds with millisecond precision (`12.345`); states are the
/// lowercase names `docker service ps` prints. Fields containing commas or quotes are quoted.
pub fn events_csv(run: &RunRecord) -> Vec<u8> {
    let mut out = Vec::new();
    write_events_csv(run, &mut out).expect("writing CSV into memory cannot fail");
    out
}

/// [`events_csv`] written to `sink` as it is made, so that a run of millions of rows never
/// holds the file (`run` streams it into the report's staging folder). Fields go to the CSV
/// writer one at a time, numbers formatted on the stack: no allocation per row.
pub fn write_events_csv(run: &RunRecord, sink: impl std::io::Write) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(sink);
    out.write_record(HEADER)?;
    let mut number = Vec::with_capacity(24);
    for event in run.events() {
        let EventView { t, service, task_id, slot, node, image, desired_state, state, message } = event;
        number.clear();
        let millis = t.0 / 1_000_000;
        write!(number, "{}.{:03}", millis / 1000, millis % 1000)?;
        out.write_field(&number)?;
        out.write_field(service)?;
        out.write_field(task_id)?;
        number.clear();
        write!(number, "{slot}")?;
        out.write_field(&number)?;
        out.write_field(node)?;
        out.write_field(image)?;
        out.write_field(desired_state.as_str())?;
        out.write_field(state.as_str())?;
        out.write_field(message)?;
        out.write_record(None::<&[u8]>)?;
    }
    out.flush()?;
    Ok(())
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
