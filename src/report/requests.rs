//! `requests.csv`: successful and failed requests per second, per service with traffic.

use crate::model::record::RunRecord;
use crate::model::traffic::RequestBucket;
use crate::report::events::{finish, write_row};

/// Column names, in order (the plot's requests panel reads exactly these).
pub const HEADER: [&str; 4] = ["t_s", "service", "ok", "failed"];

/// Renders the request outcomes as CSV: header `t_s,service,ok,failed`, then one row per
/// one-second bucket per service with traffic, ordered by time, then by the services' order
/// in `x-simulation.traffic`. `t_s` is the start of the second (three decimals); `ok` and
/// `failed` are whole requests settled in that second (see [`crate::traffic`] for how they are
/// counted and rounded). Only the header when the run has no traffic.
pub fn requests_csv(run: &RunRecord) -> Vec<u8> {
    let mut rows: Vec<(&RequestBucket, usize)> =
        run.requests.iter().enumerate().flat_map(|(i, s)| s.buckets.iter().map(move |b| (b, i))).collect();
    rows.sort_by_key(|(b, i)| (b.t, *i));
    let mut out = csv::Writer::from_writer(Vec::new());
    write_row(&mut out, &HEADER);
    for (b, i) in rows {
        write_row(&mut out, &[b.t.secs_ms(), run.requests[i].service.clone(), b.ok.to_string(), b.failed.to_string()]);
    }
    finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::traffic::RequestSeries;
    use crate::report::fixtures::{S, empty_run};
    use crate::time::{SimDuration, SimTime};

    fn series(service: &str, buckets: &[(u64, u64, u64)]) -> RequestSeries {
        RequestSeries {
            service: service.into(),
            from: SimTime(buckets[0].0 * S),
            until: SimTime((buckets[buckets.len() - 1].0 + 1) * S),
            buckets: buckets.iter().map(|&(t, ok, failed)| RequestBucket { t: SimTime(t * S), ok, failed }).collect(),
            longest_outage: SimDuration::ZERO,
            longest_outage_at: None,
            new_image: None,
            to_new: 0,
            new_failed: 0,
            backends: Vec::new(),
        }
    }

    #[test]
    fn rows_by_time_then_traffic_order() {
        let mut run = empty_run();
        run.requests = vec![series("web_web", &[(5, 100, 0), (6, 90, 10)]), series("web_api", &[(6, 20, 0)])];
        let text = String::from_utf8(requests_csv(&run)).unwrap();
        assert_eq!(text, "t_s,service,ok,failed\n5.000,web_web,100,0\n6.000,web_web,90,10\n6.000,web_api,20,0\n");
    }

    #[test]
    fn header_only_without_traffic() {
        assert_eq!(requests_csv(&empty_run()), b"t_s,service,ok,failed\n");
    }
}
