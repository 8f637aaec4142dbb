//! The run loop: pops events in (time, sequence) order and hands them to the model until the
//! queue drains, the end time passes or the event budget is spent. Hitting a limit is an
//! outcome that the caller reports, never a hang.

use super::queue::EventQueue;
use crate::time::SimTime;

/// A simulated system: it handles one event at a time and may schedule more.
pub(crate) trait Model {
    /// The closed set of events this model understands.
    type Event: Copy;
    /// Handles `event` at `queue.now()`.
    fn handle(&mut self, event: Self::Event, queue: &mut EventQueue<Self::Event>);

    /// `event` will be handled soon (a few events from now): the model may ask the processor
    /// for the memory it will touch (see `crate::prefetch`). Changes nothing else.
    #[inline]
    fn prefetch(&self, _event: &Self::Event) {}

    /// `event` will be handled very soon (the next but one): the model may ask for memory that
    /// only the records asked for by [`Model::prefetch`] lead to.
    #[inline]
    fn prefetch_near(&self, _event: &Self::Event) {}

    /// The model has grown to a bound of its own and must stop (checked after each event).
    fn exhausted(&self) -> bool {
        false
    }
}

/// How many events ahead of the one handled the model is told of one ([`Model::prefetch`]):
/// far enough for its memory to arrive while the events between are handled.
const PREFETCH_AHEAD: usize = 4;
/// How many events ahead the model is told of one for its second stage
/// ([`Model::prefetch_near`]): the records asked for at [`PREFETCH_AHEAD`] have arrived.
const PREFETCH_NEAR: usize = 2;

/// Bounds on a run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Events after this time are not handled.
    pub end: SimTime,
    /// At most this many events are handled.
    pub max_events: u64,
}

/// Why the run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// Nothing left to do: the system is at rest.
    Quiescent,
    /// The next event lies after `Limits::end`.
    EndTime,
    /// `Limits::max_events` events were handled and more were pending.
    MaxEvents,
    /// The model said it is [`Model::exhausted`].
    Exhausted,
}

/// What a run did.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunOutcome {
    /// Why it stopped.
    pub stop: StopReason,
    /// Events handled.
    pub events: u64,
    /// Time of the last handled event.
    pub last_event_at: SimTime,
}

/// Runs `model` until a stop condition holds.
pub(crate) fn run<M: Model>(model: &mut M, queue: &mut EventQueue<M::Event>, limits: Limits) -> RunOutcome {
    let mut events = 0u64;
    let mut last = SimTime::ZERO;
    loop {
        let Some(next) = queue.peek_time() else {
            return RunOutcome { stop: StopReason::Quiescent, events, last_event_at: last };
        };
        if next > limits.end {
            return RunOutcome { stop: StopReason::EndTime, events, last_event_at: last };
        }
        if events >= limits.max_events {
            return RunOutcome { stop: StopReason::MaxEvents, events, last_event_at: last };
        }
        let (at, event) = queue.pop().expect("peeked");
        if let Some(ahead) = queue.peek_nth(PREFETCH_AHEAD) {
            model.prefetch(ahead);
        }
        if let Some(near) = queue.peek_nth(PREFETCH_NEAR) {
            model.prefetch_near(near);
        }
        last = at;
        events += 1;
        model.handle(event, queue);
        if model.exhausted() {
            return RunOutcome { stop: StopReason::Exhausted, events, last_event_at: last };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;

    /// A model that reschedules itself forever: the limits must stop it.
    struct Ticker {
        seen: Vec<SimTime>,
    }
    impl Model for Ticker {
        type Event = ();
        fn handle(&mut self, _: (), q: &mut EventQueue<()>) {
            self.seen.push(q.now());
            q.after(SimDuration::from_secs(1), ());
        }
    }

    #[test]
    fn limits_bound_an_endless_model() {
        let mut m = Ticker { seen: vec![] };
        let mut q = EventQueue::new();
        q.at(SimTime::ZERO, ());
        let out = run(&mut m, &mut q, Limits { end: SimTime(u64::MAX), max_events: 10 });
        assert_eq!(out.stop, StopReason::MaxEvents);
        assert_eq!(m.seen.len(), 10);
        let mut m = Ticker { seen: vec![] };
        let mut q = EventQueue::new();
        q.at(SimTime::ZERO, ());
        let out = run(&mut m, &mut q, Limits { end: SimTime(3_500_000_000), max_events: 1000 });
        assert_eq!(out.stop, StopReason::EndTime);
        assert_eq!(m.seen.last(), Some(&SimTime(3_000_000_000)));
        assert!(m.seen.windows(2).all(|w| w[0] <= w[1]), "time never goes back");
    }

    /// A model that counts what it has made and is done at three.
    struct Grower {
        made: u32,
    }
    impl Model for Grower {
        type Event = ();
        fn handle(&mut self, _: (), q: &mut EventQueue<()>) {
            self.made += 1;
            q.after(SimDuration::from_secs(1), ());
        }
        fn exhausted(&self) -> bool {
            self.made >= 3
        }
    }

    #[test]
    fn a_model_that_reaches_its_own_bound_stops_the_run() {
        // Checks that `exhausted` ends the run right after the event that reached the bound.
        let mut m = Grower { made: 0 };
        let mut q = EventQueue::new();
        q.at(SimTime::ZERO, ());
        let out = run(&mut m, &mut q, Limits { end: SimTime(u64::MAX), max_events: 1000 });
        assert_eq!((out.stop, out.events, m.made), (StopReason::Exhausted, 3, 3));
        assert_eq!(out.last_event_at, SimTime(2_000_000_000));
    }
}
