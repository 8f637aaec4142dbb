//! `EventQueue`: events in (time, sequence) order. Events at equal times pop in the order they
//! were pushed (FIFO), which is the same-time contract documented in the crate root.

use std::collections::{BTreeMap, VecDeque};

use crate::time::{SimDuration, SimTime};

/// Pending events, earliest first; ties broken by insertion order.
///
/// Events are kept in one FIFO per distinct instant, the instants in a B-tree. This is exactly
/// the (time, sequence) order — within an instant, insertion order *is* sequence order — and it
/// is much cheaper than a binary heap when many events share an instant, as they do with the
/// fixed latencies most scenarios use (a deploy of 100,000 tasks schedules each step of every
/// task at the same few instants).
pub struct EventQueue<E> {
    buckets: BTreeMap<SimTime, Bucket<E>>,
    now: SimTime,
    /// Emptied FIFOs of past instants, reused by later ones: a run that keeps meeting shared
    /// instants allocates a few FIFOs, not one per instant.
    spare: Vec<VecDeque<E>>,
}

/// Emptied FIFOs kept for reuse (beyond these, an emptied one is freed).
const SPARE_FIFOS: usize = 64;
/// The largest FIFO kept as a spare (events), so that spares hold little memory.
const SPARE_FIFO_CAPACITY: usize = 1024;

/// The events of one instant, in insertion order. Most instants hold one event when latencies
/// are random: keeping it inline saves an allocation per event.
enum Bucket<E> {
    One(E),
    Many(VecDeque<E>),
}

impl<E> Bucket<E> {
    /// Appends `event`; a second event moves both into `fifo` (empty).
    fn push(&mut self, event: E, fifo: impl FnOnce() -> VecDeque<E>) {
        match self {
            Bucket::Many(q) => q.push_back(event),
            Bucket::One(_) => {
                let Bucket::One(first) = std::mem::replace(self, Bucket::Many(fifo())) else { unreachable!() };
                let Bucket::Many(q) = self else { unreachable!() };
                q.push_back(first);
                q.push_back(event);
            }
        }
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue { buckets: BTreeMap::new(), now: SimTime::ZERO, spare: Vec::new() }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// The time of the event being handled (or of the last one popped).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at absolute time `at`, after every event already due then.
    ///
    /// # Panics
    /// If `at` is in the past: an event before `now` is a bug in the model, never valid input.
    pub fn at(&mut self, at: SimTime, event: E) {
        assert!(at >= self.now, "event scheduled in the past: {at:?} < now {:?}", self.now);
        match self.buckets.entry(at) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(Bucket::One(event));
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let spare = &mut self.spare;
                o.get_mut().push(event, || spare.pop().unwrap_or_else(|| VecDeque::with_capacity(4)));
            }
        }
    }

    /// Schedules `event` after `delay` from now.
    pub fn after(&mut self, delay: SimDuration, event: E) {
        let at = self.now.plus(delay);
        self.at(at, event);
    }

    /// Removes and returns the earliest event, advancing `now` to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let mut first = self.buckets.first_entry()?;
        let time = *first.key();
        let event = match first.get_mut() {
            Bucket::Many(q) if q.len() > 1 => q.pop_front().expect("non-empty"),
            _ => match first.remove() {
                Bucket::One(e) => e,
                Bucket::Many(mut q) => {
                    let event = q.pop_front().expect("buckets are never left empty");
                    // Only small ones: a FIFO grown by one huge instant is not kept for good.
                    if self.spare.len() < SPARE_FIFOS && q.capacity() <= SPARE_FIFO_CAPACITY {
                        self.spare.push(q);
                    }
                    event
                }
            },
        };
        debug_assert!(time >= self.now, "time went backwards");
        self.now = time;
        Some((time, event))
    }

    /// The time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.buckets.keys().next().copied()
    }

    /// Whether every pending event satisfies `f` (in no particular order).
    pub fn all_pending(&self, mut f: impl FnMut(&E) -> bool) -> bool {
        self.buckets.values().all(|b| match b {
            Bucket::One(e) => f(e),
            Bucket::Many(q) => q.iter().all(&mut f),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_pop_fifo_and_times_ascend() {
        let mut q = EventQueue::new();
        q.at(SimTime(5), "b1");
        q.at(SimTime(1), "a");
        q.at(SimTime(5), "b2");
        q.at(SimTime(5), "b3");
        q.at(SimTime(9), "c");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![(SimTime(1), "a"), (SimTime(5), "b1"), (SimTime(5), "b2"), (SimTime(5), "b3"), (SimTime(9), "c")]
        );
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn scheduling_in_the_past_is_a_bug() {
        let mut q = EventQueue::new();
        q.at(SimTime(10), ());
        q.pop();
        q.at(SimTime(3), ());
    }
}
