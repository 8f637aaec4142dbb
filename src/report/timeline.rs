//! `timeline.csv`: one row per per-service availability sample.

use crate::model::record::{RunRecord, TimelineSample};
use crate::report::events::{finish, write_row};

/// Column names, in order.
pub const HEADER: [&str; 11] = [
    "t_s",
    "service",
    "desired",
    "running_old",
    "running_new",
    "healthy_old",
    "healthy_new",
    "starting",
    "stopping",
    "serving",
    "update_state",
];

/// Renders every [`TimelineSample`] of the run as CSV: header
/// `t_s,service,desired,running_old,running_new,healthy_old,healthy_new,starting,stopping,serving,update_state`,
/// then one row per sample in record order (samples of different services interleave). A
/// sample's counts hold until the next row of the same service. `update_state` is empty while
/// the service has no UpdateStatus.
pub fn timeline_csv(run: &RunRecord) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    write_row(&mut out, &HEADER);
    for sample in &run.timeline {
        write_row(&mut out, &row(&sample));
    }
    finish(out)
}

fn row(s: &TimelineSample) -> [String; 11] {
    [
        s.t.secs_ms(),
        s.service.to_string(),
        s.desired.to_string(),
        s.running_old.to_string(),
        s.running_new.to_string(),
        s.healthy_old.to_string(),
        s.healthy_new.to_string(),
        s.starting.to_string(),
        s.stopping.to_string(),
        s.serving.to_string(),
        s.update_state.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{empty_run, sample};

    #[test]
    fn header_and_rows() {
        let mut run = empty_run();
        let mut first = sample("web_web", 0, 10, 0);
        first.starting = 10;
        let mut second = sample("web_web", 12_345_678_901, 10, 9);
        second.running_old = 9;
        second.running_new = 1;
        second.healthy_old = 9;
        second.stopping = 1;
        second.update_state = "updating";
        run.timeline = vec![first, second].into();
        let text = String::from_utf8(timeline_csv(&run)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "t_s,service,desired,running_old,running_new,healthy_old,healthy_new,\
                 starting,stopping,serving,update_state",
                "0.000,web_web,10,0,0,0,0,10,0,0,",
                "12.345,web_web,10,9,1,9,0,0,1,9,updating",
            ]
        );
        assert!(text.ends_with('\n'));
    }
}
