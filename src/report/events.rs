//! `events.csv`: one row per recorded task state change.

use crate::model::record::RunRecord;

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
/// holds the file (`run` streams it into the report's staging folder). Rows are assembled in a
/// buffer of this function's own and handed to `sink` in large pieces; numbers are printed
/// digit by digit and each distinct name is CSV-encoded once ([`FieldCache`]): no allocation
/// and no formatting machinery per row.
pub fn write_events_csv(run: &RunRecord, mut sink: impl std::io::Write) -> std::io::Result<()> {
    const FLUSH_AT: usize = 1 << 16;
    let mut header = csv::Writer::from_writer(Vec::new());
    write_row(&mut header, &HEADER);
    let mut buf = finish(header);
    buf.reserve(FLUSH_AT + 1024);
    let mut fields = FieldCache::new(run);
    for e in run.task_events.iter() {
        let millis = e.t.0 / 1_000_000;
        push_number(&mut buf, millis / 1000);
        let frac = millis % 1000;
        buf.extend_from_slice(&[
            b'.',
            b'0' + (frac / 100) as u8,
            b'0' + (frac / 10 % 10) as u8,
            b'0' + (frac % 10) as u8,
        ]);
        buf.push(b',');
        fields.push(&mut buf, e.service);
        buf.push(b',');
        fields.push(&mut buf, e.task_id);
        buf.push(b',');
        push_number(&mut buf, e.slot);
        buf.push(b',');
        fields.push(&mut buf, e.node);
        buf.push(b',');
        fields.push(&mut buf, e.image);
        buf.push(b',');
        // State names are lowercase words: never quoted.
        buf.extend_from_slice(e.desired_state.as_str().as_bytes());
        buf.push(b',');
        buf.extend_from_slice(e.state.as_str().as_bytes());
        buf.push(b',');
        fields.push(&mut buf, e.message);
        buf.push(b'\n');
        if buf.len() >= FLUSH_AT {
            sink.write_all(&buf)?;
            buf.clear();
        }
    }
    sink.write_all(&buf)?;
    sink.flush()
}

/// Appends `n` in decimal.
fn push_number(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[at..]);
}

/// Each name of a record as a CSV field, encoded the first time it is asked for and kept in
/// one store: a large run's rows repeat a few names (services, nodes, messages) and one id per
/// task. A name with a byte the default `csv` writer quotes for is encoded by that writer
/// itself, so quoting follows the crate's rules exactly.
struct FieldCache<'r> {
    run: &'r RunRecord,
    /// The encoded names, one after another.
    store: Vec<u8>,
    /// Where each shared string's field is in `store` (start, length); [`UNSEEN`] before (a
    /// task id is copied from the names).
    span: Vec<(u32, u32)>,
    /// Encodes the names that need quoting (each as a row `<field>,` of its own).
    quoter: csv::Writer<Vec<u8>>,
}

const UNSEEN: (u32, u32) = (u32::MAX, u32::MAX);

impl<'r> FieldCache<'r> {
    fn new(run: &'r RunRecord) -> Self {
        let quoter = csv::Writer::from_writer(Vec::new());
        FieldCache { run, store: Vec::new(), span: vec![UNSEEN; run.names.shared_len()], quoter }
    }

    fn push(&mut self, buf: &mut Vec<u8>, name: crate::model::record::Name) {
        let index = name.0 as usize;
        if name.task().is_some() {
            // A task id is named once, by one task's rows, and its text is kept by the names
            // already: copied straight from there (letters and digits, never quoted).
            let text = self.run.name(name).as_bytes();
            debug_assert!(text.iter().all(u8::is_ascii_alphanumeric));
            buf.extend_from_slice(text);
            return;
        }
        if self.span[index] == UNSEEN {
            let start = self.store.len();
            let text = self.run.name(name).as_bytes();
            if text.iter().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
                // The field followed by an empty one, as the crate writes it in a row of several.
                let from = self.quoter.get_ref().len();
                self.quoter.write_record([text, b""]).expect("writing CSV into memory cannot fail");
                self.quoter.flush().expect("writing CSV into memory cannot fail");
                let encoded = self.quoter.get_ref();
                self.store.extend_from_slice(&encoded[from..encoded.len() - 2]); // without ",\n"
            } else {
                self.store.extend_from_slice(text);
            }
            match (u32::try_from(start), u32::try_from(self.store.len())) {
                (Ok(start), Ok(end)) => self.span[index] = (start, end - start),
                // Past 4 GiB of names (never seen): written, not remembered.
                _ => {
                    buf.extend_from_slice(&self.store[start..]);
                    self.store.truncate(start);
                    return;
                }
            }
        }
        let (start, len) = self.span[index];
        buf.extend_from_slice(&self.store[start as usize..(start + len) as usize]);
    }
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
    use crate::model::record::EventView;
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
    fn every_field_is_encoded_as_the_csv_crate_writes_it() {
        let mut run = empty_run();
        let odd = ["", "plain", "a,b", "say \"hi\"", "two\nlines", "cr\rhere", "#hash", " spaced ", "tab\there"];
        let mut want = csv::Writer::from_writer(Vec::new());
        want.write_record(HEADER).unwrap();
        for (i, text) in odd.iter().enumerate() {
            let other = odd[(i + 3) % odd.len()];
            let event = EventView {
                t: crate::time::SimTime(i as u64 * 1_234_567_891),
                service: text,
                task_id: other,
                slot: i as u64 * 1000,
                node: text,
                image: other,
                desired_state: TaskState::Running,
                state: TaskState::Failed,
                message: text,
            };
            run.push_event(event);
            let t = event.t.0 / 1_000_000;
            let row = [
                format!("{}.{:03}", t / 1000, t % 1000),
                text.to_string(),
                other.to_string(),
                event.slot.to_string(),
                text.to_string(),
                other.to_string(),
                "running".into(),
                "failed".into(),
                text.to_string(),
            ];
            want.write_record(&row).unwrap();
        }
        assert_eq!(
            String::from_utf8(events_csv(&run)).unwrap(),
            String::from_utf8(want.into_inner().unwrap()).unwrap()
        );
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
