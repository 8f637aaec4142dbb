//! A node's container daemon as a processor-sharing server: container starts and graceful stops
//! on one node share its capacity (moby `daemon.containerStart` mounts, sets up the network and has
//! containerd create and start the task: work of several processes on the one host). Measured
//! over every recorded run (observations § 15, fid32, on a 2-core host): starts begun together
//! end together, not one after another (a pair's two `start` events come 0.12 of a solo start
//! apart, median of 78 pairs; a lock would put them a whole start apart), a pair taking 1.5 times
//! as long as a start alone, three 2.1 times (s08's two triples), s03's six about 2.5 times; six
//! simultaneous SIGTERMed containers take ~0.16 s to exit instead of ~0.03 s.
//!
//! Work is kept in integer units (nanoseconds × `UNIT`), so the schedule is exact and
//! reproducible; a job's completion is re-planned whenever the number of jobs changes.

use crate::model::task::TaskId;
use crate::time::{SimDuration, SimTime};

/// The daemon's capacity in full-speed jobs, as a fraction (3/2): a 2-core host runs one start at
/// full speed, but a start keeps more than one core busy (dockerd, containerd, the shim, runc).
/// Replaying the 396 overlapped starts of every recording through this server (§ 15), capacities
/// 1.25-1.4 fit as well as each other (mean |log error| 0.233-0.235, 1.3 median-unbiased) and 1.5
/// nearly so (0.247); the fit grows with the number of starts (pairs want 1.25, s08's threes 1.45,
/// s03's sixes about 2), which no one capacity gives. 3/2 stays: the judge cannot tell it from
/// 5/4, 4/3 or 7/5 (214 of 228 runs reproduced at each; 13/10 loses one run of two seeds), and
/// below it s03's six starts run too long.
const CAPACITY_NUM: u128 = 3;
const CAPACITY_DEN: u128 = 2;
/// Sub-nanosecond precision for shared progress.
const UNIT: u128 = 1_000_000;

/// `a / b`, exactly, through a 64-bit division when both fit in 64 bits (they do unless a job
/// needs hours of work): a 128-bit division is a call into the runtime's `__udivti3`, which
/// took about 1 % of a sweep's time, even by a constant.
fn div(a: u128, b: u128) -> u128 {
    match (u64::try_from(a), u64::try_from(b)) {
        (Ok(a), Ok(b)) => u128::from(a / b),
        _ => a / b,
    }
}

/// What finishes when a job's work is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum JobKind {
    /// The container's process starts.
    Start,
    /// The process exits after SIGTERM with this status.
    Stop {
        /// Exit status.
        code: i32,
    },
}

#[derive(Clone, Copy, Debug)]
struct Job {
    task: TaskId,
    kind: JobKind,
    /// Work left, in nanoseconds × UNIT of one full-speed server.
    remaining: u128,
}

/// One node's daemon.
#[derive(Clone, Debug, Default)]
pub(super) struct Daemon {
    jobs: Vec<Job>,
    last: SimTime,
    /// When the completion event now armed fires (one at a time: a burst of submissions
    /// that only delays completions schedules nothing new).
    pub armed_at: Option<SimTime>,
}

impl Daemon {
    /// Back to `Daemon::default()`, keeping its list's room (a world reused from run to run).
    /// Every field is named, so that one added later must be said here too.
    pub(super) fn clear(&mut self) {
        let Daemon { jobs, last, armed_at } = self;
        jobs.clear();
        *last = SimTime::default();
        *armed_at = None;
    }

    /// Its jobs will be read soon (see `crate::prefetch`).
    pub(super) fn prefetch_jobs(&self) {
        if let Some(first) = self.jobs.first() {
            crate::prefetch::prefetch(first);
        }
    }

    /// Progress per job over `elapsed`: full speed while jobs ≤ PARALLELISM, else shared.
    fn advance(&mut self, now: SimTime) {
        let elapsed = now.since(self.last).as_nanos() as u128 * UNIT;
        self.last = now;
        let n = self.jobs.len() as u128;
        if n == 0 || elapsed == 0 {
            return;
        }
        let progress =
            if n * CAPACITY_DEN <= CAPACITY_NUM { elapsed } else { div(elapsed * CAPACITY_NUM, n * CAPACITY_DEN) };
        for job in &mut self.jobs {
            job.remaining = job.remaining.saturating_sub(progress);
        }
    }

    /// Adds a job needing `work` of full-speed time; returns when the next job will finish.
    pub(super) fn submit(&mut self, now: SimTime, task: TaskId, kind: JobKind, work: SimDuration) -> Option<SimTime> {
        self.advance(now);
        self.jobs.push(Job { task, kind, remaining: work.as_nanos() as u128 * UNIT });
        self.next_completion(now)
    }

    /// Drops `task`'s jobs (its container was killed); returns the re-planned next completion.
    pub(super) fn cancel(&mut self, now: SimTime, task: TaskId) -> Option<SimTime> {
        self.advance(now);
        let before = self.jobs.len();
        self.jobs.retain(|j| j.task != task);
        if self.jobs.len() == before { None } else { self.next_completion(now) }
    }

    /// Removes the jobs finished by `now` and appends them to `done` (in submission order);
    /// returns the next completion time.
    pub(super) fn finish_due(&mut self, now: SimTime, done: &mut Vec<(TaskId, JobKind)>) -> Option<SimTime> {
        self.advance(now);
        done.extend(self.jobs.iter().filter(|j| j.remaining == 0).map(|j| (j.task, j.kind)));
        self.jobs.retain(|j| j.remaining > 0);
        self.next_completion(now)
    }

    fn next_completion(&mut self, now: SimTime) -> Option<SimTime> {
        let n = self.jobs.len() as u128;
        let least = self.jobs.iter().map(|j| j.remaining).min()?;
        // Time for `least` work at the current share, rounded up to a whole nanosecond.
        let scaled = if n * CAPACITY_DEN <= CAPACITY_NUM { least } else { div(least * n * CAPACITY_DEN, CAPACITY_NUM) };
        // Rounded up, as `div_ceil` would.
        let whole = div(scaled, UNIT);
        let nanos = (whole + u128::from(whole * UNIT != scaled)) as u64;
        Some(now.plus(SimDuration::from_nanos(nanos)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }

    /// The jobs finished by `now` and the next completion.
    fn finish(d: &mut Daemon, now: SimTime) -> (Vec<(TaskId, JobKind)>, Option<SimTime>) {
        let mut done = Vec::new();
        let next = d.finish_due(now, &mut done);
        (done, next)
    }

    #[test]
    fn one_job_runs_at_full_speed_two_share_one_and_a_half() {
        let mut d = Daemon::default();
        let next = d.submit(SimTime::ZERO, TaskId(1), JobKind::Start, ms(300));
        assert_eq!(next, Some(SimTime(300_000_000)));
        let next = d.submit(SimTime::ZERO, TaskId(2), JobKind::Start, ms(300));
        // Each gets 3/4 of a server: 300 ms of work takes 400 ms.
        assert_eq!(next, Some(SimTime(400_000_000)));
        let (done, next) = finish(&mut d, SimTime(400_000_000));
        assert_eq!(done.len(), 2);
        assert_eq!(next, None);
    }

    #[test]
    fn six_jobs_share_two_servers() {
        let mut d = Daemon::default();
        let mut next = None;
        for i in 0..6 {
            next = d.submit(SimTime::ZERO, TaskId(i), JobKind::Stop { code: 0 }, ms(50));
        }
        // 6 jobs of 50 ms on 1.5 servers: all done at 200 ms.
        assert_eq!(next, Some(SimTime(200_000_000)));
        let (done, _) = finish(&mut d, SimTime(200_000_000));
        assert_eq!(done.len(), 6);
    }

    #[test]
    fn an_early_job_keeps_its_head_start() {
        let mut d = Daemon::default();
        d.submit(SimTime::ZERO, TaskId(0), JobKind::Start, ms(400));
        // 200 ms alone (half done), then 5 more arrive: 200 ms left at 1/4 speed = 800 ms.
        let mut next = None;
        for i in 1..6 {
            next = d.submit(SimTime(200_000_000), TaskId(i), JobKind::Start, ms(400));
        }
        assert_eq!(next, Some(SimTime(1_000_000_000)));
        let (done, next) = finish(&mut d, SimTime(1_000_000_000));
        assert_eq!(done, vec![(TaskId(0), JobKind::Start)]);
        // The others did 200 ms of work by then; 200 ms left each, 5 jobs at 3/10: 667 ms more.
        assert_eq!(next, Some(SimTime(1_666_666_667)));
    }

    /// k starts of a solo time `w` submitted in the same instant: when each ends.
    fn together(k: u32, w: SimDuration) -> Vec<SimTime> {
        let mut d = Daemon::default();
        let mut next = None;
        for i in 0..k {
            next = d.submit(SimTime::ZERO, TaskId(i), JobKind::Start, w);
        }
        let mut ends = Vec::new();
        while let Some(at) = next {
            let (done, n) = finish(&mut d, at);
            ends.extend(done.iter().map(|_| at));
            next = n;
        }
        ends
    }

    #[test]
    fn simultaneous_starts_end_together_as_the_recordings_show() {
        // What § 15 measured over every recording: k starts begun together end together (the
        // processor is shared, not locked: a pair's two ends 0.12 of a solo start apart, median of
        // 78 pairs), a pair after 1.52 solo starts (10-90 %: 1.16-2.12), s08's two triples after
        // 2.11 (1.92-2.30) and s03's sixes after about 2.5 (their image's solo median over
        // every run, 1.78-3.13); with capacity 1.25-1.5, pairs 1.33-1.6 and threes 2.0-2.4.
        let w = ms(300);
        let ratio = |k: u32| {
            let ends = together(k, w);
            assert_eq!(ends.len(), k as usize);
            assert!(ends.iter().all(|&e| e == ends[0]), "{k} simultaneous starts end together: {ends:?}");
            ends[0].0 as f64 / w.as_nanos() as f64
        };
        assert_eq!(ratio(1), 1.0, "a start alone runs at full speed");
        let (two, three, six) = (ratio(2), ratio(3), ratio(6));
        assert!((1.16..=1.6).contains(&two), "a pair takes {two} solo starts");
        assert!((1.8..=2.4).contains(&three), "three take {three} solo starts");
        // Six: 4.0 here against the recorded ~2.5 (s03's runs start nothing alone, so their own
        // solo time is unknown): the one count the fit misses; one capacity is linear in k.
        assert!((2.5..=4.8).contains(&six), "six take {six} solo starts");
        assert!((six / three - 2.0).abs() < 1e-6, "linear in k once the capacity is shared");
    }
}
